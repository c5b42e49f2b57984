"""Reads of the working calendar: the pure ``WorkCalendar`` a deadline is computed on, and the
national calendar of a year.

A year without data never raises: its provisional calendar is materialised on first use
(services.calendar_provisional_ensure), so the queries below always find rows. In the steady state
``work_calendar_for`` costs five queries whatever the range, ``work_calendars_for`` the same five
for any number of halls.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, time

from django.db.models import OuterRef, Subquery
from django.db.models.functions import Coalesce

from hallplatform.workdays import worktime
from hallplatform.workdays.hours import MAKEUP_KEY, WEEKDAY_KEYS, Schedule, schedule_from_json
from hallplatform.workdays.models import (
    CalendarDay,
    CalendarYear,
    CityWorkPolicy,
    HallClosure,
    HallWorkPolicy,
    OfficeHoursSeason,
    YearStatus,
)
from hallplatform.workdays.services import calendar_provisional_ensure
from tenants.models import Hall

# A calendar is loaded around a computation; a span this long means a bug, not a deadline, and
# would materialise provisional years for centuries.
MAX_SPAN_YEARS = 50


def _years_ensured(first: date, last: date) -> frozenset[int]:
    """Make sure every year of [first, last] has data; return the provisional ones."""
    years = range(first.year, last.year + 1)
    rows = dict(CalendarYear.objects.filter(year__in=years).values_list("year", "status"))
    if len(rows) < len(years):
        calendar_provisional_ensure(years=[year for year in years if year not in rows])
        rows = dict(CalendarYear.objects.filter(year__in=years).values_list("year", "status"))
    return frozenset(year for year, status in rows.items() if status == YearStatus.PROVISIONAL)


def _intervals(spans: Iterable[tuple[time, time]]) -> tuple[worktime.Interval, ...]:
    return tuple(worktime.Interval(start, end) for start, end in sorted(spans))


def office_hours_of(
    schedule: Schedule, *, effective_from: date | None, effective_to: date | None
) -> worktime.OfficeHours:
    """The pure OfficeHours of a stored schedule."""
    return worktime.OfficeHours(
        effective_from=effective_from,
        effective_to=effective_to,
        weekdays={weekday: _intervals(schedule.get(key, ())) for weekday, key in enumerate(WEEKDAY_KEYS)},
        makeup=_intervals(schedule.get(MAKEUP_KEY, ())),
    )


def _seasons(rows: list[OfficeHoursSeason]) -> tuple[worktime.OfficeHours, ...]:
    # worktime picks, on each date, the covering season that started last, the later one on a tie:
    # so the all-year hours (the hall's own, else the platform default) come first.
    base = [row for row in rows if row.is_base]
    dated = sorted((row for row in rows if not row.is_base), key=lambda row: row.effective_from or date.min)
    seasons = [worktime.DEFAULT_OFFICE_HOURS] if not base else []
    for row in [*base, *dated]:
        seasons.append(
            office_hours_of(
                schedule_from_json(row.hours), effective_from=row.effective_from, effective_to=row.effective_to
            )
        )
    return tuple(seasons)


def _policy(row: HallWorkPolicy | None, city_share: float | None = None) -> worktime.Policy:
    """The hall's own policy; a warning share it leaves empty is its city's default, else 0.75."""
    share = row.warning_share if row is not None and row.warning_share is not None else city_share
    if share is None:
        share = worktime.Policy().warning_share
    if row is None:
        return worktime.Policy(warning_share=share)
    return worktime.Policy(
        count_receipt_day=row.count_receipt_day,
        half_day_minutes=row.half_day_minutes,
        warning_share=share,
    )


def _policies(ids: list[int]) -> dict[int, worktime.Policy]:
    """Each hall's deadline policy with its city's default warning share, in one query (the hall, its
    own policy joined, its city's share as a subquery)."""
    city_share = CityWorkPolicy.objects.filter(city_id=Coalesce(OuterRef("parent_id"), OuterRef("pk"))).values(
        "warning_share"
    )[:1]
    policies: dict[int, worktime.Policy] = {}
    for hall in Hall.objects.filter(pk__in=ids).select_related("work_policy").annotate(city_share=Subquery(city_share)):
        try:
            own: HallWorkPolicy | None = hall.work_policy
        except HallWorkPolicy.DoesNotExist:
            own = None
        policies[hall.pk] = _policy(own, hall.city_share)
    return policies


def warning_share_defaults(*, hall: Hall) -> tuple[float | None, float | None]:
    """(the hall's own warning share, its city's default): None where there is none."""
    own = HallWorkPolicy.objects.filter(hall=hall).values_list("warning_share", flat=True).first()
    city_id = hall.parent_id if hall.parent_id is not None else hall.pk
    return own, city_warning_share(city_id=city_id)


def city_warning_share(*, city_id: int) -> float | None:
    return CityWorkPolicy.objects.filter(city_id=city_id).values_list("warning_share", flat=True).first()


def work_calendars_for(*, hall_ids: Iterable[int], first: date, last: date) -> dict[int, worktime.WorkCalendar]:
    """The working calendar of each hall over [first, last], in a constant number of queries."""
    if first > last:
        raise ValueError(f"a working calendar from {first} cannot end before, on {last}")
    if last.year - first.year > MAX_SPAN_YEARS:
        raise ValueError(f"a working calendar spans at most {MAX_SPAN_YEARS} years, not {first} .. {last}")
    ids = sorted(set(hall_ids))
    provisional_years = _years_ensured(first, last)
    national = {
        day: worktime.DayKind(kind)
        for day, kind in CalendarDay.objects.filter(date__range=(first, last)).values_list("date", "kind")
    }
    seasons: dict[int, list[OfficeHoursSeason]] = {hall_id: [] for hall_id in ids}
    for season in (
        OfficeHoursSeason.objects.filter(hall_id__in=ids)
        .exclude(effective_to__lt=first)
        .exclude(effective_from__gt=last)
    ):
        seasons[season.hall_id].append(season)
    closures: dict[int, set[date]] = {hall_id: set() for hall_id in ids}
    for hall_id, day in HallClosure.objects.filter(hall_id__in=ids, date__range=(first, last)).values_list(
        "hall_id", "date"
    ):
        closures[hall_id].add(day)
    policies = _policies(ids)
    return {
        hall_id: worktime.WorkCalendar(
            first=first,
            last=last,
            national=national,
            provisional_years=provisional_years,
            seasons=_seasons(seasons[hall_id]),
            closures=frozenset(closures[hall_id]),
            policy=policies.get(hall_id) or worktime.Policy(),
        )
        for hall_id in ids
    }


def work_calendar_for(*, hall_id: int, first: date, last: date) -> worktime.WorkCalendar:
    """The working calendar of one hall over [first, last]: national holidays and make-up working
    days (provisional years materialised and flagged), the hall's office-hour seasons, closures and
    deadline policy."""
    return work_calendars_for(hall_ids=[hall_id], first=first, last=last)[hall_id]


def calendar_for_year(*, year: int) -> CalendarYear:
    """The national calendar of ``year`` with its days (``.days.all()`` is prefetched); a year
    without data gets its provisional calendar."""
    calendar_provisional_ensure(years=[year])
    return CalendarYear.objects.prefetch_related("days").get(year=year)


def office_hours_list_for_hall(*, hall_id: int) -> list[OfficeHoursSeason]:
    """A hall's office-hour seasons: the all-year hours first, then by start date."""
    rows = list(OfficeHoursSeason.objects.filter(hall_id=hall_id))
    return sorted(rows, key=lambda row: (not row.is_base, row.effective_from or date.min, row.pk))


def closure_list_for_hall(*, hall_id: int, since: date | None = None) -> list[HallClosure]:
    """A hall's closures, oldest first (from ``since`` on, when given)."""
    rows = HallClosure.objects.filter(hall_id=hall_id)
    if since is not None:
        rows = rows.filter(date__gte=since)
    return list(rows.order_by("date"))
