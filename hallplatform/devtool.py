"""`python3 dev.py run|test`, running inside .venv: services, migrations, demo, processes, checks.

Without DATABASE_URL / REDIS_URL the embedded servers of hallplatform.embedded are started and
stopped again on exit, Ctrl-C and SIGTERM. Child processes run in sessions of their own, so that
stopping is done here, in order: web, beat and worker first, then Redis and PostgreSQL.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path
from types import FrameType

import dj_database_url
import psycopg
from psycopg import sql

from hallplatform import embedded

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / ".data"
log = logging.getLogger("bancheng")


class Stop(Exception):
    """Raised by the signal handler to unwind to the cleanup code."""


def _on_signal(signum: int, frame: FrameType | None) -> None:
    raise Stop(signal.Signals(signum).name)


def _prepare_environment(*, debug: bool) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("BANCHENG_INSECURE_DEV_KEY", "1")
    if debug:
        os.environ.setdefault("DJANGO_DEBUG", "1")
    os.environ.setdefault("PYTHONUNBUFFERED", "1")


def _ensure_database() -> None:
    """Create the database named in DATABASE_URL if the server does not have it yet."""
    config = dj_database_url.parse(os.environ["DATABASE_URL"])
    params = {
        "dbname": "postgres",
        "user": config.get("USER"),
        "password": config.get("PASSWORD"),
        "host": config.get("HOST"),
        "port": config.get("PORT"),
    }
    conninfo = psycopg.conninfo.make_conninfo(**{k: str(v) for k, v in params.items() if v})
    with psycopg.connect(conninfo, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(config["NAME"])))


def _manage(*args: str) -> None:
    subprocess.check_call([sys.executable, "manage.py", *args], cwd=ROOT)


def _ipv6_loopback_available(port: int) -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(("::1", port))
        return True
    except OSError:
        return False


def _terminate(processes: dict[str, subprocess.Popen[bytes]], timeout: float = 15) -> None:
    for process in processes.values():
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for name, process in processes.items():
        try:
            process.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            log.warning("%s did not stop in time; killing it", name)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _wait_for_http(url: str, host: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            request = urllib.request.Request(url, headers={"Host": host})  # noqa: S310 (http to ourselves)
            with urllib.request.urlopen(request, timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"the web server did not answer {url} within {timeout:.0f} s")


def run(port: int) -> int:
    import django  # noqa: PLC0415 (the settings are chosen by _prepare_environment first)

    django.setup()
    from tenants.demo import CITY, COUNTIES, DEMO_ACCOUNTS, DEMO_PASSWORD  # noqa: PLC0415 (after django.setup())

    _ensure_database()
    log.info("migrating the public schema, the template schema and every hall …")
    _manage("migrate_all", "--verbosity", "0")
    log.info("seeding the Shaoguan demo …")
    _manage("seed_demo")
    base = os.environ.get("BASE_DOMAIN", "localhost")
    binds = ["-b", f"127.0.0.1:{port}"]
    if base == "localhost" and _ipv6_loopback_available(port):
        binds += ["-b", f"[::1]:{port}"]
    DATA.mkdir(exist_ok=True)
    commands = {
        "web": [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            *binds,
            "--workers",
            "2",
            "--access-logfile",
            "-",
            "--graceful-timeout",
            "5",
        ],
        "worker": [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "-l",
            "INFO",
            "--concurrency",
            "2",
            "-n",
            f"bancheng-{uuid.uuid4().hex[:6]}@%h",
        ],
        "beat": [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "beat",
            "-l",
            "INFO",
            "--schedule",
            str(DATA / "celerybeat-schedule"),
        ],
    }
    processes: dict[str, subprocess.Popen[bytes]] = {}
    try:
        for name, command in commands.items():
            processes[name] = subprocess.Popen(command, cwd=ROOT, stdin=subprocess.DEVNULL, start_new_session=True)
        _wait_for_http(f"http://127.0.0.1:{port}/healthz", base)
        lines = [
            "",
            "Bancheng is running (Ctrl-C stops everything).",
            "",
            f"  City supervision portal   http://{base}:{port}/",
        ]
        for code, place, _region in [CITY, *COUNTIES]:
            lines.append(f"  {place:<10}\thttp://{code}.{base}:{port}/")
        lines += ["", f"  Demo logins (password: {DEMO_PASSWORD}):"]
        for account in DEMO_ACCOUNTS:
            where = account.hall or account.department or "platform"
            lines.append(f"    {account.username:<22}{account.role:<22}{where}")
        lines.append("")
        print("\n".join(lines), flush=True)
        while True:
            for name, process in processes.items():
                if process.poll() is not None:
                    log.error("%s exited with status %s; stopping everything", name, process.returncode)
                    return 1
            time.sleep(0.5)
    finally:
        _terminate(processes)


def test(pytest_args: list[str]) -> int:
    os.environ.setdefault("CELERY_QUEUE", f"bancheng-test-{uuid.uuid4().hex[:8]}")
    _ensure_database()
    steps = [
        ("ruff check", [sys.executable, "-m", "ruff", "check", "."]),
        ("ruff format", [sys.executable, "-m", "ruff", "format", "--check", "."]),
        ("mypy", [sys.executable, "-m", "mypy"]),
        ("import rules", [str(Path(sys.executable).with_name("lint-imports"))]),
        ("pytest", [sys.executable, "-m", "pytest", *pytest_args]),
    ]
    failed = []
    for name, command in steps:
        print(f"\n=== {name} ===", flush=True)
        code = subprocess.call(command, cwd=ROOT)
        if code == 5 and name == "pytest":
            print("pytest collected no tests: that is a failure here.", flush=True)
        if code != 0:
            failed.append(name)
    print(f"\n=== {'FAILED: ' + ', '.join(failed) if failed else 'all checks passed'} ===", flush=True)
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="dev.py", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run_parser = sub.add_parser("run", help="start everything with the Shaoguan demo")
    run_parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    test_parser = sub.add_parser("test", help="ruff, mypy, the import rules (import-linter) and the whole pytest suite")
    test_parser.add_argument("pytest_args", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)

    logging.basicConfig(level=logging.INFO, format="[dev] %(message)s")
    logging.getLogger("pgserver").setLevel(logging.WARNING)
    _prepare_environment(debug=args.command == "run")
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    services: embedded.EmbeddedServices | None = None
    try:
        services = embedded.start(DATA)
        if args.command == "run":
            return run(args.port)
        return test(args.pytest_args)
    except Stop as stop:
        log.info("stopping (%s) …", stop)
        return 0 if args.command == "run" else 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if services is not None:
            services.stop()
        log.info("stopped.")


if __name__ == "__main__":
    sys.exit(main())
