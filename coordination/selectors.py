"""Reads of the city level: every figure is one query over public-schema rows, whatever the number of
halls (DESIGN.md 4.2)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Case, Exists, OuterRef, Q, QuerySet, Value, When
from django.http import Http404
from django.utils import timezone

from coordination.models import JointMeeting, MeetingResolution, OrderStatus, ResolutionStatus, SupervisionOrder
from hallindex.models import CaseIndex, SlipIndex
from hallplatform.accounts.models import DEPARTMENT_ROLES, RoleAssignment, RoleKind, User
from hallplatform.accounts.selectors import department_ids_of
from hallplatform.deadlines.models import DeadlineState
from tenants.models import Hall
from tenants.selectors import hall_list_for_city

CLOSED_CASE_STATES = ("closed", "not_accepted")
OPEN_SLIP_STATES = ("sent", "received", "awaiting_supplement")
OPEN_ORDER_STATES = (OrderStatus.ISSUED, OrderStatus.RESPONDED)


def cities_supervised_by(actor: Any) -> list[Hall]:
    ids = RoleAssignment.objects.filter(user_id=actor.pk, kind=RoleKind.CITY_SUPERVISOR).values_list(
        "hall_id", flat=True
    )
    return list(Hall.objects.filter(pk__in=list(ids)).order_by("region_code"))


def city_for_supervisor(*, actor: Any, city_id: int | None = None, cities: list[Hall] | None = None) -> Hall:
    """The city a supervisor looks at (their only one, or the one asked for); 404 otherwise.
    ``cities``: ``cities_supervised_by(actor)`` when the caller has it already."""
    cities = cities_supervised_by(actor) if cities is None else cities
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


# One statement for every figure of every hall: a part per table, each an index-only scan of the
# table's open rows by hall (the partial indexes caseindex_open_by_hall, slipindex_open_by_hall,
# deadline_open_by_hall; the conditions are written as those indexes' so that the planner uses
# them). Four ORM aggregate queries cost more in Python than in PostgreSQL (benchmarks/city_portal.py).
_OVERVIEW_SQL = """
SELECT 'cases', hall_id, count(*), count(*) FILTER (WHERE flagged_for_supervision), 0
  FROM coordination_caseindex
 WHERE hall_id = ANY(%(halls)s) AND NOT (status IN ('closed', 'not_accepted'))
 GROUP BY hall_id
UNION ALL
SELECT 'slips', hall_id, count(*), 0, 0
  FROM coordination_slipindex
 WHERE hall_id = ANY(%(halls)s) AND status IN ('sent', 'received', 'awaiting_supplement')
 GROUP BY hall_id
UNION ALL
SELECT 'deadlines', hall_id,
       count(*) FILTER (WHERE state = 'open' AND warn_at <= %(now)s AND due_at > %(now)s),
       count(*) FILTER (WHERE state = 'breached' OR (state = 'open' AND due_at <= %(now)s)),
       count(*) FILTER (WHERE state = 'breached' AND escalation_level >= 2)
  FROM deadlines_deadline
 WHERE hall_id = ANY(%(halls)s) AND state IN ('open', 'breached')
 GROUP BY hall_id
UNION ALL
SELECT 'orders', target_hall_id, count(*), 0, 0
  FROM coordination_supervisionorder
 WHERE target_hall_id = ANY(%(halls)s) AND status IN ('issued', 'responded')
 GROUP BY target_hall_id
"""


def portal_overview(*, city: Hall) -> list[HallOverview]:
    """Per hall of the city: open cases, cases flagged 不给办, open slips, yellow (临期) and red (逾期)
    deadlines, escalations not yet answered, open supervision orders. Two queries in all: the halls,
    and every figure (``_OVERVIEW_SQL``)."""
    halls = list(hall_list_for_city(city_id=city.pk))
    rows = {hall.pk: HallOverview(hall=hall) for hall in halls}
    with connection.cursor() as cursor:
        cursor.execute(_OVERVIEW_SQL, {"halls": list(rows), "now": timezone.now()})
        found = cursor.fetchall()
    for part, hall_id, first, second, third in found:
        row = rows[hall_id]
        if part == "cases":
            row.open_cases, row.flagged_cases = first, second
        elif part == "slips":
            row.open_slips = first
        elif part == "deadlines":
            row.yellow, row.red, row.escalated = first, second, third
        else:
            row.open_orders = first
    return [rows[hall.pk] for hall in halls]


def _open_order_on_case() -> Exists:
    return Exists(
        SupervisionOrder.objects.filter(
            case_hall_id=OuterRef("hall_id"), case_id=OuterRef("case_id"), status__in=OPEN_ORDER_STATES
        )
    )


# What the portal and the API show of a proposal (only these columns are read: the index rows have
# a dozen timestamps each, and parsing them cost more than the queries).
_HALL_FIELDS = ("id", "code", "name", "level")
_FLAGGED_FIELDS = (
    *("id", "hall_id", "case_id", "number", "matter_name", "handling_category", "status", "registered_at"),
    *(f"hall__{name}" for name in _HALL_FIELDS),
)
_RED_SLIP_FIELDS = (
    *("id", "slip_id", "hall_id", "slip_number", "case_number", "case_id", "department_id", "matter_name"),
    *("status", "deadline_id"),
    *(f"hall__{name}" for name in _HALL_FIELDS),
    *("department__id", "department__code", "department__name", "department__hall_id"),
    *(f"department__hall__{name}" for name in _HALL_FIELDS),
    *(f"deadline__{name}" for name in ("id", "kind", "state", "due_at", "warn_at", "warned_at", "provisional")),
    "deadline__escalation_level",
)


def supervision_proposals(*, city: Hall, limit: int = 50, hall_ids: list[int] | None = None) -> dict[str, list[Any]]:
    """What the portal proposes for supervision: open cases flagged 不给办, and red-card slips
    (overdue), that no open order covers yet."""
    now = timezone.now()
    halls = Q(hall_id=city.pk) | Q(hall__parent_id=city.pk)
    flagged = (
        CaseIndex.objects.filter(halls, flagged_for_supervision=True)
        .exclude(status__in=CLOSED_CASE_STATES)
        .exclude(_open_order_on_case())
        .select_related("hall")
        .only(*_FLAGGED_FIELDS)
        .order_by("registered_at")[:limit]
    )
    # The red slips are picked first, by the halls' ids (no join) and without the rows shown with them,
    # which are joined to the chosen ones only: PostgreSQL cannot know that open slips and overdue
    # deadlines go together, expects a handful where there are thousands, and would otherwise join
    # every one of them to the halls by scanning the halls (benchmarks/city_portal.py).
    if hall_ids is None:  # the portal passes those of its overview
        hall_ids = list(hall_list_for_city(city_id=city.pk).values_list("pk", flat=True))
    # The slips under an open order are few (one per order): a hashed NOT IN over them instead of
    # looking for an order for each of the thousands of red slips.
    ordered = SupervisionOrder.objects.filter(status__in=OPEN_ORDER_STATES, slip_id__isnull=False).values("slip_id")
    red = list(
        SlipIndex.objects.filter(hall_id__in=hall_ids, status__in=OPEN_SLIP_STATES)
        .filter(
            Q(deadline__state=DeadlineState.BREACHED) | Q(deadline__state=DeadlineState.OPEN, deadline__due_at__lte=now)
        )
        .exclude(pk__in=ordered)
        .order_by("deadline__due_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    red_slips = (
        SlipIndex.objects.filter(pk__in=red)
        .select_related("hall", "department__hall", "deadline")
        .only(*_RED_SLIP_FIELDS)
        .order_by("deadline__due_at", "pk")
    )
    return {"flagged_cases": list(flagged), "red_slips": list(red_slips)}


def meeting_request_list_for(*, actor: Any, hall: Hall | None = None) -> QuerySet[CaseIndex]:
    """The open requests for a joint meeting that ``actor`` decides (convene or decline), oldest
    first: a hall lead's, those of their hall; a city supervisor's, those of every hall of their
    cities; on a hall's host (``hall``), that hall's only. Open: asked for by the window, neither
    convened nor declined, the case not closed. One query over the public index, whatever the number
    of halls; anyone else gets none. What a to-do list of leads and supervisors shows."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return CaseIndex.objects.none()
    roles = RoleAssignment.objects.filter(user_id=actor.pk)
    lead_halls = list(roles.filter(kind=RoleKind.HALL_LEAD).values_list("hall_id", flat=True))
    cities = list(roles.filter(kind=RoleKind.CITY_SUPERVISOR).values_list("hall_id", flat=True))
    if not lead_halls and not cities:
        return CaseIndex.objects.none()
    rows = CaseIndex.objects.filter(
        Q(hall_id__in=lead_halls) | Q(hall_id__in=cities) | Q(hall__parent_id__in=cities), meeting_requested=True
    ).exclude(status__in=CLOSED_CASE_STATES)
    if hall is not None:
        rows = rows.filter(hall_id=hall.pk)
    return rows.select_related("hall").order_by("transferred_at", "pk")


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
    """Meetings the actor convened in their scope, to which their department or hall is invited, or
    that gave their department a resolution."""
    roles = RoleAssignment.objects.filter(user_id=actor.pk)
    supervised = list(roles.filter(kind=RoleKind.CITY_SUPERVISOR).values_list("hall_id", flat=True))
    led = list(roles.filter(kind__in=[RoleKind.HALL_LEAD, RoleKind.WINDOW_STAFF]).values_list("hall_id", flat=True))
    departments = department_ids_of(actor)
    visible = (
        Q(city_id__in=supervised)
        | Q(hall_id__in=led)
        | Q(invitations__department_id__in=departments)
        | Q(invitations__hall_id__in=led)
        # a department given a resolution sees the meeting it came from, invited or not
        | Q(resolutions__owner_department_id__in=departments)
    )
    rows = JointMeeting.objects.filter(visible).distinct()
    if hall is not None:
        # on a hall's host: the meetings that concern the hall, its cases or a unit stationed there
        rows = rows.filter(
            Q(hall=hall)
            | Q(invitations__hall=hall)
            | Q(cases__hall=hall)
            | Q(invitations__department__hall=hall)
            | Q(resolutions__owner_department__hall=hall)
        ).distinct()
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


# --- What the pages offer an actor (the services decide; these only choose which buttons to show) -----


@dataclass(frozen=True)
class MeetingRights:
    manage: bool  # record the minutes, close the meeting
    invitation_ids: frozenset[int]  # invitations the actor answers for
    resolution_ids: frozenset[int]  # resolutions owned by the actor's departments
    case_hall_ids: frozenset[int]  # halls whose cases the actor may open (their staff; the city's supervisor)


def meeting_rights_for(*, actor: Any, meeting: JointMeeting) -> MeetingRights:
    """What the actor may do on a meeting's page, mirroring the services' checks: one query."""
    roles = list(RoleAssignment.objects.filter(user_id=actor.pk).values_list("kind", "hall_id", "department_id"))
    supervised = {hall for kind, hall, _d in roles if kind == RoleKind.CITY_SUPERVISOR}
    led = {hall for kind, hall, _d in roles if kind == RoleKind.HALL_LEAD}
    staffed = {hall for kind, hall, _d in roles if kind in (RoleKind.HALL_LEAD, RoleKind.WINDOW_STAFF)}
    departments = {dept for kind, _h, dept in roles if kind in DEPARTMENT_ROLES}
    city_supervisor = meeting.city_id in supervised
    manage = city_supervisor or (meeting.level == "hall" and meeting.hall_id in led)
    invitations = frozenset(
        i.pk
        for i in meeting.invitations.all()
        if (i.department_id is not None and i.department_id in departments)
        or (i.hall_id is not None and i.hall_id in staffed)
    )
    resolutions = frozenset(r.pk for r in meeting.resolutions.all() if r.owner_department_id in departments)
    case_halls = frozenset(link.hall_id for link in meeting.cases.all() if city_supervisor or link.hall_id in staffed)
    return MeetingRights(
        manage=manage, invitation_ids=invitations, resolution_ids=resolutions, case_hall_ids=case_halls
    )


def order_get_for(*, actor: Any, order_id: int, city_id: int | None = None) -> SupervisionOrder:
    """An order for its issuer's side (the city's supervisors, the lead of the hall it was issued in or
    addressed to) and its addressee (the department's staff); 404 for anyone else. ``city_id``: the
    city of the request's host, when on a hall's host."""
    roles = RoleAssignment.objects.filter(user_id=actor.pk)
    supervised = list(roles.filter(kind=RoleKind.CITY_SUPERVISOR).values_list("hall_id", flat=True))
    led = list(roles.filter(kind=RoleKind.HALL_LEAD).values_list("hall_id", flat=True))
    visible = (
        Q(city_id__in=supervised)
        | Q(issuing_hall_id__in=led)
        | Q(target_hall_id__in=led)
        | Q(target_department_id__in=department_ids_of(actor))
    )
    rows = SupervisionOrder.objects.filter(visible, pk=order_id)
    if city_id is not None:
        rows = rows.filter(city_id=city_id)
    order = (
        rows.select_related(
            "city",
            "issuing_hall",
            "issued_by",
            "target_hall",
            "target_department",
            "case_hall",
            "slip__hall",
            "deadline",
            "responded_by",
        )
        .distinct()
        .first()
    )
    if order is None:
        raise Http404
    return order


@dataclass(frozen=True)
class OrderRights:
    respond: bool  # the addressee answers
    decide: bool  # the issuer accepts the response or sends it back


def order_rights_for(*, actor: Any, order: SupervisionOrder) -> OrderRights:
    """What the actor may do on an order's page, mirroring the services' checks: one query."""
    roles = list(RoleAssignment.objects.filter(user_id=actor.pk).values_list("kind", "hall_id", "department_id"))
    supervisor = any(kind == RoleKind.CITY_SUPERVISOR and hall == order.city_id for kind, hall, _d in roles)
    led = {hall for kind, hall, _d in roles if kind == RoleKind.HALL_LEAD}
    departments = {dept for kind, _h, dept in roles if kind in DEPARTMENT_ROLES}
    if order.target_department_id is not None:
        respond = order.target_department_id in departments
    else:
        respond = order.target_hall_id in led
    # A city order is decided by the city's supervisors; a hall's, by its lead too.
    decide = supervisor or (order.issuing_hall_id != order.city_id and order.issuing_hall_id in led)
    return OrderRights(respond=respond, decide=decide)


def case_index_by_number(*, hall_ids: list[int], numbers: list[str]) -> dict[str, CaseIndex]:
    """Cases of these halls by their NO (unique within a hall, and prefixed by its region code)."""
    rows = CaseIndex.objects.filter(hall_id__in=hall_ids, number__in=numbers).select_related("hall")
    return {row.number: row for row in rows.order_by("-hall_id")}


CASE_OPTIONS_SHOWN = 20


def case_index_options(*, hall_ids: list[int], text: str) -> list[CaseIndex]:
    """Cases of these halls (the convener's scope) to link to a meeting, found by part of their NO or
    of their matter: open ones first, newest first, at most 20 (the meeting form's case picker).
    Index rows only: no personal data."""
    text = (text or "").strip()
    if len(text) < 2:
        return []
    rows = CaseIndex.objects.filter(hall_id__in=hall_ids).filter(
        Q(number__icontains=text) | Q(matter_name__icontains=text)
    )
    open_first = Case(When(status__in=["closed", "not_accepted"], then=Value(1)), default=Value(0))
    return list(
        rows.select_related("hall")
        .only("id", "number", "matter_name", "status", "registered_at", "hall__id", "hall__name")
        .order_by(open_first, "-registered_at", "-id")[:CASE_OPTIONS_SHOWN]
    )


def slip_index_by_number(*, hall_ids: list[int], number: str) -> SlipIndex | None:
    return SlipIndex.objects.filter(hall_id__in=hall_ids, slip_number=number).first()


def slip_index_list_for_department(*, actor: Any) -> QuerySet[SlipIndex]:
    """Open slips addressed to the actor's departments, with their handler (for reassignment)."""
    return (
        SlipIndex.objects.filter(department_id__in=department_ids_of(actor), status__in=OPEN_SLIP_STATES)
        .select_related("hall", "department", "assigned_to", "received_by", "deadline")
        .order_by("-sent_at", "-id")
    )


def slip_index_get_for_department(*, actor: Any, slip_index_id: int) -> SlipIndex:
    """A slip (index row) addressed to one of the actor's departments; 404 otherwise."""
    slip = (
        SlipIndex.objects.filter(pk=slip_index_id, department_id__in=department_ids_of(actor))
        .select_related("hall", "department", "assigned_to", "received_by", "deadline")
        .first()
    )
    if slip is None:
        raise Http404
    return slip


def department_handlers(*, department_id: int) -> QuerySet[User]:
    """Active people holding a handler or lead role in the department."""
    return (
        User.objects.filter(
            is_active=True,
            roles__kind__in=DEPARTMENT_ROLES,
            roles__department_id=department_id,
        )
        .distinct()
        .order_by("username")
    )


def order_list_for(*, actor: Any, city_id: int | None = None) -> QuerySet[SupervisionOrder]:
    """Every order ``order_get_for`` would show the actor (issuer's side and addressee), newest first;
    ``city_id``: the city of the request's host, when on a hall's host."""
    roles = RoleAssignment.objects.filter(user_id=actor.pk)
    supervised = list(roles.filter(kind=RoleKind.CITY_SUPERVISOR).values_list("hall_id", flat=True))
    led = list(roles.filter(kind=RoleKind.HALL_LEAD).values_list("hall_id", flat=True))
    rows = SupervisionOrder.objects.filter(
        Q(city_id__in=supervised)
        | Q(issuing_hall_id__in=led)
        | Q(target_hall_id__in=led)
        | Q(target_department_id__in=department_ids_of(actor))
    )
    if city_id is not None:
        rows = rows.filter(city_id=city_id)
    return rows.select_related(
        "city", "issuing_hall", "issued_by", "target_hall", "target_department", "slip", "deadline"
    ).order_by("-issued_at", "-id")


def case_page_meetings_and_orders(hall_id: int, case_id: int) -> dict[str, Any]:
    """What the case page shows of the city level (registered with casework.interface)."""
    return {
        "meetings": list(meetings_of_case(hall_id=hall_id, case_id=case_id)),
        "orders": list(orders_of_case(hall_id=hall_id, case_id=case_id)),
    }


def department_ids_led_by(actor: Any) -> set[int]:
    """The departments ``actor`` leads: whose slips they may give to another handler."""
    if getattr(actor, "pk", None) is None:
        return set()
    return set(
        RoleAssignment.objects.filter(
            user_id=actor.pk, kind=RoleKind.DEPARTMENT_LEAD, department__isnull=False
        ).values_list("department_id", flat=True)
    )
