"""The person's progress page on a phone (390×844): the window registers a case and prints the 登记表;
the person opens the printed QR code's link, enters the last four digits of their phone and sees the
steps. And both prints still fit one A4 page with the QR code on them."""

from __future__ import annotations

import re
from typing import Any

from casework.models import Case
from tenants.models import Hall
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
)
from tests.browser.test_print_one_page import printed_pages
from tests.casework.support import register
from tests.conftest import client_for

HALL = "wengyuan"
PHONE = "13912348765"


def phone_page(browser: Any) -> Any:
    """A page the size of a phone's screen, with a context (cookies) of its own."""
    context = browser.new_context(locale=LOCALE, viewport={"width": 390, "height": 844}, is_mobile=True)
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    checked_goto(page)
    return page


def test_the_printed_link_opens_the_steps_with_the_last_four_digits(live_system: LiveSystem, browser: Any) -> None:
    window = new_page(browser)
    person = phone_page(browser)
    step = "register"
    try:
        log_in(window, live_system, HALL, "wengyuan_window", "/cases/new/")
        case_id, number = register_case(
            window,
            name="李四",
            phone=PHONE,
            id_number=resident_id("44022919900101123"),
            matter="不动产登记查询",
            problem="不动产登记信息查询多次未果",
        )
        step = "print"
        window.goto(live_system.url(HALL, f"/cases/{case_id}/print/registration/"))
        assert window.locator(".progress-qr svg.progress-qr-code").count() == 1
        link = window.locator(".progress-qr-link").inner_text().strip()
        assert re.fullmatch(r"http://wengyuan\.[^/]+/progress/[A-Za-z0-9_-]{32}/", link), link

        step = "open the link on a phone"
        person.goto(link)
        assert number not in person.content()
        person.locator("input[name=secret]").fill(PHONE[-4:])
        with person.expect_navigation():
            person.locator("form:has(input[name=secret]) button[type=submit]").click()
        assert person.locator("h2 .no").inner_text() == number
        assert_accessible(person)
        steps = person.locator("ol.steps li.step")
        assert steps.count() == 6
        assert "done" in (steps.nth(0).get_attribute("class") or "")
        assert steps.nth(1).get_attribute("aria-current") == "step"
        text = person.content()
        assert "不动产登记查询" in text and "李*" in text and "139****8765" in text
        assert PHONE not in text and "李四" not in text
        # nothing wider than the phone's screen
        width = person.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, width

        step = "large text"
        person.locator(".text-size a").click()
        person.wait_for_load_state()
        assert "large" in (person.locator("body").get_attribute("class") or "")
        assert person.evaluate("document.documentElement.scrollWidth") <= 390
        assert_fits_phone(person)
        assert_accessible(person)  # the steps, in large type
    except Exception:
        shoot(window, f"progress-{step}-window")
        shoot(person, f"progress-{step}-person")
        raise


def test_both_prints_with_the_qr_code_fit_one_page(chromium_path: str, demo: dict[str, Hall]) -> None:
    from hallplatform.schemas import use_hall_schema

    use_hall_schema(demo[HALL])
    case: Case = register(demo[HALL])
    client = client_for("wengyuan_window", HALL)

    for kind in ("registration", "notice"):
        html = client.get(f"/cases/{case.pk}/print/{kind}/").content.decode()
        assert 'class="progress-qr"' in html
        assert printed_pages(chromium_path, html) == 1, kind


def test_the_captcha_after_the_first_codes_shows_its_picture_fits_a_phone_and_passes_axe(
    live_system: LiveSystem, browser: Any
) -> None:
    """After an address's first two code requests (CAPTCHA_AFTER_CODE_REQUESTS; unknown NOs count
    alike) the code form asks for the picture: it loads under the CSP from the hall's host, with its
    alt text, label, the audio link (flite is installed here and in CI) and the text alternative."""
    person = phone_page(browser)
    try:
        person.goto(live_system.url(HALL, "/progress/"))
        assert person.locator("input[name=captcha_value]").count() == 0
        for _ in range(2):
            person.locator("#code-number").fill("NOPE-20260302")
            with person.expect_navigation():
                person.locator("form.secondary-form button[type=submit]").click()
        person.goto(live_system.url(HALL, "/progress/"))

        picture = person.locator("form.secondary-form img.captcha-image")
        assert picture.count() == 1
        assert (picture.get_attribute("alt") or "").strip()
        person.wait_for_function("document.querySelector('img.captcha-image').naturalWidth > 0")
        assert person.locator("label[for=captcha_value]").count() == 1
        assert person.locator("#captcha-audio").count() == 1
        assert person.locator("#captcha-alternative").count() == 1
        assert_fits_phone(person)
        assert_accessible(person)

        # a wrong answer: refused on the field, a new picture, still accessible
        person.locator("#code-number").fill("NOPE-20260302")
        person.locator("#captcha_value").fill("ZZZZ")
        with person.expect_navigation():
            person.locator("form.secondary-form button[type=submit]").click()
        assert person.locator("#captcha-error").count() == 1
        assert person.locator("#captcha_value").get_attribute("aria-invalid") == "true"
        assert person.locator("[role=status]").count() == 0  # nothing said to be sent
        assert_accessible(person)
    except Exception:
        shoot(person, "progress-captcha")
        raise
