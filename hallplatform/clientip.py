"""The address a request comes from, believing X-Forwarded-For only from the trusted proxies.

Behind the ingress every request reaches the pod from the ingress's address; the ingress appends the
address it saw to X-Forwarded-For. A client can put anything in that header itself, so the list is
read from the right and the first address that is not one of TRUSTED_PROXIES is the client's. A
request that did not come through a trusted proxy is its REMOTE_ADDR, whatever its headers say.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from django.conf import settings
from django.http import HttpRequest

USER_AGENT_MAX_LENGTH = 255


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def _trusted(address: ipaddress.IPv4Address | ipaddress.IPv6Address | None) -> bool:
    return address is not None and any(address in network for network in settings.TRUSTED_PROXY_NETWORKS)


def client_ip(request: HttpRequest) -> str:
    """The client's address (also django-axes' AXES_CLIENT_IP_CALLABLE)."""
    remote = request.META.get("REMOTE_ADDR", "") or ""
    if not _trusted(_address(remote)):
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            return remote  # a trusted proxy never writes this: believe nothing further left
        if not _trusted(address):
            return str(address)
    return str(_address(hops[0])) if hops else remote


def request_origin(request: HttpRequest | Any) -> dict[str, str]:
    """Address and user agent of a request, for the audit trail."""
    django_request = getattr(request, "_request", request)  # a DRF Request wraps Django's
    return {
        "ip": client_ip(django_request),
        "user_agent": django_request.META.get("HTTP_USER_AGENT", "")[:USER_AGENT_MAX_LENGTH],
    }
