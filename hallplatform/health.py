"""Liveness and readiness endpoints, on every host, without login, revealing no data."""

from __future__ import annotations

import functools
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django_tenants.utils import get_tenant_model
from psycopg import sql
from redis.backoff import NoBackoff
from redis.retry import Retry

from hallplatform.accounts.access import public_endpoint

# Readiness probes give up after a timeout of their own (Kubernetes' default: 1 s). The Redis check
# waits no longer than this, also when Redis accepts connections but never answers, so that a hung
# Redis cannot hold a web worker per probe.
REDIS_TIMEOUT = 1.0


@public_endpoint
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is alive and serving."""
    return JsonResponse({"status": "ok"})


@functools.cache
def expected_migrations() -> tuple[tuple[str, str], ...]:
    """Migrations on disk, computed once per process (the code does not change under it).

    django-tenants records every app's migrations in every schema (a hall's shared-app migrations
    are recorded but not run), so public and hall schemas expect the same set.
    """
    loader = MigrationLoader(None, ignore_no_migrations=True, load=True)
    return tuple(sorted(loader.disk_migrations))


def unmigrated_schemas() -> list[str]:
    """Schemas missing a migration that exists on disk, in two statements over all schemas.

    A schema without a migrations table (a hall whose schema was never created) is unmigrated too.
    """
    expected = expected_migrations()
    schemas = [settings.PUBLIC_SCHEMA_NAME, settings.TENANT_BASE_SCHEMA]
    schemas += list(
        get_tenant_model()
        .objects.exclude(schema_name=settings.PUBLIC_SCHEMA_NAME)
        .values_list("schema_name", flat=True)
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n.nspname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
            " WHERE c.relname = 'django_migrations' AND c.relkind = 'r' AND n.nspname = ANY(%s)",
            [schemas],
        )
        with_table = {row[0] for row in cursor.fetchall()}
    missing = [schema for schema in schemas if schema not in with_table]
    schemas = [schema for schema in schemas if schema in with_table]
    if not schemas:
        return missing
    per_schema = sql.SQL(" UNION ALL ").join(
        sql.SQL(
            "SELECT {label}::text AS schema, count(*) AS applied FROM {table} m JOIN expected e USING (app, name)"
        ).format(label=sql.Literal(schema), table=sql.Identifier(schema, "django_migrations"))
        for schema in schemas
    )
    query = sql.SQL(
        "WITH expected(app, name) AS (SELECT * FROM unnest(%s::text[], %s::text[])) "
        "SELECT schema FROM ({per_schema}) AS counts WHERE applied < %s"
    ).format(per_schema=per_schema)
    with connection.cursor() as cursor:
        cursor.execute(
            query.as_string(cursor.connection),
            [[app for app, _ in expected], [name for _, name in expected], len(expected)],
        )
        return missing + [row[0] for row in cursor.fetchall()]


def redis_reachable() -> bool:
    """Redis answers PING on a connection of its own, configured like the cache's, within REDIS_TIMEOUT."""
    pool = cache._cache.get_client(write=True).connection_pool  # type: ignore[attr-defined]
    options: dict[str, Any] = {
        **pool.connection_kwargs,
        "socket_connect_timeout": REDIS_TIMEOUT,
        "socket_timeout": REDIS_TIMEOUT,
        "retry": Retry(NoBackoff(), 0),
    }
    probe = pool.connection_class(**options)
    try:
        probe.connect()
        probe.send_command("PING")
        reply = probe.read_response()
    finally:
        probe.disconnect()
    return reply in (b"PONG", "PONG", True)


@public_endpoint
@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """Ready to serve: database and Redis reachable, every schema migrated."""
    checks: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception:
        checks["database"] = "unreachable"
    try:
        checks["redis"] = "ok" if redis_reachable() else "unreachable"
    except Exception:
        checks["redis"] = "unreachable"
    if checks["database"] == "ok":
        try:
            checks["migrations"] = "pending" if unmigrated_schemas() else "ok"
        except Exception:
            checks["migrations"] = "pending"
    else:
        checks["migrations"] = "unknown"
    ready = all(value == "ok" for value in checks.values())
    return JsonResponse({"status": "ok" if ready else "unavailable", "checks": checks}, status=200 if ready else 503)
