"""The city-level API as such: the OpenAPI schema, the portal (base domain, supervisors, the city asked
for), the error shape, and list endpoints whose number of queries does not grow with their rows."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator

from coordination.models import JointMeeting, MeetingResolution, SupervisionOrder
from coordination.services import (
    CaseRef,
    MeetingDraft,
    OrderDraft,
    ResolutionDraft,
    meeting_convene,
    meeting_record_minutes,
    order_issue,
)
from hallindex.models import CaseIndex, SlipIndex
from hallplatform.accounts.services import staff_create
from hallplatform.deadlines.models import Deadline
from tenants.models import Department, Hall
from tests.conftest import user
from tests.coordination.support import Api, api, dept, hall, register

CITY_PATHS = {
    "/api/v1/portal/overview/",
    "/api/v1/portal/proposals/",
    "/api/v1/meetings/",
    "/api/v1/meetings/{id}/",
    "/api/v1/meetings/{id}/respond/",
    "/api/v1/meetings/{id}/minutes/",
    "/api/v1/meetings/{id}/close/",
    "/api/v1/resolutions/",
    "/api/v1/resolutions/{id}/complete/",
    "/api/v1/orders/",
    "/api/v1/orders/{id}/",
    "/api/v1/orders/{id}/respond/",
    "/api/v1/orders/{id}/accept/",
    "/api/v1/orders/{id}/reject/",
    "/api/v1/slip-index/{id}/assign/",
}


# --- OpenAPI ---------------------------------------------------------------------------------------


def test_the_schema_generates_without_warnings_and_has_every_city_path(demo: object) -> None:
    GENERATOR_STATS.reset()

    schema = SchemaGenerator().get_schema(request=None, public=True)

    assert not GENERATOR_STATS._warn_cache and not GENERATOR_STATS._error_cache, dict(GENERATOR_STATS._warn_cache)
    assert set(schema["paths"]) >= CITY_PATHS
    assert set(schema["paths"]["/api/v1/meetings/"]) >= {"get", "post"}
    assert schema["paths"]["/api/v1/orders/{id}/reject/"]["post"]["responses"]["409"]


def test_the_served_schema_lists_the_city_paths(demo: object) -> None:
    response = api("shaoguan_supervisor").get("/api/schema/", format="json")

    assert response.status_code == 200
    assert set(response.json()["paths"]) >= CITY_PATHS


# --- The portal ------------------------------------------------------------------------------------


def test_the_overview_shows_every_hall_of_the_supervisors_city_only(demo: object) -> None:
    register("wengyuan", refused=True)

    shaoguan = api("shaoguan_supervisor").get("/api/v1/portal/overview/")
    qingyuan = api("qingyuan_supervisor").get("/api/v1/portal/overview/")

    assert shaoguan.status_code == 200 and qingyuan.status_code == 200
    assert shaoguan.json()["city"]["code"] == "shaoguan"
    codes = [row["hall"]["code"] for row in shaoguan.json()["halls"]]
    assert codes[0] == "shaoguan" and len(codes) == 11 and "wengyuan" in codes and "qingcheng" not in codes
    wengyuan = next(row for row in shaoguan.json()["halls"] if row["hall"]["code"] == "wengyuan")
    assert wengyuan["open_cases"] >= 1 and wengyuan["flagged_cases"] >= 1 and wengyuan["open_slips"] >= 1
    assert {row["hall"]["code"] for row in qingyuan.json()["halls"]} == {"qingyuan", "qingcheng", "yingde"}


@pytest.mark.parametrize("path", ["/api/v1/portal/overview/", "/api/v1/portal/proposals/"])
def test_the_portal_is_for_supervisors_on_the_base_domain(demo: object, path: str) -> None:
    assert api("shaoguan_supervisor", "wengyuan").get(path).status_code == 404
    assert api("shaoguan_supervisor", "shaoguan").get(path).status_code == 404
    refused = api("shaoguan_rsj").get(path)
    assert refused.status_code == 404
    assert refused.json() == {"code": "not_found", "message": refused.json()["message"], "fields": {}}
    assert api("operator").get(path).status_code == 404


def test_a_supervisor_of_several_cities_chooses_one(demo: object) -> None:
    staff_create(
        username="province_supervisor", password="x", kind="city_supervisor", hall_code="shaoguan", check_password=False
    )
    staff_create(
        username="province_supervisor", password="x", kind="city_supervisor", hall_code="qingyuan", check_password=False
    )
    client = api("province_supervisor")

    unnamed = client.get("/api/v1/portal/overview/")
    qingyuan = client.get("/api/v1/portal/overview/", city="qingyuan")
    proposals = client.get("/api/v1/portal/proposals/", city="shaoguan")
    county = client.get("/api/v1/portal/overview/", city="wengyuan")

    assert unnamed.status_code == 400 and set(unnamed.json()["fields"]) == {"city"}
    assert qingyuan.status_code == 200 and qingyuan.json()["city"]["code"] == "qingyuan"
    assert proposals.status_code == 200 and proposals.json()["city"]["code"] == "shaoguan"
    assert county.status_code == 404
    # a supervisor of one city cannot name another
    assert api("shaoguan_supervisor").get("/api/v1/portal/overview/", city="qingyuan").status_code == 404


def test_proposals_list_flagged_cases_and_red_slips_without_personal_data(demo: object) -> None:
    case = register("wengyuan", refused=True, applicant_name="张三丰")
    slip = SlipIndex.objects.get(hall__code="wengyuan", case_id=case.pk)
    Deadline.objects.filter(pk=slip.deadline_id).update(due_at=timezone.now() - timedelta(hours=1))

    response = api("shaoguan_supervisor").get("/api/v1/portal/proposals/")

    assert response.status_code == 200
    assert case.number in [row["number"] for row in response.json()["flagged_cases"]]
    red = next(row for row in response.json()["red_slips"] if row["id"] == slip.pk)
    assert red["slip_number"] == slip.slip_number and red["deadline"]["badge"] == "red"
    assert red["department"]["code"] == "rsj" and red["hall"]["code"] == "wengyuan"
    assert "张三丰" not in response.content.decode()


# --- Constant queries ------------------------------------------------------------------------------


def queries(client: Api, path: str) -> tuple[int, Any]:
    client.get(path)  # warm the caches of the host's route and of the session
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200, response.content.decode()
    return len(captured.captured_queries), response.json()


def assert_constant(client: Api, path: str, grow: Callable[[int], None], rows: Callable[[Any], int]) -> None:
    """The same number of queries with 2 rows (or halls with data) and with 10."""
    grow(2)
    few, body = queries(client, path)
    assert rows(body) >= 2
    grow(10)
    many, body = queries(client, path)
    assert rows(body) >= 10
    assert many == few, f"{path}: {few} queries with 2 rows, {many} with 10"


COUNTIES = [
    "wengyuan",
    "nanxiong",
    "wujiang",
    "zhenjiang",
    "qujiang",
    "shixing",
    "renhua",
    "ruyuan",
    "xinfeng",
    "lechang",
]


def _case_rows(count: int) -> None:
    """Open cases, flagged, each with an overdue slip, in the first ``count`` counties (index rows)."""
    now = timezone.now()
    for code in COUNTIES[:count]:
        county = hall(code)
        if CaseIndex.objects.filter(hall=county, case_id=900001).exists():
            continue
        CaseIndex.objects.create(
            hall=county, case_id=900001, number=f"{county.region_code}-2026-90001", channel="on_site",
            applicant_kind="person", matter_name="社保卡补办", handling_category="refused", status="transferred",
            flagged_for_supervision=True, registered_at=now,
        )  # fmt: skip
        deadline = Deadline.objects.create(
            hall=county, kind="slip_reply", subject_type="casework.TransferSlip", subject_id="900001",
            rule="working_days", rule_amount=2, start_at=now - timedelta(days=5), due_at=now - timedelta(hours=1),
            warn_at=now - timedelta(days=1), owner_department=dept(f"{code}/rsj"),
        )  # fmt: skip
        SlipIndex.objects.create(
            hall=county, slip_id=900001, case_id=900001, slip_number=f"ZB-{county.region_code}-90001",
            case_number=f"{county.region_code}-2026-90001", department=dept(f"{code}/rsj"), matter_name="社保卡补办",
            complexity="ordinary", status="sent", deadline=deadline, sent_at=now,
        )  # fmt: skip


def test_overview_queries_do_not_grow_with_the_halls(demo: object) -> None:
    def with_data(body: Any) -> int:
        return sum(1 for row in body["halls"] if row["open_cases"] and row["red"])

    assert_constant(api("shaoguan_supervisor"), "/api/v1/portal/overview/", _case_rows, with_data)


def test_proposals_queries_do_not_grow_with_the_rows(demo: object) -> None:
    def rows(body: Any) -> int:
        return min(len(body["flagged_cases"]), len(body["red_slips"]))

    assert_constant(api("shaoguan_supervisor"), "/api/v1/portal/proposals/", _case_rows, rows)


def _meetings(count: int) -> None:
    supervisor = user("shaoguan_supervisor")
    while (done := JointMeeting.objects.filter(city__code="shaoguan").count()) < count:
        code = COUNTIES[done % len(COUNTIES)]
        meeting_convene(
            actor=supervisor,
            hall=None,
            draft=MeetingDraft(
                subject=f"{code}协调", starts_at=timezone.now() + timedelta(days=1), agenda="议程", place="会议室",
                lead_department_id=dept(f"{code}/rsj").pk, department_ids=[dept("shaoguan/rsj").pk],
                hall_ids=[hall(code).pk],
            ),
        )  # fmt: skip


def test_meeting_list_queries_do_not_grow_with_the_rows(demo: object) -> None:
    assert_constant(api("shaoguan_supervisor"), "/api/v1/meetings/", _meetings, lambda body: len(body["results"]))


def test_meeting_list_of_a_department_queries_do_not_grow_with_the_rows(demo: object) -> None:
    assert_constant(api("shaoguan_rsj"), "/api/v1/meetings/", _meetings, lambda body: len(body["results"]))


def _resolutions(count: int) -> None:
    supervisor = user("shaoguan_supervisor")
    while (done := MeetingResolution.objects.filter(owner_department=dept("shaoguan/rsj")).count()) < count:
        meeting = meeting_convene(
            actor=supervisor,
            hall=None,
            draft=MeetingDraft(
                subject="协调", starts_at=timezone.now(), agenda="议程", place="会议室",
                lead_department_id=dept("shaoguan/rsj").pk, department_ids=[dept("shaoguan/rsj").pk],
            ),
        )  # fmt: skip
        meeting_record_minutes(
            actor=supervisor,
            meeting=meeting,
            minutes="纪要",
            outcome="结论",
            resolutions=[
                ResolutionDraft(owner_department_id=dept("shaoguan/rsj").pk, action=f"事项{i}", days=1 + i % 5)
                for i in range(done, count)
            ],
        )


def test_resolution_list_queries_do_not_grow_with_the_rows(demo: object) -> None:
    assert_constant(api("shaoguan_rsj"), "/api/v1/resolutions/", _resolutions, lambda body: len(body["results"]))


def _orders(count: int) -> None:
    supervisor = user("shaoguan_supervisor")
    _case_rows(count)
    while (done := SupervisionOrder.objects.filter(city__code="shaoguan").count()) < count:
        code = COUNTIES[done % len(COUNTIES)]
        county = hall(code)
        on_case = done % 2 == 0
        slip = SlipIndex.objects.get(hall=county, slip_id=900001)
        order_issue(
            actor=supervisor,
            hall=None,
            draft=OrderDraft(
                target_hall_id=county.pk,
                target_department_id=dept(f"{code}/rsj").pk if on_case else dept("shaoguan/rsj").pk,
                reason="不给办", required_action="办结", days=3,
                case=CaseRef(hall_id=county.pk, case_id=900001) if on_case else None,
                slip_id=None if on_case else slip.pk,
            ),
        )  # fmt: skip


def test_order_list_queries_do_not_grow_with_the_rows(demo: object) -> None:
    assert_constant(api("shaoguan_supervisor"), "/api/v1/orders/", _orders, lambda body: len(body["results"]))


def test_order_list_of_a_department_queries_do_not_grow_with_the_rows(demo: object) -> None:
    assert_constant(api("shaoguan_rsj"), "/api/v1/orders/", _orders, lambda body: len(body["results"]) * 2)


def test_meeting_detail_queries_do_not_grow_with_its_invitations_and_resolutions(demo: object) -> None:
    supervisor = user("shaoguan_supervisor")
    client = api("shaoguan_supervisor")
    measured = []
    for size in (2, 10):
        departments = list(
            Department.objects.filter(hall__in=Hall.objects.filter(code__in=COUNTIES[:size]), code="rsj")
        )
        meeting = meeting_convene(
            actor=supervisor,
            hall=None,
            draft=MeetingDraft(
                subject="协调", starts_at=timezone.now(), agenda="议程", place="会议室",
                lead_department_id=departments[0].pk, department_ids=[d.pk for d in departments],
                hall_ids=[hall(code).pk for code in COUNTIES[:size]],
            ),
        )  # fmt: skip
        meeting_record_minutes(
            actor=supervisor, meeting=meeting, minutes="纪要", outcome="结论",
            resolutions=[ResolutionDraft(owner_department_id=d.pk, action="落实", days=2) for d in departments],
        )  # fmt: skip
        count, body = queries(client, f"/api/v1/meetings/{meeting.pk}/")
        assert len(body["resolutions"]) == size and len(body["invitations"]) == 2 * size
        measured.append(count)
    assert measured[0] == measured[1]
