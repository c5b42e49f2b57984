"""A hall's weekly office hours as stored (JSON on OfficeHoursSeason.hours) and as typed in a form.

Pure: no database. A schedule maps a day key to its intervals::

    {"mon": [["08:30", "12:00"], ["14:30", "17:30"]], ..., "fri": [...], "makeup": [...]}

``mon``–``fri`` are the working weekdays, ``makeup`` the national make-up working days (调休上班).
Saturdays and Sundays are not working days (DESIGN.md section 6), so they have no hours here.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence
from datetime import time
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri")
MAKEUP_KEY = "makeup"
DAY_KEYS = (*WEEKDAY_KEYS, MAKEUP_KEY)
DAY_LABELS = {
    "mon": gettext_lazy("Monday"),
    "tue": gettext_lazy("Tuesday"),
    "wed": gettext_lazy("Wednesday"),
    "thu": gettext_lazy("Thursday"),
    "fri": gettext_lazy("Friday"),
    "makeup": gettext_lazy("Make-up working days"),
}

Span = tuple[time, time]
Schedule = dict[str, tuple[Span, ...]]

_DEFAULT_SPANS: tuple[Span, ...] = ((time(8, 30), time(12, 0)), (time(14, 30), time(17, 30)))
DEFAULT_SCHEDULE: Schedule = dict.fromkeys(DAY_KEYS, _DEFAULT_SPANS)

_CLOCK = r"([0-9]{1,2})[:：]([0-9]{2})"
_SPAN = re.compile(rf"^{_CLOCK}\s*[-–—~～至]\s*{_CLOCK}$")
_SPLIT = re.compile(r"\s*[,，;；、]\s*|\s+(?=[0-9]{1,2}[:：][0-9]{2}\s*[-–—~～至])")


def _clock(hours: str, minutes: str) -> time | None:
    h, m = int(hours), int(minutes)
    if 0 <= h <= 23 and 0 <= m <= 59:
        return time(h, m)
    return None


def parse_spans(text: str) -> tuple[Span, ...]:
    """Parse ``"08:30-12:00, 14:30-17:30"``; raise ValueError with a message for the user."""
    spans: list[Span] = []
    for item in _SPLIT.split(text.strip()):
        if not item:
            continue
        match = _SPAN.match(item)
        start = _clock(match[1], match[2]) if match else None
        end = _clock(match[3], match[4]) if match else None
        if match is None or start is None or end is None:
            raise ValueError(_("“%(item)s” is not a time range like 08:30-12:00.") % {"item": item})
        spans.append((start, end))
    return tuple(spans)


def format_spans(spans: Sequence[Span]) -> str:
    return ", ".join(f"{start:%H:%M}-{end:%H:%M}" for start, end in spans)


def schedule_errors(schedule: Mapping[str, Sequence[Span]]) -> dict[str, list[str]]:
    """What is wrong with a schedule, by day key: a working day without hours, an interval that
    does not end after it starts, intervals that overlap. Empty when the schedule is acceptable."""
    errors: dict[str, list[str]] = {}
    unknown = sorted(set(schedule) - set(DAY_KEYS))
    if unknown:
        errors["__all__"] = [_("Unknown day keys: %(keys)s.") % {"keys": ", ".join(unknown)}]
    for key in DAY_KEYS:
        spans = sorted(schedule.get(key, ()))
        if not spans:
            errors.setdefault(key, []).append(_("Give at least one time range: this is a working day."))
            continue
        for start, end in spans:
            if end <= start:
                errors.setdefault(key, []).append(
                    _("%(start)s-%(end)s does not end after it starts.")
                    % {"start": f"{start:%H:%M}", "end": f"{end:%H:%M}"}
                )
        for (start_a, end_a), (start_b, end_b) in itertools.pairwise(spans):
            if start_b < end_a:
                errors.setdefault(key, []).append(
                    _("%(a)s and %(b)s overlap.")
                    % {"a": f"{start_a:%H:%M}-{end_a:%H:%M}", "b": f"{start_b:%H:%M}-{end_b:%H:%M}"}
                )
    return errors


def schedule_to_json(schedule: Mapping[str, Sequence[Span]]) -> dict[str, list[list[str]]]:
    return {
        key: [[f"{start:%H:%M}", f"{end:%H:%M}"] for start, end in sorted(schedule.get(key, ()))] for key in DAY_KEYS
    }


def schedule_from_json(data: Mapping[str, Any]) -> Schedule:
    return {
        key: tuple((time.fromisoformat(start), time.fromisoformat(end)) for start, end in data.get(key, ()))
        for key in DAY_KEYS
    }
