from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from hallplatform.workdays.notice import NoticeFormatError, decode_notice
from hallplatform.workdays.services import calendar_import_year


class Command(BaseCommand):
    help = (
        "Import one year of the national calendar from a UTF-8 text transcription of the State "
        "Council notice (format: docs/calendar.md; example: hallplatform/workdays/notices/2026.txt). "
        "The year's days are replaced in one transaction; a malformed file changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="the notice transcription, UTF-8 text")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror or exc}") from exc
        try:
            year = calendar_import_year(text=decode_notice(data))
        except NoticeFormatError as exc:
            raise CommandError(f"{path}: {exc} (nothing was imported)") from exc
        days = year.days.count()
        self.stdout.write(f"{year.year}: imported {days} day(s) from {year.notice_ref}")
