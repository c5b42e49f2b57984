"""Notices of the city level: invitations, resolutions, supervision orders, slip assignment.

Contexts carry numbers, subjects and unit names only: no personal data.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Q
from django.utils import timezone

from hallplatform.accounts.models import RoleAssignment, RoleKind
from hallplatform.deadlines.notices import SUBJECT_LABELS, SUBJECT_LINKS
from hallplatform.formats import local_minute
from hallplatform.personal import free_text
from notifications.kinds import NoticeKind, notice_kind_register
from notifications.links import NoticeLink
from notifications.services import notice_enqueue_inbox

SUBJECT_LABELS["coordination.MeetingResolution"] = "联席会议决议"
SUBJECT_LABELS["coordination.SupervisionOrder"] = "督办单"
# A resolution's deadline knows the resolution, not its meeting: the list of resolutions shows it.
SUBJECT_LINKS["coordination.MeetingResolution"] = lambda deadline: "/meetings/resolutions/"
SUBJECT_LINKS["coordination.SupervisionOrder"] = lambda deadline: f"/orders/{deadline.subject_id}/"

MEETING_INVITATION = notice_kind_register(
    NoticeKind(
        code="meeting_invitation",
        label="联席会议通知",
        subject="【会议通知】{{ meeting_number }} {{ meeting_subject }}",
        body=(
            "{{ convener }}定于{{ starts_at }}召开联席会议（{{ meeting_subject }}），"
            "地点：{{ place }}。请在系统中确认是否参加。"
        ),
        sms="{{ convener }}定于{{ starts_at }}召开联席会议，请登录系统确认参会。",
        sms_params=("convener", "starts_at"),
        variables=("meeting_number", "meeting_subject", "convener", "starts_at", "place"),
    )
)
RESOLUTION_ASSIGNED = notice_kind_register(
    NoticeKind(
        code="resolution_assigned",
        label="联席会议决议交办",
        subject="【决议交办】{{ resolution_number }}",
        body=(
            "联席会议{{ meeting_number }}（{{ meeting_subject }}）议定由{{ department_name }}办理："
            "{{ action }}，请于{{ due_at }}前完成并反馈。"
        ),
        sms="联席会议决议{{ resolution_number }}请于{{ due_at }}前办结反馈。",
        sms_params=("resolution_number", "due_at"),
        variables=("resolution_number", "meeting_number", "meeting_subject", "department_name", "action", "due_at"),
    )
)
RESOLUTION_DONE = notice_kind_register(
    NoticeKind(
        code="resolution_done",
        label="联席会议决议已办结",
        subject="【决议办结】{{ resolution_number }}",
        body="{{ department_name }}已反馈联席会议决议{{ resolution_number }}办理情况。",
        sms="{{ department_name }}已反馈决议{{ resolution_number }}办理情况。",
        sms_params=("department_name", "resolution_number"),
        variables=("resolution_number", "department_name"),
    )
)
ORDER_ISSUED = notice_kind_register(
    NoticeKind(
        code="order_issued",
        label="督办单",
        subject="【督办】{{ order_number }}{% if case_number %}（案件 {{ case_number }}）{% endif %}",
        body=(
            "{{ issuer }}{% if again %}退回了答复，重新{% endif %}督办：{{ required_action }}"
            "（督办理由：{{ reason }}），请于{{ due_at }}前办理并答复。"
        ),
        sms="{{ issuer }}督办{{ order_number }}，请于{{ due_at }}前答复。",
        sms_params=("issuer", "order_number", "due_at"),
        variables=("order_number", "case_number", "issuer", "required_action", "reason", "due_at", "again"),
        urgent=True,
    )
)
ORDER_RESPONDED = notice_kind_register(
    NoticeKind(
        code="order_responded",
        label="督办答复",
        subject="【督办答复】{{ order_number }}",
        body="{{ addressee }}已答复督办单{{ order_number }}，请审核。",
        sms="{{ addressee }}已答复督办单{{ order_number }}。",
        sms_params=("addressee", "order_number"),
        variables=("order_number", "addressee"),
    )
)
SLIP_ASSIGNED = notice_kind_register(
    NoticeKind(
        code="slip_assigned",
        label="转办单分派",
        subject="【分派】{{ slip_number }}已分派给您",
        body="{{ hall_name }}转来的{{ slip_number }}（{{ matter_name }}）已分派给您办理。",
        sms="{{ slip_number }}已分派给您办理。",
        sms_params=("slip_number",),
        variables=("slip_number", "hall_name", "matter_name"),
    )
)


def _when(instant: Any) -> str:
    return local_minute(instant)


def _users(condition: Q) -> list[int]:
    return list(RoleAssignment.objects.filter(condition, user__is_active=True).values_list("user_id", flat=True))


def _department_staff(department_ids: Iterable[int]) -> Q:
    return Q(kind__in=[RoleKind.DEPARTMENT_HANDLER, RoleKind.DEPARTMENT_LEAD], department_id__in=list(department_ids))


# Meetings and orders answer on the base domain and on every hall host of their city (public-schema
# rows): a department's staff open them on the base domain (their cross-hall inbox), a hall lead on
# their hall's host, a supervisor on the base domain.


def meeting_link(meeting: Any, *, hall: Any = None) -> NoticeLink:
    return NoticeLink(path=f"/meetings/{meeting.pk}/", hall=hall)


def order_link(order: Any, *, hall: Any = None) -> NoticeLink:
    return NoticeLink(path=f"/orders/{order.pk}/", hall=hall)


def _convener_hall(meeting: Any) -> Any:
    """Where the convener works: the hall's host for a hall meeting, the base domain for the city's."""
    return meeting.hall if meeting.level == "hall" else None


def meeting_invitations(*, meeting: Any) -> None:
    invitations = list(meeting.invitations.select_related("hall"))
    departments = [i.department_id for i in invitations if i.department_id]
    halls = [i.hall for i in invitations if i.hall_id]
    convener = meeting.hall.name
    context = {
        "meeting_number": meeting.number,
        "meeting_subject": free_text(meeting.subject, revealed=False),
        "convener": convener,
        "starts_at": _when(meeting.starts_at),
        "place": free_text(meeting.place or meeting.online_link, revealed=False),
    }
    notice_enqueue_inbox(
        kind="meeting_invitation",
        event_key=f"meeting:{meeting.pk}:invitation",
        hall=meeting.hall,
        user_ids=_users(_department_staff(departments)),
        context=context,
        link=meeting_link(meeting),
    )
    for hall in halls:
        notice_enqueue_inbox(
            kind="meeting_invitation",
            event_key=f"meeting:{meeting.pk}:invitation",
            hall=meeting.hall,
            user_ids=_users(Q(kind=RoleKind.HALL_LEAD, hall_id=hall.pk)),
            context=context,
            link=meeting_link(meeting, hall=hall),
        )


def resolutions_assigned(*, meeting: Any, resolutions: list[Any]) -> None:
    for resolution in resolutions:
        notice_enqueue_inbox(
            kind="resolution_assigned",
            event_key=f"resolution:{resolution.pk}:assigned",
            hall=meeting.hall,
            user_ids=_users(_department_staff([resolution.owner_department_id])),
            context={
                "resolution_number": resolution.number,
                "meeting_number": meeting.number,
                "meeting_subject": free_text(meeting.subject, revealed=False),
                "department_name": resolution.owner_department.name,
                "action": free_text(resolution.action, revealed=False),
                "due_at": _when(resolution.deadline.due_at if resolution.deadline else None),
            },
            link=meeting_link(meeting),
        )


def resolution_done(*, resolution: Any) -> None:
    meeting = resolution.meeting
    notice_enqueue_inbox(
        kind="resolution_done",
        event_key=f"resolution:{resolution.pk}:done",
        hall=meeting.hall,
        user_ids=[meeting.convened_by_id],
        context={"resolution_number": resolution.number, "department_name": resolution.owner_department.name},
        link=meeting_link(meeting, hall=_convener_hall(meeting)),
    )


def order_issued(*, order: Any, again: bool = False) -> None:
    if order.target_department_id:
        users = _users(_department_staff([order.target_department_id]))
        link = order_link(order)
    else:
        users = _users(Q(kind=RoleKind.HALL_LEAD, hall_id=order.target_hall_id))
        link = order_link(order, hall=order.target_hall)
    notice_enqueue_inbox(
        kind="order_issued",
        event_key=f"order:{order.pk}:issued:{order.version}",
        hall=order.target_hall,
        user_ids=users,
        context={
            "order_number": order.number,
            "case_number": order.case_number,
            "issuer": order.issuing_hall.name,
            "required_action": free_text(order.required_action, revealed=False),
            "reason": free_text(order.reason, revealed=False),
            "due_at": _when(order.deadline.due_at if order.deadline else None),
            "again": again,
        },
        link=link,
    )


def _issuer_hall(order: Any) -> Any:
    """Where the issuer works: a hall lead within their hall (its host), a supervisor on the base domain."""
    lead = RoleAssignment.objects.filter(
        user_id=order.issued_by_id, kind=RoleKind.HALL_LEAD, hall_id=order.issuing_hall_id
    ).exists()
    return order.issuing_hall if lead else None


def order_responded(*, order: Any) -> None:
    addressee = order.target_department.name if order.target_department_id else order.target_hall.name
    notice_enqueue_inbox(
        kind="order_responded",
        event_key=f"order:{order.pk}:responded:{order.version}",
        hall=order.target_hall,
        user_ids=[order.issued_by_id],
        context={"order_number": order.number, "addressee": addressee},
        link=order_link(order, hall=_issuer_hall(order)),
    )


def slip_assigned(*, slip: Any) -> None:
    notice_enqueue_inbox(
        kind="slip_assigned",
        event_key=f"slipindex:{slip.pk}:assigned:{slip.assigned_to_id}:{int(timezone.now().timestamp())}",
        hall=slip.hall,
        user_ids=[slip.assigned_to_id],
        context={"slip_number": slip.slip_number, "hall_name": slip.hall.name, "matter_name": slip.matter_name},
        link=NoticeLink(path=f"/slips/{slip.slip_id}/", hall=slip.hall),
    )
