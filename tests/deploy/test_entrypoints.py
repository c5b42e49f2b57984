"""The image's entrypoints (deploy/entrypoints/*.sh), run by /bin/sh outside a container, with the
production settings, against this machine's PostgreSQL and Redis, in a database of their own.

migrate.sh migrates the public schema, the template schema and every hall (sequentially, then with
the parallel executor); web.sh, worker.sh and beat.sh start the real processes (exec: the shell is
replaced), serve, and stop on SIGTERM.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
import redis
from django.conf import settings
from psycopg import sql

from hallplatform.health import expected_migrations
from tests.deploy.support import BASE_DOMAIN, PYTHON, ROOT, production_env

ENTRYPOINTS = ROOT / "deploy" / "entrypoints"
HALL = "deploytest"


def admin_conninfo(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/postgres"))


@pytest.fixture(scope="module")
def env() -> Iterator[dict[str, str]]:
    """Production environment on a database created for this module (dropped afterwards)."""
    base = os.environ.get("DATABASE_URL", settings.DATABASE_URL)
    parts = urlsplit(base)
    name = f"{parts.path.strip('/') or 'bancheng'}_entrypoints"
    url = urlunsplit(parts._replace(path="/" + name))
    with psycopg.connect(admin_conninfo(base), autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    queue = f"deploy-test-{uuid.uuid4().hex[:8]}"
    try:
        yield production_env(
            DATABASE_URL=url,
            REDIS_URL=os.environ.get("REDIS_URL", settings.REDIS_URL),
            CELERY_QUEUE=queue,
            PYTHON=PYTHON,
            CACHE_KEY_PREFIX=f"bancheng-{queue}",
        )
    finally:
        broker = redis.Redis.from_url(os.environ.get("REDIS_URL", settings.REDIS_URL))
        broker.delete(queue, *(f"{queue}\x06\x16{step}" for step in (3, 6, 9)))
        broker.close()
        with psycopg.connect(admin_conninfo(base), autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def run(command: list[str], env: dict[str, str], timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False)


def query(env: dict[str, str], statement: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(env["DATABASE_URL"]) as conn:
        return conn.execute(statement).fetchall()


def migrations_in(env: dict[str, str], schema: str) -> set[tuple[str, str]]:
    return set(query(env, f'SELECT app, name FROM "{schema}".django_migrations'))  # noqa: S608


@pytest.fixture(scope="module")
def migrated(env: dict[str, str]) -> dict[str, subprocess.CompletedProcess[str]]:
    """migrate.sh on the empty database; then a hall whose schema is emptied, and migrate.sh again with
    the parallel executor, which must migrate that hall."""
    first = run(["/bin/sh", str(ENTRYPOINTS / "migrate.sh")], env)
    assert first.returncode == 0, first.stdout + first.stderr
    created = run(
        [PYTHON, "-m", "django", "create_hall", HALL, "部署测试大厅", "--level", "city", "--region", "990100"], env
    )
    assert created.returncode == 0, created.stdout + created.stderr
    with psycopg.connect(env["DATABASE_URL"], autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "hall_{HALL}" CASCADE')
        conn.execute(f'CREATE SCHEMA "hall_{HALL}"')
    second = run(["/bin/sh", str(ENTRYPOINTS / "migrate.sh")], {**env, "MIGRATE_PARALLEL": "2"})
    assert second.returncode == 0, second.stdout + second.stderr
    return {"first": first, "second": second}


def test_migrate_migrates_public_template_and_every_hall(env: dict[str, str], migrated: Any) -> None:
    on_disk = set(expected_migrations())

    # every migration of the code is recorded in the public schema, the template and the hall, whose
    # schema had been emptied before the second run
    for schema in ("public", settings.TENANT_BASE_SCHEMA, f"hall_{HALL}"):
        assert migrations_in(env, schema) >= on_disk, schema
    # the hall's tenant tables exist again
    tables = query(env, f"SELECT count(*) FROM pg_tables WHERE schemaname = 'hall_{HALL}'")  # noqa: S608
    assert tables[0][0] > 1
    # and the national calendar was seeded at the end
    assert query(env, "SELECT count(*) FROM workdays_calendaryear")[0][0] > 0


def test_migrate_is_idempotent(env: dict[str, str], migrated: Any) -> None:
    before = migrations_in(env, f"hall_{HALL}")

    again = run(["/bin/sh", str(ENTRYPOINTS / "migrate.sh")], env)

    assert again.returncode == 0, again.stderr
    assert migrations_in(env, f"hall_{HALL}") == before


# --- long-running roles -------------------------------------------------------------------------


class Role:
    """A role script started in a session of its own, with its output in a file."""

    def __init__(self, script: str, env: dict[str, str], log: Path) -> None:
        self.log_path = log
        self._log = open(log, "wb")  # noqa: SIM115 (closed in stop())
        self.process = subprocess.Popen(
            ["/bin/sh", str(ENTRYPOINTS / script)],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def command_line(self) -> str:
        return Path(f"/proc/{self.process.pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()

    def stop(self, timeout: float = 30) -> int:
        """SIGTERM to the process the script became; its exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        finally:
            if self.process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
            # children (gunicorn or celery workers) go with the group
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self._log.close()


@pytest.fixture
def start(tmp_path: Path) -> Iterator[Any]:
    roles: list[Role] = []

    def start_role(script: str, env: dict[str, str]) -> Role:
        role = Role(script, env, tmp_path / f"{script}.log")
        roles.append(role)
        return role

    yield start_role
    for role in roles:
        role.stop(timeout=5)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def http_get(url: str, host: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(url, headers={"Host": host, **headers})  # noqa: S310 (our own server)
    try:
        with opener.open(request, timeout=5) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def wait_until(condition: Any, role: Role, what: str, timeout: float = 90) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if role.process.poll() is not None:
            pytest.fail(f"{what}: the process exited ({role.process.returncode}):\n{role.output()[-4000:]}")
        with contextlib.suppress(OSError):
            result = condition()
            if result:
                return result
        time.sleep(0.5)
    pytest.fail(f"{what} did not happen within {timeout:.0f} s:\n{role.output()[-4000:]}")


def test_web_serves_probes_and_metrics_then_stops_on_sigterm(env: dict[str, str], migrated: Any, start: Any) -> None:
    port = free_port()
    web = start(
        "web.sh",
        {**env, "PORT": str(port), "WEB_BIND": "127.0.0.1", "WEB_WORKERS": "1", "WEB_THREADS": "2"}
        | {"DATABASE_POOL": "1"},
    )
    base = f"http://127.0.0.1:{port}"

    healthz = wait_until(lambda: http_get(f"{base}/healthz", BASE_DOMAIN)[0] == 200, web, "/healthz answering")
    assert healthz
    # the shell exec'd gunicorn: the process the orchestrator signals is gunicorn itself
    assert "gunicorn" in web.command_line()
    assert "config.wsgi:application" in web.command_line()

    status, _, body = http_get(f"{base}/readyz", BASE_DOMAIN)
    ready = {"status": "ok", "checks": {"database": "ok", "redis": "ok", "migrations": "ok"}}
    assert (status, json.loads(body)) == (200, ready)
    # a hall's host answers too (its schema, through the pool)
    assert http_get(f"{base}/readyz", f"{HALL}.{BASE_DOMAIN}")[0] == 200
    # production settings: a page over plain HTTP goes to HTTPS
    status, headers, _ = http_get(f"{base}/", BASE_DOMAIN)
    assert (status, headers.get("Location")) == (301, f"https://{BASE_DOMAIN}/")
    # Prometheus, on the pod's address, from the loopback
    status, _, body = http_get(f"{base}/metrics", f"127.0.0.1:{port}")
    assert status == 200
    assert b"bancheng_deadlines_breached 0.0" in body
    assert b'bancheng_metrics_source_up{source="broker"} 1.0' in body

    assert web.stop() == 0
    # gunicorn's own lines are JSON too
    lines = [json.loads(line) for line in web.output().splitlines() if line.startswith("{")]
    assert any(line.get("logger") == "gunicorn.error" and "Booting worker" in line["message"] for line in lines)
    assert any("Shutting down" in line["message"] for line in lines)


def test_worker_runs_a_task_in_a_halls_schema_then_stops_on_sigterm(
    env: dict[str, str], migrated: Any, start: Any
) -> None:
    from config.celery import app
    from hallplatform.tasks import schema_probe_task

    node = f"deploytest-{uuid.uuid4().hex[:8]}@localhost"
    worker = start("worker.sh", {**env, "CELERY_CONCURRENCY": "1", "CELERY_WORKER_NAME": node})

    wait_until(lambda: app.control.ping(destination=[node], timeout=1.0), worker, "the worker answering ping")
    assert "celery" in worker.command_line() and "worker" in worker.command_line()

    result = schema_probe_task.apply_async(queue=env["CELERY_QUEUE"], headers={"_schema_name": f"hall_{HALL}"})
    answer = result.get(timeout=60)
    assert answer["schema"] == f"hall_{HALL}"
    assert answer["database_schema"] == f"hall_{HALL}"
    assert answer["hall"] == HALL

    # SIGTERM: warm shutdown, exit status 0
    assert worker.stop(timeout=60) == 0
    lines = [json.loads(line) for line in worker.output().splitlines() if line.startswith("{")]
    assert any(line.get("hall") == HALL for line in lines), worker.output()[-3000:]


def test_beat_sends_the_sweeps_then_stops_on_sigterm(
    env: dict[str, str], migrated: Any, start: Any, tmp_path: Path
) -> None:
    schedule = tmp_path / "beat" / "celerybeat-schedule"
    schedule.parent.mkdir()
    broker = redis.Redis.from_url(env["REDIS_URL"])
    queue = env["CELERY_QUEUE"]
    broker.delete(queue)

    # sweeps every 2 s instead of every minute (beat sends an interval's first run one interval after start)
    beat = start(
        "beat.sh",
        {**env, "CELERY_BEAT_SCHEDULE_FILE": str(schedule), "DEADLINE_SWEEP_SECONDS": "2", "NOTICE_SWEEP_SECONDS": "2"},
    )

    # beat puts the sweeps on the queue (no worker consumes this test's queue)
    wait_until(lambda: broker.llen(queue) >= 2, beat, "the sweeps reaching the queue", timeout=60)
    messages = [json.loads(raw) for raw in broker.lrange(queue, 0, -1)]
    tasks = {message["headers"]["task"] for message in messages}
    assert {"deadlines.deadline_sweep_task", "notifications.notice_deliver_pending_task"} <= tasks
    assert "celery" in beat.command_line() and "beat" in beat.command_line()
    assert list(schedule.parent.iterdir()), "beat keeps its schedule in the given file"

    assert beat.stop() == 0
    broker.delete(queue)
    broker.close()
