"""The person's side end to end, at phone size (issue 16's browser test; docs/online-reporting.md,
docs/progress-page.md, docs/ratings.md).

A person reports online with a one-time code; the window screens the report (it becomes a case with
its NO) and transfers it; the department answers; the window tells the person; the person opens the
hall's progress address from the SMS with the NO and the last four digits, reads the answer and rates
不满意; the rectification deadline opens and the window is asked for the rectification's follow-up;
the hall lead sends the rating for review (申诉复核) and the city supervisor keeps it. A second case,
told and left unrated, becomes 基本满意 by default once seven natural days have passed: the test moves
that case's time back and a real Celery worker runs beat's deadline sweep.

Refusals on the person's pages — wrong digits, an expired code, a token on another hall's host, too
many tries — each leave nothing behind: no session on the case, no rating, nothing sent."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.conf import settings

from tests.browser.conftest import LiveSystem
from tests.browser.flows import (
    assert_accessible,
    assert_fits_phone,
    log_in,
    messages_on,
    register_case,
    resident_id,
    shoot,
    submit,
    transfer,
)
from tests.browser.test_online_report import last_code as last_report_code
from tests.browser.test_progress_page import phone_page

HALL = "wengyuan"
OTHER_HALL = "zhenjiang"
DEPARTMENT = "翁源县人力资源和社会保障局"  # wengyuan/rsj
PHONE = "13912347788"
SECOND_PHONE = "13912347799"


def query(live: LiveSystem, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with psycopg.connect(live.database_url, autocommit=True) as conn:
        cursor = conn.execute(sql, params)
        return cursor.fetchall() if cursor.description is not None else []


def person_lookup(page: Any, live: LiveSystem, number: str, secret: str) -> int:
    """The hall's fixed progress address (what the SMS carries): the NO and the last four digits (or a
    one-time code). Returns the answer's HTTP status."""
    page.goto(live.url(HALL, "/progress/"))
    form = page.locator("form[action$='/progress/']")
    form.locator("input[name=number]").fill(number)
    form.locator("input[name=secret]").fill(secret)
    with page.expect_navigation() as navigation:
        form.locator("button[type=submit]").click()
    response = navigation.value
    return 0 if response is None else int(response.status)


def forget_tries(live: LiveSystem) -> None:
    """The live system serves every browser test from one address: its code requests and wrong tries
    are removed so that this test's refusals do not count against the tests after it."""
    schema = query(live, "SELECT schema_name FROM tenants_hall WHERE code = %s", HALL)[0][0]
    query(live, "DELETE FROM hallplatform_coderequest")
    query(live, f'DELETE FROM "{schema}".casework_progressfailure')  # noqa: S608 (a schema name from the database)


@pytest.fixture
def live_worker(live_system: LiveSystem) -> Iterator[str]:
    """A real Celery worker on the live system's database, on a queue of its own."""
    queue = f"journey-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DATABASE_URL": live_system.database_url,
        "CELERY_QUEUE": queue,
        "BANCHENG_INSECURE_DEV_KEY": "1",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    env.pop("DJANGO_DEBUG", None)
    node = f"journey-{uuid.uuid4().hex[:8]}@localhost"
    log = Path(tempfile.mkdtemp(prefix="bancheng-journey-")) / "worker.log"
    from config.celery import app

    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo", "-n", node, "-Q", queue],
            cwd=settings.BASE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not app.control.ping(destination=[node], timeout=1.0):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the Celery worker did not start:\n{log.read_text()[-3000:]}")
        yield queue
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def test_report_answer_rate_rectify_appeal_and_the_default_rating(
    live_system: LiveSystem, browser: Any, live_worker: str
) -> None:
    person = phone_page(browser)
    window = phone_page(browser)
    department = phone_page(browser)
    lead = phone_page(browser)
    supervisor = phone_page(browser)
    pages = {"person": person, "window": window, "department": department, "lead": lead, "supervisor": supervisor}
    step = "report"
    forget_tries(live_system)
    try:
        # --- The person reports online with a one-time code -------------------------------------
        person.goto(live_system.url(HALL, "/report/"))
        person.locator("#phone").fill(PHONE)
        with person.expect_navigation():
            person.locator("button[name=action][value=send]").click()
        person.locator("#code").fill(last_report_code(live_system))
        with person.expect_navigation():
            person.locator("button[name=action][value=verify]").click()
        assert person.url.endswith("/report/form/"), person.url
        person.locator("#applicant_name").fill("王五")
        person.locator("#matter_name").fill("养老保险关系转移")
        person.locator("#problem").fill("跨省转移多次到窗口都说系统不通，办不成")
        person.locator("#consent").check()
        with person.expect_navigation():
            person.locator("form button.primary").click()
        assert person.url.endswith("/report/done/"), person.url
        assert_fits_phone(person)

        # --- The window screens it: a case with its NO; then transfers it --------------------------
        step = "screen"
        log_in(window, live_system, HALL, "wengyuan_window", "/cases/reports/")
        row = window.locator("table tbody tr").filter(has_text="养老保险关系转移")
        assert row.count() == 1, "the report is not among those to screen"
        with window.expect_navigation():
            row.locator("a").first.click()
        accept = window.locator("#accept-form")
        accept.locator("#document_type").select_option("resident_id")
        accept.locator("#document_number").fill(resident_id("44022919700101123"))
        submit(window, accept)
        found = re.search(r"/cases/(\d+)/$", window.url)
        assert found, f"accepting did not open the case: {window.url} {messages_on(window)}"
        case_id = int(found.group(1))
        number = window.locator("h1").inner_text().split("·")[0].strip()
        assert re.fullmatch(r"440229-\d{4}-\d{5}", number), number
        assert_fits_phone(window)

        step = "transfer"
        transfer(window, department=DEPARTMENT, category="hard_to_do", request="请核实参保记录并办理转移")

        # --- The department answers -------------------------------------------------------------
        step = "department"
        log_in(department, live_system, HALL, "wengyuan_rsj", "/inbox/")
        slip = department.locator("table.inbox tbody tr").filter(has_text=number)
        with department.expect_navigation():
            slip.locator("a[href*='/slips/']").first.click()
        submit(department, department.locator("form.step-receive"))
        reply = department.locator("form.step-reply")
        reply.locator("input[name=result][value=done]").check()
        reply.locator("textarea[name=reply]").fill("已核实参保记录，转移手续已办结。")
        submit(department, reply)
        assert department.locator("h1 .tag-status.status-replied").count() == 1

        # --- The window tells the person ------------------------------------------------------------
        step = "feedback"
        window.goto(live_system.url(HALL, f"/cases/{case_id}/"))
        feedback = window.locator("form[action$='/feedback/']")
        feedback.locator("select[name=method]").select_option("phone")
        feedback.locator("textarea[name=content]").fill("电话告知：转移手续已办结，可到窗口领取凭证。")
        submit(window, feedback)
        assert window.locator("span.status.status-fed_back").count() == 1, messages_on(window)

        # --- The person opens the SMS's address, reads the answer, rates 不满意 -----------------------
        step = "person reads"
        person_lookup(person, live_system, number, PHONE[-4:])
        assert "转移手续已办结" in person.locator("section[aria-labelledby=answer-heading]").inner_text()
        assert PHONE not in person.content() and "王五" not in person.content()
        assert_fits_phone(person)
        assert_accessible(person)
        step = "person rates"
        person.locator("#level-dissatisfied").check()
        person.locator("#rating-comment").fill("来回跑了三次才办成")
        with person.expect_navigation():
            person.locator("#rating-form button[type=submit]").click()
        assert person.locator("#rating-given").count() == 1
        rating = query(
            live_system,
            "SELECT r.level, r.source, r.rectification_state FROM hallindex_ratingindex r "
            "JOIN tenants_hall h ON h.id = r.hall_id WHERE h.code = %s AND r.number = %s",
            HALL,
            number,
        )
        assert rating == [("dissatisfied", "person", "open")]
        rectification = query(
            live_system,
            "SELECT d.state FROM deadlines_deadline d JOIN tenants_hall h ON h.id = d.hall_id "
            "WHERE h.code = %s AND d.kind = 'rectification' AND d.subject_number = %s",
            HALL,
            number,
        )
        assert rectification == [("open",)], rectification

        # the window is asked for the rectification and its follow-up on the case page
        step = "rectification asked"
        window.goto(live_system.url(HALL, f"/cases/{case_id}/"))
        assert window.locator("#rectification-form").count() == 1

        # --- The hall lead sends it for review; the city supervisor keeps it --------------------------
        step = "appeal"
        log_in(lead, live_system, HALL, "wengyuan_lead", f"/cases/{case_id}/")
        appeal = lead.locator("#rating-appeal-form")
        appeal.locator("textarea[name=reason]").fill("部门已按时办结，群众评价针对的是跨省系统问题")
        submit(lead, appeal)
        step = "review"
        log_in(supervisor, live_system, None, "shaoguan_supervisor", "/portal/rating-appeals/")
        review = supervisor.locator("#rating-appeals tbody tr").filter(has_text=number)
        assert review.count() == 1
        review.locator("input[name=reason]").fill("评价反映真实办事体验，予以维持")
        with supervisor.expect_navigation():
            review.locator("button[name=decision][value=keep]").click()
        assert_accessible(supervisor)
        assert_fits_phone(supervisor)
        kept = query(
            live_system,
            "SELECT r.appeal_state, r.state FROM hallindex_ratingindex r JOIN tenants_hall h ON h.id = r.hall_id "
            "WHERE h.code = %s AND r.number = %s",
            HALL,
            number,
        )
        assert kept == [("kept", "active")]

        # --- Refusals on the person's pages leave nothing behind ---------------------------------------
        step = "refusals"
        schema = query(live_system, "SELECT schema_name FROM tenants_hall WHERE code = %s", HALL)[0][0]
        stranger = phone_page(browser)
        pages["stranger"] = stranger
        # wrong digits: the same page again, nothing of the case
        assert person_lookup(stranger, live_system, number, "0000") in (200, 400)
        assert stranger.locator("#rating-form, #answer-heading").count() == 0
        assert "转移手续已办结" not in stranger.content()
        # the printed link works on its own hall's host only
        window.goto(live_system.url(HALL, f"/cases/{case_id}/print/registration/"))
        link = window.locator(".progress-qr-link").inner_text().strip()
        elsewhere = stranger.goto(link.replace(f"//{HALL}.", f"//{OTHER_HALL}."))
        assert elsewhere is not None and elsewhere.status == 404
        # an expired code: asked for, then its five minutes passed (moved in the database)
        stranger.goto(live_system.url(HALL, "/progress/"))
        ask = stranger.locator("form[action$='/progress/code/']")
        ask.locator("#code-number").fill(number)
        with stranger.expect_navigation():
            ask.locator("button[type=submit]").click()
        sent = query(
            live_system,
            "SELECT body FROM notifications_consolemessage WHERE reference = %s ORDER BY id DESC LIMIT 1",
            f"progress:{case_id}",
        )
        assert sent, "no code was sent"
        code = re.search(r"\d{6}", sent[0][0])
        assert code is not None
        expire = f"UPDATE \"{schema}\".casework_progresscode SET expires_at = now() - interval '1 second'"  # noqa: S608 (a schema name from the database)
        query(live_system, expire)
        assert person_lookup(stranger, live_system, number, code.group(0)) in (200, 400)
        assert stranger.locator("#rating-form, #answer-heading").count() == 0
        # too many tries: the NO is blocked (429), and then even the right digits are refused
        statuses = [person_lookup(stranger, live_system, number, "2222") for _ in range(5)]
        assert statuses[-1] == 429, statuses
        assert_accessible(stranger)
        assert person_lookup(stranger, live_system, number, PHONE[-4:]) == 429
        assert stranger.locator("#rating-form, #answer-heading").count() == 0
        ratings = query(
            live_system,
            "SELECT count(*) FROM hallindex_ratingindex r JOIN tenants_hall h ON h.id = r.hall_id WHERE h.code = %s",
            HALL,
        )
        assert ratings == [(1,)]  # the refusals rated nothing

        # --- A second case, told and left unrated: 基本满意 after seven natural days ---------------------
        step = "default rating"
        window.goto(live_system.url(HALL, "/cases/new/"))
        second_id, second = register_case(
            window,
            name="赵七",
            phone=SECOND_PHONE,
            id_number=resident_id("44022919800202123"),
            matter="社保卡补办咨询",
            problem="社保卡补办需要哪些材料",
        )
        window.locator("details#other-steps > summary").click()
        answer_form = window.locator("form[action$='/answer/']")
        answer_form.locator("input[name=category][value=consultation]").check()
        answer_form.locator("textarea[name=answer]").fill("携带身份证到社保窗口即可补办")
        submit(window, answer_form)
        timer = query(
            live_system,
            "SELECT d.id, d.state FROM deadlines_deadline d JOIN tenants_hall h ON h.id = d.hall_id "
            "WHERE h.code = %s AND d.kind = 'rating_default' AND d.subject_number = %s",
            HALL,
            second,
        )
        assert len(timer) == 1 and timer[0][1] == "timer", timer
        # seven natural days pass for this case: its clock moved back, as a week would have done
        query(
            live_system,
            "UPDATE deadlines_deadline SET start_at = start_at - interval '7 days', "
            "due_at = due_at - interval '7 days', warn_at = warn_at - interval '7 days' WHERE id = %s",
            timer[0][0],
        )
        from config.celery import app

        result = app.send_task(
            "deadlines.deadline_sweep_task", queue=live_worker, headers={"_schema_name": "public"}
        ).get(timeout=120)
        assert result, result
        default = query(
            live_system,
            "SELECT r.level, r.source FROM hallindex_ratingindex r JOIN tenants_hall h ON h.id = r.hall_id "
            "WHERE h.code = %s AND r.number = %s",
            HALL,
            second,
        )
        assert default == [("fairly_satisfied", "default")]
        assert query(live_system, "SELECT state FROM deadlines_deadline WHERE id = %s", timer[0][0]) == [("met",)]
        assert second_id != case_id
    except Exception:
        for name, page in pages.items():
            shoot(page, f"journey-{step}-{name}")
        raise
    finally:
        forget_tries(live_system)
