"""The province's identity provider on the city login (hallplatform/accounts/oidc.py): start, callback,
and linking a provider account to a staff login with its password the first time."""

from __future__ import annotations

import time
from typing import Any

import requests
from django.conf import settings
from django.contrib.auth import login
from django.core.exceptions import SuspiciousOperation
from django.db import IntegrityError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods
from mozilla_django_oidc.views import OIDCAuthenticationRequestView

from hallplatform.accounts.access import SESSION_HOST_KEY, public_endpoint, roles_for
from hallplatform.accounts.oidc import (
    METHOD_OIDC,
    ProvinceOidcBackend,
    claim_text,
    oidc_identity_link,
    oidc_second_factor,
)
from hallplatform.accounts.sso import city_login_start
from hallplatform.accounts.two_factor import SESSION_EXTERNAL_SECOND_FACTOR_KEY, second_factor_state, second_step_url
from hallplatform.accounts.web.sso import SSO_BACKEND
from hallplatform.accounts.web.views import HostLoginForm
from hallplatform.audit.services import audit_record
from hallplatform.clientip import request_origin
from hallplatform.sessions import session_start
from tenants.routing import normalise_host

# A provider account not yet bound to a staff login, waiting for its password (at most this long).
SESSION_PENDING_KEY = "_bancheng_oidc_pending"
PENDING_SECONDS = 600


def oidc_available(request: HttpRequest) -> None:
    """Only on the city login (the base domain), only when OIDC_ENABLED: else 404."""
    if not settings.OIDC_ENABLED or getattr(request, "hall_route", None) is not None:
        raise Http404


def next_page(request: HttpRequest) -> str:
    candidate = request.session.pop("oidc_login_next", None) or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return str(candidate)
    return str(resolve_url(settings.LOGIN_REDIRECT_URL))


def oidc_session_open(request: HttpRequest, *, user: Any, claims: dict[str, Any], goto: str) -> HttpResponse:
    """Open the city login's session for ``user`` after the provider's login (and second factor)."""
    login(request, user, backend=SSO_BACKEND)
    if goto == str(resolve_url(settings.LOGIN_REDIRECT_URL)) and not roles_for(user=user, route=None):
        goto = reverse("accounts:sso_halls")  # no role on the base domain: the list of their halls
    request.session[SESSION_HOST_KEY] = normalise_host(request.get_host())
    session_start(request)
    acr, amr = claim_text(claims.get("acr")), claim_text(claims.get("amr"))
    city_login_start(request=request, user=user, method=METHOD_OIDC, acr=acr, amr=amr)
    external = oidc_second_factor(claims)
    if external:
        request.session[SESSION_EXTERNAL_SECOND_FACTOR_KEY] = True
    audit_record(
        action="login.oidc",
        actor=user,
        target=user,
        changes={
            "username": user.get_username(),
            "acr": acr,
            "amr": amr,
            "second_factor": external,
            **request_origin(request),
        },
    )
    state = second_factor_state(user)
    if state.due and not external:
        return HttpResponseRedirect(second_step_url(enrolled=state.enrolled, next_url=goto))
    return HttpResponseRedirect(goto)


class OidcStartView(OIDCAuthenticationRequestView):
    def get(self, request: HttpRequest) -> Any:
        oidc_available(request)
        return super().get(request)


start = public_endpoint(OidcStartView.as_view())


@public_endpoint  # the person comes back from the provider, not yet logged in here
@require_GET
def callback(request: HttpRequest) -> HttpResponse:
    """The provider's answer (code flow): state and nonce checked against this session, the code
    exchanged for tokens, the ID token verified; then the staff login bound to its ``sub``, or the
    link form for a ``sub`` seen for the first time."""
    oidc_available(request)
    states = request.session.get("oidc_states") or {}
    state = request.GET.get("state", "")
    entry = states.pop(state, None) if state else None
    request.session["oidc_states"] = states  # each state works once, also when refused
    if entry is None or request.GET.get("error") or not request.GET.get("code"):
        return oidc_refused(request, reason="state" if entry is None else "error")
    backend = ProvinceOidcBackend()
    try:
        user = backend.authenticate(request, nonce=entry.get("nonce"), code_verifier=entry.get("code_verifier"))
    except (SuspiciousOperation, requests.RequestException):
        return oidc_refused(request, reason="token")
    claims = backend.claims or {}
    goto = next_page(request)
    if user is not None and user.is_active:
        return oidc_session_open(request, user=user, claims=claims, goto=goto)
    if user is None and claims.get("sub"):
        request.session[SESSION_PENDING_KEY] = {
            "sub": str(claims["sub"]),
            "acr": claims.get("acr"),
            "amr": claims.get("amr"),
            "until": int(time.time()) + PENDING_SECONDS,
            "next": goto,
        }
        return HttpResponseRedirect(reverse("accounts:oidc_link"))
    return oidc_refused(request, reason="inactive")


def oidc_refused(request: HttpRequest, *, reason: str) -> HttpResponse:
    audit_record(action="login.oidc_failure", changes={"reason": reason, **request_origin(request)})
    return HttpResponseRedirect(f"{reverse('accounts:login')}?oidc=failed")


@public_endpoint  # the provider's login is done; the staff login is proved here by its password
@require_http_methods(["GET", "POST"])
def link(request: HttpRequest) -> HttpResponse:
    """First login through the provider: the person gives their staff login's username and password
    once, binding the provider account (its ``sub``) to it."""
    oidc_available(request)
    pending = request.session.get(SESSION_PENDING_KEY)
    if not pending or pending.get("until", 0) < time.time():
        raise Http404
    form = HostLoginForm(request, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.get_user()
        del request.session[SESSION_PENDING_KEY]
        try:
            oidc_identity_link(user=user, subject=pending["sub"], actor=user, origin=request_origin(request))
        except IntegrityError as error:  # linked meanwhile (another tab): refused, nothing changed
            raise Http404 from error
        return oidc_session_open(request, user=user, claims=pending, goto=pending.get("next") or "/")
    return render(request, "accounts/oidc_link.html", {"form": form})
