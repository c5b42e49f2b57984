from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from hallplatform.workdays.services import calendar_seed_from_package


class Command(BaseCommand):
    help = (
        "Seed the national working-day calendar from the chinesecalendar package for the years it "
        "covers. Idempotent: official years are left alone (--refresh: package years that differ from "
        "the installed package are replaced); years imported from a notice are never overwritten."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--refresh", action="store_true", help="replace package-seeded years whose data changed in the package"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        written = calendar_seed_from_package(refresh=options["refresh"])
        if options["verbosity"] >= 1:
            if written:
                self.stdout.write(f"seeded {len(written)} year(s): {', '.join(str(y) for y in written)}")
            else:
                self.stdout.write("nothing to seed: every year the package covers is already there")
