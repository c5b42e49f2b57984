"""The person rates the handling on a 360 px phone (docs/ratings.md): the window answers a case on the
spot; the person opens it with the NO and the last four digits, sees five large radio buttons, is
refused without a level (the error beside the field), then rates; axe-clean, nothing wider than the
screen, no script."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import LiveSystem
from tests.browser.flows import (
    LOCALE,
    WAIT_MS,
    assert_accessible,
    assert_fits_phone,
    checked_goto,
    log_in,
    new_page,
    register_case,
    resident_id,
    shoot,
    submit,
)

HALL = "wengyuan"
PHONE = "13912340246"


def phone_page(browser: Any) -> Any:
    context = browser.new_context(locale=LOCALE, viewport={"width": 360, "height": 740}, is_mobile=True)
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    checked_goto(page)
    return page


def test_the_person_rates_on_a_phone(live_system: LiveSystem, browser: Any) -> None:
    window = new_page(browser)
    person = phone_page(browser)
    step = "register"
    try:
        log_in(window, live_system, HALL, "wengyuan_window", "/cases/new/")
        _case_id, number = register_case(
            window,
            name="赵六",
            phone=PHONE,
            id_number=resident_id("44022919900101123"),
            matter="社保卡补办咨询",
            problem="社保卡补办需要哪些材料",
        )
        step = "answer on the spot"
        window.locator("details#other-steps > summary").click()
        form = window.locator("form[action$='/answer/']")
        form.locator("input[name=category][value=consultation]").check()
        form.locator("textarea[name=answer]").fill("携带身份证到社保窗口即可补办")
        submit(window, form)

        step = "open the case on a phone"
        person.goto(live_system.url(HALL, "/progress/"))
        lookup = person.locator("form[action$='/progress/']")
        lookup.locator("input[name=number]").fill(number)
        lookup.locator("input[name=secret]").fill(PHONE[-4:])
        with person.expect_navigation():
            lookup.locator("button[type=submit]").click()
        assert person.locator("#rating-form").count() == 1
        assert person.locator("#rating-form input[type=radio][name=level]").count() == 5
        assert person.locator("script").count() == 0
        assert_fits_phone(person)
        assert_accessible(person)

        step = "refused without a level"
        with person.expect_navigation():
            person.locator("#rating-form button[type=submit]").click()
        assert person.locator("#level-error").count() == 1
        assert_accessible(person)

        step = "rate"
        person.locator("#level-satisfied").check()
        person.locator("#rating-comment").fill("工作人员解释很清楚")
        with person.expect_navigation():
            person.locator("#rating-form button[type=submit]").click()
        assert person.locator("#rating-given").count() == 1
        assert person.locator("#rating-thanks").count() == 1
        assert_fits_phone(person)
        assert_accessible(person)

        step = "large text"
        person.locator(".text-size a").click()
        person.wait_for_load_state()
        assert_fits_phone(person)
        assert_accessible(person)
    except Exception:
        shoot(window, f"rating-{step}-window")
        shoot(person, f"rating-{step}-person")
        raise
