"""Object-level checks inside a hall: which slips a department's staff may work, who may reveal.

The host check (hallplatform.accounts.access) lets a department's staff onto a hall's host; here they are
narrowed to the slips addressed to their own departments. Missing and forbidden look the same (404).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.http import Http404

from hallplatform.accounts.models import DEPARTMENT_ROLES, HALL_ROLES, RoleAssignment, RoleKind
from hallplatform.accounts.selectors import department_ids_of


def ensure_slip_department(actor: Any, slip: Any) -> None:
    """Only the staff of the slip's department work it; anyone else is told it does not exist."""
    if slip.department_id not in department_ids_of(actor):
        raise Http404


def is_hall_staff(actor: Any, hall_id: int) -> bool:
    """Window staff or hall lead of the hall."""
    if actor is None or not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return False
    return RoleAssignment.objects.filter(user_id=actor.pk, kind__in=HALL_ROLES, hall_id=hall_id).exists()


def ensure_hall_staff(actor: Any, hall_id: int) -> None:
    if not is_hall_staff(actor, hall_id):
        raise Http404


def may_amend_registration(actor: Any, *, hall_id: int, fed_back: bool) -> bool:
    """Who corrects a case's registration (更正登记): the hall's window staff and lead; once the
    person has been told the result (``fed_back``), only the hall lead."""
    if not is_hall_staff(actor, hall_id):
        return False
    return (
        not fed_back
        or RoleAssignment.objects.filter(user_id=actor.pk, kind=RoleKind.HALL_LEAD, hall_id=hall_id).exists()
    )


def ensure_may_decide_meeting_request(actor: Any, hall: Any) -> None:
    """A joint-meeting request is decided (convened or declined) by the hall's lead, or a supervisor
    of its city; anyone else is told the case does not exist."""
    if actor is None or not getattr(actor, "is_authenticated", False) or not actor.is_active:
        raise Http404
    city_id = hall.parent_id if hall.parent_id is not None else hall.pk
    if not RoleAssignment.objects.filter(
        Q(kind=RoleKind.HALL_LEAD, hall_id=hall.pk) | Q(kind=RoleKind.CITY_SUPERVISOR, hall_id=city_id),
        user_id=actor.pk,
    ).exists():
        raise Http404


def may_reveal(actor: Any, *, hall_id: int, slip_department_ids: set[int]) -> bool:
    """Whether ``actor`` may see a case's personal data unmasked: a hall role in the hall, or a role
    in a department the case was transferred to, granted with ``may_reveal_personal_data``."""
    if actor is None or not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return False
    assignments = RoleAssignment.objects.filter(user_id=actor.pk, may_reveal_personal_data=True)
    if assignments.filter(kind__in=HALL_ROLES, hall_id=hall_id).exists():
        return True
    return (
        bool(slip_department_ids)
        and assignments.filter(kind__in=DEPARTMENT_ROLES, department_id__in=slip_department_ids).exists()
    )
