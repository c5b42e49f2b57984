"""A dashboard's figures, counted once and kept for a few minutes (docs/statistics.md, "Freshness").

Counting a city's month means some twenty queries over tens of thousands of facts: a second or more
on modest hardware, several for a whole year. The dashboard, the recurring problems, the statistics
API and the dashboard exports of one scope and period therefore share one count, kept in the cache
(Redis) for ``STATS_MAX_AGE_SECONDS`` (default 300) and shown with the time it was made. Beat counts
the current month of every active city again every half of that (``analytics.tasks``), so nobody
waits for a city's default view; any other scope or period is counted at its first view and kept as
long. ``refresh=True`` counts at once (the page's "refresh now"). ``STATS_MAX_AGE_SECONDS=0`` keeps
nothing: every view counts afresh. The monthly reports never use this: they count when they are made.

Without Redis the figures are counted for each view: slower, never wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from redis.exceptions import RedisError

from analytics.selectors import Period, Scope, figures_for, recurring_problems
from hallplatform.caching import cache_outage, database_key, delete_database_keys
from tenants.models import Hall, HallLevel

CACHE_PREFIX = "stats:"
PROBLEM_ROWS = 20  # the recurring problems kept with a dashboard (matters and departments)


@dataclass(frozen=True)
class DashboardFigures:
    """Every figure of a scope's dashboard for a period and for the period before it, and the
    recurring problems, as counted at ``computed_at``."""

    figures: dict[str, Any]
    previous: dict[str, Any]
    recurring: dict[str, list[dict[str, Any]]]
    computed_at: datetime


def max_age() -> int:
    return int(settings.STATS_MAX_AGE_SECONDS)


def _key(scope: Scope, period: Period) -> str:
    kind = "city" if scope.is_city else "hall"
    return database_key(CACHE_PREFIX, f"{kind}:{scope.hall.pk}:{period.first}:{period.last}")


def dashboard_count(*, scope: Scope, period: Period) -> DashboardFigures:
    """Count every figure now (no cache)."""
    figures = figures_for(scope=scope, period=period).as_dict()
    previous = figures_for(scope=scope, period=period.previous()).as_dict()
    recurring = recurring_problems(scope=scope, period=period, limit=PROBLEM_ROWS, figures=figures, previous=previous)
    return DashboardFigures(figures=figures, previous=previous, recurring=recurring, computed_at=timezone.now())


def dashboard_figures(*, scope: Scope, period: Period, refresh: bool = False) -> DashboardFigures:
    """The figures of a scope and period as counted at most ``STATS_MAX_AGE_SECONDS`` ago; counted now
    and kept when there are none that recent, or when ``refresh``."""
    age = max_age()
    key = _key(scope, period)
    if age > 0 and not refresh and not cache_outage.ongoing():
        try:
            found = cache.get(key)
        except RedisError as error:
            cache_outage.record(error)  # counted afresh
            found = None
        if isinstance(found, DashboardFigures) and (timezone.now() - found.computed_at).total_seconds() <= age:
            return found
    counted = dashboard_count(scope=scope, period=period)
    if age > 0 and not cache_outage.ongoing():
        try:
            cache.set(key, counted, age)
        except RedisError as error:
            cache_outage.record(error)  # not kept
    return counted


def city_dashboards_refresh(*, today: date | None = None) -> int:
    """Count the current month of every active city again and keep it (beat); how many cities."""
    if max_age() <= 0:
        return 0
    period = Period.month_of(today or timezone.localdate())
    cities = list(Hall.objects.filter(level=HallLevel.CITY, is_active=True).order_by("pk"))
    for city in cities:
        dashboard_figures(scope=Scope.of_city(city), period=period, refresh=True)
    return len(cities)


def dashboards_forget_all() -> int:
    """Drop every kept count of this database (after data was corrected by hand, or between tests);
    returns how many were dropped."""
    return delete_database_keys(CACHE_PREFIX)
