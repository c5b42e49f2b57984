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
