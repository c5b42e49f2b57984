"""List endpoints cost the same number of queries for 2 rows as for 10 (no N+1)."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext

from casework.services import Registration, SlipDraft, case_register, case_transfer
from hallplatform.schemas import use_hall_schema, use_public_schema
from tests.casework.api.support import Api, api, dept, registration
from tests.conftest import user


def add_cases(hall: Any, n: int) -> None:
    """``n`` cases in wengyuan, every other one transferred to the county's and the city's 人社."""
    use_hall_schema(hall)
    window = user("wengyuan_window")
    for i in range(n):
        case = case_register(hall=hall, actor=window, data=Registration(**registration(matter_name=f"事项{i}")))
        if i % 2 == 0:
            case_transfer(
                case=case,
                actor=window,
                category="hard_to_do",
                slips=[
                    SlipDraft(department_id=dept("wengyuan/rsj").pk, request="核实"),
                    SlipDraft(department_id=dept("shaoguan/rsj").pk, request="协调", complexity="complex"),
                ],
            )
    use_public_schema()


def queries(client: Api, path: str, rows: int) -> int:
    client.get(path)  # the host's route is cached after the first request
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200
    assert response.json()["count"] == rows
    return len(captured)


def test_case_list_queries_do_not_grow_with_rows(demo: dict[str, Any]) -> None:
    window = api("wengyuan_window")
    add_cases(demo["wengyuan"], 2)
    two = queries(window, "/api/v1/cases/", 2)

    add_cases(demo["wengyuan"], 8)
    ten = queries(window, "/api/v1/cases/", 10)

    assert ten == two, (two, ten)
    assert sum(1 for row in window.get("/api/v1/cases/").json()["results"] if row["badge"]) == 5


def test_inbox_queries_do_not_grow_with_rows(demo: dict[str, Any]) -> None:
    on_portal, on_hall = api("shaoguan_rsj", None), api("shaoguan_rsj", "nanxiong")
    add_cases(demo["wengyuan"], 4)  # 2 slips to the city's 人社
    two = (queries(on_portal, "/api/v1/inbox/", 2), queries(on_hall, "/api/v1/inbox/", 2))

    add_cases(demo["wengyuan"], 16)
    ten = (queries(on_portal, "/api/v1/inbox/", 10), queries(on_hall, "/api/v1/inbox/", 10))

    assert ten == two, (two, ten)
