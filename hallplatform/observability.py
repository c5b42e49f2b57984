"""Sentry: errors from requests and tasks, tagged with the hall code, never with personal data.

Personal data (names, phone and ID numbers, addresses, problem texts; DESIGN.md 4.1) must not leave
the process. ``send_default_pii=False`` keeps the SDK from collecting users, IP addresses, cookies and
task arguments; ``scrub_event`` then removes what the SDK still collects by default:

* request bodies, query strings and cookies, whatever they contain;
* every request header that is not on a short list of harmless ones (a Referer carries the query
  string of the previous page, e.g. a search by phone number);
* local variables of stack frames;
* phone and ID numbers inside messages, which PostgreSQL puts there itself: a unique violation says
  ``Key (id_number)=(440229199001011234) already exists``.
"""

from __future__ import annotations

import re
from typing import Any

import sentry_sdk
from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration

from hallplatform.logs import set_log_hall

_SCRUBBED = "[scrubbed]"

# Request headers whose values are kept; every other header's value is replaced.
_KEPT_HEADERS = frozenset(
    {
        "accept",
        "accept-encoding",
        "accept-language",
        "content-length",
        "content-type",
        "host",
        "user-agent",
        "x-forwarded-proto",
        "x-request-id",
    }
)

# Mainland ID numbers (18 characters, the last may be X) and mobile phone numbers, standing alone.
_IDENTIFIER = re.compile(r"(?<![0-9A-Za-z])(?:\d{17}[\dXx]|1[3-9]\d{9})(?![0-9A-Za-z])")


def set_hall_tag(code: str | None) -> None:
    """Tag the current scope and the log lines with the hall code ("public" for the city portal)."""
    sentry_sdk.get_isolation_scope().set_tag("hall", code or "public")
    set_log_hall(code or "public")


def _redact(value: Any) -> Any:
    """``value`` with phone and ID numbers in its strings replaced (dicts and lists walked)."""
    if isinstance(value, str):
        return _IDENTIFIER.sub(_SCRUBBED, value)
    if isinstance(value, dict):
        return {key: _redact(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_redact(item) for item in value]
    return value


def scrub_event(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
    request = event.get("request")
    if isinstance(request, dict):
        for key in ("data", "cookies", "query_string"):
            if key in request:
                request[key] = _SCRUBBED
        if "url" in request:
            request["url"] = _redact(request["url"])
        headers = request.get("headers")
        if isinstance(headers, dict):
            for name in list(headers):
                if name.lower() not in _KEPT_HEADERS:
                    headers[name] = _SCRUBBED
    event.pop("user", None)
    for exception in (event.get("exception") or {}).get("values", []) or []:
        if "value" in exception:
            exception["value"] = _redact(exception["value"])
        for frame in (exception.get("stacktrace") or {}).get("frames") or []:
            frame.pop("vars", None)
    for key in ("message", "logentry", "extra"):
        if key in event:
            event[key] = _redact(event[key])
    breadcrumbs = event.get("breadcrumbs")
    if isinstance(breadcrumbs, dict) and "values" in breadcrumbs:
        breadcrumbs["values"] = _redact(breadcrumbs["values"])
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
