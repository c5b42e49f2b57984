"""What tenancy costs a request: queries per request and requests per second, three ways.

The same trivial endpoint (``/bench/one-query``: one ``SELECT COUNT(*)`` on the public hall table)
is served by a real gunicorn (one sync worker) for each configuration:

* hall host      ``<hall>.localhost``, the application's settings (HallRoutingMiddleware,
                 django-tenants' backend, host routing cached in Redis);
* public host    ``localhost`` with the same settings (public schema, city portal URL conf);
* single schema  ``localhost`` with HallRoutingMiddleware removed and Django's own PostgreSQL
                 backend (benchmarks/settings_single_schema.py), the baseline.

Queries are counted on the server, per request, by benchmarks/querycount.py. A small threaded
Python client sends the requests with the right Host header. Rounds alternate between the
configurations so that a slow moment on the machine does not land on one configuration only.

Run from the repository root:  python benchmarks/tenant_overhead.py  (--help for the knobs)
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import (
    REPO_ROOT,
    bench_environment,
    django_setup,
    ensure_database,
    machine_summary,
    postgres_version,
    prepare_demo,
)

PATH = "/bench/one-query"


@dataclass(frozen=True)
class Configuration:
    label: str
    settings_module: str
    host: str
    public_host: str  # the bare base domain, asked whether the server is up


@dataclass
class Sample:
    """What the client saw of one measured batch of requests."""

    requests: int = 0
    errors: int = 0
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    server_ms: list[float] = field(default_factory=list)
    statements: Counter[int] = field(default_factory=Counter)
    orm_queries: Counter[int] = field(default_factory=Counter)
    sql: Counter[str] = field(default_factory=Counter)
    worker_cpu_seconds: float | None = None


class Server:
    """One gunicorn master with one sync worker, in its own process group, stopped on exit."""

    def __init__(self, config: Configuration, env: dict[str, str], log_dir: Path) -> None:
        self.config = config
        self.port = free_port()
        self.log_path = log_dir / f"gunicorn-{self.port}.log"
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "config.wsgi:application",
                "--workers=1",
                "--worker-class=sync",
                f"--bind=127.0.0.1:{self.port}",
                f"--chdir={REPO_ROOT}",
                "--log-level=warning",
                "--timeout=60",
            ],
            cwd=REPO_ROOT,
            env={**env, "DJANGO_SETTINGS_MODULE": config.settings_module, "PYTHONWARNINGS": "ignore"},
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn for {self.config.label} exited:\n{self.log_tail()}")
            try:
                # Ask the public host: a hall host's /healthz would already cache the hall's route.
                status, _headers = get(self.port, self.config.public_host, "/healthz")
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"gunicorn for {self.config.label} did not answer in {timeout:.0f} s:\n{self.log_tail()}")

    def worker_cpu_seconds(self) -> float | None:
        """User + system CPU time of the gunicorn worker so far (Linux /proc), or None.

        Unlike wall-clock rates, this hardly moves when other work on the machine competes for
        the CPUs, which on a small shared machine is the steadier figure.
        """
        try:
            total = 0.0
            found = False
            for stat in Path("/proc").glob("[0-9]*/stat"):
                with contextlib.suppress(OSError):
                    fields = stat.read_text().rsplit(")", 1)[1].split()
                    if int(fields[1]) == self.process.pid:  # parent pid: a worker of this master
                        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
                        found = True
            return total if found else None
        except (OSError, ValueError, IndexError):
            return None

    def log_tail(self) -> str:
        self._log.flush()
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-30:])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()  # gunicorn: graceful shutdown of master and worker
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)
        self._log.close()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get(port: int, host: str, path: str) -> tuple[int, dict[str, str]]:
    """One GET on a fresh connection, the way a gunicorn sync worker serves it (no keep-alive).

    A raw socket rather than http.client: the client shares the machine's CPUs with the server,
    so the less it spends per request, the less it disturbs what is measured.
    """
    request = f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode("ascii")
    chunks = []
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(request)
        while data := sock.recv(65536):
            chunks.append(data)
    head = b"".join(chunks).partition(b"\r\n\r\n")[0].decode("latin-1").split("\r\n")
    status = int(head[0].split(" ", 2)[1])
    headers = {}
    for line in head[1:]:
        name, _sep, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers


def run_batch(server: Server, *, requests: int, max_seconds: float, concurrency: int) -> Sample:
    """Send ``requests`` requests (or as many as fit in ``max_seconds``) from ``concurrency`` threads."""
    sample = Sample()
    lock = threading.Lock()
    issued = 0
    deadline = time.monotonic() + max_seconds

    def client() -> None:
        nonlocal issued
        while True:
            with lock:
                if issued >= requests or time.monotonic() >= deadline:
                    return
                issued += 1
            started = time.perf_counter()
            try:
                status, headers = get(server.port, server.config.host, PATH)
            except OSError:
                status, headers = 0, {}
            elapsed_ms = (time.perf_counter() - started) * 1000
            with lock:
                sample.requests += 1
                if status != 200:
                    sample.errors += 1
                    continue
                sample.latencies_ms.append(elapsed_ms)
                sample.server_ms.append(int(headers["x-bench-server-us"]) / 1000)
                sample.statements[int(headers["x-bench-statements"])] += 1
                sample.orm_queries[int(headers["x-bench-orm-queries"])] += 1
                sample.sql[headers["x-bench-sql"]] += 1

    threads = [threading.Thread(target=client, daemon=True) for _ in range(concurrency)]
    cpu_before = server.worker_cpu_seconds()
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sample.seconds = time.perf_counter() - started
    cpu_after = server.worker_cpu_seconds()
    if cpu_before is not None and cpu_after is not None:
        sample.worker_cpu_seconds = cpu_after - cpu_before
    return sample


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def describe_counts(counts: Counter[int]) -> str:
    """The usual count, with the exceptions: '3' or '3 (4 in 2 of 9000)'."""
    if not counts:
        return "-"
    usual, _n = counts.most_common(1)[0]
    others = [f"{value} in {n}" for value, n in sorted(counts.items()) if value != usual]
    total = sum(counts.values())
    return f"{usual}" + (f" ({', '.join(others)} of {total})" if others else "")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--hall", default="wengyuan", help="code of the hall whose host is measured")
    parser.add_argument("--requests", type=int, default=1000, help="measured requests per configuration and round")
    parser.add_argument("--max-seconds", type=float, default=10.0, help="time limit per configuration and round")
    parser.add_argument("--rounds", type=int, default=10, help="measured rounds, alternating the configurations")
    parser.add_argument("--warmup", type=int, default=200, help="unmeasured requests per configuration first")
    parser.add_argument("--concurrency", type=int, default=2, help="client threads")
    parser.add_argument("--skip-setup", action="store_true", help="do not run migrate_all and seed_demo")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started with SIGINT ignored
    env = bench_environment()
    ensure_database(env["DATABASE_URL"])
    django_setup()
    from django.conf import settings
    from django.db import connection

    from tenants.models import Hall
    from tenants.routing import forget_hosts

    base = settings.BASE_DOMAIN
    if not args.skip_setup:
        print("Migrating and seeding the demo halls …", flush=True)
        prepare_demo()
    # Forget the hall's cached route, so that the first request shows the cold path.
    forget_hosts([f"{args.hall}.{base}"])
    if not Hall.objects.filter(code=args.hall, is_active=True).exists():
        sys.exit(f"There is no active hall {args.hall!r}; run without --skip-setup or pick another --hall.")
    pg_version = postgres_version()
    connection.close()

    configs = [
        Configuration("hall host", "benchmarks.settings_tenant", f"{args.hall}.{base}", base),
        Configuration("public host", "benchmarks.settings_tenant", base, base),
        Configuration("single schema", "benchmarks.settings_single_schema", base, base),
    ]
    samples: dict[Configuration, list[Sample]] = {config: [] for config in configs}
    first_requests: dict[Configuration, dict[str, str]] = {}
    servers: list[Server] = []
    with tempfile.TemporaryDirectory(prefix="bancheng-bench-") as log_dir:
        try:
            for config in configs:
                servers.append(Server(config, env, Path(log_dir)))
            for server in servers:
                server.wait_ready()
                _status, first_requests[server.config] = get(server.port, server.config.host, PATH)
                run_batch(server, requests=args.warmup, max_seconds=args.max_seconds, concurrency=args.concurrency)
            for round_number in range(1, args.rounds + 1):
                order = servers if round_number % 2 else list(reversed(servers))
                for server in order:
                    sample = run_batch(
                        server, requests=args.requests, max_seconds=args.max_seconds, concurrency=args.concurrency
                    )
                    samples[server.config].append(sample)
                    print(
                        f"  round {round_number}  {server.config.label:<14} {sample.requests:>6} requests "
                        f"in {sample.seconds:5.2f} s = {sample.requests / sample.seconds:7.1f} req/s"
                        + (f"  ({sample.errors} errors)" if sample.errors else ""),
                        flush=True,
                    )
        finally:
            for server in servers:
                server.stop()

    report(args, configs, samples, first_requests, pg_version)


def report(
    args: argparse.Namespace,
    configs: list[Configuration],
    samples: dict[Configuration, list[Sample]],
    first_requests: dict[Configuration, dict[str, str]],
    pg_version: str,
) -> None:
    print()
    print(f"Machine: {machine_summary()}; PostgreSQL {pg_version}")
    print(
        f"gunicorn: 1 sync worker per configuration; client: {args.concurrency} threads, "
        f"{args.rounds} rounds of up to {args.requests} requests (max {args.max_seconds:g} s), "
        f"{args.warmup} warm-up requests; endpoint GET {PATH}"
    )
    print()
    header = (
        f"{'configuration':<14} {'host':<20} {'statements/req':>14} {'ORM queries/req':>15} "
        f"{'req/s':>8} {'p50 ms':>7} {'p95 ms':>7} {'server p50 ms':>13} {'worker CPU ms/req':>17}"
    )
    print(header)
    print("-" * len(header))
    for config in configs:
        runs = samples[config]
        statements: Counter[int] = Counter()
        orm: Counter[int] = Counter()
        latencies: list[float] = []
        server_ms: list[float] = []
        for sample in runs:
            statements.update(sample.statements)
            orm.update(sample.orm_queries)
            latencies += sample.latencies_ms
            server_ms += sample.server_ms
        rates = [s.requests / s.seconds for s in runs if s.seconds > 0]
        errors = sum(s.errors for s in runs)
        cpu_runs = [s for s in runs if s.worker_cpu_seconds is not None]
        cpu_ms = (
            f"{1000 * sum(s.worker_cpu_seconds or 0.0 for s in cpu_runs) / sum(s.requests for s in cpu_runs):17.3f}"
            if cpu_runs
            else f"{'-':>17}"
        )
        print(
            f"{config.label:<14} {config.host:<20} {describe_counts(statements):>14} {describe_counts(orm):>15} "
            f"{statistics.median(rates):8.1f} {percentile(latencies, 0.5):7.2f} {percentile(latencies, 0.95):7.2f} "
            f"{percentile(server_ms, 0.5):13.2f} {cpu_ms}" + (f"  {errors} errors" if errors else "")
        )
    print()
    print(
        "req/s is the median of the rounds: "
        + "; ".join(f"{c.label} " + ", ".join(f"{s.requests / s.seconds:.0f}" for s in samples[c]) for c in configs)
    )
    print()
    print("Statements of a measured request (most common):")
    for config in configs:
        sql: Counter[str] = Counter()
        for sample in samples[config]:
            sql.update(sample.sql)
        usual = sql.most_common(1)[0][0] if sql else "-"
        print(f"  {config.label:<14} {usual}")
    print()
    print("Statements of the first request after start (new connection, route not cached):")
    for config in configs:
        headers = first_requests.get(config, {})
        print(f"  {config.label:<14} [{headers.get('x-bench-statements', '?')}] {headers.get('x-bench-sql', '-')}")


if __name__ == "__main__":
    main()
