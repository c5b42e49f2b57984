"""Login lockout with django-axes (docs/security.md, "Login lockout").

axes counts failed logins in its AccessAttempt table per (username, address) and refuses a pair that
reached AXES_FAILURE_LIMIT within AXES_COOLOFF_TIME. ``HallAxesHandler`` adds the per-address limit
for floods (LOGIN_ADDRESS_FAILURE_LIMIT failures from one address, whatever the usernames), counted
from the same records. ``lockout_response`` is the page a refused login gets: 429, in Chinese, with
``Retry-After``.
"""

from __future__ import annotations

from typing import Any

from axes.attempts import get_cool_off_threshold
from axes.backends import AxesStandaloneBackend
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy

from hallplatform.accounts.two_factor import second_factor_state


def address_failures(request: HttpRequest) -> int:
    """Failed logins from the request's address within the cool-off time, whatever the usernames."""
    address = getattr(request, "axes_ip_address", None)
    if not address:
        return 0
    total = AccessAttempt.objects.filter(
        ip_address=address, attempt_time__gte=get_cool_off_threshold(request)
    ).aggregate(total=Sum("failures_since_start"))["total"]
    return total or 0


class HallAxesHandler(AxesDatabaseHandler):
    """axes' database handler, plus the per-address flood limit."""

    def is_locked(self, request: Any, credentials: dict[str, Any] | None = None) -> bool:
        return (
            super().is_locked(request, credentials) or address_failures(request) >= settings.LOGIN_ADDRESS_FAILURE_LIMIT
        )

    def user_logged_in(self, sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
        # The password alone is no success for a person who owes a second factor: their failures
        # (wrong passwords and wrong codes) are cleared only when the code is right
        # (hallplatform/accounts/web/two_factor.py: verify), so that logging in again does not
        # allow more guesses at the code.
        if second_factor_state(user).due:
            return
        super().user_logged_in(sender, request, user, **kwargs)

    def user_login_failed(self, sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
        super().user_login_failed(sender, credentials, request, **kwargs)
        if request is None or request.axes_locked_out:
            return
        if address_failures(request) >= settings.LOGIN_ADDRESS_FAILURE_LIMIT:
            request.axes_locked_out = True
            request.axes_credentials = credentials
            user_locked_out.send(
                "axes",
                request=request,
                username=get_client_username(request, credentials),
                ip_address=request.axes_ip_address,
            )


LOCKED_MESSAGE = gettext_lazy(
    "Too many failed logins. This login is locked for %(minutes)d minutes; try again later "
    "or ask your hall lead or a platform operator to unlock it."
)


def lockout_seconds(request: HttpRequest | None = None) -> int:
    cool_off = get_cool_off(request)
    return int(cool_off.total_seconds()) if cool_off else 0


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict[str, Any] | None = None
) -> HttpResponse:
    """The login page saying the login is locked for now (429, Retry-After: seconds)."""
    seconds = lockout_seconds(request)
    minutes = max(1, (seconds + 59) // 60)
    response = render(
        request,
        "accounts/login.html",
        {
            "locked_message": str(LOCKED_MESSAGE) % {"minutes": minutes},
            "next": request.POST.get("next", ""),
        },
        status=429,
    )
    response["Retry-After"] = str(seconds)
    return response


class LockoutBackend(AxesStandaloneBackend):
    """django-axes' check before every login made through a request (the login form, the admin).
    A check of credentials without a request (the shell, a management command, a test of the demo
    accounts) has no address to count failures by: it is left to the next backend, not refused."""

    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> Any:
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
