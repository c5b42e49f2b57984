"""The header's search box and the searchable pickers in a real browser (picker.js): the window
finds a case by words of its matter and by the phone, filters the transfer form's departments by
pinyin initials and transfers as before; the hall lead picks departments and a case on the meeting
form."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from tests.browser.conftest import LiveSystem
from tests.browser.flows import log_in, new_page, register_case, resident_id, shoot, submit, transfer

PHONE = "13922223333"
MATTER = "营业执照变更登记"

# the departments' rows (the group headings of 异地转办 — own hall, city level, other counties — have no label)
VISIBLE_ROWS = """() => [...document.querySelectorAll('table.departments tbody tr')]
  .filter(tr => tr.offsetParent !== null && tr.querySelector('label'))
  .map(tr => tr.querySelector('label').textContent.trim())"""


def header_search(page: Any, text: str) -> None:
    box = page.locator("form.header-search input[name=q]")
    box.fill(text)
    with page.expect_navigation():
        box.press("Enter")


def test_search_from_the_header_and_filter_the_transfer_picker_by_pinyin(live_system: LiveSystem, browser: Any) -> None:
    page = new_page(browser)
    try:
        log_in(page, live_system, "wengyuan", "wengyuan_window", "/cases/new/")
        case_id, number = register_case(
            page,
            name="王五",
            phone=PHONE,
            id_number=resident_id("44022919850505123"),
            matter=MATTER,
            problem="营业执照变更多次未办成",
        )

        # words of the matter, from any page's header
        page.goto(live_system.url("wengyuan", "/cases/"))
        header_search(page, "执照变更")
        assert page.url.endswith("/cases/search/")
        results = page.locator("#search-results")
        assert number in results.inner_text()
        # the phone: the masked row, the number typed not shown back
        header_search(page, "139 2222 3333")
        assert number in page.locator("#search-results").inner_text()
        assert PHONE not in page.content() and "王五" not in page.content()
        # nothing of another matter
        header_search(page, "户籍迁移")
        assert number not in page.locator("#search-results").inner_text()

        header_search(page, number)
        with page.expect_navigation():
            page.locator(f"#search-results a:has-text('{number}')").click()
        assert page.url.endswith(f"/cases/{case_id}/")

        # the transfer form's departments, filtered by pinyin initials
        form = page.locator("form[action$='/transfer/']")
        every = page.evaluate(VISIBLE_ROWS)
        assert len(every) >= 16
        form.locator("input[data-picker-filter]").fill("rsj")
        shown = page.evaluate(VISIBLE_ROWS)
        # every 人社局 of the city matches (异地转办 offers the other counties' too), the hall's own first
        assert len(shown) < len(every) and sum("人力资源和社会保障局" in name for name in shown) >= 11, shown
        assert shown[0] == "翁源县人力资源和社会保障局"
        form.locator("input[data-picker-filter]").fill("市场")
        assert [name for name in page.evaluate(VISIBLE_ROWS) if "市场监督管理局" not in name] == []
        form.locator("input[data-picker-filter]").fill("")
        assert page.evaluate(VISIBLE_ROWS) == every
        # filtered or not, the form posts as before
        form.locator("input[data-picker-filter]").fill("rsj")
        transfer(page, department="翁源县人力资源和社会保障局", category="hard_to_do", request="请核实营业执照变更事项")
    except Exception:
        shoot(page, "search-and-pickers-window")
        raise

    lead = new_page(browser)
    try:
        log_in(lead, live_system, "wengyuan", "wengyuan_lead", "/meetings/new/")
        form = lead.locator("form[action$='/meetings/new/']")
        assert not form.locator("select[name=departments]").is_visible()  # shown as checkboxes
        departments = form.locator(".picker-list").first
        filter_box = departments.locator("xpath=preceding-sibling::div[contains(@class,'picker-filter')][1]//input")
        filter_box.fill("rsj")
        visible = [text.strip() for text in departments.locator("label.picker-option:visible").all_inner_texts()]
        assert visible and all("人力资源和社会保障局" in text for text in visible), visible
        departments.locator("label.picker-option:visible", has_text="翁源县人力资源和社会保障局").locator(
            "input"
        ).check()
        chosen = lead.evaluate(
            "() => [...document.querySelector('select[name=departments]').selectedOptions].map(o => o.textContent)"
        )
        assert chosen == ["翁源县人力资源和社会保障局"]

        cases = form.locator("textarea[name=cases]")
        case_filter = cases.locator("xpath=preceding-sibling::div[contains(@class,'picker-filter')][1]//input")
        case_filter.fill(number[-5:])
        pick = lead.locator(f".case-picker-results button[data-case-number='{number}']")
        pick.click()
        assert cases.input_value().strip() == number
        pick.click()  # twice: still one line
        assert cases.input_value().strip() == number

        form.locator("input[name=subject]").fill("营业执照变更协调")
        form.locator("input[name=starts_at]").fill(
            (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%dT09:30")
        )
        form.locator("input[name=place]").fill("县政务服务中心会议室")
        form.locator("select[name=lead_department]").select_option(label="翁源县人力资源和社会保障局")
        form.locator("textarea[name=agenda]").fill("议定事项")
        submit(lead, form)
        assert "/meetings/new/" not in lead.url, lead.locator(".errorlist").all_inner_texts()
        assert number in lead.content()
    except Exception:
        shoot(lead, "search-and-pickers-lead")
        raise


def test_without_script_the_pickers_are_the_forms_of_before(live_system: LiveSystem, browser: Any) -> None:
    context = browser.new_context(locale="zh-CN", java_script_enabled=False)
    page = context.new_page()
    try:
        log_in(page, live_system, "wengyuan", "wengyuan_lead", "/meetings/new/", javascript=False)
        form = page.locator("form[action$='/meetings/new/']")
        assert form.locator("input[data-picker-filter]").count() == 0
        assert form.locator("select[name=departments]").is_visible()
        assert form.locator("textarea[name=cases]").is_visible()
        page.goto(live_system.url("wengyuan", "/cases/"))
        assert page.locator("form.header-search input[name=q]").is_visible()
    except Exception:
        shoot(page, "search-and-pickers-no-script")
        raise
    finally:
        context.close()
