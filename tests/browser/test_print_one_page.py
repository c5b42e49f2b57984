"""The city's print sheets (督办单, 会议纪要, 会议通知) come out of Chromium as one A4 page: no second
page holding only the footnote. The page is rendered by Django and printed to PDF with the site's CSS."""

from __future__ import annotations

import re
from pathlib import Path

from django.contrib.staticfiles import finders
from playwright.sync_api import sync_playwright

from tenants.models import Hall
from tests.conftest import client_for
from tests.coordination.web.conftest import dept, register
from tests.coordination.web.test_meeting_pages import convene_city_meeting, minutes_data
from tests.coordination.web.test_order_pages import issue


def inline_styles(html: str) -> str:
    """The page with its stylesheets put inline, to be shown without a server."""
    css = "".join(
        Path(str(finders.find(href))).read_text(encoding="utf-8")
        for href in re.findall(r'href="/static/([^"]+\.css)"', html)
    )
    return re.sub(r'<link rel="stylesheet"[^>]*>', "", html).replace("</head>", f"<style>{css}</style></head>")


def printed_pages(chromium_path: str, html: str) -> int:
    """Pages of the PDF Chromium prints from the page, its stylesheet put inline (no server here).
    Playwright is started only here, after the database work: its loop would refuse Django's ORM."""
    html = inline_styles(html)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.set_content(html)
            page.emulate_media(media="print")
            pdf = page.pdf(prefer_css_page_size=True)
        finally:
            browser.close()
    return len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf))


def test_the_supervision_order_prints_on_one_page(chromium_path: str, demo: dict[str, Hall]) -> None:
    order = issue()

    html = client_for("shaoguan_supervisor", None).get(f"/orders/{order.pk}/print/").content.decode()

    assert printed_pages(chromium_path, html) == 1


def test_the_meeting_minutes_print_on_one_page(chromium_path: str, demo: dict[str, Hall]) -> None:
    case = register("wengyuan")
    meeting = convene_city_meeting(f"{case.number} | 跨县参保记录不一致")
    client = client_for("shaoguan_supervisor", None)
    rows = {}
    for i, code in enumerate(["wengyuan/rsj", "nanxiong/rsj", "shaoguan/rsj"]):
        rows |= {f"resolutions-{i}-owner_department": dept(code).pk, f"resolutions-{i}-action": "核实参保记录并答复",
                 f"resolutions-{i}-days": "5"}  # fmt: skip
    assert client.post(f"/meetings/{meeting.pk}/minutes/", minutes_data(meeting, **rows)).status_code == 302

    for path in [f"/meetings/{meeting.pk}/print/minutes/", f"/meetings/{meeting.pk}/print/notice/"]:
        assert printed_pages(chromium_path, client.get(path).content.decode()) == 1, path
