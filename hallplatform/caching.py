"""Helpers for the keys this project keeps in the shared cache (Redis), and for living without it.

Redis holds nothing that cannot be done without: host routing and dashboards' kept figures come from
the database when the cache fails, and a notice's delivery task is sent by the outbox sweep when the
broker fails (docs/security.md, "Availability when Redis is down"). ``RedisOutage`` remembers such a
failure for ``REDIS_OUTAGE_SECONDS``, so that a Redis that no longer answers costs one request its
socket timeout, not every request.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, cast

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from kombu.exceptions import OperationalError
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


def database_key(prefix: str, rest: str) -> str:
    """``prefix`` + this database's name + ``rest``: deployments, checkouts and test runs that share
    one Redis keep apart by their database."""
    return f"{prefix}{connection.settings_dict['NAME']}:{rest}"


def delete_database_keys(prefix: str) -> int:
    """Drop every key ``database_key(prefix, …)`` of this database; returns how many were dropped."""
    pattern = cache.make_key(database_key(prefix, "*"))
    client = cast(Any, cache)._cache.get_client(write=True)  # Django's RedisCache: a redis.Redis
    keys = list(client.scan_iter(match=pattern, count=1000))
    if keys:
        client.delete(*keys)
    return len(keys)


class RedisOutage:
    """Per process: a Redis service (the cache, the broker) failed a moment ago; skip it until
    ``REDIS_OUTAGE_SECONDS`` have passed, then try it again."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._until = 0.0
        self._lock = threading.Lock()

    def ongoing(self) -> bool:
        return time.monotonic() < self._until

    def record(self, error: BaseException) -> None:
        """The service failed with ``error``: log it (once per outage window) and skip it for a while."""
        with self._lock:
            first = not self.ongoing()
            self._until = time.monotonic() + settings.REDIS_OUTAGE_SECONDS
        if first:
            logger.warning(
                "Redis (%s) unreachable: %s; going without it for %.0f s",
                self.name,
                error,
                settings.REDIS_OUTAGE_SECONDS,
            )

    def clear(self) -> None:
        self._until = 0.0


# What a publish raises when the broker cannot be reached: kombu wraps the transport's connection
# errors in OperationalError; redis-py's and the socket's own are listed for the paths it does not wrap.
BROKER_ERRORS: tuple[type[BaseException], ...] = (OperationalError, RedisError, OSError)

# The Django cache (host routing, kept figures) and the Celery broker (delivery tasks of notices).
cache_outage = RedisOutage("cache")
broker_outage = RedisOutage("broker")
