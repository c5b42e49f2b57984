"""The OpenAPI schema describes the casework API, and generates without a warning."""

from __future__ import annotations

from pathlib import Path

from django.core.management import call_command

from tests.casework.api.support import api

PATHS = [
    "/api/v1/cases/",
    "/api/v1/cases/lookup/",
    "/api/v1/cases/{id}/",
    "/api/v1/cases/{id}/timeline/",
    "/api/v1/cases/{id}/screen-out/",
    "/api/v1/cases/{id}/answer/",
    "/api/v1/cases/{id}/transfer/",
    "/api/v1/cases/{id}/supplement-received/",
    "/api/v1/cases/{id}/supplement-request/",
    "/api/v1/cases/{id}/retention-hold/",
    "/api/v1/cases/{id}/feedback/",
    "/api/v1/cases/{id}/follow-up/",
    "/api/v1/cases/{id}/reopen/",
    "/api/v1/cases/{id}/close/",
    "/api/v1/cases/{id}/sms-opt-out/",
    "/api/v1/cases/{id}/reveal/",
    "/api/v1/departments/",
    "/api/v1/slips/{id}/",
    "/api/v1/slips/{id}/receive/",
    "/api/v1/slips/{id}/reply/",
    "/api/v1/slips/{id}/return/",
    "/api/v1/slips/{id}/reveal/",
    "/api/v1/slips/{id}/reroute/",
    "/api/v1/slips/{id}/withdraw/",
    "/api/v1/inbox/",
]


def test_schema_has_every_casework_path(demo: object) -> None:
    response = api("wengyuan_window").get("/api/schema/", format="json")

    assert response.status_code == 200
    schema = response.json()
    assert set(PATHS) <= set(schema["paths"])
    transfer = schema["paths"]["/api/v1/cases/{id}/transfer/"]["post"]
    assert set(transfer["responses"]) >= {"200", "400", "403", "404", "409"}
    assert schema["components"]["schemas"]["Error"]["required"] == ["code", "fields", "message"]
    assert "CaseStatusEnum" in schema["components"]["schemas"]


def test_schema_generates_without_warnings(tmp_path: Path) -> None:
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))

    assert "/api/v1/cases/{id}/transfer/:" in (tmp_path / "schema.yaml").read_text()
