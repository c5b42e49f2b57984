"""Prometheus metrics at /metrics, for the monitoring system only, never for the public internet.

The figures are counted when Prometheus scrapes, by one query each over public-schema tables and one
Redis round trip, and are totals over all halls (no hall codes: see docs/operations.md, "Monitoring"):

* ``bancheng_deadlines_breached`` and ``bancheng_deadlines_breached_oldest_seconds``: the backlog of
  statutory deadlines past due and not yet met (hallplatform.deadlines);
* ``bancheng_notices_failed`` and ``bancheng_notices_queued``: notices that gave up after their
  attempts, and those waiting to be sent (notifications);
* ``bancheng_celery_queue_length``: tasks waiting in the Celery queue;
* ``bancheng_metrics_source_up``: 0 when one of the sources above could not be read.

Who may read them: a request made straight to the process (no ``X-Forwarded-For``, ``X-Real-IP`` or
``Forwarded`` header: the ingress adds them, so nothing arriving through it qualifies), from an address
in METRICS_ALLOWED_CIDRS, bearing ``Authorization: Bearer <METRICS_TOKEN>`` when that is set. Anyone
else gets 404, as for a route that does not exist.

MetricsMiddleware answers the path before HallRoutingMiddleware looks at the host: Prometheus scrapes
each pod by its IP address, which is no hall's host name. The route is also listed in the URL confs so
that route introspection (tests/hallplatform/test_isolation.py) sees it like every other.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
from collections.abc import Callable, Iterator
from typing import Any

import redis
from django.conf import settings
from django.db.models import Count, Min
from django.http import HttpRequest, HttpResponse, HttpResponseNotFound
from django.utils import timezone
from django.views.decorators.cache import never_cache
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector
from redis.backoff import NoBackoff
from redis.retry import Retry

from hallplatform.accounts.access import public_endpoint
from hallplatform.deadlines.models import Deadline, DeadlineState
from hallplatform.schemas import use_public_schema
from notifications.models import Notice, NoticeState

logger = logging.getLogger(__name__)

METRICS_PATH = "/metrics"
# Headers a reverse proxy adds: a request carrying one came through the ingress (or pretends to).
_PROXY_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_X_REAL_IP", "HTTP_FORWARDED")
# kombu's Redis transport keeps a queue's messages in one list per priority step (kombu.transport.redis).
_KOMBU_PRIORITY_STEPS = (0, 3, 6, 9)
_KOMBU_PRIORITY_SEP = "\x06\x16"
REDIS_TIMEOUT = 1.0


def request_may_read_metrics(request: HttpRequest) -> bool:
    if any(request.META.get(header) for header in _PROXY_HEADERS):
        return False
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # ::ffff:10.1.2.3 from a dual-stack socket
    if not any(address in network for network in settings.METRICS_ALLOWED_NETWORKS):
        return False
    token = settings.METRICS_TOKEN
    if token:
        given = request.META.get("HTTP_AUTHORIZATION", "")
        return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())
    return True


def redis_py_url(broker_url: str) -> str:
    """A kombu broker URL as redis-py spells it (``redis+socket:///path`` → ``unix:///path``)."""
    if broker_url.startswith("redis+socket://"):
        return "unix://" + broker_url[len("redis+socket://") :]
    return broker_url


def celery_queue_length(broker_url: str, queue: str) -> int:
    """Messages waiting in ``queue`` on a Redis broker, all priorities, in one round trip."""
    client = redis.Redis.from_url(
        redis_py_url(broker_url),
        socket_connect_timeout=REDIS_TIMEOUT,
        socket_timeout=REDIS_TIMEOUT,
        retry=Retry(NoBackoff(), 0),  # a scrape must not wait out retries
    )
    try:
        with client.pipeline(transaction=False) as pipe:
            for step in _KOMBU_PRIORITY_STEPS:
                pipe.llen(queue if step == 0 else f"{queue}{_KOMBU_PRIORITY_SEP}{step}")
            return sum(int(size) for size in pipe.execute())
    finally:
        client.close()


def database_gauges() -> list[GaugeMetricFamily]:
    """The deadline and notice figures: three counting queries over public-schema tables."""
    use_public_schema()
    breached = Deadline.objects.filter(state=DeadlineState.BREACHED).aggregate(
        count=Count("id"), oldest=Min("breached_at")
    )
    failed = Notice.objects.filter(state=NoticeState.FAILED).count()
    queued = Notice.objects.filter(state=NoticeState.QUEUED).count()
    oldest = breached["oldest"]
    return [
        GaugeMetricFamily(
            "bancheng_deadlines_breached", "Deadlines past due and not yet met, all halls", value=breached["count"]
        ),
        GaugeMetricFamily(
            "bancheng_deadlines_breached_oldest_seconds",
            "Seconds since the oldest breach not yet met (0: none)",
            value=(timezone.now() - oldest).total_seconds() if oldest else 0,
        ),
        GaugeMetricFamily("bancheng_notices_failed", "Notices that failed after every attempt", value=failed),
        GaugeMetricFamily("bancheng_notices_queued", "Notices waiting to be sent", value=queued),
    ]


def broker_gauges() -> list[GaugeMetricFamily]:
    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    gauge = GaugeMetricFamily("bancheng_celery_queue_length", "Tasks waiting in the Celery queue", labels=["queue"])
    gauge.add_metric([queue], celery_queue_length(settings.CELERY_BROKER_URL, queue))
    return [gauge]


class PlatformCollector(Collector):
    """Reads the figures at collection time; a source that cannot be read is reported, not raised."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        up = GaugeMetricFamily(
            "bancheng_metrics_source_up", "1 if the source of some metrics could be read", labels=["source"]
        )
        sources: list[tuple[str, Callable[[], list[GaugeMetricFamily]]]] = [
            ("database", database_gauges),
            ("broker", broker_gauges),
        ]
        for source, read in sources:
            try:
                gauges = read()
            except Exception:
                logger.warning("metrics: %s could not be read", source, exc_info=True)
                up.add_metric([source], 0)
            else:
                yield from gauges
                up.add_metric([source], 1)
        yield up


def render_metrics() -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(PlatformCollector())
    return generate_latest(registry)


@public_endpoint
@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus text format for the monitoring system; 404 for anyone else."""
    if not request_may_read_metrics(request):
        return HttpResponseNotFound()
    return HttpResponse(render_metrics(), content_type=CONTENT_TYPE_LATEST)


class MetricsMiddleware:
    """Answers METRICS_PATH on any host (pods are scraped by address); every other path passes on."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> Any:
        if request.path_info == METRICS_PATH:
            return metrics(request)
        return self.get_response(request)
