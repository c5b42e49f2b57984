"""Provisioning: creating halls (each with its own schema and domain) and departments."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.http import Http404
from django.utils.translation import gettext as _
from django_tenants.utils import schema_exists

from hallplatform.accounts.models import RoleAssignment, RoleKind
from hallplatform.audit.services import audit_record
from hallplatform.schemas import use_public_schema
from tenants.models import CityRouting, Department, Domain, Hall, HallLevel, RoutingScope

# Codes that would collide with a schema or a host name the platform uses itself.
RESERVED_CODES = frozenset({"template", "public", "www", "admin", "api", "static", "media", "portal"})


def hall_schema_name(code: str) -> str:
    return f"hall_{code}"


def _hall_domain(code: str) -> str:
    return f"{code}.{settings.BASE_DOMAIN}"


def hall_create(
    *,
    code: str,
    name: str,
    level: str,
    region_code: str,
    parent_code: str | None = None,
    is_active: bool = True,
) -> Hall:
    """Create a hall: its row, its own PostgreSQL schema (cloned from the template schema) and its
    domain `<code>.<BASE_DOMAIN>`, all in one transaction. A refusal raises ValidationError naming
    the field, and leaves nothing behind: no row, no domain, no schema."""
    code = (code or "").strip()
    name = (name or "").strip()
    region_code = (region_code or "").strip()
    errors: dict[str, list[str]] = {}

    if level not in HallLevel.values:
        errors.setdefault("level", []).append(_("The level must be “city” or “county”."))
    parent: Hall | None = None
    if level == HallLevel.COUNTY:
        if not parent_code:
            errors.setdefault("parent", []).append(_("A county hall must name the city it belongs to."))
        else:
            parent = Hall.objects.filter(code=parent_code, level=HallLevel.CITY).first()
            if parent is None:
                errors.setdefault("parent", []).append(
                    _("There is no city hall with the code “%(code)s”.") % {"code": parent_code}
                )
    elif level == HallLevel.CITY and parent_code:
        errors.setdefault("parent", []).append(_("A city hall has no parent."))
    if code in RESERVED_CODES:
        errors.setdefault("code", []).append(_("“%(code)s” is reserved by the platform.") % {"code": code})

    hall = Hall(
        code=code,
        name=name,
        level=level,
        parent=parent,
        region_code=region_code,
        schema_name=hall_schema_name(code),
        is_active=is_active,
    )
    try:
        hall.full_clean(exclude=["parent"] if "parent" in errors else None)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault("code" if field == "schema_name" else field, []).extend(messages)
    if code and Domain.objects.filter(domain=_hall_domain(code)).exists():
        errors.setdefault("code", []).append(
            _("The domain %(domain)s is already in use.") % {"domain": _hall_domain(code)}
        )
    if errors:
        raise ValidationError({field: sorted(set(messages)) for field, messages in errors.items()})

    try:
        with transaction.atomic():
            hall.save(verbosity=0)
            Domain.objects.create(domain=_hall_domain(code), tenant=hall, is_primary=True)
    except IntegrityError as exc:
        # Lost a race with another provisioning of the same code, domain or region code.
        _drop_schema_if_orphaned(hall.schema_name)
        raise ValidationError({"code": [_("A hall with this code, domain or region code already exists.")]}) from exc
    except Exception:
        _drop_schema_if_orphaned(hall.schema_name)
        raise
    return hall


def _drop_schema_if_orphaned(schema_name: str) -> None:
    """DDL is transactional in PostgreSQL, so a rolled-back provisioning leaves no schema; this is
    the belt to that pair of braces, for a schema created outside the transaction."""
    use_public_schema()
    if schema_exists(schema_name) and not Hall.objects.filter(schema_name=schema_name).exists():
        with connection.cursor() as cursor:
            cursor.execute(f'DROP SCHEMA "{schema_name}" CASCADE')


def department_create(
    *,
    hall_code: str,
    code: str,
    name: str,
    contact_name: str = "",
    contact_phone: str = "",
    is_active: bool = True,
    actor: Any = None,
) -> Department:
    """Add a department to the directory: stationed in a county hall, or city-level when
    ``hall_code`` names a city hall. Refusals raise ValidationError naming the field. Given an
    ``actor`` (the staff pages), the creation is audited as ``department.create``."""
    hall = Hall.objects.filter(code=(hall_code or "").strip()).first()
    if hall is None:
        raise ValidationError({"hall": [_("There is no hall with the code “%(code)s”.") % {"code": hall_code}]})
    department = Department(
        hall=hall,
        code=(code or "").strip(),
        name=(name or "").strip(),
        contact_name=(contact_name or "").strip(),
        contact_phone=(contact_phone or "").strip(),
        is_active=is_active,
    )
    errors: dict[str, list[str]] = {}
    try:
        # The two unique constraints span (hall, field): checked below so the error names the field
        # instead of landing in "__all__".
        department.full_clean(validate_constraints=False)
    except ValidationError as exc:
        errors = {field: list(messages) for field, messages in exc.message_dict.items()}
    siblings = Department.objects.filter(hall=hall)
    if department.code and siblings.filter(code=department.code).exists():
        errors.setdefault("code", []).append(
            _("%(hall)s already has a department with the code “%(code)s”.")
            % {"hall": hall.name, "code": department.code}
        )
    if department.name and siblings.filter(name=department.name).exists():
        errors.setdefault("name", []).append(
            _("%(hall)s already has a department named “%(name)s”.") % {"hall": hall.name, "name": department.name}
        )
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            department.save()
    except IntegrityError as exc:
        # Lost a race with another creation of the same department.
        constraint = getattr(getattr(exc.__cause__, "diag", None), "constraint_name", None)
        field = "name" if constraint == "department_name_unique_in_hall" else "code"
        raise ValidationError({field: [_("This hall already has a department with this code or name.")]}) from exc
    if actor is not None:
        audit_record(
            action="department.create",
            actor=actor,
            hall=hall,
            target=department,
            changes={"code": department.code, **_department_routing(department)},
        )
    return department


def _department_routing(department: Department) -> dict[str, Any]:
    """What a department's row says about where transfer slips go (for the audit trail)."""
    return {
        "name": department.name,
        "contact_name": department.contact_name,
        "contact_phone": department.contact_phone,
        "is_active": department.is_active,
    }


@transaction.atomic
def department_update(
    *, department: Department, name: str, contact_name: str = "", contact_phone: str = "", actor: Any
) -> Department:
    """Rename a department or change its contact person and phone (what a window sees when choosing
    where to transfer). Its code and hall stay. Refusals raise ValidationError naming the field and
    change nothing; the change is audited as ``department.change`` with the values before."""
    department = Department.objects.select_for_update().select_related("hall").get(pk=department.pk)
    before = _department_routing(department)
    department.name = (name or "").strip()
    department.contact_name = (contact_name or "").strip()
    department.contact_phone = (contact_phone or "").strip()
    errors: dict[str, list[str]] = {}
    try:
        department.full_clean(validate_constraints=False)
    except ValidationError as exc:
        errors = {field: list(messages) for field, messages in exc.message_dict.items()}
    siblings = Department.objects.filter(hall_id=department.hall_id).exclude(pk=department.pk)
    if department.name and siblings.filter(name=department.name).exists():
        errors.setdefault("name", []).append(
            _("%(hall)s already has a department named “%(name)s”.")
            % {"hall": department.hall.name, "name": department.name}
        )
    if errors:
        raise ValidationError(errors)
    after = _department_routing(department)
    if after == before:
        return department
    department.save(update_fields=["name", "contact_name", "contact_phone"])
    audit_record(
        action="department.change",
        actor=actor,
        hall=department.hall,
        target=department,
        changes={"code": department.code, **after, "before": before},
    )
    return department


# Higher layers tell how much open work a department has (hallindex: its open transfer slips), so that
# deactivating it does not strand slips its staff would no longer reach (hallplatform.accounts.access
# counts only active departments).
_open_work_counters: list[Callable[[Department], int]] = []


def department_open_work_register(counter: Callable[[Department], int]) -> None:
    """Register a function counting a department's open work (called from an AppConfig.ready())."""
    if counter not in _open_work_counters:
        _open_work_counters.append(counter)


@transaction.atomic
def department_set_active(*, department: Department, active: bool, actor: Any) -> Department:
    """Deactivate a department (it no longer receives transfer slips, its staff lose their access to
    its inbox) or activate it again. A department is never deleted: slips, meetings and statistics
    refer to it. Deactivating is refused while it has open slips. Audited as ``department.deactivate``
    / ``department.activate``."""
    department = Department.objects.select_for_update().select_related("hall").get(pk=department.pk)
    if department.is_active == active:
        return department
    if not active:
        open_work = sum(counter(department) for counter in _open_work_counters)
        if open_work:
            raise ValidationError(
                {
                    "is_active": [
                        _(
                            "The department still has %(count)d open transfer slip(s): "
                            "it can be deactivated once they are answered or returned."
                        )
                        % {"count": open_work}
                    ]
                }
            )
    department.is_active = active
    department.save(update_fields=["is_active"])
    audit_record(
        action="department.activate" if active else "department.deactivate",
        actor=actor,
        hall=department.hall,
        target=department,
        changes={"code": department.code, "name": department.name},
    )
    return department


# A city of n halls has n·(n-1) ordered pairs; more than this is a mistake, not a setting.
MAX_ROUTING_PAIRS = 2000


@transaction.atomic
def city_routing_set(*, city: Hall, actor: Any, scope: str, pairs: list[tuple[int, int]]) -> bool:
    """The city supervisor sets which halls of the city may transfer to which (异地转办): within the
    city (default), own hall and city level only, or the listed ``(from_hall_id, to_hall_id)`` pairs.
    Checked first, each refusal naming its field; audited. Whether anything changed."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise Http404
    if not RoleAssignment.objects.filter(user_id=actor.pk, kind=RoleKind.CITY_SUPERVISOR, hall_id=city.pk).exists():
        raise Http404
    errors: dict[str, list[str]] = {}
    if scope not in RoutingScope.values:
        errors["scope"] = [_("Choose one of the routing scopes.")]
    halls = set(Hall.objects.filter(Q(pk=city.pk) | Q(parent_id=city.pk)).values_list("pk", flat=True))
    clean: list[list[int]] = []
    if len(pairs) > MAX_ROUTING_PAIRS:
        errors["pairs"] = [_("Too many pairs.")]
    else:
        for source, target in pairs:
            if source not in halls or target not in halls or source == target:
                errors["pairs"] = [_("Each pair names two different halls of the city.")]
                break
            if [source, target] not in clean:
                clean.append([source, target])
    if scope == RoutingScope.PAIRS and not clean and "pairs" not in errors:
        errors["pairs"] = [_("List at least one pair, or choose another scope.")]
    if errors:
        raise ValidationError(errors)
    clean.sort()
    if scope != RoutingScope.PAIRS:
        clean = []
    row = CityRouting.objects.select_for_update().filter(city=city).first()
    before = {"scope": row.scope, "pairs": row.pairs} if row is not None else {"scope": RoutingScope.CITY, "pairs": []}
    after = {"scope": scope, "pairs": clean}
    if before == after:
        return False
    if row is None:
        row = CityRouting(city=city)
    row.scope, row.pairs = scope, clean
    row.save()
    audit_record(
        action="city_routing.set", actor=actor, hall=city, target=row, changes={"before": before, "after": after}
    )
    return True


# --- A city's retention period (casework.retention, docs/personal-data.md "Retention") -------------

# Bounds of the period: at least six months (a complaint or a review of the handling, and the audit
# trail's own minimum), at most ten years.
CASE_RETENTION_MIN_DAYS = 183
CASE_RETENTION_MAX_DAYS = 3650


@transaction.atomic
def city_case_retention_set(*, city: Hall, actor: Any, days: Any) -> Hall:
    """Set how many days after closing a case of ``city``'s halls keeps its personal data (PIPL
    art. 19): the city's supervisor only (others: PermissionDenied), within the bounds; audited
    ``city.case_retention`` with the old and the new value."""
    if (
        city.level != HallLevel.CITY
        or not RoleAssignment.objects.filter(
            user_id=getattr(actor, "pk", 0) or 0, kind=RoleKind.CITY_SUPERVISOR, hall_id=city.pk
        ).exists()
    ):
        raise PermissionDenied(_("Only the city's supervisor may set its retention period."))
    try:
        value = int(days)
    except (TypeError, ValueError):
        value = -1
    if not CASE_RETENTION_MIN_DAYS <= value <= CASE_RETENTION_MAX_DAYS:
        message = _("Between %(low)d and %(high)d days.") % {
            "low": CASE_RETENTION_MIN_DAYS,
            "high": CASE_RETENTION_MAX_DAYS,
        }
        raise ValidationError({"days": [message]})
    locked = Hall.objects.select_for_update().get(pk=city.pk)
    previous = locked.case_retention_days
    locked.case_retention_days = value
    locked.save(update_fields=["case_retention_days"])
    audit_record(
        action="city.case_retention", actor=actor, hall=locked, target=locked, changes={"from": previous, "to": value}
    )
    return locked
