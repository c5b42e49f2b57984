"""Reads on API tokens, logins and lockouts, each for the person asking; the staff and departments a
hall lead or city supervisor manages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from hallplatform.accounts.models import DEPARTMENT_ROLES, HALL_ROLES, ApiToken, RoleAssignment, RoleKind, User
from hallplatform.audit.models import AuditEvent
from tenants.models import Department

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


# --- Staff and departments managed by a hall lead (their hall) or a city supervisor (their city) ------


@dataclass(frozen=True)
class StaffScope:
    """What a hall lead (on their hall's host) or a city supervisor (on the city portal) manages: the
    roles of ``hall_kinds`` held in ``hall_ids`` (window staff and hall leads of the hall; the city's
    supervisors) and the department roles of the departments stationed there (a city's: its city-level
    departments). ``lead_kind`` is the role of those who manage: a hall keeps at least one."""

    level: str  # "hall" or "city"
    hall_ids: frozenset[int]
    hall_kinds: tuple[str, ...]
    lead_kind: str

    @property
    def home_hall_id(self) -> int:
        """The hall a hall role (or a city's supervisor role) granted here names: the hall, or the city."""
        return min(self.hall_ids)

    @property
    def grantable_kinds(self) -> tuple[str, ...]:
        """The roles that may be granted here: never a platform role, never beyond the hall or city."""
        return (*self.hall_kinds, *DEPARTMENT_ROLES)

    def roles_q(self, prefix: str = "") -> Q:
        """The role assignments inside the scope (``prefix``: the path to them, e.g. ``roles__``)."""
        return Q(**{f"{prefix}kind__in": self.hall_kinds, f"{prefix}hall_id__in": self.hall_ids}) | Q(
            **{f"{prefix}kind__in": DEPARTMENT_ROLES, f"{prefix}department__hall_id__in": self.hall_ids}
        )


def staff_scope_for(*, user: Any, route: HallRoute | None) -> StaffScope | None:
    """The scope ``user`` manages on this host: a hall lead on their hall's host; a city supervisor on
    the city portal (their cities); None for everyone else (and a supervisor on a hall's host)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    roles = RoleAssignment.objects.filter(user_id=user.pk)
    if route is not None:
        if roles.filter(kind=RoleKind.HALL_LEAD, hall_id=route.hall_id).exists():
            return StaffScope(
                level="hall",
                hall_ids=frozenset({route.hall_id}),
                hall_kinds=tuple(HALL_ROLES),
                lead_kind=RoleKind.HALL_LEAD,
            )
        return None
    cities = frozenset(roles.filter(kind=RoleKind.CITY_SUPERVISOR).values_list("hall_id", flat=True))
    if not cities:
        return None
    return StaffScope(
        level="city", hall_ids=cities, hall_kinds=(RoleKind.CITY_SUPERVISOR,), lead_kind=RoleKind.CITY_SUPERVISOR
    )


def _roles_outside(scope: StaffScope) -> Exists:
    return Exists(RoleAssignment.objects.filter(user_id=OuterRef("pk")).exclude(scope.roles_q()))


def staff_list_for_scope(*, scope: StaffScope) -> QuerySet[User]:
    """The people holding a role in the scope, by username, each with ``scope_roles`` (their roles
    there) and ``account_in_scope`` (every role of theirs is there: the lead may act on the login)."""
    in_scope = RoleAssignment.objects.filter(scope.roles_q()).select_related("hall", "department")
    return (
        User.objects.filter(Exists(RoleAssignment.objects.filter(scope.roles_q(), user_id=OuterRef("pk"))))
        .annotate(roles_outside=_roles_outside(scope))
        .prefetch_related(Prefetch("roles", queryset=in_scope.order_by("kind", "id"), to_attr="scope_roles"))
        .order_by("username")
    )


def staff_get_for_scope(*, scope: StaffScope, user_id: int) -> User:
    """One person of the scope; anyone else (another hall's staff) does not exist (404)."""
    person = staff_list_for_scope(scope=scope).filter(pk=user_id).first()
    if person is None:
        raise Http404
    return person


def account_in_scope(*, scope: StaffScope, person: Any) -> bool:
    """Whether the lead may act on the person's login (deactivate, reset the password or the second
    factor): every role the person holds is in the scope, and the login is not a platform one.
    Logins are global: someone who also works elsewhere is only managed by their roles here."""
    if person.is_superuser or person.is_staff:
        return False
    roles = RoleAssignment.objects.filter(user_id=person.pk)
    return roles.exists() and not roles.exclude(scope.roles_q()).exists()


def department_list_for_scope(*, scope: StaffScope) -> QuerySet[Department]:
    """The departments stationed in the scope's halls (a city's: its city-level ones), active first."""
    return (
        Department.objects.filter(hall_id__in=scope.hall_ids)
        .select_related("hall")
        .annotate(staff_count=Count("role_assignments__user", distinct=True))
        .order_by("-is_active", "hall__region_code", "code")
    )


def department_get_for_scope(*, scope: StaffScope, department_id: int) -> Department:
    """One department of the scope; any other does not exist (404)."""
    department = department_list_for_scope(scope=scope).filter(pk=department_id).first()
    if department is None:
        raise Http404
    return department


def department_staff(*, department: Department) -> QuerySet[RoleAssignment]:
    """Who receives the department's transfer slips: its handlers and leads."""
    return (
        RoleAssignment.objects.filter(department_id=department.pk)
        .select_related("user")
        .order_by("kind", "user__username")
    )
