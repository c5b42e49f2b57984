"""Each role lands on its to-do (the hall's home and the city host's home), in a real browser: the
work a step creates shows up in the right person's section, and the counts 逾期 / 临期 / 今日到期 at
the top agree with the deadline badges of the rows below."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import LiveSystem
from tests.browser.flows import log_in, log_out, new_page, register_case, resident_id, shoot, transfer

HALL = "wengyuan"
DEPARTMENT = "翁源县人力资源和社会保障局"  # wengyuan/rsj
CITY_DEPARTMENT = "韶关市人力资源和社会保障局"  # shaoguan/rsj


def total(page: Any, key: str) -> int:
    return int(page.locator(f"[data-total={key}]").inner_text())


def section_text(page: Any, key: str) -> str:
    return str(page.locator(f"#todo-{key}").inner_text())


def assert_counts_agree(page: Any, who: str) -> None:
    """The summary's overdue and due-soon counts are those of the red and yellow badges of the rows
    (every section here shows all its rows: fewer than the page's twenty)."""
    for key, colour in (("overdue", "red"), ("due_soon", "yellow")):
        shown = int(page.locator(f"[data-count={key}]").inner_text())
        rows = page.locator(f".card.todo tbody .dl-{colour}").count()
        assert shown == rows, f"{who}: {key} says {shown}, the rows have {rows} {colour} badges"


def test_each_role_lands_on_its_own_work(live_system: LiveSystem, browser: Any) -> None:
    window, department, lead = new_page(browser), new_page(browser), new_page(browser)
    supervisor, city_department = new_page(browser), new_page(browser)
    step = "window home"
    try:
        log_in(window, live_system, HALL, "wengyuan_window")
        before = total(window, "to_screen")
        assert_counts_agree(window, "window")
        for key in ("returned", "feedback", "follow_up"):
            assert window.locator(f"#todo-{key}").count() == 1, key
        assert window.locator("#todo-slips").count() == 0

        step = "register"
        window.goto(live_system.url(HALL, "/cases/new/"))
        _case_id, number = register_case(
            window,
            name="王小红",
            phone="13711112222",
            id_number=resident_id("44022919850101123"),
            matter="灵活就业社保补贴申领",
            problem="窗口称需单位证明，申请人为灵活就业人员无法提供",
        )
        window.goto(live_system.url(HALL, "/"))
        assert total(window, "to_screen") == before + 1
        assert number in section_text(window, "to_screen")

        step = "transfer"
        window.goto(live_system.url(HALL, f"/cases/{_case_id}/"))
        transfer(window, department=DEPARTMENT, category="refused", request="请说明需单位证明的依据")
        register_case_via(window, live_system)
        transfer(window, department=CITY_DEPARTMENT, category="hard_to_do", request="请协调办理")
        window.goto(live_system.url(HALL, "/"))
        assert total(window, "to_screen") == before
        assert number not in section_text(window, "to_screen")
        assert_counts_agree(window, "window")
        log_out(window)

        step = "department home"
        log_in(department, live_system, HALL, "wengyuan_rsj")
        first_row = department.locator("#todo-slips tbody tr").filter(has_text="灵活就业社保补贴申领")
        assert first_row.count() >= 1
        assert first_row.first.locator(".dl").count() == 1  # the slip's deadline badge
        assert department.locator("#todo-to_screen").count() == 0
        assert_counts_agree(department, "department")
        # one click to act: the row's link opens the slip page
        with department.expect_navigation():
            first_row.first.locator("a").click()
        assert "/slips/" in department.url

        step = "lead home"
        log_in(lead, live_system, HALL, "wengyuan_lead")
        for key in ("hall_overdue", "meeting_requests", "orders"):
            assert lead.locator(f"#todo-{key}").count() == 1, key
        assert lead.locator("#todo-to_screen").count() == 0
        assert_counts_agree(lead, "lead")

        step = "supervisor home"
        log_in(supervisor, live_system, None, "shaoguan_supervisor")
        assert number in section_text(supervisor, "proposals_flagged")
        for key in ("proposals_red", "meeting_requests", "orders_responded"):
            assert supervisor.locator(f"#todo-{key}").count() == 1, key
        assert_counts_agree(supervisor, "supervisor")

        step = "city department home"
        log_in(city_department, live_system, None, "shaoguan_rsj")
        assert "异地就医备案" in section_text(city_department, "slips")
        assert "灵活就业社保补贴申领" not in section_text(city_department, "slips")  # another department's
        assert city_department.locator("#todo-proposals_flagged").count() == 0
        assert city_department.locator("h1").inner_text().strip() != "市局督查门户"
        assert_counts_agree(city_department, "city department")
    except Exception:
        for name, page in (("window", window), ("department", department), ("lead", lead)):
            shoot(page, f"homes-{step}-{name}")
        shoot(supervisor, f"homes-{step}-supervisor")
        shoot(city_department, f"homes-{step}-city-department")
        raise


def register_case_via(window: Any, live: LiveSystem) -> tuple[int, str]:
    window.goto(live.url(HALL, "/cases/new/"))
    return register_case(
        window,
        name="赵大海",
        phone="13711113333",
        id_number=resident_id("44022919800202123"),
        matter="异地就医备案",
        problem="县级窗口无法办理异地就医备案，需市级部门协调",
    )
