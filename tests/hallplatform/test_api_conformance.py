"""The API answers as its OpenAPI schema says: a bounded schemathesis run over every operation.

The schema is generated in-process (drf-spectacular) and every operation is called through the WSGI
application, as wengyuan's window staff (a token) on the hall's host, with data that fits the schema
and data that does not. Each call runs in a savepoint that is rolled back, so the run changes
nothing. Bounded: at most ``POSITIVE_EXAMPLES`` + ``NEGATIVE_EXAMPLES`` calls per operation and
``TIME_BUDGET_SECONDS`` for the whole run (about two minutes on two cores).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections, transaction
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from hallplatform.accounts.services import api_token_for
from hallplatform.schemas import use_public_schema
from tests.casework.api.support import register
from tests.conftest import host_of, user

POSITIVE_EXAMPLES = 15
NEGATIVE_EXAMPLES = 8
# A guard, not a speed target: with about 80 operations the run takes some two minutes on two quiet
# cores; the guard is wide enough for a busy machine and still bounds the run.
TIME_BUDGET_SECONDS = 480
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance, content_type_conformance]


@pytest.fixture
def openapi() -> Any:
    return schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))


@contextmanager
def connection_kept() -> Iterator[None]:
    """A request to the WSGI application on the test's own connection (as Django's test client
    keeps it open: closing it would lose the test's transaction)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def failure_lines(label: str, exc: BaseException) -> list[str]:
    """One line per failed check: the operation, the check's title and the start of its message."""
    inner = exc.exceptions if isinstance(exc, BaseExceptionGroup) else (exc,)
    lines = []
    for failure in inner:
        title = getattr(failure, "title", type(failure).__name__)
        message = " ".join(str(getattr(failure, "message", failure)).split())
        lines.append(f"{label}: {title}: {message[:400]}")
    return lines


def operations(openapi: Any) -> Iterator[Any]:
    for result in openapi.get_all_operations():
        yield result.ok()


def run_operation(operation: Any, strategy: Any, examples: int, call: Callable[[Any], list[str]]) -> list[str]:
    failures: list[str] = []

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def test(case: Any) -> None:
        failures.extend(call(case))

    with suppress(Unsatisfiable):  # negative data: the operation has nothing a value could break
        test()
    return failures


def test_every_operation_answers_as_the_schema_says(demo: object, openapi: Any) -> None:
    # given: a case of wengyuan to act on, and the window's token
    case_id = register()["id"]
    token = api_token_for(user=user("wengyuan_window"))
    headers = {"Authorization": f"Token {token}"}
    app = WSGIHandler()
    base_url = f"http://{host_of('wengyuan')}"

    def call(case: Any) -> list[str]:
        with transaction.atomic(), connection_kept():
            try:
                response = case.call(app=app, base_url=base_url, headers=headers)
                case.validate_response(response, checks=CHECKS, headers=headers)
            except (Exception, BaseExceptionGroup) as exc:  # every failure of every check is collected
                return failure_lines(case.operation.label, exc)
            finally:
                transaction.set_rollback(True)
                use_public_schema()
        return []

    # when
    started = time.monotonic()
    failures: list[str] = []
    ran = 0
    for operation in operations(openapi):
        if time.monotonic() - started > TIME_BUDGET_SECONDS:
            break
        fixed = {"id": case_id} if any(p.name == "id" for p in operation.path_parameters) else None
        positive = operation.as_strategy(GenerationMode.POSITIVE)
        if fixed:
            positive = st.one_of(positive, operation.as_strategy(GenerationMode.POSITIVE, path_parameters=fixed))
        failures += run_operation(operation, positive, POSITIVE_EXAMPLES, call)
        failures += run_operation(operation, operation.as_strategy(GenerationMode.NEGATIVE), NEGATIVE_EXAMPLES, call)
        ran += 1

    # then
    assert not failures, "\n".join(sorted(set(failures)))
    assert ran == len(list(operations(openapi))), f"only {ran} operations ran in {TIME_BUDGET_SECONDS} s"
