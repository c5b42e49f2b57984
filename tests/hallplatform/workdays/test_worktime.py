"""Working-day arithmetic (`hallplatform/workdays/worktime.py`), table-driven on the real 2025–2026 schedule.

The national schedule comes from the `chinese_calendar` package, the same data the calendar tables
are seeded from. Times in the tables are Asia/Shanghai wall-clock times.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

import chinese_calendar
import pytest

from hallplatform.workdays.worktime import (
    DEFAULT_OFFICE_HOURS,
    TZ,
    CalendarRangeError,
    DayKind,
    Interval,
    OfficeHours,
    Policy,
    WorkCalendar,
    add_half_working_day,
    add_working_days,
    add_working_time,
    half_working_day,
    in_office_hours,
    pause,
    resume,
    warning_time,
    working_time_between,
)

FIRST = date(2025, 1, 1)
LAST = date(2026, 12, 31)


def national_schedule(first: date, last: date) -> dict[date, DayKind]:
    """The overrides of the plain Monday–Friday week in `chinese_calendar`, for ``first`` .. ``last``.

    Its `holidays` lists every day off of a holiday period, weekends included, and `workdays` the
    make-up working days; only a holiday on a weekday and a make-up day on a weekend change the week.
    """
    schedule: dict[date, DayKind] = {}
    for day in chinese_calendar.holidays:
        if first <= day <= last and day.weekday() < 5:
            schedule[day] = DayKind.HOLIDAY
    for day in chinese_calendar.workdays:
        if first <= day <= last and day.weekday() >= 5:
            schedule[day] = DayKind.MAKEUP_WORKDAY
    return schedule


NATIONAL = national_schedule(FIRST, LAST)


def hours(*spans: tuple[time, time]) -> tuple[Interval, ...]:
    return tuple(Interval(start, end) for start, end in spans)


SUMMER_HOURS = hours((time(8, 0), time(12, 0)), (time(15, 0), time(18, 0)))
SUMMER = OfficeHours(
    effective_from=date(2026, 6, 1),
    effective_to=date(2026, 9, 30),
    weekdays=dict.fromkeys(range(5), SUMMER_HOURS),
    makeup=SUMMER_HOURS,
)


def calendar(**changes: object) -> WorkCalendar:
    """The real 2025–2026 calendar with default office hours and policy, with ``changes`` applied."""
    fields: dict[str, object] = {
        "first": FIRST,
        "last": LAST,
        "national": NATIONAL,
        "provisional_years": frozenset(),
    }
    fields.update(changes)
    return WorkCalendar(**fields)  # type: ignore[arg-type]


# 2027 is not published: a provisional calendar holds at least 元旦 (Friday 1 January 2027).
PROVISIONAL_NATIONAL = {**NATIONAL, date(2027, 1, 1): DayKind.HOLIDAY}

CALENDARS: dict[str, WorkCalendar] = {
    "real": calendar(),
    "closure": calendar(closures=frozenset({date(2025, 3, 4)})),
    "summer": calendar(seasons=(SUMMER,)),
    "count_receipt_day": calendar(policy=Policy(count_receipt_day=True)),
    "half_day_120": calendar(policy=Policy(half_day_minutes=120)),
    "warning_half": calendar(policy=Policy(warning_share=0.5)),
    "provisional_2027": calendar(
        last=date(2027, 12, 31), national=PROVISIONAL_NATIONAL, provisional_years=frozenset({2027})
    ),
}
REAL = CALENDARS["real"]


def sh(text: str) -> datetime:
    """An Asia/Shanghai instant from ``YYYY-MM-DD HH:MM[:SS[.ffffff]]``."""
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


def minutes(value: float) -> timedelta:
    return timedelta(minutes=value)


# --- the national schedule ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first_day_off", "last_day_off", "makeup_days"),
    [
        pytest.param(date(2025, 1, 28), date(2025, 2, 4), [date(2025, 1, 26), date(2025, 2, 8)], id="2025-spring"),
        pytest.param(date(2025, 10, 1), date(2025, 10, 8), [date(2025, 9, 28), date(2025, 10, 11)], id="2025-national"),
        pytest.param(date(2026, 1, 1), date(2026, 1, 3), [date(2026, 1, 4)], id="2026-new-year"),
        pytest.param(date(2026, 2, 15), date(2026, 2, 23), [date(2026, 2, 14), date(2026, 2, 28)], id="2026-spring"),
        pytest.param(date(2026, 10, 1), date(2026, 10, 7), [date(2026, 9, 20), date(2026, 10, 10)], id="2026-national"),
    ],
)
def test_known_holiday_periods(first_day_off: date, last_day_off: date, makeup_days: list[date]) -> None:
    day = first_day_off
    while day <= last_day_off:
        assert chinese_calendar.is_holiday(day), day
        assert not REAL.is_working_day(day), day
        day += timedelta(days=1)
    for neighbour in (first_day_off - timedelta(days=1), last_day_off + timedelta(days=1)):
        assert chinese_calendar.is_workday(neighbour), neighbour
        assert REAL.is_working_day(neighbour), neighbour
    for makeup in makeup_days:
        assert makeup.weekday() >= 5, makeup
        assert chinese_calendar.is_workday(makeup), makeup
        assert REAL.national[makeup] == DayKind.MAKEUP_WORKDAY
        assert REAL.is_working_day(makeup), makeup


def test_chinese_calendar_make_up_days_are_all_weekend_days() -> None:
    # national_schedule drops weekday entries of `workdays`: there must be none to drop.
    assert [day for day in chinese_calendar.workdays if FIRST <= day <= LAST and day.weekday() < 5] == []


def test_working_days_agree_with_chinese_calendar_every_day_of_2025_and_2026() -> None:
    day = FIRST
    disagreements = []
    while day <= LAST:
        if REAL.is_working_day(day) != chinese_calendar.is_workday(day):
            disagreements.append(day)
        day += timedelta(days=1)
    assert disagreements == []
    assert len(chinese_calendar.get_workdays(date(2025, 1, 1), date(2025, 12, 31))) == 248


@pytest.mark.parametrize(
    ("calendar_name", "day", "working"),
    [
        pytest.param("real", date(2025, 3, 3), True, id="ordinary-monday"),
        pytest.param("real", date(2025, 3, 8), False, id="ordinary-saturday"),
        pytest.param("real", date(2025, 1, 26), True, id="2025-makeup-sunday-jan-26"),
        pytest.param("real", date(2025, 1, 28), False, id="2025-spring-festival-tuesday"),
        pytest.param("real", date(2025, 10, 8), False, id="2025-national-day-wednesday-oct-8"),
        pytest.param("real", date(2025, 10, 11), True, id="2025-makeup-saturday-oct-11"),
        pytest.param("real", date(2025, 10, 12), False, id="2025-sunday-after-makeup"),
        pytest.param("real", date(2026, 1, 2), False, id="2026-new-year-friday"),
        pytest.param("real", date(2026, 1, 4), True, id="2026-makeup-sunday-jan-4"),
        pytest.param("real", date(2026, 2, 23), False, id="2026-spring-festival-monday"),
        pytest.param("real", date(2026, 2, 28), True, id="2026-makeup-saturday-feb-28"),
        pytest.param("real", date(2026, 10, 8), True, id="2026-thursday-after-national-day"),
        pytest.param("closure", date(2025, 3, 4), False, id="closure"),
        pytest.param("closure", date(2025, 3, 5), True, id="day-after-closure"),
    ],
)
def test_is_working_day(calendar_name: str, day: date, working: bool) -> None:
    assert CALENDARS[calendar_name].is_working_day(day) is working


def test_intervals_on_makeup_holiday_and_normal_days() -> None:
    makeup_only_mornings = OfficeHours(None, None, DEFAULT_OFFICE_HOURS.weekdays, hours((time(9, 0), time(12, 0))))
    cal = calendar(seasons=(makeup_only_mornings,))

    assert cal.intervals_on(date(2026, 2, 14)) == hours((time(9, 0), time(12, 0)))
    assert cal.intervals_on(date(2026, 2, 13)) == DEFAULT_OFFICE_HOURS.weekdays[4]
    assert cal.intervals_on(date(2026, 2, 16)) == ()
    assert cal.intervals_on(date(2026, 2, 8)) == ()


def test_a_working_day_without_office_hours_is_not_a_working_day() -> None:
    # given a season closed on Fridays
    four_days = OfficeHours(None, None, {day: DEFAULT_OFFICE_HOURS.weekdays[day] for day in range(4)}, ())
    cal = calendar(seasons=(four_days,))
    # then Friday and the make-up Saturday (no make-up hours) do not count
    assert not cal.is_working_day(date(2025, 3, 7))
    assert not cal.is_working_day(date(2026, 2, 14))
    assert add_working_days(cal, sh("2025-03-06 10:00"), 1).at == sh("2025-03-10 17:30")


@pytest.mark.parametrize(
    ("seasons", "day", "expected"),
    [
        pytest.param((SUMMER,), date(2026, 7, 1), SUMMER, id="inside-the-only-season"),
        pytest.param((SUMMER,), date(2026, 10, 8), DEFAULT_OFFICE_HOURS, id="outside-every-season-default"),
        pytest.param((DEFAULT_OFFICE_HOURS, SUMMER), date(2026, 6, 1), SUMMER, id="latest-start-wins"),
        pytest.param((SUMMER, DEFAULT_OFFICE_HOURS), date(2026, 9, 30), SUMMER, id="latest-start-wins-any-order"),
        pytest.param((DEFAULT_OFFICE_HOURS, SUMMER), date(2026, 5, 29), DEFAULT_OFFICE_HOURS, id="before-summer"),
    ],
)
def test_season_on(seasons: tuple[OfficeHours, ...], day: date, expected: OfficeHours) -> None:
    assert calendar(seasons=seasons).season_on(day) == expected


def test_season_on_a_tie_takes_the_later_season() -> None:
    other = OfficeHours(SUMMER.effective_from, None, {0: hours((time(9, 0), time(17, 0)))}, ())
    assert calendar(seasons=(SUMMER, other)).season_on(date(2026, 7, 1)) == other
    assert calendar(seasons=(other, SUMMER)).season_on(date(2026, 7, 1)) == SUMMER


# --- N working days -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("calendar_name", "start", "days", "due", "provisional"),
    [
        pytest.param("real", "2025-03-03 10:00", 2, "2025-03-05 17:30", False, id="ordinary-week"),
        pytest.param("real", "2025-03-03 08:00", 2, "2025-03-05 17:30", False, id="before-opening"),
        pytest.param("real", "2025-03-03 12:30", 2, "2025-03-05 17:30", False, id="lunch-break"),
        pytest.param("real", "2025-03-03 20:00", 2, "2025-03-05 17:30", False, id="after-hours"),
        pytest.param("real", "2025-03-07 16:00", 2, "2025-03-11 17:30", False, id="friday-over-weekend"),
        pytest.param("real", "2025-03-08 10:00", 2, "2025-03-11 17:30", False, id="received-on-saturday"),
        pytest.param("real", "2025-10-03 10:00", 2, "2025-10-10 17:30", False, id="received-on-holiday"),
        pytest.param("real", "2025-10-03 10:00", 5, "2025-10-14 17:30", False, id="holiday-5-days-makeup-oct-11"),
        pytest.param("real", "2025-09-26 10:00", 1, "2025-09-28 17:30", False, id="makeup-sunday-sep-28"),
        pytest.param("real", "2025-02-07 10:00", 1, "2025-02-08 17:30", False, id="makeup-saturday-feb-8"),
        pytest.param("real", "2025-01-24 10:00", 5, "2025-02-07 17:30", False, id="2025-spring-festival-5-days"),
        pytest.param("real", "2026-02-12 10:00", 5, "2026-02-26 17:30", False, id="2026-spring-festival-5-days"),
        pytest.param("real", "2026-02-13 16:30", 2, "2026-02-24 17:30", False, id="2026-spring-makeup-saturday"),
        pytest.param("real", "2026-02-27 10:00", 1, "2026-02-28 17:30", False, id="2026-makeup-saturday-feb-28"),
        pytest.param("real", "2026-09-30 16:00", 2, "2026-10-09 17:30", False, id="2026-national-day"),
        pytest.param("real", "2026-09-30 16:00", 5, "2026-10-13 17:30", False, id="2026-national-day-5-days"),
        pytest.param("real", "2026-09-18 10:00", 1, "2026-09-20 17:30", False, id="2026-makeup-sunday-sep-20"),
        pytest.param("real", "2025-12-31 10:00", 2, "2026-01-05 17:30", False, id="year-boundary"),
        pytest.param("real", "2025-12-31 23:59:59", 1, "2026-01-04 17:30", False, id="year-boundary-last-second"),
        pytest.param("closure", "2025-03-03 10:00", 2, "2025-03-06 17:30", False, id="closure-skipped"),
        pytest.param("closure", "2025-03-04 10:00", 2, "2025-03-06 17:30", False, id="received-on-closure"),
        pytest.param("summer", "2026-06-02 10:00", 2, "2026-06-04 18:00", False, id="summer-close-18"),
        pytest.param("summer", "2026-09-29 10:00", 1, "2026-09-30 18:00", False, id="last-summer-day"),
        pytest.param("summer", "2026-09-29 10:00", 2, "2026-10-08 17:30", False, id="back-to-default-hours"),
        pytest.param("summer", "2026-05-28 10:00", 2, "2026-06-01 18:00", False, id="into-summer"),
        pytest.param("count_receipt_day", "2025-03-03 10:00", 2, "2025-03-04 17:30", False, id="count-receipt"),
        pytest.param("count_receipt_day", "2025-03-03 10:00", 1, "2025-03-03 17:30", False, id="count-receipt-1"),
        pytest.param("count_receipt_day", "2025-03-03 17:30", 1, "2025-03-04 17:30", False, id="count-at-close"),
        pytest.param("count_receipt_day", "2025-03-03 20:00", 2, "2025-03-05 17:30", False, id="count-after-hours"),
        pytest.param("count_receipt_day", "2025-03-08 10:00", 2, "2025-03-11 17:30", False, id="count-saturday"),
        pytest.param("count_receipt_day", "2025-02-08 10:00", 1, "2025-02-08 17:30", False, id="count-makeup"),
        pytest.param("provisional_2027", "2026-12-28 10:00", 2, "2026-12-30 17:30", False, id="before-provisional"),
        pytest.param("provisional_2027", "2026-12-30 10:00", 1, "2026-12-31 17:30", False, id="up-to-dec-31"),
        pytest.param("provisional_2027", "2026-12-30 10:00", 2, "2027-01-04 17:30", True, id="into-provisional"),
        pytest.param("provisional_2027", "2027-01-01 10:00", 1, "2027-01-04 17:30", True, id="within-provisional"),
    ],
)
def test_add_working_days(calendar_name: str, start: str, days: int, due: str, provisional: bool) -> None:
    result = add_working_days(CALENDARS[calendar_name], sh(start), days)

    assert result.at == sh(due)
    assert result.at.utcoffset() == timedelta(hours=8)
    assert result.provisional is provisional


def test_add_working_days_receipt_day_is_the_shanghai_date() -> None:
    # Sunday 17:00 UTC is Monday 01:00 in Shanghai: Monday is the day of receipt, not Sunday.
    start = datetime(2025, 3, 2, 17, 0, tzinfo=UTC)

    due = add_working_days(REAL, start, 2)

    assert due.at == sh("2025-03-05 17:30")
    assert due.at.tzinfo is TZ


# --- working time and half a working day ----------------------------------------------------------


@pytest.mark.parametrize(
    ("calendar_name", "start", "amount", "due", "provisional"),
    [
        pytest.param("real", "2025-03-03 09:00", minutes(195), "2025-03-03 14:45", False, id="over-lunch"),
        pytest.param("real", "2025-03-03 08:30", minutes(210), "2025-03-03 12:00", False, id="used-up-at-noon"),
        pytest.param("real", "2025-03-03 14:30", minutes(180), "2025-03-03 17:30", False, id="used-up-at-close"),
        pytest.param("real", "2025-03-03 08:30", minutes(390), "2025-03-03 17:30", False, id="one-full-day"),
        pytest.param("real", "2025-03-03 08:30", minutes(5 * 390), "2025-03-07 17:30", False, id="five-full-days"),
        pytest.param("real", "2025-03-03 12:30", minutes(195), "2025-03-04 08:45", False, id="from-lunch-break"),
        pytest.param("real", "2025-03-03 07:00", minutes(60), "2025-03-03 09:30", False, id="before-opening"),
        pytest.param("real", "2025-03-07 20:00", minutes(195), "2025-03-10 11:45", False, id="friday-evening"),
        pytest.param("real", "2025-10-01 09:00", minutes(195), "2025-10-09 11:45", False, id="from-holiday"),
        pytest.param("real", "2025-01-24 17:00", minutes(60), "2025-01-26 09:00", False, id="into-makeup-sunday"),
        pytest.param("real", "2025-12-31 17:00", minutes(60), "2026-01-04 09:00", False, id="year-boundary"),
        pytest.param(
            "real",
            "2025-03-03 11:59:30.250000",
            minutes(1),
            "2025-03-03 14:30:30.250000",
            False,
            id="sub-second-precision",
        ),
        pytest.param("real", "2025-03-03 10:00", timedelta(0), "2025-03-03 10:00", False, id="zero-inside"),
        pytest.param("real", "2025-03-03 08:30", timedelta(0), "2025-03-03 08:30", False, id="zero-at-opening"),
        pytest.param("real", "2025-03-03 12:00", timedelta(0), "2025-03-03 12:00", False, id="zero-at-noon"),
        pytest.param("real", "2025-03-03 12:30", timedelta(0), "2025-03-03 14:30", False, id="zero-in-lunch"),
        pytest.param("real", "2025-03-03 17:30", timedelta(0), "2025-03-03 17:30", False, id="zero-at-close"),
        pytest.param("real", "2025-03-03 20:00", timedelta(0), "2025-03-04 08:30", False, id="zero-after-hours"),
        pytest.param("closure", "2025-03-03 17:00", minutes(60), "2025-03-05 09:00", False, id="over-closure"),
        pytest.param("summer", "2026-06-02 17:00", minutes(60), "2026-06-02 18:00", False, id="summer-close"),
        pytest.param("summer", "2026-06-02 12:30", minutes(30), "2026-06-02 15:30", False, id="summer-lunch"),
        pytest.param("summer", "2026-09-30 17:30", minutes(60), "2026-10-08 09:00", False, id="summer-to-default"),
        pytest.param("provisional_2027", "2026-12-31 09:00", minutes(60), "2026-12-31 10:00", False, id="not-prov"),
        pytest.param("provisional_2027", "2026-12-31 17:00", minutes(60), "2027-01-04 09:00", True, id="provisional"),
    ],
)
def test_add_working_time(calendar_name: str, start: str, amount: timedelta, due: str, provisional: bool) -> None:
    cal = CALENDARS[calendar_name]

    result = add_working_time(cal, sh(start), amount)

    assert result.at == sh(due)
    assert result.provisional is provisional
    assert in_office_hours(cal, result.at)


def test_add_working_time_converts_other_time_zones() -> None:
    due = add_working_time(REAL, datetime(2025, 3, 3, 2, 0, tzinfo=UTC), minutes(60))

    assert due.at == sh("2025-03-03 11:00")
    assert due.at.tzinfo is TZ


@pytest.mark.parametrize(
    ("calendar_name", "on", "standard_minutes", "half"),
    [
        pytest.param("real", date(2025, 3, 3), 390, minutes(195), id="default-hours"),
        pytest.param("summer", date(2026, 7, 1), 420, minutes(210), id="summer-hours"),
        pytest.param("summer", date(2026, 10, 8), 390, minutes(195), id="after-summer"),
        pytest.param("half_day_120", date(2025, 3, 3), 390, minutes(120), id="policy-minutes"),
    ],
)
def test_half_working_day(calendar_name: str, on: date, standard_minutes: int, half: timedelta) -> None:
    cal = CALENDARS[calendar_name]

    assert cal.standard_day_minutes(on) == standard_minutes
    assert half_working_day(cal, on) == half


def test_half_working_day_of_odd_minutes_keeps_the_half_minute() -> None:
    odd = OfficeHours(None, None, {0: hours((time(8, 30), time(12, 1)))}, ())

    assert calendar(seasons=(odd,)).standard_day_minutes(date(2025, 3, 3)) == 211
    assert half_working_day(calendar(seasons=(odd,)), date(2025, 3, 3)) == timedelta(minutes=105, seconds=30)


@pytest.mark.parametrize(
    ("calendar_name", "start", "due"),
    [
        pytest.param("real", "2026-02-13 16:30", "2026-02-14 10:45", id="friday-into-makeup-saturday"),
        pytest.param("real", "2025-03-03 09:00", "2025-03-03 14:45", id="morning"),
        pytest.param("real", "2025-03-03 12:30", "2025-03-04 08:45", id="lunch-break"),
        pytest.param("real", "2025-03-03 20:00", "2025-03-04 11:45", id="after-hours"),
        pytest.param("real", "2025-01-27 16:00", "2025-02-05 10:15", id="2025-spring-festival"),
        pytest.param("half_day_120", "2025-03-03 11:00", "2025-03-03 15:30", id="policy-120-minutes"),
        pytest.param("summer", "2026-06-02 10:00", "2026-06-02 16:30", id="summer-210-minutes"),
    ],
)
def test_add_half_working_day(calendar_name: str, start: str, due: str) -> None:
    assert add_half_working_day(CALENDARS[calendar_name], sh(start)).at == sh(due)


@pytest.mark.parametrize(
    ("calendar_name", "a", "b", "expected"),
    [
        pytest.param("real", "2025-03-03 09:00", "2025-03-03 11:00", minutes(120), id="morning"),
        pytest.param("real", "2025-03-03 09:00", "2025-03-03 15:00", minutes(210), id="over-lunch"),
        pytest.param("real", "2025-03-03 12:10", "2025-03-03 14:00", timedelta(0), id="inside-lunch"),
        pytest.param("real", "2025-03-03 15:00", "2025-03-03 09:00", timedelta(0), id="reversed"),
        pytest.param("real", "2025-03-03 10:00", "2025-03-03 10:00", timedelta(0), id="empty"),
        pytest.param("real", "2025-01-27 00:00", "2025-02-05 00:00", minutes(390), id="2025-spring-festival"),
        pytest.param("real", "2025-02-07 00:00", "2025-02-09 00:00", minutes(780), id="friday-and-makeup-saturday"),
        pytest.param("real", "2025-01-01 00:00", "2026-01-01 00:00", minutes(248 * 390), id="year-2025"),
        pytest.param("real", "2025-12-31 17:00", "2026-01-04 09:00", minutes(60), id="year-boundary"),
        pytest.param("closure", "2025-03-03 00:00", "2025-03-08 00:00", minutes(4 * 390), id="week-with-closure"),
        pytest.param("summer", "2026-06-01 00:00", "2026-06-06 00:00", minutes(5 * 420), id="summer-week"),
    ],
)
def test_working_time_between(calendar_name: str, a: str, b: str, expected: timedelta) -> None:
    assert working_time_between(CALENDARS[calendar_name], sh(a), sh(b)) == expected


# --- warnings, pauses -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("calendar_name", "start", "due", "warning"),
    [
        pytest.param("real", "2025-03-03 08:30", "2025-03-05 17:30", "2025-03-05 10:07:30", id="two-days-75pct"),
        pytest.param("real", "2025-03-03 09:00", "2025-03-03 14:45", "2025-03-03 11:26:15", id="half-day-75pct"),
        pytest.param("real", "2025-03-03 11:00", "2025-03-03 17:30", "2025-03-03 16:30", id="over-lunch"),
        pytest.param("warning_half", "2025-03-03 09:00", "2025-03-03 14:45", "2025-03-03 10:37:30", id="50pct"),
        pytest.param("real", "2026-09-30 16:00", "2026-10-09 17:30", "2026-10-09 11:22:30", id="over-national-day"),
        pytest.param("real", "2025-03-03 10:00", "2025-03-03 10:00", "2025-03-03 10:00", id="no-time-at-start"),
        pytest.param("real", "2025-03-04 10:00", "2025-03-03 17:30", "2025-03-03 17:30", id="already-past-due"),
    ],
)
def test_warning_time(calendar_name: str, start: str, due: str, warning: str) -> None:
    assert warning_time(CALENDARS[calendar_name], sh(start), sh(due)) == sh(warning)


def test_pause_on_day_one_and_resume_three_days_later() -> None:
    # given a 2-working-day deadline received on Monday 2 March 2026
    due = add_working_days(REAL, sh("2026-03-02 09:00"), 2).at
    assert due == sh("2026-03-04 17:30")
    # when the clock pauses on day 1 at 10:00 (120 + 180 minutes left that day, 390 on day 2)
    remaining = pause(REAL, due, sh("2026-03-03 10:00"))
    # and resumes on Friday at 10:00
    resumed = resume(REAL, remaining, sh("2026-03-06 10:00"))
    # then
    assert remaining == minutes(690)
    assert resumed.at == sh("2026-03-09 17:30")
    assert resumed.provisional is False


def test_pause_before_spring_festival_resumes_on_the_makeup_saturday() -> None:
    due = add_working_days(REAL, sh("2026-02-10 10:00"), 2).at
    assert due == sh("2026-02-12 17:30")

    remaining = pause(REAL, due, sh("2026-02-12 15:30"))
    resumed = resume(REAL, remaining, sh("2026-02-13 17:00"))

    assert remaining == minutes(120)
    assert resumed.at == sh("2026-02-14 10:00")


def test_pause_after_the_deadline_leaves_nothing() -> None:
    assert pause(REAL, sh("2025-03-05 17:30"), sh("2025-03-06 09:00")) == timedelta(0)


def test_resume_into_a_provisional_year_is_provisional() -> None:
    cal = CALENDARS["provisional_2027"]

    resumed = resume(cal, minutes(390), sh("2026-12-31 09:00"))

    assert resumed.at == sh("2027-01-04 09:00")
    assert resumed.provisional is True


# --- refusals -------------------------------------------------------------------------------------

NAIVE = datetime(2025, 3, 3, 10, 0)
AWARE = sh("2025-03-03 10:00")


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda: add_working_days(REAL, NAIVE, 2), id="add_working_days"),
        pytest.param(lambda: add_working_time(REAL, NAIVE, minutes(60)), id="add_working_time"),
        pytest.param(lambda: add_half_working_day(REAL, NAIVE), id="add_half_working_day"),
        pytest.param(lambda: working_time_between(REAL, NAIVE, AWARE), id="working_time_between-a"),
        pytest.param(lambda: working_time_between(REAL, AWARE, NAIVE), id="working_time_between-b"),
        pytest.param(lambda: warning_time(REAL, NAIVE, AWARE), id="warning_time"),
        pytest.param(lambda: pause(REAL, AWARE, NAIVE), id="pause"),
        pytest.param(lambda: resume(REAL, minutes(60), NAIVE), id="resume"),
        pytest.param(lambda: in_office_hours(REAL, NAIVE), id="in_office_hours"),
    ],
)
def test_naive_datetimes_are_refused(call: Callable[[], object]) -> None:
    with pytest.raises(ValueError, match="aware datetime"):
        call()


@pytest.mark.parametrize(
    ("call", "day"),
    [
        pytest.param(lambda: add_working_days(REAL, sh("2024-12-31 10:00"), 2), date(2024, 12, 31), id="receipt"),
        pytest.param(lambda: add_working_days(REAL, sh("2026-12-30 10:00"), 5), date(2027, 1, 1), id="days-beyond"),
        pytest.param(lambda: add_working_time(REAL, sh("2026-12-31 17:00"), minutes(60)), date(2027, 1, 1), id="time"),
        pytest.param(
            lambda: working_time_between(REAL, sh("2024-12-30 10:00"), sh("2025-01-02 10:00")),
            date(2024, 12, 30),
            id="between",
        ),
        pytest.param(lambda: REAL.is_working_day(date(2027, 1, 1)), date(2027, 1, 1), id="is_working_day"),
        pytest.param(lambda: REAL.intervals_on(date(2024, 12, 31)), date(2024, 12, 31), id="intervals_on"),
    ],
)
def test_outside_the_calendar_range(call: Callable[[], object], day: date) -> None:
    with pytest.raises(CalendarRangeError, match="outside the working calendar") as raised:
        call()
    assert raised.value.day == day
    assert (raised.value.first, raised.value.last) == (FIRST, LAST)


def test_a_closed_calendar_runs_out_of_range_instead_of_looping() -> None:
    every_day = frozenset(FIRST + timedelta(days=offset) for offset in range((LAST - FIRST).days + 1))

    with pytest.raises(CalendarRangeError):
        add_working_days(calendar(closures=every_day), AWARE, 1)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        pytest.param(lambda: Interval(time(12, 0), time(12, 0)), "start before it ends", id="empty-interval"),
        pytest.param(lambda: Interval(time(14, 0), time(12, 0)), "start before it ends", id="reversed-interval"),
        pytest.param(lambda: Interval(time(8, 0, tzinfo=TZ), time(12, 0)), "without a time zone", id="aware-time"),
        pytest.param(
            lambda: OfficeHours(None, None, {1: hours((time(8, 30), time(12, 0)), (time(11, 0), time(17, 0)))}, ()),
            "Tuesday",
            id="overlap-names-weekday",
        ),
        pytest.param(
            lambda: OfficeHours(None, None, {2: hours((time(14, 30), time(17, 30)), (time(8, 30), time(12, 0)))}, ()),
            "Wednesday",
            id="unsorted-names-weekday",
        ),
        pytest.param(
            lambda: OfficeHours(None, None, {}, hours((time(8, 30), time(12, 0)), (time(8, 0), time(9, 0)))),
            "make-up",
            id="makeup-overlap",
        ),
        pytest.param(lambda: OfficeHours(None, None, {7: ()}, ()), "0 \\(Monday\\) .. 6", id="weekday-7"),
        pytest.param(
            lambda: OfficeHours(date(2026, 10, 1), date(2026, 9, 30), {}, ()), "cannot end before", id="season-order"
        ),
        pytest.param(lambda: Policy(half_day_minutes=0), "positive", id="half-day-0"),
        pytest.param(lambda: Policy(warning_share=1.5), "between 0 and 1", id="share-above-1"),
        pytest.param(lambda: Policy(warning_share=float("nan")), "between 0 and 1", id="share-nan"),
        pytest.param(lambda: calendar(first=LAST, last=FIRST), "cannot end before", id="calendar-order"),
        pytest.param(lambda: add_working_days(REAL, AWARE, 0), "at least 1", id="zero-working-days"),
        pytest.param(lambda: add_working_time(REAL, AWARE, minutes(-1)), "negative", id="negative-time"),
    ],
)
def test_invalid_values_are_refused(build: Callable[[], object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build()


def test_touching_intervals_are_allowed() -> None:
    touching = hours((time(9, 0), time(12, 0)), (time(12, 0), time(13, 0)))

    cal = calendar(seasons=(OfficeHours(None, None, dict.fromkeys(range(5), touching), touching),))

    assert add_working_time(cal, sh("2025-03-03 11:00"), minutes(60)).at == sh("2025-03-03 12:00")
    assert add_working_time(cal, sh("2025-03-03 11:00"), minutes(90)).at == sh("2025-03-03 12:30")


def test_a_datetime_is_not_a_calendar_day() -> None:
    with pytest.raises(TypeError, match="not a datetime"):
        REAL.is_working_day(AWARE)


def test_the_calendar_is_an_immutable_value() -> None:
    # given a calendar built from a dict that the caller later changes
    national = {date(2025, 3, 3): DayKind.HOLIDAY}
    cal = WorkCalendar(FIRST, LAST, national, frozenset())
    national[date(2025, 3, 4)] = DayKind.HOLIDAY
    # then the calendar does not change, and equal calendars hash alike
    assert not cal.is_working_day(date(2025, 3, 3))
    assert cal.is_working_day(date(2025, 3, 4))
    assert cal == WorkCalendar(FIRST, LAST, {date(2025, 3, 3): "holiday"}, frozenset())  # type: ignore[dict-item]
    assert hash(cal) == hash(WorkCalendar(FIRST, LAST, {date(2025, 3, 3): DayKind.HOLIDAY}, frozenset()))
    assert hash(REAL) == hash(calendar())
