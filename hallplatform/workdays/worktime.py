"""Working days and working time: the pure arithmetic behind every deadline (DESIGN.md section 6).

No Django, no database: the calendar layer loads a :class:`WorkCalendar` (national schedule, the
hall's office-hour seasons, closures, policy) and every deadline, warning and pause is computed here.

Time model. Office time is the union of the closed intervals ``[start, end]`` of the working days, in
Asia/Shanghai wall-clock time (no daylight saving since 1991, so wall-clock arithmetic is exact).
Durations are ``timedelta`` (integer microseconds), never floats.

Decisions beyond DESIGN.md:

- ``add_working_time`` returns the *earliest* instant at which ``amount`` of office time has elapsed
  since ``start``. So a deadline used up exactly at an interval end is that end (12:00, never 14:30),
  and an amount of zero gives the first instant at or after ``start`` that is inside office hours
  (``start`` itself inside office hours or exactly at an interval end; the next interval start when
  received in the lunch break or after hours). Every deadline therefore lies inside office hours.
- ``add_working_days`` needs ``days >= 1``. With ``Policy.count_receipt_day`` the day of receipt is
  day 1 only if it is a working day *and* the start is before that day's close of office; otherwise a
  case received at 20:00 would be due at 17:30 the same day, before it arrived.
- A date on which several seasons are in force uses the one with the latest ``effective_from``
  (``None`` is the earliest); on a tie the later season in ``WorkCalendar.seasons`` wins.
- Saturday and Sunday are working days only as national make-up working days, which use the
  season's ``makeup`` intervals; ``OfficeHours.weekdays`` entries for 5 and 6 are accepted and ignored.
- ``standard_day_minutes`` counts the Monday intervals; a season without Monday hours falls back to
  its first weekday that has any.
"""

from __future__ import annotations

import enum
import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from types import MappingProxyType
from zoneinfo import ZoneInfo

__all__ = [
    "DEFAULT_OFFICE_HOURS",
    "TZ",
    "CalendarRangeError",
    "DayKind",
    "Due",
    "Interval",
    "OfficeHours",
    "Policy",
    "WorkCalendar",
    "add_half_working_day",
    "add_working_days",
    "add_working_time",
    "half_working_day",
    "in_office_hours",
    "pause",
    "resume",
    "warning_time",
    "working_time_between",
]

TZ = ZoneInfo("Asia/Shanghai")

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

_ONE_DAY = timedelta(days=1)
_ZERO = timedelta(0)


class DayKind(enum.StrEnum):
    """A national calendar override of the plain Monday–Friday week."""

    HOLIDAY = "holiday"  # 法定节假日 (and the days moved next to it) on a weekday
    MAKEUP_WORKDAY = "makeup_workday"  # 调休上班日 on a Saturday or Sunday


class CalendarRangeError(Exception):
    """A computation needed a day outside the range the working calendar covers."""

    def __init__(self, day: date, first: date, last: date) -> None:
        super().__init__(day, first, last)  # all arguments in args, so the error pickles (Celery)
        self.day = day
        self.first = first
        self.last = last

    def __str__(self) -> str:
        return f"{self.day.isoformat()} is outside the working calendar ({self.first} .. {self.last})"


@dataclass(frozen=True)
class Interval:
    """Office hours within one day, ``start < end``, local wall-clock times without a time zone."""

    start: time
    end: time

    def __post_init__(self) -> None:
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError(f"office hours are local times without a time zone: {self.start!r}–{self.end!r}")
        if not self.start < self.end:
            raise ValueError(f"an office interval must start before it ends: {self}")

    @property
    def length(self) -> timedelta:
        return datetime.combine(date.min, self.end) - datetime.combine(date.min, self.start)

    def __str__(self) -> str:
        return f"{self.start.isoformat('minutes')}–{self.end.isoformat('minutes')}"


def _checked_intervals(label: str, intervals: Iterable[Interval]) -> tuple[Interval, ...]:
    checked = tuple(intervals)
    for interval in checked:
        if not isinstance(interval, Interval):
            raise ValueError(f"office hours on {label}: {interval!r} is not an Interval")
    for before, after in itertools.pairwise(checked):
        if after.start < before.end:
            raise ValueError(f"office hours on {label}: {before} and {after} overlap or are out of order")
    return checked


@dataclass(frozen=True)
class OfficeHours:
    """One season of a hall's office hours.

    ``weekdays`` maps 0 (Monday) .. 6 (Sunday) to the intervals of a normal working weekday; ``makeup``
    holds the intervals of a make-up working day. ``effective_to`` is inclusive; ``None`` leaves the
    season open on that side.
    """

    effective_from: date | None
    effective_to: date | None
    weekdays: Mapping[int, tuple[Interval, ...]]
    makeup: tuple[Interval, ...]

    def __post_init__(self) -> None:
        if (
            self.effective_from is not None
            and self.effective_to is not None
            and self.effective_from > self.effective_to
        ):
            raise ValueError(f"office hours from {self.effective_from} cannot end before, on {self.effective_to}")
        weekdays: dict[int, tuple[Interval, ...]] = {}
        for weekday, intervals in sorted(self.weekdays.items()):
            if weekday not in range(7):
                raise ValueError(f"a weekday is 0 (Monday) .. 6 (Sunday), not {weekday!r}")
            checked = _checked_intervals(WEEKDAY_NAMES[weekday], intervals)
            if checked:
                weekdays[weekday] = checked
        object.__setattr__(self, "weekdays", MappingProxyType(weekdays))
        object.__setattr__(self, "makeup", _checked_intervals("make-up working days", self.makeup))

    def __hash__(self) -> int:
        return hash((self.effective_from, self.effective_to, tuple(self.weekdays.items()), self.makeup))

    def covers(self, day: date) -> bool:
        """Whether this season is in force on ``day``."""
        return (self.effective_from is None or self.effective_from <= day) and (
            self.effective_to is None or day <= self.effective_to
        )

    def standard_day(self) -> timedelta:
        """The office time of a standard day: the Monday intervals (else the first weekday with any)."""
        intervals = self.weekdays.get(0) or next(iter(self.weekdays.values()), ())
        return sum((interval.length for interval in intervals), _ZERO)


_STANDARD_INTERVALS = (Interval(time(8, 30), time(12, 0)), Interval(time(14, 30), time(17, 30)))

DEFAULT_OFFICE_HOURS = OfficeHours(
    effective_from=None,
    effective_to=None,
    weekdays=dict.fromkeys(range(5), _STANDARD_INTERVALS),
    makeup=_STANDARD_INTERVALS,
)


@dataclass(frozen=True)
class Policy:
    """A hall's deadline conventions (shown wherever a deadline is shown)."""

    # N working days: the day of receipt is not counted (民法典 art. 201) unless this is set.
    count_receipt_day: bool = False
    # Half a working day; None: half of a standard day's office time (195 minutes with default hours).
    half_day_minutes: int | None = None
    # Share of the working time used at which the yellow warning (临期) is raised.
    warning_share: float = 0.75

    def __post_init__(self) -> None:
        if self.half_day_minutes is not None and self.half_day_minutes <= 0:
            raise ValueError(f"half a working day must be a positive number of minutes, not {self.half_day_minutes}")
        if not 0 <= self.warning_share <= 1:
            raise ValueError(f"the warning share is between 0 and 1, not {self.warning_share}")


@dataclass(frozen=True)
class WorkCalendar:
    """Everything a deadline depends on, for one hall, over the days ``first`` .. ``last``.

    Asking about a day outside that range raises :class:`CalendarRangeError`. ``national`` holds the
    explicit holidays and make-up working days; ``provisional_years`` the years whose national
    schedule is not yet officially published; ``closures`` the hall's one-off closed days.
    """

    first: date
    last: date
    national: Mapping[date, DayKind]
    provisional_years: frozenset[int]
    seasons: tuple[OfficeHours, ...] = (DEFAULT_OFFICE_HOURS,)
    closures: frozenset[date] = frozenset()
    policy: Policy = field(default_factory=Policy)

    def __post_init__(self) -> None:
        if self.first > self.last:
            raise ValueError(f"a working calendar from {self.first} cannot end before, on {self.last}")
        national: dict[date, DayKind] = {}
        for day, kind in self.national.items():
            national[_plain_date(day)] = DayKind(kind)
        object.__setattr__(self, "national", MappingProxyType(national))
        object.__setattr__(self, "provisional_years", frozenset(self.provisional_years))
        object.__setattr__(self, "seasons", tuple(self.seasons))
        object.__setattr__(self, "closures", frozenset(_plain_date(day) for day in self.closures))

    def __hash__(self) -> int:
        return hash(
            (
                self.first,
                self.last,
                frozenset(self.national.items()),
                self.provisional_years,
                self.seasons,
                self.closures,
                self.policy,
            )
        )

    def season_on(self, day: date) -> OfficeHours:
        """The office hours in force on ``day``: the covering season that started last, else the default."""
        found: OfficeHours | None = None
        for season in self.seasons:
            if season.covers(day) and (
                found is None or (season.effective_from or date.min) >= (found.effective_from or date.min)
            ):
                found = season
        return found or DEFAULT_OFFICE_HOURS

    def intervals_on(self, day: date) -> tuple[Interval, ...]:
        """The office intervals of ``day``; empty on a day that is not a working day."""
        self._check(day)
        if day in self.closures:
            return ()
        kind = self.national.get(day)
        if kind == DayKind.HOLIDAY:
            return ()
        if kind == DayKind.MAKEUP_WORKDAY:
            return self.season_on(day).makeup
        if day.weekday() >= 5:
            return ()
        return self.season_on(day).weekdays.get(day.weekday(), ())

    def is_working_day(self, day: date) -> bool:
        """Monday–Friday unless a holiday, a weekend day only as a make-up day; never a closure.

        A day without office intervals is not a working day.
        """
        return bool(self.intervals_on(day))

    def is_provisional(self, day: date) -> bool:
        """Whether the national schedule of ``day``'s year is provisional (not yet published)."""
        return day.year in self.provisional_years

    def standard_day(self, on: date) -> timedelta:
        """The office time of a standard day of the season in force on ``on``."""
        return self.season_on(_plain_date(on)).standard_day()

    def standard_day_minutes(self, on: date) -> int:
        """The minutes of a standard day (the Monday intervals) of the season in force on ``on``."""
        return self.standard_day(on) // timedelta(minutes=1)

    def _check(self, day: date) -> None:
        _plain_date(day)
        if not self.first <= day <= self.last:
            raise CalendarRangeError(day, self.first, self.last)


@dataclass(frozen=True)
class Due:
    """A computed deadline: an aware Asia/Shanghai instant; provisional if it rests on provisional data."""

    at: datetime
    provisional: bool


def _plain_date(day: date) -> date:
    if isinstance(day, datetime):
        raise TypeError(f"a calendar day is a date, not a datetime: {day!r}")
    return day


def _local(instant: datetime, name: str) -> datetime:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime, not the naive {instant!r}")
    return instant.astimezone(TZ)


def _at(day: date, clock: time) -> datetime:
    return datetime.combine(day, clock, tzinfo=TZ)


def _touches_provisional(cal: WorkCalendar, first: date, last: date) -> bool:
    return any(year in cal.provisional_years for year in range(first.year, last.year + 1))


def add_working_days(cal: WorkCalendar, start: datetime, days: int) -> Due:
    """The close of office hours on the ``days``-th working day after the day of receipt.

    The day of receipt (``start``'s local date, whatever it is) is not counted (民法典 art. 201), unless
    the hall counts it (``Policy.count_receipt_day``) and it is a working day still open at ``start``.
    """
    if days < 1:
        raise ValueError(f"a limit in working days is at least 1 day, not {days}")
    local = _local(start, "start")
    receipt = local.date()
    intervals = cal.intervals_on(receipt)
    counted = 0
    if cal.policy.count_receipt_day and intervals and local < _at(receipt, intervals[-1].end):
        counted = 1
    day = receipt
    while counted < days:
        day += _ONE_DAY
        intervals = cal.intervals_on(day)
        if intervals:
            counted += 1
    return Due(at=_at(day, intervals[-1].end), provisional=_touches_provisional(cal, receipt, day))


def add_working_time(cal: WorkCalendar, start: datetime, amount: timedelta) -> Due:
    """The earliest instant by which ``amount`` of office time has elapsed since ``start``.

    Only office intervals of working days count. Used up exactly at an interval end, the deadline is
    that end; an amount of zero gives the first instant at or after ``start`` inside office hours.
    """
    if amount < _ZERO:
        raise ValueError(f"working time cannot be negative: {amount}")
    local = _local(start, "start")
    remaining = amount
    day = local.date()
    while True:
        for interval in cal.intervals_on(day):
            end = _at(day, interval.end)
            if end < local:
                continue
            begin = max(local, _at(day, interval.start))
            available = end - begin
            if remaining <= available:
                return Due(at=begin + remaining, provisional=_touches_provisional(cal, local.date(), day))
            remaining -= available
        day += _ONE_DAY


def working_time_between(cal: WorkCalendar, a: datetime, b: datetime) -> timedelta:
    """The office time inside ``[a, b]``; zero if ``b`` is not after ``a``."""
    a, b = _local(a, "a"), _local(b, "b")
    total = _ZERO
    if b <= a:
        return total
    day = a.date()
    while day <= b.date():
        for interval in cal.intervals_on(day):
            overlap = min(b, _at(day, interval.end)) - max(a, _at(day, interval.start))
            if overlap > _ZERO:
                total += overlap
        day += _ONE_DAY
    return total


def in_office_hours(cal: WorkCalendar, at: datetime) -> bool:
    """Whether ``at`` lies inside (or on the boundary of) an office interval of a working day."""
    local = _local(at, "at")
    day = local.date()
    return any(_at(day, iv.start) <= local <= _at(day, iv.end) for iv in cal.intervals_on(day))


def half_working_day(cal: WorkCalendar, on: date) -> timedelta:
    """Half a working day: the policy's minutes, else half the standard day in force on ``on``."""
    if cal.policy.half_day_minutes is not None:
        return timedelta(minutes=cal.policy.half_day_minutes)
    return cal.standard_day(on) / 2


def add_half_working_day(cal: WorkCalendar, start: datetime) -> Due:
    """Half a working day of office time from ``start`` (the feedback limit)."""
    local = _local(start, "start")
    return add_working_time(cal, local, half_working_day(cal, local.date()))


def warning_time(cal: WorkCalendar, start: datetime, due: datetime) -> datetime:
    """The instant at which ``policy.warning_share`` of the working time from ``start`` to ``due`` is used.

    Never later than ``due``. With no working time in between, the warning is at once: ``start``, or
    ``due`` if that is earlier.
    """
    local_start, local_due = _local(start, "start"), _local(due, "due")
    total = working_time_between(cal, local_start, local_due)
    if total == _ZERO:
        return min(local_start, local_due)
    used = total * cal.policy.warning_share
    return min(add_working_time(cal, local_start, used).at, local_due)


def pause(cal: WorkCalendar, due: datetime, at: datetime) -> timedelta:
    """The working time left at a pause (waiting for the person, 补正材料): zero if already past due."""
    return working_time_between(cal, at, due)


def resume(cal: WorkCalendar, remaining: timedelta, at: datetime) -> Due:
    """The new deadline when a paused clock resumes at ``at`` with ``remaining`` working time."""
    return add_working_time(cal, at, remaining)
