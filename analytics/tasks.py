"""Beat's entry point for the monthly reports (public schema: it reads the cross-hall facts)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Any

from django.utils import timezone

from analytics.reports import monthly_reports_make
from hallplatform.celery import app
from hallplatform.schemas import use_public_schema


@app.task(name="analytics.analytics_monthly_reports_task")
def analytics_monthly_reports_task(today: str | None = None) -> dict[str, Any]:
    """Beat, every morning: on the first working day of the month (national calendar), make last
    month's report of every active hall and city and tell their leads and supervisors; on any
    other day, nothing. ``today`` (YYYY-MM-DD) stands in for the date in Asia/Shanghai. Idempotent:
    run again, it finds the reports made and sends nothing twice."""
    use_public_schema()
    day = date.fromisoformat(today) if today else timezone.localdate()
    return asdict(monthly_reports_make(today=day))
