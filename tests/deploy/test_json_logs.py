"""JSON log lines carry the hall of the request or task they were written for (hallplatform/logs.py)."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from django.db import connection

from config.celery import _tag_task_with_hall
from hallplatform.logs import HallLogFilter, current_log_hall, json_formatter, set_log_hall
from tests.conftest import client_for
from tests.deploy.support import production_env, run_python


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    """Whatever the root logger receives, formatted as in production, one JSON object a line."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(HallLogFilter())
    handler.setFormatter(json_formatter())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        set_log_hall(None)


def records(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


@pytest.mark.parametrize(("code", "expected"), [("wengyuan", "wengyuan"), ("nanxiong", "nanxiong"), (None, "public")])
def test_a_line_written_during_a_request_names_its_hall(
    demo: object, json_lines: io.StringIO, code: str | None, expected: str
) -> None:
    # when a request on the hall's host ends in a 404 (django.request logs it, inside the request)
    response = client_for(None, code).get("/no-such-page/?phone=13812345678")

    # then the line names the hall of the host
    assert response.status_code == 404
    lines = [line for line in records(json_lines) if line["logger"] == "django.request"]
    assert lines, json_lines.getvalue()
    assert lines[-1]["hall"] == expected
    assert lines[-1]["level"] == "WARNING"
    assert lines[-1]["message"] == "Not Found: /no-such-page/"
    assert "time" in lines[-1]
    # the request object (whose text shows the query string) is left out
    assert "request" not in lines[-1]
    assert "13812345678" not in json_lines.getvalue()


def test_a_task_names_the_hall_of_its_schema(demo: dict[str, object], json_lines: io.StringIO) -> None:
    # given the worker switched to wengyuan's schema for a task (tenant-schemas-celery does that)
    connection.set_tenant(demo["wengyuan"])

    # when the task starts and logs
    _tag_task_with_hall(task_id="t1")
    logging.getLogger("casework.tasks").info("卷宗已处理")

    # then
    assert current_log_hall() == "wengyuan"
    line = records(json_lines)[-1]
    assert line["hall"] == "wengyuan"
    assert line["message"] == "卷宗已处理"


def test_outside_requests_and_tasks_the_hall_is_a_dash(json_lines: io.StringIO) -> None:
    set_log_hall(None)
    logging.getLogger("hallplatform.x").warning("starting")
    assert records(json_lines)[-1]["hall"] == "-"


def test_production_settings_write_json_lines_to_the_console() -> None:
    code = (
        "import django, logging\n"
        "django.setup()\n"
        "from hallplatform.observability import set_hall_tag\n"
        "set_hall_tag('wengyuan')\n"
        "logging.getLogger('casework.services').warning('转办单 %s 已超时', 'ZB-2026-0001', extra={'slip': 7})\n"
    )
    result = run_python(code, production_env())

    assert result.returncode == 0, result.stderr
    line = json.loads(result.stderr.strip().splitlines()[-1])
    assert line["hall"] == "wengyuan"
    assert line["level"] == "WARNING"
    assert line["logger"] == "casework.services"
    assert line["message"] == "转办单 ZB-2026-0001 已超时"
    assert line["slip"] == 7
    assert line["time"].endswith("+00:00")
