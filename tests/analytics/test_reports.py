"""Reports (analytics/reports.py, analytics/report_pdf.py, analytics/tasks.py, analytics/web/reports.py):
made by beat on the first working day of the month through a real worker, or on demand; once per
period; told to the hall lead or the city's supervisors; seen only by them."""

from __future__ import annotations

import base64
import re
import zlib
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.urls import URLPattern
from django.utils import timezone

from analytics.models import MonthlyReport, ReportScope
from analytics.report_pdf import report_pdf, report_tables
from analytics.reports import first_working_day_of_month, monthly_reports_make, report_content, report_make
from analytics.selectors import Period, Scope
from analytics.services import suggestion_answer, suggestion_send
from analytics.tasks import analytics_monthly_reports_task
from analytics.web import report_urls
from casework.models import Case
from casework.services import case_register
from config.celery import app
from hallplatform.audit.models import AuditEvent
from hallplatform.schemas import use_hall_schema, use_public_schema
from notifications.models import Notice
from tenants.models import Hall
from tests.casework.support import dept, draft, install_clock, transfer
from tests.casework.test_case_register import form
from tests.conftest import client_for, user
from tests.notifications.conftest import wait_for

TZ = ZoneInfo("Asia/Shanghai")
MARCH = Period(first=date(2026, 3, 1), last=date(2026, 3, 31))


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


# --- PDF text, without a PDF library: inflate the streams, decode the strings ----------------------


def _unescape(raw: bytes) -> bytes:
    out = bytearray()
    i = 0
    while i < len(raw):
        if raw[i] != 0x5C:
            out.append(raw[i])
            i += 1
            continue
        following = raw[i + 1 : i + 2]
        octal = re.match(rb"[0-7]{1,3}", raw[i + 1 : i + 4])
        if octal:
            out.append(int(octal.group(0), 8) & 0xFF)
            i += 1 + len(octal.group(0))
            continue
        out += {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}.get(following, following)
        i += 2
    return bytes(out)


def pdf_text(pdf: bytes) -> str:
    """Every string the pages show, joined (the CID font's strings are UTF-16BE)."""
    contents = []
    for match in re.finditer(rb"<<(.*?)>>\s*stream\r?\n(.*?)endstream", pdf, re.S):
        filters, data = match.group(1), match.group(2)
        if b"/ASCII85Decode" in filters:
            data = base64.a85decode(data.strip().removeprefix(b"<~").removesuffix(b"~>"))
        if b"/FlateDecode" in filters:
            data = zlib.decompress(data)
        contents.append(data)
    texts = []
    for match in re.finditer(rb"\(((?:\\.|[^\\)])*)\)\s*Tj", b"\n".join(contents), re.S):
        raw = _unescape(match.group(1))
        try:
            texts.append(raw.decode("utf-16-be"))
        except UnicodeDecodeError:
            texts.append(raw.decode("latin-1"))
    return "".join(texts)


def pdf_pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page[^s]", pdf))


# --- The calendar: the first working day of a month -----------------------------------------------


@pytest.mark.parametrize(
    ("day", "first"),
    [
        (date(2026, 10, 1), date(2026, 10, 8)),  # National Day: 1-7 October off
        (date(2026, 10, 20), date(2026, 10, 8)),
        (date(2026, 1, 15), date(2026, 1, 4)),  # a make-up Sunday after New Year's Day
        (date(2026, 2, 1), date(2026, 2, 2)),  # a Sunday, then Monday
        (date(2026, 5, 1), date(2026, 5, 6)),  # Labour Day: 1-5 May off
        (date(2026, 3, 1), date(2026, 3, 2)),
    ],
)
def test_first_working_day_of_month_follows_the_national_calendar(db: None, day: date, first: date) -> None:
    assert first_working_day_of_month(day) == first


# --- One report -------------------------------------------------------------------------------------


@pytest.fixture
def march(demo: dict[str, Hall], monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Wengyuan in March 2026: three cases, one transferred to two departments, a suggestion sent
    and answered; one case in February (the previous period)."""
    wengyuan = demo["wengyuan"]
    use_hall_schema(wengyuan)
    window = user("wengyuan_window")

    def reg(when: str, **changes: Any) -> Case:
        return case_register(hall=wengyuan, actor=window, data=form(**changes), at=at(when))

    reg("2026-02-10T10:00:00", matter_name="社保卡补办")
    cases = [
        reg("2026-03-02T09:00:00", matter_name="社保卡补办"),
        reg("2026-03-03T09:00:00", matter_name="社保卡 补办。"),
        reg("2026-03-04T09:00:00", matter_name="营业执照变更"),
    ]
    clock = install_clock(monkeypatch, at("2026-03-05T10:00:00"))
    transfer(cases[0], draft("wengyuan/rsj"), draft("shaoguan/rsj"))
    use_public_schema()
    suggestion = suggestion_send(
        actor=user("wengyuan_lead"),
        scope=Scope.of_hall(wengyuan),
        department_id=dept("wengyuan/rsj").pk,
        finding="社保卡补办反复失败，群众电话13812345678多次反映",
        suggestion="请优化社保卡补办流程",
        matter_key="社保卡补办",
    )
    clock.set("2026-03-20T10:00:00")
    suggestion_answer(actor=user("wengyuan_rsj"), suggestion=suggestion, answer="已简化补办材料")
    clock.set("2026-04-08T07:00:00")
    return {"hall": wengyuan, "cases": cases, "suggestion": suggestion, "clock": clock}


def notices_of(report: MonthlyReport) -> set[str]:
    return {
        n.recipient_user.username
        for n in Notice.objects.filter(kind="report_ready", event_key=f"report:{report.pk}:ready").select_related(
            "recipient_user"
        )
        if n.recipient_user is not None
    }


def test_a_hall_report_holds_the_figures_the_previous_period_problems_and_suggestions(march: dict[str, Any]) -> None:
    report = report_make(scope=Scope.of_hall(march["hall"]), period=MARCH)

    assert (report.scope, report.hall_id, report.period_start, report.period_end) == (
        ReportScope.HALL,
        march["hall"].pk,
        MARCH.first,
        MARCH.last,
    )
    assert report.made_by is None
    content = report.figures
    assert content["scope_name"] == "翁源县政务服务中心"
    assert content["period"] == {"first": "2026-03-01", "last": "2026-03-31", "name": content["period"]["name"]}
    assert content["previous_period"]["first"] == "2026-02-01"
    assert content["figures"]["cases"] == 3
    assert content["previous"]["cases"] == 1
    assert {d["name"] for d in content["figures"]["departments"]} == {
        "翁源县人力资源和社会保障局",
        "韶关市人力资源和社会保障局",
    }
    matter = content["recurring"]["matters"][0]
    assert (matter["key"], matter["cases"], matter["previous"], matter["trend"]) == ("社保卡补办", 2, 1, 1)
    [suggestion] = content["suggestions"]
    assert suggestion["number"] == march["suggestion"].number
    assert suggestion["answer"] == "已简化补办材料"
    assert "13812345678" not in suggestion["finding"] and "138****5678" in suggestion["finding"]
    # the PDF: A4 pages with the hall, the matters and the answer in them
    pdf = bytes(report.pdf)
    assert pdf.startswith(b"%PDF")
    assert pdf_pages(pdf) >= 1
    text = pdf_text(pdf)
    assert "翁源县政务服务中心" in text
    assert "社保卡补办" in text
    assert "已简化补办材料" in text
    assert "13812345678" not in text
    # the hall lead is told
    assert notices_of(report) == {"wengyuan_lead"}


def test_a_city_report_covers_its_halls_and_tells_the_supervisors(march: dict[str, Any], demo: dict[str, Hall]) -> None:
    report = report_make(scope=Scope.of_city(demo["shaoguan"]), period=MARCH)

    content = report.figures
    assert report.scope == ReportScope.CITY
    assert content["figures"]["cases"] == 3
    assert {h["code"] for h in content["figures"]["halls"]} >= {"shaoguan", "wengyuan", "nanxiong"}
    assert "qingcheng" not in {h["code"] for h in content["figures"]["halls"]}
    assert notices_of(report) == {"shaoguan_supervisor"}
    assert "翁源县政务服务中心" in pdf_text(bytes(report.pdf))


def test_a_report_lists_the_50_departments_with_most_slips(demo: dict[str, Hall]) -> None:
    content = report_content(scope=Scope.of_city(demo["shaoguan"]), period=MARCH)
    content["figures"]["departments"] = [
        {"id": n, "name": f"测试部门{n:02d}", "hall": "测试大厅", "slips": 100 - n, "replied": 0, "returned": 0,
         "on_time": 0, "late": 0, "flagged": 0, "on_time_rate": None, "band": None}
        for n in range(60)
    ]  # fmt: skip

    [departments] = [table for table in report_tables(content) if table.key == "departments"]
    text = pdf_text(report_pdf(content))

    assert [row[0] for row in departments.rows] == [f"测试部门{n:02d}" for n in range(50)]
    assert "60" in departments.title
    assert "测试部门49" in text and "测试部门50" not in text


def test_a_report_is_made_once_per_period_and_told_once(march: dict[str, Any]) -> None:
    scope = Scope.of_hall(march["hall"])
    first = report_make(scope=scope, period=MARCH, refresh=False)
    made_at = first.made_at

    again = report_make(scope=scope, period=MARCH, refresh=False)
    march["clock"].set("2026-04-09T09:00:00")
    remade = report_make(scope=scope, period=MARCH, actor=user("wengyuan_lead"))

    assert again.pk == remade.pk == first.pk
    assert MonthlyReport.objects.filter(hall=march["hall"], period_start=MARCH.first).count() == 1
    assert again.made_at == made_at
    assert MonthlyReport.objects.get(pk=first.pk).made_at == timezone.now()
    assert remade.made_by == user("wengyuan_lead")
    assert Notice.objects.filter(kind="report_ready", event_key=f"report:{first.pk}:ready").count() == 1
    audit = AuditEvent.objects.get(action="report.remake")
    assert (audit.actor_id, audit.target_id) == (user("wengyuan_lead").pk, str(first.pk))


def test_the_monthly_run_makes_nothing_on_other_days(db: None) -> None:
    run = monthly_reports_make(today=date(2026, 10, 1))

    assert (run.due, run.made) == (False, 0)
    assert not MonthlyReport.objects.exists()


def test_the_monthly_run_makes_last_months_report_of_every_hall_and_city_once(march: dict[str, Any]) -> None:
    halls = Hall.objects.filter(is_active=True)
    cities = halls.filter(level="city")

    first = monthly_reports_make(today=date(2026, 4, 1))
    second = monthly_reports_make(today=date(2026, 4, 1))

    assert (first.due, first.made, first.existing, first.failed) == (True, halls.count() + cities.count(), 0, [])
    assert first.period == {"first": "2026-03-01", "last": "2026-03-31"}
    assert (second.made, second.existing) == (0, halls.count() + cities.count())
    reports = MonthlyReport.objects.filter(period_start=MARCH.first, period_end=MARCH.last)
    assert reports.count() == halls.count() + cities.count()
    assert Notice.objects.filter(kind="report_ready").count() == len(
        {(n.event_key, n.recipient_user_id) for n in Notice.objects.filter(kind="report_ready")}
    )
    wengyuan = reports.get(scope=ReportScope.HALL, hall=march["hall"])
    assert wengyuan.figures["figures"]["cases"] == 3
    assert notices_of(wengyuan) == {"wengyuan_lead"}


# --- Beat, through a real Celery worker -------------------------------------------------------------


def test_beat_runs_the_task_every_morning() -> None:
    entry = app.conf.beat_schedule["analytics-monthly-reports"]

    assert entry["task"] == analytics_monthly_reports_task.name
    assert analytics_monthly_reports_task.name in app.tasks
    assert entry["schedule"].hour == {7} and entry["schedule"].minute == {0}
    assert app.conf.timezone == "Asia/Shanghai"


@pytest.fixture
def committed(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """Data the worker process can see (committed); the reports and notices made are removed."""
    with django_db_blocker.unblock():
        use_public_schema()
        mark = Notice.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        MonthlyReport.objects.filter(period_start=date(2026, 9, 1)).delete()
        try:
            yield
        finally:
            use_public_schema()
            MonthlyReport.objects.filter(period_start=date(2026, 9, 1)).delete()
            Notice.objects.filter(pk__gt=mark, kind="report_ready").delete()


def run_on_worker(today: str) -> dict[str, Any]:
    result = analytics_monthly_reports_task.apply_async(kwargs={"today": today}, headers={"_schema_name": "public"})
    answer: dict[str, Any] = result.get(timeout=180)
    return answer


@pytest.mark.celery_worker
def test_the_beat_task_on_a_real_worker_makes_the_reports_on_the_first_working_day_only(
    committed: None, celery_worker_process: str
) -> None:
    halls = Hall.objects.filter(is_active=True).count()
    cities = Hall.objects.filter(is_active=True, level="city").count()
    september = MonthlyReport.objects.filter(period_start=date(2026, 9, 1), period_end=date(2026, 9, 30))

    # on 1 October, a holiday, nothing happens
    holiday = run_on_worker("2026-10-01")
    assert (holiday["due"], holiday["made"]) == (False, 0)
    assert not september.exists()

    # on 8 October, the first working day, September's reports of every hall and city are made
    first = run_on_worker("2026-10-08")
    assert (first["due"], first["made"], first["failed"]) == (True, halls + cities, [])
    assert first["period"] == {"first": "2026-09-01", "last": "2026-09-30"}
    assert september.count() == halls + cities
    assert september.filter(scope=ReportScope.CITY).count() == cities
    wengyuan = september.get(scope=ReportScope.HALL, hall__code="wengyuan")
    assert bytes(wengyuan.pdf).startswith(b"%PDF")
    assert wengyuan.figures["period"]["first"] == "2026-09-01"
    assert notices_of(wengyuan) == {"wengyuan_lead"}
    assert notices_of(september.get(scope=ReportScope.CITY, hall__code="shaoguan")) == {"shaoguan_supervisor"}
    notices = Notice.objects.filter(kind="report_ready", event_key__in=[f"report:{r.pk}:ready" for r in september])
    told = notices.count()
    # the inbox notices are delivered by the worker too
    wait_for(lambda: not notices.filter(state="queued").exists(), what="the report notices to be delivered")

    # run again (beat twice, a retry): nothing new, nobody told twice
    again = run_on_worker("2026-10-08")
    assert (again["made"], again["existing"]) == (0, halls + cities)
    assert september.count() == halls + cities
    assert notices.count() == told


# --- The pages --------------------------------------------------------------------------------------


@pytest.fixture
def reports(march: dict[str, Any], demo: dict[str, Hall]) -> dict[str, MonthlyReport]:
    return {
        "wengyuan": report_make(scope=Scope.of_hall(demo["wengyuan"]), period=MARCH),
        "nanxiong": report_make(scope=Scope.of_hall(demo["nanxiong"]), period=MARCH),
        "shaoguan_city": report_make(scope=Scope.of_city(demo["shaoguan"]), period=MARCH),
        "qingcheng": report_make(scope=Scope.of_hall(demo["qingcheng"]), period=MARCH),
        "qingyuan_city": report_make(scope=Scope.of_city(demo["qingyuan"]), period=MARCH),
    }


def get(client: Any, path: str, **extra: Any) -> Any:
    response = client.get(path, **extra)
    use_public_schema()
    return response


def listed(response: Any) -> set[int]:
    return {report.pk for report in response.context["page"].object_list}


def test_a_hall_lead_sees_only_their_halls_reports(reports: dict[str, MonthlyReport]) -> None:
    client = client_for("wengyuan_lead", "wengyuan")

    page = get(client, "/reports/")

    assert page.status_code == 200
    assert listed(page) == {reports["wengyuan"].pk}
    for other in ("nanxiong", "shaoguan_city", "qingcheng", "qingyuan_city"):
        assert get(client, f"/reports/{reports[other].pk}/").status_code == 404
        assert get(client, f"/reports/{reports[other].pk}/pdf/").status_code == 404


def test_a_supervisor_sees_their_citys_reports_and_its_halls(reports: dict[str, MonthlyReport]) -> None:
    client = client_for("shaoguan_supervisor", None)

    assert listed(get(client, "/reports/")) == {
        reports["shaoguan_city"].pk,
        reports["wengyuan"].pk,
        reports["nanxiong"].pk,
    }
    assert get(client, f"/reports/{reports['wengyuan'].pk}/").status_code == 200
    for other in ("qingcheng", "qingyuan_city"):
        assert get(client, f"/reports/{reports[other].pk}/").status_code == 404
        assert get(client, f"/reports/{reports[other].pk}/pdf/").status_code == 404


def test_qingyuans_supervisor_gets_404_for_shaoguans_reports(reports: dict[str, MonthlyReport]) -> None:
    client = client_for("qingyuan_supervisor", None)

    assert listed(get(client, "/reports/")) == {reports["qingyuan_city"].pk, reports["qingcheng"].pk}
    for other in ("shaoguan_city", "wengyuan", "nanxiong"):
        assert get(client, f"/reports/{reports[other].pk}/").status_code == 404
        assert get(client, f"/reports/{reports[other].pk}/pdf/").status_code == 404
    assert get(client, f"/reports/?city={reports['shaoguan_city'].hall_id}").status_code == 404


def test_the_report_page_is_printable_and_shows_the_stored_figures(reports: dict[str, MonthlyReport]) -> None:
    page = get(client_for("wengyuan_lead", "wengyuan"), f"/reports/{reports['wengyuan'].pk}/")

    html = page.content.decode()
    assert page.status_code == 200
    # the print layout is a static stylesheet (no inline <style> under the Content-Security-Policy)
    assert 'href="/static/hallplatform/report.css"' in html and "<style" not in html
    assert "@page { size: A4" in (settings.BASE_DIR / "hallplatform/static/hallplatform/report.css").read_text()
    assert "翁源县政务服务中心" in html
    assert "已简化补办材料" in html
    assert "社保卡补办" in html
    assert f"/reports/{reports['wengyuan'].pk}/pdf/" in html


def test_the_pdf_downloads(reports: dict[str, MonthlyReport]) -> None:
    response = get(client_for("shaoguan_supervisor", None), f"/reports/{reports['shaoguan_city'].pk}/pdf/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "shaoguan-city-report-20260301-20260331.pdf" in response["Content-Disposition"]
    assert response.content.startswith(b"%PDF")


def test_a_hall_lead_makes_a_report_of_any_period_now(march: dict[str, Any]) -> None:
    client = client_for("wengyuan_lead", "wengyuan")

    form_page = get(client, "/reports/new/")
    response = client.post("/reports/new/", {"first": "2026-03-01", "last": "2026-03-15"})
    use_public_schema()

    assert form_page.status_code == 200
    report = MonthlyReport.objects.get(hall=march["hall"], period_start=date(2026, 3, 1), period_end=date(2026, 3, 15))
    assert response.status_code == 302 and response["Location"] == f"/reports/{report.pk}/"
    assert report.made_by == user("wengyuan_lead")
    assert report.figures["figures"]["cases"] == 3
    assert AuditEvent.objects.filter(action="report.make", target_id=str(report.pk)).count() == 1


def test_a_supervisor_makes_a_city_report_now(march: dict[str, Any], demo: dict[str, Hall]) -> None:
    client = client_for("shaoguan_supervisor", None)

    response = client.post("/reports/new/", {"first": "2026-03-01", "last": "2026-03-31"})

    report = MonthlyReport.objects.get(scope=ReportScope.CITY, hall=demo["shaoguan"], period_start=MARCH.first)
    assert response.status_code == 302
    assert notices_of(report) == {"shaoguan_supervisor"}


def test_a_bad_period_is_refused_and_nothing_is_made(march: dict[str, Any]) -> None:
    client = client_for("wengyuan_lead", "wengyuan")

    response = client.post("/reports/new/", {"first": "2026-03-31", "last": "2026-03-01"})
    use_public_schema()

    assert response.status_code == 400
    assert not MonthlyReport.objects.exists()


@pytest.mark.parametrize(
    ("username", "code"),
    [("wengyuan_window", "wengyuan"), ("shaoguan_supervisor", "wengyuan"), ("wengyuan_rsj", "wengyuan")],
)
def test_only_the_lead_or_the_supervisor_on_the_portal_makes_reports(
    march: dict[str, Any], username: str, code: str
) -> None:
    client = client_for(username, code)

    response = client.post("/reports/new/", {"first": "2026-03-01", "last": "2026-03-31"})
    use_public_schema()

    assert response.status_code == 404
    assert not MonthlyReport.objects.exists()


def route_paths(report_id: int) -> list[str]:
    """Every report route, from the URL conf, so that a new one cannot be left out here."""
    paths = []
    for pattern in report_urls.urlpatterns:
        assert isinstance(pattern, URLPattern)
        paths.append("/reports/" + str(pattern.pattern).replace("<int:report_id>", str(report_id)))
    return paths


@pytest.mark.parametrize("index", range(len(report_urls.urlpatterns)))
@pytest.mark.parametrize(
    ("username", "code", "own"),
    [
        ("qingcheng_lead", "wengyuan", "qingcheng"),
        ("wengyuan_lead", "qingcheng", "wengyuan"),
        ("nanxiong_lead", "wengyuan", "nanxiong"),
    ],
)
def test_every_report_route_is_404_for_another_hall(
    reports: dict[str, MonthlyReport], index: int, username: str, code: str, own: str
) -> None:
    if username == "nanxiong_lead":
        from hallplatform.accounts.models import RoleKind
        from hallplatform.accounts.services import staff_create

        staff_create(
            username=username, password="x", kind=RoleKind.HALL_LEAD, hall_code="nanxiong", check_password=False
        )
    path = route_paths(reports[own].pk)[index]

    assert get(client_for(username, code), path).status_code == 404
