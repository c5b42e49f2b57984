"""Isolation of the casework API: every case and slip route, found by introspecting the URL conf, with
real ids of wengyuan's case and slips, answers 404 to anyone who may not see them, 403 to a reader
who tries to write; the inbox shows a department its own slips only."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone

from hallplatform.accounts.services import staff_create
from hallplatform.checks import iter_views
from hallplatform.deadlines.models import Deadline, DeadlineKind
from tests.casework.api.support import api, counts, dept, register

# Every route of the casework API and the methods it answers (found, not listed, so that a new one
# cannot be forgotten). Asking a route for a method it does not have is 405 whatever the id.
METHODS = {
    "/" + route: tuple(m for m in ("get", "post") if hasattr(view.cls, m))
    for route, view in iter_views(settings.ROOT_URLCONF)
    if getattr(getattr(view, "cls", None), "__module__", "") == "casework.api.views"
}
ROUTES = sorted(METHODS)
CASE_ROUTES = [r for r in ROUTES if r.startswith("/api/v1/cases/<int:pk>/")]
SLIP_ROUTES = [r for r in ROUTES if r.startswith("/api/v1/slips/<int:pk>/")]
WINDOW_SLIP_ROUTES = [r for r in SLIP_ROUTES if r.endswith(("/reroute/", "/withdraw/"))]
DEPARTMENT_SLIP_ROUTES = [r for r in SLIP_ROUTES if r not in WINDOW_SLIP_ROUTES]
HALL_ROUTES = [r for r in ROUTES if "<int:pk>" not in r and r != "/api/v1/inbox/"]


def test_the_routes_are_found() -> None:
    assert "/api/v1/cases/<int:pk>/transfer/" in CASE_ROUTES
    assert "/api/v1/slips/<int:pk>/reply/" in DEPARTMENT_SLIP_ROUTES
    assert WINDOW_SLIP_ROUTES == ["/api/v1/slips/<int:pk>/reroute/", "/api/v1/slips/<int:pk>/withdraw/"]
    assert {
        "/api/v1/cases/",
        "/api/v1/cases/lookup/",
        "/api/v1/departments/",
        "/api/v1/incoming-slips/",  # the hall lead's slips from other halls (异地转办)
    } == set(HALL_ROUTES)
    assert "/api/v1/inbox/" in ROUTES


@pytest.fixture
def wengyuan_case(demo: object) -> dict[str, Any]:
    """A wengyuan case transferred to wengyuan's 人社 and the city's 人社."""
    window = api("wengyuan_window")
    case = register(window)
    body = {
        "version": case["version"],
        "category": "hard_to_do",
        "slips": [
            {"department": dept("wengyuan/rsj").pk, "request": "核实参保记录"},
            {"department": dept("shaoguan/rsj").pk, "request": "协调跨县转移"},
        ],
    }
    response = window.post(f"/api/v1/cases/{case['id']}/transfer/", body)
    assert response.status_code == 200
    return dict(response.json())


def path(route: str, pk: int) -> str:
    return route.replace("<int:pk>", str(pk))


def assert_404_everywhere(client: Any, routes: list[str], pk: int) -> None:
    for route in routes:
        for method in METHODS[route]:
            response = getattr(client, method)(path(route, pk))
            assert response.status_code == 404, f"{method} {route}: {response.status_code}"
            assert response.json()["code"] == "not_found"


def test_another_halls_staff_with_real_ids_get_404(wengyuan_case: dict[str, Any]) -> None:
    staff_create(
        username="nanxiong_window", password="x", kind="window_staff", hall_code="nanxiong", check_password=False,
        may_reveal=True,
    )  # fmt: skip
    nanxiong = api("nanxiong_window", "nanxiong")
    slip_id = wengyuan_case["slips"][0]["id"]
    before = counts()

    assert_404_everywhere(nanxiong, CASE_ROUTES, wengyuan_case["id"])
    assert_404_everywhere(nanxiong, SLIP_ROUTES, slip_id)
    # their own hall's lists do not hold wengyuan's case
    assert nanxiong.get("/api/v1/cases/").json()["count"] == 0
    assert nanxiong.get("/api/v1/cases/lookup/", phone="13812345678").json()["count"] == 0
    assert nanxiong.get("/api/v1/inbox/").status_code == 404  # not a department
    assert counts() == before


@pytest.mark.parametrize("username", ["shaoguan_supervisor", "shaoguan_rsj"])
def test_city_roles_on_another_halls_host_get_404_with_real_ids(wengyuan_case: dict[str, Any], username: str) -> None:
    client = api(username, "nanxiong")

    case_id, slip_id = wengyuan_case["id"], wengyuan_case["slips"][1]["id"]
    for route in CASE_ROUTES + SLIP_ROUTES:
        pk = slip_id if route in SLIP_ROUTES else case_id
        for method in METHODS[route]:
            code = getattr(client, method)(path(route, pk)).status_code
            if username == "shaoguan_supervisor" and method == "post" and code == 403:
                # a reader's write is refused before any lookup: the same for an id that exists nowhere
                assert client.post(path(route, 999999)).status_code == 403
            else:
                assert code == 404, f"{method} {route}: {code}"


def test_a_department_that_is_not_the_slips_gets_404(wengyuan_case: dict[str, Any]) -> None:
    county_slip, city_slip = wengyuan_case["slips"]
    before = counts()

    # each department sees its own slip, and gets 404 on the other's
    assert api("wengyuan_rsj").get(f"/api/v1/slips/{county_slip['id']}/").status_code == 200
    assert api("shaoguan_rsj").get(f"/api/v1/slips/{city_slip['id']}/").status_code == 200
    assert_404_everywhere(api("wengyuan_rsj"), SLIP_ROUTES, city_slip["id"])
    assert_404_everywhere(api("shaoguan_rsj"), SLIP_ROUTES, county_slip["id"])
    assert counts() == before


@pytest.mark.parametrize("username", ["wengyuan_rsj", "shaoguan_rsj", "wengyuan_rsj_lead"])
def test_departments_see_nothing_of_the_case_but_through_their_slip(
    wengyuan_case: dict[str, Any], username: str
) -> None:
    client = api(username)

    assert_404_everywhere(client, CASE_ROUTES, wengyuan_case["id"])
    for route in HALL_ROUTES:
        assert client.get(route).status_code == 404, route
        assert client.post(route).status_code == 404, route


def test_window_staff_do_not_work_the_departments_slips(wengyuan_case: dict[str, Any]) -> None:
    assert_404_everywhere(api("wengyuan_window"), DEPARTMENT_SLIP_ROUTES, wengyuan_case["slips"][0]["id"])


def test_the_supervisor_reads_the_case_but_cannot_change_it(wengyuan_case: dict[str, Any]) -> None:
    supervisor = api("shaoguan_supervisor")
    case_id, slip = wengyuan_case["id"], wengyuan_case["slips"][0]
    before = counts()

    # reads
    assert supervisor.get("/api/v1/cases/").json()["count"] == 1
    detail = supervisor.get(f"/api/v1/cases/{case_id}/").json()
    assert detail["number"] == wengyuan_case["number"] and detail["actions"] == []
    assert supervisor.get(f"/api/v1/cases/{case_id}/timeline/").status_code == 200
    assert supervisor.get("/api/v1/cases/lookup/", phone="13812345678").json()["count"] == 1
    assert supervisor.get("/api/v1/departments/").status_code == 200

    # writes: 403 on every step of the window, with a full body so that only the role stands in the way
    body = {
        "version": detail["version"],
        "category": "consultation",
        "answer": "x",
        "reason": "petition",
        "field": "phone",
    }
    # the retention hold is the one change the supervisor may make (tests/casework/test_retention.py)
    for route in [r for r in CASE_ROUTES if "post" in METHODS[r] and not r.endswith("/retention-hold/")]:
        response = supervisor.post(path(route, case_id), body)
        assert response.status_code == 403, route
        assert response.json()["code"] == "permission_denied"
    assert supervisor.post("/api/v1/cases/", {}).status_code == 403
    for route in WINDOW_SLIP_ROUTES:
        assert supervisor.post(path(route, slip["id"]), {"version": 1, "reason": "x"}).status_code == 403, route
    assert_404_everywhere(supervisor, DEPARTMENT_SLIP_ROUTES, slip["id"])
    assert counts() == before


@pytest.mark.parametrize("username", ["shaoguan_supervisor", "shaoguan_rsj", "wengyuan_rsj", "operator"])
def test_cases_and_slips_do_not_exist_on_the_city_portal(wengyuan_case: dict[str, Any], username: str) -> None:
    portal = api(username, None)

    assert_404_everywhere(portal, CASE_ROUTES, wengyuan_case["id"])
    assert_404_everywhere(portal, SLIP_ROUTES, wengyuan_case["slips"][0]["id"])
    for route in HALL_ROUTES:
        assert portal.get(route).status_code == 404, route


def test_the_inbox_shows_a_department_its_own_slips_from_every_hall(wengyuan_case: dict[str, Any]) -> None:
    county_slip, city_slip = wengyuan_case["slips"]

    # the city's 人社 on the city portal and on a hall's host: the same rows
    on_portal = api("shaoguan_rsj", None).get("/api/v1/inbox/").json()
    on_hall = api("shaoguan_rsj", "nanxiong").get("/api/v1/inbox/").json()
    assert on_portal == on_hall
    assert [row["slip_number"] for row in on_portal["results"]] == [city_slip["number"]]
    row = on_portal["results"][0]
    assert row["slip_id"] == city_slip["id"] and row["case_number"] == wengyuan_case["number"]
    assert (row["hall"], row["hall_name"]) == ("wengyuan", "翁源县政务服务中心")
    assert row["department_name"] == "韶关市人力资源和社会保障局"
    assert row["matter_name"] == "社保卡补办" and row["complexity"] == "ordinary" and row["status"] == "sent"
    assert row["badge"] in ("green", "yellow", "red") and row["due_at"]
    assert row["url"] == f"http://wengyuan.{settings.BASE_DOMAIN}/slips/{city_slip['id']}/"
    assert row["api_url"] == f"http://wengyuan.{settings.BASE_DOMAIN}/api/v1/slips/{city_slip['id']}/"
    assert "13812345678" not in str(on_portal) and "张" not in str(on_portal)

    # the county's 人社 sees its own only
    county = api("wengyuan_rsj", None).get("/api/v1/inbox/").json()
    assert [row["slip_id"] for row in county["results"]] == [county_slip["id"]]

    # window staff, the supervisor and the operator have no inbox
    for username, code in [("wengyuan_window", "wengyuan"), ("shaoguan_supervisor", None), ("operator", None)]:
        assert api(username, code).get("/api/v1/inbox/").status_code == 404, username


def test_inbox_filters(wengyuan_case: dict[str, Any]) -> None:
    inbox = api("shaoguan_rsj", None)
    city_slip = wengyuan_case["slips"][1]

    assert inbox.get("/api/v1/inbox/", hall="wengyuan").json()["count"] == 1
    assert inbox.get("/api/v1/inbox/", hall="nanxiong").json()["count"] == 0
    assert inbox.get("/api/v1/inbox/", hall="nowhere").json()["count"] == 0
    assert inbox.get("/api/v1/inbox/", status="replied").json()["count"] == 0
    assert inbox.get("/api/v1/inbox/", overdue="true").json()["count"] == 0
    assert inbox.get("/api/v1/inbox/", status="nonsense").status_code == 400

    # a returned slip leaves the open inbox, and is still there with include_closed
    on_hall = api("shaoguan_rsj")
    on_hall.post(f"/api/v1/slips/{city_slip['id']}/return/", {"version": city_slip["version"], "reason": "属县级事权"})
    assert inbox.get("/api/v1/inbox/").json()["count"] == 0
    closed = inbox.get("/api/v1/inbox/", include_closed="true").json()
    assert [(row["slip_id"], row["status"], row["badge"]) for row in closed["results"]] == [
        (city_slip["id"], "returned", None)
    ]


def test_overdue_slips_are_red_in_the_inbox(wengyuan_case: dict[str, Any]) -> None:
    county_slip = wengyuan_case["slips"][0]
    Deadline.objects.filter(
        hall__code="wengyuan", kind=DeadlineKind.SLIP_REPLY, subject_id=str(county_slip["id"])
    ).update(due_at=timezone.now() - timedelta(hours=1))

    overdue = api("wengyuan_rsj", None).get("/api/v1/inbox/", overdue="true").json()

    assert [(row["slip_id"], row["badge"]) for row in overdue["results"]] == [(county_slip["id"], "red")]
    listed = api("wengyuan_window").get("/api/v1/cases/").json()["results"]
    assert listed[0]["badge"]["colour"] == "red"
