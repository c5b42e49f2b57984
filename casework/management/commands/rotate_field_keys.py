from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from casework.key_rotation import DEFAULT_BATCH_SIZE, field_keys_rotate
from tenants.models import Hall


class Command(BaseCommand):
    help = (
        "Re-encrypt the personal data of every hall under the current key of FIELD_ENCRYPTION_KEYS (the "
        "first one), hall by hall, in batches, each its own transaction, and recompute the blind indexes "
        "of another BLIND_INDEX_HASH. Idempotent: run it again to finish an interrupted run. --dry-run only "
        "counts the values still under old keys. "
        "See docs/personal-data.md, 'Rotating keys'."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--hall", action="append", dest="halls", metavar="CODE", help="only this hall (may be repeated)"
        )
        parser.add_argument("--dry-run", action="store_true", help="count the values under old keys; change nothing")
        parser.add_argument(
            "--batch-size", type=int, default=DEFAULT_BATCH_SIZE, help="rows per transaction (default %(default)s)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["batch_size"] < 1:
            raise CommandError("--batch-size is at least 1.")
        halls = Hall.objects.order_by("region_code")
        if options["halls"]:
            wanted = set(options["halls"])
            halls = halls.filter(code__in=wanted)
            unknown = wanted - {hall.code for hall in halls}
            if unknown:
                raise CommandError(f"No hall with the code {', '.join(sorted(unknown))}.")
        failures: list[str] = []
        to_rotate = 0
        to_reindex = 0
        for hall in halls:
            report = field_keys_rotate(hall=hall, batch_size=options["batch_size"], dry_run=options["dry_run"])
            self.stdout.write(report.summary())
            for failure in report.failures:
                self.stderr.write(f"  {failure}")
            failures += report.failures
            to_rotate += report.to_rotate if options["dry_run"] else report.left
            to_reindex += report.indexes_before if options["dry_run"] else report.indexes_left
        if failures:
            raise CommandError(
                f"{len(failures)} values could not be opened and were left as they are: put the key they "
                "name back into FIELD_ENCRYPTION_KEYS (after the current one) and run the command again."
            )
        if options["dry_run"]:
            self.stdout.write(f"Values under old keys in all: {to_rotate}.")
            if to_reindex:
                self.stdout.write(f"Blind index values of another hash in all: {to_reindex}.")
        elif to_rotate or to_reindex:
            self.stdout.write(
                f"{to_rotate} values under old keys and {to_reindex} blind index values of another hash were in "
                "use meanwhile: run it again."
            )
        else:
            self.stdout.write("Every value is under the current key.")  # and every blind index of the current hash
