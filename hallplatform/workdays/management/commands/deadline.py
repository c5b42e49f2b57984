from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from hallplatform.workdays import worktime
from hallplatform.workdays.selectors import work_calendar_for
from tenants.models import Hall

# Calendar data loaded after the start; widened until the computation fits.
_WINDOW_DAYS = 45
_MAX_WINDOW_DAYS = 3 * 366
MAX_DAYS = 1000
FIRST_YEAR, LAST_YEAR = 1970, 2200


def _start(text: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise CommandError(
            f"--start {text!r} is not a date and time like 2026-09-30T16:00 (optionally with an offset, +08:00)",
            returncode=2,
        ) from None
    parsed = parsed.replace(tzinfo=worktime.TZ) if parsed.tzinfo is None else parsed.astimezone(worktime.TZ)
    if not FIRST_YEAR <= parsed.year <= LAST_YEAR:
        raise CommandError(f"--start must lie between {FIRST_YEAR} and {LAST_YEAR}", returncode=2)
    return parsed


class Command(BaseCommand):
    help = (
        "Print the due time of a deadline in a hall's working calendar: N working days after the day "
        "of receipt (--days N) or half a working day (--half-day) from --start. Prints the ISO 8601 "
        "time with its offset, followed by ' provisional' when it rests on a provisional calendar. "
        "Example: deadline --hall wengyuan --start 2026-09-30T16:00 --days 2"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--hall", required=True, help="the hall's code, e.g. wengyuan")
        parser.add_argument(
            "--start", required=True, help="when the clock starts; without an offset it is Asia/Shanghai time"
        )
        rule = parser.add_mutually_exclusive_group(required=True)
        rule.add_argument("--days", type=int, help="N working days (the day of receipt is not counted)")
        rule.add_argument("--half-day", action="store_true", help="half a working day of office time")

    def handle(self, *args: Any, **options: Any) -> None:
        hall = Hall.objects.filter(code=options["hall"]).first()
        if hall is None:
            raise CommandError(f"there is no hall with the code {options['hall']!r}", returncode=2)
        start = _start(options["start"])
        days: int | None = options["days"]
        if days is not None and not 1 <= days <= MAX_DAYS:
            raise CommandError(f"--days must be a whole number from 1 to {MAX_DAYS}, not {days}", returncode=2)
        if days is None and not options["half_day"]:
            raise CommandError("give one of --days N or --half-day", returncode=2)

        window = _WINDOW_DAYS + 2 * (days or 0)
        max_window = max(_MAX_WINDOW_DAYS, window)
        first = start.date() - timedelta(days=1)
        while True:
            calendar = work_calendar_for(hall_id=hall.pk, first=first, last=start.date() + timedelta(days=window))
            try:
                if days is not None:
                    due = worktime.add_working_days(calendar, start, days)
                else:
                    due = worktime.add_half_working_day(calendar, start)
                break
            except worktime.CalendarRangeError as exc:
                if window >= max_window:
                    raise CommandError(f"no working time found: {exc}", returncode=2) from exc
                window = min(window * 4, max_window)
        self.stdout.write(due.at.astimezone(worktime.TZ).isoformat() + (" provisional" if due.provisional else ""))
