"""Writes of the city level (DESIGN.md section 7): joint meetings, their resolutions, supervision
orders, and assigning slips to handlers. Public-schema rows; the linked cases' timelines are written
in their halls' schemas in the same transaction (through casework.interface)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from casework.interface import (
    case_event_record_in_hall,
    case_meeting_closed_in_hall,
    case_meeting_request_decline_in_hall,
    case_meeting_request_settle_in_hall,
)
from coordination import notices
from coordination.models import (
    InvitationResponse,
    JointMeeting,
    MeetingCase,
    MeetingInvitation,
    MeetingLevel,
    MeetingResolution,
    MeetingStatus,
    OrderStatus,
    ResolutionStatus,
    SupervisionOrder,
)
from coordination.selectors import department_ids_led_by, meeting_request_list_for
from hallindex.models import CaseIndex, SlipIndex
from hallplatform.accounts.models import DEPARTMENT_ROLES, RoleAssignment, RoleKind
from hallplatform.accounts.selectors import department_ids_of
from hallplatform.audit.services import audit_record
from hallplatform.deadlines.models import DeadlineKind, DeadlineRule, DeadlineState
from hallplatform.deadlines.services import deadline_meet, deadline_open
from tenants.models import Department, Hall, HallLevel
from tenants.selectors import hall_list_for_city

MAX_DAYS = 60


# --- Who acts, and in which scope -----------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """Where an actor convenes or supervises: a hall (hall lead) or a whole city (supervisor)."""

    level: str
    city: Hall
    hall: Hall  # the convening / issuing hall: the hall itself, or the city hall

    def halls(self) -> list[Hall]:
        if self.level == MeetingLevel.HALL:
            return [self.hall]
        return list(hall_list_for_city(city_id=self.city.pk).filter(is_active=True))

    def departments(self) -> dict[int, Department]:
        """Departments the scope may involve: a hall's own and its city's; or every one of the city."""
        if self.level == MeetingLevel.HALL:
            condition = Q(hall_id=self.hall.pk) | Q(hall_id=self.city.pk, hall__level=HallLevel.CITY)
        else:
            condition = Q(hall_id=self.city.pk) | Q(hall__parent_id=self.city.pk)
        return {d.pk: d for d in Department.objects.filter(condition, is_active=True).select_related("hall")}


def scope_for(*, actor: Any, hall: Hall | None) -> Scope:
    """The actor's scope on the request's host: a hall lead on their hall's host; a city supervisor
    on the base domain (or any host of their city: the city then). Anyone else: 404."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise Http404
    roles = RoleAssignment.objects.filter(user_id=actor.pk)
    if hall is not None and roles.filter(kind=RoleKind.HALL_LEAD, hall_id=hall.pk).exists():
        city = hall if hall.level == HallLevel.CITY else hall.parent
        assert city is not None
        return Scope(level=MeetingLevel.HALL, city=city, hall=hall)
    supervised = roles.filter(kind=RoleKind.CITY_SUPERVISOR).values_list("hall_id", flat=True)
    if hall is not None:
        city_id = hall.city_id
        if city_id in supervised:
            city = Hall.objects.get(pk=city_id)
            return Scope(level=MeetingLevel.CITY, city=city, hall=city)
        raise Http404
    cities = list(Hall.objects.filter(pk__in=list(supervised)))
    if len(cities) != 1:
        raise Http404
    return Scope(level=MeetingLevel.CITY, city=cities[0], hall=cities[0])


def _is_hall_lead(actor: Any, hall_id: int) -> bool:
    return RoleAssignment.objects.filter(user_id=actor.pk, kind=RoleKind.HALL_LEAD, hall_id=hall_id).exists()


def _is_supervisor_of(actor: Any, city_id: int) -> bool:
    return RoleAssignment.objects.filter(user_id=actor.pk, kind=RoleKind.CITY_SUPERVISOR, hall_id=city_id).exists()


def _may_manage_meeting(actor: Any, meeting: JointMeeting) -> bool:
    if meeting.level == MeetingLevel.HALL:
        return _is_hall_lead(actor, meeting.hall_id) or _is_supervisor_of(actor, meeting.city_id)
    return _is_supervisor_of(actor, meeting.city_id)


def _conflict(obj: Any, expected_version: int | None, noun: str) -> None:
    if expected_version is not None and obj.version != expected_version:
        message = _("Someone else changed this %(noun)s meanwhile; reload it and try again.") % {"noun": noun}
        raise ValidationError({"version": ValidationError(message, code="conflict")})


def _invalid(message: str) -> ValidationError:
    return ValidationError({"status": ValidationError(message, code="invalid_transition")})


def _text(value: str | None) -> str:
    return (value or "").strip()


def _case_event(*, hall: Hall, case_id: int, actor: Any, kind: str, changes: dict[str, Any]) -> None:
    """Append an event to a linked case's timeline, in its hall's schema (same transaction)."""
    case_event_record_in_hall(hall=hall, case_id=case_id, actor=actor, kind=kind, changes=changes)


def _number(prefix: str, city: Hall, pk: int) -> str:
    return f"{prefix}-{city.region_code}-{timezone.localdate().year}-{pk:05d}"


# --- Joint meetings ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseRef:
    hall_id: int
    case_id: int
    summary: str = ""


@dataclass(frozen=True)
class MeetingDraft:
    subject: str
    starts_at: datetime | None
    agenda: str
    lead_department_id: int | None = None
    lead_is_hall: bool = False
    place: str = ""
    online_link: str = ""
    department_ids: list[int] = field(default_factory=list)
    hall_ids: list[int] = field(default_factory=list)
    cases: list[CaseRef] = field(default_factory=list)


@transaction.atomic
def meeting_convene(*, actor: Any, hall: Hall | None, draft: MeetingDraft) -> JointMeeting:
    """Convene a joint meeting (rule art. 5(2), 9): a hall lead for their hall's departments and the
    city-level ones; a city supervisor across the halls and departments of the city. Invitations go
    out as notices; each linked case's timeline records the meeting."""
    scope = scope_for(actor=actor, hall=hall)
    departments = scope.departments()
    halls = {h.pk: h for h in scope.halls()}
    errors: dict[str, list[str]] = {}
    if not _text(draft.subject):
        errors["subject"] = [_("Give the meeting a subject.")]
    if not _text(draft.agenda):
        errors["agenda"] = [_("Write the agenda.")]
    if draft.starts_at is None:
        errors["starts_at"] = [_("Give the time of the meeting.")]
    if not _text(draft.place) and not _text(draft.online_link):
        errors["place"] = [_("Give a place or an online link.")]
    if draft.lead_department_id is None and not draft.lead_is_hall:
        errors["lead_department"] = [_("Name the lead unit (牵头单位).")]
    elif draft.lead_department_id is not None and draft.lead_department_id not in departments:
        errors["lead_department"] = [_("The lead unit must be a department this meeting may involve.")]
    if not draft.department_ids and not draft.hall_ids:
        errors["departments"] = [_("Invite at least one department or hall.")]
    bad_departments = [d for d in draft.department_ids if d not in departments]
    if bad_departments:
        errors["departments"] = [_("Some departments are outside the scope of this meeting.")]
    bad_halls = [h for h in draft.hall_ids if h not in halls]
    if bad_halls:
        errors["halls"] = [_("Some halls are outside the scope of this meeting.")]
    index_rows: dict[tuple[int, int], CaseIndex] = {}
    if draft.cases:
        wanted = Q(pk__in=[])
        for ref in draft.cases:
            wanted |= Q(hall_id=ref.hall_id) & Q(case_id=ref.case_id)
        index_rows = {(row.hall_id, row.case_id): row for row in CaseIndex.objects.filter(wanted)}
        for i, ref in enumerate(draft.cases):
            if ref.hall_id not in halls or (ref.hall_id, ref.case_id) not in index_rows:
                errors[f"cases.{i}"] = [_("No such case in the halls of this meeting.")]
    if errors:
        raise ValidationError(errors)
    assert draft.starts_at is not None
    now = timezone.now()
    meeting = JointMeeting.objects.create(
        number=f"pending-{now.timestamp()}-{actor.pk}",
        level=scope.level,
        hall=scope.hall,
        city=scope.city,
        subject=_text(draft.subject),
        lead_department_id=draft.lead_department_id,
        lead_is_hall=draft.lead_is_hall and draft.lead_department_id is None,
        starts_at=draft.starts_at,
        place=_text(draft.place),
        online_link=_text(draft.online_link),
        agenda=_text(draft.agenda),
        convened_by=actor,
        convened_at=now,
    )
    meeting.number = _number("LX", scope.city, meeting.pk)
    meeting.save(update_fields=["number"])
    invited_departments = sorted(
        set(draft.department_ids) | ({draft.lead_department_id} if draft.lead_department_id is not None else set())
    )
    MeetingInvitation.objects.bulk_create(
        [MeetingInvitation(meeting=meeting, department_id=d) for d in invited_departments]
        + [MeetingInvitation(meeting=meeting, hall_id=h) for h in sorted(set(draft.hall_ids))]
    )
    for ref in draft.cases:
        row = index_rows[(ref.hall_id, ref.case_id)]
        MeetingCase.objects.create(
            meeting=meeting,
            hall_id=ref.hall_id,
            case_id=ref.case_id,
            case_number=row.number,
            matter_name=row.matter_name,
            summary=_text(ref.summary),
        )
        _case_event(
            hall=halls[ref.hall_id],
            case_id=ref.case_id,
            actor=actor,
            kind="meeting_convened",
            changes={"meeting": meeting.number, "subject": meeting.subject, "starts_at": meeting.starts_at.isoformat()},
        )
        # the window's request for a joint meeting on this case, if any, is answered by this one
        case_meeting_request_settle_in_hall(
            hall=halls[ref.hall_id], case_id=ref.case_id, actor=actor, meeting_number=meeting.number
        )
    audit_record(action="meeting.convene", actor=actor, hall=scope.hall, target=meeting, changes={"level": scope.level})
    notices.meeting_invitations(meeting=meeting)
    return meeting


@transaction.atomic
def meeting_request_decline(*, actor: Any, hall_id: int, case_id: int, reason: str) -> None:
    """A city supervisor (or the hall's lead) declines the window's request for a joint meeting on a
    case, with a reason recorded on the case's timeline (casework's case_meeting_request_decline,
    audited there). A request the actor does not decide, or that is no longer open: 404."""
    row = meeting_request_list_for(actor=actor).filter(hall_id=hall_id, case_id=case_id).first()
    if row is None:
        raise Http404
    case_meeting_request_decline_in_hall(hall=row.hall, case_id=case_id, actor=actor, reason=reason)


def _invitation_mine(actor: Any, invitation: MeetingInvitation) -> bool:
    if invitation.department_id is not None:
        return invitation.department_id in department_ids_of(actor, active_departments_only=False)
    if invitation.hall_id is None:
        return False
    return RoleAssignment.objects.filter(
        user_id=actor.pk, kind__in=[RoleKind.HALL_LEAD, RoleKind.WINDOW_STAFF], hall_id=invitation.hall_id
    ).exists()


@transaction.atomic
def meeting_respond(*, actor: Any, invitation: MeetingInvitation, response: str, note: str = "") -> MeetingInvitation:
    """An invited department or hall accepts or declines (a decline says why)."""
    invitation = (
        MeetingInvitation.objects.select_for_update(of=("self",)).select_related("meeting").get(pk=invitation.pk)
    )
    if not _invitation_mine(actor, invitation):
        raise Http404
    if invitation.meeting.status != MeetingStatus.CONVENED:
        raise _invalid(_("The meeting has already taken place or was cancelled."))
    errors: dict[str, list[str]] = {}
    if response not in (InvitationResponse.ACCEPTED, InvitationResponse.DECLINED):
        errors["response"] = [_("Accept or decline.")]
    if response == InvitationResponse.DECLINED and not _text(note):
        errors["note"] = [_("Say why you decline.")]
    if errors:
        raise ValidationError(errors)
    invitation.response = response
    invitation.response_note = _text(note)
    invitation.responded_by = actor
    invitation.responded_at = timezone.now()
    invitation.save()
    audit_record(
        action="meeting.respond",
        actor=actor,
        hall=invitation.meeting.hall,
        target=invitation.meeting,
        changes={"invitation": invitation.pk, "response": response},
    )
    return invitation


@dataclass(frozen=True)
class ResolutionDraft:
    owner_department_id: int | None
    action: str
    days: int | None


@transaction.atomic
def meeting_record_minutes(
    *,
    actor: Any,
    meeting: JointMeeting,
    minutes: str,
    outcome: str,
    resolutions: list[ResolutionDraft],
    expected_version: int | None = None,
) -> JointMeeting:
    """Record the minutes (纪要), the outcome and the resolutions of a held meeting. Each resolution
    names its owner department, what it must do and in how many working days; its deadline is
    tracked like a slip's, in the owner department's hall (escalated to its lead, then the city).
    The linked cases' timelines record the outcome and the resolutions."""
    meeting = JointMeeting.objects.select_for_update().get(pk=meeting.pk)
    if not _may_manage_meeting(actor, meeting):
        raise Http404
    _conflict(meeting, expected_version, _("meeting"))
    if meeting.status != MeetingStatus.CONVENED:
        raise _invalid(_("The minutes of this meeting are already recorded."))
    scope = Scope(level=meeting.level, city=meeting.city, hall=meeting.hall)
    departments = scope.departments()
    errors: dict[str, list[str]] = {}
    if not _text(minutes):
        errors["minutes"] = [_("Write the minutes.")]
    if not _text(outcome):
        errors["outcome"] = [_("Write the outcome of the meeting.")]
    for i, draft in enumerate(resolutions):
        if draft.owner_department_id is None:
            errors[f"resolutions.{i}.owner_department"] = [_("Name the department that must act.")]
        elif draft.owner_department_id not in departments:
            errors[f"resolutions.{i}.owner_department"] = [_("This department is outside the scope of the meeting.")]
        if not _text(draft.action):
            errors[f"resolutions.{i}.action"] = [_("Say what must be done.")]
        if draft.days is None:
            errors[f"resolutions.{i}.days"] = [_("Give the deadline in working days.")]
        elif not 1 <= draft.days <= MAX_DAYS:
            errors[f"resolutions.{i}.days"] = [
                _("The deadline is between 1 and %(max)d working days.") % {"max": MAX_DAYS}
            ]
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    meeting.minutes = _text(minutes)
    meeting.outcome = _text(outcome)
    meeting.status = MeetingStatus.HELD
    meeting.held_at = now
    meeting.version += 1
    meeting.save()
    written = []
    for i, draft in enumerate(resolutions, start=1):
        assert draft.owner_department_id is not None and draft.days is not None
        resolution = MeetingResolution.objects.create(
            meeting=meeting,
            number=f"{meeting.number}-{i}",
            owner_department=departments[draft.owner_department_id],
            action=_text(draft.action),
            days=draft.days,
            created_at=now,
        )
        # The owner department's hall: its calendar counts the days, its lead and its city's
        # supervisors hear of a breach (the convening city hall has no say over a county's units).
        resolution.deadline = deadline_open(
            hall=resolution.owner_department.hall,
            kind=DeadlineKind.MEETING_RESOLUTION,
            subject=resolution,
            start=now,
            rule=DeadlineRule.WORKING_DAYS,
            amount=draft.days,
            owner_department=resolution.owner_department,
            actor=actor,
            subject_number=resolution.number,
        )
        resolution.save(update_fields=["deadline"])
        written.append(resolution)
    summary = [
        {"number": r.number, "department": r.owner_department.name, "action": r.action, "days": r.days} for r in written
    ]
    for link in meeting.cases.select_related("hall"):
        _case_event(
            hall=link.hall,
            case_id=link.case_id,
            actor=actor,
            kind="meeting_held",
            changes={"meeting": meeting.number, "outcome": meeting.outcome, "resolutions": summary},
        )
    audit_record(
        action="meeting.minutes", actor=actor, hall=meeting.hall, target=meeting, changes={"resolutions": len(written)}
    )
    notices.resolutions_assigned(meeting=meeting, resolutions=written)
    return meeting


@transaction.atomic
def resolution_complete(
    *, actor: Any, resolution: MeetingResolution, report: str, expected_version: int | None = None
) -> MeetingResolution:
    """The owner department reports a resolution done; its deadline is met (or stays breached on
    record) and the linked cases' timelines say so."""
    resolution = (
        MeetingResolution.objects.select_for_update(of=("self",))
        .select_related("meeting", "deadline")
        .get(pk=resolution.pk)
    )
    if resolution.owner_department_id not in department_ids_of(actor, active_departments_only=False):
        raise Http404
    _conflict(resolution, expected_version, _("resolution"))
    if resolution.status != ResolutionStatus.OPEN:
        raise _invalid(_("This resolution is no longer open."))
    if not _text(report):
        raise ValidationError({"report": [_("Say what was done.")]})
    now = timezone.now()
    resolution.status = ResolutionStatus.DONE
    resolution.report = _text(report)
    resolution.done_by = actor
    resolution.done_at = now
    resolution.version += 1
    resolution.save()
    on_time = True
    if resolution.deadline is not None:
        on_time = resolution.deadline.state != DeadlineState.BREACHED
        if resolution.deadline.is_live:
            deadline_meet(deadline=resolution.deadline, at=now, actor=actor)
    for link in resolution.meeting.cases.select_related("hall"):
        _case_event(
            hall=link.hall,
            case_id=link.case_id,
            actor=actor,
            kind="resolution_done",
            changes={"resolution": resolution.number, "report": resolution.report, "on_time": on_time},
        )
    notices.resolution_done(resolution=resolution)
    return resolution


@transaction.atomic
def meeting_close(*, actor: Any, meeting: JointMeeting, expected_version: int | None = None) -> JointMeeting:
    """Close a held meeting once every resolution is done."""
    meeting = JointMeeting.objects.select_for_update().get(pk=meeting.pk)
    if not _may_manage_meeting(actor, meeting):
        raise Http404
    _conflict(meeting, expected_version, _("meeting"))
    if meeting.status != MeetingStatus.HELD:
        raise _invalid(_("Only a meeting whose minutes are recorded can be closed."))
    if meeting.resolutions.filter(status=ResolutionStatus.OPEN).exists():
        raise _invalid(_("Some resolutions are still open."))
    meeting.status = MeetingStatus.CLOSED
    meeting.closed_at = timezone.now()
    meeting.version += 1
    meeting.save()
    for link in meeting.cases.select_related("hall"):
        # the timeline records the close; a case that waited on the meeting alone is replied
        case_meeting_closed_in_hall(hall=link.hall, case_id=link.case_id, actor=actor, meeting_number=meeting.number)
    audit_record(action="meeting.close", actor=actor, hall=meeting.hall, target=meeting)
    return meeting


# --- Supervision orders ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrderDraft:
    target_hall_id: int | None
    reason: str
    required_action: str
    days: int | None
    target_department_id: int | None = None
    case: CaseRef | None = None
    slip_id: int | None = None  # a SlipIndex row


@transaction.atomic
def order_issue(*, actor: Any, hall: Hall | None, draft: OrderDraft) -> SupervisionOrder:
    """Issue a supervision order (督办单, rule art. 7 不给办, art. 9): a city supervisor to any hall or
    department of the city, a hall lead within the hall; on a case or a slip, with the reason, the
    required action and a deadline in working days (escalated when overdue)."""
    scope = scope_for(actor=actor, hall=hall)
    halls = {h.pk: h for h in scope.halls()}
    departments = scope.departments()
    errors: dict[str, list[str]] = {}
    target_hall = halls.get(draft.target_hall_id or 0)
    if target_hall is None:
        errors["target_hall"] = [_("Address the order to a hall of your city.")]
    if draft.target_department_id is not None and draft.target_department_id not in departments:
        errors["target_department"] = [_("Address the order to a department of your city.")]
    elif target_hall is not None and draft.target_department_id is not None:
        addressed = departments[draft.target_department_id]
        # its deadline escalates in the addressed hall: a county unit must be stationed there
        if addressed.hall_id != target_hall.pk and addressed.hall.level != HallLevel.CITY:
            errors["target_department"] = [
                _("Address a department stationed in that hall, or a city-level department.")
            ]
    if not _text(draft.reason):
        errors["reason"] = [_("Give the reason for the order.")]
    if not _text(draft.required_action):
        errors["required_action"] = [_("Say what must be done.")]
    if draft.days is None:
        errors["days"] = [_("Give the deadline in working days.")]
    elif not 1 <= draft.days <= MAX_DAYS:
        errors["days"] = [_("The deadline is between 1 and %(max)d working days.") % {"max": MAX_DAYS}]
    slip: SlipIndex | None = None
    case_row: CaseIndex | None = None
    if draft.slip_id is not None:
        slip = SlipIndex.objects.filter(pk=draft.slip_id, hall_id__in=list(halls)).first()
        if slip is None:
            errors["slip"] = [_("No such transfer slip in your city.")]
    if draft.case is not None:
        case_row = CaseIndex.objects.filter(
            hall_id=draft.case.hall_id, case_id=draft.case.case_id, hall_id__in=list(halls)
        ).first()
        if case_row is None:
            errors["case"] = [_("No such case in your city.")]
    if errors:
        raise ValidationError(errors)
    assert target_hall is not None and draft.days is not None
    if slip is not None and case_row is None:
        case_row = CaseIndex.objects.filter(hall_id=slip.hall_id, case_id=slip.case_id).first()
    now = timezone.now()
    department = departments.get(draft.target_department_id or 0)
    order = SupervisionOrder.objects.create(
        number=f"pending-{now.timestamp()}-{actor.pk}",
        city=scope.city,
        issuing_hall=scope.hall,
        issued_by=actor,
        issued_at=now,
        target_hall=target_hall,
        target_department=department,
        case_hall_id=case_row.hall_id if case_row else None,
        case_id=case_row.case_id if case_row else None,
        case_number=case_row.number if case_row else "",
        slip=slip,
        reason=_text(draft.reason),
        required_action=_text(draft.required_action),
        days=draft.days,
    )
    order.number = _number("DB", scope.city, order.pk)
    order.deadline = deadline_open(
        hall=target_hall,
        kind=DeadlineKind.SUPERVISION_ORDER,
        subject=order,
        start=now,
        rule=DeadlineRule.WORKING_DAYS,
        amount=draft.days,
        owner_department=department,
        actor=actor,
        subject_number=order.number,
    )
    order.save(update_fields=["number", "deadline"])
    if case_row is not None:
        _case_event(
            hall=Hall.objects.get(pk=case_row.hall_id),
            case_id=case_row.case_id,
            actor=actor,
            kind="supervision_order",
            changes={"order": order.number, "reason": order.reason, "days": order.days},
        )
    audit_record(
        action="order.issue", actor=actor, hall=scope.hall, target=order, changes={"target_hall": target_hall.code}
    )
    notices.order_issued(order=order)
    return order


def _order_addressee(actor: Any, order: SupervisionOrder) -> bool:
    if order.target_department_id is not None:
        return order.target_department_id in department_ids_of(actor, active_departments_only=False)
    return _is_hall_lead(actor, order.target_hall_id)


def _order_issuer(actor: Any, order: SupervisionOrder) -> bool:
    if order.issuing_hall_id == order.city_id:
        return _is_supervisor_of(actor, order.city_id)
    return _is_hall_lead(actor, order.issuing_hall_id) or _is_supervisor_of(actor, order.city_id)


@transaction.atomic
def order_respond(
    *, actor: Any, order: SupervisionOrder, response: str, expected_version: int | None = None
) -> SupervisionOrder:
    """The addressee answers the order: what was done. The deadline is met; the issuer decides."""
    order = SupervisionOrder.objects.select_for_update(of=("self",)).select_related("deadline").get(pk=order.pk)
    if not _order_addressee(actor, order):
        raise Http404
    _conflict(order, expected_version, _("order"))
    if order.status != OrderStatus.ISSUED:
        raise _invalid(_("This order is not waiting for a response."))
    if not _text(response):
        raise ValidationError({"response": [_("Say what was done.")]})
    now = timezone.now()
    order.status = OrderStatus.RESPONDED
    order.response = _text(response)
    order.responded_by = actor
    order.responded_at = now
    order.version += 1
    order.save()
    if order.deadline is not None and order.deadline.is_live:
        deadline_meet(deadline=order.deadline, at=now, actor=actor)
    audit_record(action="order.respond", actor=actor, hall=order.target_hall, target=order)
    notices.order_responded(order=order)
    return order


@transaction.atomic
def order_accept(*, actor: Any, order: SupervisionOrder, expected_version: int | None = None) -> SupervisionOrder:
    """The issuer accepts the response: the order is closed."""
    order = SupervisionOrder.objects.select_for_update().get(pk=order.pk)
    if not _order_issuer(actor, order):
        raise Http404
    _conflict(order, expected_version, _("order"))
    if order.status != OrderStatus.RESPONDED:
        raise _invalid(_("Only a responded order can be accepted."))
    order.status = OrderStatus.CLOSED
    order.accepted_at = timezone.now()
    order.version += 1
    order.save()
    if order.case_hall_id and order.case_id:
        _case_event(
            hall=Hall.objects.get(pk=order.case_hall_id),
            case_id=order.case_id,
            actor=actor,
            kind="supervision_closed",
            changes={"order": order.number, "response": order.response},
        )
    audit_record(action="order.accept", actor=actor, hall=order.issuing_hall, target=order)
    return order


@transaction.atomic
def order_reject(
    *, actor: Any, order: SupervisionOrder, note: str, expected_version: int | None = None
) -> SupervisionOrder:
    """The issuer does not accept the response: the order is open again with a fresh deadline."""
    order = SupervisionOrder.objects.select_for_update().get(pk=order.pk)
    if not _order_issuer(actor, order):
        raise Http404
    _conflict(order, expected_version, _("order"))
    if order.status != OrderStatus.RESPONDED:
        raise _invalid(_("Only a responded order can be sent back."))
    if not _text(note):
        raise ValidationError({"note": [_("Say why the response is not enough.")]})
    now = timezone.now()
    order.status = OrderStatus.ISSUED
    order.response = f"{order.response}\n[{_('Sent back')}] {_text(note)}"
    order.version += 1
    order.deadline = deadline_open(
        hall=order.target_hall,
        kind=DeadlineKind.SUPERVISION_ORDER,
        subject=order,
        start=now,
        rule=DeadlineRule.WORKING_DAYS,
        amount=order.days,
        owner_department=order.target_department,
        actor=actor,
        subject_number=order.number,
    )
    order.save()
    audit_record(
        action="order.reject", actor=actor, hall=order.issuing_hall, target=order, changes={"note": _text(note)}
    )
    notices.order_issued(order=order, again=True)
    return order


# --- Reassigning a slip within its department -----------------------------------------------------------------


@transaction.atomic
def slip_assign(*, actor: Any, slip: SlipIndex, handler: Any) -> SlipIndex:
    """Give a slip to another handler (经办人) of the same department: the department's lead does it
    (a handler of the department is refused). Audited, recorded in the case's timeline, and the new
    handler is told; the 转办单 then prints their name and phone."""
    slip = SlipIndex.objects.select_for_update(of=("self",)).select_related("hall", "assigned_to").get(pk=slip.pk)
    if slip.department_id not in department_ids_of(actor, active_departments_only=False):
        raise Http404
    if slip.department_id not in department_ids_led_by(actor):
        raise PermissionDenied(_("Only the department's lead gives a slip to another handler."))
    handler_id = getattr(handler, "pk", None)
    is_handler = (
        handler_id is not None
        and RoleAssignment.objects.filter(
            user_id=handler_id, kind__in=DEPARTMENT_ROLES, department_id=slip.department_id, user__is_active=True
        ).exists()
    )
    if not is_handler:
        raise ValidationError({"handler": [_("Choose a handler of the same department.")]})
    before = slip.assigned_to_id
    before_name = str(slip.assigned_to) if slip.assigned_to is not None else ""
    slip.assigned_to = handler
    slip.save(update_fields=["assigned_to", "updated_at"])
    case_event_record_in_hall(
        hall=slip.hall,
        case_id=slip.case_id,
        actor=actor,
        kind="slip_handler_reassigned",
        changes={"slip": slip.slip_number, "from": before_name, "to": str(handler)},
    )
    audit_record(
        action="slip.assign",
        actor=actor,
        hall=slip.hall,
        target=slip,
        changes={"slip": slip.slip_number, "from": before, "to": handler.pk},
    )
    notices.slip_assigned(slip=slip)
    return slip
