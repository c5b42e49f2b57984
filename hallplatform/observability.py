"""Sentry: errors from requests and tasks, tagged with the hall code, never with personal data."""

from __future__ import annotations

from typing import Any

import sentry_sdk
from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration

# Request parts that may carry personal data (names, phone and ID numbers, addresses, problem
# texts) are dropped before an event leaves the process.
_SCRUBBED = "[scrubbed]"


def set_hall_tag(code: str | None) -> None:
    """Tag the current scope with the hall code ("public" for the city portal)."""
    sentry_sdk.get_isolation_scope().set_tag("hall", code or "public")


def scrub_event(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
    request = event.get("request")
    if isinstance(request, dict):
        for key in ("data", "cookies", "query_string"):
            if key in request:
                request[key] = _SCRUBBED
        headers = request.get("headers")
        if isinstance(headers, dict):
            for name in list(headers):
                if name.lower() in {"authorization", "cookie", "x-csrftoken"}:
                    headers[name] = _SCRUBBED
    event.pop("user", None)
    for exception in (event.get("exception") or {}).get("values", []) or []:
        for frame in (exception.get("stacktrace") or {}).get("frames") or []:
            frame.pop("vars", None)
    return event


def sentry_init(*, dsn: str, environment: str, transport: Any = None) -> None:
    options: dict[str, Any] = {
        "dsn": dsn,
        "environment": environment,
        "integrations": [DjangoIntegration(), CeleryIntegration()],
        "send_default_pii": False,
        "include_local_variables": False,
        "max_request_body_size": "never",
        "before_send": scrub_event,
        "traces_sample_rate": 0.0,
    }
    if transport is not None:
        options["transport"] = transport
    sentry_sdk.init(**options)
