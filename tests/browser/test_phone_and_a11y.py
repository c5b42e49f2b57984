"""Every staff page fits a phone and passes axe-core (docs/accessibility.md): each demo role's pages at
390×844 and at a desk's 1280×900; a phone-sized browser registers a case, the department answers
it and the window gives the feedback without the page ever scrolling sideways; the header's 菜单
button opens the menu, and without JavaScript the menu stays open."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import LiveSystem
from tests.browser.flows import (
    DESKTOP,
    LOCALE,
    PHONE,
    SMALL_PHONE,
    WAIT_MS,
    assert_accessible,
    assert_fits_phone,
    assert_usable,
    log_in,
    messages_on,
    register_case,
    resident_id,
    shoot,
    submit,
    transfer,
)

HALL = "wengyuan"
DEPARTMENT = "翁源县人力资源和社会保障局"  # wengyuan/rsj

# (host's hall or None for the city portal, login) of each demo role (README "Demo logins")
ROLES = [
    pytest.param(HALL, "wengyuan_window", id="window-staff"),
    pytest.param(HALL, "wengyuan_rsj", id="department-handler"),
    pytest.param(HALL, "wengyuan_lead", id="hall-lead"),
    pytest.param(None, "shaoguan_supervisor", id="city-supervisor"),
    pytest.param("shaoguan", "shaoguan_rsj", id="city-department-handler"),
    pytest.param(None, "sysadmin", id="system-administrator"),
    pytest.param(None, "secadmin", id="security-administrator"),
    pytest.param(None, "auditor", id="audit-administrator"),
]
NOT_PAGES = re.compile(r"/(admin|api)/|/logout/|\.(csv|xlsx|pdf)$")


def phone_page(browser: Any, *, size: dict[str, int] = PHONE) -> Any:
    context = browser.new_context(locale=LOCALE, viewport=size)
    context.set_default_timeout(WAIT_MS)
    return context.new_page()


def menu_pages(page: Any) -> list[str]:
    """The pages the header's menu links to on this host, in order, once each."""
    host = urlsplit(page.url).netloc
    pages: list[str] = []
    for href in page.locator("#site-nav a[href]").evaluate_all("links => links.map(a => a.href)"):
        parts = urlsplit(href)
        if parts.netloc == host and not NOT_PAGES.search(parts.path) and href not in pages:
            pages.append(href)
    return pages


@pytest.mark.parametrize(("hall", "username"), ROLES)
def test_every_page_of_the_menu_fits_a_phone_and_passes_axe_at_phone_and_desk_width(
    live_system: LiveSystem, browser: Any, hall: str | None, username: str
) -> None:
    page = phone_page(browser)
    log_in(page, live_system, hall, username)
    pages = menu_pages(page)
    assert len(pages) >= 3, f"{username}'s menu links to {pages}"
    try:
        for url in pages:
            page.set_viewport_size(PHONE)
            response = page.goto(url)
            assert response is not None and response.ok, f"{url}: {response and response.status}"
            assert_usable(page)
            page.set_viewport_size(DESKTOP)
            assert_usable(page)
    except BaseException:
        shoot(page, f"phone-{username}")
        raise


def test_the_menu_button_opens_the_menu_on_a_phone_and_without_javascript_the_menu_stays_open(
    live_system: LiveSystem, browser: Any
) -> None:
    page = phone_page(browser)
    log_in(page, live_system, HALL, "wengyuan_window")
    toggle = page.locator("header.top button[data-menu-toggle]")
    menu = page.locator("#site-nav")
    cases = menu.locator("a[href='/cases/']")
    assert toggle.is_visible() and toggle.get_attribute("aria-expanded") == "false"
    assert not cases.is_visible()  # folded away on a phone
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true" and cases.is_visible()
    assert_usable(page)  # the open menu does not widen the page either
    with page.expect_navigation():
        cases.click()
    assert urlsplit(page.url).path == "/cases/"
    page.keyboard.press("Tab")  # the skip link is the first stop and leads to the page's main
    skip = page.locator("a.skip-link")
    assert skip.evaluate("a => a === document.activeElement") and skip.get_attribute("href") == "#main"
    page.set_viewport_size(DESKTOP)
    assert not toggle.is_visible() and cases.is_visible()  # a desk sees the links in the header

    # The same person without JavaScript (a context of their own, with the same login cookie).
    context = browser.new_context(
        locale=LOCALE, viewport=PHONE, java_script_enabled=False, storage_state=page.context.storage_state()
    )
    context.set_default_timeout(WAIT_MS)
    no_script = context.new_page()
    no_script.goto(live_system.url(HALL, "/cases/"))
    assert not no_script.locator("header.top button[data-menu-toggle]").is_visible()
    assert no_script.locator("#site-nav a[href='/cases/new/']").is_visible()


def test_a_phone_registers_a_case_the_department_answers_and_the_window_gives_feedback(
    live_system: LiveSystem, browser: Any
) -> None:
    window = phone_page(browser, size=SMALL_PHONE)
    department = phone_page(browser)
    step = "start"
    try:
        step = "register"
        log_in(window, live_system, HALL, "wengyuan_window", "/cases/new/")
        assert_usable(window)
        for name in ("applicant_name", "phone"):  # the 登记表's fields are wide enough to type in
            box = window.locator(f"form input[name={name}]").bounding_box()
            assert box and box["width"] >= 200, f"{name} is {box and box['width']} px wide"
        case_id, number = register_case(
            window,
            name="王小红",
            phone="13700001111",
            id_number=resident_id("44022919900101234"),
            matter="医保异地备案",
            problem="异地就医备案多次提交未通过",
        )
        assert_usable(window)
        step = "transfer"
        transfer(window, department=DEPARTMENT, category="hard_to_do", request="请核实备案材料")
        assert_usable(window)
        window.goto(live_system.url(HALL, f"/cases/{case_id}/print/registration/"))
        assert_usable(window)

        step = "inbox"
        log_in(department, live_system, HALL, "wengyuan_rsj", "/inbox/")
        assert_usable(department)
        row = department.locator("table.inbox tbody tr").filter(has_text=number)
        assert row.count() == 1, f"{number} is not in the department's inbox"
        view = row.locator("a[href*='/slips/']").last
        assert view.is_visible()
        with department.expect_navigation():
            view.click()
        assert re.search(r"/slips/\d+/$", department.url), department.url
        assert_usable(department)
        slip_url = department.url
        step = "reply"
        submit(department, department.locator("form.step-receive"))
        reply = department.locator("form.step-reply")
        reply.locator("input[name=result][value=done]").check()
        reply.locator("textarea[name=reply]").fill("备案材料已补正，备案已通过。")
        submit(department, reply)
        assert department.locator("h1 .tag-status.status-replied").count() == 1, messages_on(department)
        assert_usable(department)
        department.goto(slip_url + "print/")
        assert_usable(department)

        step = "feedback"
        window.goto(live_system.url(HALL, f"/cases/{case_id}/"))
        assert window.locator("span.status.status-replied").count() == 1
        assert_usable(window)
        feedback = window.locator("form[action$='/feedback/']")
        feedback.locator("select[name=method]").select_option("phone")
        feedback.locator("textarea[name=content]").fill("电话告知：备案已通过。")
        submit(window, feedback)
        assert window.locator("span.status.status-fed_back").count() == 1, messages_on(window)
        assert_usable(window)
        window.goto(live_system.url(HALL, "/cases/"))
        assert window.locator("table.cases tbody tr").filter(has_text=number).is_visible()
        assert_usable(window)
    except BaseException:
        shoot(window, f"phone-{step}-window")
        shoot(department, f"phone-{step}-department")
        raise


def test_the_checks_fail_on_a_page_that_is_too_wide_or_unlabelled(live_system: LiveSystem, browser: Any) -> None:
    page = phone_page(browser)
    log_in(page, live_system, HALL, "wengyuan_window", "/cases/new/")
    assert_fits_phone(page)
    page.evaluate(  # a script's style, which the Content-Security-Policy allows (an inline style it does not)
        "() => { const wide = document.createElement('div'); wide.id = 'wide'; wide.style.width = '900px';"
        " wide.textContent = 'x';"
        " document.querySelector('main').append(wide); }"
    )
    with pytest.raises(AssertionError, match=r"scrolls sideways by \d+ px at 390 px wide; widest element: div#wide"):
        assert_fits_phone(page)
    page.evaluate("document.querySelector('label[for=id_phone]').remove()")
    with pytest.raises(AssertionError, match=r"label \(critical\): #id_phone"):
        assert_accessible(page)
