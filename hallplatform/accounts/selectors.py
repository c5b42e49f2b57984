"""Reads of people's roles that several apps need."""

from __future__ import annotations

from typing import Any

from hallplatform.accounts.models import DEPARTMENT_ROLES, RoleAssignment


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
