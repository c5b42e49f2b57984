"""Writing the index rows: casework calls these in the transaction of each change of a case or slip.

What reaches the public schema is decided here, once: the matter's name is masked (a phone or ID
number typed into it never leaves the hall's schema) and grouped (``matter_key``).
"""

from __future__ import annotations

from typing import Any

from hallindex.matters import matter_key
from hallindex.models import CaseIndex, RatingIndex, SlipIndex
from hallplatform.personal import mask_text

MATTER_MAX_LENGTH = 200


def _public_matter(name: str) -> str:
    return mask_text(name)[:MATTER_MAX_LENGTH]


def case_index_write(
    *, hall_id: int, case_id: int, values: dict[str, Any], repeat_reporter: bool | None = None
) -> None:
    """Create or bring up to date the case's row. ``repeat_reporter`` is given when the case is being
    registered (its row cannot exist yet: one INSERT, no lookup)."""
    row = dict(values)
    row["matter_name"] = _public_matter(row.get("matter_name", ""))
    row["matter_key"] = matter_key(row["matter_name"])
    if repeat_reporter is not None:
        CaseIndex.objects.create(hall_id=hall_id, case_id=case_id, repeat_reporter=repeat_reporter, **row)
        return
    CaseIndex.objects.update_or_create(hall_id=hall_id, case_id=case_id, defaults=row)


def slip_index_write(*, hall_id: int, slip_id: int, values: dict[str, Any]) -> None:
    """Create or bring up to date the slip's row (the departments' inbox)."""
    row = dict(values)
    if "matter_name" in row:
        row["matter_name"] = _public_matter(row["matter_name"])
    SlipIndex.objects.update_or_create(hall_id=hall_id, slip_id=slip_id, defaults=row)


# A slip the department still has to answer (casework.choices.OPEN_SLIP_STATES, as the index stores them).
OPEN_SLIP_STATUSES = ("sent", "received", "awaiting_supplement")


def department_open_slip_count(department: Any) -> int:
    """How many transfer slips, in every hall, ``department`` still has to answer (registered with
    tenants.services.department_open_work_register: deactivating a department waits for them)."""
    return SlipIndex.objects.filter(department_id=department.pk, status__in=OPEN_SLIP_STATUSES).count()


def rating_index_write(*, hall_id: int, case_id: int, values: dict[str, Any]) -> None:
    """Create or bring up to date the row of a case's rating by the person (no comment, no reason)."""
    RatingIndex.objects.update_or_create(hall_id=hall_id, case_id=case_id, defaults=dict(values))


def departments_sent_slips_by(*, hall_id: int, department_ids: set[int]) -> set[int]:
    """Those of ``department_ids`` to which hall ``hall_id`` has sent a transfer slip (registered with
    hallplatform.accounts.access.routed_departments_register: another county's department opens its
    slips on the sending hall's host, 异地转办)."""
    return set(
        SlipIndex.objects.filter(hall_id=hall_id, department_id__in=department_ids)
        .values_list("department_id", flat=True)
        .distinct()
    )
