"""Host name to hall resolution, cached in Redis and invalidated when a hall or domain changes.

Plain django-tenants spends several queries per request to find the hall of a host. Here the
answer is kept in the cache under the host name; a change to a hall or one of its domains deletes
the affected keys (immediately and again after commit, so a request racing the transaction cannot
keep a stale answer). A hall request therefore costs one query more than a single-schema request:
the `SET search_path` django-tenants issues on the first cursor.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver
from redis.exceptions import RedisError

from hallplatform.caching import cache_outage, database_key, delete_database_keys
from tenants.models import Domain

logger = logging.getLogger(__name__)

CACHE_PREFIX = "hallroute:v1:"
HIT_TIMEOUT = 24 * 3600
# Unknown hosts are remembered briefly so that a flood of random subdomains cannot reach the
# database on every request; creating a domain deletes its key at once.
MISS_TIMEOUT = 60
_MISS = "-"


@dataclass(frozen=True)
class HallRoute:
    """What a request needs to know about its hall, without touching the database."""

    hall_id: int
    schema_name: str
    code: str
    name: str
    level: str
    parent_id: int | None
    region_code: str

    @property
    def city_id(self) -> int:
        return self.parent_id if self.parent_id is not None else self.hall_id


def hall_origin(request: Any, code: str) -> str:
    """``http(s)://<code>.<BASE_DOMAIN>[:port]``: where the hall ``code`` answers, with the scheme and
    the port of this request (a list links a hundred halls: worked out once per request)."""
    parts: tuple[str, str] | None = getattr(request, "_hall_origin_parts", None)
    if parts is None:
        host = request.get_host()
        port = host.rsplit(":", 1)[1] if ":" in host else ""
        parts = (request.scheme, f":{port}" if port else "")
        request._hall_origin_parts = parts
    return f"{parts[0]}://{code}.{settings.BASE_DOMAIN}{parts[1]}"


def normalise_host(host: str) -> str:
    return host.split(":", 1)[0].strip().lower().rstrip(".")


def is_public_host(host: str) -> bool:
    return normalise_host(host) == settings.BASE_DOMAIN


def _key(host: str) -> str:
    return database_key(CACHE_PREFIX, normalise_host(host))


def route_for_host(host: str) -> HallRoute | None:
    """The active hall answering on ``host``, or None (unknown host, inactive hall)."""
    host = normalise_host(host)
    # Without the cache the answer still comes from the database: slower, never wrong.
    if cache_outage.ongoing():
        return _load_route(host)
    try:
        cached = cache.get(_key(host))
    except RedisError as error:
        cache_outage.record(error)
        return _load_route(host)
    if cached == _MISS:
        return None
    if cached is not None:
        return HallRoute(**cached)
    route = _load_route(host)
    try:
        if route is None:
            cache.set(_key(host), _MISS, MISS_TIMEOUT)
        else:
            cache.set(_key(host), asdict(route), HIT_TIMEOUT)
    except RedisError as error:
        cache_outage.record(error)
    return route


def _load_route(host: str) -> HallRoute | None:
    domain = (
        Domain.objects.select_related("tenant")
        .filter(domain=host, tenant__is_active=True)
        .only(
            "tenant__id",
            "tenant__schema_name",
            "tenant__code",
            "tenant__name",
            "tenant__level",
            "tenant__parent_id",
            "tenant__region_code",
        )
        .first()
    )
    if domain is None:
        return None
    hall = domain.tenant
    return HallRoute(
        hall_id=hall.pk,
        schema_name=hall.schema_name,
        code=hall.code,
        name=hall.name,
        level=hall.level,
        parent_id=hall.parent_id,
        region_code=hall.region_code,
    )


def forget_hosts(hosts: list[str]) -> None:
    """Drop cached answers for these hosts now and once more after the transaction commits.

    Without Redis the change is refused (the error rolls the transaction back): a Redis that was
    paused, not emptied, would otherwise keep routing these hosts the old way for a day. The second
    deletion, after the commit, only guards against a racing request; its failure is logged.
    """
    keys = [_key(h) for h in hosts if h]
    if not keys:
        return
    cache.delete_many(keys)

    def forget_again() -> None:
        cache.delete_many(keys)

    transaction.on_commit(forget_again, robust=True)


def forget_all_hosts() -> int:
    """Drop every cached answer of this database; returns how many were dropped.

    For what the signals below cannot see: a bulk ``QuerySet.update()`` of halls or domains, SQL run
    by hand, or a test transaction rolled back after it cached routes to rows that no longer exist.
    """
    return delete_database_keys(CACHE_PREFIX)


@receiver(pre_save, sender="tenants.Domain")
def _domain_pre_save(sender, instance, **kwargs):
    if instance.pk:
        old = sender.objects.filter(pk=instance.pk).values_list("domain", flat=True).first()
        if old and old != instance.domain:
            forget_hosts([old])


@receiver(post_save, sender="tenants.Domain")
@receiver(post_delete, sender="tenants.Domain")
def _domain_changed(sender, instance, **kwargs):
    forget_hosts([instance.domain])


@receiver(post_save, sender="tenants.Hall")
@receiver(post_delete, sender="tenants.Hall")
def _hall_changed(sender, instance, **kwargs):
    hosts = list(Domain.objects.filter(tenant_id=instance.pk).values_list("domain", flat=True))
    hosts.append(f"{instance.code}.{settings.BASE_DOMAIN}")
    forget_hosts(hosts)
