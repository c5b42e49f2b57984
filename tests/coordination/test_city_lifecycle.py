"""A cross-hall joint meeting and a supervision order through their lifecycle (coordination/services.py)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone

from casework.models import CaseEvent
from casework.services import SlipDraft, case_register, case_transfer
from coordination.models import JointMeeting, MeetingResolution, OrderStatus, SupervisionOrder
from coordination.selectors import portal_overview, supervision_proposals
from coordination.services import (
    CaseRef,
    MeetingDraft,
    OrderDraft,
    ResolutionDraft,
    meeting_close,
    meeting_convene,
    meeting_record_minutes,
    meeting_respond,
    order_accept,
    order_issue,
    order_respond,
    resolution_complete,
)
from hallplatform.accounts.services import staff_create
from hallplatform.deadlines.models import Deadline, DeadlineKind, DeadlineState
from hallplatform.deadlines.sweep import deadline_sweep
from hallplatform.schemas import use_hall_schema, use_public_schema
from notifications.models import Notice
from tenants.models import Department, Hall
from tests.casework.test_case_register import form
from tests.conftest import user


def dept(code: str) -> Department:
    hall, _, department = code.partition("/")
    return Department.objects.get(hall__code=hall, code=department)


def register(hall: Hall, username: str, refused: bool = False) -> Any:
    use_hall_schema(hall)
    case = case_register(hall=hall, actor=user(username), data=form())
    if refused:
        case_transfer(
            case=case,
            actor=user(username),
            category="refused",
            slips=[SlipDraft(department_id=dept(f"{hall.code}/rsj").pk, request="督促办理")],
        )
    use_public_schema()
    return case


def test_cross_hall_meeting_through_resolutions_met_and_breached(demo: dict[str, Hall]) -> None:
    wengyuan_case = register(demo["wengyuan"], "wengyuan_window")
    nanxiong_staff = user("wengyuan_window")  # any staff registers; nanxiong has no demo window login
    nanxiong_case = register(demo["nanxiong"], nanxiong_staff.username)
    supervisor = user("shaoguan_supervisor")

    meeting = meeting_convene(
        actor=supervisor,
        hall=None,
        draft=MeetingDraft(
            subject="跨县社保转移接续协调",
            starts_at=timezone.now() + timedelta(days=1),
            agenda="一、情况通报；二、议定事项",
            lead_department_id=dept("shaoguan/rsj").pk,
            place="市政务服务中心三楼会议室",
            department_ids=[dept("wengyuan/rsj").pk, dept("nanxiong/rsj").pk],
            hall_ids=[demo["wengyuan"].pk, demo["nanxiong"].pk],
            cases=[
                CaseRef(hall_id=demo["wengyuan"].pk, case_id=wengyuan_case.pk, summary="参保记录跨县不一致"),
                CaseRef(hall_id=demo["nanxiong"].pk, case_id=nanxiong_case.pk),
            ],
        ),
    )
    assert meeting.invitations.count() == 5  # three departments (lead included) and two halls
    assert Notice.objects.filter(kind="meeting_invitation").exists()
    invitation = meeting.invitations.get(department=dept("wengyuan/rsj"))
    with pytest.raises(Http404):
        meeting_respond(actor=user("shaoguan_rsj"), invitation=invitation, response="accepted")
    meeting_respond(actor=user("wengyuan_rsj"), invitation=invitation, response="accepted")

    meeting_record_minutes(
        actor=supervisor,
        meeting=meeting,
        minutes="会议议定如下",
        outcome="由两县人社局分别核实，市人社局统筹",
        resolutions=[
            ResolutionDraft(owner_department_id=dept("wengyuan/rsj").pk, action="核实参保记录", days=2),
            ResolutionDraft(owner_department_id=dept("nanxiong/rsj").pk, action="出具转移证明", days=3),
        ],
    )
    first, second = MeetingResolution.objects.filter(meeting=meeting).order_by("number")
    assert Deadline.objects.get(pk=first.deadline_id).kind == DeadlineKind.MEETING_RESOLUTION

    resolution_complete(actor=user("wengyuan_rsj"), resolution=first, report="已核实并更正")
    assert Deadline.objects.get(pk=first.deadline_id).state == DeadlineState.MET
    staff_create(
        username="nanxiong_rsj", password="x", kind="department_handler", department_code="nanxiong/rsj",
        check_password=False,
    )  # fmt: skip
    second_deadline = Deadline.objects.get(pk=second.deadline_id)
    deadline_sweep(now=second_deadline.due_at + timedelta(minutes=1))
    assert Deadline.objects.get(pk=second.deadline_id).state == DeadlineState.BREACHED
    breach = Notice.objects.get(kind="deadline_breach", event_key=f"deadline:{second.deadline_id}:breach")
    assert breach.recipient_user == user("nanxiong_rsj")
    assert second.number in breach.subject

    with pytest.raises(ValidationError):
        meeting_close(actor=supervisor, meeting=JointMeeting.objects.get(pk=meeting.pk))

    use_hall_schema(demo["wengyuan"])
    kinds = list(CaseEvent.objects.filter(case_id=wengyuan_case.pk).values_list("kind", flat=True))
    assert {"meeting_convened", "meeting_held", "resolution_done"} <= set(kinds)
    use_public_schema()


def test_meeting_without_lead_or_participants_is_refused_and_nothing_saved(demo: dict[str, Hall]) -> None:
    before = JointMeeting.objects.count()
    with pytest.raises(ValidationError) as refused:
        meeting_convene(
            actor=user("shaoguan_supervisor"),
            hall=None,
            draft=MeetingDraft(subject="x", starts_at=timezone.now(), agenda="y", place="z"),
        )
    assert {"lead_department", "departments"} <= set(refused.value.message_dict)
    assert JointMeeting.objects.count() == before


def test_supervision_order_lifecycle_and_city_isolation(demo: dict[str, Hall]) -> None:
    case = register(demo["wengyuan"], "wengyuan_window", refused=True)
    supervisor = user("shaoguan_supervisor")
    proposals = supervision_proposals(city=demo["shaoguan"])
    assert case.number in [row.number for row in proposals["flagged_cases"]]

    with pytest.raises(ValidationError) as refused:
        order_issue(
            actor=supervisor,
            hall=None,
            draft=OrderDraft(
                target_hall_id=Hall.objects.get(code="qingcheng").pk, reason="r", required_action="a", days=2
            ),
        )
    assert "target_hall" in refused.value.message_dict

    order = order_issue(
        actor=supervisor,
        hall=None,
        draft=OrderDraft(
            target_hall_id=demo["wengyuan"].pk,
            target_department_id=dept("wengyuan/rsj").pk,
            reason="不给办",
            required_action="三日内办结并答复",
            days=3,
            case=CaseRef(hall_id=demo["wengyuan"].pk, case_id=case.pk),
        ),
    )
    assert case.number not in [row.number for row in supervision_proposals(city=demo["shaoguan"])["flagged_cases"]]
    with pytest.raises(Http404):
        order_respond(actor=user("qingyuan_rsj"), order=order, response="x")
    order_respond(actor=user("wengyuan_rsj"), order=order, response="已办结")
    closed = order_accept(actor=supervisor, order=SupervisionOrder.objects.get(pk=order.pk))
    assert closed.status == OrderStatus.CLOSED

    overview = {row.hall.code: row for row in portal_overview(city=demo["shaoguan"])}
    assert overview["wengyuan"].flagged_cases >= 1
    assert "qingcheng" not in overview
