"""Idle and absolute session timeouts (docs/security.md, "Passwords and sessions").

A session ends SESSION_IDLE_TIMEOUT seconds after its last request and SESSION_ABSOLUTE_TIMEOUT
seconds after its login, whichever comes first; the request that finds it ended is anonymous (pages
send it to the login form). The time of the last request is written at most once a minute, so that
busy pages do not write the session on every request.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse

SESSION_LOGIN_AT_KEY = "_bancheng_login_at"
SESSION_SEEN_AT_KEY = "_bancheng_seen_at"
SEEN_WRITE_EVERY_SECONDS = 60


def session_start(request: HttpRequest) -> None:
    """Start both clocks of a session just logged in."""
    now = int(time.time())
    request.session[SESSION_LOGIN_AT_KEY] = now
    request.session[SESSION_SEEN_AT_KEY] = now


class SessionTimeoutMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(time.time())
            session = request.session
            login_at = session.get(SESSION_LOGIN_AT_KEY)
            seen_at = session.get(SESSION_SEEN_AT_KEY)
            if login_at is None or seen_at is None:
                # A session opened another way (or before the timeouts existed): its clocks start now.
                session[SESSION_LOGIN_AT_KEY] = login_at or now
                session[SESSION_SEEN_AT_KEY] = now
            elif now - seen_at > settings.SESSION_IDLE_TIMEOUT or now - login_at > settings.SESSION_ABSOLUTE_TIMEOUT:
                logout(request)
            elif now - seen_at >= SEEN_WRITE_EVERY_SECONDS:
                session[SESSION_SEEN_AT_KEY] = now
        return self.get_response(request)
