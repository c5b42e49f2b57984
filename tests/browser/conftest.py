"""A real system for browser tests: its own database with the Shaoguan demo, gunicorn, and Debian's
chromium driven by Playwright.

The server cannot see the test's uncommitted transaction, so it runs on a database of its own,
migrated and seeded the way `python3 dev.py run` does, and dropped afterwards. Its Redis keys and
Celery queue are kept apart from the test session's by a prefix and a queue name of their own.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dj_database_url
import psycopg
import pytest
from django.conf import settings
from psycopg import sql

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class LiveSystem:
    port: int
    base_domain: str
    database_url: str

    def url(self, hall: str | None, path: str = "/") -> str:
        host = self.base_domain if hall is None else f"{hall}.{self.base_domain}"
        return f"http://{host}:{self.port}{path}"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _admin_connection(config: dict[str, Any]) -> psycopg.Connection[Any]:
    params = {
        "dbname": "postgres",
        "user": config.get("USER"),
        "password": config.get("PASSWORD"),
        "host": config.get("HOST"),
        "port": config.get("PORT"),
    }
    conninfo = psycopg.conninfo.make_conninfo(**{k: str(v) for k, v in params.items() if v})
    return psycopg.connect(conninfo, autocommit=True)


def _drop(conn: psycopg.Connection[Any], name: str) -> None:
    conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _wait_for(url: str, host: str, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the web server exited with status {process.returncode}")
        try:
            request = urllib.request.Request(url, headers={"Host": host})  # noqa: S310 (http to ourselves)
            with urllib.request.urlopen(request, timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"the web server did not answer {url} within {timeout:.0f} s")


@pytest.fixture(scope="session")
def live_system() -> Iterator[LiveSystem]:
    """The whole web application on a free port, with the demo data, on a database of its own."""
    config = dj_database_url.parse(os.environ["DATABASE_URL"])
    name = f"{settings.DATABASES['default']['NAME']}_browser".removeprefix("test_")
    url = os.environ["DATABASE_URL"].rsplit("/", 1)[0] + f"/{name}"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "CACHE_KEY_PREFIX": f"browser-{uuid.uuid4().hex[:8]}",
        "CELERY_QUEUE": f"browser-{uuid.uuid4().hex[:8]}",
        "BANCHENG_INSECURE_DEV_KEY": "1",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    env.pop("DJANGO_DEBUG", None)
    with _admin_connection(config) as conn:
        _drop(conn, name)
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    server: subprocess.Popen[bytes] | None = None
    try:
        static = Path(tempfile.mkdtemp(prefix="bancheng-static-"))
        env["STATIC_ROOT"] = str(static)
        for command in (
            ["migrate_all", "--verbosity", "0"],
            ["seed_demo"],
            ["collectstatic", "--noinput", "--verbosity", "0"],  # served by WhiteNoise, as in production
        ):
            subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True)
        port = _free_port()
        server = subprocess.Popen(
            [
                sys.executable, "-m", "gunicorn", "config.wsgi", "-b", f"127.0.0.1:{port}",
                "--workers", "1", "--threads", "4", "--graceful-timeout", "3",
            ],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
        base = settings.BASE_DOMAIN
        _wait_for(f"http://127.0.0.1:{port}/healthz", base, server)
        yield LiveSystem(port=port, base_domain=base, database_url=url)
    finally:
        if server is not None and server.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()
        with _admin_connection(config) as conn:
            _drop(conn, name)
        if "STATIC_ROOT" in env:
            shutil.rmtree(env["STATIC_ROOT"], ignore_errors=True)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Debian's chromium (`apt-get install chromium`); Playwright's own browser downloads are not used."""
    path = shutil.which("chromium")
    if path is None:
        pytest.fail("Browser tests need Debian's chromium package: sudo apt-get install chromium")
    return path


@pytest.fixture
def browser(chromium_path: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=chromium_path, args=["--no-sandbox"])
        try:
            yield instance
        finally:
            instance.close()
