"""The provisional national calendar of a year whose State Council notice is not (yet) known.

Pure: no database, no settings. It applies 《全国年节及纪念日放假办法》 as revised in 2024 (in force
from 2025), the rule every notice starts from:

* 元旦 1 day (1 January); 春节 4 days (除夕 to 正月初三); 清明节 1 day (the day of the 清明 solar
  term); 劳动节 2 days (1–2 May); 端午节 1 day (五月初五); 中秋节 1 day (八月十五); 国庆节 3 days
  (1–3 October);
* art. 6: a holiday of all citizens that falls on a Saturday or Sunday is made up on a working day
  (补假). Here the made-up day is the first Monday–Friday after the holiday that is not already a
  holiday; a day claimed by two holidays at once (e.g. 中秋节 inside 国庆节) is made up the same way.

Make-up working days (调休上班) exist only by a notice, so a provisional year has none. Lunar dates
and the 清明 solar term are computed with ``lunar_python`` (Beijing time, as the calendar defines
them). The 2024 rules are applied to every year, also to the (pre-2004) years the notices no longer
matter for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from lunar_python import Lunar

NEW_YEAR = "元旦"
SPRING_FESTIVAL = "春节"
QINGMING = "清明节"
LABOUR_DAY = "劳动节"
DRAGON_BOAT = "端午节"
MID_AUTUMN = "中秋节"
NATIONAL_DAY = "国庆节"
MAKE_UP_SUFFIX = "（补假）"
NAME_SEPARATOR = "、"


@dataclass(frozen=True)
class ProvisionalHoliday:
    """One day off of a provisional year; ``made_up_for`` names the holiday a 补假 day stands in for."""

    day: date
    name: str
    made_up_for: str | None = None


def _days(first: date, count: int) -> list[date]:
    return [first + timedelta(days=i) for i in range(count)]


def _lunar_to_solar(year: int, month: int, day: int) -> date:
    solar = Lunar.fromYmd(year, month, day).getSolar()
    return date(solar.getYear(), solar.getMonth(), solar.getDay())


def qingming_day(year: int) -> date:
    """The date (Beijing time) of the 清明 solar term in ``year``."""
    solar = Lunar.fromYmd(year, 3, 1).getJieQiTable()["清明"]
    found = date(solar.getYear(), solar.getMonth(), solar.getDay())
    if found.year != year:  # never in practice (4–6 April), but a wrong table must not go unnoticed
        raise ValueError(f"no 清明 solar term found in {year}")
    return found


def chinese_new_years_eve(year: int) -> date:
    """除夕: the last day of the lunar year that ends in ``year`` (the day before 正月初一).

    The twelfth lunar month has 29 or 30 days, so it is counted back from 正月初一, not as 腊月三十.
    """
    return _lunar_to_solar(year, 1, 1) - timedelta(days=1)


def statutory_holidays(year: int) -> list[tuple[str, list[date]]]:
    """The statutory days off of ``year`` per holiday, in calendar order, before any 补假."""
    holidays = [
        (NEW_YEAR, [date(year, 1, 1)]),
        (SPRING_FESTIVAL, _days(chinese_new_years_eve(year), 4)),
        (QINGMING, [qingming_day(year)]),
        (LABOUR_DAY, _days(date(year, 5, 1), 2)),
        (DRAGON_BOAT, [_lunar_to_solar(year, 5, 5)]),
        (MID_AUTUMN, [_lunar_to_solar(year, 8, 15)]),
        (NATIONAL_DAY, _days(date(year, 10, 1), 3)),
    ]
    return sorted(holidays, key=lambda item: item[1][0])


def provisional_holidays(year: int) -> list[ProvisionalHoliday]:
    """Every day off of ``year`` by the statutory rule, 补假 included, in date order."""
    holidays = statutory_holidays(year)
    names: dict[date, list[str]] = {}
    owed: dict[str, int] = {}
    for name, days in holidays:
        for day in days:
            claimed_already = day in names
            names.setdefault(day, []).append(name)
            if day.weekday() >= 5 or claimed_already:
                owed[name] = owed.get(name, 0) + 1
    made_up: dict[date, str] = {}
    for name, days in holidays:
        candidate = days[-1]
        for _ in range(owed.get(name, 0)):
            candidate += timedelta(days=1)
            while candidate.weekday() >= 5 or candidate in names or candidate in made_up:
                candidate += timedelta(days=1)
            made_up[candidate] = name
    result = [ProvisionalHoliday(day=day, name=NAME_SEPARATOR.join(day_names)) for day, day_names in names.items()]
    result += [
        ProvisionalHoliday(day=day, name=f"{name}{MAKE_UP_SUFFIX}", made_up_for=name) for day, name in made_up.items()
    ]
    return sorted(result, key=lambda holiday: holiday.day)
