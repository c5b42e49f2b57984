"""Two-factor login pages (hallplatform/accounts/two_factor.py): the second step after the password,
enrolment, one's own second factor, and hall leads / operators resetting someone else's."""

from __future__ import annotations

from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_credentials
from django import forms
from django.conf import settings
from django.contrib.auth import logout, user_login_failed
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login

from hallplatform.accounts.access import request_roles, requires_roles
from hallplatform.accounts.lockout import lockout_response
from hallplatform.accounts.models import RoleKind
from hallplatform.accounts.two_factor import (
    RECOVERY_CODE_COUNT,
    is_verified,
    qr_svg,
    recovery_codes_left,
    recovery_codes_regenerate,
    second_factor_state,
    second_step_url,
    totp_config_url,
    totp_key_new,
    totp_key_text,
    two_factor_disable,
    two_factor_enrol,
    two_factor_people_for_staff,
    two_factor_reset,
    two_factor_step,
    two_factor_verify,
)
from hallplatform.accounts.web.views import request_hall
from hallplatform.audit.services import audit_record
from hallplatform.clientip import client_ip, request_origin

# The secret of an authenticator app being set up, kept in the session until a code confirms it.
SESSION_ENROL_KEY = "_bancheng_totp_key"
CODE_MAX_LENGTH = 32


def next_url(request: HttpRequest) -> str:
    """The page asked for before the second step, if it is on this host; else the home page."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return str(resolve_url(settings.LOGIN_REDIRECT_URL))


class CodeForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=CODE_MAX_LENGTH)

    def __init__(self, *args: Any, numeric: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        attrs = self.fields["code"].widget.attrs
        attrs.update({"autocomplete": "one-time-code", "autofocus": True, "spellcheck": "false"})
        if numeric:
            attrs.update({"inputmode": "numeric", "pattern": "[0-9 ]*"})


def form_add_errors(form: forms.Form, error: ValidationError) -> None:
    for name, messages in error.message_dict.items():
        for message in messages:
            form.add_error(name if name in form.fields else None, message)


def no_store(response: HttpResponse) -> HttpResponse:
    """Pages with a secret (a key, recovery codes) are not kept by the browser or a proxy."""
    response["Cache-Control"] = "no-store"
    return response


# --- The second step --------------------------------------------------------------------------------


WRONG_CODE = _("The code is wrong. Enter the 6 digits your app shows now, or one of your recovery codes.")
TOO_SOON = _("Too many wrong codes in a row: wait a few seconds, then enter the code your app shows now.")


def code_failure_record(request: HttpRequest, *, user: Any, method: str) -> None:
    """A wrong code counts as a failed login (django-axes: the same lockout as wrong passwords)."""
    username = user.get_username()
    user_login_failed.send(sender=__name__, credentials=get_credentials(username), request=request)
    hall = request_hall(request)
    locked = bool(getattr(request, "axes_locked_out", False))
    changes = {"username": username, "method": method, **request_origin(request)}
    audit_record(action="login.two_factor_failure", hall=hall, target=user, changes={**changes, "locked": locked})
    if locked:  # this failure locked it (a locked login never gets to enter a code)
        audit_record(action="login.lockout", hall=hall, target=user, changes=changes)


@two_factor_step
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """Step two of the login: a code from the authenticator app, or a recovery code (once each)."""
    user: Any = request.user
    goto = next_url(request)
    if is_verified(user):
        return HttpResponseRedirect(goto)
    state = second_factor_state(user)
    if not state.enrolled:
        if state.required:
            return HttpResponseRedirect(second_step_url(enrolled=False, next_url=goto))
        return HttpResponseRedirect(goto)
    credentials = get_credentials(user.get_username())
    if not AxesProxyHandler.is_allowed(request, credentials):
        logout(request)
        return lockout_response(request)
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        result = two_factor_verify(user=user, code=form.cleaned_data["code"])
        if result.ok:
            otp_login(request, result.device)
            request.session.cycle_key()
            # The failures of this login (passwords and codes) are forgiven only now.
            AxesProxyHandler.reset_attempts(username=user.get_username(), ip_address=client_ip(request))
            changes = {"username": user.get_username(), "method": result.method, **request_origin(request)}
            audit_record(
                action="login.two_factor", actor=user, hall=request_hall(request), target=user, changes=changes
            )
            if result.method == "recovery_code":
                audit_record(
                    action="two_factor.recovery_code_used",
                    actor=user,
                    hall=request_hall(request),
                    target=user,
                    changes={**changes, "left": result.recovery_codes_left},
                )
            return HttpResponseRedirect(goto)
        if result.wait_until is not None:
            form.add_error("code", TOO_SOON)
            status = 429
        else:
            code_failure_record(request, user=user, method=result.method)
            if getattr(request, "axes_locked_out", False):
                logout(request)  # AxesMiddleware answers with the lockout page (429)
            form.add_error("code", WRONG_CODE)
    return render(request, "accounts/two_factor_verify.html", {"form": form, "next": goto}, status=status)


@two_factor_step
@require_http_methods(["GET", "POST"])
def enrol(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator app: scan the QR code (or type the key), confirm with a code, receive
    ten recovery codes (shown once)."""
    user: Any = request.user
    goto = next_url(request)
    state = second_factor_state(user)
    if state.enrolled:
        return HttpResponseRedirect(goto if is_verified(user) else second_step_url(enrolled=True, next_url=goto))
    key = request.session.get(SESSION_ENROL_KEY)
    if not key:
        key = request.session[SESSION_ENROL_KEY] = totp_key_new()
    form = CodeForm(request.POST or None, numeric=True)
    if request.method == "POST" and form.is_valid():
        try:
            device, codes = two_factor_enrol(
                user=user,
                key=key,
                code=form.cleaned_data["code"],
                hall=request_hall(request),
                origin=request_origin(request),
            )
        except ValidationError as error:
            form_add_errors(form, error)
        else:
            del request.session[SESSION_ENROL_KEY]
            otp_login(request, device)
            request.session.cycle_key()
            return no_store(render(request, "accounts/two_factor_codes.html", {"codes": codes, "next": goto}))
    url = totp_config_url(user=user, key=key)
    context = {
        "form": form,
        "next": goto,
        "qr": qr_svg(url),
        "key_text": totp_key_text(key),
        "required": state.required,
    }
    return no_store(render(request, "accounts/two_factor_enrol.html", context))


# --- One's own second factor ----------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def mine(request: HttpRequest) -> HttpResponse:
    """My two-factor login: set it up, get new recovery codes, or turn it off (a current code for both)."""
    user: Any = request.user
    state = second_factor_state(user)
    regenerate_form = CodeForm(request.POST if request.POST.get("action") == "codes" else None, numeric=True)
    disable_form = CodeForm(request.POST if request.POST.get("action") == "disable" else None, numeric=True)
    if request.method == "POST":
        origin, hall = request_origin(request), request_hall(request)
        try:
            if request.POST.get("action") == "codes" and regenerate_form.is_valid():
                codes = recovery_codes_regenerate(
                    user=user, code=regenerate_form.cleaned_data["code"], hall=hall, origin=origin
                )
                return no_store(
                    render(request, "accounts/two_factor_codes.html", {"codes": codes, "next": request.path})
                )
            if request.POST.get("action") == "disable" and disable_form.is_valid():
                two_factor_disable(user=user, code=disable_form.cleaned_data["code"], hall=hall, origin=origin)
                return HttpResponseRedirect(request.path)
        except ValidationError as error:
            form_add_errors(regenerate_form if request.POST.get("action") == "codes" else disable_form, error)
    context = {
        "state": state,
        "codes_left": recovery_codes_left(user=user) if state.enrolled else 0,
        "codes_total": RECOVERY_CODE_COUNT,
        "regenerate_form": regenerate_form,
        "disable_form": disable_form,
    }
    return render(request, "accounts/two_factor.html", context)


# --- Hall leads (their hall's staff) and operators (everyone) ------------------------------------------


@requires_roles(RoleKind.HALL_LEAD, RoleKind.PLATFORM_OPERATOR)
@require_http_methods(["GET"])
def staff(request: HttpRequest) -> HttpResponse:
    """The people whose second factor I may reset."""
    people = two_factor_people_for_staff(
        actor=request.user,
        route=getattr(request, "hall_route", None),
        operator=RoleKind.PLATFORM_OPERATOR in request_roles(request),
    )
    return render(request, "accounts/two_factor_staff.html", {"people": people})


@requires_roles(RoleKind.HALL_LEAD, RoleKind.PLATFORM_OPERATOR)
@require_http_methods(["POST"])
def staff_reset(request: HttpRequest, pk: int) -> HttpResponse:
    """Remove a person's second factor (a lost phone); audited. Out of reach: 404."""
    two_factor_reset(
        target_id=pk,
        actor=request.user,
        route=getattr(request, "hall_route", None),
        operator=RoleKind.PLATFORM_OPERATOR in request_roles(request),
        hall=request_hall(request),
        origin=request_origin(request),
    )
    return HttpResponseRedirect(reverse("accounts:two_factor_staff"))
