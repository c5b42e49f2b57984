"""The person's progress page (casework/progress.py, casework/web/person_progress.py; docs/progress-page.md):
tokens made at registration and backfilled, the QR code on the prints, opening a case with the last
four digits or a one-time code, blocking, another hall's host, retention, and what the page shows."""

from __future__ import annotations

import hashlib
import importlib
import re
from typing import Any

import pytest
from django.apps import apps
from django.db import connection
from django.test import Client

from casework.choices import HandlingCategory
from casework.models import Case, CaseProgressAccess, ProgressCode, ProgressFailure
from casework.progress import progress_token_for_print
from casework.services import case_answer_on_spot, case_close, case_feedback_record, slip_reply
from hallplatform.audit.models import AuditEvent
from hallplatform.caching import cache_outage
from hallplatform.schemas import use_hall_schema
from notifications.models import ConsoleMessage
from tests.casework.support import Clock, draft, install_clock, notices_to, register, slips_of, transfer
from tests.casework.test_case_register import ID_NUMBER
from tests.conftest import client_for, host_of, user

PHONE_LAST_FOUR = "5678"  # tests/casework/test_case_register.py: form() registers +86 138 1234 5678


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return install_clock(monkeypatch)


@pytest.fixture
def hall(demo: dict[str, Any], clock: Clock, settings: Any) -> Any:
    settings.PROGRESS_THROTTLE_RATE = "1000/minute"  # the per-address page rate has its own test
    use_hall_schema(demo["wengyuan"])
    return demo["wengyuan"]


def person(code: str = "wengyuan", address: str = "203.0.113.7") -> Client:
    return Client(HTTP_HOST=host_of(code), REMOTE_ADDR=address)


def token_of(case: Case) -> str:
    return progress_token_for_print(case=case)


def open_with(client: Client, case: Case, secret: str = PHONE_LAST_FOUR) -> Any:
    return client.post(f"/progress/{token_of(case)}/", {"secret": secret})


def page_text(response: Any) -> str:
    return response.content.decode()


# --- Tokens -------------------------------------------------------------------------------------------


def test_registration_gives_the_case_a_token_kept_only_as_digest_and_sealed(hall: Any) -> None:
    case = register(hall)

    access = CaseProgressAccess.objects.get(case=case)
    token = str(access.token)
    assert len(token) >= 32
    assert access.token_digest == hashlib.sha256(token.encode()).hexdigest()
    # the column holds a sealed value, never the token itself, and the NO is not the token
    with connection.cursor() as cursor:
        cursor.execute("SELECT token FROM casework_caseprogressaccess WHERE case_id = %s", [case.pk])
        [(stored,)] = cursor.fetchall()
    assert token not in stored and stored.startswith(("v1:", "sm4v1:"))
    assert case.number not in token
    # a second case has another token
    assert token_of(register(hall)) != token


def test_existing_cases_are_backfilled_by_the_data_migration(hall: Any) -> None:
    kept = register(hall)
    kept_digest = CaseProgressAccess.objects.get(case=kept).token_digest
    older = register(hall)
    CaseProgressAccess.objects.filter(case=older).delete()  # as before the migration
    migration = importlib.import_module("casework.migrations.0008_case_progress_access")

    migration.backfill_tokens(apps, None)

    token = str(CaseProgressAccess.objects.get(case=older).token)
    assert CaseProgressAccess.objects.get(case=older).token_digest == hashlib.sha256(token.encode()).hexdigest()
    assert CaseProgressAccess.objects.get(case=kept).token_digest == kept_digest  # untouched
    assert open_with(person(), Case.objects.get(pk=older.pk)).status_code == 302


# --- Opening with the last four digits ----------------------------------------------------------------


def test_the_link_opens_with_the_right_digits_and_shows_the_steps(hall: Any) -> None:
    case = register(hall)
    client = person()

    form = client.get(f"/progress/{token_of(case)}/")
    assert form.status_code == 200
    assert case.number not in page_text(form)  # nothing of the case before the digits
    assert (form["Cache-Control"], form["Referrer-Policy"]) == ("no-store", "same-origin")

    opened = open_with(client, case)

    assert opened.status_code == 302
    page = client.get(opened["Location"])
    text = page_text(page)
    assert page.status_code == 200
    assert case.number in text and "社保卡补办" in text
    assert "Registered" in text or "登记" in text
    assert 'aria-current="step"' in text
    view = AuditEvent.objects.get(action="progress.view", target_id=str(case.pk))
    assert view.changes["via"] == "token" and view.changes["method"] == "digits"
    assert view.changes["ip"] == "203.0.113.7"
    assert not ProgressFailure.objects.exists()


def test_wrong_digits_are_refused_counted_and_reveal_nothing(hall: Any) -> None:
    case = register(hall)
    client = person()

    refused = open_with(client, case, "1111")

    assert refused.status_code == 400
    text = page_text(refused)
    assert case.number not in text and "社保卡补办" not in text
    assert 'aria-invalid="true"' in text
    assert ProgressFailure.objects.count() == 1
    assert not AuditEvent.objects.filter(action="progress.view").exists()
    assert client.get("/progress/status/")["Location"] == "/progress/"  # nothing opened


def test_unknown_number_and_wrong_digits_answer_alike(hall: Any) -> None:
    case = register(hall)

    wrong_digits = person().post("/progress/", {"number": case.number, "secret": "0000"})
    unknown = person(address="203.0.113.8").post("/progress/", {"number": "NOPE-2026-000001", "secret": "0000"})

    def without_csrf(response: Any) -> str:
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page_text(response))

    assert wrong_digits.status_code == unknown.status_code == 400
    assert without_csrf(wrong_digits).replace(case.number, "X") == without_csrf(unknown).replace(
        "NOPE-2026-000001", "X"
    )
    assert ProgressFailure.objects.count() == 2


def test_the_number_and_digits_open_the_case(hall: Any) -> None:
    case = register(hall)
    client = person()

    opened = client.post("/progress/", {"number": case.number.lower(), "secret": PHONE_LAST_FOUR})

    assert (opened.status_code, opened["Location"]) == (302, "/progress/status/")
    assert case.number in page_text(client.get("/progress/status/"))
    assert AuditEvent.objects.get(action="progress.view").changes["via"] == "number"


def test_blocked_after_five_wrong_tries_and_stays_blocked(hall: Any, clock: Clock) -> None:
    case = register(hall)
    client = person()
    answers = [open_with(client, case, "1111").status_code for _ in range(5)]
    assert answers == [400, 400, 400, 400, 429]

    # the right digits do not help while blocked, from this address or another
    still = open_with(client, case)
    elsewhere = open_with(person(address="198.51.100.9"), case)

    assert (still.status_code, elsewhere.status_code) == (429, 429)
    assert "Retry-After" in still
    assert not AuditEvent.objects.filter(action="progress.view").exists()
    assert client.get("/progress/status/").status_code == 302  # nothing opened
    clock.advance(minutes=20)
    assert open_with(client, case).status_code == 429
    # once the window has passed since the last tries, the right digits open it
    clock.advance(minutes=31)
    assert open_with(client, case).status_code == 302


def test_one_address_is_blocked_after_twenty_failures_across_numbers(hall: Any) -> None:
    case = register(hall)
    client = person()
    for index in range(20):
        client.post("/progress/", {"number": f"X{index}", "secret": "0000"})

    assert open_with(client, case).status_code == 429
    assert open_with(person(address="198.51.100.10"), case).status_code == 302


def test_a_token_on_another_halls_host_is_404_like_an_unknown_one(hall: Any) -> None:
    case = register(hall)
    token = token_of(case)

    elsewhere = Client(HTTP_HOST=host_of("shixing")).get(f"/progress/{token}/")
    unknown = person().get(f"/progress/{'x' * 32}/")
    posted = Client(HTTP_HOST=host_of("shixing")).post(f"/progress/{token}/", {"secret": PHONE_LAST_FOUR})

    assert elsewhere.status_code == unknown.status_code == posted.status_code == 404
    assert elsewhere.content == unknown.content
    assert case.number.encode() not in posted.content


def test_a_closed_case_shows_until_the_retention_then_is_unknown(hall: Any, clock: Clock, settings: Any) -> None:
    case = register(hall)
    case = case_answer_on_spot(
        case=case, actor=user("wengyuan_window"), category=HandlingCategory.CONSULTATION, answer="可网上办理"
    )
    case_close(case=case, actor=user("wengyuan_window"))
    clock.advance(days=179)
    client = person()
    assert open_with(client, case).status_code == 302
    assert "可网上办理" in page_text(client.get(f"/progress/{token_of(case)}/"))

    clock.advance(days=2)

    assert client.get(f"/progress/{token_of(case)}/").status_code == 404  # the session does not help
    assert client.get("/progress/status/").status_code == 302
    gone = person(address="198.51.100.11").post("/progress/", {"number": case.number, "secret": PHONE_LAST_FOUR})
    assert gone.status_code == 400
    settings.PROGRESS_CLOSED_VISIBLE_DAYS = 365
    assert person(address="198.51.100.12").get(f"/progress/{token_of(case)}/").status_code == 200


def test_the_page_rate_per_address_answers_429(hall: Any, settings: Any) -> None:
    settings.PROGRESS_THROTTLE_RATE = "3/minute"
    client = person()

    answers = [client.get("/progress/").status_code for _ in range(4)]

    assert answers == [200, 200, 200, 429]
    assert person(address="198.51.100.13").get("/progress/").status_code == 200


# --- One-time codes -----------------------------------------------------------------------------------


def sent_code() -> str:
    message = ConsoleMessage.objects.filter(reference__startswith="progress:").latest("pk")
    found = re.search(r"\d{6}", message.body)
    assert found is not None
    return found.group(0)


def test_a_code_is_sent_through_the_sms_adapter_and_works_once(hall: Any) -> None:
    case = register(hall)
    client = person()

    asked = client.post("/progress/code/", {"number": case.number})

    assert asked.status_code == 200 and 'role="status"' in page_text(asked)
    message = ConsoleMessage.objects.get(reference=f"progress:{case.pk}")
    assert message.to == "138****5678"
    code = sent_code()
    stored = ProgressCode.objects.get(case=case)
    assert code not in stored.code_digest
    audit = AuditEvent.objects.get(action="progress.code_sent", target_id=str(case.pk))
    assert code not in str(audit.changes)

    assert client.post("/progress/", {"number": case.number, "secret": code}).status_code == 302
    assert AuditEvent.objects.get(action="progress.view").changes["method"] == "code"
    again = person(address="198.51.100.14").post("/progress/", {"number": case.number, "secret": code})
    assert again.status_code == 400  # used up


def test_an_unknown_number_gets_the_same_answer_and_no_sms(hall: Any) -> None:
    case = register(hall)

    known = person().post("/progress/code/", {"number": case.number})
    unknown = person(address="198.51.100.15").post("/progress/code/", {"number": "NOPE-1"})

    assert known.status_code == unknown.status_code == 200
    assert re.search(r'role="status">([^<]+)<', page_text(known)).group(1) == re.search(  # type: ignore[union-attr]
        r'role="status">([^<]+)<', page_text(unknown)
    ).group(1)
    assert ConsoleMessage.objects.filter(reference__startswith="progress:").count() == 1


def test_a_code_expires_after_five_minutes(hall: Any, clock: Clock) -> None:
    case = register(hall)
    client = person()
    client.post(f"/progress/{token_of(case)}/", {"action": "code"})
    code = sent_code()

    clock.advance(minutes=5, seconds=1)

    assert open_with(client, case, code).status_code == 400
    assert ProgressFailure.objects.count() == 1


def test_a_phone_gets_at_most_five_codes_a_day(hall: Any, clock: Clock) -> None:
    case = register(hall)
    for index in range(6):
        answer = person(address=f"198.51.100.{20 + index}").post("/progress/code/", {"number": case.number})
        assert answer.status_code == 200  # the same answer: nobody learns the cap of a phone

    assert ProgressCode.objects.filter(case=case).count() == 5
    assert ConsoleMessage.objects.filter(reference=f"progress:{case.pk}").count() == 5
    clock.advance(days=1, minutes=1)
    person(address="198.51.100.40").post("/progress/code/", {"number": case.number})
    assert ConsoleMessage.objects.filter(reference=f"progress:{case.pk}").count() == 6


def test_an_address_asking_too_many_codes_gets_429(hall: Any, settings: Any) -> None:
    settings.PROGRESS_CODE_ADDRESS_LIMIT = 2
    cases = [register(hall) for _ in range(3)]
    client = person()

    answers = [client.post("/progress/code/", {"number": case.number}).status_code for case in cases]

    assert answers == [200, 200, 429]
    assert ProgressCode.objects.count() == 2


# --- What the page shows ------------------------------------------------------------------------------


def test_the_page_shows_no_personal_data_staff_notes_or_other_cases(hall: Any, clock: Clock) -> None:
    other = register(hall, matter_name="营业执照变更")
    case = register(hall, remarks="内部备注：此人多次来访", acceptance_note="受理意见内部")
    transfer(case, draft("wengyuan/rsj"))
    client = person()
    open_with(client, case)

    text = page_text(client.get(f"/progress/{token_of(case)}/"))

    for hidden in (
        "张三",
        "13812345678",
        "138 1234 5678",
        "多次到窗口补办社保卡未成功",
        "翁源县龙仙镇建设路1号",
        "内部备注",
        "受理意见内部",
        other.number,
        "营业执照变更",
        "请核实并办理",  # the slip's request to the department
    ):
        assert hidden not in text, hidden

    assert ID_NUMBER not in text and ID_NUMBER.lower() not in text
    assert "张*" in text and "138****5678" in text
    handler = str(user("wengyuan_window"))
    assert handler in text
    for name in (str(user("wengyuan_rsj")), str(user("wengyuan_lead"))):
        assert name not in text
    # the step under way is the departments' answer, with its due date
    assert re.search(
        r'aria-current="step">\s*<span class="step-label">[^<]+</span>\s*<span class="step-state">[^<]*\d{4}-', text
    )


def test_the_answer_shows_only_after_the_window_told_the_person(hall: Any, clock: Clock) -> None:
    case = register(hall)
    transfer(case, draft("wengyuan/rsj"))
    clock.set("2026-03-02T10:00")
    [slip] = [s for s in slips_of(case) if s.is_open]
    slip_reply(slip=slip, actor=user("wengyuan_rsj"), result="done", reply="部门内部答复：已办结")
    client = person()
    open_with(client, case)
    before = page_text(client.get(f"/progress/{token_of(case)}/"))
    assert "部门内部答复" not in before and "已电话告知可领取" not in before

    case_feedback_record(
        case=Case.objects.get(pk=case.pk), actor=user("wengyuan_window"), method="phone", content="已电话告知可领取"
    )

    after = page_text(client.get(f"/progress/{token_of(case)}/"))
    assert "已电话告知可领取" in after
    assert "部门内部答复" not in after


# --- Prints and SMS -----------------------------------------------------------------------------------


@pytest.mark.parametrize("print_kind", ["registration", "notice"])
def test_both_prints_carry_the_qr_code_and_the_link_beneath_it(hall: Any, print_kind: str) -> None:
    case = register(hall)
    token = token_of(case)
    staff = client_for("wengyuan_window", "wengyuan")

    page = page_text(staff.get(f"/cases/{case.pk}/print/{print_kind}/"))

    link = f"http://{host_of('wengyuan')}/progress/{token}/"
    assert re.search(r'<div class="progress-qr">\s*<svg [^>]*class="progress-qr-code"', page)
    assert "<path" in page and "<script" not in page.split('class="progress-qr"')[1]
    assert f'<p class="progress-qr-link">{link}</p>' in page
    assert token_of(case) == token  # printing again keeps the same token: earlier prints keep working
    # the printed link opens the case
    assert open_with(person(), case).status_code == 302


def test_the_sms_to_the_person_carry_the_fixed_address_and_number_not_the_token(hall: Any, clock: Clock) -> None:
    case = register(hall)
    token = token_of(case)
    transfer(case, draft("wengyuan/rsj"))
    clock.set("2026-03-02T10:00")
    [slip] = [s for s in slips_of(case) if s.is_open]
    slip_reply(slip=slip, actor=user("wengyuan_rsj"), result="done", reply="已办结")
    case_feedback_record(
        case=Case.objects.get(pk=case.pk),
        actor=user("wengyuan_window"),
        method="sms",
        content="短信告知",
        send_sms=True,
    )

    [registered] = notices_to("person_registered", recipient_ref=f"case:{case.pk}")
    [result] = notices_to("person_result", recipient_ref=f"case:{case.pk}")
    address = f"http://wengyuan.{host_of(None)}:8000/progress/"
    for notice in (registered, result):
        assert address in notice.body and case.number in notice.body
        assert token not in notice.body and token not in str(notice.context)
        assert notice.context["progress_url"] == address


def test_without_redis_the_pages_answer_and_wrong_tries_are_still_blocked(hall: Any, settings: Any) -> None:

    settings.PROGRESS_THROTTLE_RATE = "1/minute"
    case = register(hall)
    client = person()
    cache_outage.record(ConnectionError("Redis stopped"))  # the page rate fails open, as the API's

    assert [client.get("/progress/").status_code for _ in range(3)] == [200, 200, 200]
    answers = [open_with(client, case, "1111").status_code for _ in range(5)]
    assert answers == [400, 400, 400, 400, 429]  # counted in PostgreSQL
    assert open_with(client, case).status_code == 429


def test_the_pages_load_nothing_from_elsewhere_and_run_no_script(hall: Any) -> None:
    case = register(hall)
    client = person()
    pages = [client.get("/progress/"), client.get(f"/progress/{token_of(case)}/")]
    open_with(client, case)
    pages.append(client.get("/progress/status/"))

    for page in pages:
        text = page_text(page)
        assert page.status_code == 200
        assert "<script" not in text and "style=" not in text and "<style" not in text
        for url in re.findall(r'(?:href|src|action)="([^"]*)"', text):
            assert not url.startswith(("http:", "https:", "//")), url
        assert "Content-Security-Policy" in page or "Content-Security-Policy-Report-Only" in page


def test_closing_the_case_on_the_phone_ends_the_confirmation(hall: Any) -> None:
    case = register(hall)
    client = person()
    open_with(client, case)
    assert client.get("/progress/status/").status_code == 200

    left = client.post("/progress/leave/")

    assert (left.status_code, left["Location"]) == (302, "/progress/")
    assert client.get("/progress/status/")["Location"] == "/progress/"
    assert case.number not in page_text(client.get(f"/progress/{token_of(case)}/"))
