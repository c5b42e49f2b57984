"""Every log record names the hall it was written for; LOG_FORMAT=json writes one JSON object a line.

The hall code is kept in a context variable, set where the Sentry tag is set
(``observability.set_hall_tag``: by HallRoutingMiddleware for a request, before each Celery task),
so a line written anywhere below a request or task carries it: ``"hall": "wengyuan"``, ``"public"``
for the city portal and public-schema tasks, ``"-"`` outside both (management commands, start-up).
Django logs a 4xx answer after the middleware has returned: such a record carries the request,
whose hall route names the hall.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter

_hall: ContextVar[str | None] = ContextVar("bancheng_log_hall", default=None)

NO_HALL = "-"


def set_log_hall(code: str | None) -> None:
    _hall.set(code)


def current_log_hall() -> str:
    return _hall.get() or NO_HALL


class HallLogFilter(logging.Filter):
    """Adds ``record.hall`` (the current hall code) to every record; never drops one."""

    def filter(self, record: logging.LogRecord) -> bool:
        if hasattr(record, "hall"):
            return True
        request = getattr(record, "request", None)
        if request is not None and hasattr(request, "hall_route"):
            route = request.hall_route
            record.hall = route.code if route is not None else "public"
        else:
            record.hall = current_log_hall()
        return True


def json_formatter() -> JsonFormatter:
    """time (ISO 8601, UTC), level, logger, hall, message, and any ``extra`` fields; Chinese kept as is."""
    return JsonFormatter(
        "%(levelname)s %(name)s %(hall)s %(message)s",
        rename_fields={"levelname": "level", "name": "logger"},
        timestamp="time",
        json_ensure_ascii=False,
        # Django's request records carry the request object; its text shows the query string, which
        # may hold personal data (a search by phone number). The path is in the message already.
        reserved_attrs=[*RESERVED_ATTRS, "request"],
    )
