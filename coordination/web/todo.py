"""coordination's sections of the person's to-do on a hall's home (registered with
casework.interface.register_home_section in CoordinationConfig.ready): the joint-meeting resolutions
their departments own and the supervision orders addressed to them. Two queries each."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from casework.choices import SlipStatus
from coordination.models import OrderStatus, SupervisionOrder
from coordination.selectors import (
    meeting_request_list_for,
    order_list_for_addressee,
    rating_appeal_list_for,
    resolution_list_for_department,
    slip_index_list_for_department,
    supervision_proposals,
)
from hallplatform.accounts.access import request_roles
from hallplatform.accounts.models import DEPARTMENT_ROLES, RoleKind
from hallplatform.deadlines.badges import DeadlineBadge, deadline_badge
from hallplatform.todo import TodoItem, TodoSection
from tenants.models import Hall
from tenants.routing import hall_origin


def _badge(deadline: object, now: object) -> DeadlineBadge | None:
    if deadline is None or not getattr(deadline, "is_live", False):
        return None
    return deadline_badge(deadline, now)  # type: ignore[arg-type]


def home_sections_for(request: HttpRequest) -> list[TodoSection]:
    roles = request_roles(request)
    department = bool(roles & set(DEPARTMENT_ROLES))
    lead = RoleKind.HALL_LEAD in roles
    if not (department or lead):
        return []
    now = timezone.now()
    sections: list[TodoSection] = []
    if department:
        resolutions = list(resolution_list_for_department(actor=request.user))
        sections.append(
            TodoSection.of(
                "resolutions",
                _("Meeting resolutions to carry out"),
                (
                    TodoItem(
                        number=r.number,
                        matter=r.meeting.subject,
                        url=reverse("orders:mine"),
                        action=_("Report the outcome"),
                        badge=_badge(r.deadline, now),
                        since=r.created_at,
                    )
                    for r in resolutions
                ),
                more_url=reverse("orders:mine"),
            )
        )
    orders = list(order_list_for_addressee(actor=request.user))
    sections.append(
        TodoSection.of(
            "orders",
            _("Supervision orders to answer"),
            (
                TodoItem(
                    number=o.number,
                    matter=o.case_number or (o.target_department.name if o.target_department else o.target_hall.name),
                    url=reverse("orders:detail", args=[o.pk]),
                    action=_("Respond"),
                    badge=_badge(o.deadline, now),
                    since=o.issued_at,
                )
                for o in orders
            ),
        )
    )
    return sections


# --- The city host's home: the supervisor's and the city department's to-do ----------------------------

PROPOSALS_ON_HOME = 50


def _order_link(params: dict[str, Any]) -> str:
    return f"{reverse('orders:new')}?{urlencode(params)}"


def supervisor_sections(request: HttpRequest, cities: list[Hall]) -> list[TodoSection]:
    """A city supervisor's work on the city host: the portal's proposals (cases flagged 不给办 and
    red-card slips no open order covers: issue an order), the halls' requests for a joint meeting
    (convene one), and the orders whose response waits for the supervisor's acceptance. Every city
    they supervise; the proposals are those of the portal (coordination.selectors)."""
    now = timezone.now()
    flagged: list[TodoItem] = []
    red: list[TodoItem] = []
    for city in cities:
        proposals = supervision_proposals(city=city, limit=PROPOSALS_ON_HOME)
        for row in proposals["flagged_cases"]:
            flagged.append(
                TodoItem(
                    number=row.number,
                    matter=f"{row.matter_name} · {row.hall.name}",
                    url=_order_link({"hall": row.hall_id, "case": row.number}),
                    action=_("Issue order"),
                    since=row.registered_at,
                )
            )
        for row in proposals["red_slips"]:
            red.append(
                TodoItem(
                    number=row.slip_number,
                    matter=f"{row.matter_name} · {row.hall.name} · {row.department.name}",
                    url=_order_link({"hall": row.hall_id, "department": row.department_id, "slip": row.slip_number}),
                    action=_("Issue order"),
                    badge=_badge(row.deadline, now),
                )
            )
    requests = list(meeting_request_list_for(actor=request.user)[:PROPOSALS_ON_HOME])
    city_ids = [city.pk for city in cities]
    responded = list(
        SupervisionOrder.objects.filter(city_id__in=city_ids, status=OrderStatus.RESPONDED)
        .select_related("target_hall", "target_department")
        .order_by("responded_at", "pk")[:PROPOSALS_ON_HOME]
    )
    appeals = list(rating_appeal_list_for(actor=request.user)[:PROPOSALS_ON_HOME])
    portal = reverse("portal:overview")
    return [
        TodoSection.of("proposals_flagged", _("Cases flagged 不给办 to supervise"), flagged, more_url=portal),
        TodoSection.of("proposals_red", _("Overdue slips to supervise"), red, more_url=portal),
        TodoSection.of(
            "meeting_requests",
            _("Joint meeting requests"),
            (
                TodoItem(
                    number=row.number,
                    matter=f"{row.matter_name} · {row.hall.name}",
                    url=f"{reverse('meetings:new')}?{urlencode({'cases': row.number})}",
                    action=_("Convene a meeting"),
                    since=row.transferred_at,
                )
                for row in requests
            ),
            more_url=reverse("portal:meeting_requests"),
        ),
        TodoSection.of(
            "rating_appeals",
            _("Ratings sent for review"),
            (
                TodoItem(
                    number=row.number,
                    matter=row.hall.name,
                    url=reverse("portal:rating_appeals"),
                    action=_("Keep or void"),
                    since=row.appeal_requested_at,
                )
                for row in appeals
            ),
            more_url=reverse("portal:rating_appeals"),
        ),
        TodoSection.of(
            "orders_responded",
            _("Order responses to accept"),
            (
                TodoItem(
                    number=o.number,
                    matter=o.case_number or (o.target_department.name if o.target_department else o.target_hall.name),
                    url=reverse("orders:detail", args=[o.pk]),
                    action=_("Accept or send back"),
                    since=o.responded_at,
                )
                for o in responded
            ),
            more_url=reverse("orders:list"),
        ),
    ]


def city_department_sections(request: HttpRequest) -> list[TodoSection]:
    """A city-level department's work on the city host: slips from every hall to sign for and answer
    (each on its hall's host), its meeting resolutions and the supervision orders addressed to it."""
    now = timezone.now()
    slips = list(slip_index_list_for_department(actor=request.user))
    waiting = SlipStatus.AWAITING_SUPPLEMENT

    def item(entry: Any, action: str) -> TodoItem:
        return TodoItem(
            number=entry.slip_number,
            matter=f"{entry.matter_name} · {entry.hall.name}",
            url=f"{hall_origin(request, entry.hall.code)}/slips/{entry.slip_id}/",
            action=action,
            badge=_badge(entry.deadline, now),
            since=entry.sent_at,
        )

    inbox = reverse("inbox:list")
    return [
        TodoSection.of(
            "slips",
            _("Slips to sign and answer"),
            (
                item(e, _("Sign for it") if e.status == SlipStatus.SENT else _("Answer"))
                for e in slips
                if e.status != waiting
            ),
            more_url=inbox,
        ),
        TodoSection.of(
            "supplement",
            _("Waiting for materials (补正)"),
            (item(e, _("Open the slip")) for e in slips if e.status == waiting),
            more_url=f"{inbox}?status={waiting.value}",
        ),
        *home_sections_for(request),
    ]
