"""How long one deadline sweep takes when 1,000 deadlines are due among a million open ones.

``hallplatform.deadlines.sweep.deadline_sweep()`` is called in-process on a real PostgreSQL, the way
beat's task calls it. Its cost should follow the number of *due* rows, not the number of halls or of
open deadlines (the partial indexes of ``Deadline.Meta``), so the script times the same 1,000 due
rows in several scenarios:

* 100,000 open deadlines in 100 halls, then 1,000,000 (the target: one sweep under 200 ms);
* the 1,000 due rows in 10 halls instead of 100 (1,000,000 open);
* the 1,000 due rows split over all three steps: warnings, breaches and escalations.

Set-up (not timed): a bench city ``sweepcity`` with county halls ``sweep001`` … ``sweep100``
(created once with ``tenants.services.hall_create``, reused afterwards), one department per hall
with a handler and a lead, a hall lead per hall and a city supervisor. The deadline rows are written
with ``INSERT … SELECT generate_series`` straight into ``deadlines_deadline``: all ``open``,
``warned_at`` NULL, warning and due times at least a day ahead. Then ``VACUUM ANALYZE``.

The 1,000 due rows are picked evenly through the table by id and made due in place before every
measured sweep (rewriting them moves their row versions into a few dozen heap pages, much as rows
that come due together, having been created together, lie in production); the sweep's notices are
deleted and the table vacuumed, so every run finds the same work. Everything is in the cache.
Each scenario runs in a fresh Python process (``sys.executable``), so its first sweep pays the
process's cold start (imports, templates, the database and broker connections): that run is printed
separately from the repeated ones.

What "due" means here (default mix, ``--mix`` changes it):

* 500 rows due for the yellow **warning** only: ``warn_at`` a few minutes ago, ``due_at`` tomorrow;
* 500 rows due for the red **breach**: warned earlier (``warned_at`` set), ``due_at`` a few minutes
  ago, so they leave the warning index and only the breach step claims them;
* in the three-step scenario 334 / 333 / 333, the last third breached a day ago (the handler told)
  with the next escalation step, the department lead, due a few minutes ago.

Every due row has ``owner_user`` set (the hall's handler), so every state change queues one in-app
notice (1,000 per sweep); the notices' delivery tasks go to a queue of their own (CELERY_QUEUE, default
``bench-deadline-sweep``) in Redis DB 14 that no worker reads, and are deleted after each run.

Re-runs are idempotent: the bench rows (deadlines and notices of the bench halls) are removed at the
start (the script refuses a database whose deadlines table holds other halls' rows); the halls,
departments and users are kept. Without DATABASE_URL / REDIS_URL the script uses
``postgresql://postgres@127.0.0.1:5432/bancheng_sweep`` (created if missing) and Redis DB 14.

Run from the repository root:  python benchmarks/deadline_sweep.py  (--help for the knobs)
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import (
    REPO_ROOT,
    bench_environment,
    django_setup,
    ensure_database,
    machine_summary,
    postgres_version,
)

DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/bancheng_sweep"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/14"
DEFAULT_QUEUE = "bench-deadline-sweep"

CITY_CODE, CITY_REGION = "sweepcity", "993000"
HALL_PREFIX, REGION_PREFIX = "sweep", "993"
DEPARTMENT_CODE = "bench"
USER_PREFIX = "sweepbench_"
SUBJECT_TYPE = "benchmarks.SweepSubject"
TARGET_MS = 200.0


@dataclass
class Scenario:
    label: str
    open_rows: int
    due_halls: int
    warn: int
    breach: int
    escalate: int = 0


@dataclass
class Plan:
    """What a measuring child process is told (as JSON)."""

    scenario: Scenario
    runs: int
    hall_ids: list[int]
    handlers: dict[str, int]  # hall id (as text, JSON) → the handler who owns the due rows
    warn_ids: list[int]
    breach_ids: list[int]
    escalate_ids: list[int]
    profile: bool = False
    explain: bool = False
    result_path: str = ""


@dataclass
class Run:
    ms: float  # wall-clock time of the deadline_sweep() call
    cpu_ms: float  # CPU time of this Python process during the call
    db_cpu_ms: float  # CPU time of its PostgreSQL backend during the call (10 ms resolution)
    warned: int
    breached: int
    escalated: int
    notices: int
    queries: int
    query_kinds: dict[str, int] = field(default_factory=dict)
    query_ms: dict[str, float] = field(default_factory=dict)  # time in the driver, by kind of query
    claims: list[str] = field(default_factory=list)  # the SQL of the sweep's claims, for EXPLAIN


# --- environment ------------------------------------------------------------------------------


def environment() -> dict[str, str]:
    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    os.environ.setdefault("REDIS_URL", DEFAULT_REDIS_URL)
    os.environ.setdefault("CELERY_QUEUE", DEFAULT_QUEUE)
    return bench_environment()


def execute(sql: str, params: Any = None) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def scalar(sql: str, params: Any = None) -> Any:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return row[0] if row else None


def bench_hall_ids() -> list[int]:
    from tenants.models import Hall

    return list(
        Hall.objects.filter(code__regex=rf"^{HALL_PREFIX}[0-9]{{3}}$").order_by("code").values_list("pk", flat=True)
    )


# --- set-up: halls, departments, staff ------------------------------------------------------


def ensure_halls(count: int) -> list[int]:
    """The bench city and its county halls sweep001 … (created once; creating takes ~0.2 s each)."""
    from tenants.models import Hall, HallLevel
    from tenants.services import hall_create

    if not Hall.objects.filter(code=CITY_CODE).exists():
        hall_create(code=CITY_CODE, name="基准测试市", level=HallLevel.CITY, region_code=CITY_REGION)
    existing = set(Hall.objects.filter(code__startswith=HALL_PREFIX).values_list("code", flat=True))
    missing = [n for n in range(1, count + 1) if f"{HALL_PREFIX}{n:03d}" not in existing]
    if missing:
        print(f"Creating {len(missing)} bench halls …", flush=True)
        started = time.perf_counter()
        for n in missing:
            hall_create(
                code=f"{HALL_PREFIX}{n:03d}",
                name=f"基准测试大厅 {n:03d}",
                level=HallLevel.COUNTY,
                region_code=f"{REGION_PREFIX}{n:03d}",
                parent_code=CITY_CODE,
            )
        print(f"  … in {time.perf_counter() - started:.1f} s", flush=True)
    ids = bench_hall_ids()[:count]
    if len(ids) < count:
        sys.exit(f"Expected {count} bench halls, found {len(ids)}.")
    return ids


def ensure_staff(hall_ids: list[int]) -> dict[int, tuple[int, int]]:
    """A department per hall with a handler and a lead, a hall lead per hall, a city supervisor.
    Returns hall id → (department id, handler user id). Users get no usable password."""
    from django.contrib.auth.hashers import make_password

    from hallplatform.accounts.models import RoleAssignment, RoleKind, User
    from tenants.models import Department, Hall

    halls = list(Hall.objects.filter(pk__in=hall_ids))
    city = Hall.objects.get(code=CITY_CODE)
    Department.objects.bulk_create(
        [Department(hall=hall, code=DEPARTMENT_CODE, name=f"{hall.name} 基准部门") for hall in halls],
        ignore_conflicts=True,
    )
    departments = {d.hall_id: d for d in Department.objects.filter(hall_id__in=hall_ids, code=DEPARTMENT_CODE)}
    unusable = make_password(None)
    names = [f"{USER_PREFIX}supervisor"]
    for hall in halls:
        names += [f"{USER_PREFIX}{hall.code}_{role}" for role in ("handler", "deptlead", "lead")]
    User.objects.bulk_create([User(username=name, password=unusable) for name in names], ignore_conflicts=True)
    users = dict(User.objects.filter(username__in=names).values_list("username", "pk"))
    roles = [RoleAssignment(user_id=users[f"{USER_PREFIX}supervisor"], kind=RoleKind.CITY_SUPERVISOR, hall=city)]
    for hall in halls:
        department = departments[hall.pk]
        roles += [
            RoleAssignment(
                user_id=users[f"{USER_PREFIX}{hall.code}_handler"],
                kind=RoleKind.DEPARTMENT_HANDLER,
                department=department,
            ),
            RoleAssignment(
                user_id=users[f"{USER_PREFIX}{hall.code}_deptlead"],
                kind=RoleKind.DEPARTMENT_LEAD,
                department=department,
            ),
            RoleAssignment(user_id=users[f"{USER_PREFIX}{hall.code}_lead"], kind=RoleKind.HALL_LEAD, hall=hall),
        ]
    RoleAssignment.objects.bulk_create(roles, ignore_conflicts=True)
    return {hall.pk: (departments[hall.pk].pk, users[f"{USER_PREFIX}{hall.code}_handler"]) for hall in halls}


def calendars_ready(hall_ids: list[int]) -> None:
    """Materialise the calendar years the sweep reads (once a year in production, not per sweep)."""
    from django.utils import timezone

    from hallplatform.workdays.selectors import work_calendars_for

    today = timezone.localdate()
    work_calendars_for(hall_ids=hall_ids, first=today - timedelta(days=400), last=today + timedelta(days=400))


# --- the rows -----------------------------------------------------------------------------------


def clear_rows(hall_ids: list[int]) -> None:
    """Remove the bench deadlines and notices. TRUNCATE when the table holds nothing else."""
    others = scalar("SELECT count(*) FROM deadlines_deadline WHERE NOT (hall_id = ANY(%s))", [hall_ids])
    if others:
        sys.exit(
            f"deadlines_deadline holds {others} rows of other halls: the sweep would work on them too. "
            "Use a database of its own (the default, bancheng_sweep)."
        )
    started = time.perf_counter()
    execute("TRUNCATE deadlines_deadline")
    execute("DELETE FROM notifications_notice WHERE hall_id = ANY(%s)", [hall_ids])
    print(f"Cleared the bench deadlines and notices in {time.perf_counter() - started:.1f} s.", flush=True)


def load_rows(first: int, last: int, hall_ids: list[int], staff: dict[int, tuple[int, int]]) -> None:
    """Insert deadlines first … last (subject ids), round-robin over the halls, all open, not due:
    warning 1–20 days ahead, due a day after the warning."""
    departments = [staff[hall_id][0] for hall_id in hall_ids]
    chunk = 200_000
    for start in range(first, last + 1, chunk):
        stop = min(start + chunk - 1, last)
        execute(
            """
            INSERT INTO deadlines_deadline (
                hall_id, kind, subject_type, subject_id, owner_user_id, owner_department_id, rule,
                rule_amount, start_at, due_at, warn_at, provisional, state, paused_seconds,
                escalation_level, created_at, updated_at)
            SELECT halls[1 + g %% cardinality(halls)], 'slip_reply', %s, g::text, NULL,
                   departments[1 + g %% cardinality(halls)], 'working_days', 5,
                   now() - make_interval(days => g %% 5),
                   now() + make_interval(days => 2 + g %% 20, mins => g %% 480),
                   now() + make_interval(days => 1 + g %% 20, mins => g %% 480),
                   false, 'open', 0, 0, now(), now()
            FROM generate_series(%s::int, %s::int) AS g,
                 (SELECT %s::bigint[] AS halls, %s::bigint[] AS departments) AS ids
            """,
            [SUBJECT_TYPE, start, stop, hall_ids, departments],
        )


def vacuum_analyze() -> None:
    execute("VACUUM ANALYZE deadlines_deadline")
    execute("VACUUM ANALYZE notifications_notice")


def pick_due(scenario: Scenario, hall_ids: list[int]) -> tuple[list[int], list[int], list[int]]:
    """Ids of the rows to make due, evenly spread through the rows of the first ``due_halls`` halls;
    split into (warning, breach, escalation), interleaved so that each kind is spread too."""
    total = scenario.warn + scenario.breach + scenario.escalate
    halls = hall_ids[: scenario.due_halls]
    candidates = scalar("SELECT count(*) FROM deadlines_deadline WHERE hall_id = ANY(%s)", [halls])
    step = max(candidates // total, 1)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT id FROM (
                SELECT id, row_number() OVER (ORDER BY id) AS n FROM deadlines_deadline WHERE hall_id = ANY(%s)
            ) AS numbered WHERE (n - 1) %% %s = 0 ORDER BY id LIMIT %s
            """,
            [halls, step, total],
        )
        ids = [row[0] for row in cursor.fetchall()]
    if len(ids) < total:
        sys.exit(f"Only {len(ids)} rows to make due, {total} wanted.")
    kinds = ["warn"] * scenario.warn + ["breach"] * scenario.breach + ["escalate"] * scenario.escalate
    # interleave: kind of the i-th id by a stride through the list of kinds
    order = sorted(range(total), key=lambda i: (i * 7919) % total)
    split: dict[str, list[int]] = {"warn": [], "breach": [], "escalate": []}
    for position, index in enumerate(order):
        split[kinds[position]].append(ids[index])
    return split["warn"], split["breach"], split["escalate"]


def make_due(plan: Plan) -> None:
    """Put the chosen rows back into their due state (before every measured sweep)."""
    halls = [int(h) for h in plan.handlers]
    handlers = [plan.handlers[h] for h in plan.handlers]
    everything = plan.warn_ids + plan.breach_ids + plan.escalate_ids
    execute(
        """
        UPDATE deadlines_deadline AS d SET owner_user_id = m.handler, state = 'open', paused_at = NULL,
               remaining_seconds = NULL, breached_at = NULL, met_at = NULL, cancelled_at = NULL,
               escalation_level = 0, next_escalation_at = NULL
        FROM unnest(%s::bigint[], %s::bigint[]) AS m(hall, handler)
        WHERE d.hall_id = m.hall AND d.id = ANY(%s)
        """,
        [halls, handlers, everything],
    )
    # yellow: the warning time passed a few minutes ago, due tomorrow
    execute(
        """
        UPDATE deadlines_deadline SET warned_at = NULL,
               warn_at = now() - make_interval(secs => 60 + id %% 600), due_at = now() + interval '1 day'
        WHERE id = ANY(%s)
        """,
        [plan.warn_ids],
    )
    # red: warned earlier, the due time passed a few minutes ago
    execute(
        """
        UPDATE deadlines_deadline SET warned_at = now() - interval '2 hours',
               warn_at = now() - interval '3 hours', due_at = now() - make_interval(secs => 60 + id %% 600)
        WHERE id = ANY(%s)
        """,
        [plan.breach_ids],
    )
    # breached yesterday, the handler told; the next step (the department lead) is due now
    execute(
        """
        UPDATE deadlines_deadline SET state = 'breached', warned_at = now() - interval '2 days',
               warn_at = now() - interval '3 days', due_at = now() - interval '1 day',
               breached_at = now() - interval '1 day', escalation_level = 1,
               next_escalation_at = now() - make_interval(secs => 60 + id %% 600)
        WHERE id = ANY(%s)
        """,
        [plan.escalate_ids],
    )


def make_not_due(ids: list[int]) -> None:
    execute(
        """
        UPDATE deadlines_deadline SET owner_user_id = NULL, state = 'open', warned_at = NULL,
               breached_at = NULL, escalation_level = 0, next_escalation_at = NULL,
               warn_at = now() + make_interval(days => 1 + id::int %% 20),
               due_at = now() + make_interval(days => 2 + id::int %% 20)
        WHERE id = ANY(%s)
        """,
        [ids],
    )


def clear_notices_and_tasks(hall_ids: list[int]) -> None:
    """Delete the notices of the bench halls and the delivery tasks waiting in the bench queue."""
    import redis
    from django.conf import settings

    execute("DELETE FROM notifications_notice WHERE hall_id = ANY(%s)", [hall_ids])
    redis.Redis.from_url(settings.CELERY_BROKER_URL).delete(settings.CELERY_TASK_DEFAULT_QUEUE)


def due_counts() -> dict[str, int]:
    """Rows due now, per step, through the same conditions as the sweep."""
    from django.utils import timezone

    from hallplatform.deadlines.models import Deadline, DeadlineState

    now = timezone.now()
    return {
        "warn": Deadline.objects.filter(state=DeadlineState.OPEN, warned_at__isnull=True, warn_at__lte=now).count(),
        "breach": Deadline.objects.filter(state=DeadlineState.OPEN, due_at__lte=now).count(),
        "escalate": Deadline.objects.filter(state=DeadlineState.BREACHED, next_escalation_at__lte=now).count(),
    }


# --- measuring (child process) ------------------------------------------------------------------

_KIND = re.compile(r"^\s*(SELECT|INSERT INTO|UPDATE|DELETE FROM|SAVEPOINT|RELEASE SAVEPOINT)\s+\"?(\w+)?", re.I)


def query_kind(sql: str) -> str:
    match = _KIND.match(sql)
    if not match:
        return sql.split(None, 1)[0].upper()
    verb = match.group(1).upper().split()[0]
    if verb in ("SAVEPOINT", "RELEASE"):
        return verb
    # the main table: the one after FROM for a SELECT
    if verb == "SELECT":
        table = re.search(r"\bFROM\s+\"?(\w+)", sql, re.I)
        suffix = " FOR UPDATE" if "FOR UPDATE" in sql else ""
        return f"SELECT {table.group(1) if table else '?'}{suffix}"
    return f"{verb} {match.group(2)}"


def backend_cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (the PostgreSQL backend serving this connection)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure_once(plan: Plan, profiler: cProfile.Profile | None = None) -> Run:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from hallplatform.deadlines.sweep import deadline_sweep

    make_due(plan)
    clear_notices_and_tasks(plan.hall_ids)
    execute("VACUUM deadlines_deadline")
    backend = scalar("SELECT pg_backend_pid()")
    with CaptureQueriesContext(connection) as captured:
        if profiler is not None:
            profiler.enable()
        db_cpu = backend_cpu_seconds(backend)
        cpu = time.process_time()
        started = time.perf_counter()
        result = deadline_sweep()
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu
        db_cpu = backend_cpu_seconds(backend) - db_cpu
        if profiler is not None:
            profiler.disable()
    kinds = Counter(query_kind(q["sql"]) for q in captured.captured_queries)
    seconds: dict[str, float] = {}
    for query in captured.captured_queries:
        kind = query_kind(query["sql"])
        seconds[kind] = seconds.get(kind, 0.0) + float(query["time"])
    return Run(
        ms=elapsed * 1000,
        cpu_ms=cpu * 1000,
        db_cpu_ms=db_cpu * 1000,
        warned=result.warned,
        breached=result.breached,
        escalated=result.escalated,
        notices=result.notices,
        queries=len(captured.captured_queries),
        query_kinds=dict(kinds.most_common()),
        query_ms={kind: round(value * 1000, 2) for kind, value in seconds.items()},
        claims=[q["sql"] for q in captured.captured_queries if "SKIP LOCKED" in q["sql"]],
    )


def explain_claims(plan: Plan, claims: list[str]) -> list[str]:
    """EXPLAIN (ANALYZE, BUFFERS) of the claim queries the sweep ran, on freshly due rows; rolled back."""
    from django.db import connection, transaction

    make_due(plan)
    execute("VACUUM deadlines_deadline")
    out = []
    for sql in claims:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql)
                lines = [row[0] for row in cursor.fetchall()]
            transaction.set_rollback(True)
        out.append(sql + "\n" + "\n".join(lines))
    return out


def child(plan_path: str) -> None:
    environment()
    django_setup()
    raw = json.loads(Path(plan_path).read_text())
    plan = Plan(**{**raw, "scenario": Scenario(**raw["scenario"])})
    runs: list[Run] = []
    profile_text = ""
    for number in range(plan.runs):
        profiler = cProfile.Profile() if plan.profile and number == plan.runs - 1 else None
        run = measure_once(plan, profiler)
        runs.append(run)
        print(
            f"    run {number + 1}{' (first in process)' if number == 0 else '':<19} {run.ms:8.1f} ms  "
            f"(CPU: Python {run.cpu_ms:6.1f} ms, PostgreSQL {run.db_cpu_ms:5.0f} ms)  "
            f"warned {run.warned:>4}  breached {run.breached:>4}  escalated {run.escalated:>4}  "
            f"notices {run.notices:>4}  queries {run.queries:>5}",
            flush=True,
        )
        if profiler is not None:
            stream = io.StringIO()
            stats = pstats.Stats(profiler, stream=stream)
            stats.sort_stats("cumulative").print_stats(45)
            stats.sort_stats("tottime").print_stats(25)
            profile_text = stream.getvalue()
    explains = explain_claims(plan, runs[0].claims) if plan.explain else []
    make_due(plan)  # leave the rows due, not swept, for a look in psql; the next scenario resets them
    clear_notices_and_tasks(plan.hall_ids)
    Path(plan.result_path).write_text(
        json.dumps({"runs": [asdict(r) for r in runs], "profile": profile_text, "explain": explains})
    )


# --- orchestration (parent process) ---------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--halls", type=int, default=100, help="bench halls (default 100)")
    parser.add_argument("--rows", type=int, default=1_000_000, help="open deadlines in the big scenario")
    parser.add_argument("--small-rows", type=int, default=100_000, help="open deadlines in the small scenario")
    parser.add_argument(
        "--mix", default="500,500", help="due rows as warnings,breaches[,escalations] (default 500,500)"
    )
    parser.add_argument("--runs", type=int, default=5, help="measured sweeps per scenario (default 5)")
    parser.add_argument("--quick", action="store_true", help="only the headline scenario (--rows, all halls)")
    parser.add_argument("--profile", action="store_true", help="cProfile the last sweep of the headline scenario")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not args.quick and args.small_rows > args.rows:
        parser.error("--small-rows must not exceed --rows")
    return args


def run_child(plan: Plan) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-sweep-") as tmp:
        plan_path = Path(tmp) / "plan.json"
        plan.result_path = str(Path(tmp) / "result.json")
        plan_path.write_text(json.dumps(asdict(plan)))
        subprocess.run(
            [sys.executable, str(Path(__file__).resolve()), "--child", str(plan_path)],
            check=True,
            cwd=REPO_ROOT,
            env=os.environ.copy(),
        )
        result: dict[str, Any] = json.loads(Path(plan.result_path).read_text())
    return result


def main() -> None:
    args = parse_args()
    if args.child:
        child(args.child)
        return
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    env = environment()
    ensure_database(env["DATABASE_URL"])
    django_setup()
    from django.conf import settings
    from django.core.management import call_command

    print(
        f"Database {settings.DATABASES['default']['NAME']}, broker {settings.CELERY_BROKER_URL}, "
        f"queue {settings.CELERY_TASK_DEFAULT_QUEUE}",
        flush=True,
    )
    call_command("migrate_all", verbosity=0)
    load_before = os.getloadavg()[0]
    hall_ids = ensure_halls(args.halls)
    staff = ensure_staff(hall_ids)
    calendars_ready(hall_ids)
    clear_rows(bench_hall_ids())
    warn, breach, escalate = [*(int(x) for x in args.mix.split(",")), 0][:3]

    scenarios: list[Scenario] = []
    if not args.quick:
        scenarios.append(
            Scenario(f"{args.small_rows:,} open, {args.halls} halls", args.small_rows, args.halls, warn, breach)
        )
    scenarios.append(Scenario(f"{args.rows:,} open, {args.halls} halls", args.rows, args.halls, warn, breach, escalate))
    if not args.quick:
        scenarios.append(Scenario(f"{args.rows:,} open, due in 10 halls", args.rows, min(10, args.halls), warn, breach))
        third = (warn + breach) // 3
        scenarios.append(
            Scenario(f"{args.rows:,} open, 3 steps", args.rows, args.halls, warn + breach - 2 * third, third, third)
        )

    loaded = 0
    results: list[tuple[Scenario, dict[str, Any]]] = []
    previous: list[int] = []
    headline = scenarios[1] if len(scenarios) > 1 else scenarios[0]
    for scenario in scenarios:
        if scenario.open_rows > loaded:
            started = time.perf_counter()
            load_rows(loaded + 1, scenario.open_rows, hall_ids, staff)
            print(
                f"Loaded deadlines {loaded + 1:,} … {scenario.open_rows:,} in {time.perf_counter() - started:.1f} s",
                flush=True,
            )
            started = time.perf_counter()
            vacuum_analyze()
            print(f"VACUUM ANALYZE in {time.perf_counter() - started:.1f} s", flush=True)
            loaded = scenario.open_rows
        make_not_due(previous)
        warn_ids, breach_ids, escalate_ids = pick_due(scenario, hall_ids)
        previous = warn_ids + breach_ids + escalate_ids
        plan = Plan(
            scenario=scenario,
            runs=args.runs,
            hall_ids=hall_ids,
            handlers={str(h): staff[h][1] for h in hall_ids},
            warn_ids=warn_ids,
            breach_ids=breach_ids,
            escalate_ids=escalate_ids,
            profile=args.profile and scenario is headline,
            # the claims of all three steps, where all three find rows (else the headline's)
            explain=scenario.escalate > 0 or len(scenarios) == 1,
        )
        make_due(plan)
        counts = due_counts()
        total = scalar("SELECT count(*) FROM deadlines_deadline")
        print(
            f"\n{scenario.label}: {total:,} rows, due now: {counts['warn']} for warning, "
            f"{counts['breach']} for breach, {counts['escalate']} for escalation",
            flush=True,
        )
        results.append((scenario, run_child(plan)))

    print()
    print(f"Machine: {machine_summary()}; PostgreSQL {postgres_version()}")
    print(f"Load average (1 min): {load_before:.2f} at the start, {os.getloadavg()[0]:.2f} at the end.")
    print(f"{args.runs} sweeps per scenario, each in a fresh process; run 1 is the first sweep of that process.")
    print("Milliseconds of wall-clock time; CPU py / CPU pg: median CPU time of runs 2+ in the Python process")
    print("and in its PostgreSQL backend (10 ms resolution).")
    print()
    header = (
        f"{'scenario':<34} {'due W/B/E':>13} {'run 1 ms':>9} {'median 2+':>10} {'min':>7} {'max':>7} "
        f"{'CPU py':>7} {'CPU pg':>7} {'queries':>8} {'notices':>8}"
    )
    print(header)
    print("-" * len(header))
    for scenario, result in results:
        runs = [Run(**r) for r in result["runs"]]
        rest = runs[1:] or runs
        later = [r.ms for r in rest]
        mix = f"{scenario.warn}/{scenario.breach}/{scenario.escalate}"
        print(
            f"{scenario.label:<34} {mix:>13} {runs[0].ms:9.1f} {statistics.median(later):10.1f} "
            f"{min(later):7.1f} {max(later):7.1f} {statistics.median(r.cpu_ms for r in rest):7.1f} "
            f"{statistics.median(r.db_cpu_ms for r in rest):7.0f} {runs[-1].queries:>8} {runs[-1].notices:>8}"
        )
    for scenario, result in results:
        if scenario is headline:
            last = Run(**result["runs"][-1])
            print(f"\nQueries of the last sweep, {scenario.label} (count, milliseconds from send to result):")
            for kind, count in last.query_kinds.items():
                print(f"  {count:>5}  {last.query_ms.get(kind, 0):7.2f} ms  {kind}")
            print(f"         {sum(last.query_ms.values()):7.2f} ms  in all, of {last.ms:.1f} ms")
            if result["profile"]:
                print("\nProfile of the last sweep:\n" + result["profile"])
    for scenario, result in results:
        for text in result["explain"]:
            print(f"\nEXPLAIN (ANALYZE, BUFFERS) of a claim, {scenario.label}, on freshly due rows:\n{text}")
    headline_runs = next(result["runs"] for scenario, result in results if scenario is headline)
    median = statistics.median(r["ms"] for r in headline_runs[1:]) if args.runs > 1 else headline_runs[0]["ms"]
    verdict = "under" if median < TARGET_MS else "OVER"
    print(f"\nHeadline ({headline.label}): median {median:.1f} ms, {verdict} the {TARGET_MS:.0f} ms target.")


if __name__ == "__main__":
    main()
