"""The embedded PostgreSQL and Redis (hallplatform/embedded.py): real servers, real connections.

Each test starts the servers in a data directory of its own and ends with no server process left,
which is checked on the processes themselves (psutil), not on what embedded.py believes.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import dj_database_url
import psutil
import psycopg
import pytest
import redis
from django.conf import settings

from hallplatform import embedded


def server_processes(data_dir: Path) -> list[psutil.Process]:
    """Every process working in ``data_dir``: PostgreSQL's postmaster and its children (checkpointer,
    walwriter, …) run in their data directory, Redis in its --dir. (Redis rewrites its command line,
    so that cannot be relied on.)"""
    found: list[psutil.Process] = []
    for process in psutil.process_iter():
        try:
            if Path(process.cwd()).is_relative_to(data_dir):
                found.append(process)
        except psutil.Error:
            pass
    return found


def still_running(processes: list[psutil.Process]) -> list[str]:
    alive = []
    for process in processes:
        try:
            if process.is_running() and process.status() != psutil.STATUS_ZOMBIE:
                alive.append(f"{process.pid} {' '.join(process.cmdline())}")
        except psutil.NoSuchProcess:
            pass
    return alive


def connect_postgres(url: str) -> psycopg.Connection:
    config = dj_database_url.parse(url)
    return psycopg.connect(host=config["HOST"], dbname=config["NAME"], user=config["USER"], autocommit=True)


@pytest.fixture
def unconfigured(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """No DATABASE_URL / REDIS_URL, as on a newcomer's machine; restored afterwards (start() sets them)."""
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("REDIS_URL", raising=False)
    yield monkeypatch


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    """A data directory. A server process still working in it at the end fails the test (and is stopped)."""
    data = tmp_path / "data"
    yield data
    leftovers = server_processes(data)
    alive = still_running(leftovers)
    for process in leftovers:
        with contextlib.suppress(psutil.Error):
            process.terminate()
    psutil.wait_procs(leftovers, timeout=10)
    assert not alive, "server processes were left running"


def test_starts_postgres_and_redis_under_the_data_dir_and_stops_both(
    unconfigured: pytest.MonkeyPatch, data_dir: Path
) -> None:
    # given nothing configured: when
    services = embedded.start(data_dir)
    try:
        # then both URLs are exported, and both servers answer on them
        assert os.environ["DATABASE_URL"] == services.database_url
        assert os.environ["REDIS_URL"] == services.redis_url
        assert services.redis_url is not None
        assert Path(services.redis_url.removeprefix("unix://")).is_socket()
        with connect_postgres(os.environ["DATABASE_URL"]) as conn:
            assert conn.info.server_version // 10000 == 16
            assert conn.execute("SELECT current_database()").fetchone() == ("bancheng",)
            conn.execute("CREATE TABLE kept (note text)")
            conn.execute("INSERT INTO kept VALUES ('written before a restart')")
        client = redis.Redis.from_url(os.environ["REDIS_URL"])
        assert client.ping()
        client.set("probe", "1")
        assert client.get("probe") == b"1"
        client.close()
        assert (data_dir / "postgres" / "PG_VERSION").exists()
        assert (data_dir / "redis" / "redis.log").exists()
        processes = server_processes(data_dir)
        executables = {Path(process.exe()).name for process in processes}
        assert executables == {"postgres", "redis-server"}, executables
        assert len(processes) >= 5  # the postmaster, its background workers, Redis
    finally:
        # when
        services.stop()

    # then no server process is left, not even for a moment after stop() returned
    assert not still_running(processes)
    services.stop()  # a second stop (exit after SIGTERM, say) is harmless

    # and the data survives a restart
    unconfigured.delenv("DATABASE_URL")
    unconfigured.delenv("REDIS_URL")
    services = embedded.start(data_dir)
    try:
        with connect_postgres(os.environ["DATABASE_URL"]) as conn:
            assert conn.execute("SELECT note FROM kept").fetchall() == [("written before a restart",)]
    finally:
        services.stop()
    assert not still_running(server_processes(data_dir))


def test_leaves_configured_services_alone(monkeypatch: pytest.MonkeyPatch, data_dir: Path) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://bancheng@db.example:5432/bancheng")
    monkeypatch.delenv("REDIS_URL", raising=False)

    services = embedded.start(data_dir)
    try:
        assert os.environ["DATABASE_URL"] == "postgresql://bancheng@db.example:5432/bancheng"
        assert services.database_url is None
        assert not (data_dir / "postgres").exists()
        assert redis.Redis.from_url(os.environ["REDIS_URL"]).ping()
    finally:
        services.stop()

    monkeypatch.setenv("REDIS_URL", "redis://redis.example:6379/0")
    services = embedded.start(data_dir)
    services.stop()
    assert os.environ["REDIS_URL"] == "redis://redis.example:6379/0"
    assert services.redis_url is None


def test_a_data_dir_too_deep_for_unix_sockets_still_works(unconfigured: object, data_dir: Path) -> None:
    # given a data directory whose socket paths would not fit in sun_path (108 bytes)
    data = data_dir / ("deep-" * 16)
    assert len(str(data / "postgres" / ".s.PGSQL.5432")) > 108

    services = embedded.start(data, database="bancheng-deep")
    try:
        with connect_postgres(os.environ["DATABASE_URL"]) as conn:
            assert conn.execute("SELECT current_database()").fetchone() == ("bancheng-deep",)
        assert redis.Redis.from_url(os.environ["REDIS_URL"]).ping()
        socket_dir = Path(os.environ["REDIS_URL"].removeprefix("unix://")).parent
        processes = server_processes(data)
    finally:
        services.stop()

    assert not still_running(processes)
    assert not socket_dir.exists()


def test_overlapping_runs_each_keep_their_redis(unconfigured: pytest.MonkeyPatch, data_dir: Path) -> None:
    # given two runs on one checkout (dev.py run, then dev.py test beside it), PostgreSQL configured
    unconfigured.setenv("DATABASE_URL", "postgresql://bancheng@db.example:5432/bancheng")
    first = embedded.start(data_dir)
    unconfigured.delenv("REDIS_URL")
    second = embedded.start(data_dir)
    try:
        assert first.redis_url != second.redis_url
        # when the second ends
        second.stop()
        # then the first one's Redis still answers
        assert first.redis_url is not None
        assert redis.Redis.from_url(first.redis_url).ping()
    finally:
        second.stop()
        first.stop()


STARTER = """
import sys, time
from pathlib import Path
from hallplatform import embedded
embedded.start(Path(sys.argv[1]))
print("started", flush=True)
time.sleep(120)
"""


def test_a_run_killed_outright_is_cleaned_up_by_the_next_run(unconfigured: object, data_dir: Path) -> None:
    # given a run that started both servers and was then killed with SIGKILL, so stopped nothing
    env = {name: value for name, value in os.environ.items() if name not in ("DATABASE_URL", "REDIS_URL")}
    killed = subprocess.Popen(
        [sys.executable, "-c", STARTER, str(data_dir)],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert killed.stdout is not None
        ready, _, _ = select.select([killed.stdout], [], [], 60)
        assert ready, "the run to be killed did not start its servers within 60 s"
        assert killed.stdout.readline().strip() == "started"
    finally:
        killed.send_signal(signal.SIGKILL)
        killed.wait(10)
        if killed.stdout is not None:
            killed.stdout.close()
    left_behind = server_processes(data_dir)
    assert {Path(process.exe()).name for process in left_behind} == {"postgres", "redis-server"}

    # when the next run starts and stops
    services = embedded.start(data_dir)
    try:
        with connect_postgres(os.environ["DATABASE_URL"]) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
        assert redis.Redis.from_url(os.environ["REDIS_URL"]).ping()
    finally:
        services.stop()

    # then nothing is left running: neither its own servers nor those of the killed run
    assert not still_running(left_behind)
    assert not still_running(server_processes(data_dir))
