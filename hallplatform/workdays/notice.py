"""Reading a year's holiday arrangements from a plain-text transcription of the State Council notice
(国务院办公厅关于 X 年部分节假日安排的通知). The format is documented in docs/calendar.md.

Pure: no database. A malformed file raises NoticeFormatError naming the line and the field; nothing
is returned, so an import either takes the whole file or nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

MIN_YEAR = 1950
MAX_YEAR = 2200
# A holiday period is at most nine days in any notice so far; a longer range is a typo.
MAX_RANGE_DAYS = 31
MAX_NAME_LENGTH = 100
MAX_REFERENCE_LENGTH = 100

_HEADER = re.compile(r"^(?P<key>[A-Za-z_]+)\s*[:：]\s*(?P<value>.*)$")
_SEPARATORS = re.compile(r"\s*[,，、]\s*")
_RANGE = re.compile(r"^(?P<first>\S+?)\s*\.\.\s*(?P<last>\S+)$")


class NoticeDayKind(StrEnum):
    """The two kinds of line; values match worktime.DayKind and the CalendarDay.kind column."""

    HOLIDAY = "holiday"
    MAKEUP_WORKDAY = "makeup_workday"


KIND_WORDS = {
    "holiday": NoticeDayKind.HOLIDAY,
    "放假": NoticeDayKind.HOLIDAY,
    "workday": NoticeDayKind.MAKEUP_WORKDAY,
    "上班": NoticeDayKind.MAKEUP_WORKDAY,
}


class NoticeFormatError(ValueError):
    """A line of the file does not say what the format expects."""

    def __init__(self, *, line: int | None, field: str, message: str) -> None:
        self.line = line
        self.field = field
        self.message = message
        where = f"line {line}" if line is not None else "file"
        super().__init__(f"{where}, field “{field}”: {message}")


@dataclass(frozen=True)
class NoticeDay:
    day: date
    kind: NoticeDayKind
    name: str
    line: int


@dataclass(frozen=True)
class Notice:
    year: int
    reference: str
    days: tuple[NoticeDay, ...] = field(default=())

    def first_and_last(self) -> tuple[date, date]:
        dates = [d.day for d in self.days]
        return min(dates), max(dates)


def decode_notice(data: bytes) -> str:
    """The text of an uploaded file, which must be UTF-8 (a byte-order mark is tolerated)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise NoticeFormatError(line=line, field="encoding", message="the file is not UTF-8 text") from exc


def _parse_date(text: str, *, line: int) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise NoticeFormatError(
            line=line, field="date", message=f"“{text}” is not a date written as YYYY-MM-DD"
        ) from None


def _parse_dates(text: str, *, line: int) -> list[date]:
    found: list[date] = []
    for item in _SEPARATORS.split(text.strip()):
        if not item:
            raise NoticeFormatError(line=line, field="date", message="an empty date in the list")
        match = _RANGE.match(item)
        if match is None:
            found.append(_parse_date(item, line=line))
            continue
        first = _parse_date(match["first"], line=line)
        last = _parse_date(match["last"], line=line)
        if last < first:
            raise NoticeFormatError(line=line, field="date", message=f"the range {item} ends before it starts")
        if (last - first).days + 1 > MAX_RANGE_DAYS:
            raise NoticeFormatError(
                line=line, field="date", message=f"the range {item} is longer than {MAX_RANGE_DAYS} days"
            )
        found.extend(first + timedelta(days=i) for i in range((last - first).days + 1))
    return found


def parse_notice(text: str) -> Notice:
    """Parse the transcription of one year's notice; raise NoticeFormatError on the first problem.

    Dates must lie in the notice's year, or in December of the year before (a notice may start the
    元旦 holiday on 30 December, as the one for 2019 did). Make-up working days must be a Saturday
    or a Sunday. A date may appear once only.
    """
    year: int | None = None
    reference: str | None = None
    days: dict[date, NoticeDay] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        header = _HEADER.match(line)
        if header is not None:
            key, value = header["key"].lower(), header["value"].strip()
            if key == "year":
                if year is not None:
                    raise NoticeFormatError(line=number, field="year", message="the year is given twice")
                if not re.fullmatch(r"[0-9]{4}", value) or not MIN_YEAR <= int(value) <= MAX_YEAR:
                    raise NoticeFormatError(
                        line=number, field="year", message=f"“{value}” is not a year between {MIN_YEAR} and {MAX_YEAR}"
                    )
                if days:
                    raise NoticeFormatError(line=number, field="year", message="the year must come before the days")
                year = int(value)
            elif key == "notice":
                if reference is not None:
                    raise NoticeFormatError(line=number, field="notice", message="the notice is given twice")
                if not value or len(value) > MAX_REFERENCE_LENGTH:
                    raise NoticeFormatError(
                        line=number,
                        field="notice",
                        message=f"give the document number (at most {MAX_REFERENCE_LENGTH} characters)",
                    )
                reference = value
            else:
                raise NoticeFormatError(
                    line=number, field="header", message=f"unknown header “{header['key']}” (use year or notice)"
                )
            continue
        parts = line.split(None, 2)
        if len(parts) < 3:
            raise NoticeFormatError(
                line=number, field="line", message="expected “<name> holiday|workday <dates>” or a header"
            )
        name, kind_word, dates_text = parts
        if year is None:
            raise NoticeFormatError(line=number, field="year", message="the “year:” header must come first")
        if len(name) > MAX_NAME_LENGTH:
            raise NoticeFormatError(line=number, field="name", message=f"longer than {MAX_NAME_LENGTH} characters")
        kind = KIND_WORDS.get(kind_word.lower())
        if kind is None:
            raise NoticeFormatError(
                line=number, field="kind", message=f"“{kind_word}” is neither “holiday” nor “workday”"
            )
        for day in _parse_dates(dates_text, line=number):
            if not date(year - 1, 12, 1) <= day <= date(year, 12, 31):
                raise NoticeFormatError(
                    line=number, field="date", message=f"{day.isoformat()} is not in {year} (or December {year - 1})"
                )
            if kind == NoticeDayKind.MAKEUP_WORKDAY and day.weekday() < 5:
                raise NoticeFormatError(
                    line=number,
                    field="date",
                    message=f"{day.isoformat()} is a weekday; a make-up working day is a Saturday or Sunday",
                )
            if day in days:
                raise NoticeFormatError(
                    line=number,
                    field="date",
                    message=f"{day.isoformat()} is already listed on line {days[day].line}",
                )
            days[day] = NoticeDay(day=day, kind=kind, name=name, line=number)
    if year is None:
        raise NoticeFormatError(line=None, field="year", message="the “year:” header is missing")
    if reference is None:
        raise NoticeFormatError(line=None, field="notice", message="the “notice:” header is missing")
    if not days:
        raise NoticeFormatError(line=None, field="date", message="the file lists no days")
    return Notice(year=year, reference=reference, days=tuple(sorted(days.values(), key=lambda d: d.day)))
