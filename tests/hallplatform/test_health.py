"""/healthz and /readyz: on every known host, without login, revealing nothing but their checks.

Failures are real: a migration row deleted (inside the test's transaction), a hall whose schema
was never created, a Redis port nobody listens on, a Redis that accepts connections and never
answers.
"""

from __future__ import annotations

import signal
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from tenants.models import Hall, HallLevel
from tests.conftest import client_for

READY = {"status": "ok", "checks": {"database": "ok", "redis": "ok", "migrations": "ok"}}
HOSTS = ["wengyuan", "shaoguan", None]  # a county hall, the city hall, the city portal


def get(code: str | None, path: str) -> Any:
    client = client_for(None, code)  # anonymous
    client.raise_request_exception = False
    return client.get(path)


def redis_cache_at(location: str) -> dict[str, Any]:
    return {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": location}}


@pytest.fixture
def closed_port() -> int:
    """A local TCP port nobody listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def silent_redis() -> Iterator[int]:
    """A local TCP port that accepts connections (the kernel completes the handshake) and never answers."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(16)
        yield int(server.getsockname()[1])


@pytest.mark.parametrize("code", HOSTS)
def test_both_answer_anonymous_requests_with_their_checks_only(demo: object, code: str | None) -> None:
    healthz = get(code, "/healthz")
    readyz = get(code, "/readyz")

    assert healthz.status_code == 200
    assert healthz.json() == {"status": "ok"}
    assert readyz.status_code == 200
    assert readyz.json() == READY
    for response in (healthz, readyz):
        assert response["Content-Type"] == "application/json"
        assert "no-store" in response["Cache-Control"]
        assert not response.cookies  # no session, no CSRF cookie: nothing is kept about the caller


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
@pytest.mark.parametrize("host", ["unknown.localhost", "evil.example.com", "wengyuan.localhost.evil.com"])
def test_unknown_hosts_get_404(demo: object, path: str, host: str) -> None:
    client = client_for(None, None)
    response = client.get(path, HTTP_HOST=host)
    assert response.status_code == 404
    assert b"status" not in response.content


@pytest.mark.parametrize("code", ["nanxiong", None])
def test_readyz_is_503_while_a_hall_schema_misses_a_migration(demo: object, code: str | None) -> None:
    # given every schema migrated
    assert get(code, "/readyz").status_code == 200
    # when wengyuan's schema lacks its latest migration (rolled back with the test)
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM hall_wengyuan.django_migrations"
            " WHERE id = (SELECT max(id) FROM hall_wengyuan.django_migrations) RETURNING name"
        )
        (migration,) = cursor.fetchone()

    # then every host (not only wengyuan's) reports not ready, without naming the schema or migration
    response = get(code, "/readyz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "checks": {"database": "ok", "redis": "ok", "migrations": "pending"},
    }
    for secret in ("wengyuan", migration):
        assert secret.encode() not in response.content
    assert get(code, "/healthz").status_code == 200  # alive all the same


def test_readyz_is_503_while_a_hall_has_no_schema(demo: object) -> None:
    # given a hall row whose schema was never created (bulk_create skips the schema provisioning)
    Hall.objects.bulk_create(
        [
            Hall(
                code="unbuilt",
                name="未建成",
                level=HallLevel.COUNTY,
                parent=Hall.objects.get(code="shaoguan"),
                region_code="440299",
                schema_name="hall_unbuilt",
            )
        ]
    )

    # when
    response = get(None, "/readyz")

    # then not ready, and the check left the connection usable (no failed statement)
    assert response.status_code == 503
    assert response.json()["checks"]["migrations"] == "pending"
    assert Hall.objects.filter(code="unbuilt").exists()


def test_readyz_costs_the_same_few_queries_however_many_halls(demo: object) -> None:
    assert Hall.objects.count() >= 10
    with CaptureQueriesContext(connection) as queries:
        assert get(None, "/readyz").status_code == 200
    # SET search_path, SELECT 1, the halls, the schemas with a migrations table, the migrations of all
    assert len(queries) <= 5, [query["sql"][:80] for query in queries.captured_queries]


@pytest.mark.parametrize("code", HOSTS)
def test_readyz_is_503_when_redis_is_unreachable(demo: object, closed_port: int, code: str | None) -> None:
    with override_settings(CACHES=redis_cache_at(f"redis://127.0.0.1:{closed_port}/0")):
        readyz = get(code, "/readyz")
        healthz = get(code, "/healthz")

    assert readyz.status_code == 503
    assert readyz.json() == {
        "status": "unavailable",
        "checks": {"database": "ok", "redis": "unreachable", "migrations": "ok"},
    }
    assert healthz.status_code == 200
    assert healthz.json() == {"status": "ok"}


def test_readyz_answers_within_a_second_or_two_when_redis_never_answers(demo: object, silent_redis: int) -> None:
    def give_up(signum: int, frame: object) -> None:
        raise TimeoutError("/readyz hung")

    previous = signal.signal(signal.SIGALRM, give_up)
    signal.alarm(20)  # a bound on the test, far above what is asserted
    try:
        with override_settings(CACHES=redis_cache_at(f"redis://127.0.0.1:{silent_redis}/0")):
            started = time.monotonic()
            response = get(None, "/readyz")
            elapsed = time.monotonic() - started
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)

    assert response.status_code == 503
    assert response.json()["checks"]["redis"] == "unreachable"
    assert elapsed < 3, f"/readyz took {elapsed:.1f} s"
