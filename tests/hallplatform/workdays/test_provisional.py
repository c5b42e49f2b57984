"""The provisional calendar of a year without a notice (hallplatform/workdays/provisional.py): pure."""

from __future__ import annotations

from datetime import date, timedelta

import chinese_calendar
import pytest
from lunar_python import Solar

from hallplatform.workdays.provisional import (
    chinese_new_years_eve,
    provisional_holidays,
    qingming_day,
    statutory_holidays,
)


def _days(first: str, last: str) -> list[date]:
    a, b = date.fromisoformat(first), date.fromisoformat(last)
    return [a + timedelta(days=i) for i in range((b - a).days + 1)]


def _by_name(year: int) -> dict[str, list[date]]:
    return dict(statutory_holidays(year))


def test_new_years_eve_is_the_last_day_of_the_lunar_year() -> None:
    # 2027: 除夕 falls on 5 February; the next day is 正月初一.
    eve = chinese_new_years_eve(2027)

    assert eve == date(2027, 2, 5)
    lunar_eve = Solar.fromYmd(2027, 2, 5).getLunar()
    lunar_next = Solar.fromYmd(2027, 2, 6).getLunar()
    assert lunar_eve.getMonth() == 12
    assert (lunar_next.getMonth(), lunar_next.getDay()) == (1, 1)


def test_new_years_eve_of_a_29_day_twelfth_month() -> None:
    # The twelfth month of the lunar year 2024 has 29 days: 除夕 is 腊月廿九, 28 January 2025.
    assert chinese_new_years_eve(2025) == date(2025, 1, 28)
    assert Solar.fromYmd(2025, 1, 28).getLunar().getDay() == 29


@pytest.mark.parametrize(
    ("year", "expected"),
    [
        (
            2025,
            {"春节": _days("2025-01-28", "2025-01-31"), "端午节": [date(2025, 5, 31)], "中秋节": [date(2025, 10, 6)]},
        ),
        (
            2027,
            {"春节": _days("2027-02-05", "2027-02-08"), "端午节": [date(2027, 6, 9)], "中秋节": [date(2027, 9, 15)]},
        ),
        (
            2028,
            {"春节": _days("2028-01-25", "2028-01-28"), "端午节": [date(2028, 5, 28)], "中秋节": [date(2028, 10, 3)]},
        ),
    ],
)
def test_lunar_holidays(year: int, expected: dict[str, list[date]]) -> None:
    holidays = _by_name(year)
    for name, days in expected.items():
        assert holidays[name] == days, name


@pytest.mark.parametrize(
    ("year", "day"),
    [(2025, date(2025, 4, 4)), (2026, date(2026, 4, 5)), (2027, date(2027, 4, 5)), (2028, date(2028, 4, 4))],
)
def test_qingming_is_the_day_of_the_solar_term(year: int, day: date) -> None:
    assert qingming_day(year) == day
    assert _by_name(year)["清明节"] == [day]


def test_fixed_holidays_and_their_lengths() -> None:
    holidays = _by_name(2027)

    assert holidays["元旦"] == [date(2027, 1, 1)]
    assert holidays["劳动节"] == [date(2027, 5, 1), date(2027, 5, 2)]
    assert holidays["国庆节"] == _days("2027-10-01", "2027-10-03")
    assert sum(len(days) for days in holidays.values()) == 13  # 1 + 4 + 1 + 2 + 1 + 1 + 3


@pytest.mark.parametrize("year", range(2008, 2027))
def test_statutory_days_agree_with_the_published_calendars(year: int) -> None:
    """Cross-check of the lunar and solar-term computations against every published year since
    清明, 端午 and 中秋 became holidays (2008): each day is a holiday in chinese_calendar. Before the
    2024 revision 春节 had three days (除夕 to 初二 until 2013, 初一 to 初三 since) and 劳动节 one, so
    only the days common to every revision are compared for those years."""
    holidays = _by_name(year)
    expected = [*holidays["元旦"], *holidays["清明节"], *holidays["端午节"], *holidays["中秋节"]]
    expected += holidays["国庆节"] + [holidays["劳动节"][0]]
    expected += holidays["春节"][1:3] if year < 2025 else holidays["春节"]
    if year >= 2025:
        expected += holidays["劳动节"]
    missing = [day for day in expected if not chinese_calendar.is_holiday(day)]
    assert missing == []


def test_2025_provisional_calendar() -> None:
    days = {h.day: h.name for h in provisional_holidays(2025)}

    assert [d for d, name in days.items() if name == "春节"] == _days("2025-01-28", "2025-01-31")
    # 端午节 on Saturday 31 May is made up on the next working day (art. 6).
    assert days[date(2025, 5, 31)] == "端午节"
    assert days[date(2025, 6, 2)] == "端午节（补假）"


def test_weekend_holidays_are_made_up_on_the_next_free_weekday() -> None:
    days = {h.day: h for h in provisional_holidays(2027)}

    # 春节 2027: Fri 5 Feb to Mon 8 Feb, two of them on the weekend: made up Tue 9 and Wed 10 Feb.
    assert days[date(2027, 2, 9)].made_up_for == "春节"
    assert days[date(2027, 2, 10)].made_up_for == "春节"
    assert date(2027, 2, 11) not in days
    # 劳动节 2027: Sat 1 and Sun 2 May: made up Mon 3 and Tue 4 May.
    assert [d for d, h in days.items() if h.made_up_for == "劳动节"] == [date(2027, 5, 3), date(2027, 5, 4)]


def test_a_day_claimed_by_two_holidays_is_made_up() -> None:
    # 2028: 中秋节 (3 October) falls inside 国庆节.
    days = {h.day: h for h in provisional_holidays(2028)}

    assert days[date(2028, 10, 3)].name == "国庆节、中秋节"
    made_up = sorted(d for d, h in days.items() if h.made_up_for)
    assert date(2028, 10, 4) in made_up and date(2028, 10, 5) in made_up


@pytest.mark.parametrize("year", range(2025, 2101))
def test_every_year_has_thirteen_weekdays_off_and_no_makeup_days(year: int) -> None:
    """Each statutory day off is a weekday off, directly or made up: 13 in all (2024 revision)."""
    holidays = provisional_holidays(year)

    assert len({h.day for h in holidays}) == len(holidays)
    assert sum(1 for h in holidays if h.day.weekday() < 5) == 13
    assert all(h.day.weekday() < 5 for h in holidays if h.made_up_for)
    assert all(h.day.year == year for h in holidays)
    assert holidays == sorted(holidays, key=lambda h: h.day)
