"""The to-do sections of the hall's home page, per role (the window, the hall lead, a department):
what waits on the person, each row with its deadline badge and one link to act."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from casework.choices import ReportStatus, SlipStatus
from casework.reports import report_list_for_hall, report_screening_deadlines
from casework.selectors import (
    FEEDBACK_STATES,
    FOLLOW_UP_STATES,
    TO_SCREEN_STATES,
    case_badges,
    case_list_open_for_home,
    slip_extension_request_list_for_hall,
    slip_inbox_for_department,
    slip_list_returned,
)
from casework.web.department import INBOX_FIELDS, slip_url
from hallplatform.accounts.models import DEPARTMENT_ROLES, RoleKind
from hallplatform.deadlines.badges import Badge, deadline_badge
from hallplatform.todo import TodoItem, TodoSection


def _case_item(case: Any, action: str, badges: dict[int, Any], since: Any = None) -> TodoItem:
    return TodoItem(
        number=case.number,
        matter=case.matter_name,
        url=reverse("cases:detail", args=[case.pk]),
        action=action,
        badge=badges.get(case.pk),
        since=since or case.registered_at,
    )


def _window_and_lead(request: HttpRequest, *, window: bool, lead: bool) -> list[TodoSection]:
    cases = list(case_list_open_for_home())
    badges = case_badges(hall_id=request.tenant.pk, case_ids=[c.pk for c in cases])  # type: ignore[attr-defined]
    sections: list[TodoSection] = []
    if window:
        pending = list(report_list_for_hall(actor=request.user, hall=request.tenant, status=ReportStatus.PENDING)[:200])  # type: ignore[attr-defined]
        due = report_screening_deadlines(hall=request.tenant, reports=pending)  # type: ignore[attr-defined]
        now = timezone.now()
        sections.append(
            TodoSection.of(
                "online_reports",
                _("Online reports to screen"),
                (
                    TodoItem(
                        number=f"R{r.pk}",
                        matter=r.matter_name,
                        url=reverse("cases:online_report", args=[r.pk]),
                        action=_("Accept or decline"),
                        badge=deadline_badge(due[r.pk], now) if r.pk in due else None,
                        since=r.submitted_at,
                    )
                    for r in pending
                ),
                more_url=reverse("cases:online_reports"),
            )
        )
        screen = [c for c in cases if c.status in TO_SCREEN_STATES]
        sections.append(
            TodoSection.of(
                "to_screen",
                _("Cases to screen or transfer"),
                (_case_item(c, _("Screen or transfer"), {}, c.reopened_at or c.registered_at) for c in screen),
            )
        )
        returned = list(slip_list_returned())
        sections.append(
            TodoSection.of(
                "returned",
                _("Slips returned by the departments"),
                (
                    TodoItem(
                        number=s.number,
                        matter=f"{s.case.matter_name} · {s.department.name}",
                        url=reverse("cases:detail", args=[s.case.pk]),
                        action=_("Re-route or withdraw"),
                        since=s.returned_at,
                    )
                    for s in returned
                ),
            )
        )
        sections.append(
            TodoSection.of(
                "feedback",
                _("Feedback due"),
                (
                    _case_item(c, _("Tell the result"), badges, c.replied_at)
                    for c in cases
                    if c.status in FEEDBACK_STATES
                ),
            )
        )
        sections.append(
            TodoSection.of(
                "follow_up",
                _("Follow-ups due"),
                (_case_item(c, _("Follow up"), badges, c.fed_back_at) for c in cases if c.status in FOLLOW_UP_STATES),
            )
        )
    if lead:
        overdue = [c for c in cases if (b := badges.get(c.pk)) is not None and b.colour == Badge.RED]
        sections.append(
            TodoSection.of(
                "hall_overdue",
                _("Overdue work of the hall"),
                (_case_item(c, _("Open the case"), badges) for c in overdue),
                more_url=reverse("cases:list") + "?open_only=on",
            )
        )
        sections.append(
            TodoSection.of(
                "extension_requests",
                _("Requests for more time (延期)"),
                (
                    TodoItem(
                        number=slip.number,
                        matter=f"{slip.case.matter_name} · {slip.department.name}",
                        url=reverse("cases:detail", args=[slip.case.pk]) + "#extensions",
                        action=_("Decide"),
                        since=event.at,
                    )
                    for slip, event in slip_extension_request_list_for_hall()
                ),
            )
        )
    return sections


def _department(request: HttpRequest) -> list[TodoSection]:
    rows = list(slip_inbox_for_department(actor=request.user).only(*INBOX_FIELDS))
    now = timezone.now()

    def item(entry: Any, action: str) -> TodoItem:
        deadline = entry.deadline
        return TodoItem(
            number=entry.slip_number,
            matter=f"{entry.matter_name} · {entry.hall.name}",
            url=slip_url(request, hall_code=entry.hall.code, slip_id=entry.slip_id),
            action=action,
            badge=deadline_badge(deadline, now) if deadline is not None and deadline.is_live else None,
            since=entry.sent_at,
        )

    waiting = SlipStatus.AWAITING_SUPPLEMENT
    return [
        TodoSection.of(
            "slips",
            _("Slips to sign and answer"),
            (
                item(e, _("Sign for it") if e.status == SlipStatus.SENT else _("Answer"))
                for e in rows
                if e.status != waiting
            ),
            more_url=reverse("inbox:list"),
        ),
        TodoSection.of(
            "supplement",
            _("Waiting for materials (补正)"),
            (item(e, _("Open the slip")) for e in rows if e.status == waiting),
            more_url=reverse("inbox:list") + f"?status={waiting.value}",
        ),
    ]


def home_todo_sections(
    request: HttpRequest, *, roles: frozenset[str], meeting_requests: list[Any] | None
) -> list[TodoSection]:
    """casework's sections of the person's to-do on this hall's host, for each of their roles."""
    window = RoleKind.WINDOW_STAFF in roles
    lead = RoleKind.HALL_LEAD in roles
    sections: list[TodoSection] = []
    if window or lead:
        sections += _window_and_lead(request, window=window, lead=lead)
    if meeting_requests is not None:
        sections.append(
            TodoSection.of(
                "meeting_requests",
                _("Joint meeting requests"),
                (
                    TodoItem(
                        number=c.number,
                        matter=c.matter_name,
                        url=reverse("meetings:new") + "?" + urlencode({"cases": c.number}),
                        action=_("Convene a meeting"),
                        since=c.transferred_at,
                    )
                    for c in meeting_requests
                ),
            )
        )
    if roles & set(DEPARTMENT_ROLES):
        sections += _department(request)
    return sections
