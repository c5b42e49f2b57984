"""coordination's sections of the person's to-do on a hall's home (registered with
casework.interface.register_home_section in CoordinationConfig.ready): the joint-meeting resolutions
their departments own and the supervision orders addressed to them. Two queries each."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from coordination.selectors import order_list_for_addressee, resolution_list_for_department
from hallplatform.accounts.access import request_roles
from hallplatform.accounts.models import DEPARTMENT_ROLES, RoleKind
from hallplatform.deadlines.badges import DeadlineBadge, deadline_badge
from hallplatform.todo import TodoItem, TodoSection


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
