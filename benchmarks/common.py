"""What both benchmark scripts share: the environment, the database, Django, the demo data.

The scripts use DATABASE_URL / REDIS_URL when they are set, otherwise a local PostgreSQL and Redis
with a database and a Redis DB of their own, so that a benchmark never touches a developer's data.
"""

from __future__ import annotations

import os
import platform
import sys
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/bancheng_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/7"


def bench_environment() -> dict[str, str]:
    """Fill in the variables Django needs (in os.environ too) and return the environment."""
    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    os.environ.setdefault("REDIS_URL", DEFAULT_REDIS_URL)
    if not os.environ.get("DJANGO_SECRET_KEY"):
        os.environ.setdefault("BANCHENG_INSECURE_DEV_KEY", "1")
    return dict(os.environ)


def ensure_database(database_url: str) -> None:
    """Create the database named in ``database_url`` if the server does not have it yet."""
    import psycopg
    from psycopg import sql
    from psycopg.conninfo import conninfo_to_dict

    params = conninfo_to_dict(database_url)
    name = str(params.get("dbname") or "")
    if not name:
        return
    admin = {**params, "dbname": "postgres"}
    with psycopg.connect(**admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"Created database {name}.", flush=True)


def django_setup(settings_module: str = "config.settings") -> None:
    bench_environment()
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = settings_module
    import django

    django.setup()


def prepare_demo() -> None:
    """Migrate public, the template schema and every hall, then seed the Shaoguan demo (idempotent)."""
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from tenants.demo import CITY, COUNTIES, seed_demo
    from tenants.routing import forget_hosts

    call_command("migrate_all", verbosity=0)
    seed_demo()
    forget_hosts([f"{code}.{settings.BASE_DOMAIN}" for code, _name, _region in [CITY, *COUNTIES]])
    connection.set_schema_to_public()  # type: ignore[attr-defined]


def machine_summary() -> str:
    """One line about the machine, for the printed report."""
    cpus = os.cpu_count() or 0
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        model = platform.processor()
    import django
    import psycopg

    return (
        f"{cpus} CPU(s) {model}; Python {platform.python_version()}; Django {django.get_version()}; "
        f"psycopg {psycopg.__version__}"
    )


def postgres_version() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        row = cursor.fetchone()
    return str(row[0]) if row else "?"


def execute(statement: Any, params: Any = None) -> None:
    """Run one statement on Django's connection."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def scalar(statement: Any, params: Any = None) -> Any:
    """The first column of the first row of a statement (None if no row)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        row = cursor.fetchone()
    return row[0] if row else None


def clear_queue() -> None:
    """Empty the benchmark's Celery queue (it has its own name) so no task outlives the run."""
    import redis
    from django.conf import settings

    redis.Redis.from_url(settings.CELERY_BROKER_URL).delete(settings.CELERY_TASK_DEFAULT_QUEUE)
