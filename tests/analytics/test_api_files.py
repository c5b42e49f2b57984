"""The statistics' downloads and reports through the API (analytics/api/files.py): the same files,
roles and scopes as /exports/ and /reports/, with an API token as with a session; refusals are JSON
in the one error shape and change nothing."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.test import Client
from openpyxl import load_workbook

from analytics.models import MonthlyReport
from casework.models import Case
from hallplatform.accounts.models import RoleAssignment
from hallplatform.accounts.services import api_token_for
from hallplatform.audit.models import AuditEvent
from hallplatform.schemas import use_public_schema
from tenants.models import Hall
from tests.analytics.test_exports import MARCH, body, csv_rows, march_cases, wengyuan, xlsx_rows
from tests.conftest import client_for, host_of, user

__all__ = ["march_cases", "wengyuan"]  # fixtures


def token_client(username: str, code: str | None) -> Client:
    """A client that authenticates with an API token only (no session)."""
    return Client(HTTP_HOST=host_of(code), HTTP_AUTHORIZATION=f"Token {api_token_for(user=user(username))}")


def get(client: Client, path: str) -> Any:
    response = client.get(path)
    use_public_schema()
    return response


def content(response: Any) -> bytes:
    return body(response) if response.streaming else bytes(response.content)


def error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, content(response)[:300]
    assert response["Content-Type"].startswith("application/json")
    data = dict(response.json())
    assert set(data) == {"code", "message", "fields"} and data["code"] == code
    return data


def test_the_case_register_downloads_with_a_token_as_on_the_web(wengyuan: Hall, march_cases: list[Case]) -> None:
    client = token_client("wengyuan_window", "wengyuan")

    csv_answer = get(client, f"/api/v1/stats/exports/cases.csv?{MARCH}")
    xlsx_answer = get(client, f"/api/v1/stats/exports/cases.xlsx?{MARCH}")
    web = get(client_for("wengyuan_window", "wengyuan"), f"/exports/cases.csv?{MARCH}")

    assert csv_answer.status_code == 200 and csv_answer["Content-Type"].startswith("text/csv")
    assert csv_answer["Cache-Control"] == "no-store"
    csv_bytes = content(csv_answer)
    assert csv_bytes == content(web)
    assert len(csv_rows(csv_bytes.decode("utf-8"))[1]) == 3
    assert len(xlsx_rows(content(xlsx_answer))[1]) == 3
    # whatever the client says it accepts
    assert get(Client(HTTP_HOST=host_of("wengyuan"), HTTP_ACCEPT="text/csv", HTTP_AUTHORIZATION=client.defaults[
        "HTTP_AUTHORIZATION"]), f"/api/v1/stats/exports/cases.csv?{MARCH}").status_code == 200  # fmt: skip


def test_the_register_refusals_are_json_and_change_nothing(wengyuan: Hall, march_cases: list[Case]) -> None:
    RoleAssignment.objects.filter(user__username="wengyuan_window").update(may_reveal_personal_data=False)
    window = token_client("wengyuan_window", "wengyuan")
    department, supervisor = token_client("wengyuan_rsj", "wengyuan"), token_client("shaoguan_supervisor", None)
    audits = AuditEvent.objects.count()  # the tokens' making is audited

    refused = get(window, f"/api/v1/stats/exports/cases.csv?{MARCH}&reveal=1")
    error(refused, 403, "permission_denied")
    assert b"13912345678" not in content(refused)
    bad_period = error(get(window, "/api/v1/stats/exports/cases.csv?first=2026-03-31&last=2026-03-01"), 400, "invalid")
    assert "last" in bad_period["fields"]
    error(get(window, "/api/v1/stats/exports/cases.pdf"), 404, "not_found")
    # a department has no register; nor has the base domain
    error(get(department, f"/api/v1/stats/exports/cases.csv?{MARCH}"), 404, "not_found")
    error(get(supervisor, f"/api/v1/stats/exports/cases.csv?{MARCH}"), 404, "not_found")
    error(
        get(Client(HTTP_HOST=host_of("wengyuan")), f"/api/v1/stats/exports/cases.csv?{MARCH}"), 401, "not_authenticated"
    )
    assert AuditEvent.objects.count() == audits


@pytest.mark.parametrize(("username", "code"), [("wengyuan_lead", "wengyuan"), ("shaoguan_supervisor", None)])
def test_the_dashboard_tables_download_for_the_stats_readers(
    wengyuan: Hall, march_cases: list[Case], username: str, code: str | None
) -> None:
    client = token_client(username, code)

    book = get(client, f"/api/v1/stats/exports/stats.xlsx?{MARCH}")
    section = get(client, f"/api/v1/stats/exports/stats/channel.csv?{MARCH}")

    assert book.status_code == 200 and book["Content-Type"].startswith("application/vnd.openxmlformats")
    assert len(load_workbook(io.BytesIO(content(book)), read_only=True).worksheets) > 1
    table = content(section)
    assert section.status_code == 200 and table.decode("utf-8").startswith("\ufeff")
    # the same table as the web's download
    web = get(client_for(username, code), f"/exports/stats/channel.csv?{MARCH}")
    assert table == content(web)


def test_the_dashboard_tables_are_refused_to_others(wengyuan: Hall) -> None:
    error(get(token_client("wengyuan_window", "wengyuan"), "/api/v1/stats/exports/stats.xlsx"), 404, "not_found")
    error(get(token_client("wengyuan_lead", "wengyuan"), "/api/v1/stats/exports/stats/nothing.csv"), 404, "not_found")
    # a hall has no "halls" table: only a city
    error(get(token_client("wengyuan_lead", "wengyuan"), "/api/v1/stats/exports/stats/halls.csv"), 404, "not_found")
    refused = get(token_client("wengyuan_lead", "wengyuan"), "/api/v1/stats/exports/stats.xlsx?month=2026-13")
    assert "month" in error(refused, 400, "invalid")["fields"]


def test_reports_are_made_listed_and_downloaded_through_the_api(demo: dict[str, Hall]) -> None:
    lead = token_client("wengyuan_lead", "wengyuan")

    made = lead.post("/api/v1/stats/reports/", {"first": "2026-03-01", "last": "2026-03-31"}, "application/json")
    use_public_schema()

    assert made.status_code == 201, made.content
    report = made.json()
    assert (report["scope"], report["hall"], report["period_start"]) == ("hall", "wengyuan", "2026-03-01")
    assert report["tables"] and report["content"]["scope"] == "hall" and report["title"]
    stored = MonthlyReport.objects.get(pk=report["id"])
    assert stored.made_by == user("wengyuan_lead")
    listed = get(lead, "/api/v1/stats/reports/").json()
    assert [row["id"] for row in listed["results"]] == [report["id"]]
    assert get(lead, f"/api/v1/stats/reports/{report['id']}/").json()["tables"] == report["tables"]
    pdf = get(lead, f"/api/v1/stats/reports/{report['id']}/pdf/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert content(pdf) == bytes(stored.pdf)
    xlsx = get(lead, f"/api/v1/stats/reports/{report['id']}/xlsx/")
    assert xlsx.status_code == 200
    sheets = load_workbook(io.BytesIO(content(xlsx)), read_only=True).worksheets
    assert len(sheets) == len(report["tables"])
    # the city's supervisor reads the hall's report on the base domain too
    supervisor = token_client("shaoguan_supervisor", None)
    assert report["id"] in [row["id"] for row in get(supervisor, "/api/v1/stats/reports/").json()["results"]]
    assert get(supervisor, f"/api/v1/stats/reports/{report['id']}/pdf/").status_code == 200


def test_report_refusals_change_nothing(demo: dict[str, Hall]) -> None:
    lead = token_client("wengyuan_lead", "wengyuan")
    made = lead.post("/api/v1/stats/reports/", {"first": "2026-03-01", "last": "2026-03-31"}, "application/json")
    report_id = made.json()["id"]
    use_public_schema()
    before = MonthlyReport.objects.count()

    # the supervisor reads a hall's reports on its host but makes the city's on the base domain only
    supervisor_on_hall = token_client("shaoguan_supervisor", "wengyuan")
    refused = supervisor_on_hall.post("/api/v1/stats/reports/", {"first": "2026-03-01", "last": "2026-03-31"},
                                      "application/json")  # fmt: skip
    error(refused, 404, "not_found")
    backwards = lead.post("/api/v1/stats/reports/", {"first": "2026-03-31", "last": "2026-03-01"}, "application/json")
    assert "last" in error(backwards, 400, "invalid")["fields"]
    missing = lead.post("/api/v1/stats/reports/", {"first": "2026-03-01"}, "application/json")
    assert "last" in error(missing, 400, "invalid")["fields"]
    use_public_schema()
    assert MonthlyReport.objects.count() == before
    # window staff and departments do not read reports; another hall's lead does not see this one
    error(get(token_client("wengyuan_window", "wengyuan"), "/api/v1/stats/reports/"), 404, "not_found")
    error(get(token_client("wengyuan_rsj", None), f"/api/v1/stats/reports/{report_id}/"), 404, "not_found")
    error(get(token_client("wengyuan_lead", "wengyuan"), "/api/v1/stats/reports/999999/pdf/"), 404, "not_found")
