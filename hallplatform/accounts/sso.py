"""One login for the city (docs/security.md, "One login for the city").

A person gives their password once, on the base domain (the city login) or on any hall's host, and
reaches every host where they hold a role without giving it again, with no cookie shared between hosts
(CAS-style):

1. A hall's host that has no session for the person sends the browser to the city login's
   ``/accounts/sso/ticket/?service=<hall URL>``. Without a session there, the city login sends it back
   to the hall's own login form (``gateway``) or asks for the password first.
2. The city login checks that the person holds a role on the hall's host (else 404, and no ticket),
   and hands a ticket: random, single use, valid ``SSO_TICKET_SECONDS``, only for that host, kept as a
   digest. The ticket carries how the person authenticated: the second factor their session gave.
3. The hall's host redeems it at ``/accounts/sso/callback/`` and opens its own host-only session,
   verified for two-factor login exactly when the city session is (so no host skips the second
   factor), and audits ``login.sso``.

Every session opened this way belongs to one ``CityLogin``; logging out of any of them ends them all
(``city_login_end``). Idle and absolute timeouts keep applying to each session on its own.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from hallplatform.accounts.access import SESSION_CITY_LOGIN_KEY
from hallplatform.accounts.models import (
    CITY_ROLES,
    DEPARTMENT_ROLES,
    HALL_ROLES,
    CityLogin,
    CityLoginSession,
    RoleAssignment,
    SsoTicket,
)
from tenants.models import Hall
from tenants.routing import HallRoute, normalise_host, route_for_host

# How the person authenticated, carried by a ticket (with the second factor in ``otp_device``).
METHOD_PASSWORD = "password"  # noqa: S105 (a method's name, not a password)


def ticket_digest(secret: str) -> str:
    """The ticket's secret is random (240 bits): a plain digest is enough to keep it unusable if read."""
    return hashlib.sha256(secret.encode()).hexdigest()


def city_login_start(
    *, request: HttpRequest, user: Any, method: str = METHOD_PASSWORD, acr: str = "", amr: str = ""
) -> CityLogin:
    """A new city login for the session just opened (after ``login()``): with a password, or through
    the identity provider (``method`` "oidc", with its ``acr`` and ``amr``)."""
    city_login = CityLogin.objects.create(user=user, method=method, acr=acr[:200], amr=amr[:200])
    request.session[SESSION_CITY_LOGIN_KEY] = city_login.pk
    return city_login


def city_login_of(request: HttpRequest) -> CityLogin | None:
    """The city login of the request's session, if it is still going on."""
    login_id = request.session.get(SESSION_CITY_LOGIN_KEY)
    if not login_id:
        return None
    user_id: Any = request.user.pk
    return CityLogin.objects.filter(pk=login_id, user_id=user_id, ended_at__isnull=True).first()


@transaction.atomic
def city_login_end(*, login_id: Any) -> int:
    """End a city login: every session it opened is deleted from the session store, and its unused
    tickets no longer open one. Returns how many sessions ended."""
    updated = CityLogin.objects.filter(pk=login_id, ended_at__isnull=True).update(ended_at=timezone.now())
    if not updated:
        return 0
    links = CityLoginSession.objects.filter(login_id=login_id)
    keys = list(links.values_list("session_key", flat=True))
    deleted, _by_model = Session.objects.filter(session_key__in=keys).delete()
    links.delete()
    return deleted


def city_origin(request: HttpRequest) -> str:
    """``http(s)://<BASE_DOMAIN>[:port]``: the city login, with this request's scheme and port."""
    host = request.get_host()
    port = f":{host.rsplit(':', 1)[1]}" if ":" in host else ""
    return f"{request.scheme}://{settings.BASE_DOMAIN}{port}"


def city_ticket_url(request: HttpRequest, *, next_path: str, gateway: bool) -> str:
    """The city login's ticket address for the page ``next_path`` on this (hall's) host."""
    service = f"{request.scheme}://{request.get_host()}{next_path}"
    query = {"service": service, **({"gateway": "1"} if gateway else {})}
    return f"{city_origin(request)}{reverse('accounts:sso_ticket')}?{urlencode(query)}"


def hall_list_for_user(*, user: Any) -> list[Hall]:
    """The active halls where ``user`` holds a role (as ``roles_for`` counts them), by code: the hosts
    the city login can hand them tickets for."""
    roles = RoleAssignment.objects.filter(user_id=user.pk)
    own = roles.filter(kind__in=HALL_ROLES).values("hall_id")
    departments = roles.filter(kind__in=DEPARTMENT_ROLES, department__is_active=True)
    stationed = departments.values("department__hall_id")
    city_level = departments.filter(department__hall__level="city").values("department__hall_id")
    cities = roles.filter(kind__in=CITY_ROLES).values("hall_id")
    return list(
        Hall.objects.filter(is_active=True)
        .filter(
            Q(id__in=own)
            | Q(id__in=stationed)
            | Q(parent_id__in=city_level)
            | Q(id__in=cities)
            | Q(parent_id__in=cities)
        )
        .order_by("code")
    )


@dataclass(frozen=True)
class Service:
    """Where a ticket is for: a hall's origin and the page asked for there."""

    origin: str  # scheme://host[:port]
    host: str  # normalised host name
    route: HallRoute
    path: str  # path and query on that host


def service_parse(*, request: HttpRequest, service: str) -> Service | None:
    """The hall page ``service`` names, if it is an address on a hall's host (same scheme as this
    request, so that a ticket never travels in clear from an HTTPS login); None otherwise."""
    if not service or len(service) > 2000:
        return None
    parts = urlsplit(service)
    if parts.scheme != request.scheme or not parts.netloc or parts.username or parts.password:
        return None
    host = normalise_host(parts.netloc)
    if host == settings.BASE_DOMAIN:
        return None
    route = route_for_host(host)
    if route is None:
        return None
    path = parts.path or "/"
    if not path.startswith("/") or path.startswith("//"):
        return None
    if parts.query:
        path = f"{path}?{parts.query}"
    return Service(origin=f"{parts.scheme}://{parts.netloc}", host=host, route=route, path=path)


def sso_ticket_issue(*, city_login: CityLogin, host: str, otp_device: str, external_second_factor: bool) -> str:
    """A ticket for ``host``; returns its secret (only the digest is kept). It carries how the person
    authenticated: the login's method, the device of the second factor the session gave, or the
    identity provider's second factor."""
    secret = secrets.token_urlsafe(30)
    SsoTicket.objects.create(
        digest=ticket_digest(secret),
        login=city_login,
        host=host,
        method=city_login.method,
        otp_device=otp_device or "",
        external_second_factor=external_second_factor,
        expires_at=timezone.now() + timedelta(seconds=settings.SSO_TICKET_SECONDS),
    )
    return secret


@transaction.atomic
def sso_ticket_redeem(*, secret: str, host: str) -> SsoTicket | None:
    """Use a ticket on ``host``: once, before it expires, only on the host it was issued for, only
    while its city login goes on and its person is active. None when any of these fails (the ticket is
    used up all the same if it was found)."""
    if not secret or len(secret) > 100:
        return None
    ticket = (
        SsoTicket.objects.select_for_update()
        .select_related("login__user")
        .filter(digest=ticket_digest(secret), used_at__isnull=True)
        .first()
    )
    if ticket is None:
        return None
    now = timezone.now()
    ticket.used_at = now
    ticket.save(update_fields=["used_at"])
    if (
        ticket.expires_at <= now
        or ticket.host != normalise_host(host)
        or ticket.login.ended_at is not None
        or not ticket.login.user.is_active
    ):
        return None
    return ticket


@transaction.atomic
def city_logins_purge(*, now: Any = None) -> dict[str, int]:
    """Beat, hourly: forget what can no longer be used. Tickets past their expiry (used or not); city
    logins that ended, or began longer ago than SESSION_ABSOLUTE_TIMEOUT (every session they opened
    has ended by then), with their session links; and the session store's expired sessions (Django's
    own ``clearsessions``). Who logged in when stays in the audit log. Returns the counts."""
    now = now or timezone.now()
    tickets, _by_model = SsoTicket.objects.filter(expires_at__lt=now).delete()
    over = now - timedelta(seconds=settings.SESSION_ABSOLUTE_TIMEOUT)
    stale = CityLogin.objects.filter(Q(ended_at__isnull=False) | Q(started_at__lt=over))
    logins = stale.count()
    CityLoginSession.objects.filter(login__in=stale).delete()
    SsoTicket.objects.filter(login__in=stale).delete()
    stale.delete()
    sessions, _by_model = Session.objects.filter(expire_date__lt=now).delete()
    return {"tickets": tickets, "logins": logins, "sessions": sessions}
