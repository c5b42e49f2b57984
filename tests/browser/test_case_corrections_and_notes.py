"""Issue 17 in a browser on a 360 px phone: a case registered with a landline and its art. 4 kind,
an internal note, a correction of the registration and another 经办人, each page fitting the phone
and passing axe-core."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import LiveSystem
from tests.browser.flows import (
    LOCALE,
    SMALL_PHONE,
    WAIT_MS,
    assert_usable,
    checked_goto,
    log_in,
    messages_on,
    resident_id,
    shoot,
    submit,
)

HALL = "wengyuan"


def test_a_landline_case_is_noted_corrected_and_given_to_the_lead_on_a_phone(
    live_system: LiveSystem, browser: Any
) -> None:
    context = browser.new_context(locale=LOCALE, viewport=SMALL_PHONE)
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    checked_goto(page)
    step = "start"
    try:
        step = "register"
        log_in(page, live_system, HALL, "wengyuan_window", "/cases/new/")
        assert_usable(page)
        form = page.locator("form[action$='/cases/new/']")
        form.locator("input[name=applicant_name]").fill("王小明")
        form.locator("input[name=phone]").fill("0751-8881234 转 12")
        form.locator("select[name=document_type]").select_option("resident_id")
        form.locator("input[name=document_number]").fill(resident_id("44022919900101123"))
        form.locator("input[name=matter_name]").fill("不动产登记")
        form.locator("select[name=failure_kind]").select_option("repeated_visits")
        form.locator("textarea[name=problem]").fill("多次到窗口办理不动产登记未办成")
        submit(page, form)
        assert "/cases/new/" not in page.url, messages_on(page)
        assert page.locator("#sms-landline").count() == 1
        assert page.locator("#failure-kind").inner_text().strip() != "—"
        assert_usable(page)

        step = "note"
        notes = page.locator("#notes form")
        notes.locator("textarea[name=text]").fill("已约定下周回电")
        submit(page, notes)
        assert page.locator("#notes .note-text").count() == 1
        assert_usable(page)

        step = "amend"
        page.locator("details#other-steps summary").first.click()
        amend = page.locator("form[action$='/amend/']")
        amend.locator("input[name=address]").fill("翁源县龙仙镇建设路20号")
        amend.locator("textarea[name=reason]").fill("地址登记有误")
        submit(page, amend)
        assert "/amend/" not in page.url, messages_on(page)
        assert_usable(page)

        step = "reassign"
        page.locator("details#other-steps summary").first.click()
        reassign = page.locator("form[action$='/reassign/']")
        reassign.locator("select[name=handler]").select_option(index=1)
        submit(page, reassign)
        assert "/reassign/" not in page.url, messages_on(page)
        assert_usable(page)
    except BaseException:
        shoot(page, f"case17-{step}")
        raise
