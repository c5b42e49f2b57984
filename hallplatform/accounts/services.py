"""Writes on people, roles, API tokens and lockouts."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from hallplatform.accounts.models import (
    API_TOKEN_NAME_MAX_LENGTH,
    CITY_ROLES,
    DEPARTMENT_ROLES,
    HALL_ROLES,
    OPERATOR_ROLES,
    SECURITY_DUTY_ROLES,
    ApiToken,
    CityLogin,
    RoleAssignment,
    RoleKind,
    User,
)
from hallplatform.accounts.selectors import StaffScope, account_in_scope
from hallplatform.accounts.sso import city_login_end
from hallplatform.accounts.two_factor import devices_remove
from hallplatform.audit.services import audit_record
from tenants.models import Department, Hall, HallLevel

API_TOKEN_PREFIX_LENGTH = 8


def role_grant(
    *,
    user: User,
    kind: str,
    hall_code: str | None = None,
    department_code: str | None = None,
    granted_by: User | None = None,
    may_reveal: bool = False,
) -> RoleAssignment:
    """Give a person a role. Hall roles name a hall; supervisors name a city hall; department roles
    name a department as `<hall code>/<department code>`; operators name nothing."""
    if kind not in RoleKind.values:
        raise ValidationError({"role": [_("Unknown role “%(kind)s”.") % {"kind": kind}]})
    # A scope the role does not take is refused, not ignored: `--role platform_operator --hall x`
    # is a mistake, and ignoring the hall would make a platform-wide administrator.
    if hall_code and kind not in (RoleKind.WINDOW_STAFF, RoleKind.HALL_LEAD, *CITY_ROLES):
        raise ValidationError({"hall": [_("The role “%(kind)s” is not given in a hall.") % {"kind": kind}]})
    if department_code and kind not in DEPARTMENT_ROLES:
        raise ValidationError({"department": [_("The role “%(kind)s” is not given in a department.") % {"kind": kind}]})
    hall = department = None
    if kind in DEPARTMENT_ROLES:
        hall_part, _sep, dept_part = (department_code or "").partition("/")
        department = Department.objects.filter(hall__code=hall_part, code=dept_part).first()
        if department is None:
            raise ValidationError(
                {"department": [_("Name the department as <hall code>/<department code>, e.g. wengyuan/rsj.")]}
            )
    elif kind in (RoleKind.WINDOW_STAFF, RoleKind.HALL_LEAD, *CITY_ROLES):
        hall = Hall.objects.filter(code=hall_code or "").first()
        if hall is None:
            raise ValidationError({"hall": [_("There is no hall with the code “%(code)s”.") % {"code": hall_code}]})
        if kind in CITY_ROLES and hall.level != HallLevel.CITY:
            raise ValidationError({"hall": [_("A city supervisor is given a city hall.")]})
    if may_reveal and kind not in (*HALL_ROLES, *DEPARTMENT_ROLES):
        raise ValidationError({"may_reveal": [_("Only hall and department staff may reveal personal data.")]})
    assignment, created = RoleAssignment.objects.get_or_create(
        user=user,
        kind=kind,
        hall=hall,
        department=department,
        defaults={"granted_by": granted_by, "may_reveal_personal_data": may_reveal},
    )
    if not created and may_reveal and not assignment.may_reveal_personal_data:
        assignment.may_reveal_personal_data = True
        assignment.save(update_fields=["may_reveal_personal_data"])
        _role_audit("role.change", assignment=assignment, actor=granted_by)
    elif created:
        _role_audit("role.grant", assignment=assignment, actor=granted_by)
    return assignment


def _role_hall(assignment: RoleAssignment) -> Hall | None:
    """The hall a role belongs to, for the security log (a department's role: its department's hall)."""
    if assignment.hall is not None:
        return assignment.hall
    return assignment.department.hall if assignment.department is not None else None


def _role_audit(action: str, *, assignment: RoleAssignment, actor: Any, before: dict[str, Any] | None = None) -> None:
    changes: dict[str, Any] = {
        "username": assignment.user.get_username(),
        "role": assignment.kind,
        "hall": assignment.hall.code if assignment.hall is not None else None,
        "department": (
            f"{assignment.department.hall.code}/{assignment.department.code}"
            if assignment.department is not None
            else None
        ),
        "may_reveal": assignment.may_reveal_personal_data,
    }
    if before is not None:
        changes["before"] = before
    audit_record(action=action, actor=actor, hall=_role_hall(assignment), target=assignment.user, changes=changes)


def holds_role(user: Any, kinds: tuple[str, ...] | frozenset[str]) -> bool:
    """Whether ``user`` holds one of the roles ``kinds`` anywhere."""
    if user is None or not user.pk:
        return False
    return RoleAssignment.objects.filter(user_id=user.pk, kind__in=kinds).exists()


def ensure_may_manage_roles(*, actor: Any, user: User, kinds: tuple[str, ...] = ()) -> None:
    """Separation of duties: roles are granted, changed and revoked by the security administrator
    (or the combined platform operator, a superuser). The security administrator changes neither
    their own roles nor a superuser's, and never grants the combined platform operator (which
    would make a superuser holding every duty). PermissionDenied otherwise."""
    if not holds_role(actor, SECURITY_DUTY_ROLES):
        raise PermissionDenied(_("Only the security administrator manages roles."))
    if getattr(actor, "is_superuser", False):
        return
    if user.pk == actor.pk:
        raise PermissionDenied(_("Nobody changes their own roles: ask another security administrator."))
    if user.is_superuser or RoleKind.PLATFORM_OPERATOR in kinds:
        raise PermissionDenied(_("Only a platform operator changes the platform operator's roles."))


@transaction.atomic
def role_assignment_save(*, assignment: RoleAssignment, actor: Any) -> RoleAssignment:
    """Grant a role, or change one (its scope or the permission to reveal personal data), from the
    platform admin; checked by ensure_may_manage_roles, audited as ``role.grant`` / ``role.change``."""
    before_row = RoleAssignment.objects.filter(pk=assignment.pk).first() if assignment.pk else None
    kinds = tuple(k for k in (assignment.kind, before_row.kind if before_row else None) if k)
    ensure_may_manage_roles(actor=actor, user=assignment.user, kinds=kinds)
    if before_row is None:
        assignment.granted_by = actor
    assignment.save()
    if before_row is None:
        _role_audit("role.grant", assignment=assignment, actor=actor)
    else:
        before = {
            "role": before_row.kind,
            "hall": before_row.hall.code if before_row.hall is not None else None,
            "department": before_row.department_id,
            "may_reveal": before_row.may_reveal_personal_data,
        }
        _role_audit("role.change", assignment=assignment, actor=actor, before=before)
    return assignment


@transaction.atomic
def role_revoke(*, assignment: RoleAssignment, actor: Any) -> None:
    """Take a role away (platform admin); checked like a grant, audited as ``role.revoke``."""
    ensure_may_manage_roles(actor=actor, user=assignment.user, kinds=(assignment.kind,))
    _role_audit("role.revoke", assignment=assignment, actor=actor)
    assignment.delete()


def user_security_change_record(*, user: User, actor: Any, action: str, fields: list[str] | None = None) -> None:
    """Audit a change of a login made in the platform admin (``user.create``, ``user.change`` with the
    names of the fields changed, ``user.password_reset``); never a value of a password."""
    changes: dict[str, Any] = {"username": user.get_username()}
    if fields is not None:
        changes["fields"] = sorted(fields)
    audit_record(action=action, actor=actor, target=user, changes=changes)


@transaction.atomic
def staff_create(
    *,
    username: str,
    password: str,
    kind: str,
    display_name: str = "",
    hall_code: str | None = None,
    department_code: str | None = None,
    check_password: bool = True,
    may_reveal: bool = False,
) -> tuple[User, RoleAssignment]:
    """Create (or find) a staff login and give it a role. Operators also get the platform admin (the
    combined platform operator as a superuser; the system, security and audit administrators with
    their duty's permissions)."""
    user = User.objects.filter(username=username).first()
    if user is None:
        if check_password:
            try:
                validate_password(password, user=User(username=username, display_name=display_name))
            except ValidationError as exc:
                raise ValidationError({"password": exc.messages}) from exc
        user = User(username=username, display_name=display_name)
        user.full_clean(exclude=["password"])
        user.set_password(password)
        user.save()
    elif display_name and user.display_name != display_name:
        user.display_name = display_name
        user.save(update_fields=["display_name"])
    assignment = role_grant(
        user=user, kind=kind, hall_code=hall_code, department_code=department_code, may_reveal=may_reveal
    )
    if kind == RoleKind.PLATFORM_OPERATOR and not (user.is_staff and user.is_superuser):
        user.is_staff = user.is_superuser = True
        user.save(update_fields=["is_staff", "is_superuser"])
    elif kind in OPERATOR_ROLES and not user.is_staff:
        # The three administrators use the platform admin with their duty's permissions only
        # (hallplatform.accounts.backends.DutyPermissionBackend), never as superusers.
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    return user, assignment


def token_digest(secret: str) -> str:
    """The stored form of an API token's secret."""
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def api_token_create(
    *, user: User, name: str, days: int | None = None, actor: Any = None, origin: dict[str, str] | None = None
) -> tuple[ApiToken, str]:
    """Make an API token for ``user``; returns it with its secret, which is shown this once and
    never stored (only its digest). It expires after ``days`` (default API_TOKEN_DAYS)."""
    name = (name or "").strip()
    name_limit = API_TOKEN_NAME_MAX_LENGTH
    if not name:
        raise ValidationError({"name": [_("Give the token a name, e.g. the system that will use it.")]})
    if len(name) > name_limit:
        raise ValidationError({"name": [_("The name has at most %(limit)d characters.") % {"limit": name_limit}]})
    days = settings.API_TOKEN_DAYS if days is None else days
    if not 1 <= days <= settings.API_TOKEN_MAX_DAYS:
        raise ValidationError({"days": [_("A token lives 1 to %(max)d days.") % {"max": settings.API_TOKEN_MAX_DAYS}]})
    secret = secrets.token_urlsafe(30)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=secret[:API_TOKEN_PREFIX_LENGTH],
        digest=token_digest(secret),
        expires_at=timezone.now() + timedelta(days=days),
    )
    audit_record(
        action="api_token.create",
        actor=actor or user,
        target=token,
        changes={
            "owner": user.get_username(),
            "name": name,
            "prefix": token.prefix,
            "expires_at": token.expires_at.isoformat() if token.expires_at else None,
            **(origin or {}),
        },
    )
    return token, secret


@transaction.atomic
def api_token_revoke(*, token: ApiToken, actor: Any, origin: dict[str, str] | None = None) -> ApiToken:
    """Revoke an API token: its owner or the security administrator (or the combined platform
    operator). Anyone else is told it does not exist."""
    if token.user_id != actor.pk and not holds_role(actor, SECURITY_DUTY_ROLES):
        raise Http404
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is not None:
        return token
    token.revoked_at = timezone.now()
    token.revoked_by = actor
    token.save(update_fields=["revoked_at", "revoked_by"])
    audit_record(
        action="api_token.revoke",
        actor=actor,
        target=token,
        changes={"owner": token.user.get_username(), "name": token.name, "prefix": token.prefix, **(origin or {})},
    )
    return token


def api_token_authenticate(*, secret: str) -> ApiToken | None:
    """The live token with this secret (not revoked, not expired, its owner active), or None. Notes when
    it was last used, at most once a minute."""
    token = (
        ApiToken.objects.select_related("user")
        .filter(digest=token_digest(secret), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    now = timezone.now()
    if token is None or (token.expires_at is not None and token.expires_at <= now):
        return None
    if token.last_used_at is None or now - token.last_used_at >= timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def api_token_for(*, user: User, name: str = "create_staff") -> str:
    """A new API token for the person; its secret (shown once: only its digest is kept)."""
    _token, secret = api_token_create(user=user, name=name)
    return secret


@transaction.atomic
def lockout_release(
    *, attempt: AccessAttempt, actor: Any, hall: Any = None, origin: dict[str, str] | None = None
) -> None:
    """Unlock a login locked out after failed attempts (django-axes' record of them is removed)."""
    changes = {
        "username": attempt.username or "",
        "locked_ip": attempt.ip_address or "",
        "failures": attempt.failures_since_start,
        **(origin or {}),
    }
    AccessAttempt.objects.filter(pk=attempt.pk).delete()
    target = User.objects.filter(username=attempt.username).first() if attempt.username else None
    audit_record(action="login.unlock", actor=actor, hall=hall, target=target, changes=changes)


# --- Staff managed by a hall lead (their hall) or a city supervisor (their city) ----------------------
# docs/staff-admin.md. Logins are global: an action on the login (deactivate, reset the password or the
# second factor) needs every role of the person in the scope; otherwise only the roles held there are
# managed. Refusals raise ValidationError naming the field, or PermissionDenied, and change nothing.

TEMPORARY_PASSWORD_BYTES = 9  # 12 characters of base64url: 72 random bits


def _scope_hall(scope: StaffScope, hall_id: int | None) -> Hall | None:
    return Hall.objects.filter(pk=hall_id).first() if hall_id in scope.hall_ids else None


def _scope_role_new(
    *, scope: StaffScope, user: User | None, kind: str, hall_id: int | None, department_id: Any, may_reveal: bool
) -> tuple[RoleAssignment, dict[str, list[str]]]:
    """The role to grant, checked against the scope; with the refusals by field."""
    errors: dict[str, list[str]] = {}
    assignment = RoleAssignment(kind=kind, may_reveal_personal_data=bool(may_reveal))
    if user is not None:
        assignment.user = user
    if kind not in scope.grantable_kinds:
        label = RoleKind(kind).label if kind in RoleKind.values else kind
        errors["kind"] = [_("You may not grant the role “%(role)s” here.") % {"role": label}]
        return assignment, errors
    if kind in DEPARTMENT_ROLES:
        department = None
        if str(department_id or "").isdigit():
            department = Department.objects.filter(pk=int(department_id), hall_id__in=scope.hall_ids).first()
        if department is None:
            errors["department"] = [_("Choose one of this hall's departments for a department role.")]
        elif not department.is_active:
            errors["department"] = [_("The department “%(name)s” is deactivated.") % {"name": department.name}]
        else:
            assignment.department = department
    else:
        if department_id:
            errors["department"] = [_("This role is not given in a department: leave the department empty.")]
        hall = _scope_hall(scope, hall_id)
        if hall is None:
            errors["kind"] = [_("You may not grant this role here.")]
        else:
            assignment.hall = hall
    if assignment.may_reveal_personal_data and kind not in (*HALL_ROLES, *DEPARTMENT_ROLES):
        errors["may_reveal"] = [_("Only hall and department staff may reveal personal data.")]
    if user is not None and not errors:
        exists = RoleAssignment.objects.filter(
            user=user, kind=kind, hall=assignment.hall, department=assignment.department
        ).exists()
        if exists:
            errors["kind"] = [_("The person already holds this role.")]
    return assignment, errors


def _password_errors(password: str, user: User) -> list[str]:
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        return list(exc.messages)
    return []


def _ensure_not_self(*, actor: Any, person: User, field: str = "__all__") -> None:
    if person.pk == actor.pk:
        raise ValidationError({field: [_("You cannot do this to your own login: ask another lead.")]})


@transaction.atomic
def staff_member_create(
    *,
    scope: StaffScope,
    actor: Any,
    username: str,
    password: str,
    kind: str,
    hall_id: int | None,
    display_name: str = "",
    work_phone: str = "",
    department_id: Any = None,
    may_reveal: bool = False,
) -> User:
    """A new login with its first role in the scope (a hall lead: window staff, hall lead or a role in
    one of the hall's departments; a city supervisor: supervisor or a city-level department's role).
    Refused, naming the field: a username already taken, a weak password (AUTH_PASSWORD_VALIDATORS), a
    role the lead may not grant. Audited as ``user.create`` and ``role.grant``."""
    username = (username or "").strip()
    user = User(username=username, display_name=(display_name or "").strip(), work_phone=(work_phone or "").strip())
    errors: dict[str, list[str]] = {}
    try:
        user.full_clean(exclude=["password"], validate_unique=False)
    except ValidationError as exc:
        errors = {field: list(messages) for field, messages in exc.message_dict.items()}
    if username and User.objects.filter(username__iexact=username).exists():
        errors.setdefault("username", []).append(_("The username “%(name)s” is taken.") % {"name": username})
    if not password:
        errors.setdefault("password", []).append(_("Give the new login a password."))
    elif password_errors := _password_errors(password, user):
        errors.setdefault("password", []).extend(password_errors)
    assignment, role_errors = _scope_role_new(
        scope=scope, user=None, kind=kind, hall_id=hall_id, department_id=department_id, may_reveal=may_reveal
    )
    for field, messages in role_errors.items():
        errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    user.set_password(password)
    user.save()
    audit_record(
        action="user.create",
        actor=actor,
        hall=_scope_hall(scope, hall_id),
        target=user,
        changes={"username": user.get_username(), "display_name": user.display_name},
    )
    assignment.user = user
    assignment.granted_by = actor
    assignment.save()
    _role_audit("role.grant", assignment=assignment, actor=actor)
    return user


@transaction.atomic
def staff_role_add(
    *,
    scope: StaffScope,
    actor: Any,
    person: User,
    kind: str,
    hall_id: int | None,
    department_id: Any = None,
    may_reveal: bool = False,
) -> RoleAssignment:
    """Give a person of the scope another role there. Nobody changes their own roles. Audited as
    ``role.grant``."""
    _ensure_not_self(actor=actor, person=person)
    assignment, errors = _scope_role_new(
        scope=scope, user=person, kind=kind, hall_id=hall_id, department_id=department_id, may_reveal=may_reveal
    )
    if errors:
        raise ValidationError(errors)
    assignment.granted_by = actor
    assignment.save()
    _role_audit("role.grant", assignment=assignment, actor=actor)
    return assignment


def _scope_assignment(*, scope: StaffScope, person: User, assignment_id: Any) -> RoleAssignment:
    """One of the person's roles in the scope, locked; any other does not exist (404)."""
    if not str(assignment_id or "").isdigit():
        raise Http404
    row = (
        RoleAssignment.objects.select_for_update(of=("self",))
        .select_related("user", "hall", "department__hall")
        .filter(scope.roles_q(), pk=int(assignment_id), user_id=person.pk)
        .first()
    )
    if row is None:
        raise Http404
    return row


def _other_active_leads(*, scope: StaffScope, hall_id: Any, excluding_user: Any) -> bool:
    return (
        RoleAssignment.objects.filter(kind=scope.lead_kind, hall_id=hall_id, user__is_active=True)
        .exclude(user_id=excluding_user.pk)
        .exists()
    )


@transaction.atomic
def staff_role_reveal_set(
    *, scope: StaffScope, actor: Any, person: User, assignment_id: Any, may_reveal: bool
) -> RoleAssignment:
    """Grant or withdraw the permission to reveal personal data on one of the person's roles in the
    scope (hall and department roles only). Audited as ``role.change`` with the value before."""
    _ensure_not_self(actor=actor, person=person, field="may_reveal")
    assignment = _scope_assignment(scope=scope, person=person, assignment_id=assignment_id)
    if may_reveal and assignment.kind not in (*HALL_ROLES, *DEPARTMENT_ROLES):
        raise ValidationError({"may_reveal": [_("Only hall and department staff may reveal personal data.")]})
    if assignment.may_reveal_personal_data == may_reveal:
        return assignment
    before = {"may_reveal": assignment.may_reveal_personal_data}
    assignment.may_reveal_personal_data = may_reveal
    assignment.save(update_fields=["may_reveal_personal_data"])
    _role_audit("role.change", assignment=assignment, actor=actor, before=before)
    return assignment


@transaction.atomic
def staff_role_withdraw(*, scope: StaffScope, actor: Any, person: User, assignment_id: Any) -> None:
    """Take one of the person's roles in the scope away. Refused for one's own roles and for the last
    active lead of a hall (or the last supervisor of a city). Audited as ``role.revoke``."""
    _ensure_not_self(actor=actor, person=person, field="role")
    assignment = _scope_assignment(scope=scope, person=person, assignment_id=assignment_id)
    if assignment.kind == scope.lead_kind and not _other_active_leads(
        scope=scope, hall_id=assignment.hall_id, excluding_user=person
    ):
        raise ValidationError({"role": [_("%(hall)s would have no lead left.") % {"hall": assignment.hall}]})
    _role_audit("role.revoke", assignment=assignment, actor=actor)
    assignment.delete()


def _ensure_account_in_scope(*, scope: StaffScope, person: User) -> None:
    if not account_in_scope(scope=scope, person=person):
        raise PermissionDenied(
            _("The person also works elsewhere: only their roles here are managed here, not their login.")
        )


def user_sessions_end(*, user: Any) -> int:
    """End every session of the person's city logins, on every host (the session store's rows)."""
    ended = 0
    for login_id in CityLogin.objects.filter(user_id=user.pk, ended_at__isnull=True).values_list("pk", flat=True):
        ended += city_login_end(login_id=login_id)
    return ended


@transaction.atomic
def staff_deactivate(*, scope: StaffScope, actor: Any, person: User) -> User:
    """Deactivate a login whose roles are all in the scope: it can no longer log in, and every session
    it has ends on every host (its API tokens stop working with it). Refused for oneself and for the
    last active lead of a hall. Audited as ``user.deactivate``."""
    _ensure_not_self(actor=actor, person=person, field="is_active")
    _ensure_account_in_scope(scope=scope, person=person)
    person = User.objects.select_for_update().get(pk=person.pk)
    if not person.is_active:
        return person
    for hall_id in RoleAssignment.objects.filter(user_id=person.pk, kind=scope.lead_kind).values_list(
        "hall_id", flat=True
    ):
        if not _other_active_leads(scope=scope, hall_id=hall_id, excluding_user=person):
            hall = Hall.objects.get(pk=hall_id)
            raise ValidationError({"is_active": [_("%(hall)s would have no lead left.") % {"hall": hall}]})
    person.is_active = False
    person.save(update_fields=["is_active"])
    sessions = user_sessions_end(user=person)
    audit_record(
        action="user.deactivate",
        actor=actor,
        target=person,
        changes={"username": person.get_username(), "sessions_ended": sessions},
    )
    return person


@transaction.atomic
def staff_reactivate(*, scope: StaffScope, actor: Any, person: User) -> User:
    """Let a deactivated login whose roles are all in the scope log in again. Audited as ``user.activate``."""
    _ensure_not_self(actor=actor, person=person, field="is_active")
    _ensure_account_in_scope(scope=scope, person=person)
    person = User.objects.select_for_update().get(pk=person.pk)
    if person.is_active:
        return person
    person.is_active = True
    person.save(update_fields=["is_active"])
    audit_record(action="user.activate", actor=actor, target=person, changes={"username": person.get_username()})
    return person


def temporary_password_new(*, user: User) -> str:
    """A random password that passes AUTH_PASSWORD_VALIDATORS."""
    while True:
        password = secrets.token_urlsafe(TEMPORARY_PASSWORD_BYTES)
        if not _password_errors(password, user):
            return password


@transaction.atomic
def staff_password_reset(*, scope: StaffScope, actor: Any, person: User) -> str:
    """Give a login whose roles are all in the scope a new random password; returns it, to be shown
    once to the lead (it is not kept anywhere else). Every session of the person ends (Django's
    sessions carry a hash of the password; the city logins are ended too). Refused for oneself.
    Audited as ``user.password_reset`` (never the password)."""
    _ensure_not_self(actor=actor, person=person, field="password")
    _ensure_account_in_scope(scope=scope, person=person)
    person = User.objects.select_for_update().get(pk=person.pk)
    password = temporary_password_new(user=person)
    person.set_password(password)
    person.save(update_fields=["password"])
    sessions = user_sessions_end(user=person)
    audit_record(
        action="user.password_reset",
        actor=actor,
        target=person,
        changes={"username": person.get_username(), "sessions_ended": sessions},
    )
    return password


@transaction.atomic
def staff_two_factor_reset(*, scope: StaffScope, actor: Any, person: User) -> int:
    """Remove the second factor (authenticator app, recovery codes) of a login whose roles are all in
    the scope, e.g. after a lost phone: the person enrols again at the next login. Refused for oneself.
    Audited as ``two_factor.reset``; returns how many devices went."""
    _ensure_not_self(actor=actor, person=person, field="two_factor")
    _ensure_account_in_scope(scope=scope, person=person)
    removed = devices_remove(user=person)
    audit_record(
        action="two_factor.reset",
        actor=actor,
        target=person,
        changes={"username": person.get_username(), "devices": removed},
    )
    return removed
