"""The staff pages (docs/staff-admin.md) on a phone: nothing wider than the screen, every field with
its label. The pages are rendered by the test client and shown in Chromium with their stylesheets."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import sync_playwright

from tenants.models import Department, Hall
from tests.browser.test_print_one_page import inline_styles
from tests.conftest import client_for, user

PHONE = {"width": 360, "height": 740}

# Inputs a person fills in (hidden ones and the header's language picker aside) without a label.
UNLABELLED = """() => [...document.querySelectorAll('main input, main select, main textarea')]
  .filter(e => e.type !== 'hidden' && !(e.labels && e.labels.length) && !e.getAttribute('aria-label'))
  .map(e => e.name)"""
WIDTHS = "() => [document.documentElement.scrollWidth, window.innerWidth]"


def test_the_staff_pages_fit_a_phone_and_label_every_field(chromium_path: str, demo: dict[str, Hall]) -> None:
    lead = client_for("wengyuan_lead", "wengyuan")
    window = user("wengyuan_window")
    rsj = Department.objects.get(hall__code="wengyuan", code="rsj")
    pages: dict[str, str] = {}
    for path in (
        "/staff/",
        "/staff/new/",
        f"/staff/{window.pk}/",
        "/staff/departments/",
        f"/staff/departments/{rsj.pk}/",
    ):
        answer = lead.get(path)
        assert answer.status_code == 200, path
        pages[path] = answer.content.decode()
    refused = lead.post("/staff/new/", {"username": "wengyuan_window", "password": "1", "kind": "platform_operator"})
    pages["refused"] = refused.content.decode()

    found: dict[str, Any] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport=PHONE)
            for name, html in pages.items():
                page.set_content(inline_styles(html))
                found[name] = (page.evaluate(WIDTHS), page.evaluate(UNLABELLED))
        finally:
            browser.close()

    for name, ((scroll_width, inner_width), unlabelled) in found.items():
        assert scroll_width <= inner_width, f"{name} is {scroll_width} px wide on a {inner_width} px phone"
        assert unlabelled == [], f"{name}: fields without a label: {unlabelled}"
