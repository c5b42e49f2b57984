"""One login for the city (hallplatform/accounts/sso.py): the city login hands tickets, halls redeem them."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_GET
from django_otp import DEVICE_ID_SESSION_KEY

from hallplatform.accounts.access import SESSION_CITY_LOGIN_KEY, SESSION_HOST_KEY, public_endpoint, roles_for
from hallplatform.accounts.sso import (
    city_login_of,
    city_login_start,
    hall_list_for_user,
    service_parse,
    sso_ticket_issue,
    sso_ticket_redeem,
)
from hallplatform.accounts.two_factor import (
    SESSION_EXTERNAL_SECOND_FACTOR_KEY,
    is_verified,
    second_factor_state,
    second_step_url,
)
from hallplatform.accounts.web.views import request_hall
from hallplatform.audit.services import audit_record
from hallplatform.clientip import request_origin
from hallplatform.sessions import session_start
from tenants.routing import hall_origin, normalise_host

# A ticket opens a session as if by password: the user is known, no backend is asked again.
SSO_BACKEND = "django.contrib.auth.backends.ModelBackend"


@public_endpoint  # anyone with an account: it lists only the halls where they hold a role
@require_GET
def halls(request: HttpRequest) -> HttpResponse:
    """On the base domain: the halls the person logged in here can open (where the city login sends
    people without a role on the base domain, such as window staff)."""
    if getattr(request, "hall_route", None) is not None:
        raise Http404
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    links = [(hall, hall_origin(request, hall.code) + "/") for hall in hall_list_for_user(user=request.user)]
    return render(request, "accounts/sso_halls.html", {"links": links})


@public_endpoint  # anyone with an account: the roles are checked for the hall the ticket is for
@require_GET
def ticket(request: HttpRequest) -> HttpResponse:
    """On the base domain: hand a ticket for ``service`` (a page on a hall's host) to a person logged
    in here who holds a role on that host; 404 (and no ticket) for anyone else."""
    if getattr(request, "hall_route", None) is not None:
        raise Http404
    service = service_parse(request=request, service=request.GET.get("service", ""))
    if service is None:
        raise Http404
    user: Any = request.user
    if not user.is_authenticated:
        if request.GET.get("gateway"):
            # Nobody logged in here: back to the hall's own login form, which will not ask again.
            query = urlencode({"next": service.path, "sso": "none"})
            return HttpResponseRedirect(f"{service.origin}{reverse('accounts:login')}?{query}")
        query = urlencode({"next": request.get_full_path()})
        return HttpResponseRedirect(f"{reverse('accounts:login')}?{query}")
    if not roles_for(user=user, route=service.route, routed=True):  # routed: a slip across halls
        raise Http404
    city_login = city_login_of(request)
    if city_login is None:
        # A session opened before the city login existed (or without a password form): it starts one now.
        city_login = city_login_start(request=request, user=user)
    external = bool(request.session.get(SESSION_EXTERNAL_SECOND_FACTOR_KEY))
    otp_device = request.session.get(DEVICE_ID_SESSION_KEY, "") if is_verified(user) and not external else ""
    secret = sso_ticket_issue(
        city_login=city_login, host=service.host, otp_device=otp_device, external_second_factor=external
    )
    query = urlencode({"ticket": secret, "next": service.path})
    response = HttpResponseRedirect(f"{service.origin}{reverse('accounts:sso_callback')}?{query}")
    response["Cache-Control"] = "no-store"
    return response


@public_endpoint  # the person is not logged in on this host yet: the ticket is the credential
@require_GET
def callback(request: HttpRequest) -> HttpResponse:
    """On a hall's host: redeem a ticket of the city login and open this host's own session."""
    route = getattr(request, "hall_route", None)
    if route is None:
        raise Http404
    host = normalise_host(request.get_host())
    redeemed = sso_ticket_redeem(secret=request.GET.get("ticket", ""), host=host)
    if redeemed is None:
        raise Http404
    user = redeemed.login.user
    if not roles_for(user=user, route=route, routed=True):  # routed: a slip across halls
        raise Http404
    login(request, user, backend=SSO_BACKEND)
    session = request.session
    session[SESSION_HOST_KEY] = host
    session[SESSION_CITY_LOGIN_KEY] = redeemed.login_id
    session_start(request)
    if redeemed.otp_device:
        # As django-otp's login() does: this session gave the second factor with the city login's.
        session[DEVICE_ID_SESSION_KEY] = redeemed.otp_device
    if redeemed.external_second_factor:
        session[SESSION_EXTERNAL_SECOND_FACTOR_KEY] = True
    second_factor = bool(redeemed.otp_device) or redeemed.external_second_factor
    audit_record(
        action="login.sso",
        actor=user,
        hall=request_hall(request),
        target=user,
        changes={
            "username": user.get_username(),
            "method": redeemed.method,
            "second_factor": second_factor,
            **request_origin(request),
        },
    )
    goto = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(goto, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        goto = str(resolve_url(settings.LOGIN_REDIRECT_URL))
    state = second_factor_state(user)
    if state.due and not second_factor:
        return HttpResponseRedirect(second_step_url(enrolled=state.enrolled, next_url=goto))
    response = HttpResponseRedirect(goto)
    response["Cache-Control"] = "no-store"
    return response
