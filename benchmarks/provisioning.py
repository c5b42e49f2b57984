"""How long provisioning one hall takes: cloning the template schema versus running migrations.

``tenants.services.hall_create`` is timed for a number of county halls under the seeded city
``shaoguan``, two ways, alternating between them:

* clone    TENANT_BASE_SCHEMA="hall_template", TENANT_CREATION_FAKES_MIGRATIONS=True (the settings):
           django-tenants copies the template schema, then records the migrations as applied;
* migrate  TENANT_CREATION_FAKES_MIGRATIONS=False: an empty schema, then every tenant migration.

One unmeasured hall per method goes first (imports, caches). Every hall the script creates is
deleted again with its schema at the end, also after an error, so the script can be re-run.

Run from the repository root:  python benchmarks/provisioning.py  (--help for the knobs)
"""

from __future__ import annotations

import argparse
import re
import signal
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import (
    bench_environment,
    django_setup,
    ensure_database,
    machine_summary,
    postgres_version,
    prepare_demo,
)

CITY_CODE = "shaoguan"
# (label, code prefix, region code prefix, settings to override)
METHODS: list[tuple[str, str, str, dict[str, object]]] = [
    ("clone template schema", "benchclone", "991", {"TENANT_CREATION_FAKES_MIGRATIONS": True}),
    ("run migrations", "benchmigrate", "992", {"TENANT_CREATION_FAKES_MIGRATIONS": False}),
]
BENCH_CODE = re.compile(r"^bench(clone|migrate)[0-9]+$")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--halls", type=int, default=10, help="measured halls per method")
    parser.add_argument("--skip-setup", action="store_true", help="do not run migrate_all and seed_demo")
    args = parser.parse_args()
    if not 1 <= args.halls <= 999:
        parser.error("--halls must be between 1 and 999 (region codes are 991001 … 992999)")
    return args


def remove_bench_halls() -> int:
    """Delete the halls (and schemas) this script creates, including leftovers of a killed run."""
    from django.db import connection, transaction

    from tenants.models import Hall

    connection.set_schema_to_public()  # type: ignore[attr-defined]
    removed = 0
    for hall in Hall.objects.filter(code__startswith="bench"):
        if BENCH_CODE.match(hall.code):
            # Hall.auto_drop_schema: delete() drops the schema first, then the row. One transaction,
            # so that a failing row delete cannot leave a hall without its schema.
            with transaction.atomic():
                hall.delete()
            removed += 1
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname ~ '^hall_bench(clone|migrate)[0-9]+$' "
            "AND nspname NOT IN (SELECT schema_name FROM tenants_hall)"
        )
        for (schema,) in cursor.fetchall():
            cursor.execute(f'DROP SCHEMA "{schema}" CASCADE')
    return removed


def schema_contents(schema: str) -> tuple[int, int]:
    """(tables in the schema, migrations recorded in it)."""
    from django.db import connection
    from psycopg import sql

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = %s", [schema])
        tables = cursor.fetchone()[0]
        cursor.execute(
            sql.SQL("SELECT count(*) FROM {}")
            .format(sql.Identifier(schema, "django_migrations"))
            .as_string(cursor.connection)
        )
        migrations = cursor.fetchone()[0]
    return int(tables), int(migrations)


def create_one(number: int, method: tuple[str, str, str, dict[str, object]]) -> tuple[float, str]:
    from django.test import override_settings

    from tenants.models import HallLevel
    from tenants.services import hall_create

    _label, code_prefix, region_prefix, overrides = method
    code = f"{code_prefix}{number:02d}"
    with override_settings(**overrides):
        started = time.perf_counter()
        hall = hall_create(
            code=code,
            name=f"基准测试大厅 {code}",
            level=HallLevel.COUNTY,
            region_code=f"{region_prefix}{number:03d}",
            parent_code=CITY_CODE,
        )
        elapsed = time.perf_counter() - started
    return elapsed, hall.schema_name


def main() -> None:
    args = parse_args()
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started with SIGINT ignored
    env = bench_environment()
    ensure_database(env["DATABASE_URL"])
    django_setup()
    from django.conf import settings

    if not args.skip_setup:
        print("Migrating and seeding the demo halls …", flush=True)
        prepare_demo()
    from django_tenants.utils import schema_exists

    if not schema_exists(settings.TENANT_BASE_SCHEMA):
        # django-tenants would quietly run the migrations instead, and both columns would measure that.
        sys.exit(f"The template schema {settings.TENANT_BASE_SCHEMA!r} is missing; run without --skip-setup.")
    print(
        f"Settings: TENANT_BASE_SCHEMA={settings.TENANT_BASE_SCHEMA!r}, "
        f"TENANT_CREATION_FAKES_MIGRATIONS={settings.TENANT_CREATION_FAKES_MIGRATIONS}"
    )
    leftovers = remove_bench_halls()
    if leftovers:
        print(f"Removed {leftovers} hall(s) left by an earlier run.")

    timings: dict[str, list[float]] = {label: [] for label, *_rest in METHODS}
    contents: dict[str, tuple[int, int]] = {}
    try:
        for method in METHODS:
            _elapsed, schema = create_one(0, method)  # warm-up, not measured
            contents[method[0]] = schema_contents(schema)
        for number in range(1, args.halls + 1):
            for method in METHODS if number % 2 else list(reversed(METHODS)):
                elapsed, _schema = create_one(number, method)
                timings[method[0]].append(elapsed)
                print(f"  {method[1] + format(number, '02d'):<15} {method[0]:<22} {elapsed:6.3f} s", flush=True)
    finally:
        started = time.perf_counter()
        removed = remove_bench_halls()
        print(f"Deleted {removed} benchmark halls and their schemas in {time.perf_counter() - started:.1f} s.")

    print()
    print(f"Machine: {machine_summary()}; PostgreSQL {postgres_version()}")
    print(f"{args.halls} measured halls per method, alternating, after one unmeasured hall per method.")
    print()
    header = (
        f"{'method':<22} {'halls':>5} {'mean s':>8} {'median s':>9} {'min s':>7} {'max s':>7} "
        f"{'tables':>7} {'migrations':>10}"
    )
    print(header)
    print("-" * len(header))
    for label, values in timings.items():
        tables, migrations = contents[label]
        print(
            f"{label:<22} {len(values):>5} {statistics.mean(values):8.3f} {statistics.median(values):9.3f} "
            f"{min(values):7.3f} {max(values):7.3f} {tables:>7} {migrations:>10}"
        )
    print()
    print("tables / migrations: tables in a new hall's schema and migrations recorded there.")
    fastest = min(timings, key=lambda label: statistics.median(timings[label]))
    print(f"Faster by median: {fastest}.")


if __name__ == "__main__":
    main()
