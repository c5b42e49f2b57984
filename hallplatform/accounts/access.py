"""Who may do what on which host. Deny by default.

The hall of a request comes from its host name only (HallRoutingMiddleware); nothing in a header,
cookie or parameter can switch it. A request on a hall's host is allowed only to a person holding a
role there:

* window staff and hall lead of that hall;
* department handler or lead of a department stationed in that hall, or of a city-level department
  of the hall's city (they see only the slips addressed to them: casework.access);
* city supervisor and discipline inspector (纪检监察, read-only) of the city the hall belongs to;
* on the slip pages only (views marked ``routed_department_endpoint``), handler or lead of a department
  of another county of the same city to which this hall has sent a slip: transfers across halls
  (异地转办) reach them, and they open the slip on the sending hall's host like a city-level
  department, narrowed to their slips by the same object check; every other page of that hall
  answers 404 to them.

On the bare base domain (the city bureau's portal, public schema) city supervisors, department
handlers/leads (their cross-hall inbox), platform operators and the system, security and audit
administrators (separation of duties: docs/security.md) are allowed; window staff are not.
Missing and forbidden look the same: 404.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.db.models import Q

from hallplatform.accounts.models import (
    CITY_ROLES,
    DEPARTMENT_ROLES,
    HALL_ROLES,
    OPERATOR_ROLES,
    RoleAssignment,
)

if TYPE_CHECKING:
    from django.http import HttpRequest

    from tenants.routing import HallRoute

PUBLIC_HOST_ROLES = frozenset({*CITY_ROLES, *OPERATOR_ROLES, *DEPARTMENT_ROLES})

# The host a session was opened on (set at login): presented to another host, the session is anonymous.
SESSION_HOST_KEY = "_bancheng_host"
# The city login (hallplatform/accounts/sso.py) a session belongs to: logging out ends all its sessions.
SESSION_CITY_LOGIN_KEY = "_bancheng_city_login"


def roles_for(*, user: Any, route: HallRoute | None, routed: bool = False) -> frozenset[str]:
    """The kinds of role ``user`` holds that apply to the hall ``route`` (None: the public host).

    ``routed``: for a slip page (``routed_department_endpoint``) or a login that leads to one, where a
    department of any hall of the hall's city also holds its role (transfers across halls)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return frozenset()
    assignments = RoleAssignment.objects.filter(user_id=user.pk)
    if route is None:
        assignments = assignments.filter(kind__in=PUBLIC_HOST_ROLES)
    else:
        assignments = assignments.filter(
            Q(kind__in=HALL_ROLES, hall_id=route.hall_id)
            | Q(kind__in=DEPARTMENT_ROLES, department__hall_id=route.hall_id, department__is_active=True)
            # City-level departments receive slips from every county of their city (rule art. 5(2)).
            | Q(
                kind__in=DEPARTMENT_ROLES,
                department__hall_id=route.city_id,
                department__hall__level="city",
                department__is_active=True,
            )
            | Q(kind__in=CITY_ROLES, hall_id=route.city_id)
        )
        if routed:
            # Another county's department receives slips across halls (异地转办): on the slip pages
            # only, and only on the host of a hall that has sent it a slip (the index says which).
            candidates = RoleAssignment.objects.filter(
                user_id=user.pk,
                kind__in=DEPARTMENT_ROLES,
                department__hall__parent_id=route.city_id,
                department__is_active=True,
            ).exclude(department__hall_id=route.hall_id)
            department_ids = set(candidates.values_list("department_id", flat=True))
            reached = _departments_sent_to(hall_id=route.hall_id, department_ids=department_ids)
            if reached:
                assignments = assignments | candidates.filter(department_id__in=reached)
    return frozenset(assignments.values_list("kind", flat=True).distinct())


# Which of some departments a hall has sent a slip to: filled in by hallindex (its AppConfig.ready()),
# which holds the index of slips; the platform cannot import it.
_slip_senders: list[Callable[..., set[int]]] = []


def routed_departments_register(finder: Callable[..., set[int]]) -> None:
    """Register ``finder(hall_id=..., department_ids=...)``: those of ``department_ids`` that ``hall_id``
    has sent a transfer slip to (called from an AppConfig.ready())."""
    if finder not in _slip_senders:
        _slip_senders.append(finder)


def _departments_sent_to(*, hall_id: int, department_ids: set[int]) -> set[int]:
    if not department_ids:
        return set()
    found: set[int] = set()
    for finder in _slip_senders:
        found |= finder(hall_id=hall_id, department_ids=department_ids)
    return found & department_ids


def request_roles(request: HttpRequest) -> frozenset[str]:
    """Roles of the request's user on the request's host, computed once per request (the slip pages,
    marked by HallAccessMiddleware or HasRoleOnHost, count the departments routed to across halls)."""
    routed = bool(getattr(request, "_routed_endpoint", False))
    attribute = "_host_roles_routed" if routed else "_host_roles"
    cached = getattr(request, attribute, None)
    if cached is None:
        cached = roles_for(
            user=getattr(request, "user", None), route=getattr(request, "hall_route", None), routed=routed
        )
        setattr(request, attribute, cached)
    return cached


def routed_department_endpoint(view: Any) -> Any:
    """Mark a slip page (web view or DRF view class): a department of another hall of the city may
    open it on the sending hall's host (transfers across halls); its object check narrows them to
    their slips. Nothing but the slip pages is marked."""
    view.routed_department_endpoint = True
    return view


def public_endpoint(view: Any) -> Any:
    """Mark a view as reachable without a role on the host (login, health). Use sparingly."""
    view.public_endpoint = True
    return view


def requires_roles(*kinds: str) -> Any:
    """Restrict a view to some of the roles allowed on the host (checked by HallAccessMiddleware)."""

    def mark(view: Any) -> Any:
        view.required_roles = frozenset(kinds)
        return view

    return mark
