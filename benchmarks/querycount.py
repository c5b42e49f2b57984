"""Server-side query counting for the tenant-overhead benchmark.

Two counts per request, both written into response headers by ``QueryCountMiddleware``:

* ``X-Bench-Statements``: every statement the driver sent to PostgreSQL, counted by a cursor class
  installed as psycopg's ``cursor_factory`` (settings). This is what the database server sees,
  including django-tenants' ``SET search_path`` and Django's connection health check, which run
  on raw cursors that Django's own query hooks never see.
* ``X-Bench-Orm-Queries``: what passed through ``connection.execute_wrapper``, i.e. what
  ``assertNumQueries`` and django-debug-toolbar would report.

``X-Bench-Sql`` lists the statements (shortened) so the benchmark can print what they were, and
``X-Bench-Server-Us`` the time spent inside the middleware stack, in microseconds.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from typing import Any

from django.db import connection
from django.db.backends.postgresql.base import Cursor
from django.http import HttpRequest, HttpResponse

_local = threading.local()


def _log() -> list[str] | None:
    return getattr(_local, "statements", None)


def _text(query: Any, cursor: Any) -> str:
    if isinstance(query, bytes):
        return query.decode("utf-8", "replace")
    if isinstance(query, str):
        return query
    try:
        return str(query.as_string(cursor))
    except Exception:
        return repr(query)


class CountingCursor(Cursor):
    """Django's psycopg 3 client-side-binding cursor, recording each statement it executes."""

    def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
        log = _log()
        if log is not None:
            log.append(_text(query, self))
        return super().execute(query, params, **kwargs)

    def executemany(self, query: Any, params_seq: Any, **kwargs: Any) -> Any:
        log = _log()
        if log is not None:
            log.append(_text(query, self))
        return super().executemany(query, params_seq, **kwargs)


def _header_safe(statement: str) -> str:
    return re.sub(r"\s+", " ", statement).encode("ascii", "replace").decode()[:120]


class QueryCountMiddleware:
    """Outermost middleware: counts statements and ORM queries of one request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        statements: list[str] = []
        orm_queries: list[str] = []

        def wrapper(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
            orm_queries.append(sql)
            return execute(sql, params, many, context)

        _local.statements = statements
        started = time.perf_counter_ns()
        try:
            with connection.execute_wrapper(wrapper):
                response = self.get_response(request)
        finally:
            _local.statements = None
        elapsed_us = (time.perf_counter_ns() - started) // 1000
        response["X-Bench-Statements"] = str(len(statements))
        response["X-Bench-Orm-Queries"] = str(len(orm_queries))
        response["X-Bench-Sql"] = " | ".join(_header_safe(s) for s in statements)
        response["X-Bench-Server-Us"] = str(elapsed_us)
        return response
