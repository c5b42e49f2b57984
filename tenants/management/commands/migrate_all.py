from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import connection

from hallplatform.schemas import use_public_schema


class Command(BaseCommand):
    help = (
        "Migrate everything in order: the public schema, then the template schema new halls are "
        "cloned from, then every hall's schema; finally seed the national working-day calendar "
        "(idempotent)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--parallel",
            type=int,
            default=0,
            help="migrate hall schemas with django-tenants' multiprocessing executor and this many processes",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        verbosity = options["verbosity"]
        call_command("migrate_schemas", shared=True, interactive=False, verbosity=verbosity)
        template = settings.TENANT_BASE_SCHEMA
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE SCHEMA IF NOT EXISTS "{template}"')
        call_command("migrate_schemas", tenant=True, schema_name=template, interactive=False, verbosity=verbosity)
        hall_options: dict[str, Any] = {"tenant": True, "interactive": False, "verbosity": verbosity}
        if options["parallel"] > 1:
            settings.TENANT_MULTIPROCESSING_MAX_PROCESSES = options["parallel"]
            hall_options["executor"] = "multiprocessing"
        call_command("migrate_schemas", **hall_options)
        use_public_schema()
        call_command("seed_calendar", verbosity=verbosity)
