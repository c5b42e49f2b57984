"""Escalation policies (DESIGN.md 4.3, section 6): who is told at the yellow warning, who from the
breach on and in which order, and the working time between two steps — a hall's own, else its
city's default, else the built-in chain. The hall lead edits the hall's, the city supervisor the
city's (hallplatform/deadlines/web.py); every change is audited."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.utils.translation import gettext as _

from hallplatform.accounts.models import RoleAssignment, RoleKind
from hallplatform.audit.services import audit_record
from hallplatform.deadlines.models import (
    DEFAULT_ESCALATION_CHAIN,
    DEFAULT_ESCALATION_STEP_MINUTES,
    DEFAULT_WARNING_LEVELS,
    EscalationLevel,
    EscalationPolicy,
    PolicyScope,
)
from hallplatform.workdays.selectors import city_warning_share, warning_share_defaults
from hallplatform.workdays.services import city_warning_share_set, warning_share_errors, warning_share_set
from tenants.models import Hall

# Working minutes between two steps: at least a quarter of an hour, at most ten standard days.
STEP_MINUTES_MIN, STEP_MINUTES_MAX = 15, 4800
BUILT_IN = "built_in"


@dataclass(frozen=True)
class Escalation:
    """A policy in force: its levels and step, and where it comes from (hall, city, built_in)."""

    chain: tuple[str, ...] = tuple(DEFAULT_ESCALATION_CHAIN)
    step_minutes: int = DEFAULT_ESCALATION_STEP_MINUTES
    warning_levels: tuple[str, ...] = tuple(DEFAULT_WARNING_LEVELS)
    source: str = BUILT_IN

    @classmethod
    def of(cls, row: EscalationPolicy) -> Escalation:
        return cls(
            chain=tuple(row.chain),
            step_minutes=row.step_minutes,
            warning_levels=tuple(row.warning_levels or DEFAULT_WARNING_LEVELS),
            source=row.scope,
        )


def city_id_of(hall: Any) -> int:
    return hall.parent_id if hall.parent_id is not None else hall.pk


def escalations_for(halls: Iterable[Any]) -> dict[int, Escalation]:
    """The policy in force for each hall: its own, else its city's default, else the built-in one.
    One query whatever the number of halls (the deadline sweep reads it per batch)."""
    halls = list(halls)
    hall_ids = {hall.pk for hall in halls}
    city_ids = {city_id_of(hall) for hall in halls}
    rows = EscalationPolicy.objects.filter(
        Q(scope=PolicyScope.HALL, hall_id__in=hall_ids) | Q(scope=PolicyScope.CITY, hall_id__in=city_ids)
    )
    found = {(row.scope, row.hall_id): Escalation.of(row) for row in rows}
    return {
        hall.pk: found.get((PolicyScope.HALL, hall.pk))
        or found.get((PolicyScope.CITY, city_id_of(hall)))
        or Escalation()
        for hall in halls
    }


def _level_labels(levels: Iterable[str]) -> str:
    return " → ".join(str(EscalationLevel(level).label) for level in levels)


def escalation_errors(*, chain: list[str], step_minutes: int | None, warning_levels: list[str]) -> dict[str, list[str]]:
    """What is wrong with an escalation policy, each message naming its field (empty: nothing)."""
    errors: dict[str, list[str]] = {}
    allowed = set(EscalationLevel.values)
    if not chain:
        errors["chain"] = [_("Escalation chain: choose at least one level to tell at the breach.")]
    elif any(level not in allowed for level in chain):
        errors["chain"] = [_("Escalation chain: choose levels from the list.")]
    elif len(set(chain)) != len(chain):
        errors["chain"] = [_("Escalation chain: each level may appear only once.")]
    if step_minutes is None or not STEP_MINUTES_MIN <= step_minutes <= STEP_MINUTES_MAX:
        errors["step_minutes"] = [
            _("Time to the next level: give between %(low)d and %(high)d working minutes.")
            % {"low": STEP_MINUTES_MIN, "high": STEP_MINUTES_MAX}
        ]
    if not warning_levels:
        errors["warning_levels"] = [_("Told at the yellow warning: choose at least one level.")]
    elif any(level not in allowed for level in warning_levels):
        errors["warning_levels"] = [_("Told at the yellow warning: choose levels from the list.")]
    return errors


def _snapshot(row: EscalationPolicy | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {"chain": list(row.chain), "step_minutes": row.step_minutes, "warning_levels": list(row.warning_levels)}


def _ensure_role(actor: Any, kind: str, hall_id: int) -> None:
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise Http404
    if not RoleAssignment.objects.filter(user_id=actor.pk, kind=kind, hall_id=hall_id).exists():
        raise Http404


def _write(
    *, hall: Hall, scope: str, chain: list[str], step_minutes: int, warning_levels: list[str], actor: Any
) -> bool:
    row = EscalationPolicy.objects.select_for_update().filter(hall=hall, scope=scope).first()
    before = _snapshot(row)
    levels = sorted(set(warning_levels))
    after: dict[str, Any] = {"chain": list(chain), "step_minutes": step_minutes, "warning_levels": levels}
    if before == after:
        return False
    if row is None:
        row = EscalationPolicy(hall=hall, scope=scope)
    row.chain, row.step_minutes, row.warning_levels = list(chain), step_minutes, levels
    row.save()
    audit_record(
        action=f"escalation_policy.set_{scope}",
        actor=actor,
        hall=hall,
        target=row,
        changes={"before": before, "after": after},
    )
    return True


@transaction.atomic
def escalation_settings_set(
    *,
    hall: Hall,
    actor: Any,
    own: bool,
    chain: list[str],
    step_minutes: int | None,
    warning_levels: list[str],
    warning_share: float | None,
) -> bool:
    """The hall lead sets the hall's escalation (``own``; otherwise the hall follows its city's
    default) and its warning share (None: the city's). Everything is checked first, each refusal
    naming its field, so nothing is half saved; each change is audited. Whether anything changed."""
    _ensure_role(actor, RoleKind.HALL_LEAD, hall.pk)
    errors = escalation_errors(chain=chain, step_minutes=step_minutes, warning_levels=warning_levels) if own else {}
    errors.update(warning_share_errors(warning_share))
    if errors:
        raise ValidationError(errors)
    changed = False
    if own:
        assert step_minutes is not None
        changed = _write(
            hall=hall,
            scope=PolicyScope.HALL,
            chain=chain,
            step_minutes=step_minutes,
            warning_levels=warning_levels,
            actor=actor,
        )
    else:
        row = EscalationPolicy.objects.select_for_update().filter(hall=hall, scope=PolicyScope.HALL).first()
        if row is not None:
            audit_record(
                action="escalation_policy.follow_city",
                actor=actor,
                hall=hall,
                target=row,
                changes={"before": _snapshot(row), "after": None},
            )
            row.delete()
            changed = True
    return warning_share_set(hall=hall, warning_share=warning_share, actor=actor) or changed


@transaction.atomic
def city_escalation_defaults_set(
    *,
    city: Hall,
    actor: Any,
    chain: list[str],
    step_minutes: int | None,
    warning_levels: list[str],
    warning_share: float | None,
) -> bool:
    """The city supervisor sets the city's defaults, used by each of its halls without their own:
    escalation chain, step, who is told at the yellow warning, and the warning share. Checked first,
    each refusal naming its field; audited. Whether anything changed."""
    _ensure_role(actor, RoleKind.CITY_SUPERVISOR, city.pk)
    errors = escalation_errors(chain=chain, step_minutes=step_minutes, warning_levels=warning_levels)
    errors.update(warning_share_errors(warning_share, required=True))
    if errors:
        raise ValidationError(errors)
    assert step_minutes is not None and warning_share is not None
    changed = _write(
        hall=city,
        scope=PolicyScope.CITY,
        chain=chain,
        step_minutes=step_minutes,
        warning_levels=warning_levels,
        actor=actor,
    )
    return city_warning_share_set(city=city, warning_share=warning_share, actor=actor) or changed


@dataclass(frozen=True)
class Settings:
    """What the settings pages show: the hall's own values (None: none), and the default beside them."""

    own: Escalation | None
    default: Escalation
    warning_share: float | None
    default_warning_share: float


def escalation_settings_for(*, hall: Hall) -> Settings:
    """A hall's own escalation and warning share, with its city's defaults (else the built-in ones)."""
    rows = {
        row.scope: Escalation.of(row)
        for row in EscalationPolicy.objects.filter(
            Q(scope=PolicyScope.HALL, hall=hall) | Q(scope=PolicyScope.CITY, hall_id=city_id_of(hall))
        )
    }
    own_share, city_share = warning_share_defaults(hall=hall)
    return Settings(
        own=rows.get(PolicyScope.HALL),
        default=rows.get(PolicyScope.CITY) or Escalation(),
        warning_share=own_share,
        default_warning_share=city_share if city_share is not None else 0.75,
    )


def city_settings_for(*, city: Hall) -> Settings:
    """A city's defaults, with the built-in ones beside them."""
    row = EscalationPolicy.objects.filter(scope=PolicyScope.CITY, hall=city).first()
    return Settings(
        own=Escalation.of(row) if row is not None else None,
        default=Escalation(),
        warning_share=city_warning_share(city_id=city.pk),
        default_warning_share=0.75,
    )


def level_labels(levels: Iterable[str]) -> str:
    """The levels by name, in order (for the pages)."""
    return _level_labels(levels)
