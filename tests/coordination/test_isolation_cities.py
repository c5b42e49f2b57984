"""Nothing of one city reaches another, nor a hall's staff who take no part: every city-level API route,
found by introspecting the URL confs, is tried with the REAL ids of a Shaoguan meeting, resolution,
order and slip by Qingyuan's supervisor and departments and by Shaoguan county staff who are not
participants, GET and POST: 404 each time, and nothing changes."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.conf import settings

from coordination.models import MeetingResolution, SupervisionOrder
from hallplatform.checks import iter_views
from tests.coordination.support import api, counts, dept, hall, meeting_body, register, slip_index_of, staff

CITY_API_MODULE = "coordination.api.views"


def city_routes(urlconf: str) -> list[tuple[str, Any]]:
    """(route, view class) of every city-level API route of a URL conf."""
    found = []
    for route, view in iter_views(urlconf):
        cls = getattr(view, "cls", None)
        if cls is not None and cls.__module__ == CITY_API_MODULE:
            found.append((route, cls))
    return sorted(found, key=lambda item: item[0])


HALL_ROUTES = city_routes(settings.ROOT_URLCONF)
PUBLIC_ROUTES = city_routes(settings.PUBLIC_SCHEMA_URLCONF)
ID_ROUTES = [(route, cls) for route, cls in HALL_ROUTES if "<int:pk>" in route]
LIST_ROUTES = [(route, cls) for route, cls in HALL_ROUTES if "<" not in route]

# Which object's id each kind of route takes (a new kind of route must be added here).
ID_KINDS = {"meetings": "meeting", "resolutions": "resolution", "orders": "order", "slip-index": "slip"}

# (username, host) of people who must not see Shaoguan's meeting, resolution, order or slip:
# Qingyuan's supervisor and departments, a Qingyuan hall's staff, and Shaoguan's wengyuan staff
# (the meeting and the order concern nanxiong and the city), on their own hosts and on the portal.
OUTSIDERS = [
    ("qingyuan_supervisor", None),
    ("qingyuan_supervisor", "qingyuan"),
    ("qingyuan_supervisor", "qingcheng"),
    ("qingyuan_rsj", None),
    ("qingyuan_rsj", "qingyuan"),
    ("qingyuan_rsj", "qingcheng"),
    ("qingcheng_lead", "qingcheng"),
    ("qingcheng_window", "qingcheng"),
    ("wengyuan_window", "wengyuan"),
    ("wengyuan_lead", "wengyuan"),
    ("wengyuan_rsj", "wengyuan"),
    ("wengyuan_rsj", None),
    ("wengyuan_rsj_lead", "wengyuan"),
    ("wengyuan_rsj_lead", None),
    # on the host of the hall concerned, without a role there
    ("wengyuan_lead", "nanxiong"),
    ("qingyuan_rsj", "nanxiong"),
]


def path_of(route: str, pk: int) -> str:
    return "/" + route.replace("<int:pk>", str(pk))


def kind_of(route: str) -> str:
    return re.sub(r"^api/v1/", "", route).split("/", 1)[0]


def test_introspection_finds_every_city_route_on_both_hosts() -> None:
    assert {route for route, _ in HALL_ROUTES} == {route for route, _ in PUBLIC_ROUTES}
    assert len(ID_ROUTES) >= 10 and len(LIST_ROUTES) >= 5
    assert {kind_of(route) for route, _ in ID_ROUTES} == set(ID_KINDS)


@pytest.fixture
def shaoguan(demo: object) -> dict[str, int]:
    """A Shaoguan city meeting (the city's and nanxiong's 人社局, nanxiong's hall, a nanxiong case),
    held, with a resolution for nanxiong's 人社局; an order to it; the case's slip. Real ids."""
    case = register("nanxiong", refused=True)
    supervisor = api("shaoguan_supervisor")
    meeting = supervisor.post(
        "/api/v1/meetings/",
        meeting_body(
            departments=[dept("nanxiong/rsj").pk],
            halls=[hall("nanxiong").pk],
            cases=[{"hall": hall("nanxiong").pk, "case_id": case.pk, "summary": "跨县协调"}],
        ),
    ).json()
    supervisor.post(
        f"/api/v1/meetings/{meeting['id']}/minutes/",
        {
            "version": meeting["version"],
            "minutes": "纪要",
            "outcome": "结论",
            "resolutions": [{"owner_department": dept("nanxiong/rsj").pk, "action": "出具证明", "days": 3}],
        },
    )
    order = supervisor.post(
        "/api/v1/orders/",
        {
            "target_hall": hall("nanxiong").pk,
            "target_department": dept("nanxiong/rsj").pk,
            "reason": "不给办",
            "required_action": "办结并答复",
            "days": 3,
            "case": {"hall": hall("nanxiong").pk, "case_id": case.pk},
        },
    ).json()
    return {
        "meeting": meeting["id"],
        "resolution": MeetingResolution.objects.get(meeting_id=meeting["id"]).pk,
        "order": order["id"],
        "slip": slip_index_of("nanxiong", case.pk).pk,
    }


def post_body(ids: dict[str, int]) -> dict[str, Any]:
    """A body every POST route would accept from someone entitled: refusal must come from the id."""
    return {
        "version": 1,
        "invitation": 0,
        "response": "accepted",
        "note": "x",
        "report": "x",
        "minutes": "x",
        "outcome": "x",
        "resolutions": [],
        "handler": staff("nanxiong_rsj").pk,
    }


@pytest.mark.parametrize(("route", "cls"), ID_ROUTES, ids=[route for route, _ in ID_ROUTES])
def test_outsiders_get_404_with_real_ids_on_every_route(shaoguan: dict[str, int], route: str, cls: Any) -> None:
    # given real ids of Shaoguan's meeting, resolution, order and slip
    path = path_of(route, shaoguan[ID_KINDS[kind_of(route)]])
    before = counts()
    order_version = SupervisionOrder.objects.get(pk=shaoguan["order"]).version

    for username, host in OUTSIDERS:
        client = api(username, host)
        # when an outsider asks for it, by every method the route answers
        for method in ("get", "post"):
            if not hasattr(cls, method):
                continue
            response = client.get(path) if method == "get" else client.post(path, post_body(shaoguan))
            # then it is not found, in the API's error shape
            assert response.status_code == 404, f"{username}@{host} {method.upper()} {path}: {response.status_code}"
            assert response.json()["code"] == "not_found"

    # and nothing changed
    assert counts() == before
    assert SupervisionOrder.objects.get(pk=shaoguan["order"]).version == order_version


@pytest.mark.parametrize(("route", "cls"), ID_ROUTES, ids=[route for route, _ in ID_ROUTES])
def test_the_ids_are_real_a_participant_reaches_them(shaoguan: dict[str, int], route: str, cls: Any) -> None:
    """The control of the test above: nanxiong's 人社局 (the addressee) and the supervisor get past 404."""
    path = path_of(route, shaoguan[ID_KINDS[kind_of(route)]])
    for username, host in (("nanxiong_rsj", "nanxiong"), ("nanxiong_rsj", None), ("shaoguan_supervisor", None)):
        client = api(username, host)
        if hasattr(cls, "get"):
            assert client.get(path).status_code == 200, f"{username}@{host} GET {path}"
        elif username == "nanxiong_rsj":
            # a POST with an empty body reaches the object and is refused for its input, or for its state
            assert client.post(path, {}).status_code in (400, 409), f"{username}@{host} POST {path}"


@pytest.mark.parametrize(("route", "cls"), LIST_ROUTES, ids=[route for route, _ in LIST_ROUTES])
def test_lists_of_another_city_show_nothing_of_shaoguan(shaoguan: dict[str, int], route: str, cls: Any) -> None:
    meeting_number = api("shaoguan_supervisor").get(f"/api/v1/meetings/{shaoguan['meeting']}/").json()["number"]
    order_number = SupervisionOrder.objects.get(pk=shaoguan["order"]).number
    for username, host in OUTSIDERS:
        response = api(username, host).get("/" + route)
        assert response.status_code in (200, 404, 405), f"{username}@{host} {route}: {response.status_code}"
        body = response.content.decode()
        for secret in (meeting_number, order_number, "南雄", "nanxiong", "韶关"):
            assert secret not in body, f"{username}@{host} {route} shows {secret}"


def test_another_citys_supervisor_cannot_convene_with_shaoguans_units_or_cases(shaoguan: dict[str, int]) -> None:
    before = counts()
    qingyuan = api("qingyuan_supervisor")

    meeting = qingyuan.post(
        "/api/v1/meetings/",
        {**meeting_body(lead_department=dept("qingyuan/rsj").pk), "departments": [dept("nanxiong/rsj").pk]},
    )
    order = qingyuan.post(
        "/api/v1/orders/",
        {"target_hall": hall("nanxiong").pk, "reason": "r", "required_action": "a", "days": 2},
    )

    assert meeting.status_code == 400 and {"departments", "halls"} <= set(meeting.json()["fields"])
    assert order.status_code == 400 and set(order.json()["fields"]) == {"target_hall"}
    assert counts() == before
