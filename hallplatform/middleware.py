"""Request middleware: choose the hall from the host, then deny anything the user may not do there."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import DisallowedHost
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotFound, HttpResponseRedirect, JsonResponse
from django.urls import set_urlconf
from django.utils.translation import gettext as _

from hallplatform import observability
from hallplatform.accounts.access import SESSION_HOST_KEY, request_roles
from hallplatform.accounts.two_factor import (
    SESSION_EXTERNAL_SECOND_FACTOR_KEY,
    is_verified,
    second_factor_state,
    second_step_url,
)
from hallplatform.schemas import current_tenant, use_hall_schema, use_public_schema
from tenants.models import Hall
from tenants.routing import HallRoute, normalise_host, route_for_host


def hall_from_route(route: HallRoute) -> Hall:
    """A Hall instance built from the cached route: no query. Treat it as read-only."""
    hall = Hall(
        id=route.hall_id,
        schema_name=route.schema_name,
        code=route.code,
        name=route.name,
        level=route.level,
        parent_id=route.parent_id,
        region_code=route.region_code,
        is_active=True,
    )
    hall._state.adding = False
    hall._state.db = "default"
    return hall


class HallRoutingMiddleware:
    """Select the hall (schema and URL conf) from the request's host, and nothing else.

    The bare BASE_DOMAIN is the public schema (city portal); `<code>.<BASE_DOMAIN>` or any other
    domain registered for a hall is that hall; everything else is 404, never another hall.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        use_public_schema()
        try:
            host = normalise_host(request.get_host())
        except DisallowedHost:
            return HttpResponseNotFound()
        request.hall_route = None  # type: ignore[attr-defined]
        # On the public host, request.tenant is django-tenants' stand-in for the public schema.
        request.tenant = current_tenant()  # type: ignore[attr-defined]
        if host == settings.BASE_DOMAIN:
            request.urlconf = settings.PUBLIC_SCHEMA_URLCONF  # type: ignore[attr-defined]
            set_urlconf(settings.PUBLIC_SCHEMA_URLCONF)
            observability.set_hall_tag(None)
        else:
            route = route_for_host(host)
            if route is None:
                return HttpResponseNotFound()
            hall = hall_from_route(route)
            hall.domain_url = host
            request.hall_route = route  # type: ignore[attr-defined]
            request.tenant = hall  # type: ignore[attr-defined]
            use_hall_schema(hall)
            request.urlconf = settings.ROOT_URLCONF  # type: ignore[attr-defined]
            set_urlconf(settings.ROOT_URLCONF)
            observability.set_hall_tag(route.code)
        try:
            return self.get_response(request)
        finally:
            observability.set_hall_tag(None)


class HallAccessMiddleware:
    """Deny by default: a view runs only for a user holding a role on this host.

    Views marked ``public_endpoint`` (login, health) are exempt. DRF views are checked by their
    permission classes (``hallplatform.permissions.HasRoleOnHost``), which a system check forces on every
    API view, because DRF authenticates tokens only inside the view.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            bound = request.session.get(SESSION_HOST_KEY)
            if bound != normalise_host(request.get_host()):
                # A session is valid only on the host it was opened on (cookies are host-only too);
                # elsewhere the request is anonymous. The session itself is left alone.
                request.user = AnonymousUser()
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Any, view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        if getattr(view_func, "public_endpoint", False):
            return None
        if getattr(view_func, "cls", None) is not None and hasattr(view_func.cls, "permission_classes"):
            return None  # DRF: enforced by HasRoleOnHost inside the view
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        request._routed_endpoint = bool(getattr(view_func, "routed_department_endpoint", False))  # type: ignore[attr-defined]
        roles = request_roles(request)
        required = getattr(view_func, "required_roles", None)
        if not roles or (required is not None and not roles & required):
            raise Http404
        return None


def is_api_view(view_func: Any) -> bool:
    return getattr(view_func, "cls", None) is not None and hasattr(view_func.cls, "permission_classes")


def sends_api_token(request: HttpRequest) -> bool:
    """Whether the request authenticates with ``Authorization: Token …`` (DRF then ignores the session)."""
    words = request.META.get("HTTP_AUTHORIZATION", "").split()
    return bool(words) and words[0].lower() == "token"


class TwoFactorMiddleware:
    """A person whose second factor is due (hallplatform/accounts/two_factor.py) and not given in this
    session reaches nothing but the second step, on every host: pages go to the code form (or, without
    an authenticator app yet, to enrolment), session-authenticated API calls answer 403
    ``two_factor_required``. Calls with an API token are not asked (tokens are made only from verified
    sessions when TWO_FACTOR_REQUIRED is on). Runs after HallAccessMiddleware: who holds no role on the
    host still gets 404 first.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        if session is not None and session.get(SESSION_EXTERNAL_SECOND_FACTOR_KEY):
            user = request.user
            if user.is_authenticated:
                # The identity provider asked for the second factor (hallplatform/accounts/oidc.py).
                user.is_verified = lambda: True  # type: ignore[attr-defined]
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Any, view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        if getattr(view_func, "public_endpoint", False) or getattr(view_func, "two_factor_step", False):
            return None
        user = request.user
        if not user.is_authenticated or is_verified(user):
            return None
        api = is_api_view(view_func)
        if api and sends_api_token(request):
            return None
        state = second_factor_state(user)
        if not state.due:
            return None
        if api:
            return JsonResponse(
                {
                    "code": "two_factor_required",
                    "message": _("Give your second factor (log in on a page) before using the API with this session."),
                    "fields": {},
                },
                status=403,
            )
        return HttpResponseRedirect(second_step_url(enrolled=state.enrolled, next_url=request.get_full_path()))
