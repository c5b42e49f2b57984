"""Web login and logout, on every host. A person may log in only where they hold a role.

Also each person's own pages: their API tokens, their recent logins, and (hall leads, operators)
the logins locked out after failed attempts.
"""

from __future__ import annotations

from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_credentials
from django import forms
from django.conf import settings
from django.contrib.auth import authenticate, login, user_login_failed
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render, resolve_url
from django.urls import reverse, reverse_lazy
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from hallplatform.accounts.access import (
    SESSION_CITY_LOGIN_KEY,
    SESSION_HOST_KEY,
    public_endpoint,
    request_roles,
    requires_roles,
    roles_for,
)
from hallplatform.accounts.models import API_TOKEN_NAME_MAX_LENGTH, SECURITY_DUTY_ROLES, ApiToken, RoleKind, User
from hallplatform.accounts.selectors import (
    api_token_list_for_user,
    lockout_list_for_staff,
    login_history_for_user,
)
from hallplatform.accounts.services import api_token_create, api_token_revoke, lockout_release
from hallplatform.accounts.sso import city_login_end, city_login_start, city_ticket_url
from hallplatform.accounts.two_factor import may_make_api_tokens, second_factor_state, second_step_url
from hallplatform.audit.services import audit_record
from hallplatform.clientip import request_origin
from hallplatform.sessions import session_start
from tenants.routing import normalise_host


def request_hall(request: HttpRequest) -> Any:
    """The hall of the request's host for the audit trail (None on the city portal)."""
    return getattr(request, "tenant", None) if getattr(request, "hall_route", None) else None


class HostLoginForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
    password = forms.CharField(label=_("Password"), strip=False, widget=forms.PasswordInput)

    error_messages = {
        # One message for a wrong password and for a person without a role on this host, so that
        # the form does not tell who works where.
        "invalid_login": _("The username or password is wrong, or you hold no role at this hall."),
    }

    def __init__(self, request: HttpRequest | None = None, *args: Any, **kwargs: Any) -> None:
        self.request = request
        self.user_cache: Any = None
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        username, password = cleaned.get("username"), cleaned.get("password")
        if username and password:
            request = self.request
            assert request is not None
            # Known before trying, so that the lockout is audited once, when it happens.
            locked_before = not AxesProxyHandler.is_allowed(request, get_credentials(username))
            user = authenticate(request, username=username, password=password)
            route = getattr(request, "hall_route", None)
            # The base domain is the city login: it authenticates anyone with an account, and hands
            # tickets only for the halls where they hold a role (hallplatform/accounts/sso.py); its
            # other pages still answer 404 to people without a role there.
            if user is not None and route is not None and not roles_for(user=user, route=route, routed=True):
                # (routed: a department of another hall of the city logs in to open its slips there.)
                # The right password on a hall's host where the person holds no role counts as a
                # failure, for the lockout as for the audit trail.
                user_login_failed.send(sender=__name__, credentials=get_credentials(username), request=request)
                user = None
            if user is None:
                login_failure_record(request, username=username, locked_before=locked_before)
                raise forms.ValidationError(self.error_messages["invalid_login"], code="invalid_login")
            self.user_cache = user
        return cleaned

    def get_user(self) -> Any:
        return self.user_cache


def login_failure_record(request: HttpRequest, *, username: str, locked_before: bool) -> None:
    """Audit a refused login, and the lockout it caused if it is the one that locked."""
    target = User.objects.filter(username=username).first()
    hall = request_hall(request)
    changes = {"username": username[:150], **request_origin(request)}
    locked = bool(getattr(request, "axes_locked_out", False)) or locked_before
    audit_record(action="login.failure", hall=hall, target=target, changes={**changes, "locked": locked})
    if locked and not locked_before:
        audit_record(action="login.lockout", hall=hall, target=target, changes=changes)


class HostLoginView(auth_views.LoginView):
    form_class = HostLoginForm  # type: ignore[assignment]
    template_name = "accounts/login.html"
    redirect_authenticated_user = False

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        """On a hall's host, first ask the city login (which hands a ticket if the person is logged in
        there, else sends them back here with ``sso=none``); the form is for the rest."""
        if getattr(request, "hall_route", None) is not None and request.GET.get("sso") != "none":
            next_path = self.get_redirect_url() or str(resolve_url(settings.LOGIN_REDIRECT_URL))
            return HttpResponseRedirect(city_ticket_url(request, next_path=next_path, gateway=True))
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        if getattr(self.request, "hall_route", None) is not None:
            next_path = self.get_redirect_url() or str(resolve_url(settings.LOGIN_REDIRECT_URL))
            context["city_login_url"] = city_ticket_url(self.request, next_path=next_path, gateway=False)
        elif settings.OIDC_ENABLED:
            next_path = self.get_redirect_url()
            context["oidc_url"] = reverse("accounts:oidc_start") + (
                f"?{urlencode({'next': next_path})}" if next_path else ""
            )
        return context

    def get_default_redirect_url(self) -> str:
        """After the city login, someone without a role on the base domain (window staff) is sent to
        the list of their halls instead of a page that would answer 404."""
        user = self.request.user
        if getattr(self.request, "hall_route", None) is None and not roles_for(user=user, route=None):
            return str(reverse("accounts:sso_halls"))
        return str(super().get_default_redirect_url())

    def form_valid(self, form: Any) -> Any:
        user = form.get_user()
        login(self.request, user)
        self.request.session[SESSION_HOST_KEY] = normalise_host(self.request.get_host())
        session_start(self.request)
        city_login_start(request=self.request, user=user)
        audit_record(
            action="login.success",
            actor=user,
            hall=request_hall(self.request),
            target=user,
            changes={"username": user.get_username(), **request_origin(self.request)},
        )
        state = second_factor_state(user)
        if state.due:
            # Step two: nothing else is reachable until the code is given (TwoFactorMiddleware).
            return HttpResponseRedirect(second_step_url(enrolled=state.enrolled, next_url=self.get_success_url()))
        return HttpResponseRedirect(self.get_success_url())


class HostLogoutView(auth_views.LogoutView):
    """Log out, and end every other session of the same city login, on every host."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        login_id = request.session.get(SESSION_CITY_LOGIN_KEY) if request.user.is_authenticated else None
        response = super().post(request, *args, **kwargs)
        if login_id:
            city_login_end(login_id=login_id)
        return response

    def get_default_redirect_url(self) -> str:
        """A hall's own login form: every session of the login just ended, the city login has none
        to hand a ticket from."""
        url = str(super().get_default_redirect_url())
        if getattr(self.request, "hall_route", None) is not None:
            return f"{url}?{urlencode({'sso': 'none'})}"
        return url


login_view = public_endpoint(HostLoginView.as_view())
logout_view = public_endpoint(HostLogoutView.as_view())


# --- The person's own API tokens ----------------------------------------------------------------


class ApiTokenForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=API_TOKEN_NAME_MAX_LENGTH)
    days = forms.IntegerField(label=_("Valid for (days)"), min_value=1, initial=settings.API_TOKEN_DAYS)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["days"].max_value = settings.API_TOKEN_MAX_DAYS  # type: ignore[attr-defined]
        self.fields["days"].widget.attrs["max"] = settings.API_TOKEN_MAX_DAYS


@require_http_methods(["GET", "POST"])
def api_tokens(request: HttpRequest) -> HttpResponse:
    """My API tokens: list, make (the secret shown on this answer only), revoke. With TWO_FACTOR_REQUIRED
    only a session that gave a second factor makes one."""
    form = ApiTokenForm()
    secret = None
    may_make = may_make_api_tokens(request.user)
    status = 200
    if request.method == "POST" and not may_make:
        status = 403
    elif request.method == "POST":
        form = ApiTokenForm(request.POST)
        if form.is_valid():
            try:
                _token, secret = api_token_create(
                    user=request.user,  # type: ignore[arg-type]
                    name=form.cleaned_data["name"],
                    days=form.cleaned_data["days"],
                    origin=request_origin(request),
                )
                form = ApiTokenForm()
            except ValidationError as error:
                for field, messages in error.message_dict.items():
                    for message in messages:
                        form.add_error(field if field in form.fields else None, message)
    response = render(
        request,
        "accounts/api_tokens.html",
        {"form": form, "secret": secret, "tokens": api_token_list_for_user(user=request.user), "may_make": may_make},
        status=status,
    )
    if secret is not None:
        response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["POST"])
def api_token_revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=pk, user_id=request.user.pk)
    api_token_revoke(token=token, actor=request.user, origin=request_origin(request))
    return HttpResponseRedirect(reverse_lazy("accounts:api_tokens"))


# --- Recent logins ------------------------------------------------------------------------------


def login_history(request: HttpRequest) -> HttpResponse:
    """My recent logins and failed attempts (from the audit trail)."""
    return render(request, "accounts/login_history.html", {"events": login_history_for_user(user=request.user)})


# --- Lockouts (hall leads: their hall's staff; security administrators: everyone) ----------------


@requires_roles(RoleKind.HALL_LEAD, *SECURITY_DUTY_ROLES)
@require_http_methods(["GET", "POST"])
def lockouts(request: HttpRequest) -> HttpResponse:
    """Logins now locked out after failed attempts, and unlocking them (audited). On the base domain:
    the security administrator or the combined platform operator."""
    route = getattr(request, "hall_route", None)
    operator = bool(request_roles(request) & set(SECURITY_DUTY_ROLES))
    if request.method == "POST":
        try:
            pk = int(request.POST.get("attempt", ""))
        except ValueError as error:
            raise Http404 from error
        attempt = next((item for item in lockout_list_for_staff(route=route, operator=operator) if item.pk == pk), None)
        if attempt is None:
            raise Http404
        lockout_release(attempt=attempt, actor=request.user, hall=request_hall(request), origin=request_origin(request))
        return HttpResponseRedirect(reverse_lazy("accounts:lockouts"))
    return render(
        request, "accounts/lockouts.html", {"attempts": lockout_list_for_staff(route=route, operator=operator)}
    )
