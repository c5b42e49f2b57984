"""Notices for staff, end to end (issue "Reach staff where they work", item 8): a transfer slip sent
at 16:50 on a Friday reaches the department handler's WeCom and SMS once; its yellow warning comes
in working time, never over the weekend; its breach goes to the handler and escalates to the
department lead and then the hall lead; an ordinary notice waits for the next morning's digest.

Real processes: a Celery worker of this test's own, configured (environment) for WeCom against a
real local HTTP server standing in for the WeCom API and console SMS; the test database in
PostgreSQL; Redis. Time: this process runs the casework services and the sweeps with
``timezone.now()`` answering the instant of each step (tests/casework/support.py ``Clock``), and
the sweeps are given the same instant; the worker only delivers, at the real time. Whatever the
test wrote is deleted afterwards, so the session's demo data stays as it was.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.db import connection

from casework.models import TransferSlip
from casework.services import slip_receive, slip_reply
from config.celery import app
from hallplatform.accounts.models import User
from hallplatform.deadlines.models import Deadline, DeadlineState
from hallplatform.deadlines.sweep import deadline_sweep
from hallplatform.schemas import use_hall_schema, use_public_schema
from notifications.digest import notice_digest_send_due
from notifications.models import ConsoleMessage, Notice, NoticeChannel, NoticeState, StaffContact
from notifications.tasks import notice_deliver_pending_task, notice_deliver_task
from tenants.models import Hall
from tests.casework.support import TZ, Clock, draft, register, transfer
from tests.notifications.conftest import wait_for
from tests.notifications.provider_api import ProviderApi
from tests.notifications.test_wecom import FakeWeCom

pytestmark = pytest.mark.celery_worker

FRIDAY_1650 = datetime(2026, 12, 4, 16, 50, tzinfo=TZ)  # a Friday of an ordinary working week
START_TIMEOUT = 60
DELIVERY_TIMEOUT = 30

HANDLER_PHONE = "13812345678"
WECOM_IDS = {
    "wengyuan_rsj": "rsj-huangli",  # the department's handler
    "wengyuan_rsj_lead": "rsj-wuqiang",  # the department's lead
    "wengyuan_lead": "lead-chengang",  # the hall's lead
    "wengyuan_window": "window-staff",  # the window, who takes the daily digest
}


# --- A worker of this test's own ----------------------------------------------------------------


@dataclass
class Worker:
    node: str
    queue: str
    log: Path

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""


@pytest.fixture
def staff_worker(committed_world: None, wecom: ProviderApi, tmp_path: Path, settings: Any) -> Iterator[Worker]:
    """A Celery worker process whose WeCom is the fake API of this test and whose SMS is the console,
    on a queue of its own (a session's shared worker, configured otherwise, never takes its tasks);
    tasks sent by this process go to that queue while the test runs. Stopped afterwards."""
    settings.SMS_PROVIDER = "console"
    queue = f"e2e-{uuid.uuid4().hex[:8]}"
    node = f"{queue}@localhost"
    database_url = os.environ.get("DATABASE_URL", settings.DATABASE_URL)
    env = dict(os.environ)
    env.update(
        DATABASE_URL=urlunsplit(urlsplit(database_url)._replace(path="/" + connection.settings_dict["NAME"])),
        CELERY_QUEUE=queue,
        SMS_PROVIDER="console",
        WECOM_CORP_ID=settings.WECOM_CORP_ID,
        WECOM_AGENT_ID=settings.WECOM_AGENT_ID,
        WECOM_SECRET=settings.WECOM_SECRET,
        WECOM_API_BASE=settings.WECOM_API_BASE,
        NOTICE_LINK_SCHEME=settings.NOTICE_LINK_SCHEME,
    )
    env.setdefault("BANCHENG_INSECURE_DEV_KEY", "1")
    log = tmp_path / "worker.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo", "-l", "INFO",
             "-n", node, "-Q", queue, "--without-gossip", "--without-mingle"],
            cwd=settings.BASE_DIR, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    # The app reads its settings with the CELERY_ namespace: a change to task_default_queue is shadowed.
    default_queue = app.conf.CELERY_TASK_DEFAULT_QUEUE
    app.conf.CELERY_TASK_DEFAULT_QUEUE = queue
    worker = Worker(node=node, queue=queue, log=log)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not app.control.ping(destination=[node], timeout=1.0):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the test's Celery worker did not start:\n{worker.tail()}")
        yield worker
    finally:
        app.conf.CELERY_TASK_DEFAULT_QUEUE = default_queue
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


# --- Committed data, deleted afterwards ---------------------------------------------------------


def _tables(schema: str) -> list[str]:
    """The tables of ``schema`` with an integer ``id`` (every model's table but a few join tables)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name FROM information_schema.columns WHERE table_schema = %s AND column_name = 'id' "
            "AND data_type IN ('integer', 'bigint')",
            [schema],
        )
        return [row[0] for row in cursor.fetchall()]


def _marks(schemas: list[str]) -> dict[tuple[str, str], int]:
    marks = {}
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for schema in schemas:
            for table in _tables(schema):
                cursor.execute(f"SELECT coalesce(max(id), 0) FROM {quote(schema)}.{quote(table)}")  # noqa: S608
                marks[schema, table] = cursor.fetchone()[0]
    return marks


def _snapshot(schema: str, table: str) -> list[tuple[Any, ...]]:
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {quote(schema)}.{quote(table)}")  # noqa: S608
        return cursor.fetchall()


# Rows the casework updates rather than inserts: the hall's case number counter.
_UPDATED = ("casework_casenumbersequence",)


@pytest.fixture
def committed_world(django_db_setup: None, django_db_blocker: Any) -> Iterator[Hall]:
    """The test commits (the worker is another process). Afterwards every row it inserted into the
    public schema and the hall's is deleted, with triggers (foreign keys, the immutable event and
    audit trails) off for that one transaction, and the rows it updated are put back."""
    with django_db_blocker.unblock():
        use_public_schema()
        hall = Hall.objects.get(code="wengyuan")
        schemas = ["public", hall.schema_name]
        marks = _marks(schemas)
        kept = {table: _snapshot(hall.schema_name, table) for table in _UPDATED}
        phone = User.objects.get(username="wengyuan_rsj").work_phone
        try:
            yield hall
        finally:
            connection.set_schema_to_public()
            quote = connection.ops.quote_name
            with connection.cursor() as cursor:
                cursor.execute("BEGIN")
                cursor.execute("SET LOCAL session_replication_role = replica")
                for (schema, table), mark in marks.items():
                    cursor.execute(f"DELETE FROM {quote(schema)}.{quote(table)} WHERE id > %s", [mark])  # noqa: S608
                for table, rows in kept.items():
                    cursor.execute(f"DELETE FROM {quote(hall.schema_name)}.{quote(table)}")  # noqa: S608
                    for row in rows:
                        places = ", ".join(["%s"] * len(row))
                        cursor.execute(f"INSERT INTO {quote(hall.schema_name)}.{quote(table)} VALUES ({places})", row)  # noqa: S608
                cursor.execute("COMMIT")
            User.objects.filter(username="wengyuan_rsj").update(work_phone=phone)


# --- What the providers received ----------------------------------------------------------------


def wecom_sent(api: ProviderApi) -> list[tuple[str, str]]:
    """(WeCom user, title) of every message/send the fake WeCom received, in order."""
    sent = []
    for request in api.to("/cgi-bin/message/send"):
        message = request.json()
        title = message["textcard"]["title"] if message["msgtype"] == "textcard" else message["text"]["content"]
        sent.append((message["touser"], title))
    return sent


@dataclass
class Story:
    """The test's clock and worker, and the first notice id the test may write."""

    clock: Clock
    worker: Worker
    first_notice: int

    def drain(self) -> None:
        """Wait until the worker has sent every notice the test wrote; then a task of the worker's
        that returns a result, sent last to its one-at-a-time queue, runs after every task before it."""
        use_public_schema()
        waiting = Notice.objects.filter(pk__gte=self.first_notice, state__in=[NoticeState.QUEUED, NoticeState.SENDING])
        try:
            wait_for(lambda: not waiting.exists(), timeout=DELIVERY_TIMEOUT, what="the worker to send the notices")
        except AssertionError as error:
            raise AssertionError(f"{error}: {list(waiting.values())}\n{self.worker.tail()}") from None
        notice_deliver_pending_task.apply_async(headers={"_schema_name": "public"}).get(timeout=DELIVERY_TIMEOUT)

    def sweep(self, now: datetime) -> tuple[int, int, int]:
        self.clock.set(now)
        use_public_schema()
        result = deadline_sweep(now=now)
        self.drain()
        return result.warned, result.breached, result.escalated


# --- The test -----------------------------------------------------------------------------------


def test_a_slip_sent_on_friday_evening_reaches_the_right_people_once_each_step_in_working_time(
    committed_world: Hall, staff_worker: Worker, wecom: ProviderApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    hall = committed_world
    fake = FakeWeCom(wecom)
    clock = Clock(FRIDAY_1650)
    monkeypatch.setattr("django.utils.timezone.now", clock)
    story = Story(clock, staff_worker, (Notice.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1)
    drain, sweep = story.drain, story.sweep
    people = {u.username: u for u in User.objects.filter(username__in=WECOM_IDS)}
    User.objects.filter(pk=people["wengyuan_rsj"].pk).update(work_phone=HANDLER_PHONE)
    # given the handler chose WeCom and SMS, the leads WeCom, the window staff WeCom and the digest
    StaffContact.objects.create(
        user=people["wengyuan_rsj"], channels=["wecom", "sms"], wecom_user_id=WECOM_IDS["wengyuan_rsj"]
    )
    for username in ("wengyuan_rsj_lead", "wengyuan_lead"):
        StaffContact.objects.create(user=people[username], channels=["wecom"], wecom_user_id=WECOM_IDS[username])
    StaffContact.objects.create(
        user=people["wengyuan_window"], channels=["wecom"], wecom_user_id=WECOM_IDS["wengyuan_window"], digest=True
    )

    # when the window transfers a case to 人社局 at 16:50 on Friday
    use_hall_schema(hall)
    case = register(hall)
    transfer(case, draft("wengyuan/rsj"))
    slip = TransferSlip.objects.get(case=case)
    use_public_schema()
    drain()

    # then the handler's WeCom and SMS each got the new slip once
    sent = Notice.objects.filter(kind="slip_sent", event_key__contains=str(slip.pk))
    assert sorted(sent.values_list("recipient_user__username", "channel", "state")) == [
        ("wengyuan_rsj", "inbox", "sent"),
        ("wengyuan_rsj", "sms", "sent"),
        ("wengyuan_rsj", "wecom", "sent"),
    ]
    assert [to for to, _title in wecom_sent(wecom)] == ["rsj-huangli"]
    assert "转办" in wecom_sent(wecom)[0][1]
    sms = sent.get(channel=NoticeChannel.SMS)
    assert ConsoleMessage.objects.filter(reference=f"notice:{sms.pk}", to="+86138****5678").count() == 1
    # and delivering them again (a redelivered task) sends nothing twice
    for notice in sent:
        notice_deliver_task.apply_async(args=[notice.pk], headers={"_schema_name": "public"})
    drain()
    assert len(wecom_sent(wecom)) == 1
    assert ConsoleMessage.objects.filter(reference=f"notice:{sms.pk}").count() == 1
    assert set(sent.values_list("attempts", flat=True)) == {1}

    deadline = Deadline.objects.get(subject_type="casework.TransferSlip", subject_id=str(slip.pk))
    warn_at, due_at = (timezone_local(deadline.warn_at), timezone_local(deadline.due_at))
    # two working days, the day of receipt not counted: Monday and Tuesday; yellow at 75 %
    assert due_at == datetime(2026, 12, 8, 17, 30, tzinfo=TZ)
    assert warn_at == datetime(2026, 12, 8, 11, 35, tzinfo=TZ)

    # when the sweep runs over the weekend and on Monday, nothing is raised
    for now in ["2026-12-04T17:40", "2026-12-05T10:00", "2026-12-06T16:00", "2026-12-07T17:00"]:
        assert sweep(datetime.fromisoformat(now).replace(tzinfo=TZ)) == (0, 0, 0), now
    assert len(wecom_sent(wecom)) == 1

    # then at the warning time on the working day the handler is warned on WeCom and SMS, once
    assert sweep(deadline.warn_at) == (1, 0, 0)
    assert sweep(deadline.warn_at + timedelta(minutes=1)) == (0, 0, 0)
    warning = Notice.objects.filter(event_key=f"deadline:{deadline.pk}:warning")
    assert sorted(warning.values_list("recipient_user__username", "channel", "state")) == [
        ("wengyuan_rsj", "inbox", "sent"),
        ("wengyuan_rsj", "sms", "sent"),
        ("wengyuan_rsj", "wecom", "sent"),
    ]
    assert [to for to, _title in wecom_sent(wecom)] == ["rsj-huangli"] * 2

    # at the due time, the breach goes to the handler
    assert sweep(deadline.due_at) == (0, 1, 0)
    deadline.refresh_from_db()
    assert deadline.state == DeadlineState.BREACHED
    breach = Notice.objects.filter(event_key=f"deadline:{deadline.pk}:breach")
    assert sorted(breach.values_list("recipient_user__username", "channel", "state")) == [
        ("wengyuan_rsj", "inbox", "sent"),
        ("wengyuan_rsj", "sms", "sent"),
        ("wengyuan_rsj", "wecom", "sent"),
    ]
    # 195 working minutes later to the department lead, 195 more to the hall lead, each once
    first = deadline.next_escalation_at
    assert first is not None and timezone_local(first) == datetime(2026, 12, 9, 11, 45, tzinfo=TZ)
    assert sweep(first - timedelta(minutes=1)) == (0, 0, 0)
    assert sweep(first) == (0, 0, 1)
    deadline.refresh_from_db()
    second = deadline.next_escalation_at
    assert second is not None and timezone_local(second) == datetime(2026, 12, 9, 17, 30, tzinfo=TZ)
    assert sweep(second) == (0, 0, 1)
    assert sweep(second) == (0, 0, 0)
    escalations = Notice.objects.filter(event_key__startswith=f"deadline:{deadline.pk}:escalation:")
    assert sorted(escalations.values_list("event_key", "recipient_user__username", "channel", "state")) == [
        (f"deadline:{deadline.pk}:escalation:2", "wengyuan_rsj_lead", "inbox", "sent"),
        (f"deadline:{deadline.pk}:escalation:2", "wengyuan_rsj_lead", "wecom", "sent"),
        (f"deadline:{deadline.pk}:escalation:3", "wengyuan_lead", "inbox", "sent"),
        (f"deadline:{deadline.pk}:escalation:3", "wengyuan_lead", "wecom", "sent"),
    ]
    assert [to for to, _title in wecom_sent(wecom)] == [
        "rsj-huangli",  # the new slip
        "rsj-huangli",  # its warning
        "rsj-huangli",  # its breach
        "rsj-wuqiang",  # the department lead
        "lead-chengang",  # the hall lead
    ]
    # the handler's SMS: the new slip, its warning, its breach, one message each
    texts = Notice.objects.filter(recipient_user=people["wengyuan_rsj"], channel=NoticeChannel.SMS)
    assert sorted(texts.values_list("kind", flat=True)) == ["deadline_breach", "deadline_warning", "slip_sent"]
    assert (
        ConsoleMessage.objects.filter(
            reference__in=[f"notice:{pk}" for pk in texts.values_list("pk", flat=True)]
        ).count()
        == 3
    )

    # when the handler answers on Thursday morning: the window's notice is ordinary, in-app only
    clock.set(datetime(2026, 12, 10, 9, 0, tzinfo=TZ))
    use_hall_schema(hall)
    slip = slip_receive(slip=TransferSlip.objects.get(pk=slip.pk), actor=people["wengyuan_rsj"])
    slip_reply(slip=slip, actor=people["wengyuan_rsj"], result="done", reply="已办结")
    use_public_schema()
    drain()
    replied = Notice.objects.filter(kind="slip_replied", recipient_user=people["wengyuan_window"])
    assert list(replied.values_list("channel", flat=True)) == ["inbox"]
    assert len(wecom_sent(wecom)) == 5

    # then no digest before the office opens on Friday; at the first office hour, one, once
    clock.set(datetime(2026, 12, 11, 8, 0, tzinfo=TZ))
    assert notice_digest_send_due(now=clock.now) == 0
    clock.set(datetime(2026, 12, 11, 8, 30, tzinfo=TZ))
    assert notice_digest_send_due(now=clock.now) == 1
    assert notice_digest_send_due(now=clock.now + timedelta(hours=2)) == 0
    drain()
    digest = Notice.objects.get(kind="staff_digest", recipient_user=people["wengyuan_window"])
    assert (digest.channel, digest.state, digest.event_key) == ("wecom", "sent", "digest:2026-12-11")
    assert "部门已答复" in digest.body
    assert wecom_sent(wecom)[5:] == [("window-staff", digest.subject)]
    assert len(wecom_sent(wecom)) == 6
    assert fake.tokens  # the worker asked WeCom for a token with the configured corp and secret


def timezone_local(moment: datetime) -> datetime:
    return moment.astimezone(TZ)
