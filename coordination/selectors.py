"""Reads of the city level: every figure is one query over public-schema rows, whatever the number of
halls (DESIGN.md 4.2)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from coordination.models import (
    CaseIndex,
    JointMeeting,
    MeetingResolution,
    OrderStatus,
    ResolutionStatus,
    SlipIndex,
    SupervisionOrder,
)
from hallplatform.accounts.models import DEPARTMENT_ROLES, RoleAssignment, RoleKind
from hallplatform.deadlines.models import Deadline, DeadlineState
from tenants.models import Hall

CLOSED_CASE_STATES = ("closed", "not_accepted")
OPEN_SLIP_STATES = ("sent", "received", "awaiting_supplement")
OPEN_ORDER_STATES = (OrderStatus.ISSUED, OrderStatus.RESPONDED)


def cities_supervised_by(actor: Any) -> list[Hall]:
    ids = RoleAssignment.objects.filter(user_id=actor.pk, kind=RoleKind.CITY_SUPERVISOR).values_list(
        "hall_id", flat=True
    )
    return list(Hall.objects.filter(pk__in=list(ids)).order_by("region_code"))


def city_for_supervisor(*, actor: Any, city_id: int | None = None) -> Hall:
    """The city a supervisor looks at (their only one, or the one asked for); 404 otherwise."""
    cities = cities_supervised_by(actor)
    if city_id is not None:
        cities = [c for c in cities if c.pk == city_id]
    if not cities:
        raise Http404
    return cities[0]


@dataclass
class HallOverview:
    hall: Hall
    open_cases: int = 0
    flagged_cases: int = 0
    open_slips: int = 0
    yellow: int = 0
    red: int = 0
    escalated: int = 0
    open_orders: int = 0
    extra: dict[str, int] = field(default_factory=dict)


def portal_overview(*, city: Hall) -> list[HallOverview]:
    """Per hall of the city: open cases, cases flagged 不给办, open slips, yellow (临期) and red (逾期)
    deadlines, escalations not yet answered, open supervision orders. Six queries in all."""
    halls = list(Hall.objects.filter(Q(pk=city.pk) | Q(parent_id=city.pk)).order_by("level", "region_code"))
    rows = {hall.pk: HallOverview(hall=hall) for hall in halls}
    ids = list(rows)
    now = timezone.now()
    for item in (
        CaseIndex.objects.filter(hall_id__in=ids)
        .exclude(status__in=CLOSED_CASE_STATES)
        .values("hall_id")
        .annotate(total=Count("id"), flagged=Count("id", filter=Q(flagged_for_supervision=True)))
    ):
        rows[item["hall_id"]].open_cases = item["total"]
        rows[item["hall_id"]].flagged_cases = item["flagged"]
    for item in (
        SlipIndex.objects.filter(hall_id__in=ids, status__in=OPEN_SLIP_STATES).values("hall_id").annotate(n=Count("id"))
    ):
        rows[item["hall_id"]].open_slips = item["n"]
    open_state = Q(state=DeadlineState.OPEN)
    for item in (
        Deadline.objects.filter(hall_id__in=ids, state__in=[DeadlineState.OPEN, DeadlineState.BREACHED])
        .values("hall_id")
        .annotate(
            yellow=Count("id", filter=open_state & Q(warn_at__lte=now, due_at__gt=now)),
            red=Count("id", filter=Q(state=DeadlineState.BREACHED) | (open_state & Q(due_at__lte=now))),
            escalated=Count("id", filter=Q(state=DeadlineState.BREACHED, escalation_level__gte=2)),
        )
    ):
        row = rows[item["hall_id"]]
        row.yellow, row.red, row.escalated = item["yellow"], item["red"], item["escalated"]
    for item in (
        SupervisionOrder.objects.filter(target_hall_id__in=ids, status__in=OPEN_ORDER_STATES)
        .values("target_hall_id")
        .annotate(n=Count("id"))
    ):
        rows[item["target_hall_id"]].open_orders = item["n"]
    return [rows[hall.pk] for hall in halls]


def _open_order_on_case() -> Exists:
    return Exists(
        SupervisionOrder.objects.filter(
            case_hall_id=OuterRef("hall_id"), case_id=OuterRef("case_id"), status__in=OPEN_ORDER_STATES
        )
    )


def supervision_proposals(*, city: Hall, limit: int = 50) -> dict[str, list[Any]]:
    """What the portal proposes for supervision: open cases flagged 不给办, and red-card slips
    (overdue), that no open order covers yet."""
    now = timezone.now()
    halls = Q(hall_id=city.pk) | Q(hall__parent_id=city.pk)
    flagged = (
        CaseIndex.objects.filter(halls, flagged_for_supervision=True)
        .exclude(status__in=CLOSED_CASE_STATES)
        .exclude(_open_order_on_case())
        .select_related("hall")
        .order_by("registered_at")[:limit]
    )
    red_slips = (
        SlipIndex.objects.filter(halls, status__in=OPEN_SLIP_STATES)
        .filter(
            Q(deadline__state=DeadlineState.BREACHED) | Q(deadline__state=DeadlineState.OPEN, deadline__due_at__lte=now)
        )
        .exclude(Exists(SupervisionOrder.objects.filter(slip_id=OuterRef("pk"), status__in=OPEN_ORDER_STATES)))
        .select_related("hall", "department", "deadline")
        .order_by("deadline__due_at")[:limit]
    )
    return {"flagged_cases": list(flagged), "red_slips": list(red_slips)}


def department_ids_of(actor: Any) -> list[int]:
    return sorted(
        RoleAssignment.objects.filter(
            user_id=actor.pk, kind__in=DEPARTMENT_ROLES, department__is_active=True
        ).values_list("department_id", flat=True)
    )


def resolution_list_for_department(*, actor: Any, open_only: bool = True) -> QuerySet[MeetingResolution]:
    """Meeting resolutions owned by the actor's departments, from every hall and the city."""
    rows = MeetingResolution.objects.filter(owner_department_id__in=department_ids_of(actor))
    if open_only:
        rows = rows.filter(status=ResolutionStatus.OPEN)
    return rows.select_related("meeting", "owner_department", "deadline").order_by("deadline__due_at", "id")


def order_list_for_addressee(*, actor: Any, open_only: bool = True) -> QuerySet[SupervisionOrder]:
    """Supervision orders addressed to the actor's departments, or to the halls they lead."""
    led = RoleAssignment.objects.filter(user_id=actor.pk, kind=RoleKind.HALL_LEAD).values_list("hall_id", flat=True)
    rows = SupervisionOrder.objects.filter(
        Q(target_department_id__in=department_ids_of(actor))
        | Q(target_department__isnull=True, target_hall_id__in=list(led))
    )
    if open_only:
        rows = rows.filter(status=OrderStatus.ISSUED)
    return rows.select_related("target_hall", "target_department", "issuing_hall", "deadline").order_by(
        "deadline__due_at", "id"
    )


def order_list_for_issuer(
    *, actor: Any, city: Hall | None = None, hall: Hall | None = None
) -> QuerySet[SupervisionOrder]:
    """Orders a supervisor sees (the city's) or a hall lead sees (issued in or to their hall)."""
    rows = SupervisionOrder.objects.all()
    if city is not None:
        rows = rows.filter(city=city)
    elif hall is not None:
        rows = rows.filter(Q(issuing_hall=hall) | Q(target_hall=hall))
    else:
        rows = rows.none()
    return rows.select_related("target_hall", "target_department", "issuing_hall", "deadline", "issued_by")


def meeting_list_for(*, actor: Any, hall: Hall | None) -> QuerySet[JointMeeting]:
    """Meetings the actor convened in their scope, or to which their department or hall is invited."""
    roles = RoleAssignment.objects.filter(user_id=actor.pk)
    supervised = list(roles.filter(kind=RoleKind.CITY_SUPERVISOR).values_list("hall_id", flat=True))
    led = list(roles.filter(kind__in=[RoleKind.HALL_LEAD, RoleKind.WINDOW_STAFF]).values_list("hall_id", flat=True))
    departments = department_ids_of(actor)
    visible = (
        Q(city_id__in=supervised)
        | Q(hall_id__in=led)
        | Q(invitations__department_id__in=departments)
        | Q(invitations__hall_id__in=led)
    )
    rows = JointMeeting.objects.filter(visible).distinct()
    if hall is not None:
        rows = rows.filter(Q(hall=hall) | Q(invitations__hall=hall) | Q(cases__hall=hall)).distinct()
    return rows.select_related("hall", "city", "lead_department", "convened_by").order_by("-starts_at", "-id")


def meeting_get_for(*, actor: Any, meeting_id: int, hall: Hall | None = None) -> JointMeeting:
    meeting = meeting_list_for(actor=actor, hall=hall).filter(pk=meeting_id).first()
    if meeting is None:
        raise Http404
    return meeting


def meetings_of_case(*, hall_id: int, case_id: int) -> QuerySet[JointMeeting]:
    """Meetings about a case (shown on its page: a case waiting on a meeting shows it)."""
    return (
        JointMeeting.objects.filter(cases__hall_id=hall_id, cases__case_id=case_id)
        .select_related("lead_department", "hall")
        .prefetch_related("resolutions")
        .distinct()
        .order_by("-starts_at")
    )


def orders_of_case(*, hall_id: int, case_id: int) -> QuerySet[SupervisionOrder]:
    return SupervisionOrder.objects.filter(case_hall_id=hall_id, case_id=case_id).select_related(
        "target_hall", "target_department", "deadline"
    )
