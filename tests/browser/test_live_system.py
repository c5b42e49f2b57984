"""The live system of the browser tests answers on hall hosts and refuses the wrong login."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import LiveSystem


def test_a_hall_host_resolves_in_the_browser_and_login_is_refused_for_a_wrong_password(
    live_system: LiveSystem, browser: Any
) -> None:
    page = browser.new_page(locale="zh-CN")
    page.goto(live_system.url("wengyuan", "/"))
    assert "/accounts/login/" in page.url
    page.fill("input[name=username]", "wengyuan_window")
    page.fill("input[name=password]", "wrong-password")
    page.click("button[type=submit]")
    assert "/accounts/login/" in page.url
    page.fill("input[name=username]", "wengyuan_window")
    page.fill("input[name=password]", "bancheng-demo")
    page.click("button[type=submit]")
    page.wait_for_load_state()
    assert "/accounts/login/" not in page.url
    assert "翁源" in page.content()


def test_the_live_system_serves_its_static_files(live_system: LiveSystem, browser: Any) -> None:
    page = browser.new_page()
    response = page.goto(live_system.url("wengyuan", "/static/vendor/htmx.min.js"))
    assert response is not None and response.status == 200
    assert "htmx" in response.text()


def test_one_login_on_the_portal_opens_a_hall_in_the_browser(live_system: LiveSystem, browser: Any) -> None:
    """The city login (hallplatform/accounts/sso.py) in a real browser: the password once on the portal,
    then a hall's host opens without it, through the redirects and the ticket."""
    page = browser.new_page(locale="zh-CN")
    page.goto(live_system.url(None, "/"))
    assert "/accounts/login/" in page.url
    page.fill("input[name=username]", "shaoguan_supervisor")
    page.fill("input[name=password]", "bancheng-demo")
    page.click("button[type=submit]")
    page.wait_for_load_state()
    assert "/accounts/login/" not in page.url

    page.goto(live_system.url("nanxiong", "/"))
    page.wait_for_load_state()

    assert page.url.startswith(live_system.url("nanxiong", "/"))
    assert "/accounts/login/" not in page.url
    assert "南雄" in page.content()
