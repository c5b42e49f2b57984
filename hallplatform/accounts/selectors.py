"""Reads on API tokens, logins and lockouts, each for the person asking."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from hallplatform.accounts.models import DEPARTMENT_ROLES, ApiToken, RoleAssignment
from hallplatform.audit.models import AuditEvent

if TYPE_CHECKING:
    from tenants.routing import HallRoute

LOGIN_ACTIONS = (
    "login.success",
    "login.sso",
    "login.oidc",
    "login.failure",
    "login.lockout",
    "login.unlock",
    "login.two_factor",
    "login.two_factor_failure",
    "two_factor.reset",
)
LOGIN_HISTORY_DAYS = 30
LOGIN_HISTORY_LIMIT = 50


def api_token_list_for_user(*, user: Any) -> QuerySet[ApiToken]:
    """The person's own tokens, newest first (never their secrets: only digests are kept)."""
    return ApiToken.objects.filter(user_id=user.pk).order_by("-created_at", "-id")


def login_history_for_user(*, user: Any) -> list[AuditEvent]:
    """The person's logins, failed attempts, lockouts and unlocks of the last 30 days, newest first."""
    since = timezone.now() - timedelta(days=LOGIN_HISTORY_DAYS)
    return list(
        AuditEvent.objects.filter(
            action__in=LOGIN_ACTIONS, target_type=user._meta.label, target_id=str(user.pk), at__gte=since
        )
        .select_related("hall")
        .order_by("-at", "-id")[:LOGIN_HISTORY_LIMIT]
    )


def lockout_list_for_staff(*, route: HallRoute | None, operator: bool) -> list[AccessAttempt]:
    """Logins locked out now: on a hall's host those of people holding a role in that hall (its hall
    lead unlocks them); platform operators on the city portal see every one."""
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    attempts = AccessAttempt.objects.filter(
        failures_since_start__gte=settings.AXES_FAILURE_LIMIT, attempt_time__gte=since
    ).order_by("-attempt_time")
    if route is not None:
        staff = RoleAssignment.objects.filter(Q(hall_id=route.hall_id) | Q(department__hall_id=route.hall_id)).values(
            "user__username"
        )
        attempts = attempts.filter(username__in=staff)
    elif not operator:
        return []
    return list(attempts)


def department_ids_of(user: Any, *, active_departments_only: bool = True) -> set[int]:
    """The departments in which ``user`` is a handler or lead. An anonymous or deactivated person
    has none. ``active_departments_only=False`` keeps departments that were deactivated (what a
    department's staff may still answer for: invitations, resolutions, orders already addressed to it)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return set()
    rows = RoleAssignment.objects.filter(user_id=user.pk, kind__in=DEPARTMENT_ROLES)
    if active_departments_only:
        rows = rows.filter(department__is_active=True)
    return set(rows.values_list("department_id", flat=True))
