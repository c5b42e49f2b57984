"""Exports (analytics/exports.py, analytics/register.py, analytics/web/exports.py): the case register
and the dashboard's tables as Excel and CSV; masking, revealing (audited) and who may download what."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.urls import URLPattern
from openpyxl import load_workbook

from analytics.exports import BOM, Table, csv_text, xlsx_bytes
from analytics.register import register_columns
from analytics.selectors import Period, Scope, figures_for
from analytics.tables import SECTIONS, section_table
from analytics.web import export_urls
from casework.choices import CaseStatus
from casework.models import Case
from casework.services import case_register
from hallplatform.accounts.models import RoleAssignment
from hallplatform.audit.models import AuditEvent
from hallplatform.schemas import use_hall_schema, use_public_schema
from tenants.models import Hall
from tests.casework.support import draft, install_clock, transfer
from tests.casework.test_case_register import ID_NUMBER, form
from tests.conftest import client_for, user

TZ = ZoneInfo("Asia/Shanghai")
MARCH = "first=2026-03-01&last=2026-03-31"
MARCH_PERIOD = Period(first=date(2026, 3, 1), last=date(2026, 3, 31))


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


@pytest.fixture
def wengyuan(demo: dict[str, Hall]) -> Hall:
    use_hall_schema(demo["wengyuan"])
    return demo["wengyuan"]


@pytest.fixture
def march_cases(wengyuan: Hall, monkeypatch: pytest.MonkeyPatch) -> list[Case]:
    """Three cases registered in March 2026 (the first and last instants included), one of them
    transferred, and one on each side of the month."""

    def reg(when: str, **changes: Any) -> Case:
        return case_register(hall=wengyuan, actor=user("wengyuan_window"), data=form(**changes), at=at(when))

    reg("2026-02-28T23:59:59")
    first = reg("2026-03-01T00:00:00", remarks='=HYPERLINK("http://evil.example")')
    second = reg(
        "2026-03-10T09:30:00",
        applicant_name="李四光",
        phone="13912345678",
        problem="电话13912345678打不通，证件440229199001011234",
        address="广东省韶关市翁源县龙仙镇建设路1号",
        enterprise_name="翁源县某某商店",
    )
    third = reg("2026-03-31T23:59:00", matter_name="营业执照变更")
    reg("2026-04-01T00:00:00")
    clock = install_clock(monkeypatch, at("2026-03-10T10:00:00"))
    transfer(second, draft("wengyuan/rsj"), draft("shaoguan/rsj"))
    clock.set("2026-04-20T10:00:00")  # the slips are late by now
    return [first, second, third]


def keys(reveal: bool = False) -> list[str]:
    return [column.key for column in register_columns(reveal=reveal)]


def xlsx_rows(content: bytes) -> tuple[list[str], list[dict[str, Any]]]:
    book = load_workbook(io.BytesIO(content), read_only=True)
    sheet = book.worksheets[0]
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    header, body = rows[0], rows[1:]
    width = len(keys())
    return header, [dict(zip(keys(), row + [None] * (width - len(row)), strict=True)) for row in body]


def csv_rows(text: str) -> tuple[list[str], list[dict[str, str]]]:
    assert text.startswith(BOM)
    rows = list(csv.reader(io.StringIO(text[len(BOM) :])))
    return rows[0], [dict(zip(keys(), row, strict=True)) for row in rows[1:]]


def get(client: Any, path: str) -> Any:
    response = client.get(path)
    use_public_schema()  # the request left the connection on the host's schema
    return response


def body(response: Any) -> bytes:
    return b"".join(response.streaming_content)


# --- the pure builders -------------------------------------------------------------------------------


def test_xlsx_builder_writes_every_table_as_a_sheet_and_texts_never_as_formulas() -> None:
    tables = [
        Table(title="Cases: March/April", header=["A", "B"], rows=iter([["=1+1", 3], ["x\x07y", None]])),
        Table(title="Cases: March/April", header=["C"], rows=[[date(2026, 3, 1)]]),
    ]

    book = load_workbook(io.BytesIO(xlsx_bytes(tables)))

    assert book.sheetnames == ["Cases  March April", "Cases  March April (2)"]
    first = book.worksheets[0]
    assert [c.value for c in first[1]] == ["A", "B"]
    assert first["A2"].value == "=1+1" and first["A2"].data_type == "s"
    assert first["B2"].value == 3
    assert first["A3"].value == "xy"  # control characters Excel refuses are dropped
    assert book.worksheets[1]["A2"].value == datetime(2026, 3, 1)


def test_csv_builder_starts_with_a_bom_and_defuses_formulas() -> None:
    text = csv_text(Table(title="t", header=["a", "b"], rows=[["=SUM(A1)", "-3"], ["+86 138", 5], ["普通", None]]))

    assert text.startswith(BOM)
    assert list(csv.reader(io.StringIO(text[1:]))) == [
        ["a", "b"],
        ["'=SUM(A1)", "'-3"],
        ["'+86 138", "5"],
        ["普通", ""],
    ]
    assert text.endswith("\r\n")


# --- the case register -------------------------------------------------------------------------------


def test_register_xlsx_has_one_masked_row_per_case_of_the_period(wengyuan: Hall, march_cases: list[Case]) -> None:
    response = get(client_for("wengyuan_window", "wengyuan"), f"/exports/cases.xlsx?{MARCH}")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "wengyuan-cases-20260301-20260331.xlsx" in response["Content-Disposition"]
    assert response["Cache-Control"] == "no-store"
    header, rows = xlsx_rows(body(response))
    assert header == [column.label for column in register_columns(reveal=False)]
    assert [row["number"] for row in rows] == [case.number for case in march_cases]
    first, second, third = rows
    assert first["applicant_name"] == "张*"
    assert first["phone"] == "138****5678"
    assert first["document_number"] == ID_NUMBER[:3] + "*" * 11 + ID_NUMBER[-4:]
    assert first["address"] == "翁源县龙仙****"
    assert first["remarks"] == '=HYPERLINK("http://evil.example")'  # a text cell, not a formula
    assert first["registered_at"] == datetime(2026, 3, 1, 0, 0)
    assert first["handler"] == "翁源窗口 李敏"
    assert second["applicant_name"] == "李**"
    assert second["phone"] == "139****5678"
    assert second["problem"] == "电话139****5678打不通，证件440***********1234"
    assert second["address"] == "广东省韶关市****"
    assert second["enterprise_name"] == "翁源县某某商店"
    assert second["departments"] == "翁源县人力资源和社会保障局、韶关市人力资源和社会保障局"
    assert second["status"] == str(CaseStatus.TRANSFERRED.label)
    assert second["transferred_at"] == datetime(2026, 3, 10, 10, 0)
    assert third["matter_name"] == "营业执照变更"
    assert third["registered_at"] == datetime(2026, 3, 31, 23, 59)
    # nothing unmasked anywhere in the file, and nothing recorded
    text = " ".join(str(value) for row in rows for value in row.values())
    assert "13812345678" not in text and "13912345678" not in text and ID_NUMBER not in text and "张三" not in text
    assert not AuditEvent.objects.filter(action__in=["case.export_reveal", "case.supervisor_export"]).exists()


def test_register_csv_has_the_same_content(wengyuan: Hall, march_cases: list[Case]) -> None:
    response = get(client_for("wengyuan_lead", "wengyuan"), f"/exports/cases.csv?{MARCH}")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    header, rows = csv_rows(body(response).decode("utf-8"))
    assert header == [column.label for column in register_columns(reveal=False)]
    assert [row["number"] for row in rows] == [case.number for case in march_cases]
    assert rows[0]["remarks"] == "'" + '=HYPERLINK("http://evil.example")'
    assert rows[0]["registered_at"] == "2026-03-01 00:00"
    assert rows[1]["phone"] == "139****5678"
    assert rows[1]["problem"] == "电话139****5678打不通，证件440***********1234"
    assert rows[2]["registered_at"] == "2026-03-31 23:59"


def test_reveal_unmasks_for_a_permitted_user_and_is_recorded_once(wengyuan: Hall, march_cases: list[Case]) -> None:
    response = get(client_for("wengyuan_lead", "wengyuan"), f"/exports/cases.xlsx?{MARCH}&reveal=1")

    assert response.status_code == 200
    assert "-unmasked.xlsx" in response["Content-Disposition"]
    _header, rows = xlsx_rows(body(response))
    assert [row["applicant_name"] for row in rows] == ["张三", "李四光", "张三"]
    assert rows[1]["phone"] == "13912345678"
    assert rows[1]["document_number"] == ID_NUMBER
    assert rows[1]["problem"] == "电话13912345678打不通，证件440229199001011234"
    audit = AuditEvent.objects.get(action="case.export_reveal")
    assert audit.actor is not None and audit.actor.username == "wengyuan_lead"
    assert audit.hall_id == wengyuan.pk
    assert audit.changes == {
        "count": 3,
        "first": "2026-03-01",
        "last": "2026-03-31",
        "format": "xlsx",
        # where the request came from (the security log)
        "ip": "127.0.0.1",
        "user_agent": "",
    }


@pytest.mark.parametrize(("username", "fmt"), [("wengyuan_window", "xlsx"), ("wengyuan_window", "csv")])
def test_reveal_is_refused_without_the_permission_and_nothing_is_recorded(
    wengyuan: Hall, march_cases: list[Case], username: str, fmt: str
) -> None:
    RoleAssignment.objects.filter(user__username=username).update(may_reveal_personal_data=False)

    response = get(client_for(username, "wengyuan"), f"/exports/cases.{fmt}?{MARCH}&reveal=1")

    assert response.status_code == 403
    assert b"13812345678" not in response.content
    assert not AuditEvent.objects.filter(action="case.export_reveal").exists()
    # the masked register is still theirs
    assert get(client_for(username, "wengyuan"), f"/exports/cases.{fmt}?{MARCH}").status_code == 200


def test_the_city_supervisor_reads_the_register_masked_and_may_not_reveal(
    wengyuan: Hall, march_cases: list[Case]
) -> None:
    client = client_for("shaoguan_supervisor", "wengyuan")

    masked = get(client, f"/exports/cases.csv?{MARCH}")
    refused = get(client, f"/exports/cases.csv?{MARCH}&reveal=1")

    assert masked.status_code == 200
    assert len(csv_rows(body(masked).decode("utf-8"))[1]) == 3
    assert refused.status_code == 403
    assert not AuditEvent.objects.filter(action="case.export_reveal").exists()
    # the supervisor's reading is recorded in the hall, like opening one of its cases
    audit = AuditEvent.objects.get(action="case.supervisor_export")
    assert (audit.actor.username if audit.actor else None, audit.hall_id) == ("shaoguan_supervisor", wengyuan.pk)
    assert audit.changes == {
        "count": 3,
        "first": "2026-03-01",
        "last": "2026-03-31",
        "format": "csv",
        # where the request came from (the security log)
        "ip": "127.0.0.1",
        "user_agent": "",
    }


@pytest.mark.parametrize(
    ("username", "code"),
    [
        ("wengyuan_rsj", "wengyuan"),  # a department's staff: their slips, not the register
        ("shaoguan_supervisor", None),  # the register lives on its hall's host
        ("qingcheng_lead", "wengyuan"),  # another city's hall lead
        ("qingyuan_supervisor", "wengyuan"),  # another city's supervisor
        ("wengyuan_lead", "nanxiong"),  # another hall of the city
    ],
)
def test_others_get_404_for_the_register(
    wengyuan: Hall, march_cases: list[Case], username: str, code: str | None
) -> None:
    assert get(client_for(username, code), f"/exports/cases.xlsx?{MARCH}").status_code == 404


def test_a_bad_period_is_a_400(wengyuan: Hall) -> None:
    client = client_for("wengyuan_lead", "wengyuan")

    assert get(client, "/exports/cases.csv?first=2026-13-01").status_code == 400
    assert get(client, "/exports/cases.csv?first=2026-03-31&last=2026-03-01").status_code == 400


def test_without_a_period_the_register_is_of_the_current_month(wengyuan: Hall) -> None:
    case = case_register(hall=wengyuan, actor=user("wengyuan_window"), data=form())

    response = get(client_for("wengyuan_window", "wengyuan"), "/exports/cases.csv")

    assert [row["number"] for row in csv_rows(body(response).decode("utf-8"))[1]] == [case.number]


# --- the dashboard's tables ---------------------------------------------------------------------------


def cells(rows: Any) -> list[list[Any]]:
    """Rows as a workbook gives them back: an empty text is an empty cell."""
    return [[None if value == "" else value for value in row] for row in rows]


def table_of(section: str, scope: Scope) -> Table:
    figures = figures_for(scope=scope, period=MARCH_PERIOD).as_dict()
    return section_table(figures, section)


@pytest.mark.parametrize("section", [s for s in SECTIONS if s != "halls"])
def test_each_table_of_the_hall_dashboard_exports_to_csv_and_xlsx(
    demo: dict[str, Hall], march_cases: list[Case], section: str
) -> None:
    use_public_schema()
    expected = table_of(section, Scope.of_hall(demo["wengyuan"]))
    client = client_for("wengyuan_lead", "wengyuan")

    as_csv = get(client, f"/exports/stats/{section}.csv?{MARCH}")
    as_xlsx = get(client, f"/exports/stats/{section}.xlsx?{MARCH}")

    assert as_csv.status_code == as_xlsx.status_code == 200
    rows = list(csv.reader(io.StringIO(body(as_csv).decode("utf-8")[1:])))
    assert rows[0] == [str(label) for label in expected.header]
    assert rows[1:] == [["" if v is None else str(v) for v in row] for row in expected.rows]
    sheet = load_workbook(io.BytesIO(body(as_xlsx))).worksheets[0]
    assert cells(sheet.iter_rows(min_row=2, values_only=True)) == cells(expected.rows)


def test_the_hall_tables_count_the_halls_cases_and_slips(demo: dict[str, Hall], march_cases: list[Case]) -> None:
    client = client_for("wengyuan_lead", "wengyuan")

    summary = list(csv.reader(io.StringIO(body(get(client, f"/exports/stats/summary.csv?{MARCH}")).decode()[1:])))
    departments = list(
        csv.reader(io.StringIO(body(get(client, f"/exports/stats/departments.csv?{MARCH}")).decode()[1:]))
    )

    assert summary[1][1] == "3"  # cases registered in March
    by_name = {row[0]: row for row in departments[1:]}
    assert set(by_name) == {"翁源县人力资源和社会保障局", "韶关市人力资源和社会保障局"}
    assert [by_name["翁源县人力资源和社会保障局"][i] for i in (2, 5, 6)] == ["1", "0", "1"]  # 1 slip, late


def test_the_city_workbook_has_every_table_with_the_halls(demo: dict[str, Hall], march_cases: list[Case]) -> None:
    response = get(client_for("shaoguan_supervisor", None), f"/exports/stats.xlsx?{MARCH}")

    assert response.status_code == 200
    assert "shaoguan-city-stats-20260301-20260331.xlsx" in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(body(response)))
    assert len(book.worksheets) == len(SECTIONS)
    expected = table_of("halls", Scope.of_city(demo["shaoguan"]))
    halls = cells(book.worksheets[SECTIONS.index("halls")].iter_rows(min_row=2, values_only=True))
    assert halls == cells(expected.rows)
    assert {row[1] for row in halls} == {h.code for h in Hall.objects.filter(parent__code="shaoguan")} | {"shaoguan"}
    assert next(row for row in halls if row[1] == "wengyuan")[2] == 3


def test_the_dashboards_section_names_reach_the_same_tables(demo: dict[str, Hall], march_cases: list[Case]) -> None:
    client = client_for("wengyuan_lead", "wengyuan")

    for alias, section in (("result", "results"), ("stage_rates", "stages"), ("stage_times", "stages")):
        assert body(get(client, f"/exports/stats/{alias}.csv?{MARCH}")) == body(
            get(client, f"/exports/stats/{section}.csv?{MARCH}")
        )


def test_a_hall_has_no_halls_table(demo: dict[str, Hall]) -> None:
    assert get(client_for("wengyuan_lead", "wengyuan"), "/exports/stats/halls.csv").status_code == 404
    assert get(client_for("wengyuan_lead", "wengyuan"), "/exports/stats/nonsense.csv").status_code == 404


@pytest.mark.parametrize(
    ("username", "code", "path"),
    [
        ("wengyuan_window", "wengyuan", "/exports/stats.xlsx"),  # the dashboard is the hall lead's
        ("wengyuan_rsj", "wengyuan", "/exports/stats/channel.csv"),
        ("wengyuan_lead", "nanxiong", "/exports/stats.xlsx"),
        ("qingyuan_supervisor", "wengyuan", "/exports/stats.xlsx"),
        ("shaoguan_rsj", None, "/exports/stats.xlsx"),
    ],
)
def test_others_get_404_for_the_tables(demo: dict[str, Hall], username: str, code: str | None, path: str) -> None:
    assert get(client_for(username, code), path).status_code == 404


def test_a_supervisor_cannot_ask_for_another_city(demo: dict[str, Hall]) -> None:
    shaoguan = demo["shaoguan"].pk
    qingyuan = demo["qingyuan"].pk

    assert get(client_for("qingyuan_supervisor", None), f"/exports/stats.xlsx?city={shaoguan}").status_code == 404
    assert get(client_for("qingyuan_supervisor", None), f"/exports/stats.xlsx?city={qingyuan}").status_code == 200
    assert get(client_for("shaoguan_supervisor", None), f"/exports/stats.xlsx?city={qingyuan}").status_code == 404


def route_paths() -> list[str]:
    """Every export route, found in the URL conf, so that a new one cannot be left out here."""
    examples = {"fmt": "xlsx", "section": "channel"}
    paths = []
    for pattern in export_urls.urlpatterns:
        assert isinstance(pattern, URLPattern)
        regex = pattern.pattern.regex.pattern
        path = regex.strip("^$").replace("\\.", ".")
        for name, value in examples.items():
            path = path.replace(f"(?P<{name}>[a-z_]+)", value).replace(f"(?P<{name}>xlsx|csv)", value)
        assert "(" not in path, regex
        paths.append(f"/exports/{path}")
    return paths


@pytest.mark.parametrize("path", route_paths())
@pytest.mark.parametrize(("username", "code"), [("qingcheng_lead", "wengyuan"), ("wengyuan_lead", "qingcheng")])
def test_every_export_route_is_404_across_cities(demo: dict[str, Hall], path: str, username: str, code: str) -> None:
    assert get(client_for(username, code), f"{path}?{MARCH}").status_code == 404
