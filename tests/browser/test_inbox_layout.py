"""The department inbox keeps its 查看 button on one line when the table is squeezed."""

from __future__ import annotations

from playwright.sync_api import sync_playwright

from tenants.models import Hall
from tests.browser.test_print_one_page import inline_styles
from tests.conftest import client_for
from tests.coordination.web.conftest import register

COUNT_LINES = """() => [...document.querySelectorAll('table.inbox a.button')].map(a => {
  const range = document.createRange(); range.selectNodeContents(a); return range.getClientRects().length; })"""


def test_the_view_button_of_the_inbox_does_not_wrap(chromium_path: str, demo: dict[str, Hall]) -> None:
    register("wengyuan", transfer_to="wengyuan/rsj")
    html = client_for("wengyuan_rsj", "wengyuan").get("/inbox/").content.decode()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 900, "height": 800})
            page.set_content(inline_styles(html))
            lines = page.evaluate(COUNT_LINES)
        finally:
            browser.close()

    assert lines == [1]
