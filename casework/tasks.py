"""Beat's entry points of casework (public schema; they enter each hall's schema themselves): the
progress pages' purge and the retention erasure (docs/personal-data.md "Retention")."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from casework.progress import progress_purge
from casework.retention import case_retention_erase_due
from hallplatform.schemas import use_public_schema
from tenants.models import Hall


@shared_task(name="casework.progress_purge_task")
def progress_purge_task() -> dict[str, int]:
    """Hourly: the progress pages' old wrong tries and codes in every hall, expired CAPTCHA pictures
    and code requests (casework/progress.py: progress_purge). Idempotent."""
    use_public_schema()
    return progress_purge()


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
