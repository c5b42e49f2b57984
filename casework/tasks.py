"""Beat's entry points for casework: the retention erasure (docs/personal-data.md "Retention")."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from casework.retention import case_retention_erase_due
from tenants.models import Hall


@shared_task(name="casework.case_retention_sweep_task")
def case_retention_sweep_task() -> int:
    """Daily, on the public schema: one erasure task per active hall, sent with the hall's schema in
    its headers (tenant-schemas-celery runs it there). Returns the number of halls."""
    halls = list(Hall.objects.filter(is_active=True).values_list("schema_name", flat=True))
    for schema_name in halls:
        case_retention_erase_task.apply_async(headers={"_schema_name": schema_name})
    return len(halls)


@shared_task(name="casework.case_retention_erase_task", acks_late=True, reject_on_worker_lost=True)
def case_retention_erase_task() -> dict[str, Any]:
    """In one hall's schema: erase the personal data of the cases past the city's period. Idempotent
    (an erased case is not due again)."""
    return case_retention_erase_due()
