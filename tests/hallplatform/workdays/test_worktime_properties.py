"""Properties of working-day arithmetic (`hallplatform/workdays/worktime.py`), checked with hypothesis.

Adding then measuring gives back the same working time; deadlines are monotonic in their start and
never fall outside office hours; pausing and resuming at once changes nothing.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

import chinese_calendar
from hypothesis import given, settings
from hypothesis import strategies as st

from hallplatform.workdays.worktime import (
    TZ,
    Interval,
    OfficeHours,
    Policy,
    WorkCalendar,
    add_half_working_day,
    add_working_days,
    add_working_time,
    pause,
    resume,
    warning_time,
    working_time_between,
)
from tests.hallplatform.workdays.test_worktime import CALENDARS, SUMMER, calendar, hours

# Touching intervals (12:00 ends one and starts the next) and a short make-up day.
TOUCHING = hours((time(9, 0), time(12, 0)), (time(12, 0), time(13, 0)), (time(14, 0), time(17, 0)))
SHORT_MAKEUP = hours((time(9, 0), time(11, 30, 15)))

PROPERTY_CALENDARS: dict[str, WorkCalendar] = {
    "real": CALENDARS["real"],
    "summer-closures-count-receipt": calendar(
        seasons=(SUMMER,),
        closures=frozenset({date(2025, 3, 4), date(2025, 9, 16), date(2026, 6, 3), date(2026, 7, 24)}),
        policy=Policy(count_receipt_day=True, warning_share=0.8),
    ),
    "touching-intervals": calendar(
        seasons=(OfficeHours(date(2025, 7, 1), None, dict.fromkeys(range(5), TOUCHING), SHORT_MAKEUP),),
        policy=Policy(half_day_minutes=97),
    ),
}

BOUNDARY_TIMES = sorted(
    {time(0, 0), time(23, 59, 59, 999999)}
    | {
        clock
        for cal in PROPERTY_CALENDARS.values()
        for season in cal.seasons
        for intervals in (*season.weekdays.values(), season.makeup)
        for interval in intervals
        for clock in (interval.start, interval.end)
    }
)
OTHER_ZONES = [TZ, UTC, timezone(timedelta(hours=-5))]

# Starts leave room before the calendar's last day (2026-12-31) for the largest limits drawn below.
calendar_names = st.sampled_from(sorted(PROPERTY_CALENDARS))
instants = st.builds(
    lambda day, clock, zone: datetime.combine(day, clock, tzinfo=TZ).astimezone(zone),
    st.dates(min_value=date(2025, 1, 1), max_value=date(2026, 10, 31)),
    st.one_of(st.sampled_from(BOUNDARY_TIMES), st.times()),
    st.sampled_from(OTHER_ZONES),
)
amounts = st.one_of(
    st.sampled_from([timedelta(0), timedelta(minutes=1), timedelta(minutes=195), timedelta(minutes=390)]),
    st.integers(min_value=0, max_value=3 * 24 * 3600 * 10**6).map(lambda us: timedelta(microseconds=us)),
)
working_days = st.integers(min_value=1, max_value=10)
fractions = st.integers(min_value=0, max_value=10**6)

PROPERTY_SETTINGS = settings(max_examples=150, deadline=None, database=None)


def within_office_hours(cal: WorkCalendar, at: datetime) -> bool:
    """``at`` lies in ``[start, end]`` of an office interval of a working day (stated independently)."""
    local = at.astimezone(TZ)
    day = local.date()
    return cal.is_working_day(day) and any(
        datetime.combine(day, interval.start, tzinfo=TZ) <= local <= datetime.combine(day, interval.end, tzinfo=TZ)
        for interval in cal.intervals_on(day)
    )


def between(start: datetime, end: datetime, fraction: int) -> datetime:
    """An instant in ``[start, end]``, ``fraction`` millionths of the way."""
    return start + (end - start) * fraction // 10**6


@PROPERTY_SETTINGS
@given(name=calendar_names, first=instants, second=instants, days=working_days)
def test_add_working_days_is_monotonic_in_the_start(name: str, first: datetime, second: datetime, days: int) -> None:
    cal = PROPERTY_CALENDARS[name]
    early, late = sorted((first, second))

    assert add_working_days(cal, early, days).at <= add_working_days(cal, late, days).at


@PROPERTY_SETTINGS
@given(name=calendar_names, first=instants, second=instants, amount=amounts)
def test_add_working_time_is_monotonic_in_the_start(
    name: str, first: datetime, second: datetime, amount: timedelta
) -> None:
    cal = PROPERTY_CALENDARS[name]
    early, late = sorted((first, second))

    assert add_working_time(cal, early, amount).at <= add_working_time(cal, late, amount).at


@PROPERTY_SETTINGS
@given(name=calendar_names, start=instants, amount=amounts)
def test_adding_then_measuring_gives_the_working_time_back(name: str, start: datetime, amount: timedelta) -> None:
    cal = PROPERTY_CALENDARS[name]

    due = add_working_time(cal, start, amount)

    assert due.at >= start
    assert working_time_between(cal, start, due.at) == amount


@PROPERTY_SETTINGS
@given(name=calendar_names, start=instants, first=amounts, second=amounts)
def test_adding_working_time_twice_is_adding_the_sum(
    name: str, start: datetime, first: timedelta, second: timedelta
) -> None:
    cal = PROPERTY_CALENDARS[name]

    stepwise = add_working_time(cal, add_working_time(cal, start, first).at, second)

    assert stepwise.at == add_working_time(cal, start, first + second).at


@PROPERTY_SETTINGS
@given(name=calendar_names, a=instants, b=instants, c=instants)
def test_working_time_between_adds_up(name: str, a: datetime, b: datetime, c: datetime) -> None:
    cal = PROPERTY_CALENDARS[name]
    a, b, c = sorted((a, b, c))

    assert working_time_between(cal, a, c) == working_time_between(cal, a, b) + working_time_between(cal, b, c)
    assert working_time_between(cal, c, a) == timedelta(0)


@PROPERTY_SETTINGS
@given(name=calendar_names, start=instants, amount=amounts, days=working_days)
def test_a_deadline_never_falls_outside_office_hours(name: str, start: datetime, amount: timedelta, days: int) -> None:
    cal = PROPERTY_CALENDARS[name]

    for due in (
        add_working_days(cal, start, days),
        add_working_time(cal, start, amount),
        add_half_working_day(cal, start),
    ):
        assert within_office_hours(cal, due.at), due
        assert due.at.tzinfo is TZ


@PROPERTY_SETTINGS
@given(name=calendar_names, start=instants, days=working_days)
def test_a_working_day_deadline_is_after_the_start_at_a_close_of_office(name: str, start: datetime, days: int) -> None:
    cal = PROPERTY_CALENDARS[name]

    due = add_working_days(cal, start, days).at

    assert due > start
    assert due.timetz().replace(tzinfo=None) == cal.intervals_on(due.date())[-1].end


@PROPERTY_SETTINGS
@given(start=instants, days=working_days)
def test_working_days_count_chinese_calendar_workdays_after_the_day_of_receipt(start: datetime, days: int) -> None:
    receipt = start.astimezone(TZ).date()
    expected = receipt
    for _ in range(days):
        expected += timedelta(days=1)
        while not chinese_calendar.is_workday(expected):
            expected += timedelta(days=1)

    due = add_working_days(CALENDARS["real"], start, days).at

    assert due == datetime.combine(expected, time(17, 30), tzinfo=TZ)


@PROPERTY_SETTINGS
@given(name=calendar_names, start=instants, amount=amounts, days=working_days, fraction=fractions)
def test_pause_then_resume_at_once_gives_the_same_deadline(
    name: str, start: datetime, amount: timedelta, days: int, fraction: int
) -> None:
    cal = PROPERTY_CALENDARS[name]

    for due in (add_working_time(cal, start, amount).at, add_working_days(cal, start, days).at):
        at = between(start, due, fraction)
        assert resume(cal, pause(cal, due, at), at).at == due


@PROPERTY_SETTINGS
@given(name=calendar_names, start=instants, days=working_days, fraction=fractions)
def test_pause_then_later_resume_keeps_the_remaining_working_time(
    name: str, start: datetime, days: int, fraction: int
) -> None:
    cal = PROPERTY_CALENDARS[name]
    due = add_working_days(cal, start, days).at
    at = between(start, due, fraction)
    remaining = pause(cal, due, at)

    later = at + timedelta(days=3)
    resumed = resume(cal, remaining, later).at

    assert working_time_between(cal, later, resumed) == remaining
    assert resumed >= due


@PROPERTY_SETTINGS
@given(name=calendar_names, start=instants, days=working_days)
def test_the_warning_falls_between_start_and_due_at_its_share(name: str, start: datetime, days: int) -> None:
    cal = PROPERTY_CALENDARS[name]
    due = add_working_days(cal, start, days).at

    warning = warning_time(cal, start, due)

    assert start <= warning <= due
    total = working_time_between(cal, start, due)
    assert working_time_between(cal, start, warning) == total * cal.policy.warning_share


@PROPERTY_SETTINGS
@given(
    day=st.dates(min_value=date(2026, 11, 1), max_value=date(2027, 10, 31)),
    clock=st.times(),
    amount=amounts,
)
def test_a_deadline_touching_a_provisional_year_is_provisional(day: date, clock: time, amount: timedelta) -> None:
    cal = CALENDARS["provisional_2027"]
    start = datetime.combine(day, clock, tzinfo=TZ)

    due = add_working_time(cal, start, amount)

    assert due.provisional is (day.year == 2027 or due.at.year == 2027)


def test_boundary_times_cover_every_interval_end() -> None:
    # The instant strategy must hit interval boundaries, where off-by-one mistakes live.
    assert time(12, 0) in BOUNDARY_TIMES
    assert time(17, 30) in BOUNDARY_TIMES
    assert time(11, 30, 15) in BOUNDARY_TIMES
    assert Interval(time(9, 0), time(11, 30, 15)) in SHORT_MAKEUP
