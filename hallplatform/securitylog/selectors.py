"""Reading the security log, for the person asking."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from hallplatform.accounts.models import AUDIT_DUTY_ROLES, RoleAssignment, RoleKind, User
from hallplatform.audit.models import AuditEvent
from hallplatform.audit.services import SECURITY_ACTION_PREFIXES, SECURITY_ACTIONS

if TYPE_CHECKING:
    from tenants.routing import HallRoute

SECURITY_LOG_ROLES = (RoleKind.HALL_LEAD, *AUDIT_DUTY_ROLES, RoleKind.DISCIPLINE_INSPECTOR)


@dataclass(frozen=True)
class SecurityLogFilter:
    """``action``: an action (``login.failure``) or a group of them (``login``); ``user``: a username,
    as actor or as the login concerned; ``since``/``until``: dates (Asia/Shanghai), both included."""

    action: str = ""
    user: str = ""
    since: date | None = None
    until: date | None = None


def security_actions_q() -> Q:
    query = Q(action__in=sorted(SECURITY_ACTIONS))
    for prefix in SECURITY_ACTION_PREFIXES:
        query |= Q(action__startswith=prefix)
    return query


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def security_event_list_for_staff(
    *, roles: frozenset[str], route: HallRoute | None, filters: SecurityLogFilter | None = None, user: Any = None
) -> QuerySet[AuditEvent]:
    """The security log, newest first: on the base domain the audit administrator (and the combined
    platform operator) read every event; on a hall's host its hall lead reads the events of that hall
    (logins on its host, its people's roles and tokens, reveals and exports of its cases). Anyone else
    reads nothing. The discipline inspector (纪检监察, ``user``) reads the whole audit trail of every
    hall of their cities (on a hall's host: of that hall), not only its security events."""
    events = AuditEvent.objects.filter(security_actions_q()).select_related("actor", "hall")
    if route is None and roles & set(AUDIT_DUTY_ROLES):
        pass
    elif route is not None and RoleKind.HALL_LEAD in roles:
        events = events.filter(hall_id=route.hall_id)
    elif RoleKind.DISCIPLINE_INSPECTOR in roles and user is not None:
        cities = RoleAssignment.objects.filter(user_id=user.pk, kind=RoleKind.DISCIPLINE_INSPECTOR).values("hall_id")
        events = AuditEvent.objects.filter(Q(hall_id__in=cities) | Q(hall__parent_id__in=cities))
        events = events.select_related("actor", "hall")
        if route is not None:
            events = events.filter(hall_id=route.hall_id)
    else:
        return AuditEvent.objects.none()
    filters = filters or SecurityLogFilter()
    if filters.action:
        events = events.filter(Q(action=filters.action) | Q(action__startswith=f"{filters.action}."))
    if filters.user:
        concerned = User.objects.filter(username=filters.user).values_list("pk", flat=True).first()
        who = Q(actor__username=filters.user) | Q(changes__username=filters.user)
        if concerned is not None:
            who |= Q(target_type=User._meta.label, target_id=str(concerned))
        events = events.filter(who)
    if filters.since is not None:
        events = events.filter(at__gte=_start_of(filters.since))
    if filters.until is not None:
        events = events.filter(at__lt=_start_of(filters.until + timedelta(days=1)))
    return events.order_by("-at", "-id")


@dataclass(frozen=True)
class SecurityLogRow:
    """One line of the security log as the page and the API show it."""

    id: int
    at: datetime
    action: str
    actor: str | None
    hall: str | None
    hall_name: str | None
    target_type: str
    target_id: str
    target: str
    ip: str
    user_agent: str
    details: dict[str, Any]


def security_log_rows(events: list[AuditEvent]) -> list[SecurityLogRow]:
    """Rows for a page of events; the logins they concern are read in one query."""
    user_ids = {int(e.target_id) for e in events if e.target_type == User._meta.label and e.target_id.isdigit()}
    usernames = dict(User.objects.filter(pk__in=user_ids).values_list("pk", "username")) if user_ids else {}
    rows = []
    for event in events:
        if event.target_type == User._meta.label and event.target_id.isdigit():
            target = usernames.get(int(event.target_id), event.target_id)
        elif event.target_type:
            target = f"{event.target_type} #{event.target_id}"
        else:
            target = str(event.changes.get("username", ""))
        rows.append(
            SecurityLogRow(
                id=event.pk,
                at=event.at,
                action=event.action,
                actor=event.actor.get_username() if event.actor is not None else None,
                hall=event.hall.code if event.hall is not None else None,
                hall_name=event.hall.name if event.hall is not None else None,
                target_type=event.target_type,
                target_id=event.target_id,
                target=target,
                ip=str(event.changes.get("ip", "")),
                user_agent=str(event.changes.get("user_agent", "")),
                details={k: v for k, v in event.changes.items() if k not in ("ip", "user_agent")},
            )
        )
    return rows
