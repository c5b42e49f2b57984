"""Sentry: errors from requests and tasks carry the hall as a tag and never carry personal data.

Sentry is switched on for each test with a transport that keeps envelopes in memory, and switched
off again afterwards. Requests go through Django's real WSGI handler (which the Sentry SDK wraps in
production), not the test client's handler, so that headers, cookies and the query string reach the
SDK as they do in production. Envelopes are read back from their serialized bytes, i.e. exactly as
they would be sent.
"""

from __future__ import annotations

import io
import json
import secrets
from collections.abc import Callable, Iterator
from typing import Any, ClassVar
from urllib.parse import urlencode
from wsgiref.util import setup_testing_defaults

import pytest
import sentry_sdk
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection
from django.test import override_settings
from sentry_sdk.envelope import Envelope
from sentry_sdk.transport import Transport

from config.celery import app
from hallplatform.observability import sentry_init
from hallplatform.schemas import current_schema_name
from tests.conftest import client_for, host_of
from tests.hallplatform.urls_boom import BoomError

# Personal data as a registration form carries it (DESIGN.md 4.1): none of it may leave the process.
NAME = "张秀英"
ID_NUMBER = "440229199001011234"
PHONE = "13812345678"
ADDRESS = "翁源县龙仙镇建设路18号"
PERSONAL = (NAME, ID_NUMBER, PHONE, ADDRESS)
FORM = {"name": NAME, "id_number": ID_NUMBER, "phone": PHONE, "address": ADDRESS}

BOOM_URLS = {"ROOT_URLCONF": "tests.hallplatform.urls_boom", "PUBLIC_SCHEMA_URLCONF": "tests.hallplatform.urls_boom"}


class FakeTransport(Transport):
    """Keeps every envelope as the bytes that would have been sent."""

    sent: ClassVar[list[bytes]] = []

    def capture_envelope(self, envelope: Envelope) -> None:
        FakeTransport.sent.append(envelope.serialize())


def error_events() -> list[dict[str, Any]]:
    events = []
    for raw in FakeTransport.sent:
        for item in Envelope.deserialize(raw).items:
            if item.type == "event" and item.payload.json is not None:
                events.append(item.payload.json)
    return events


def assert_sends_none_of(event: dict[str, Any], values: tuple[str, ...]) -> None:
    # Both spellings: as sent (JSON escapes non-ASCII characters) and as read back.
    for text in (json.dumps(event), json.dumps(event, ensure_ascii=False)):
        for value in values:
            assert value not in text, f"{value!r} was sent to Sentry"


@pytest.fixture
def sentry() -> Iterator[None]:
    FakeTransport.sent.clear()
    with sentry_sdk.isolation_scope():
        sentry_init(dsn="https://public@sentry.invalid/1", environment="test", transport=FakeTransport)
        try:
            yield
        finally:
            sentry_sdk.get_client().close()
            sentry_sdk.get_global_scope().set_client(None)  # the tests that follow send nothing
            FakeTransport.sent.clear()


def wsgi_post(code: str | None, path: str, form: dict[str, str], *, cookies: dict[str, str], **headers: str) -> int:
    """POST through Django's WSGI handler; returns the status code.

    Like the test client, keeps the database connection open across the request (Django closes
    it at request end, which would end the test's transaction).
    """
    body = urlencode(form).encode()
    path, _, query = path.partition("?")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "HTTP_HOST": host_of(code),
        "SERVER_NAME": host_of(code),
        "CONTENT_TYPE": "application/x-www-form-urlencoded",
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_COOKIE": "; ".join(f"{name}={value}" for name, value in cookies.items()),
        "wsgi.input": io.BytesIO(body),
        **{f"HTTP_{name.upper()}": value for name, value in headers.items()},
    }
    setup_testing_defaults(environ)
    statuses: list[str] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], object]:
        statuses.append(status)
        return lambda data: None

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        response = WSGIHandler()(environ, start_response)
        b"".join(response)
        response.close()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    return int(statuses[0].split()[0])


def logged_in(username: str, code: str | None) -> tuple[dict[str, str], dict[str, str]]:
    """Cookies (session, CSRF) and the CSRF header of ``username`` logged in on ``code``'s host."""
    session_key = client_for(username, code).session.session_key
    assert session_key
    csrf = secrets.token_hex(16)
    cookies = {settings.SESSION_COOKIE_NAME: session_key, settings.CSRF_COOKIE_NAME: csrf}
    return cookies, {"X_CSRFTOKEN": csrf}


@override_settings(**BOOM_URLS)
def test_request_error_on_a_hall_host_is_tagged_with_the_hall_and_carries_no_personal_data(
    demo: object, sentry: None
) -> None:
    # given window staff of wengyuan, who searched by phone number and now submit a registration form
    cookies, csrf_header = logged_in("wengyuan_window", "wengyuan")
    referer = f"http://{host_of('wengyuan')}/cases/?q={PHONE}"

    # when the view fails
    status = wsgi_post("wengyuan", f"/boom/?phone={PHONE}", FORM, cookies=cookies, REFERER=referer, **csrf_header)

    # then one error is reported, tagged with the hall, and none of the personal data nor the session
    assert status == 500
    events = error_events()
    assert len(events) == 1
    event = events[0]
    assert event["exception"]["values"][-1]["type"] == "BoomError"
    assert event["exception"]["values"][-1]["value"] == "registration failed (with a name)"
    assert event["tags"]["hall"] == "wengyuan"
    assert event["request"]["url"] == f"http://{host_of('wengyuan')}/boom/"
    assert event["request"]["method"] == "POST"
    assert event["request"]["data"] == "[scrubbed]"
    assert event["request"]["query_string"] == "[scrubbed]"
    assert event["request"]["headers"]["Host"] == host_of("wengyuan")
    assert "user" not in event
    assert_sends_none_of(event, (*PERSONAL, *cookies.values()))


@override_settings(**BOOM_URLS)
def test_database_error_naming_an_id_number_is_sent_without_it(demo: object, sentry: None) -> None:
    # given a registration that PostgreSQL refuses with "Key (id_number)=(…) already exists"
    cookies, csrf_header = logged_in("wengyuan_window", "wengyuan")

    # when
    status = wsgi_post("wengyuan", "/register-twice/", FORM, cookies=cookies, **csrf_header)

    # then the error is reported, still saying what went wrong, but without the ID number
    assert status == 500
    events = error_events()
    assert len(events) == 1
    (error,) = (value for value in events[0]["exception"]["values"] if value["type"] == "IntegrityError")
    assert "duplicate key value violates unique constraint" in error["value"]
    assert "Key (id_number)=([scrubbed]) already exists" in error["value"]
    assert events[0]["tags"]["hall"] == "wengyuan"
    assert_sends_none_of(events[0], PERSONAL)


@override_settings(**BOOM_URLS)
def test_request_error_on_the_public_host_is_tagged_public(demo: object, sentry: None) -> None:
    # given a city supervisor on the city portal, right after a request on a hall's host
    cookies, csrf_header = logged_in("shaoguan_supervisor", "shaoguan")
    assert wsgi_post("shaoguan", "/boom/", FORM, cookies=cookies, **csrf_header) == 500
    cookies, csrf_header = logged_in("shaoguan_supervisor", None)

    # when
    status = wsgi_post(None, "/boom/", FORM, cookies=cookies, **csrf_header)

    # then
    assert status == 500
    assert [event["tags"]["hall"] for event in error_events()] == ["shaoguan", "public"]
    assert_sends_none_of(error_events()[1], PERSONAL)


ran_in: list[dict[str, Any]] = []


@app.task(name="tests.hallplatform.test_sentry.deliver_notice")
def deliver_notice(phone: str, text: str) -> None:
    """Fails after reading from the database, the way a notice delivery could."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_schema()")
        (database_schema,) = cursor.fetchone()
    ran_in.append({"schema": current_schema_name(), "database_schema": database_schema})
    raise BoomError("delivery failed")


def test_task_error_is_tagged_with_the_hall_whose_schema_it_ran_in(demo: object, sentry: None) -> None:
    ran_in.clear()
    assert current_schema_name() == "public"
    notice = [PHONE, f"{NAME}，您于{ADDRESS}反映的问题已受理"]

    # when a task sent from wengyuan's schema fails, then one sent from the public schema
    # (run in-process, the way a worker runs them: tenant-schemas-celery reads the schema from the headers)
    hall_result = deliver_notice.apply(args=notice, headers={"_schema_name": "hall_wengyuan"})
    public_result = deliver_notice.apply(args=notice, headers={"_schema_name": "public"})

    # then each ran in its schema and its error is reported with that hall's tag, without the arguments
    assert hall_result.failed()
    assert public_result.failed()
    assert ran_in == [
        {"schema": "hall_wengyuan", "database_schema": "hall_wengyuan"},
        {"schema": "public", "database_schema": "public"},
    ]
    events = error_events()
    assert [event["exception"]["values"][-1]["type"] for event in events] == ["BoomError", "BoomError"]
    assert [event["tags"]["hall"] for event in events] == ["wengyuan", "public"]
    for event in events:
        assert event["extra"]["celery-job"]["task_name"] == deliver_notice.name
        assert_sends_none_of(event, PERSONAL)
