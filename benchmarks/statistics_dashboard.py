"""The city dashboard over 1,000,000 case facts in 100 halls, through gunicorn (target: p95 < 300 ms).

Set-up (not timed): a database of its own, dropped and created afresh (``bancheng_bench_statistics``
on the server of DATABASE_URL), ``migrate_all``, the Shaoguan demo (``seed_demo``: the city hall and
its 10 counties, their departments, the supervisor ``shaoguan_supervisor``), then:

* 89 more county halls under Shaoguan (``bench001`` …), 100 halls in the city in all, each with the
  8 departments of a demo county. They are inserted as rows (hall, domain, departments) **without
  schemas**: the city dashboard reads only public-schema facts (DESIGN.md 4.2), so a hall's own
  schema plays no part in what is measured, and cloning 89 schemas would only slow the set-up;
* 1,000,000 rows of ``coordination.CaseIndex`` (``--cases``), registered over the past 365 days
  (``--days``), spread over the halls with unequal sizes (the demo halls and a few others large),
  written in the order of registration as the services write them; channel, applicant kind, matter
  (17 matters, some in several spellings), handling category, status and result, flags, repeat
  reporters, follow-up and satisfaction, every step time;
* a ``coordination.SlipIndex`` row and a ``slip_reply`` deadline per transfer slip (the 40 % of cases
  that are 很难办 / 不给办; a quarter of them with two slips, a third of the first slips to a
  city-level department), and a ``feedback`` deadline per replied case: met on time or late, open,
  breached, with their working time; all written with COPY, then ``VACUUM ANALYZE``.

Measured: a real gunicorn (one sync worker, ``benchmarks/settings_tenant.py``: the application's
settings plus per-request query counting) on a free local port; a Python client on the same machine
logs in as ``shaoguan_supervisor`` on the base domain and sends one request at a time, on a fresh
connection:

* month     GET /stats/                         the current month so far (the dashboard's default);
* last      GET /stats/?month=<last month>      a whole month;
* year      GET /stats/?first=…&last=…          the last 365 days: every fact in the database;
* api       GET /api/v1/stats/                  when the statistics API exists (else skipped);
* fresh     GET /stats/?refresh=1               this month, counted anew on every request (reported:
  what a first view costs, and what beat does per city every STATS_MAX_AGE_SECONDS / 2).

The figures are kept for STATS_MAX_AGE_SECONDS (analytics/dashboards.py); the kept ones are dropped
before the server starts, so the first request of each scenario counts them ("first" in the table)
and the measured ones after it read them, as a supervisor's views within those minutes do. The
scenarios alternate request by request. Printed per scenario: the first request's latency; p50 / p95
/ max of the client's latency over the measured requests; the server's time inside the middleware
stack, the worker's CPU time per request and the statements sent to PostgreSQL. Before that,
in-process: each figure of ``figures_for`` for the city and the current month, timed alone, and
``dashboard_count`` (median of ``--selector-runs``). ``--explain`` adds EXPLAIN (ANALYZE, BUFFERS)
of every query of one city dashboard.

Run from the repository root:  python benchmarks/statistics_dashboard.py  (--quick for a smoke run, --help)
"""

from __future__ import annotations

import argparse
import os
import random
import re
import signal
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.casework import (
    MATTERS,
    Answer,
    BenchError,
    QueryTimer,
    WorkerClock,
    database_url,
    execute,
    login,
    recreate_database,
    scalar,
    send,
)
from benchmarks.common import bench_environment, django_setup, machine_summary, postgres_version, prepare_demo
from benchmarks.tenant_overhead import Configuration, Server, percentile

DEFAULT_DB_NAME = "bancheng_bench_statistics"
QUEUE = "bench-statistics"
CACHE_PREFIX = "bench-statistics"
CITY = "shaoguan"
SUPERVISOR = "shaoguan_supervisor"
TARGET_MS = 300.0
CHUNK = 50_000
DEPARTMENT_CODES = ["rsj", "scjgj", "gaj", "bdc", "ybj", "swj", "zjj", "zrzyj"]
# The same matter typed differently at different windows (grouped by hallindex.matters.matter_key).
SPELLINGS = {
    "社会保障卡补办": ["社保卡补办", "社会保障卡 补办", "社保卡补办业务"],
    "户口迁移": ["户口迁移手续", "户籍迁移"],
}
CATEGORIES = [("consultation", 35), ("cannot_do", 25), ("hard_to_do", 28), ("refused", 12)]
SATISFACTION = [
    ("very_satisfied", 40),
    ("satisfied", 35),
    ("fairly_satisfied", 15),
    ("dissatisfied", 7),
    ("very_dissatisfied", 3),
]
REASONS = ["litigation", "petition", "filed", "law_excluded"]
DAY_MINUTES = 390  # 08:30-12:00 and 14:30-17:30


def environment(args: argparse.Namespace) -> dict[str, str]:
    os.environ["DATABASE_URL"] = database_url(args.database)
    os.environ["CELERY_QUEUE"] = QUEUE
    os.environ["CACHE_KEY_PREFIX"] = CACHE_PREFIX
    return bench_environment()


# --- the halls --------------------------------------------------------------------------------------


def bench_halls(count: int) -> list[Any]:
    """The city's halls, ``count`` in all: the demo's 11 and bench counties inserted without schemas."""
    from django.conf import settings

    from tenants.models import Department, Domain, Hall, HallLevel

    city = Hall.objects.get(code=CITY)
    existing = list(Hall.objects.filter(pk=city.pk) | Hall.objects.filter(parent=city))
    extra = max(0, count - len(existing))
    rows = [
        Hall(
            code=f"bench{n:03d}",
            name=f"基准测试{n:03d}县政务服务中心",
            level=HallLevel.COUNTY,
            parent=city,
            region_code=f"99{n:04d}",
            schema_name=f"hall_bench{n:03d}",
        )
        for n in range(1, extra + 1)
    ]
    Hall.objects.bulk_create(rows)  # bulk_create skips TenantMixin.save(): no schema is created
    bench = list(Hall.objects.filter(code__startswith="bench", parent=city))
    Domain.objects.bulk_create(
        [Domain(domain=f"{h.code}.{settings.BASE_DOMAIN}", tenant=h, is_primary=True) for h in bench]
    )
    Department.objects.bulk_create(
        [Department(hall=h, code=code, name=f"{h.name[:-6]}{code}局") for h in bench for code in DEPARTMENT_CODES]
    )
    return list(Hall.objects.filter(pk=city.pk) | Hall.objects.filter(parent=city))


# --- the facts ---------------------------------------------------------------------------------------


@dataclass
class Counts:
    cases: int = 0
    slips: int = 0
    deadlines: int = 0
    by_status: Counter[str] = field(default_factory=Counter)


def _weighted(rng: random.Random, pairs: list[tuple[str, int]]) -> str:
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


def _working_days_after(start: datetime, days: int) -> datetime:
    at = start
    while days:
        at += timedelta(days=1)
        if at.weekday() < 5:
            days -= 1
    return at.replace(hour=17, minute=30, second=0, microsecond=0)


class Loader:
    """Generates the facts and writes them with COPY, a chunk of cases at a time."""

    CASE_COLUMNS = [
        "hall_id", "case_id", "number", "channel", "applicant_kind", "matter_name", "matter_key",
        "handling_category", "complexity", "status", "result", "exclusion_reason", "flagged_for_supervision",
        "meeting_requested", "satisfaction", "repeat_reporter", "reopened_count", "registered_at", "screened_at",
        "answered_at", "transferred_at", "replied_at", "fed_back_at", "followed_up_at", "closed_at", "updated_at",
    ]  # fmt: skip
    SLIP_COLUMNS = [
        "hall_id", "slip_id", "case_id", "slip_number", "case_number", "department_id", "matter_name",
        "handling_category", "complexity", "status", "result", "flagged_for_supervision", "deadline_id",
        "sent_at", "received_at", "replied_at", "returned_at", "updated_at",
    ]  # fmt: skip
    DEADLINE_COLUMNS = [
        "id", "hall_id", "kind", "subject_type", "subject_id", "subject_number", "owner_department_id", "rule",
        "rule_amount", "start_at", "due_at", "warn_at", "provisional", "state", "paused_seconds", "warned_at",
        "breached_at", "met_at", "worked_seconds", "escalation_level", "next_escalation_at", "created_at",
        "updated_at",
    ]  # fmt: skip

    def __init__(self, halls: list[Any], args: argparse.Namespace) -> None:
        from django.utils import timezone

        from hallindex.matters import matter_key
        from tenants.models import Department

        self.rng = random.Random(args.seed)
        self.args = args
        self.now = timezone.now()
        self.halls = halls
        city = next(h for h in halls if h.code == CITY)
        # Unequal halls: the demo's and every tenth bench hall four times as busy as the rest.
        self.weights = [4 if (not h.code.startswith("bench") or int(h.code[5:]) % 10 == 0) else 1 for h in halls]
        departments: dict[tuple[int, str], int] = {}
        for hall_id, code, pk in Department.objects.filter(hall__in=halls).values_list("hall_id", "code", "pk"):
            departments[(hall_id, code)] = pk
        self.departments = departments
        self.city_id = city.pk
        self.key = matter_key
        self.next_case = Counter[int]()
        self.next_slip = Counter[int]()
        self.deadline_id = int(scalar("SELECT coalesce(max(id), 0) FROM deadlines_deadline"))
        self.tz = timezone.get_current_timezone()
        self.counts = Counts()
        # Rows are written in the order of registration, as the services write them: a period's facts
        # sit together in the table, not scattered over all of it.
        self.instants = sorted(self._instant() for _ in range(args.cases))

    def _instant(self) -> datetime:
        """A registration time in office hours over the last ``--days`` days (never in the future)."""
        while True:
            day = (self.now - timedelta(days=self.rng.uniform(0, self.args.days))).astimezone(self.tz)
            if day.weekday() < 5 or self.rng.random() < 0.05:
                minutes = self.rng.randrange(DAY_MINUTES)
                start = (8 * 60 + 30) + minutes + (150 if minutes >= 210 else 0)
                at = day.replace(hour=start // 60, minute=start % 60, second=self.rng.randrange(60), microsecond=0)
                if at < self.now:
                    return at

    def _deadline(
        self, *, hall_id: int, kind: str, subject: str, subject_id: int, number: str, department: int | None,
        rule: str, amount: int, start: datetime, due: datetime, done: datetime | None, budget_s: int,
    ) -> tuple[int, list[Any]]:  # fmt: skip
        self.deadline_id += 1
        if done is not None:
            state = "met"
            late = done > due
            worked = (
                int(budget_s * (1 + self.rng.uniform(0.05, 1.5)))
                if late
                else int(budget_s * self.rng.uniform(0.05, 1.0))
            )
            breached = due if late else None
        elif due <= self.now:
            state, worked, breached = "breached", None, due
        else:
            state, worked, breached = "open", None, None
        warn = start + (due - start) * 0.75
        row = [
            self.deadline_id, hall_id, kind, subject, str(subject_id), number, department, rule, amount, start, due,
            warn, False, state, 0, warn if warn <= (done or self.now) else None, breached, done, worked,
            1 if state == "breached" else 0, None, start, done or start,
        ]  # fmt: skip
        self.counts.deadlines += 1
        return self.deadline_id, row

    def chunk(self, size: int) -> tuple[list[list[Any]], list[list[Any]], list[list[Any]]]:
        rng = self.rng
        cases, slips, deadlines = [], [], []
        hall_picks = rng.choices(self.halls, weights=self.weights, k=size)
        for hall, registered in zip(
            hall_picks, self.instants[self.counts.cases : self.counts.cases + size], strict=True
        ):
            self.next_case[hall.pk] += 1
            case_id = self.next_case[hall.pk]
            number = f"{hall.region_code}-{registered.year}-{case_id:06d}"
            matter, _department = rng.choice(MATTERS)
            shown = rng.choice([matter, *SPELLINGS.get(matter, [])])
            category = _weighted(rng, CATEGORIES)
            age = (self.now - registered).total_seconds() / 86400
            row: dict[str, Any] = {
                "status": "registered", "result": "", "exclusion_reason": "", "flagged": False, "meeting": False,
                "satisfaction": "", "screened_at": None, "answered_at": None, "transferred_at": None,
                "replied_at": None, "fed_back_at": None, "followed_up_at": None, "closed_at": None,
            }  # fmt: skip
            complexity = "complex" if rng.random() < 0.2 else "ordinary"
            if rng.random() < 0.05:
                row.update(status="not_accepted", exclusion_reason=rng.choice(REASONS), category="")
                row["screened_at"] = registered + timedelta(minutes=rng.randrange(5, 60))
                category = ""
            elif age < 0.02:
                category = ""  # just registered, not yet screened
            elif category in ("consultation", "cannot_do"):
                row["answered_at"] = registered + timedelta(minutes=rng.randrange(5, 40))
                row.update(status="answered", result="done" if category == "consultation" else "")
                told = row["answered_at"]
                self._follow_up(row, told, age)
            else:
                sent = registered + timedelta(minutes=rng.randrange(10, 120))
                row["transferred_at"] = sent
                row["flagged"] = category == "refused" and rng.random() < 0.5
                row["meeting"] = rng.random() < 0.03
                replied = self._slips(hall, case_id, number, shown, category, complexity, sent, row, slips, deadlines)
                if replied is not None:
                    row["replied_at"] = replied
                    row["result"] = _weighted(rng, [("done", 70), ("in_progress", 20), ("supplement", 10)])
                    fed_back = replied + timedelta(minutes=rng.randrange(10, 600))
                    feedback_done = fed_back if fed_back <= self.now else None
                    _id, feedback_row = self._deadline(
                        hall_id=hall.pk, kind="feedback", subject="casework.Case", subject_id=case_id, number=number,
                        department=None, rule="half_day", amount=0, start=replied, due=replied + timedelta(hours=4),
                        done=feedback_done, budget_s=DAY_MINUTES * 30,
                    )  # fmt: skip
                    deadlines.append(feedback_row)
                    if feedback_done is not None:
                        row.update(status="fed_back", fed_back_at=fed_back)
                        self._follow_up(row, fed_back, age)
                    else:
                        row["status"] = "replied"
                else:
                    row["status"] = "transferred"
            self.counts.by_status[row["status"]] += 1
            screened = registered + timedelta(minutes=2) if category else None
            cases.append(
                [
                    hall.pk, case_id, number, "phone" if rng.random() < 0.3 else "on_site",
                    "enterprise" if rng.random() < 0.15 else "person", shown, self.key(shown), category,
                    complexity if category else "", row["status"], row["result"], row["exclusion_reason"],
                    row["flagged"], row["meeting"], row["satisfaction"], rng.random() < 0.1,
                    1 if rng.random() < 0.02 else 0, registered, row["screened_at"] or screened,
                    row["answered_at"], row["transferred_at"], row["replied_at"], row["fed_back_at"],
                    row["followed_up_at"], row["closed_at"], self.now,
                ]
            )  # fmt: skip
        self.counts.cases += size
        return cases, slips, deadlines

    def _follow_up(self, row: dict[str, Any], told: datetime, age: float) -> None:
        if age > 7 and self.rng.random() < 0.8:
            followed = told + timedelta(days=self.rng.uniform(1, 5))
            if followed < self.now:
                row.update(status="followed_up", followed_up_at=followed)
                row["satisfaction"] = _weighted(self.rng, SATISFACTION)
                if self.rng.random() < 0.9:
                    row.update(status="closed", closed_at=followed + timedelta(hours=1))

    def _slips(
        self, hall: Any, case_id: int, number: str, matter: str, category: str, complexity: str, sent: datetime,
        row: dict[str, Any], slips: list[list[Any]], deadlines: list[list[Any]],
    ) -> datetime | None:  # fmt: skip
        """One or two slips; returns when the last was replied (None: some still open)."""
        rng = self.rng
        count = 2 if rng.random() < 0.25 else 1
        replied_all: datetime | None = sent
        for n in range(count):
            self.next_slip[hall.pk] += 1
            slip_id = self.next_slip[hall.pk]
            code = rng.choice(DEPARTMENT_CODES)
            city_level = n == 0 and rng.random() < 0.33
            department = self.departments[(self.city_id if city_level else hall.pk, code)]
            days = 5 if complexity == "complex" else 2
            due = _working_days_after(sent, days)
            roll = rng.random()
            if roll < 0.04:
                status, replied, returned = "returned", None, sent + timedelta(hours=rng.uniform(1, 20))
            elif roll < 0.84 or due < self.now - timedelta(days=30):
                late = rng.random() < 0.15
                replied = (
                    due + timedelta(hours=rng.uniform(1, 72)) if late else sent + (due - sent) * rng.uniform(0.05, 0.95)
                )
                status, returned = "replied", None
                if replied > self.now:
                    status, replied = "received", None
            else:
                status, replied, returned = rng.choice(["sent", "received", "awaiting_supplement"]), None, None
            deadline_id, deadline_row = self._deadline(
                hall_id=hall.pk, kind="slip_reply", subject="casework.TransferSlip", subject_id=slip_id,
                number=f"{number}-{n + 1}", department=department, rule="working_days", amount=days, start=sent,
                due=due, done=replied, budget_s=days * DAY_MINUTES * 60,
            )  # fmt: skip
            if returned is not None:  # a returned slip's deadline is cancelled
                deadline_row[13], deadline_row[15:19] = "cancelled", [None, None, None, None]
                deadline_row[19] = 0
            deadlines.append(deadline_row)
            slips.append(
                [
                    hall.pk, slip_id, case_id, f"{number}-{n + 1}", number, department, matter, category, complexity,
                    status, row["result"] if replied else "", row["flagged"], deadline_id, sent,
                    sent + timedelta(minutes=rng.randrange(5, 300)) if status != "sent" else None, replied, returned,
                    self.now,
                ]
            )  # fmt: skip
            self.counts.slips += 1
            if replied is None:
                replied_all = None
            elif replied_all is not None:
                replied_all = max(replied_all, replied)
        return replied_all if replied_all != sent else None


def _copy(table: str, columns: list[str], rows: list[list[Any]]) -> None:
    from django.db import connection
    from psycopg import sql

    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(sql.Identifier(c) for c in columns)
    )
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


def load(args: argparse.Namespace) -> dict[str, Any]:
    from django.db import transaction

    started = time.perf_counter()
    halls = bench_halls(args.halls)
    loader = Loader(halls, args)
    written = 0
    while written < args.cases:
        size = min(CHUNK, args.cases - written)
        cases, slips, deadlines = loader.chunk(size)
        with transaction.atomic():
            _copy("deadlines_deadline", Loader.DEADLINE_COLUMNS, deadlines)
            _copy("coordination_caseindex", Loader.CASE_COLUMNS, cases)
            _copy("coordination_slipindex", Loader.SLIP_COLUMNS, slips)
        written += size
        elapsed = time.perf_counter() - started
        print(f"  {written:>9,} cases, {loader.counts.slips:,} slips, {loader.counts.deadlines:,} deadlines "
              f"({elapsed:.0f} s)", flush=True)  # fmt: skip
    execute(
        "SELECT setval(pg_get_serial_sequence('deadlines_deadline', 'id'), "
        "(SELECT coalesce(max(id), 0) + 1 FROM deadlines_deadline), false)"
    )
    load_seconds = time.perf_counter() - started
    started = time.perf_counter()
    for table in ("coordination_caseindex", "coordination_slipindex", "deadlines_deadline", "tenants_hall"):
        execute(f"VACUUM ANALYZE {table}")
    return {
        "halls": len(halls),
        "counts": loader.counts,
        "load_seconds": load_seconds,
        "vacuum_seconds": time.perf_counter() - started,
    }


# --- what is measured ----------------------------------------------------------------------------------


@dataclass
class Scenario:
    key: str
    label: str
    path: str
    target: bool = True  # held to the target (the "counted afresh" scenario is reported, not judged)


@dataclass
class Sample:
    client_ms: list[float] = field(default_factory=list)
    first_ms: float = 0.0  # the first request, nothing kept yet: the figures counted
    server_ms: list[float] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)
    statements: Counter[int] = field(default_factory=Counter)
    bytes: int = 0


def scenarios(today: date) -> list[Scenario]:
    last_month = (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    year = f"first={(today - timedelta(days=364)).isoformat()}&last={today.isoformat()}"
    return [
        Scenario("month", "city dashboard, this month", "/stats/"),
        Scenario("last", "city dashboard, last month", f"/stats/?month={last_month}"),
        Scenario("year", "city dashboard, 365 days", f"/stats/?{year}"),
        Scenario("api", "statistics API, this month", "/api/v1/stats/"),
        # every request counts anew: what a first view costs, and beat's work per city
        Scenario("fresh", "this month, counted afresh", "/stats/?refresh=1", target=False),
    ]


def measure(port: int, pid: int, base: str, items: list[Scenario], args: argparse.Namespace) -> dict[str, Sample]:
    from tenants.demo import DEMO_PASSWORD

    cookie = login(port, base, SUPERVISOR, DEMO_PASSWORD)
    clock = WorkerClock(pid)
    samples = {item.key: Sample() for item in items}

    def request(item: Scenario) -> Answer:
        answer = send(port, "GET", base, item.path, {"Cookie": cookie})
        if answer.status != 200:
            raise BenchError(
                f"GET {item.path} answered {answer.status}:\n{answer.body[:600].decode('utf-8', 'replace')}"
            )
        return answer

    for item in items:  # the first view of each: nothing kept yet (the cache was emptied)
        answer = request(item)
        samples[item.key].bytes, samples[item.key].first_ms = len(answer.body), answer.ms
    for _ in range(args.warmup):
        for item in items:
            request(item)
    for number in range(args.requests):
        for item in items:
            before = clock.seconds()
            answer = request(item)
            after = clock.seconds()
            sample = samples[item.key]
            sample.client_ms.append(answer.ms)
            if before is not None and after is not None:
                sample.cpu_ms.append((after - before) * 1000)
            if answer.header("x-bench-server-us"):
                sample.server_ms.append(int(answer.header("x-bench-server-us")) / 1000)
                sample.statements[int(answer.header("x-bench-statements"))] += 1
        if (number + 1) % 20 == 0:
            print(f"  {number + 1} of {args.requests} rounds", flush=True)
    return samples


def api_exists(port: int, base: str) -> bool:
    """Whether /api/v1/stats/ is routed (401/403 without credentials, 404 when it does not exist)."""
    return send(port, "GET", base, "/api/v1/stats/").status != 404


def selector_timings(runs: int) -> list[tuple[str, float, int]]:
    """Each figure of the city dashboard for the current month, alone: (name, median ms, queries)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from analytics import selectors as s
    from analytics.dashboards import dashboard_count
    from tenants.models import Hall

    scope = s.Scope.of_city(Hall.objects.get(code=CITY))
    period = s.Period.month_of(timezone.localdate())
    steps: list[tuple[str, Any]] = [
        ("case_figures", lambda f: s.case_figures(scope=scope, period=period, figures=f)),
        ("matter_figures", lambda f: s.matter_figures(scope=scope, period=period, figures=f)),
        ("department_figures", lambda f: s.department_figures(scope=scope, period=period, figures=f)),
        ("stage_figures", lambda f: s.stage_figures(scope=scope, period=period, figures=f)),
        ("overdue_now", lambda f: s.overdue_now(scope=scope, figures=f)),
        ("follow_up_figures", lambda f: s.follow_up_figures(scope=scope, period=period, figures=f)),
        ("suggestion_figures", lambda f: s.suggestion_figures(scope=scope, period=period, figures=f)),
        ("hall_figures", lambda f: s.hall_figures(scope=scope, period=period, figures=f)),
        ("figures_for (all of the above)", lambda f: s.figures_for(scope=scope, period=period)),
        ("recurring_problems (alone)", lambda f: s.recurring_problems(scope=scope, period=period, limit=20)),
        ("dashboard_count (both periods)", lambda f: dashboard_count(scope=scope, period=period)),
    ]
    results = []
    for name, step in steps:
        step(s.Figures(period={}))  # warm
        times = []
        queries = 0
        for _ in range(runs):
            started = time.perf_counter()
            with CaptureQueriesContext(connection) as captured:
                step(s.Figures(period={}))
            times.append((time.perf_counter() - started) * 1000)
            queries = len(captured.captured_queries)
        results.append((name, statistics.median(times), queries))
    return results


def _oneline(sql: str) -> str:
    return re.sub(r"\s+", " ", sql)


def explain() -> None:
    """Every query of one city dashboard (this month) by time, with EXPLAIN (ANALYZE, BUFFERS)."""
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from tenants.demo import DEMO_PASSWORD

    client = Client(HTTP_HOST=settings.BASE_DOMAIN)
    if client.post("/accounts/login/", {"username": SUPERVISOR, "password": DEMO_PASSWORD}).status_code != 302:
        raise BenchError("in-process login failed")
    client.get("/stats/")
    timer = QueryTimer()
    with CaptureQueriesContext(connection) as captured, connection.execute_wrapper(timer):
        client.get("/stats/")
    queries = sorted(
        ({"sql": q["sql"], "time": t} for q, t in zip(captured.captured_queries, timer.seconds, strict=False)),
        key=lambda q: -q["time"],
    )
    print(f"\nGET /stats/ in-process: {len(queries)} queries, {sum(q['time'] for q in queries) * 1000:.1f} ms")
    for query in queries[:15]:
        print(f"  {query['time'] * 1000:8.2f} ms  {_oneline(query['sql'])[:160]}")
    connection.set_schema_to_public()  # type: ignore[attr-defined]
    for query in queries[:6]:
        if not query["sql"].lstrip().upper().startswith("SELECT") or query["time"] < 0.005:
            continue
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + query["sql"])
            plan = "\n".join("    " + row[0] for row in cursor.fetchall())
        print(f"\n  EXPLAIN (ANALYZE, BUFFERS) {_oneline(query['sql'])[:300]}\n{plan}")


# --- main ----------------------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--cases", type=int, default=1_000_000, help="case facts (default 1,000,000)")
    parser.add_argument("--halls", type=int, default=100, help="halls in the city (default 100)")
    parser.add_argument("--days", type=int, default=365, help="the cases are registered over this many days")
    parser.add_argument("--requests", type=int, default=100, help="measured requests per scenario (default 100)")
    parser.add_argument("--warmup", type=int, default=5, help="unmeasured requests per scenario first")
    parser.add_argument("--selector-runs", type=int, default=5, help="in-process runs of each figure (default 5)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the generated data")
    parser.add_argument("--database", default=DEFAULT_DB_NAME, help=f"database name (default {DEFAULT_DB_NAME})")
    parser.add_argument("--reuse", action="store_true", help="keep the database loaded by an earlier run")
    parser.add_argument("--only", default="", help="comma-separated scenarios (month,last,year,api)")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE the queries of one dashboard")
    parser.add_argument(
        "--random-page-cost",
        type=float,
        help="ALTER DATABASE … SET random_page_cost (1.1 is the usual value on SSDs; default: the server's)",
    )
    parser.add_argument("--quick", action="store_true", help="a smoke run: 20,000 cases, few requests")
    args = parser.parse_args()
    if args.quick:
        args.cases, args.requests, args.warmup, args.selector_runs = 20_000, 10, 1, 2
    if args.halls < 11:
        parser.error("--halls: at least the demo's 11")
    return args


def main() -> None:
    args = parse_args()
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    env = environment(args)
    if not args.reuse:
        recreate_database(env["DATABASE_URL"])
    django_setup()
    from django.conf import settings
    from django.db import connection
    from django.utils import timezone

    from hallindex.models import CaseIndex
    from tenants.routing import forget_all_hosts

    print(f"Database {settings.DATABASES['default']['NAME']}, cache prefix {CACHE_PREFIX}", flush=True)
    load_before = os.getloadavg()
    figures: dict[str, Any] = {}
    if not args.reuse:
        started = time.perf_counter()
        prepare_demo()
        print(f"migrate_all and seed_demo in {time.perf_counter() - started:.1f} s", flush=True)
        print("Loading the facts …", flush=True)
        figures = load(args)
        print(f"Loaded in {figures['load_seconds']:.1f} s, VACUUM ANALYZE in {figures['vacuum_seconds']:.1f} s")
    forget_all_hosts()
    name = settings.DATABASES["default"]["NAME"]
    if args.random_page_cost is None:
        execute(f'ALTER DATABASE "{name}" RESET random_page_cost')
    else:
        execute(f'ALTER DATABASE "{name}" SET random_page_cost = {float(args.random_page_cost)}')
    connection.close()  # the setting applies to new connections
    page_cost = scalar("SHOW random_page_cost")
    print(f"random_page_cost = {page_cost}", flush=True)
    facts = CaseIndex.objects.count()
    if not facts:
        sys.exit("No case facts: run without --reuse.")
    pg_version = postgres_version()
    args.page_cost = page_cost
    timings = selector_timings(args.selector_runs)
    print("\nIn-process, city scope, this month (median ms, queries):")
    for name, ms, queries in timings:
        print(f"  {name:<32} {ms:8.1f} ms  {queries:>3}")
    if args.explain:
        explain()
    connection.close()

    from analytics.dashboards import dashboards_forget_all

    print(f"Kept statistics dropped: {dashboards_forget_all()}", flush=True)
    items = scenarios(timezone.localdate())
    if args.only:
        wanted = set(args.only.split(","))
        items = [i for i in items if i.key in wanted]
    config = Configuration(
        "statistics", "benchmarks.settings_tenant", f"{CITY}.{settings.BASE_DOMAIN}", settings.BASE_DOMAIN
    )
    load_start = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bancheng-bench-") as log_dir:
        server = Server(config, env, Path(log_dir))
        try:
            server.wait_ready()
            if any(i.key == "api" for i in items) and not api_exists(server.port, settings.BASE_DOMAIN):
                print("\n/api/v1/stats/ does not exist yet: the api scenario is skipped.")
                items = [i for i in items if i.key != "api"]
            started = time.perf_counter()
            samples = measure(server.port, server.process.pid, settings.BASE_DOMAIN, items, args)
            seconds = time.perf_counter() - started
        except BenchError as error:
            print(f"\nFAILED: {error}\n\ngunicorn log:\n{server.log_tail()}", file=sys.stderr)
            server.stop()
            sys.exit(2)
        finally:
            server.stop()
    load_end = os.getloadavg()
    report(args, items, samples, figures, facts, pg_version, (load_before, load_start, load_end), seconds)


def report(
    args: argparse.Namespace,
    items: list[Scenario],
    samples: dict[str, Sample],
    figures: dict[str, Any],
    facts: int,
    pg_version: str,
    loads: tuple[tuple[float, float, float], ...],
    seconds: float,
) -> None:
    print()
    print(f"Machine: {machine_summary()}; PostgreSQL {pg_version}; random_page_cost {args.page_cost}")
    print("Load average (1/5/15 min): " + "; ".join(
        f"{label} {a:.2f}/{b:.2f}/{c:.2f}"
        for label, (a, b, c) in zip(("start", "measuring from", "measuring to"), loads, strict=True)
    ))  # fmt: skip
    if figures:
        counts: Counts = figures["counts"]
        print(
            f"Loaded {counts.cases:,} case facts in {figures['halls']} halls, {counts.slips:,} slips, "
            f"{counts.deadlines:,} deadlines in {figures['load_seconds']:.1f} s "
            f"+ {figures['vacuum_seconds']:.1f} s VACUUM ANALYZE"
        )
    else:
        print(f"Reused the loaded database ({facts:,} case facts).")
    print(
        f"gunicorn: 1 sync worker; client: 1 request at a time, a new connection each; {args.warmup} warm-up "
        f"requests per scenario, then {args.requests} measured per scenario, alternating ({seconds:.1f} s)\n"
    )
    header = f"{'scenario':<28} {'first ms':>8} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7} {'server p50':>10} {'CPU ms':>7} {'statements':>10} {'KB':>6}  verdict"  # noqa: E501
    print(header)
    print("-" * len(header))
    footnote = (
        "first: the first request of the scenario, nothing kept yet (the figures counted then); p50/p95/max: the\n"
        "requests after it, which read the figures kept for STATS_MAX_AGE_SECONDS (analytics/dashboards.py),\n"
        "except 'counted afresh' (?refresh=1), which counts on every request."
    )
    for item in items:
        s = samples[item.key]
        p95 = percentile(s.client_ms, 0.95)
        usual = s.statements.most_common(1)[0][0] if s.statements else 0
        cpu = f"{statistics.mean(s.cpu_ms):7.1f}" if s.cpu_ms else f"{'-':>7}"
        verdict = f"under {TARGET_MS:.0f} ms" if p95 < TARGET_MS else f"OVER {TARGET_MS:.0f} ms"
        if not item.target:
            verdict = "(reported, not judged)"
        print(
            f"{item.label:<28} {s.first_ms:8.1f} {percentile(s.client_ms, 0.5):7.1f} {p95:7.1f} "
            f"{max(s.client_ms):7.1f} "
            f"{percentile(s.server_ms, 0.5):10.1f} {cpu} {usual:>10} {s.bytes / 1024:6.1f}  {verdict}"
        )
    print(footnote)


if __name__ == "__main__":
    main()
