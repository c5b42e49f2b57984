"""The city portal and a city-level department's inbox with 100 halls and 1,000,000 cases, through gunicorn.

The issue's target: with 100 halls in the city and 1,000,000 cases in all, the supervision portal's
overview and the inbox of a city-level department answer within 100 ms at p95, through a real server.

Set-up (not timed against the target): a database of its own, dropped and created afresh
(``bancheng_bench_city_portal`` on the server of DATABASE_URL), ``migrate_all``, the Shaoguan demo
(``seed_demo``: the city hall and 10 counties), then 89 more county halls under ``shaoguan``
(``--halls`` in all), each a real hall with its own schema, made by ``tenants.services.hall_create``
(timed and printed), and the demo's eight stationed departments for each (``department_create``).

Then the public-schema rows the portal and the inbox read, written with COPY, one transaction per
hall. Both pages read only public-schema rows, so the cases themselves are not written into the
halls' schemas (``benchmarks/casework.py`` does that, for the pages that read them):

* ``--cases`` rows of ``coordination.CaseIndex`` (1,000,000), spread unevenly over the halls (the
  city hall twice the weight of a county), registered over the past two years; 30 %
  (``--transferred``) transferred, the rest answered at the window (mostly closed a day or so
  later, 1 % never closed) or not accepted (9 %); cases of the last hours still registered;
* per transferred case one slip (two for a quarter), its ``SlipIndex`` row and its ``slip_reply``
  ``Deadline`` (2 or 5 working days, the warning at three quarters): a first slip goes to the
  city-level 韶关市人社局 (``shaoguan/rsj``) with probability 0.3 (``--city-share``), otherwise to
  the hall's own department for the matter; most slips are replied in time, 12 % late and 2 %
  very late (the busy city bureau: 30 % and 5 %). A slip whose reply lies in the future is open
  now (sent, received or waiting for materials), its deadline open, warned (yellow), breached
  (red, escalated once a day up to 4 levels) or paused; a replied one is met;
* when every slip is replied, a ``feedback`` deadline (half a day), then feedback, follow-up and
  closing (3 % never closed); 15 % of the transferred cases are 不给办 (``refused``), flagged for
  supervision;
* supervision orders (open ones on flagged cases and red slips, many closed ones) and city and
  hall joint meetings with cases, invitations and resolutions (some owned by ``shaoguan/rsj``),
  with their deadlines (ORM ``bulk_create``: a few thousand rows); then ``VACUUM ANALYZE``.

Measured: one gunicorn with one sync worker (``benchmarks/settings_tenant.py``: the application's
settings plus per-request query counting) on a free local port; a Python client on the same machine
sends one request at a time, each on a new connection, to the bare base domain:

* portal page    GET /portal/ as shaoguan_supervisor (session from the login form, CSRF and all);
* portal API     GET /api/v1/portal/overview/ as shaoguan_supervisor (API token);
* inbox page     GET /inbox/ as shaoguan_rsj (session): the open slips of 100 halls, first page;
* inbox API      GET /api/v1/inbox/ as shaoguan_rsj (API token);
* inbox, all     GET /inbox/?status=all as shaoguan_rsj: every slip, replied ones included.

After a warm-up the endpoints alternate request by request. Printed per endpoint: p50 / p95 / max of
the client's latency, the server's time inside the middleware stack, the worker's CPU time per
request and the statements sent to PostgreSQL. ``--explain`` then runs each endpoint once
in-process, lists its queries by time and EXPLAINs (ANALYZE, BUFFERS) those over 1 ms.

Run from the repository root:  python benchmarks/city_portal.py  (--quick for a smoke run, --help)
"""

from __future__ import annotations

import argparse
import enum
import json
import math
import os
import random
import re
import signal
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.casework import (
    MATTERS,
    BenchError,
    Client,
    QueryTimer,
    Sample,
    Scenario,
    database_url,
    in_process_client,
    in_process_request,
    measure,
    recreate_database,
    table_columns,
)
from benchmarks.common import (
    bench_environment,
    clear_queue,
    django_setup,
    execute,
    machine_summary,
    postgres_version,
    prepare_demo,
    scalar,
)
from benchmarks.tenant_overhead import Configuration, Server, percentile

DEFAULT_DB_NAME = "bancheng_bench_city_portal"
QUEUE = "bench-city-portal"
CACHE_PREFIX = "bench-city-portal"
CITY_DEPARTMENT = ("shaoguan", "rsj")
EXTRA_CODE, EXTRA_REGION = "sgbench", "447"  # the added halls: sgbench01 …, region codes 447001 …
TARGET_MS = 100.0
TZ = ZoneInfo("Asia/Shanghai")
DAY = timedelta(days=1)
HOUR = timedelta(hours=1)


# --- environment --------------------------------------------------------------------------------------


def environment(args: argparse.Namespace) -> dict[str, str]:
    os.environ["DATABASE_URL"] = database_url(args.database)
    os.environ["CELERY_QUEUE"] = QUEUE
    os.environ["CACHE_KEY_PREFIX"] = CACHE_PREFIX
    return bench_environment()


# --- halls and departments ----------------------------------------------------------------------------


def create_halls(count: int) -> tuple[list[Any], dict[str, Any]]:
    """The demo's halls (city first) plus ``count - 11`` county halls made by hall_create; returns the
    halls in use (``count`` of them) and timing figures."""
    from tenants.demo import CITY, COUNTIES, DEPARTMENTS
    from tenants.models import Department, Hall, HallLevel
    from tenants.services import department_create, hall_create

    demo = [CITY[0], *(code for code, _name, _region in COUNTIES)]
    codes = demo[:count]
    figures: dict[str, Any] = {"hall_seconds": [], "department_seconds": 0.0}
    extra = max(0, count - len(demo))
    for n in range(1, extra + 1):
        code = f"{EXTRA_CODE}{n:02d}"
        codes.append(code)
        if Hall.objects.filter(code=code).exists():
            continue
        place = f"韶关基准{n:02d}区"
        started = time.perf_counter()
        hall_create(
            code=code,
            name=f"{place}政务服务中心",
            level=HallLevel.COUNTY,
            region_code=f"{EXTRA_REGION}{n:03d}",
            parent_code=CITY[0],
        )
        figures["hall_seconds"].append(time.perf_counter() - started)
        started = time.perf_counter()
        existing = set(Department.objects.filter(hall__code=code).values_list("code", flat=True))
        for dept_code, pattern in DEPARTMENTS:
            if dept_code not in existing:
                department_create(hall_code=code, code=dept_code, name=pattern.format(p=place))
        figures["department_seconds"] += time.perf_counter() - started
        if n % 10 == 0 or n == extra:
            seconds = figures["hall_seconds"]
            print(
                f"  {n} of {extra} halls created, hall_create median {statistics.median(seconds):.3f} s",
                flush=True,
            )
    halls = sorted(Hall.objects.filter(code__in=codes), key=lambda h: codes.index(h.code))
    return halls, figures


# --- COPY ---------------------------------------------------------------------------------------------


class Table:
    """A public table written with COPY: rows given as dicts by attribute name, the other columns get
    their model default (auto_now fields: ``now``)."""

    def __init__(self, model: Any, now: datetime, *, with_id: bool) -> None:
        present = table_columns("public", model._meta.db_table)
        self.model = model
        self.fields = [f for f in model._meta.concrete_fields if (with_id or not f.primary_key) and f.column in present]
        self.names = [f.attname for f in self.fields]
        self.known = set(self.names)
        defaults = []
        for f in self.fields:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                defaults.append(now)
            else:
                value = f.get_default()
                if isinstance(value, enum.Enum):  # TextChoices: the value, not psycopg's idea of an enum
                    value = value.value
                defaults.append(json.dumps(value) if isinstance(value, dict | list) else value)
        self.defaults = dict(zip(self.names, defaults, strict=True))
        self.rows: list[tuple[Any, ...]] = []
        self.written = 0

    def add(self, values: dict[str, Any]) -> None:
        unknown = values.keys() - self.known
        if unknown:
            raise KeyError(f"{self.model.__name__} has no column(s) {sorted(unknown)}")
        defaults = self.defaults
        self.rows.append(tuple(values.get(name, defaults[name]) for name in self.names))

    def flush(self) -> None:
        from django.db import connection
        from psycopg import sql

        if not self.rows:
            return
        statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier("public", self.model._meta.db_table),
            sql.SQL(", ").join(sql.Identifier(f.column) for f in self.fields),
        )
        with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
            for row in self.rows:
                copy.write_row(row)
        self.written += len(self.rows)
        self.rows = []


# --- the rows of one hall -----------------------------------------------------------------------------


def working_days_after(start: datetime, days: int) -> datetime:
    """``start`` plus ``days`` weekdays (a plausible due time; the real one comes from the calendar)."""
    at = start
    while days:
        at += DAY
        if at.weekday() < 5:
            days -= 1
    return at


@dataclass
class Counts:
    cases: int = 0
    open_cases: int = 0
    flagged_open: int = 0
    slips: int = 0
    open_slips: int = 0
    deadlines: int = 0
    deadline_states: Counter[str] = field(default_factory=Counter)
    city_slips: int = 0
    city_open: int = 0

    def add(self, other: Counts) -> None:
        for name in ("cases", "open_cases", "flagged_open", "slips", "open_slips", "deadlines"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.city_slips += other.city_slips
        self.city_open += other.city_open
        self.deadline_states.update(other.deadline_states)


@dataclass
class Context:
    args: argparse.Namespace
    now: datetime
    city_rsj: Any
    city_rsj_handler: int
    city_departments: list[Any]
    departments: dict[int, list[Any]]  # hall id -> its own departments
    matter_keys: dict[str, str]
    next_deadline_id: int
    tables: dict[str, Table]


class HallLoader:
    """Generates one hall's CaseIndex, SlipIndex and Deadline rows."""

    def __init__(self, ctx: Context, hall: Any, cases: int) -> None:
        self.ctx, self.hall, self.size = ctx, hall, cases
        self.args, self.now = ctx.args, ctx.now
        self.rng = random.Random(f"{ctx.args.seed}:{hall.code}")
        own = ctx.departments.get(hall.pk, [])
        self.own_by_code = {d.code: d for d in own}
        self.routable = own + [d for d in ctx.city_departments if d.hall_id != hall.pk]
        self.counts = Counts()
        self.sequences: Counter[int] = Counter()

    def run(self) -> Counts:
        rng, now = self.rng, self.now
        span = self.args.days * 86400
        times = sorted(now - timedelta(seconds=rng.uniform(60, span)) for _ in range(self.size))
        for case_id, at in enumerate(times, 1):
            self.case(case_id, at)
        return self.counts

    def deadline(self, **values: Any) -> int:
        self.ctx.next_deadline_id += 1
        row = {"id": self.ctx.next_deadline_id, "hall_id": self.hall.pk, **values}
        row.setdefault("created_at", values["start_at"])
        row.setdefault("updated_at", values.get("met_at") or values["start_at"])
        self.ctx.tables["deadline"].add(row)
        self.counts.deadlines += 1
        self.counts.deadline_states[self.deadline_label(row)] += 1
        return row["id"]

    def deadline_label(self, row: dict[str, Any]) -> str:
        state = row.get("state", "open")
        if state == "open":
            if row["due_at"] <= self.now:
                return "open, overdue (red)"
            return "open, warned (yellow)" if row["warn_at"] <= self.now else "open"
        return state

    def case(self, case_id: int, at: datetime) -> None:
        rng = self.rng
        year = at.astimezone(TZ).year
        self.sequences[year] += 1
        number = f"{self.hall.region_code}-{year}-{self.sequences[year]:05d}"
        matter, matter_department = rng.choice(MATTERS)
        case: dict[str, Any] = {
            "hall_id": self.hall.pk,
            "case_id": case_id,
            "number": number,
            "channel": "phone" if rng.random() < 0.2 else "on_site",
            "applicant_kind": "enterprise" if rng.random() < 0.15 else "person",
            "matter_name": matter,
            "matter_key": self.ctx.matter_keys[matter],
            "repeat_reporter": rng.random() < 0.2,
            "registered_at": at,
            "status": "registered",
        }
        if rng.random() < self.args.transferred:
            self.transfer(case, matter_department)
        else:
            self.at_window(case)
        case.setdefault("updated_at", max(v for k, v in case.items() if k.endswith("_at") and v is not None))
        self.ctx.tables["case"].add(case)
        self.counts.cases += 1
        if case["status"] not in ("closed", "not_accepted"):
            self.counts.open_cases += 1
            self.counts.flagged_open += bool(case.get("flagged_for_supervision"))

    def at_window(self, case: dict[str, Any]) -> None:
        """Answered on the spot and closed since (mostly), or not accepted; the newest still registered."""
        rng, now = self.rng, self.now
        at = case["registered_at"]
        screened = at + timedelta(minutes=rng.uniform(5, 60)) if rng.random() < 0.9 else at + HOUR * rng.uniform(2, 60)
        if screened > now:
            return
        if rng.random() < 0.09:
            case.update(
                status="not_accepted",
                exclusion_reason=rng.choice(["litigation", "petition", "filed", "law_excluded"]),
                screened_at=screened,
            )
            return
        case.update(
            status="answered",
            handling_category="consultation" if rng.random() < 0.7 else "cannot_do",
            result="done",
            screened_at=screened,
            answered_at=screened,
        )
        closed = screened + DAY * rng.uniform(0.5, 3)
        if rng.random() >= 0.01 and closed <= now:
            case.update(status="closed", closed_at=closed)

    def transfer(self, case: dict[str, Any], matter_department: str) -> None:
        rng, now, ctx = self.rng, self.now, self.ctx
        sent_at = case["registered_at"] + timedelta(minutes=rng.uniform(10, 90))
        if sent_at > now:
            sent_at = now - timedelta(seconds=30)
        category = rng.choices(["hard_to_do", "cannot_do", "refused"], [50, 35, 15])[0]
        flagged = category == "refused"
        first = (
            ctx.city_rsj
            if rng.random() < self.args.city_share
            else self.own_by_code.get(matter_department) or rng.choice(self.routable)
        )
        targets = [first]
        if rng.random() < 0.25:
            targets.append(rng.choice([d for d in self.routable if d.pk != first.pk]))
        open_slips = 0
        awaiting = False
        last_reply = sent_at
        complex_case = False
        for sequence, department in enumerate(targets, 1):
            complexity = "complex" if rng.random() < 0.2 else "ordinary"
            complex_case |= complexity == "complex"
            amount = 5 if complexity == "complex" else 2
            due_at = working_days_after(sent_at, amount)
            warn_at = sent_at + (due_at - sent_at) * 0.75
            city = department.pk == ctx.city_rsj.pk
            late, very_late = (0.30, 0.05) if city else (0.12, 0.02)
            u = rng.random()
            if u < very_late:
                reply_at = due_at + DAY * rng.uniform(20, 200)
            elif u < very_late + late:
                reply_at = due_at + DAY * rng.uniform(0.2, 15)
            else:
                reply_at = sent_at + (due_at - sent_at) * rng.uniform(0.1, 0.95)
            received_at = min(sent_at + HOUR * rng.uniform(0.5, 20), sent_at + (reply_at - sent_at) / 2)
            slip_id = self.counts.slips + 1
            slip_number = f"{case['number']}-{sequence}"
            handler = ctx.city_rsj_handler if city else None
            deadline: dict[str, Any] = {
                "kind": "slip_reply",
                "subject_type": "casework.TransferSlip",
                "subject_id": str(slip_id),
                "subject_number": slip_number,
                "owner_department_id": department.pk,
                "rule": "working_days",
                "rule_amount": amount,
                "start_at": sent_at,
                "due_at": due_at,
                "warn_at": warn_at,
            }
            slip: dict[str, Any] = {
                "hall_id": self.hall.pk,
                "slip_id": slip_id,
                "case_id": case["case_id"],
                "slip_number": slip_number,
                "case_number": case["number"],
                "department_id": department.pk,
                "matter_name": case["matter_name"],
                "handling_category": category,
                "complexity": complexity,
                "flagged_for_supervision": flagged,
                "sent_at": sent_at,
            }
            if reply_at <= now:
                last_reply = max(last_reply, reply_at)
                slip.update(
                    status="replied",
                    result="done",
                    received_at=received_at,
                    received_by_id=handler,
                    replied_at=reply_at,
                    updated_at=reply_at,
                )
                worked = int((reply_at - sent_at).total_seconds() / 3)
                deadline.update(state="met", met_at=reply_at, worked_seconds=worked)
                if reply_at > warn_at:
                    deadline["warned_at"] = warn_at
                if reply_at > due_at:
                    deadline.update(breached_at=due_at, escalation_level=min(4, 1 + (reply_at - due_at).days))
            else:
                open_slips += 1
                status = "received" if received_at <= now else "sent"
                if status == "received" and rng.random() < 0.1:
                    status = "awaiting_supplement"
                    awaiting = True
                    remaining = max(int((due_at - received_at).total_seconds() / 3), 0)
                    slip.update(result="supplement")
                    deadline.update(state="paused", paused_at=received_at, remaining_seconds=remaining)
                elif due_at <= now:
                    level = min(4, 1 + (now - due_at).days)
                    deadline.update(
                        state="breached",
                        warned_at=warn_at,
                        breached_at=due_at,
                        escalation_level=level,
                        next_escalation_at=now + HOUR * rng.uniform(0.5, 3) if level < 4 else None,
                    )
                elif warn_at <= now:
                    deadline["warned_at"] = warn_at
                slip.update(
                    status=status,
                    received_at=received_at if status != "sent" else None,
                    received_by_id=handler if status != "sent" else None,
                    updated_at=received_at if status != "sent" else sent_at,
                )
                self.counts.open_slips += 1
                self.counts.city_open += city
            self.counts.slips += 1
            self.counts.city_slips += city
            slip["deadline_id"] = self.deadline(**deadline)
            ctx.tables["slip"].add(slip)
        case.update(
            handling_category=category,
            flagged_for_supervision=flagged,
            complexity="complex" if complex_case else "ordinary",
            screened_at=sent_at,
            transferred_at=sent_at,
        )
        if open_slips:
            case.update(
                status="awaiting_supplement" if awaiting else "transferred",
                result="supplement" if awaiting else "in_progress",
            )
            return
        fed_back = last_reply + HOUR * (rng.uniform(0.5, 3.5) if rng.random() < 0.95 else rng.uniform(4, 30))
        feedback: dict[str, Any] = {
            "kind": "feedback",
            "subject_type": "casework.Case",
            "subject_id": str(case["case_id"]),
            "subject_number": case["number"],
            "rule": "half_day",
            "start_at": last_reply,
            "due_at": last_reply + 4 * HOUR,
            "warn_at": last_reply + 3 * HOUR,
        }
        case.update(status="replied", result="done", replied_at=last_reply)
        if fed_back > now:
            if feedback["due_at"] <= now:
                feedback.update(
                    state="breached", warned_at=feedback["warn_at"], breached_at=feedback["due_at"], escalation_level=1
                )
            elif feedback["warn_at"] <= now:
                feedback["warned_at"] = feedback["warn_at"]
            self.deadline(**feedback)
            return
        feedback.update(state="met", met_at=fed_back, worked_seconds=int((fed_back - last_reply).total_seconds()))
        self.deadline(**feedback)
        case.update(status="fed_back", fed_back_at=fed_back)
        followed = fed_back + DAY * rng.uniform(2, 5)
        if followed > now:
            return
        case.update(
            status="followed_up",
            followed_up_at=followed,
            satisfaction=rng.choices(
                ["very_satisfied", "satisfied", "fairly_satisfied", "dissatisfied", "very_dissatisfied"],
                [45, 35, 12, 6, 2],
            )[0],
        )
        closed = followed + DAY * rng.uniform(1, 3)
        if closed <= now and rng.random() >= 0.03:
            case.update(status="closed", closed_at=closed)


# --- orders and meetings ------------------------------------------------------------------------------


def load_orders_and_meetings(ctx: Context, halls: list[Any], supervisor: Any) -> dict[str, int]:
    """Supervision orders and joint meetings with their deadlines (ORM bulk_create: small tables)."""
    from coordination.models import JointMeeting, MeetingCase, MeetingInvitation, MeetingResolution, SupervisionOrder
    from hallindex.models import CaseIndex, SlipIndex
    from hallplatform.deadlines.models import Deadline

    rng = random.Random(f"{ctx.args.seed}:coordination")
    now = ctx.now
    city = halls[0]
    hall_by_id = {h.pk: h for h in halls}
    departments = {d.pk: d for ds in ctx.departments.values() for d in ds}
    departments.update({d.pk: d for d in ctx.city_departments})
    deadlines: list[Deadline] = []
    scale = ctx.args.cases / 1_000_000

    def deadline(hall_id: int, kind: str, label: str, number: str, start: datetime, days: int, **state: Any) -> int:
        ctx.next_deadline_id += 1
        due = working_days_after(start, days)
        warn = start + (due - start) * 0.75
        values: dict[str, Any] = {"state": "open"}
        if state.get("met_at"):
            values.update(state="met", met_at=state["met_at"])
        elif state.get("cancelled_at"):
            values.update(state="cancelled", cancelled_at=state["cancelled_at"])
        elif due <= now:
            level = min(4, (now - due).days + 1)
            values.update(state="breached", warned_at=warn, breached_at=due, escalation_level=level)
        elif warn <= now:
            values["warned_at"] = warn
        deadlines.append(
            Deadline(
                id=ctx.next_deadline_id,
                hall_id=hall_id,
                kind=kind,
                subject_type=label,
                subject_id=f"pending-{ctx.next_deadline_id}",  # its subject's id, set below
                subject_number=number,
                owner_department_id=state.get("department_id"),
                rule="working_days",
                rule_amount=days,
                start_at=start,
                due_at=due,
                warn_at=warn,
                created_at=start,
                updated_at=start,
                **values,
            )
        )
        return ctx.next_deadline_id

    # Orders: open ones on open flagged cases and on red slips; closed ones over two years.
    flagged = list(
        CaseIndex.objects.filter(hall_id__in=hall_by_id, flagged_for_supervision=True)
        .exclude(status__in=["closed", "not_accepted"])
        .values("hall_id", "case_id", "number")
    )
    red = list(
        SlipIndex.objects.filter(
            hall_id__in=hall_by_id,
            status__in=["sent", "received", "awaiting_supplement"],
            deadline__state="breached",
        ).values("id", "hall_id", "case_id", "case_number", "department_id")
    )
    closed_cases = list(
        CaseIndex.objects.filter(hall_id__in=hall_by_id, flagged_for_supervision=True, status="closed")
        .order_by("?")[: max(1, int(1500 * scale))]
        .values("hall_id", "case_id", "number", "registered_at")
    )
    rng.shuffle(flagged)
    rng.shuffle(red)
    orders: list[SupervisionOrder] = []
    year = now.astimezone(TZ).year
    serial = 0

    def order(target: dict[str, Any], *, slip: dict[str, Any] | None, issued: datetime, status: str) -> None:
        nonlocal serial
        serial += 1
        number = f"DB-{city.region_code}-{year}-{serial:05d}"
        department_id = slip["department_id"] if slip else None
        met = issued + DAY * rng.uniform(1, 6) if status in ("closed", "responded") else None
        deadline_id = deadline(
            target["hall_id"],
            "supervision_order",
            "coordination.SupervisionOrder",
            number,
            issued,
            5,
            department_id=department_id,
            met_at=met if status != "responded" else None,
            cancelled_at=issued + DAY if status == "withdrawn" else None,
        )
        orders.append(
            SupervisionOrder(
                number=number,
                city=city,
                issuing_hall=city,
                issued_by=supervisor,
                issued_at=issued,
                target_hall_id=target["hall_id"],
                target_department_id=department_id,
                case_hall_id=target["hall_id"],
                case_id=target["case_id"],
                case_number=target.get("number") or target.get("case_number", ""),
                slip_id=slip["id"] if slip else None,
                reason="不给办，群众多次反映未解决。",
                required_action="五个工作日内核实办理并书面答复。",
                days=5,
                deadline_id=deadline_id,
                status=status,
                response="已核实并办结。" if status in ("responded", "closed") else "",
                responded_at=met if status in ("responded", "closed") else None,
                accepted_at=met + DAY if status == "closed" and met else None,
            )
        )

    for row in flagged[: max(1, int(150 * scale))]:
        order(row, slip=None, issued=now - DAY * rng.uniform(0.1, 8), status=rng.choice(["issued"] * 3 + ["responded"]))
    for row in red[: max(1, int(100 * scale))]:
        order(row, slip=row, issued=now - DAY * rng.uniform(0.1, 8), status="issued")
    for row in closed_cases:
        issued = row["registered_at"] + DAY * rng.uniform(3, 10)
        status = "closed" if rng.random() < 0.9 else "withdrawn"
        order(row, slip=None, issued=min(issued, now - 20 * DAY), status=status)

    # Meetings: city meetings (some resolutions for shaoguan/rsj) and hall meetings, over two years.
    meetings: list[JointMeeting] = []
    links: list[tuple[int, list[dict[str, Any]], list[Any], list[tuple[Any, int, bool]]]] = []
    cases_pool = list(
        CaseIndex.objects.filter(hall_id__in=hall_by_id, handling_category="refused")
        .order_by("?")[: max(10, int(2000 * scale))]
        .values("hall_id", "case_id", "number", "matter_name")
    )
    count = max(4, int(600 * scale))
    for n in range(1, count + 1):
        starts = now - DAY * (ctx.args.days * (n / count) ** 1.5)  # more meetings lately
        level = "city" if rng.random() < 0.4 else "hall"
        hall = city if level == "city" else rng.choice(halls[1:] or halls)
        number = f"LX-{hall.region_code}-{starts.astimezone(TZ).year}-{n:05d}"
        recent = starts > now - 20 * DAY
        meetings.append(
            JointMeeting(
                number=number,
                level=level,
                hall=hall,
                city=city,
                subject="协调解决跨部门办理难题",
                lead_is_hall=True,
                starts_at=starts,
                place="政务服务中心三楼会议室",
                agenda="研究群众反映的办不成事问题。",
                minutes="" if recent and rng.random() < 0.3 else "会议议定如下事项。",
                status="convened" if starts > now else ("held" if recent else "closed"),
                convened_by=supervisor,
                convened_at=starts - 3 * DAY,
                held_at=starts if starts <= now else None,
                closed_at=starts + 10 * DAY if not recent else None,
            )
        )
        sampled = rng.sample(cases_pool, min(len(cases_pool), 6))
        pool = [c for c in sampled if level == "city" or c["hall_id"] == hall.pk]
        local = list({d.pk: d for d in ctx.departments.get(hall.pk, []) + ctx.city_departments}.values())
        invited = rng.sample(local, min(3, len(local)))
        owners: list[tuple[Any, int, bool]] = []
        for _ in range(rng.choice([1, 2, 3])):
            owner = ctx.city_rsj if rng.random() < 0.25 else rng.choice(invited)
            owners.append((owner, rng.choice([5, 10, 15]), recent))
        links.append((n, pool[:2], invited, owners))
    JointMeeting.objects.bulk_create(meetings)
    saved = {m.number: m for m in JointMeeting.objects.filter(number__in=[m.number for m in meetings])}
    meeting_cases: list[MeetingCase] = []
    invitations: list[MeetingInvitation] = []
    resolutions: list[MeetingResolution] = []
    for meeting, (_n, pool, invited, owners) in zip(meetings, links, strict=True):
        row = saved[meeting.number]
        for c in pool:
            meeting_cases.append(
                MeetingCase(
                    meeting=row,
                    hall_id=c["hall_id"],
                    case_id=c["case_id"],
                    case_number=c["number"],
                    matter_name=c["matter_name"],
                    summary="群众反映多次往返未办成。",
                )
            )
        invitations += [MeetingInvitation(meeting=row, department=d, response="accepted") for d in invited]
        for i, (owner, days, is_open) in enumerate(owners, 1):
            number = f"{meeting.number}-{i}"
            done = None if is_open else meeting.starts_at + DAY * rng.uniform(2, days)
            deadline_id = deadline(
                owner.hall_id,
                "meeting_resolution",
                "coordination.MeetingResolution",
                number,
                meeting.starts_at,
                days,
                department_id=owner.pk,
                met_at=done,
            )
            resolutions.append(
                MeetingResolution(
                    meeting=row,
                    number=number,
                    owner_department=owner,
                    action="牵头核实并限期办结。",
                    days=days,
                    deadline_id=deadline_id,
                    status="open" if is_open else "done",
                    report="" if is_open else "已办结。",
                    done_at=done,
                    created_at=meeting.starts_at,
                )
            )
    MeetingCase.objects.bulk_create(meeting_cases, ignore_conflicts=True)
    MeetingInvitation.objects.bulk_create(invitations)
    Deadline.objects.bulk_create(deadlines)
    SupervisionOrder.objects.bulk_create(orders)
    MeetingResolution.objects.bulk_create(resolutions)
    # the deadlines name their subjects by id
    execute(
        "UPDATE deadlines_deadline d SET subject_id = o.id::text FROM coordination_supervisionorder o "
        "WHERE o.deadline_id = d.id"
    )
    execute(
        "UPDATE deadlines_deadline d SET subject_id = r.id::text FROM coordination_meetingresolution r "
        "WHERE r.deadline_id = d.id"
    )
    open_orders = sum(o.status in ("issued", "responded") for o in orders)
    return {
        "orders": len(orders),
        "open_orders": open_orders,
        "meetings": len(meetings),
        "resolutions": len(resolutions),
        "open_resolutions": sum(r.status == "open" for r in resolutions),
        "city_rsj_resolutions": sum(r.owner_department_id == ctx.city_rsj.pk for r in resolutions),
        "deadlines": len(deadlines),
    }


# --- the load -----------------------------------------------------------------------------------------


def hall_sizes(halls: list[Any], total: int, seed: int) -> list[int]:
    """Cases per hall: uneven (log-normal weights), the city hall weighing double."""
    rng = random.Random(f"{seed}:sizes")
    weights = [rng.lognormvariate(0, 0.5) * (2 if i == 0 else 1) for i in range(len(halls))]
    scale = total / sum(weights)
    sizes = [math.floor(w * scale) for w in weights]
    sizes[sizes.index(max(sizes))] += total - sum(sizes)
    return sizes


def load(args: argparse.Namespace) -> dict[str, Any]:
    from django.db import transaction
    from django.utils import timezone

    from hallindex.matters import matter_key
    from hallindex.models import CaseIndex, SlipIndex
    from hallplatform.accounts.models import User
    from hallplatform.deadlines.models import Deadline
    from tenants.models import Department

    figures: dict[str, Any] = {}
    started = time.perf_counter()
    halls, hall_figures = create_halls(args.halls)
    figures.update(hall_figures)
    figures["halls_seconds"] = time.perf_counter() - started
    if hall_figures["hall_seconds"]:
        seconds = hall_figures["hall_seconds"]
        print(
            f"Created {len(seconds)} halls with hall_create in {sum(seconds):.1f} s (per hall: median "
            f"{statistics.median(seconds):.3f} s, max {max(seconds):.3f} s), their departments in "
            f"{hall_figures['department_seconds']:.1f} s",
            flush=True,
        )
    now = timezone.now()
    departments: dict[int, list[Any]] = {}
    for d in Department.objects.filter(hall__in=halls).select_related("hall").order_by("pk"):
        departments.setdefault(d.hall_id, []).append(d)
    city = halls[0]
    city_departments = departments.get(city.pk, [])
    ctx = Context(
        args=args,
        now=now,
        city_rsj=next(d for d in city_departments if d.code == CITY_DEPARTMENT[1]),
        city_rsj_handler=User.objects.get(username="shaoguan_rsj").pk,
        city_departments=city_departments,
        departments=departments,
        matter_keys={m: matter_key(m) for m, _d in MATTERS},
        next_deadline_id=int(scalar("SELECT coalesce(max(id), 0) FROM deadlines_deadline")),
        tables={
            "case": Table(CaseIndex, now, with_id=False),
            "slip": Table(SlipIndex, now, with_id=False),
            "deadline": Table(Deadline, now, with_id=True),
        },
    )
    totals = Counts()
    started = time.perf_counter()
    for number, (hall, size) in enumerate(zip(halls, hall_sizes(halls, args.cases, args.seed), strict=True), 1):
        with transaction.atomic():
            counts = HallLoader(ctx, hall, size).run()
            ctx.tables["deadline"].flush()  # first: the slips point to their deadlines
            ctx.tables["slip"].flush()
            ctx.tables["case"].flush()
        totals.add(counts)
        if number % 10 == 0 or number == len(halls):
            elapsed = time.perf_counter() - started
            print(
                f"  {number:>3} halls, {totals.cases:>9,} cases, {totals.slips:>8,} slips, "
                f"{totals.deadlines:>8,} deadlines in {elapsed:5.1f} s",
                flush=True,
            )
    figures["cases_seconds"] = time.perf_counter() - started
    started = time.perf_counter()
    supervisor = User.objects.get(username="shaoguan_supervisor")
    figures["coordination"] = load_orders_and_meetings(ctx, halls, supervisor)
    execute(
        "SELECT setval(pg_get_serial_sequence('deadlines_deadline', 'id'), "
        "(SELECT coalesce(max(id), 0) + 1 FROM deadlines_deadline), false)"
    )
    figures["coordination_seconds"] = time.perf_counter() - started
    started = time.perf_counter()
    for table in (
        "coordination_caseindex",
        "coordination_slipindex",
        "deadlines_deadline",
        "coordination_supervisionorder",
        "coordination_jointmeeting",
        "coordination_meetingresolution",
        "coordination_meetingcase",
        "coordination_meetinginvitation",
        "tenants_hall",
        "tenants_department",
        "accounts_user",
        "accounts_roleassignment",
    ):
        execute(f"VACUUM ANALYZE {table}")
    figures["vacuum_seconds"] = time.perf_counter() - started
    figures["halls"] = len(halls)
    figures["counts"] = totals
    figures["now"] = now
    return figures


# --- measuring ----------------------------------------------------------------------------------------


def scenarios(base: str) -> list[Scenario]:
    slip_number = r"\d{6}-\d{4}-\d{5,}-\d+"
    return [
        Scenario("portal", "portal page", "GET", base, "/portal/", "shaoguan_supervisor", 200),
        Scenario("portal-api", "portal API", "GET", base, "/api/v1/portal/overview/", "shaoguan_supervisor", 200, True),
        Scenario("inbox", "inbox page", "GET", base, "/inbox/", "shaoguan_rsj", 200, numbers=slip_number),
        Scenario("inbox-api", "inbox API", "GET", base, "/api/v1/inbox/", "shaoguan_rsj", 200, True, slip_number),
        Scenario(
            "inbox-all", "inbox page, all", "GET", base, "/inbox/?status=all", "shaoguan_rsj", 200, numbers=slip_number
        ),
    ]


def check_answers(port: int, items: list[Scenario], seed: int) -> list[str]:
    """One request per endpoint before measuring: what the answers show, for the report."""
    client = Client(port, items, seed)
    notes = []
    for item in items:
        answer = client.request(item)
        body = answer.body
        if item.key == "portal-api":
            data = json.loads(body)
            halls = data["halls"]
            sums = {k: sum(h[k] for h in halls) for k in ("open_cases", "flagged_cases", "open_slips", "yellow", "red")}
            sums["escalated"] = sum(h["escalated"] for h in halls)
            sums["open_orders"] = sum(h["open_orders"] for h in halls)
            notes.append(f"{item.label}: {len(halls)} halls; " + ", ".join(f"{k} {v:,}" for k, v in sums.items()))
        elif item.key == "inbox-api":
            data = json.loads(body)
            notes.append(f"{item.label}: count {data['count']:,}, {len(data['results'])} rows on the page")
        else:
            rows = len(set(re.findall(item.numbers.encode(), body))) if item.numbers else 0
            notes.append(f"{item.label}: {len(body) / 1024:.1f} KB" + (f", {rows} slips on the page" if rows else ""))
    return notes


def explain(items: list[Scenario]) -> None:
    """Each endpoint once in-process: its queries by time, EXPLAIN (ANALYZE, BUFFERS) of those over 1 ms."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from hallplatform.schemas import use_public_schema

    for item in items:
        client = in_process_client(item)
        in_process_request(client, item, random.Random(0))  # warm
        timer = QueryTimer()
        with CaptureQueriesContext(connection) as captured, connection.execute_wrapper(timer):
            response = in_process_request(client, item, random.Random(0))
        queries = [{"sql": q["sql"], "time": t} for q, t in zip(captured.captured_queries, timer.seconds, strict=False)]
        total = sum(q["time"] for q in queries) * 1000
        print(
            f"\n{item.label} ({item.path}): {response.status_code}, {len(queries)} queries, "
            f"{total:.1f} ms in the database driver"
        )
        for query in sorted(queries, key=lambda q: -q["time"]):
            text = re.sub(r"\s+", " ", query["sql"])[:220]
            print(f"  {query['time'] * 1000:7.2f} ms  {text}")
        for query in sorted(queries, key=lambda q: -q["time"]):
            sql = query["sql"]
            if not sql.lstrip().upper().startswith("SELECT") or query["time"] < 0.001:
                continue
            use_public_schema()
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                plan = "\n".join("    " + row[0] for row in cursor.fetchall())
            print(f"\n  EXPLAIN (ANALYZE, BUFFERS) {sql[:600]}\n{plan}")


# --- main ---------------------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--halls", type=int, default=100, help="halls in the city, the demo's 11 included (100)")
    parser.add_argument("--cases", type=int, default=1_000_000, help="cases in all (1,000,000)")
    parser.add_argument("--requests", type=int, default=200, help="measured requests per endpoint (200)")
    parser.add_argument("--warmup", type=int, default=20, help="unmeasured requests per endpoint first (20)")
    parser.add_argument("--transferred", type=float, default=0.3, help="share of cases transferred (0.3)")
    parser.add_argument("--city-share", type=float, default=0.3, help="share of first slips to shaoguan/rsj (0.3)")
    parser.add_argument("--days", type=int, default=730, help="the cases are registered over this many days")
    parser.add_argument("--seed", type=int, default=1, help="seed of the generated data")
    parser.add_argument("--database", default=DEFAULT_DB_NAME, help=f"database name (default {DEFAULT_DB_NAME})")
    parser.add_argument("--reuse", action="store_true", help="keep the database loaded by an earlier run")
    parser.add_argument("--only", default="", help="comma-separated endpoints to measure (portal,inbox,...)")
    parser.add_argument("--explain", action="store_true", help="queries and EXPLAIN ANALYZE of each endpoint")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 14 halls, 20,000 cases, few requests")
    args = parser.parse_args()
    if args.quick:
        args.halls, args.cases = 14, 20_000
        args.requests, args.warmup = min(args.requests, 30), min(args.warmup, 5)
    if not 1 <= args.halls <= 99 + 11:
        parser.error("--halls must be between 1 and 110")
    return args


def main() -> None:
    args = parse_args()
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    signal.signal(signal.SIGINT, signal.default_int_handler)
    env = environment(args)
    if not args.reuse:
        recreate_database(env["DATABASE_URL"])
    django_setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from hallindex.models import CaseIndex
    from tenants.models import Hall
    from tenants.routing import forget_hosts

    print(
        f"Database {settings.DATABASES['default']['NAME']}, Celery queue {settings.CELERY_TASK_DEFAULT_QUEUE}, "
        f"cache prefix {CACHE_PREFIX}",
        flush=True,
    )
    load_before = os.getloadavg()
    figures: dict[str, Any] = {}
    if not args.reuse:
        started = time.perf_counter()
        prepare_demo()
        figures["demo_seconds"] = time.perf_counter() - started
        print(f"migrate_all and seed_demo in {figures['demo_seconds']:.1f} s", flush=True)
        print(f"Creating halls and loading {args.cases:,} cases …", flush=True)
        figures.update(load(args))
    else:
        call_command("migrate_all", verbosity=0)  # migrations added since the data was loaded
        forget_hosts([f"{code}.{settings.BASE_DOMAIN}" for code in Hall.objects.values_list("code", flat=True)])
    cases = CaseIndex.objects.count()
    halls = Hall.objects.count()
    if cases == 0:
        sys.exit("No cases loaded: run without --reuse.")
    pg_version = postgres_version()
    connection.close()

    items = scenarios(settings.BASE_DOMAIN)
    if args.only:
        wanted = set(args.only.split(","))
        unknown = wanted - {i.key for i in items}
        if unknown:
            sys.exit(f"--only: unknown endpoint(s) {', '.join(sorted(unknown))}")
        items = [i for i in items if i.key in wanted]

    config = Configuration("city portal", "benchmarks.settings_tenant", settings.BASE_DOMAIN, settings.BASE_DOMAIN)
    load_start = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bancheng-bench-") as log_dir:
        server = Server(config, env, Path(log_dir))
        try:
            server.wait_ready()
            notes = check_answers(server.port, items, args.seed)
            started = time.perf_counter()
            samples = measure(server.port, server.process.pid, items, args)
            measure_seconds = time.perf_counter() - started
        except BenchError as error:
            print(f"\nFAILED: {error}", file=sys.stderr)
            tail = server.log_tail()
            if tail.strip():
                print(f"\ngunicorn log:\n{tail}", file=sys.stderr)
            server.stop()
            clear_queue()
            sys.exit(2)
        finally:
            server.stop()
    load_end = os.getloadavg()
    try:
        if args.explain:
            explain(items)
    finally:
        clear_queue()
    loads = (load_before, load_start, load_end)
    report(args, items, samples, figures, notes, pg_version, (halls, cases), loads, measure_seconds)


def report(
    args: argparse.Namespace,
    items: list[Scenario],
    samples: dict[str, Sample],
    figures: dict[str, Any],
    notes: Sequence[str],
    pg_version: str,
    sizes: tuple[int, int],
    loads: Iterable[tuple[float, float, float]],
    measure_seconds: float,
) -> None:
    print()
    print(f"Machine: {machine_summary()}; PostgreSQL {pg_version}")
    print(
        "Load average (1/5/15 min): "
        + "; ".join(
            f"{label} {a:.2f}/{b:.2f}/{c:.2f}"
            for label, (a, b, c) in zip(("start", "measuring from", "measuring to"), loads, strict=True)
        )
    )
    if figures:
        c: Counts = figures["counts"]
        coordination = figures["coordination"]
        print(
            f"Loaded {figures['halls']} halls, {c.cases:,} cases ({c.open_cases:,} open, {c.flagged_open:,} of them "
            f"flagged 不给办), {c.slips:,} slips ({c.open_slips:,} open), {c.deadlines + coordination['deadlines']:,} "
            f"deadlines; shaoguan/rsj: {c.city_slips:,} slips, {c.city_open:,} open"
        )
        print("Deadlines of slips and feedback: " + ", ".join(f"{k} {v:,}" for k, v in c.deadline_states.most_common()))
        print(
            f"Orders {coordination['orders']:,} ({coordination['open_orders']} open), meetings "
            f"{coordination['meetings']}, resolutions {coordination['resolutions']} "
            f"({coordination['open_resolutions']} open, {coordination['city_rsj_resolutions']} for shaoguan/rsj)"
        )
        hall_seconds = figures["hall_seconds"]
        halls_part = (
            f"{len(hall_seconds)} halls by hall_create {sum(hall_seconds):.1f} s "
            f"(median {statistics.median(hall_seconds):.3f} s each) + departments "
            f"{figures['department_seconds']:.1f} s; "
            if hall_seconds
            else ""
        )
        print(
            f"Times: migrate_all + seed_demo {figures['demo_seconds']:.1f} s; {halls_part}"
            f"cases, slips, deadlines by COPY {figures['cases_seconds']:.1f} s "
            f"({c.cases / figures['cases_seconds']:,.0f} cases/s); orders and meetings "
            f"{figures['coordination_seconds']:.1f} s; VACUUM ANALYZE {figures['vacuum_seconds']:.1f} s"
        )
    else:
        print(f"Reused the loaded database: {sizes[0]} halls, {sizes[1]:,} cases.")
    for note in notes:
        print(f"  {note}")
    print(
        f"gunicorn: 1 sync worker (benchmarks.settings_tenant); client: 1 request at a time, a new "
        f"connection each; {args.warmup} warm-up requests per endpoint, then {args.requests} measured "
        f"per endpoint, the endpoints alternating ({measure_seconds:.1f} s)"
    )
    print()
    header = (
        f"{'endpoint':<18} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7} {'server p50':>10} {'server p95':>10} "
        f"{'CPU ms':>7} {'statements':>10}  verdict"
    )
    print(header)
    print("-" * len(header))
    over = []
    for item in items:
        s = samples[item.key]
        p95 = percentile(s.client_ms, 0.95)
        verdict = f"under {TARGET_MS:.0f} ms" if p95 < TARGET_MS else f"OVER {TARGET_MS:.0f} ms"
        if p95 >= TARGET_MS:
            over.append(item.label)
        usual = s.statements.most_common(1)[0][0] if s.statements else 0
        others = sorted(k for k in s.statements if k != usual)
        statements = f"{usual}" + (f" ({','.join(map(str, others))})" if others else "")
        cpu = f"{statistics.mean(s.cpu_ms):7.1f}" if s.cpu_ms else f"{'-':>7}"
        print(
            f"{item.label:<18} {percentile(s.client_ms, 0.5):7.1f} {p95:7.1f} {max(s.client_ms):7.1f} "
            f"{percentile(s.server_ms, 0.5):10.1f} {percentile(s.server_ms, 0.95):10.1f} {cpu} {statements:>10}  "
            f"{verdict}"
        )
    print()
    print("p50/p95/max: client latency (request sent, answer read); server: time inside the middleware stack")
    print("(benchmarks/querycount.py); CPU: mean CPU time of the gunicorn worker per request (/proc, 10 ms")
    print("ticks); statements: sent to PostgreSQL per request (the usual count, others seen in brackets).")
    if over:
        print(f"\nOver the {TARGET_MS:.0f} ms target at p95: {', '.join(over)}")
    else:
        print(f"\nEvery endpoint under the {TARGET_MS:.0f} ms target at p95.")


if __name__ == "__main__":
    main()
