"""/metrics: Prometheus figures for the monitoring system, and nothing for anyone else."""

from __future__ import annotations

import ipaddress
import socket
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import redis
from django.conf import settings
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from hallplatform.deadlines.models import Deadline, DeadlineState
from hallplatform.metrics import redis_py_url
from notifications.models import Notice, NoticeState
from tenants.models import Hall
from tests.conftest import host_of, user

POD = "10.244.3.17"  # Prometheus scrapes the pod by its address: no hall's host name


def scrape(host: str = f"{POD}:8000", remote: str = "10.244.0.9", **headers: Any) -> Any:
    client = Client(HTTP_HOST=host)
    return client.get("/metrics", REMOTE_ADDR=remote, **headers)


def samples(response: Any) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("text/plain; version=")
    found = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(found: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float:
    return found[(name, tuple(sorted(labels.items())))]


def breached_deadline(hall: Hall, *, hours_ago: float) -> Deadline:
    now = timezone.now()
    return Deadline.objects.create(
        hall=hall, kind="slip_reply", subject_type="casework.TransferSlip", subject_id=uuid.uuid4().hex[:12],
        rule="working_days", rule_amount=2, start_at=now - timedelta(days=5),
        due_at=now - timedelta(hours=hours_ago), warn_at=now - timedelta(days=1),
        state=DeadlineState.BREACHED, breached_at=now - timedelta(hours=hours_ago),
    )  # fmt: skip


def notice(state: str, hall: Hall) -> Notice:
    return Notice.objects.create(
        kind="deadline_breach", hall=hall, event_key=f"test:{uuid.uuid4().hex}", channel="sms",
        recipient_user=user("wengyuan_window"), subject="s", body="b", state=state,
    )  # fmt: skip


@pytest.fixture
def queue() -> Iterator[str]:
    """A Celery queue of this test's own on the broker, removed afterwards."""
    name = f"metrics-test-{uuid.uuid4().hex[:8]}"
    client = redis.Redis.from_url(redis_py_url(settings.CELERY_BROKER_URL))
    keys = [name, *(f"{name}\x06\x16{step}" for step in (3, 6, 9))]
    try:
        with override_settings(CELERY_TASK_DEFAULT_QUEUE=name):
            yield name
    finally:
        client.delete(*keys)
        client.close()


def test_the_figures_count_breaches_notices_and_waiting_tasks(demo: dict[str, Hall], queue: str) -> None:
    # given what is there already
    before = samples(scrape())

    # when deadlines breach in two halls, notices fail or wait, and tasks wait in the queue
    breached_deadline(demo["wengyuan"], hours_ago=2)
    breached_deadline(demo["nanxiong"], hours_ago=30)
    notice(NoticeState.FAILED, demo["wengyuan"])
    notice(NoticeState.QUEUED, demo["nanxiong"])
    notice(NoticeState.SENT, demo["nanxiong"])
    broker = redis.Redis.from_url(redis_py_url(settings.CELERY_BROKER_URL))
    broker.lpush(queue, "a", "b", "c")
    broker.lpush(f"{queue}\x06\x169", "d")  # a high-priority message: its own list
    broker.close()
    after = samples(scrape())

    # then
    def grew(name: str) -> float:
        return value(after, name) - value(before, name)

    assert grew("bancheng_deadlines_breached") == 2
    assert value(after, "bancheng_deadlines_breached_oldest_seconds") >= 30 * 3600 - 60
    assert grew("bancheng_notices_failed") == 1
    assert grew("bancheng_notices_queued") == 1
    assert value(after, "bancheng_celery_queue_length", queue=queue) == 4
    assert value(after, "bancheng_metrics_source_up", source="database") == 1
    assert value(after, "bancheng_metrics_source_up", source="broker") == 1


def test_totals_only_no_hall_is_named(demo: dict[str, Hall]) -> None:
    breached_deadline(demo["wengyuan"], hours_ago=1)

    response = scrape()

    assert response.status_code == 200
    for hall in demo.values():
        assert hall.code.encode() not in response.content
        assert hall.name.encode() not in response.content


@pytest.mark.parametrize("host", [f"{POD}:8000", "bancheng-web.bancheng.svc", "wengyuan.localhost", "localhost"])
def test_it_answers_on_any_host_name(demo: object, host: str) -> None:
    # pods are scraped by address or service name; the hall routing is not involved
    assert scrape(host=host).status_code == 200


def test_an_ipv4_mapped_address_counts_as_its_ipv4_address(demo: object) -> None:
    assert scrape(remote="::ffff:10.244.0.9").status_code == 200
    assert scrape(remote="::ffff:203.0.113.7").status_code == 404


@pytest.mark.parametrize(
    ("remote", "headers"),
    [
        ("203.0.113.7", {}),  # a public address
        ("10.244.0.9", {"HTTP_X_FORWARDED_FOR": "203.0.113.7"}),  # through the ingress
        ("10.244.0.9", {"HTTP_X_REAL_IP": "203.0.113.7"}),
        ("10.244.0.9", {"HTTP_FORWARDED": "for=203.0.113.7;proto=https"}),
        ("not-an-address", {}),
    ],
)
def test_anyone_else_gets_404(demo: object, remote: str, headers: dict[str, str]) -> None:
    response = scrape(remote=remote, **headers)

    assert response.status_code == 404
    assert b"bancheng_" not in response.content


def test_on_a_hall_host_through_the_ingress_it_is_404_too(demo: object) -> None:
    response = Client(HTTP_HOST=host_of("wengyuan")).get(
        "/metrics", REMOTE_ADDR="10.244.0.9", HTTP_X_FORWARDED_FOR="198.51.100.1"
    )
    assert response.status_code == 404


def test_the_allowed_networks_are_configurable(demo: object) -> None:
    with override_settings(METRICS_ALLOWED_NETWORKS=[ipaddress.ip_network("192.0.2.0/24")]):
        assert scrape(remote="192.0.2.10").status_code == 200
        assert scrape(remote="10.244.0.9").status_code == 404
    with override_settings(METRICS_ALLOWED_NETWORKS=[]):
        assert scrape(remote="127.0.0.1").status_code == 404


def test_with_a_token_only_its_bearer_may_read(demo: object) -> None:
    with override_settings(METRICS_TOKEN="s3cret-scrape-token"):
        assert scrape().status_code == 404
        assert scrape(HTTP_AUTHORIZATION="Bearer wrong").status_code == 404
        assert scrape(HTTP_AUTHORIZATION="s3cret-scrape-token").status_code == 404
        assert scrape(HTTP_AUTHORIZATION="Bearer s3cret-scrape-token").status_code == 200
        # the token does not open the door to the public internet
        assert scrape(remote="203.0.113.7", HTTP_AUTHORIZATION="Bearer s3cret-scrape-token").status_code == 404


def test_an_unreachable_broker_is_reported_not_raised(demo: object) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with override_settings(CELERY_BROKER_URL=f"redis://127.0.0.1:{port}/0"):
        found = samples(scrape())

    assert value(found, "bancheng_metrics_source_up", source="broker") == 0
    assert value(found, "bancheng_metrics_source_up", source="database") == 1
    assert not any(name == "bancheng_celery_queue_length" for name, _ in found)


def test_a_scrape_costs_three_queries(demo: object) -> None:
    with CaptureQueriesContext(connection) as queries:
        assert scrape().status_code == 200

    statements = [query["sql"] for query in queries.captured_queries]
    counting = [sql for sql in statements if sql.startswith("SELECT")]
    assert len(counting) == 3, statements
    # besides them at most the SET search_path of django-tenants (the public schema)
    assert all(sql.startswith("SET search_path") for sql in statements if sql not in counting), statements
