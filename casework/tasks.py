"""Beat's entry points of casework (public schema; they enter each hall's schema themselves)."""

from __future__ import annotations

from celery import shared_task

from casework.progress import progress_purge
from hallplatform.schemas import use_public_schema


@shared_task(name="casework.progress_purge_task")
def progress_purge_task() -> dict[str, int]:
    """Hourly: the progress pages' old wrong tries and codes in every hall, expired CAPTCHA pictures
    and code requests (casework/progress.py: progress_purge). Idempotent."""
    use_public_schema()
    return progress_purge()
