"""The hall's home is the person's to-do (casework.web.views.hall_home): sections per role, most
urgent first, the counts 逾期 / 临期 / 今日到期, a constant number of queries."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from casework.services import slip_reply, slip_return
from hallplatform.accounts.services import staff_create
from tenants.models import Hall
from tests.casework.support import draft, install_clock, register, slips_of, transfer
from tests.casework.web.conftest import in_hall
from tests.conftest import client_for, user


def section(page: str, key: str) -> str:
    match = re.search(rf'id="todo-{key}".*?</div>', page, re.S)
    assert match is not None, key
    return match.group(0)


def counts(page: str) -> dict[str, int]:
    return {name: int(n) for name, n in re.findall(r'data-count="(\w+)">(\d+)<', page)}


@pytest.fixture
def work(wengyuan: Hall, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Monday: one case to screen, one replied (its feedback due by Monday afternoon), one whose slip
    the department returned, one waiting on the department; then it is Wednesday morning."""
    clock = install_clock(monkeypatch)
    to_screen = register(wengyuan)
    replied = transfer(register(wengyuan), draft("wengyuan/rsj"))
    slip_reply(slip=slips_of(replied)[0], actor=user("wengyuan_rsj"), result="done", reply="已办结")
    returned = transfer(register(wengyuan), draft("wengyuan/rsj"))
    slip_return(slip=slips_of(returned)[0], actor=user("wengyuan_rsj"), reason="不属于本部门职责")
    waiting = transfer(register(wengyuan), draft("wengyuan/rsj"))
    clock.set("2026-03-04 09:00")
    return {"to_screen": to_screen, "replied": replied, "returned": returned, "waiting": waiting}


def test_the_window_sees_what_waits_on_it_with_counts(work: dict[str, Any], wengyuan: Hall) -> None:
    page = client_for("wengyuan_window", "wengyuan").get("/").content.decode()

    assert work["to_screen"].number in section(page, "to_screen")
    assert work["replied"].number not in section(page, "to_screen")
    assert work["replied"].number in section(page, "feedback")
    assert f"/cases/{work['replied'].pk}/" in section(page, "feedback")
    assert slips_of(work["returned"])[0].number in section(page, "returned")
    assert work["waiting"].number not in page
    assert counts(page) == {"overdue": 1, "due_soon": 0, "due_today": 0}
    assert 'id="todo-hall_overdue"' not in page and 'id="todo-slips"' not in page


def test_the_lead_sees_the_halls_overdue_work_and_the_department_its_slips(work: dict[str, Any]) -> None:
    lead = client_for("wengyuan_lead", "wengyuan").get("/").content.decode()
    department = client_for("wengyuan_rsj", "wengyuan").get("/").content.decode()

    overdue = section(lead, "hall_overdue")
    assert work["replied"].number in overdue and work["waiting"].number not in overdue
    assert 'id="todo-meeting_requests"' in lead
    assert 'id="todo-to_screen"' not in lead
    waiting_slip = slips_of(work["waiting"])[0]
    assert waiting_slip.number in section(department, "slips")
    assert f"/slips/{waiting_slip.pk}/" in section(department, "slips")
    assert slips_of(work["replied"])[0].number not in department
    assert counts(department)["overdue"] == 0
    assert 'id="todo-to_screen"' not in department


def test_another_halls_staff_sees_none_of_it(work: dict[str, Any]) -> None:
    staff_create(
        username="nanxiong_window", password="x", kind="window_staff", hall_code="nanxiong", check_password=False
    )
    page = client_for("nanxiong_window", "nanxiong").get("/").content.decode()

    assert work["to_screen"].number not in page and work["replied"].number not in page
    assert counts(page) == {"overdue": 0, "due_soon": 0, "due_today": 0}


def test_the_home_costs_the_same_number_of_queries_for_few_and_many_items(
    wengyuan: Hall, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_clock(monkeypatch)
    client = client_for("wengyuan_window", "wengyuan")
    client.get("/")  # sessions and caches warm
    in_hall(wengyuan)

    def cost() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/").status_code == 200
        in_hall(wengyuan)
        return len(queries)

    transfer(register(wengyuan), draft("wengyuan/rsj"))
    register(wengyuan)
    few = cost()
    for _ in range(4):
        transfer(register(wengyuan), draft("wengyuan/rsj"))
        register(wengyuan)
    assert cost() == few
