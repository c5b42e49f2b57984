"""Beat's entry point for the audit trail's retention purge (public schema)."""

from __future__ import annotations

from celery import shared_task

from hallplatform.audit.services import audit_purge_expired
from hallplatform.schemas import use_public_schema


@shared_task(name="audit.audit_purge_expired_task")
def audit_purge_expired_task() -> int:
    """Idempotent: run again, it finds nothing older than the cutoff left."""
    use_public_schema()
    return audit_purge_expired()
