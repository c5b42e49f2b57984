"""The security log (docs/security.md, "Security log"): what goes in it with address, user agent and
hall, and who reads what of it (`hallplatform/securitylog`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from hallplatform.audit.models import AuditEvent
from hallplatform.audit.services import audit_record
from hallplatform.schemas import use_public_schema
from tenants.demo import DEMO_PASSWORD
from tenants.models import Hall
from tenants.routing import forget_all_hosts
from tests.conftest import client_for, host_of, user

ORIGIN = {"REMOTE_ADDR": "10.3.3.3", "HTTP_USER_AGENT": "pytest-seclog"}


@pytest.fixture(autouse=True)
def _fresh_routes(db: None) -> Iterator[None]:
    forget_all_hosts()
    yield
    forget_all_hosts()


def logged_in(username: str, code: str | None) -> Client:
    client = client_for(username, code)
    client.defaults.update(ORIGIN)
    return client


def marker_events(demo: dict[str, Hall]) -> dict[str, AuditEvent]:
    """One security event in wengyuan, one in nanxiong, one on the portal, and a non-security one."""
    return {
        "wengyuan": audit_record(
            action="login.failure", hall=demo["wengyuan"], changes={"username": "marker-w", "ip": "10.0.0.1"}
        ),
        "nanxiong": audit_record(
            action="case.reveal", hall=demo["nanxiong"], changes={"username": "marker-n", "ip": "10.0.0.2"}
        ),
        "portal": audit_record(action="role.grant", changes={"username": "marker-p", "ip": "10.0.0.3"}),
        "calendar": audit_record(action="calendar.day_add", changes={"username": "marker-c"}),
    }


def shown(response: Any) -> set[str]:
    text = response.content.decode()
    return {marker for marker in ("marker-w", "marker-n", "marker-p", "marker-c") if marker in text}


# --- what goes in, with address, user agent and hall ------------------------------------------------


def test_a_login_on_a_halls_host_is_recorded_with_the_hall_address_and_browser(demo: dict[str, Hall]) -> None:
    client = Client(HTTP_HOST=host_of("wengyuan"), **ORIGIN)

    response = client.post("/accounts/login/", {"username": "wengyuan_window", "password": DEMO_PASSWORD})

    assert response.status_code == 302
    event = AuditEvent.objects.filter(action="login.success").latest("pk")
    assert event.hall_id == demo["wengyuan"].pk
    assert (event.changes["ip"], event.changes["user_agent"]) == ("10.3.3.3", "pytest-seclog")


def test_an_api_token_made_on_a_halls_host_is_that_halls_event(demo: dict[str, Hall]) -> None:
    response = logged_in("wengyuan_window", "wengyuan").post(
        "/api/v1/tokens/", {"name": "robot"}, content_type="application/json"
    )

    assert response.status_code == 201
    event = AuditEvent.objects.get(action="api_token.create")
    assert event.hall_id == demo["wengyuan"].pk
    assert (event.changes["ip"], event.changes["user_agent"]) == ("10.3.3.3", "pytest-seclog")


def test_a_masked_export_of_the_register_is_recorded_with_where_it_came_from(demo: dict[str, Hall]) -> None:
    response = logged_in("wengyuan_window", "wengyuan").get("/exports/cases.csv?first=2026-03-01&last=2026-03-31")
    use_public_schema()

    assert response.status_code == 200
    event = AuditEvent.objects.get(action="case.export")
    assert event.hall_id == demo["wengyuan"].pk and event.actor == user("wengyuan_window")
    assert event.changes["format"] == "csv"
    assert (event.changes["ip"], event.changes["user_agent"]) == ("10.3.3.3", "pytest-seclog")


def test_other_audit_events_are_left_as_they_were(demo: dict[str, Hall]) -> None:
    # a calendar change is not a security event: no address added
    event = audit_record(action="calendar.day_add", changes={"date": "2026-10-01"})
    assert event.changes == {"date": "2026-10-01"}


# --- who reads what --------------------------------------------------------------------------------


def test_a_hall_lead_reads_only_their_halls_security_events(demo: dict[str, Hall]) -> None:
    marker_events(demo)

    response = logged_in("wengyuan_lead", "wengyuan").get("/security-log/")

    assert response.status_code == 200
    assert shown(response) == {"marker-w"}
    assert "10.0.0.1" in response.content.decode()


@pytest.mark.parametrize("username", ["auditor", "operator"])
def test_the_audit_administrator_and_the_operator_read_every_security_event(
    demo: dict[str, Hall], username: str
) -> None:
    marker_events(demo)

    response = logged_in(username, None).get("/security-log/")

    assert response.status_code == 200
    assert shown(response) == {"marker-w", "marker-n", "marker-p"}  # never the calendar change


@pytest.mark.parametrize(
    ("username", "code"),
    [
        ("wengyuan_window", "wengyuan"),
        ("wengyuan_rsj", "wengyuan"),
        ("shaoguan_supervisor", "wengyuan"),
        ("shaoguan_supervisor", None),
        ("secadmin", None),
        ("sysadmin", None),
        ("qingcheng_lead", "wengyuan"),
    ],
)
def test_anyone_else_gets_404_from_the_page_and_the_api(demo: dict[str, Hall], username: str, code: str | None) -> None:
    marker_events(demo)
    client = logged_in(username, code)

    page = client.get("/security-log/")
    api = client.get("/api/v1/security-log/")

    assert page.status_code == api.status_code == 404
    assert not shown(page) and "marker" not in api.content.decode()


def test_the_api_lists_pages_with_the_columns_and_filters(demo: dict[str, Hall]) -> None:
    events = marker_events(demo)
    client = logged_in("auditor", None)

    everything = client.get("/api/v1/security-log/?page_size=200").json()
    logins = client.get("/api/v1/security-log/?action=login&page_size=200").json()
    by_user = client.get("/api/v1/security-log/?user=marker-n").json()

    row = next(r for r in everything["results"] if r["id"] == events["wengyuan"].pk)
    assert row["action"] == "login.failure" and row["hall"] == "wengyuan" and row["ip"] == "10.0.0.1"
    assert row["details"] == {"username": "marker-w"}
    assert set(row) == {
        "id", "at", "action", "actor", "hall", "target_type", "target_id", "target", "ip", "user_agent", "details",
    }  # fmt: skip
    assert events["calendar"].pk not in {r["id"] for r in everything["results"]}
    assert {r["action"].split(".")[0] for r in logins["results"]} == {"login"}
    assert [r["id"] for r in by_user["results"]] == [events["nanxiong"].pk]


def test_the_api_filters_by_dates_and_refuses_a_bad_one_naming_it(demo: dict[str, Hall]) -> None:
    marker_events(demo)
    client = logged_in("auditor", None)

    none_before = client.get("/api/v1/security-log/?until=2000-01-01").json()
    bad = client.get("/api/v1/security-log/?since=yesterday")

    assert none_before["count"] == 0
    assert bad.status_code == 400 and bad.json()["code"] == "invalid" and "since" in bad.json()["fields"]


def test_the_api_reads_a_page_in_the_same_queries_however_long(demo: dict[str, Hall]) -> None:
    client = logged_in("auditor", None)
    for number in range(3):
        audit_record(action="role.grant", actor=user("secadmin"), target=user("wengyuan_window"), changes={"n": number})
    client.get("/api/v1/security-log/")  # warm caches (routes, sessions)
    with CaptureQueriesContext(connection) as few:
        client.get("/api/v1/security-log/")
    for number in range(20):
        audit_record(action="role.grant", actor=user("secadmin"), target=user("wengyuan_lead"), changes={"n": number})

    with CaptureQueriesContext(connection) as many:
        response = client.get("/api/v1/security-log/")

    assert response.status_code == 200
    assert len(many) == len(few)
    assert {"wengyuan_window", "wengyuan_lead"} <= {r["target"] for r in response.json()["results"]}


def test_the_page_filters_too(demo: dict[str, Hall]) -> None:
    marker_events(demo)
    client = logged_in("auditor", None)

    assert shown(client.get("/security-log/?action=case.reveal")) == {"marker-n"}
    assert shown(client.get("/security-log/?user=marker-p")) == {"marker-p"}
    bad = client.get("/security-log/?until=soon")
    assert bad.status_code == 400
