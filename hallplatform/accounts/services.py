"""Writes on people and roles."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from hallplatform.accounts.models import DEPARTMENT_ROLES, HALL_ROLES, RoleAssignment, RoleKind, User
from tenants.models import Department, Hall, HallLevel


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
    if hall_code and kind not in (RoleKind.WINDOW_STAFF, RoleKind.HALL_LEAD, RoleKind.CITY_SUPERVISOR):
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
    elif kind in (RoleKind.WINDOW_STAFF, RoleKind.HALL_LEAD, RoleKind.CITY_SUPERVISOR):
        hall = Hall.objects.filter(code=hall_code or "").first()
        if hall is None:
            raise ValidationError({"hall": [_("There is no hall with the code “%(code)s”.") % {"code": hall_code}]})
        if kind == RoleKind.CITY_SUPERVISOR and hall.level != HallLevel.CITY:
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
    return assignment


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
    """Create (or find) a staff login and give it a role. Operators also get the platform admin."""
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
    return user, assignment


def api_token_for(*, user: User) -> str:
    """The person's API token, created on first use."""
    token, _created = Token.objects.get_or_create(user=user)
    return token.key
