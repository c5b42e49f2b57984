"""Beat's entry point for the deadline sweep (public schema: it reads the cross-hall index)."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from hallplatform.deadlines.sweep import deadline_sweep
from hallplatform.schemas import use_public_schema


@shared_task(name="deadlines.deadline_sweep_task", acks_late=True, reject_on_worker_lost=True)
def deadline_sweep_task() -> dict[str, Any]:
    """Idempotent: a sweep repeated after a crash finds nothing left to do and sends nothing twice."""
    use_public_schema()
    result = deadline_sweep()
    return result.__dict__
