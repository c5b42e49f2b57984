"""Registering a case, a hall's case list and a department's inbox, with full halls, through gunicorn.

Set-up (not timed against the target): a database of its own, dropped and created afresh
(``bancheng_bench_casework`` on the server of DATABASE_URL), ``migrate_all``, the Shaoguan demo
(``seed_demo``), then cases written straight into the halls' schemas with COPY:

* 100,000 cases in ``wengyuan`` (``--cases-big``) and 10,000 in each of 10 more halls (``--halls``,
  ``--cases-small``): the city hall ``shaoguan`` first, then the other counties;
* every personal field sealed with ``casework.crypto.encrypt`` and its blind indexes computed, as
  ``case_register`` does, so rows are as large as real ones; registered over the past two years;
* a row of ``coordination.CaseIndex`` per case, as the services keep it;
* 30 % of the cases transferred (``--transferred``), with one slip (two for a quarter of them), a
  row in ``coordination.SlipIndex`` and a ``slip_reply`` deadline per slip; the newest half of the
  transferred cases (``--open-share``) still open (sent, received or waiting for materials; their
  deadlines open, breached or paused), the older ones replied, fed back and mostly closed, with a
  met feedback deadline. A first slip goes to the city-level 韶关市人社局 (``shaoguan/rsj``) with
  probability 0.6 (``--city-share``), so that one department's inbox holds about 20,000 open slips
  from 11 halls; the rest go to the hall's own department for the matter;
* the other cases answered on the spot (mostly closed since), not accepted, or still registered;
  one to three timeline events per case; the years' ``CaseNumberSequence``; then ``VACUUM ANALYZE``.

Measured: a real gunicorn (one sync worker, ``benchmarks/settings_tenant.py``: the application's
settings plus per-request query counting) on a free local port; a Python client on the same machine
sends one request at a time, on a fresh connection, with the hall's Host header:

* register   POST /api/v1/cases/ on wengyuan's host, as wengyuan_window (API token), JSON;
* case list  GET /cases/ on wengyuan's host (the 100,000-case hall), as wengyuan_window (session);
* inbox city GET /inbox/ on the base domain, as shaoguan_rsj (session);
* inbox hall GET /inbox/ on wengyuan's host, as wengyuan_rsj (session).

After a warm-up the four alternate, request by request, so that a busy moment of the shared machine
hits all of them alike. Printed per endpoint: p50 / p95 / max of the client's latency, the server's
time inside the middleware stack, the worker's CPU time per request, the statements sent to
PostgreSQL, the page size and the rows it shows. Any other status
than the expected one (201, 200) stops the script with a non-zero exit and the answer's beginning.
``--explain`` then runs each endpoint once in-process, lists its queries by time and EXPLAINs the
slowest; ``--profile NAME`` prints a cProfile of 20 in-process requests of one endpoint.

The notices that registration queues go to a Celery queue no worker reads (``bench-casework``,
emptied at the end); host routes are cached under a key prefix of the benchmark's own.

Run from the repository root:  python benchmarks/casework.py  (--quick for a smoke run, --help)
"""

from __future__ import annotations

import argparse
import cProfile
import http.client
import io
import json
import math
import os
import pstats
import random
import re
import signal
import statistics
import sys
import tempfile
import time
import urllib.parse
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import (
    DEFAULT_DATABASE_URL,
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

DEFAULT_DB_NAME = "bancheng_bench_casework"
QUEUE = "bench-casework"
CACHE_PREFIX = "bench-casework"
BIG_HALL = "wengyuan"
CITY_DEPARTMENT = ("shaoguan", "rsj")
TARGET_MS = 50.0
CHUNK = 5000  # cases generated and written per round of COPY

# --- what the rows say (no real person) ------------------------------------------------------------

SURNAMES = "李王张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高梁郑谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈姚卢钟"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国文辉玲红梅兰志鹏飞宇浩晨欣怡婷雪琳海波斌"
STREETS = ["建设路", "人民路", "解放路", "新华路", "中山路", "和平路", "东风路", "城南大道", "滨江路", "府前路"]
# (matter, the department that usually handles it)
MATTERS = [
    ("社会保障卡补办", "rsj"),
    ("养老保险关系转移接续", "rsj"),
    ("失业保险金申领", "rsj"),
    ("工伤认定申请", "rsj"),
    ("个体工商户营业执照变更", "scjgj"),
    ("食品经营许可证办理", "scjgj"),
    ("户口迁移", "gaj"),
    ("居住证办理", "gaj"),
    ("不动产权证书换发", "bdc"),
    ("二手房转移登记", "bdc"),
    ("医保异地就医备案", "ybj"),
    ("门诊特定病种认定", "ybj"),
    ("增值税发票领用", "swj"),
    ("个人所得税汇算清缴", "swj"),
    ("建筑工程施工许可", "zjj"),
    ("住房公积金提取", "zjj"),
    ("建设用地规划许可", "zrzyj"),
]
BLOCKS = [
    "系统显示信息不一致",
    "缺少原单位出具的证明",
    "窗口称需回户籍地办理",
    "多次往返仍未办结",
    "网上办理提交后一直未审核",
    "要求提供的材料无法开具",
    "两个部门互相推诿",
    "政策规定不清楚",
]
ENTERPRISES = [
    "韶关市顺达物流有限公司",
    "翁源县兰花种植专业合作社",
    "广东粤北建材有限公司",
    "韶关市鸿运餐饮管理有限公司",
]


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _mobile(rng: random.Random) -> str:
    return f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"


def _resident_id(rng: random.Random, region: str) -> str:
    from hallplatform.personal import id_check_digit

    born = date(1950, 1, 1) + timedelta(days=rng.randrange(55 * 365))
    first17 = f"{region}{born:%Y%m%d}{rng.randrange(1000):03d}"
    return first17 + id_check_digit(first17)


# --- environment and database -----------------------------------------------------------------------


def database_url(name: str) -> str:
    """DATABASE_URL (or the benchmarks' default) with the database name replaced by ``name``."""
    parts = urllib.parse.urlsplit(os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL)
    return urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))


def environment(args: argparse.Namespace) -> dict[str, str]:
    os.environ["DATABASE_URL"] = database_url(args.database)
    os.environ["CELERY_QUEUE"] = QUEUE
    os.environ["CACHE_KEY_PREFIX"] = CACHE_PREFIX
    return bench_environment()


def recreate_database(url: str) -> None:
    import psycopg
    from psycopg import sql
    from psycopg.conninfo import conninfo_to_dict

    params = conninfo_to_dict(url)
    name = str(params.get("dbname") or "")
    if not name.startswith("bancheng_bench"):
        sys.exit(f"Refusing to drop the database {name!r}: its name must start with bancheng_bench.")
    with psycopg.connect(**{**params, "dbname": "postgres"}, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    print(f"Dropped and created database {name}.", flush=True)


# --- writing rows -------------------------------------------------------------------------------------


def _columns(model: Any, *, with_id: bool) -> list[Any]:
    return [f for f in model._meta.concrete_fields if with_id or not f.primary_key]


_TABLE_COLUMNS: dict[tuple[str, str], set[str]] = {}


def table_columns(schema: str, table: str) -> set[str]:
    """The columns the table has in the database. A model field without its column (a migration
    not written yet, in a tree under work) is left out, with a warning, rather than failing."""
    key = (schema, table)
    if key not in _TABLE_COLUMNS:
        from django.apps import apps
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = %s AND table_name = %s",
                [schema, table],
            )
            _TABLE_COLUMNS[key] = {row[0] for row in cursor.fetchall()}
        model = next(m for m in apps.get_models() if m._meta.db_table == table)
        missing = [f.column for f in model._meta.concrete_fields if f.column not in _TABLE_COLUMNS[key]]
        if missing:
            print(f"  warning: {schema}.{table} has no column(s) {', '.join(missing)}; left out", flush=True)
    return _TABLE_COLUMNS[key]


def copy_rows(schema: str, model: Any, rows: Iterable[dict[str, Any]], *, with_id: bool, now: datetime) -> int:
    """COPY ``rows`` (dicts by attribute name) into ``schema``'s table of ``model``. Fields a row
    leaves out get their model default (auto_now fields: ``now``); values are written as they are,
    so encrypted fields must be given sealed already."""
    from django.db import connection
    from psycopg import sql

    every = {f.attname for f in model._meta.concrete_fields}
    fields = [f for f in _columns(model, with_id=with_id) if f.column in table_columns(schema, model._meta.db_table)]
    defaults: list[Any] = []
    for f in fields:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            defaults.append(now)
        else:
            value = f.get_default()
            defaults.append(json.dumps(value) if isinstance(value, dict | list) else value)
    names = [f.attname for f in fields]
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(schema, model._meta.db_table), sql.SQL(", ").join(sql.Identifier(f.column) for f in fields)
    )
    count = 0
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for row in rows:
            unknown = row.keys() - every
            if unknown:
                raise KeyError(f"{model.__name__} has no field(s) {sorted(unknown)}")
            copy.write_row(
                [
                    json.dumps(v, ensure_ascii=False) if isinstance(v := row.get(n, d), dict | list) else v
                    for n, d in zip(names, defaults, strict=True)
                ]
            )
            count += 1
    return count


@dataclass
class HallPlan:
    hall: Any
    cases: int
    window_user: int
    departments: list[Any]  # routable from the hall, city-level ones included
    handlers: dict[int, int]  # department id -> a handler's user id


@dataclass
class LoadCounts:
    cases: int = 0
    slips: int = 0
    open_slips: int = 0
    events: int = 0
    deadlines: int = 0
    by_department: Counter[int] = field(default_factory=Counter)  # open slips


class IdCounter:
    def __init__(self, start: int) -> None:
        self.value = start

    def next(self) -> int:
        self.value += 1
        return self.value


def _working_days_after(start: datetime, days: int) -> datetime:
    """``start`` plus ``days`` weekdays (a plausible due time; the real one comes from the calendar)."""
    at = start
    while days:
        at += timedelta(days=1)
        if at.weekday() < 5:
            days -= 1
    return at


@dataclass
class Rows:
    """The rows of one chunk of cases, by table."""

    cases: list[dict[str, Any]] = field(default_factory=list)
    case_index: list[dict[str, Any]] = field(default_factory=list)
    slips: list[dict[str, Any]] = field(default_factory=list)
    slip_index: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    deadlines: list[dict[str, Any]] = field(default_factory=list)


class HallLoader:
    """Generates one hall's cases with their slips, events, deadlines and index rows, and COPYs them."""

    def __init__(self, plan: HallPlan, args: argparse.Namespace, deadline_ids: IdCounter, now: datetime) -> None:
        from casework.models import Case
        from hallindex.models import CaseIndex

        self.plan, self.args, self.deadline_ids, self.now = plan, args, deadline_ids, now
        self.hall = plan.hall
        self.rng = random.Random(f"{args.seed}:{self.hall.code}")
        self.counts = LoadCounts()
        self.sequences: Counter[int] = Counter()
        self.slip_id = 0
        self.seen_people: set[str] = set()
        self.city_department = next(
            (d for d in plan.departments if (d.hall.code, d.code) == CITY_DEPARTMENT), plan.departments[0]
        )
        self.own_by_code = {d.code: d for d in plan.departments if d.hall_id == self.hall.pk}
        self.place = self.hall.name.removesuffix("政务服务中心")
        people = max(plan.cases // 3, 1)
        self.people = [
            (_name(self.rng), _mobile(self.rng), _resident_id(self.rng, self.hall.region_code)) for _ in range(people)
        ]
        # CaseIndex copies these fields of the case (casework.services._case_index_write)
        self.case_defaults = {f.attname: f.get_default() for f in Case._meta.concrete_fields}
        self.mirrored = [
            f.attname for f in CaseIndex._meta.concrete_fields if f.attname in self.case_defaults and not f.primary_key
        ]
        self.matter_key: Any = None  # the grouped matter the statistics count, where the model has it
        if any(f.attname == "matter_key" for f in CaseIndex._meta.concrete_fields):
            from hallindex.matters import matter_key

            self.matter_key = matter_key

    def run(self) -> LoadCounts:
        from django.db import transaction

        from casework.models import Case, CaseEvent, CaseNumberSequence, TransferSlip
        from hallindex.models import CaseIndex, SlipIndex
        from hallplatform.deadlines.models import Deadline

        rng, plan, schema, now = self.rng, self.plan, self.hall.schema_name, self.now
        times = sorted(now - timedelta(seconds=rng.uniform(600, self.args.days * 86400)) for _ in range(plan.cases))
        transferred = [rng.random() < self.args.transferred for _ in range(plan.cases)]
        # the newest ``open_share`` of the transferred cases are still open
        first_open = sum(transferred) - math.ceil(sum(transferred) * self.args.open_share)
        seen = 0
        with transaction.atomic():
            for chunk_start in range(0, plan.cases, CHUNK):
                rows = Rows()
                for i in range(chunk_start, min(chunk_start + CHUNK, plan.cases)):
                    case = self.case(rows, i + 1, times[i])
                    if transferred[i]:
                        self.transfer(rows, case, is_open=seen >= first_open)
                        seen += 1
                    else:
                        self.handle_at_window(rows, case)
                    self.index_case(rows, case)
                self.counts.cases += copy_rows(schema, Case, rows.cases, with_id=True, now=now)
                self.counts.slips += copy_rows(schema, TransferSlip, rows.slips, with_id=True, now=now)
                self.counts.events += copy_rows(schema, CaseEvent, rows.events, with_id=False, now=now)
                self.counts.deadlines += copy_rows("public", Deadline, rows.deadlines, with_id=True, now=now)
                copy_rows("public", SlipIndex, rows.slip_index, with_id=False, now=now)
                copy_rows("public", CaseIndex, rows.case_index, with_id=False, now=now)
            numbers = [{"year": year, "last": last} for year, last in sorted(self.sequences.items())]
            copy_rows(schema, CaseNumberSequence, numbers, with_id=True, now=now)
            for table in ("casework_case", "casework_transferslip", "casework_caseevent"):
                execute(
                    f"SELECT setval(pg_get_serial_sequence('\"{schema}\".{table}', 'id'), "  # noqa: S608 (our names)
                    f'(SELECT coalesce(max(id), 0) + 1 FROM "{schema}".{table}), false)'
                )
        return self.counts

    def event(self, rows: Rows, case: dict[str, Any], at: datetime, kind: str, **values: Any) -> None:
        rows.events.append({"case_id": case["id"], "at": at, "actor_id": self.plan.window_user, "kind": kind, **values})

    def case(self, rows: Rows, case_id: int, at: datetime) -> dict[str, Any]:
        """A registration as case_register writes it: every personal field sealed, blind indexes."""
        from django.utils import timezone

        from casework.crypto import encrypt
        from casework.search import matter_lexemes
        from casework.services import document_index, phone_index
        from hallplatform.personal import mask_id, mask_mobile

        rng = self.rng
        year = timezone.localtime(at).year
        self.sequences[year] += 1
        number = f"{self.hall.region_code}-{year}-{self.sequences[year]:05d}"
        # about a third of the registrations are people who came before (repeat reporters)
        name, phone, id_number = (
            rng.choice(self.people) if rng.random() < 0.3 else self.people[case_id % len(self.people)]
        )
        matter, matter_department = rng.choice(MATTERS)
        enterprise = rng.random() < 0.15
        address = f"广东省韶关市{self.place}{rng.choice(STREETS)}{rng.randrange(1, 300)}号"
        problem = f"办理{matter}时{rng.choice(BLOCKS)}，已来回{rng.randrange(2, 6)}次，希望尽快解决。"
        case: dict[str, Any] = {
            "id": case_id,
            "number": number,
            "channel": "phone" if rng.random() < 0.2 else "on_site",
            "applicant_kind": "enterprise" if enterprise else "person",
            "applicant_name": encrypt(name, purpose="case.applicant_name"),
            "enterprise_name": rng.choice(ENTERPRISES) if enterprise else "",
            "phone": encrypt(phone, purpose="case.phone"),
            "phone_index": phone_index(phone),
            "document_type": "resident_id",
            "document_number": encrypt(id_number, purpose="case.document_number"),
            "document_index": document_index("resident_id", id_number),
            "address": encrypt(address, purpose="case.address") if rng.random() < 0.6 else "",
            "matter_name": matter,
            # the search box's words, as case_register writes them (tsvector text: quoted lexemes)
            "matter_search": " ".join(f"'{lexeme}'" for lexeme in matter_lexemes(matter)),
            "problem": encrypt(problem, purpose="case.problem"),
            "handler_id": self.plan.window_user,
            "registered_at": at,
        }
        changes = {"number": number, "phone": mask_mobile(phone), "document_number": mask_id(id_number)}
        self.event(rows, case, at, "registered", to_status="registered", changes=changes)
        case["_matter_department"] = matter_department
        return case

    def index_case(self, rows: Rows, case: dict[str, Any]) -> None:
        repeat = case["phone_index"] in self.seen_people or case["document_index"] in self.seen_people
        self.seen_people.update((case["phone_index"], case["document_index"]))
        del case["_matter_department"]
        rows.cases.append(case)
        row = {name: case.get(name, self.case_defaults[name]) for name in self.mirrored}
        if self.matter_key is not None:
            row["matter_key"] = self.matter_key(case["matter_name"])
        rows.case_index.append({**row, "hall_id": self.hall.pk, "case_id": case["id"], "repeat_reporter": repeat})

    def deadline(self, **values: Any) -> dict[str, Any]:
        row = {"id": self.deadline_ids.next(), "hall_id": self.hall.pk, **values}
        row.setdefault("created_at", values["start_at"])
        row.setdefault("updated_at", values["start_at"])
        return row

    def transfer(self, rows: Rows, case: dict[str, Any], *, is_open: bool) -> None:
        """case_transfer with one slip (two for a quarter): open, or long since replied and fed back."""
        rng, plan, now = self.rng, self.plan, self.now
        sent_at = case["registered_at"] + timedelta(minutes=rng.randrange(10, 90))
        category = rng.choices(["hard_to_do", "cannot_do", "refused"], [50, 35, 15])[0]
        first = (
            self.city_department
            if rng.random() < self.args.city_share
            else self.own_by_code.get(case["_matter_department"]) or rng.choice(plan.departments)
        )
        targets = [first]
        if rng.random() < 0.25:
            targets.append(rng.choice([d for d in plan.departments if d.pk != first.pk]))
        complexities = ["complex" if rng.random() < 0.2 else "ordinary" for _ in targets]
        last_reply = sent_at
        awaiting = False
        for sequence, (department, complexity) in enumerate(zip(targets, complexities, strict=True), 1):
            self.slip_id += 1
            number = f"{case['number']}-{sequence}"
            amount = 5 if complexity == "complex" else 2
            due_at = _working_days_after(sent_at, amount)
            warn_at = sent_at + (due_at - sent_at) * 0.75
            handler = plan.handlers.get(department.pk)
            slip: dict[str, Any] = {
                "id": self.slip_id,
                "case_id": case["id"],
                "number": number,
                "department_id": department.pk,
                "request": f"请协助核实并办理{case['matter_name']}，{rng.choice(BLOCKS)}。",
                "complexity": complexity,
                "sent_at": sent_at,
                "sent_by_id": plan.window_user,
            }
            deadline = self.deadline(
                kind="slip_reply",
                subject_type="casework.TransferSlip",
                subject_id=str(self.slip_id),
                subject_number=number,
                owner_department_id=department.pk,
                rule="working_days",
                rule_amount=amount,
                start_at=sent_at,
                due_at=due_at,
                warn_at=warn_at,
            )
            if is_open:
                status = rng.choices(["sent", "received", "awaiting_supplement"], [40, 45, 15])[0]
                slip["status"] = status
                if status != "sent":
                    received_at = min(sent_at + timedelta(hours=rng.uniform(0.5, 20)), now - timedelta(seconds=30))
                    slip.update(received_at=received_at, received_by_id=handler)
                if status == "awaiting_supplement":
                    awaiting = True
                    slip.update(result="supplement", reply="请办事人补充材料。", supplement_note="补充原件")
                    paused_at = slip["received_at"]
                    remaining = max(int((due_at - paused_at).total_seconds() * 0.3), 0)
                    deadline.update(state="paused", paused_at=paused_at, remaining_seconds=remaining)
                elif due_at <= now:
                    deadline.update(state="breached", warned_at=warn_at, breached_at=due_at, escalation_level=4)
                elif warn_at <= now:
                    deadline.update(warned_at=warn_at)
                self.counts.open_slips += 1
                self.counts.by_department[department.pk] += 1
            else:
                received_at = sent_at + timedelta(hours=rng.uniform(0.5, 8))
                replied_at = received_at + timedelta(hours=rng.uniform(1, 40))
                last_reply = max(last_reply, replied_at)
                slip.update(
                    status="replied",
                    result="done",
                    reply="已核实并办结，已告知窗口。",
                    received_at=received_at,
                    received_by_id=handler,
                    replied_at=replied_at,
                    replied_by_id=handler,
                )
                deadline.update(state="met", met_at=replied_at, updated_at=replied_at)
            rows.slips.append(slip)
            rows.deadlines.append(deadline)
            rows.slip_index.append(
                {
                    "hall_id": self.hall.pk,
                    "slip_id": slip["id"],
                    "case_id": case["id"],
                    "slip_number": number,
                    "case_number": case["number"],
                    "department_id": department.pk,
                    "matter_name": case["matter_name"],
                    "handling_category": category,
                    "complexity": complexity,
                    "status": slip["status"],
                    "result": slip.get("result", ""),
                    "flagged_for_supervision": category == "refused",
                    "deadline_id": deadline["id"],
                    "received_by_id": slip.get("received_by_id"),
                    "sent_at": sent_at,
                    "received_at": slip.get("received_at"),
                    "replied_at": slip.get("replied_at"),
                    "updated_at": slip.get("replied_at") or slip.get("received_at") or sent_at,
                }
            )
        case.update(
            handling_category=category,
            flagged_for_supervision=category == "refused",
            complexity="complex" if "complex" in complexities else "ordinary",
            screened_at=sent_at,
            transferred_at=sent_at,
            version=2,
        )
        self.event(
            rows, case, sent_at, "transferred", from_status="registered", to_status="transferred",
            changes={"category": category, "slips": len(targets)},
        )  # fmt: skip
        if is_open:
            case.update(
                status="awaiting_supplement" if awaiting else "transferred",
                result="supplement" if awaiting else "in_progress",
            )
            return
        fed_back_at = last_reply + timedelta(hours=rng.uniform(0.5, 3.5))
        rows.deadlines.append(
            self.deadline(
                kind="feedback",
                subject_type="casework.Case",
                subject_id=str(case["id"]),
                subject_number=case["number"],
                rule="half_day",
                start_at=last_reply,
                due_at=last_reply + timedelta(hours=4),
                warn_at=last_reply + timedelta(hours=3),
                state="met",
                met_at=fed_back_at,
                updated_at=fed_back_at,
            )
        )
        final = rng.choices(["closed", "followed_up", "fed_back"], [70, 15, 15])[0]
        case.update(
            status=final,
            result="done",
            replied_at=last_reply,
            fed_back_at=fed_back_at,
            feedback_method="phone",
            feedback_content="已电话告知办理结果并解释。",
            version=5,
        )
        if final != "fed_back":
            case.update(
                follow_up_method="phone",
                follow_up_date=fed_back_at.date() + timedelta(days=2),
                satisfaction=rng.choice(["very_satisfied", "satisfied", "fairly_satisfied"]),
                followed_up_at=fed_back_at + timedelta(days=2),
            )
        if final == "closed":
            case["closed_at"] = fed_back_at + timedelta(days=3)
            self.event(rows, case, case["closed_at"], "closed", from_status="followed_up", to_status="closed")

    def handle_at_window(self, rows: Rows, case: dict[str, Any]) -> None:
        """Answered on the spot (art. 7; mostly closed since), not accepted (art. 4), or still new."""
        rng = self.rng
        outcome = rng.choices(["answered", "not_accepted", "registered"], [88, 8, 4])[0]
        at = case["registered_at"] + timedelta(minutes=rng.randrange(5, 60))
        if outcome == "answered":
            category = "consultation" if rng.random() < 0.7 else "cannot_do"
            case.update(
                status="answered",
                handling_category=category,
                answer=f"已一次性告知{case['matter_name']}所需材料和办理流程。",
                policy_basis="《广东省政务服务事项办事指南》" if category == "cannot_do" else "",
                result="done",
                screened_at=at,
                answered_at=at,
                version=2,
            )
            self.event(
                rows, case, at, "answered", from_status="registered", to_status="answered",
                changes={"category": category},
            )  # fmt: skip
            if rng.random() < 0.7:
                case.update(status="closed", closed_at=at + timedelta(days=1), version=3)
                self.event(rows, case, case["closed_at"], "closed", from_status="answered", to_status="closed")
        elif outcome == "not_accepted":
            reason = rng.choice(["litigation", "petition", "filed", "law_excluded"])
            case.update(
                status="not_accepted",
                exclusion_reason=reason,
                referral="已引导至相关部门依法处理。",
                screened_at=at,
                version=2,
            )
            self.event(
                rows, case, at, "screened_out", from_status="registered", to_status="not_accepted",
                changes={"reason": reason},
            )  # fmt: skip


def bench_staff(halls: list[Any]) -> tuple[dict[str, int], dict[int, int]]:
    """A window login per hall and a handler per department where the demo has none (no usable
    password); returns hall code -> window user id and department id -> handler user id."""
    from django.contrib.auth.hashers import make_password

    from hallplatform.accounts.models import RoleAssignment, RoleKind, User
    from tenants.models import Department

    unusable = make_password(None)
    departments = list(Department.objects.filter(hall__in=halls).select_related("hall"))
    names = [f"bench_{hall.code}_window" for hall in halls]
    names += [f"bench_{d.hall.code}_{d.code}" for d in departments]
    User.objects.bulk_create([User(username=n, password=unusable) for n in names], ignore_conflicts=True)
    users = dict(User.objects.filter(username__in=names).values_list("username", "pk"))
    roles = [RoleAssignment(user_id=users[f"bench_{h.code}_window"], kind=RoleKind.WINDOW_STAFF, hall=h) for h in halls]
    roles += [
        RoleAssignment(user_id=users[f"bench_{d.hall.code}_{d.code}"], kind=RoleKind.DEPARTMENT_HANDLER, department=d)
        for d in departments
    ]
    RoleAssignment.objects.bulk_create(roles, ignore_conflicts=True)
    window = {h.code: users[f"bench_{h.code}_window"] for h in halls}
    window[BIG_HALL] = User.objects.get(username=f"{BIG_HALL}_window").pk
    handlers = {d.pk: users[f"bench_{d.hall.code}_{d.code}"] for d in departments}
    for username, (hall_code, code) in (
        ("wengyuan_rsj", ("wengyuan", "rsj")),
        ("shaoguan_rsj", CITY_DEPARTMENT),
    ):
        department = next((d for d in departments if (d.hall.code, d.code) == (hall_code, code)), None)
        if department is not None:
            handlers[department.pk] = User.objects.get(username=username).pk
    return window, handlers


def load(args: argparse.Namespace) -> dict[str, Any]:
    """Write the cases of every bench hall; returns figures for the report."""
    from django.utils import timezone

    from hallplatform.deadlines.models import Deadline
    from tenants.demo import CITY, COUNTIES
    from tenants.models import Department, Hall
    from tenants.selectors import department_list_routable_from

    order = [CITY[0], *[code for code, _name, _region in COUNTIES if code != BIG_HALL]]
    small = order[: args.halls]
    halls = {h.code: h for h in Hall.objects.filter(code__in=[BIG_HALL, *small])}
    window, handlers = bench_staff(list(halls.values()))
    now = timezone.now()
    deadline_ids = IdCounter(int(scalar("SELECT coalesce(max(id), 0) FROM deadlines_deadline")))
    figures: dict[str, Any] = {"halls": [], "open_by_department": Counter()}
    started = time.perf_counter()
    for code, count in [(BIG_HALL, args.cases_big), *((c, args.cases_small) for c in small)]:
        hall = halls[code]
        city_id = hall.parent_id or hall.pk
        plan = HallPlan(
            hall=hall,
            cases=count,
            window_user=window[code],
            departments=list(department_list_routable_from(hall_id=hall.pk, city_id=city_id)),
            handlers=handlers,
        )
        hall_started = time.perf_counter()
        counts = HallLoader(plan, args, deadline_ids, now).run()
        seconds = time.perf_counter() - hall_started
        figures["halls"].append((code, counts))
        figures["open_by_department"].update(counts.by_department)
        print(
            f"  {code:<10} {counts.cases:>7,} cases, {counts.slips:>6,} slips ({counts.open_slips:,} open), "
            f"{counts.events:>7,} events, {counts.deadlines:>6,} deadlines in {seconds:5.1f} s",
            flush=True,
        )
    execute(
        "SELECT setval(pg_get_serial_sequence('deadlines_deadline', 'id'), "
        "(SELECT coalesce(max(id), 0) + 1 FROM deadlines_deadline), false)"
    )
    figures["load_seconds"] = time.perf_counter() - started
    started = time.perf_counter()
    for hall in halls.values():
        for table in ("casework_case", "casework_transferslip", "casework_caseevent"):
            execute(f'VACUUM ANALYZE "{hall.schema_name}".{table}')
    for table in (
        "deadlines_deadline",
        "coordination_slipindex",
        "coordination_caseindex",
        "accounts_user",
        "accounts_roleassignment",
    ):
        execute(f"VACUUM ANALYZE {table}")
    figures["vacuum_seconds"] = time.perf_counter() - started
    names = {d.pk: f"{d.hall.code}/{d.code}" for d in Department.objects.select_related("hall")}
    figures["department_names"] = names
    figures["deadlines"] = Deadline.objects.count()
    return figures


# --- the client -----------------------------------------------------------------------------------------


@dataclass
class Answer:
    status: int
    headers: dict[str, list[str]]
    body: bytes
    ms: float

    def header(self, name: str, default: str = "") -> str:
        values = self.headers.get(name.lower())
        return values[0] if values else default


def send(
    port: int, method: str, host: str, path: str, headers: dict[str, str] | None = None, body: bytes = b""
) -> Answer:
    """One request on a fresh connection (the sync worker closes it after each answer)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    started = time.perf_counter()
    try:
        conn.request(method, path, body=body or None, headers={"Host": host, "Connection": "close", **(headers or {})})
        response = conn.getresponse()
        data = response.read()
        elapsed = (time.perf_counter() - started) * 1000
        collected: dict[str, list[str]] = {}
        for name, value in response.getheaders():
            collected.setdefault(name.lower(), []).append(value)
        return Answer(response.status, collected, data, elapsed)
    finally:
        conn.close()


def _cookies(answer: Answer) -> dict[str, str]:
    from http.cookies import SimpleCookie

    jar: dict[str, str] = {}
    for line in answer.headers.get("set-cookie", []):
        cookie: SimpleCookie = SimpleCookie()
        cookie.load(line)
        jar.update({name: morsel.value for name, morsel in cookie.items()})
    return jar


def login(port: int, host: str, username: str, password: str) -> str:
    """Log in through the login form (CSRF token and all); returns the Cookie header to send."""
    # the hall's own form (?sso=none), not the visit to the city login (docs/architecture.md)
    page = send(port, "GET", host, "/accounts/login/?sso=none")
    if page.status != 200:
        raise BenchError(f"GET /accounts/login/ on {host} answered {page.status}")
    jar = _cookies(page)
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.body)
    if token is None or "csrftoken" not in jar:
        raise BenchError(f"no CSRF token on the login page of {host}")
    form = urllib.parse.urlencode(
        {"username": username, "password": password, "csrfmiddlewaretoken": token.group(1).decode()}
    ).encode()
    answer = send(
        port,
        "POST",
        host,
        "/accounts/login/?sso=none",
        {"Content-Type": "application/x-www-form-urlencoded", "Cookie": f"csrftoken={jar['csrftoken']}"},
        form,
    )
    jar.update(_cookies(answer))
    if answer.status != 302 or "sessionid" not in jar:
        raise BenchError(f"logging in as {username} on {host} failed ({answer.status})")
    return "; ".join(f"{k}={v}" for k, v in jar.items())


class BenchError(Exception):
    pass


def registration_body(rng: random.Random) -> bytes:
    """The JSON of a registration at the window: a new person each time, with a valid ID number."""
    matter, _department = rng.choice(MATTERS)
    return json.dumps(
        {
            "channel": "on_site",
            "applicant_kind": "person",
            "applicant_name": _name(rng),
            "phone": _mobile(rng),
            "document_type": "resident_id",
            "document_number": _resident_id(rng, "440229"),
            "matter_name": matter,
            "problem": f"办理{matter}时{rng.choice(BLOCKS)}。",
        },
        ensure_ascii=False,
    ).encode()


@dataclass
class Scenario:
    key: str
    label: str
    method: str
    host: str
    path: str
    username: str
    expect: int
    token: bool = False  # API token instead of a session
    numbers: str = ""  # a regex counting the rows a page shows (case or slip numbers)


@dataclass
class Sample:
    client_ms: list[float] = field(default_factory=list)
    server_ms: list[float] = field(default_factory=list)
    statements: Counter[int] = field(default_factory=Counter)
    cpu_ms: list[float] = field(default_factory=list)  # of the worker, per request (10 ms ticks)
    bytes: int = 0
    rows: int = 0


def scenarios(base: str) -> list[Scenario]:
    hall = f"{BIG_HALL}.{base}"
    case_number = r"\d{6}-\d{4}-\d{5,}(?!-\d)"
    slip_number = r"\d{6}-\d{4}-\d{5,}-\d+"
    return [
        Scenario("register", "register a case", "POST", hall, "/api/v1/cases/", f"{BIG_HALL}_window", 201, True),
        Scenario("cases", "hall's case list", "GET", hall, "/cases/", f"{BIG_HALL}_window", 200, numbers=case_number),
        Scenario(
            "cases-deadline",
            "case list, open by deadline",
            "GET",
            hall,
            "/cases/?open_only=on&sort=deadline",
            f"{BIG_HALL}_window",
            200,
            numbers=case_number,
        ),
        Scenario(
            "cases-overdue",
            "case list, overdue",
            "GET",
            hall,
            "/cases/?due=overdue&sort=deadline",
            f"{BIG_HALL}_window",
            200,
            numbers=case_number,
        ),
        Scenario("inbox-city", "inbox, city bureau", "GET", base, "/inbox/", "shaoguan_rsj", 200, numbers=slip_number),
        Scenario(
            "inbox-hall", "inbox, county bureau", "GET", hall, "/inbox/", f"{BIG_HALL}_rsj", 200, numbers=slip_number
        ),
    ]


class Client:
    """Sends each scenario's request with the credentials of its user."""

    def __init__(self, port: int, items: list[Scenario], seed: int) -> None:
        from hallplatform.accounts.models import User
        from hallplatform.accounts.services import api_token_for
        from tenants.demo import DEMO_PASSWORD

        self.port = port
        self.rng = random.Random(f"{seed}:client")
        self.headers: dict[str, dict[str, str]] = {}
        for item in items:
            if item.token:
                token = api_token_for(user=User.objects.get(username=item.username))
                self.headers[item.key] = {"Authorization": f"Token {token}"}
            else:
                self.headers[item.key] = {"Cookie": login(port, item.host, item.username, DEMO_PASSWORD)}

    def request(self, item: Scenario) -> Answer:
        headers = dict(self.headers[item.key])
        body = b""
        if item.method == "POST":
            headers["Content-Type"] = "application/json"
            headers["Accept"] = "application/json"
            body = registration_body(self.rng)
        answer = send(self.port, item.method, item.host, item.path, headers, body)
        if answer.status != item.expect:
            text = answer.body[:600].decode("utf-8", "replace")
            hint = " (the endpoint does not exist yet?)" if answer.status == 404 else ""
            raise BenchError(
                f"{item.method} {item.path} on {item.host} as {item.username} answered {answer.status}, "
                f"expected {item.expect}{hint}:\n{text}"
            )
        return answer


class WorkerClock:
    """CPU time (user + system) of the gunicorn worker, read from /proc around each request.

    The kernel counts it in ticks (10 ms), so one request's figure is coarse, but the mean over
    hundreds of requests is not; and unlike wall-clock time it hardly moves when other work on
    the machine competes for the CPUs.
    """

    def __init__(self, master_pid: int) -> None:
        self.master_pid = master_pid
        self.pid: int | None = None
        self.tick = os.sysconf("SC_CLK_TCK")

    def _find(self) -> int | None:
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(fields[1]) == self.master_pid:
                return int(stat.parent.name)
        return None

    def seconds(self) -> float | None:
        for _attempt in range(2):
            if self.pid is None:
                self.pid = self._find()
                if self.pid is None:
                    return None
            try:
                fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
                return (int(fields[11]) + int(fields[12])) / self.tick
            except OSError:
                self.pid = None  # the worker was replaced
        return None


def cpu_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs of the machine so far (/proc/stat), or (0, 0)."""
    try:
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return 0, 0
    idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
    total = sum(values[:8])  # guest time is counted in user already
    return total - idle, total


def measure(port: int, master_pid: int, items: list[Scenario], args: argparse.Namespace) -> dict[str, Sample]:
    client = Client(port, items, args.seed)
    clock = WorkerClock(master_pid)
    samples = {item.key: Sample() for item in items}
    for item in items:  # the first answer: check it shows rows
        answer = client.request(item)
        sample = samples[item.key]
        sample.bytes = len(answer.body)
        if item.numbers:
            sample.rows = len(set(re.findall(item.numbers.encode(), answer.body)))
    for _ in range(args.warmup):
        for item in items:
            client.request(item)
    for number in range(args.requests):
        for item in items:
            before = clock.seconds()
            answer = client.request(item)
            after = clock.seconds()
            sample = samples[item.key]
            sample.client_ms.append(answer.ms)
            if before is not None and after is not None:
                sample.cpu_ms.append((after - before) * 1000)
            if answer.header("x-bench-server-us"):
                sample.server_ms.append(int(answer.header("x-bench-server-us")) / 1000)
                sample.statements[int(answer.header("x-bench-statements"))] += 1
        if (number + 1) % 50 == 0:
            print(f"  {number + 1} of {args.requests} rounds", flush=True)
    return samples


# --- looking inside: queries, EXPLAIN, profile (in-process) ------------------------------------------


def in_process_client(item: Scenario) -> Any:
    from django.test import Client as DjangoClient

    from hallplatform.accounts.models import User
    from hallplatform.accounts.services import api_token_for
    from tenants.demo import DEMO_PASSWORD

    if item.token:
        token = api_token_for(user=User.objects.get(username=item.username))
        return DjangoClient(HTTP_HOST=item.host, HTTP_AUTHORIZATION=f"Token {token}")
    client = DjangoClient(HTTP_HOST=item.host)
    response = client.post("/accounts/login/", {"username": item.username, "password": DEMO_PASSWORD})
    if response.status_code != 302:
        raise BenchError(f"in-process login as {item.username} failed ({response.status_code})")
    return client


def in_process_request(client: Any, item: Scenario, rng: random.Random) -> Any:
    if item.method == "POST":
        return client.post(item.path, registration_body(rng), content_type="application/json")
    return client.get(item.path)


class QueryTimer:
    """An execute wrapper timing each query with perf_counter (Django's own log rounds to 1 ms)."""

    def __init__(self) -> None:
        self.seconds: list[float] = []

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds.append(time.perf_counter() - started)


def explain(items: list[Scenario]) -> None:
    """Each endpoint once in-process: its queries by time, and EXPLAIN ANALYZE of the slowest."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from hallplatform.schemas import use_hall_schema, use_public_schema
    from tenants.models import Hall

    rng = random.Random("explain")
    hall = Hall.objects.get(code=BIG_HALL)
    for item in items:
        client = in_process_client(item)
        in_process_request(client, item, rng)  # warm
        timer = QueryTimer()
        with CaptureQueriesContext(connection) as captured, connection.execute_wrapper(timer):
            response = in_process_request(client, item, rng)
        queries = sorted(
            ({"sql": q["sql"], "time": t} for q, t in zip(captured.captured_queries, timer.seconds, strict=False)),
            key=lambda q: -q["time"],
        )
        total = sum(q["time"] for q in queries) * 1000
        print(
            f"\n{item.label} ({item.method} {item.path} on {item.host}): {response.status_code}, "
            f"{len(queries)} queries, {total:.1f} ms in the database driver"
        )
        for query in queries[:12]:
            text = re.sub(r"\s+", " ", query["sql"])[:200]
            print(f"  {query['time'] * 1000:7.2f} ms  {text}")
        for query in queries[:3]:
            sql = query["sql"]
            if not sql.lstrip().upper().startswith("SELECT") or query["time"] < 0.001:
                continue
            if item.host.startswith(f"{BIG_HALL}."):
                use_hall_schema(hall)
            else:
                use_public_schema()
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                plan = "\n".join("    " + row[0] for row in cursor.fetchall())
            use_public_schema()
            print(f"\n  EXPLAIN (ANALYZE, BUFFERS) {sql[:300]}\n{plan}")


def profile(items: list[Scenario], key: str) -> None:
    item = next((i for i in items if i.key == key), None)
    if item is None:
        sys.exit(f"--profile: no endpoint {key!r}; choose one of {', '.join(i.key for i in items)}")
    rng = random.Random("profile")
    client = in_process_client(item)
    for _ in range(3):
        in_process_request(client, item, rng)
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for _ in range(20):
        in_process_request(client, item, rng)
    profiler.disable()
    print(f"\nProfile of 20 in-process requests, {item.label}: {(time.perf_counter() - started) * 50:.1f} ms each")
    stream = io.StringIO()
    stats = pstats.Stats(profiler, stream=stream)
    stats.sort_stats("cumulative").print_stats(40)
    stats.sort_stats("tottime").print_stats(25)
    print(stream.getvalue())


# --- main ----------------------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--cases-big", type=int, default=100_000, help=f"cases in {BIG_HALL} (default 100,000)")
    parser.add_argument("--cases-small", type=int, default=10_000, help="cases in each other hall (default 10,000)")
    parser.add_argument("--halls", type=int, default=10, help="other halls with cases (default 10, at most 10)")
    parser.add_argument("--requests", type=int, default=200, help="measured requests per endpoint (default 200)")
    parser.add_argument("--warmup", type=int, default=20, help="unmeasured requests per endpoint first")
    parser.add_argument("--transferred", type=float, default=0.3, help="share of cases transferred (0.3)")
    parser.add_argument("--open-share", type=float, default=0.5, help="share of transferred cases still open (0.5)")
    parser.add_argument("--city-share", type=float, default=0.6, help="share of first slips to shaoguan/rsj (0.6)")
    parser.add_argument("--days", type=int, default=730, help="the cases are registered over this many days")
    parser.add_argument("--seed", type=int, default=1, help="seed of the generated data")
    parser.add_argument("--database", default=DEFAULT_DB_NAME, help=f"database name (default {DEFAULT_DB_NAME})")
    parser.add_argument("--reuse", action="store_true", help="keep the database loaded by an earlier run")
    parser.add_argument(
        "--only",
        default="",
        help="endpoints to measure: register,cases,cases-deadline,cases-overdue,inbox-city,inbox-hall",
    )
    parser.add_argument("--explain", action="store_true", help="queries and EXPLAIN ANALYZE of each endpoint")
    parser.add_argument("--profile", metavar="ENDPOINT", help="cProfile 20 in-process requests of one endpoint")
    parser.add_argument("--quick", action="store_true", help="a smoke run: small halls, few requests")
    args = parser.parse_args()
    if args.quick:
        args.cases_big, args.cases_small, args.halls = 3000, 300, 3
        args.requests, args.warmup = min(args.requests, 30), min(args.warmup, 5)
    if args.requests < 1 or args.warmup < 0:
        parser.error("--requests must be at least 1 and --warmup not negative")
    if not 0 <= args.halls <= 10:
        parser.error("--halls must be between 0 and 10 (the demo has 11 halls)")
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
    from django.db import connection

    from casework.models import Case
    from hallplatform.schemas import use_hall_schema, use_public_schema
    from tenants.demo import CITY, COUNTIES
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
        print(f"migrate_all and seed_demo in {time.perf_counter() - started:.1f} s", flush=True)
        print("Loading cases …", flush=True)
        figures = load(args)
        print(
            f"Loaded in {figures['load_seconds']:.1f} s, VACUUM ANALYZE in {figures['vacuum_seconds']:.1f} s",
            flush=True,
        )
    else:
        from django.core.management import call_command

        call_command("migrate_all", verbosity=0)  # migrations added since the data was loaded
        forget_hosts([f"{code}.{settings.BASE_DOMAIN}" for code, _name, _region in [CITY, *COUNTIES]])
    big = Hall.objects.get(code=BIG_HALL)
    use_hall_schema(big)
    big_cases = Case.objects.count()
    use_public_schema()
    if big_cases == 0:
        sys.exit(f"{BIG_HALL} has no cases: run without --reuse.")
    pg_version = postgres_version()
    connection.close()

    items = scenarios(settings.BASE_DOMAIN)
    if args.only:
        wanted = set(args.only.split(","))
        unknown = wanted - {i.key for i in items}
        if unknown:
            sys.exit(f"--only: unknown endpoint(s) {', '.join(sorted(unknown))}")
        items = [i for i in items if i.key in wanted]

    config = Configuration(
        "casework", "benchmarks.settings_tenant", f"{BIG_HALL}.{settings.BASE_DOMAIN}", settings.BASE_DOMAIN
    )
    load_start = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bancheng-bench-") as log_dir:
        server = Server(config, env, Path(log_dir))
        try:
            server.wait_ready()
            started = time.perf_counter()
            busy_before, total_before = cpu_ticks()
            samples = measure(server.port, server.process.pid, items, args)
            busy_after, total_after = cpu_ticks()
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
        if args.profile:
            profile(items, args.profile)
    finally:
        clear_queue()

    busy = (busy_after - busy_before) / (total_after - total_before) if total_after > total_before else float("nan")
    loads = (load_before, load_start, load_end)
    report(args, items, samples, figures, pg_version, big_cases, loads, busy, measure_seconds)


def report(
    args: argparse.Namespace,
    items: list[Scenario],
    samples: dict[str, Sample],
    figures: dict[str, Any],
    pg_version: str,
    big_cases: int,
    loads: tuple[tuple[float, float, float], ...],
    busy: float,
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
    print(
        f"CPUs busy while measuring: {busy:.0%} of {os.cpu_count()} (all processes, this benchmark's "
        "server, client and PostgreSQL included; /proc/stat)"
    )
    if figures:
        total_cases = sum(c.cases for _code, c in figures["halls"])
        total_slips = sum(c.slips for _code, c in figures["halls"])
        open_slips = sum(c.open_slips for _code, c in figures["halls"])
        events = sum(c.events for _code, c in figures["halls"])
        print(
            f"Loaded {total_cases:,} cases in {len(figures['halls'])} halls ({args.cases_big:,} in {BIG_HALL}), "
            f"{total_slips:,} slips ({open_slips:,} open), {figures['deadlines']:,} deadlines, {events:,} events, in "
            f"{figures['load_seconds']:.1f} s ({total_cases / figures['load_seconds']:,.0f} cases/s) "
            f"+ {figures['vacuum_seconds']:.1f} s VACUUM ANALYZE"
        )
        names = figures["department_names"]
        busiest = figures["open_by_department"].most_common(3)
        print("Open slips of the busiest departments: " + ", ".join(f"{names[d]} {n:,}" for d, n in busiest))
        for code in ("shaoguan/rsj", f"{BIG_HALL}/rsj"):
            pk = next((k for k, v in names.items() if v == code), None)
            print(f"  {code}: {figures['open_by_department'].get(pk, 0):,} open slips")
    else:
        print(f"Reused the loaded database ({big_cases:,} cases in {BIG_HALL} now).")
    print(
        f"gunicorn: 1 sync worker (benchmarks.settings_tenant); client: 1 request at a time, a new "
        f"connection each; {args.warmup} warm-up requests per endpoint, then {args.requests} measured "
        f"per endpoint, the endpoints alternating ({measure_seconds:.1f} s)"
    )
    print()
    header = (
        f"{'endpoint':<22} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7} {'server p50':>10} {'server p95':>10} "
        f"{'CPU ms':>7} {'statements':>10} {'KB':>6} {'rows':>5}  verdict"
    )
    print(header)
    print("-" * len(header))
    over = []
    for item in items:
        s = samples[item.key]
        p95 = percentile(s.client_ms, 0.95)
        verdict = "under 50 ms" if p95 < TARGET_MS else "OVER 50 ms"
        if p95 >= TARGET_MS:
            over.append(item.label)
        usual = s.statements.most_common(1)[0][0] if s.statements else 0
        others = sorted(k for k in s.statements if k != usual)
        statements = f"{usual}" + (f" ({','.join(map(str, others))})" if others else "")
        cpu = f"{statistics.mean(s.cpu_ms):7.1f}" if s.cpu_ms else f"{'-':>7}"
        print(
            f"{item.label:<22} {percentile(s.client_ms, 0.5):7.1f} {p95:7.1f} {max(s.client_ms):7.1f} "
            f"{percentile(s.server_ms, 0.5):10.1f} {percentile(s.server_ms, 0.95):10.1f} {cpu} {statements:>10} "
            f"{s.bytes / 1024:6.1f} {s.rows if item.numbers else '-':>5}  {verdict}"
        )
    print()
    print("p50/p95/max: client latency (request sent, answer read); server: time inside the middleware stack")
    print("(benchmarks/querycount.py); CPU: mean CPU time of the gunicorn worker per request (/proc, 10 ms")
    print("ticks); statements: sent to PostgreSQL per request (the usual count, others seen in brackets);")
    print("KB and rows: size of the first answer and the case or slip numbers it shows.")
    if over:
        print(f"\nOver the {TARGET_MS:.0f} ms target at p95: {', '.join(over)}")
    else:
        print(f"\nEvery endpoint under the {TARGET_MS:.0f} ms target at p95.")


if __name__ == "__main__":
    main()
