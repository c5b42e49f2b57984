"""API throttles (DRF), counted in Redis, failing open.

Unauthenticated calls and calls with a bad token are counted per client address
(API_THROTTLE_ANON_RATE); a logged-in person per person, at a rate a busy window clerk never reaches
(API_THROTTLE_USER_RATE). When Redis does not answer, the call is let through and a warning logged:
an outage of the counters must never refuse work or answer 500.
"""

from __future__ import annotations

import logging
from typing import Any, cast

from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest
from redis.exceptions import RedisError
from rest_framework.exceptions import Throttled
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from hallplatform.caching import cache_outage
from hallplatform.clientip import client_ip

logger = logging.getLogger(__name__)


class FailOpenRateThrottle(SimpleRateThrottle):
    def __init__(self) -> None:
        self.cache = caches[settings.THROTTLE_CACHE]
        super().__init__()

    def get_rate(self) -> str | None:
        # Read from settings at each use (not at import), so that a deployment's variables apply.
        rates: Any = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
        return rates.get(self.scope)

    def get_ident(self, request: Request) -> str:
        return client_ip(request._request)

    def allow_request(self, request: Request, view: Any) -> bool:
        if cache_outage.ongoing():  # Redis failed a moment ago (hallplatform.caching): do not wait on it
            return True
        try:
            return super().allow_request(request, view)
        except (RedisError, OSError) as error:
            cache_outage.record(error)
            logger.warning("API throttle %s skipped, Redis does not answer: %s", self.scope, error)
            return True


class AnonymousCallThrottle(FailOpenRateThrottle):
    """Calls without a valid login, per client address (the caller knows the call is anonymous)."""

    scope = "anon"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class AnonAddressThrottle(AnonymousCallThrottle):
    """The default throttle for a view open without a login: anonymous calls per address."""

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if request.user and request.user.is_authenticated:
            return None
        return super().get_cache_key(request, view)


class StaffUserThrottle(FailOpenRateThrottle):
    """Calls of a logged-in person (session or token), per person."""

    scope = "user"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if not (request.user and request.user.is_authenticated):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class PageAddressThrottle(FailOpenRateThrottle):
    """A page open without a login (a template view, not DRF), per client address, at the rate of the
    setting ``rate_setting`` (e.g. ``PROGRESS_THROTTLE_RATE``). Fails open like the API throttles."""

    def __init__(self, *, scope: str, rate_setting: str) -> None:
        self.scope = scope
        self.rate_setting = rate_setting
        super().__init__()

    def get_rate(self) -> str | None:
        return cast(str, getattr(settings, self.rate_setting))

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


def page_address_throttle(request: HttpRequest, *, scope: str, rate_setting: str) -> int:
    """Count a request to a public page against its address: 0 if allowed, else the seconds to wait
    (the view answers 429 with ``Retry-After``)."""
    throttle = PageAddressThrottle(scope=scope, rate_setting=rate_setting)
    if throttle.allow_request(Request(request), None):
        return 0
    return max(1, int(throttle.wait() or 1))


def anonymous_call_throttle(request: Request, view: Any = None) -> None:
    """Count an unauthenticated call (or a bad token) against its address; raise 429 over the rate.

    DRF checks throttles after authentication and permissions, so a call refused there (401) would
    never be counted: the token authentication and HasRoleOnHost call this before refusing."""
    django_request = request._request
    # One count per request, even if both the authentication and the permission refuse it.
    if getattr(django_request, "_bancheng_anon_counted", False):
        return
    django_request._bancheng_anon_counted = True  # type: ignore[attr-defined]
    throttle = AnonymousCallThrottle()
    if not throttle.allow_request(request, view):
        raise Throttled(wait=throttle.wait())


def throttle_forget_all() -> int:
    """Drop every throttle count (tests; an operator after a false alarm). Returns how many."""
    cache = caches[settings.THROTTLE_CACHE]
    client = cast(Any, cache)._cache.get_client(write=True)  # Django's RedisCache: a redis.Redis
    keys = list(client.scan_iter(match=cache.make_key("*"), count=1000))
    if keys:
        client.delete(*keys)
    return len(keys)
