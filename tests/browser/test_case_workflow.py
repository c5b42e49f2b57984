"""One case through the web UI from registration to closing, each step by the person whose step it
is, each in a browser of their own: the window registers and transfers it, the department signs for
the slip and answers, the window tells the person, follows up and closes it."""

from __future__ import annotations

import re
from typing import Any

from casework.choices import CaseStatus
from casework.web.display import EVENT_LABELS
from tests.browser.conftest import LiveSystem
from tests.browser.flows import (
    log_in,
    log_out,
    messages_on,
    new_page,
    register_case,
    resident_id,
    shoot,
    submit,
    transfer,
    ui,
)

HALL = "wengyuan"
DEPARTMENT = "翁源县人力资源和社会保障局"  # wengyuan/rsj
PHONE = "13812345678"
ID_NUMBER = resident_id("44022919850312456")
DUE = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}")


def test_a_case_goes_from_registration_through_transfer_reply_feedback_and_follow_up_to_closed(
    live_system: LiveSystem, browser: Any
) -> None:
    window = new_page(browser)
    department = new_page(browser)
    step = "start"
    try:
        # The window registers the case: a NO of the hall and year, personal data masked on the page.
        step = "register"
        log_in(window, live_system, HALL, "wengyuan_window", "/cases/new/")
        case_id, number = register_case(
            window,
            name="张晓明",
            phone=PHONE,
            id_number=ID_NUMBER,
            matter="养老保险关系转移",
            problem="养老保险跨省转移多次办理未成功",
        )
        registration = window.locator(".card .sheet").first.inner_text()
        assert "138****5678" in registration
        assert ID_NUMBER[:3] + "*" * 11 + ID_NUMBER[-4:] in registration
        page_text = window.content()
        assert PHONE not in page_text and ID_NUMBER not in page_text and "张晓明" not in page_text
        assert window.locator("span.status.status-registered").count() == 1

        # It is transferred to the county's 人社局 as hard to do, and the window logs out.
        step = "transfer"
        transfer(window, department=DEPARTMENT, category="hard_to_do", request="请核实参保缴费记录并办理")
        slips = window.locator(".card > .table-wrap > table:not(.sheet) tbody tr").filter(has_text=DEPARTMENT)
        assert slips.count() == 1, "the case page does not list the slip"
        log_out(window)
        window.goto(live_system.url(HALL, f"/cases/{case_id}/"))
        assert "/accounts/login/" in window.url  # logged out for real

        # The department handler finds the slip in the inbox, signs for it and answers: done.
        step = "inbox"
        log_in(department, live_system, HALL, "wengyuan_rsj", "/inbox/")
        row = department.locator("table.inbox tbody tr").filter(has_text=number)
        assert row.count() == 1, f"{number} is not in the department's inbox"
        with department.expect_navigation():
            row.locator("a[href*='/slips/']").first.click()
        assert re.search(r"/slips/\d+/$", department.url), department.url
        assert number in department.locator(".slip-facts").inner_text()
        assert PHONE not in department.content() and "张晓明" not in department.content()

        step = "receive"
        submit(department, department.locator("form.step-receive"))
        assert department.locator("h1 .tag-status.status-received").count() == 1, department.url
        assert department.locator("form.step-receive").count() == 0

        step = "reply"
        reply = department.locator("form.step-reply")
        reply.locator("input[name=result][value=done]").check()
        reply.locator("textarea[name=reply]").fill("已核实缴费记录，转移手续已办结。")
        submit(department, reply)
        assert department.locator("h1 .tag-status.status-replied").count() == 1
        assert "已核实缴费记录" in department.locator("body").inner_text()
        assert department.locator("form.step-reply").count() == 0

        # The window logs back in: the case is replied, the feedback deadline runs.
        step = "replied"
        log_in(window, live_system, HALL, "wengyuan_window", f"/cases/{case_id}/")
        assert window.locator("span.status.status-replied").count() == 1
        assert "已核实缴费记录" in window.content()
        feedback_due = window.locator(".card:not(#steps) > h3 + p")  # under the slips table
        assert feedback_due.locator(".dl").count() == 1, feedback_due.inner_html()
        assert DUE.search(feedback_due.inner_text()), feedback_due.inner_text()

        step = "feedback"
        feedback = window.locator("form[action$='/feedback/']")
        feedback.locator("select[name=method]").select_option("phone")
        feedback.locator("textarea[name=content]").fill("电话告知：转移手续已办结，可到窗口领取凭证。")
        submit(window, feedback)
        assert window.locator("span.status.status-fed_back").count() == 1, messages_on(window)

        step = "follow-up"
        follow_up = window.locator("form[action$='/follow-up/']")
        follow_up.locator("select[name=method]").select_option("phone")
        assert follow_up.locator("input[name=date]").input_value()  # today, prefilled
        follow_up.locator("input[name=satisfaction][value=satisfied]").check()
        follow_up.locator("textarea[name=note]").fill("群众表示问题已解决")
        submit(window, follow_up)
        assert window.locator("span.status.status-followed_up").count() == 1, messages_on(window)

        step = "close"
        close = window.locator("form[action$='/close/']")
        close.locator("textarea[name=note]").fill("办结归档")
        submit(window, close)
        # closing cannot simply be redone: the first submit asks for a confirmation, nothing is saved yet
        assert window.locator("span.status.status-followed_up").count() == 1, messages_on(window)
        submit(window, window.locator("form.confirm[action$='/close/']"))
        status = window.locator("span.status.status-closed")
        assert status.count() == 1, messages_on(window)
        assert status.inner_text().strip() == ui(CaseStatus.CLOSED.label)
        assert window.locator("form[action$='/close/'], form[action$='/feedback/']").count() == 0
        # within CASE_UNDO_MINUTES the closing can be taken back (a recorded reversal, 撤销办结)
        assert window.locator("form[action$='/undo-close/']").count() == 1

        # The timeline lists every step, in order.
        step = "timeline"
        shown = [text.strip() for text in window.locator("ol.timeline li .what").all_inner_texts()]
        kinds = ("registered", "transferred", "slip_received", "slip_replied", "fed_back", "followed_up", "closed")
        expected = [ui(EVENT_LABELS[kind]) for kind in kinds]
        remaining = iter(shown)
        missing = [label for label in expected if not any(text.startswith(label) for text in remaining)]
        assert not missing, f"timeline {shown} lacks, in order, {missing}"
        whole = window.locator("ol.timeline").inner_text()
        assert "翁源窗口 李敏" in whole and "翁源县人社局 黄丽" in whole
    except BaseException:
        shoot(window, f"workflow-{step}-window")
        shoot(department, f"workflow-{step}-department")
        raise
