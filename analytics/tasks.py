"""Beat's entry point for the monthly reports (public schema: it reads the cross-hall facts)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Any

from celery import shared_task
from django.utils import timezone

from analytics.dashboards import city_dashboards_refresh
from analytics.reports import monthly_reports_make
from hallplatform.schemas import use_public_schema


@shared_task(name="analytics.analytics_monthly_reports_task")
def analytics_monthly_reports_task(today: str | None = None) -> dict[str, Any]:
    """Beat, every morning: on the first working day of the month (national calendar), make last
    month's report of every active hall and city and tell their leads and supervisors; on any
    other day, nothing. ``today`` (YYYY-MM-DD) stands in for the date in Asia/Shanghai. Idempotent:
    run again, it finds the reports made and sends nothing twice."""
    use_public_schema()
    day = date.fromisoformat(today) if today else timezone.localdate()
    return asdict(monthly_reports_make(today=day))


@shared_task(name="analytics.analytics_city_dashboards_task")
def analytics_city_dashboards_task() -> int:
    """Beat, every half of STATS_MAX_AGE_SECONDS: count the current month of every active city again
    and keep it, so that a supervisor opening the city dashboard never waits for the count."""
    use_public_schema()
    return city_dashboards_refresh()
