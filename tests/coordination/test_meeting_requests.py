"""A window's request for a joint meeting reaches someone (rule art. 5(2), 9): the hall's lead is told
(and the city's supervisors when the case's departments span halls); the request is in their lists
(casework.selectors.meeting_request_list_for_hall, coordination.selectors.meeting_request_list_for),
is settled by a meeting convened with the case linked, or declined with a reason on the case's
timeline (casework.services.case_meeting_request_decline, coordination.services.meeting_request_decline)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404

from casework.choices import CaseStatus
from casework.models import Case, CaseEvent
from casework.services import SlipDraft, case_transfer
from coordination.selectors import meeting_request_list_for
from coordination.services import meeting_request_decline
from hallindex.models import CaseIndex
from hallplatform.audit.models import AuditEvent
from hallplatform.schemas import in_hall_schema
from notifications.models import Notice
from tests.conftest import client_for, host_of
from tests.coordination.support import api, dept, hall, meeting_body, register, staff


def requested(hall_code: str = "wengyuan", *departments: str) -> Case:
    """A case of ``hall_code`` transferred as 很难办 with a request for a joint meeting (and slips)."""
    case = register(hall_code)
    with in_hall_schema(hall(hall_code)):
        return case_transfer(
            case=case,
            actor=staff(f"{hall_code}_window"),
            category="hard_to_do",
            slips=[SlipDraft(department_id=dept(code).pk, request="请核实") for code in departments],
            meeting_requested=True,
            meeting_request_note="涉及多部门数据共享，请统筹",
        )


def told(kind: str) -> dict[str, tuple[str, Any]]:
    """username → (link path, link hall code) of the notices of ``kind``."""
    return {
        n.recipient_user.username: (n.link_path, n.link_hall.code if n.link_hall else None)
        for n in Notice.objects.filter(kind=kind).select_related("recipient_user", "link_hall")
    }


def case_now(case: Case, hall_code: str = "wengyuan") -> Case:
    with in_hall_schema(hall(hall_code)):
        return Case.objects.get(pk=case.pk)


def events(case: Case, hall_code: str = "wengyuan") -> list[CaseEvent]:
    with in_hall_schema(hall(hall_code)):
        return list(CaseEvent.objects.filter(case_id=case.pk).order_by("pk"))


def index_row(case: Case, hall_code: str = "wengyuan") -> CaseIndex:
    return CaseIndex.objects.get(hall=hall(hall_code), case_id=case.pk)


# --- who is told ---------------------------------------------------------------------------------


def test_a_request_within_the_hall_tells_its_lead_only(demo: Any) -> None:
    case = requested("wengyuan", "wengyuan/rsj")

    assert told("meeting_requested") == {"wengyuan_lead": (f"/cases/{case.pk}/", "wengyuan")}
    notice = Notice.objects.get(kind="meeting_requested")
    assert case.number in notice.subject and "涉及多部门数据共享" in notice.body


def test_a_request_across_halls_tells_the_city_supervisors_too(demo: Any) -> None:
    case = requested("wengyuan", "wengyuan/rsj", "shaoguan/rsj")

    assert told("meeting_requested") == {
        "wengyuan_lead": (f"/cases/{case.pk}/", "wengyuan"),
        "shaoguan_supervisor": ("/portal/meeting-requests/", None),
    }
    assert "跨区域" in Notice.objects.filter(kind="meeting_requested").first().body  # type: ignore[union-attr]


def test_a_transfer_without_a_request_tells_no_lead(demo: Any) -> None:
    case = register("wengyuan")
    with in_hall_schema(hall("wengyuan")):
        case_transfer(
            case=case,
            actor=staff("wengyuan_window"),
            category="hard_to_do",
            slips=[SlipDraft(department_id=dept("shaoguan/rsj").pk, request="请核实")],
        )
    assert told("meeting_requested") == {}


# --- the lists -----------------------------------------------------------------------------------


def test_the_lead_and_the_supervisor_see_the_open_requests_another_halls_lead_does_not(demo: Any) -> None:
    mine = requested("wengyuan", "wengyuan/rsj")
    theirs = requested("nanxiong", "nanxiong/rsj")

    assert [r.case_id for r in meeting_request_list_for(actor=staff("wengyuan_lead"))] == [mine.pk]
    assert [r.case_id for r in meeting_request_list_for(actor=staff("nanxiong_lead"))] == [theirs.pk]
    assert {(r.hall.code, r.case_id) for r in meeting_request_list_for(actor=staff("shaoguan_supervisor"))} == {
        ("wengyuan", mine.pk),
        ("nanxiong", theirs.pk),
    }
    assert list(meeting_request_list_for(actor=staff("wengyuan_window"))) == []


def test_the_hall_home_and_the_portal_list_the_requests(demo: Any) -> None:
    case = requested("wengyuan", "wengyuan/rsj")

    home = client_for("wengyuan_lead", "wengyuan").get("/").content.decode()
    window_home = client_for("wengyuan_window", "wengyuan").get("/").content.decode()
    portal = client_for("shaoguan_supervisor", None).get("/portal/").content.decode()
    listing = client_for("shaoguan_supervisor", None).get("/portal/meeting-requests/").content.decode()

    assert case.number in home and f"/meetings/new/?cases={case.number}" in home
    assert case.number not in window_home
    for page in (portal, listing):
        assert case.number in page
        assert f"/portal/meeting-requests/{hall('wengyuan').pk}/{case.pk}/decline/" in page


def test_the_convene_form_opens_with_the_case_linked(demo: Any) -> None:
    case = requested("wengyuan", "wengyuan/rsj")

    page = client_for("wengyuan_lead", "wengyuan").get(f"/meetings/new/?cases={case.number}").content.decode()

    assert case.number in page


# --- convened: settled ---------------------------------------------------------------------------


def test_a_meeting_convened_with_the_case_linked_settles_the_request(demo: Any) -> None:
    case = requested("wengyuan", "wengyuan/rsj")

    meeting = api("shaoguan_supervisor").post(
        "/api/v1/meetings/", meeting_body(cases=[{"hall": hall("wengyuan").pk, "case_id": case.pk}])
    )

    assert meeting.status_code == 201, meeting.content
    assert case_now(case).meeting_requested is False
    assert index_row(case).meeting_requested is False
    assert [e.kind for e in events(case)][-2:] == ["meeting_convened", "meeting_request_settled"]
    assert list(meeting_request_list_for(actor=staff("shaoguan_supervisor"))) == []


# --- declined ------------------------------------------------------------------------------------


def test_the_lead_declines_on_the_case_page_with_a_reason(demo: Any) -> None:
    case = requested("wengyuan", "wengyuan/rsj")
    client = client_for("wengyuan_lead", "wengyuan")
    assert "decline-meeting" in client.get(f"/cases/{case.pk}/").content.decode()

    response = client.post(
        f"/cases/{case.pk}/decline-meeting/", {"reason": "部门可自行协调，无需召开", "version": case.version}
    )

    assert response.status_code == 302
    fresh = case_now(case)
    assert fresh.meeting_requested is False and fresh.status == CaseStatus.TRANSFERRED  # its slip is open
    last = events(case)[-1]
    assert (last.kind, last.changes["reason"], last.actor.username) == (  # type: ignore[union-attr]
        "meeting_request_declined",
        "部门可自行协调，无需召开",
        "wengyuan_lead",
    )
    assert index_row(case).meeting_requested is False
    audit = AuditEvent.objects.filter(action="case.meeting_request_decline", actor__username="wengyuan_lead")
    assert audit.count() == 1
    assert told("meeting_request_declined") == {"wengyuan_window": (f"/cases/{case.pk}/", "wengyuan")}


def test_a_case_that_waited_on_the_meeting_alone_is_back_to_the_window(demo: Any) -> None:
    case = requested("wengyuan")  # no slip: the meeting only

    meeting_request_decline(
        actor=staff("shaoguan_supervisor"), hall_id=hall("wengyuan").pk, case_id=case.pk, reason="不属联席会议范围"
    )

    fresh = case_now(case)
    assert (fresh.status, fresh.meeting_requested) == (CaseStatus.REGISTERED, False)
    assert index_row(case).status == CaseStatus.REGISTERED
    last = events(case)[-1]
    assert (last.kind, last.from_status, last.to_status) == (
        "meeting_request_declined",
        CaseStatus.TRANSFERRED,
        CaseStatus.REGISTERED,
    )


def test_the_supervisor_declines_from_the_portal(demo: Any) -> None:
    case = requested("wengyuan", "shaoguan/rsj")

    response = client_for("shaoguan_supervisor", None).post(
        f"/portal/meeting-requests/{hall('wengyuan').pk}/{case.pk}/decline/", {"reason": "已由督办单处理"}
    )

    assert response.status_code == 302 and response["Location"] == "/portal/meeting-requests/"
    assert case_now(case).meeting_requested is False
    assert events(case)[-1].actor.username == "shaoguan_supervisor"  # type: ignore[union-attr]


def unchanged(case: Case) -> tuple[Any, ...]:
    fresh = case_now(case)
    return (
        fresh.meeting_requested,
        fresh.status,
        fresh.version,
        len(events(case)),
        AuditEvent.objects.filter(action="case.meeting_request_decline").count(),
        Notice.objects.filter(kind="meeting_request_declined").count(),
    )


def test_a_decline_without_a_reason_is_refused_and_changes_nothing(demo: Any) -> None:
    case = requested("wengyuan", "wengyuan/rsj")
    before = unchanged(case)

    with pytest.raises(ValidationError) as refused:
        meeting_request_decline(actor=staff("wengyuan_lead"), hall_id=hall("wengyuan").pk, case_id=case.pk, reason=" ")
    page = client_for("wengyuan_lead", "wengyuan").post(
        f"/cases/{case.pk}/decline-meeting/", {"reason": "", "version": case.version}, follow=True
    )

    assert set(refused.value.message_dict) == {"reason"}
    assert page.status_code == 200
    assert unchanged(case) == before


def test_a_request_declined_already_cannot_be_declined_again(demo: Any) -> None:
    case = requested("wengyuan", "wengyuan/rsj")
    meeting_request_decline(actor=staff("wengyuan_lead"), hall_id=hall("wengyuan").pk, case_id=case.pk, reason="无需")
    before = unchanged(case)

    with pytest.raises(Http404):
        meeting_request_decline(actor=staff("wengyuan_lead"), hall_id=hall("wengyuan").pk, case_id=case.pk, reason="x")

    assert unchanged(case) == before


@pytest.mark.parametrize("username", ["nanxiong_lead", "wengyuan_window", "wengyuan_rsj"])
def test_no_one_but_the_halls_lead_or_the_citys_supervisor_may_decline(demo: Any, username: str) -> None:
    case = requested("wengyuan", "wengyuan/rsj")
    before = unchanged(case)

    with pytest.raises(Http404):
        meeting_request_decline(actor=staff(username), hall_id=hall("wengyuan").pk, case_id=case.pk, reason="越权")

    assert unchanged(case) == before


def test_another_halls_lead_gets_404_on_the_hall_page_and_the_portal(demo: Any) -> None:
    case = requested("wengyuan", "wengyuan/rsj")
    before = unchanged(case)
    staff("nanxiong_lead")

    on_wengyuan = client_for("nanxiong_lead", "nanxiong").post(
        f"/cases/{case.pk}/decline-meeting/",
        {"reason": "越权", "version": case.version},
        HTTP_HOST=host_of("wengyuan"),
    )
    window = client_for("wengyuan_window", "wengyuan").post(
        f"/cases/{case.pk}/decline-meeting/", {"reason": "越权", "version": case.version}
    )
    portal = client_for("nanxiong_lead", None).get("/portal/meeting-requests/")

    assert on_wengyuan.status_code in (302, 404)  # the session is not valid on another hall's host
    assert window.status_code == 404
    assert portal.status_code == 404
    assert unchanged(case) == before
