"""Importing a year of the national calendar from the transcription of the State Council notice:
the parser (notice.py), the service, `manage.py import_holidays` and the admin form."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path
from typing import Any

import chinese_calendar
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from hallplatform.audit.models import AuditEvent
from hallplatform.workdays.models import CalendarDay, CalendarYear, DaySource, YearStatus
from hallplatform.workdays.notice import NoticeDayKind, NoticeFormatError, decode_notice, parse_notice
from hallplatform.workdays.services import calendar_import_year
from hallplatform.workdays.signals import calendar_changed
from tests.conftest import client_for, user

NOTICE_2026 = Path(__file__).resolve().parents[3] / "hallplatform" / "workdays" / "notices" / "2026.txt"

NOTICE_2027 = """\
# a made-up notice for a year the package does not cover
year: 2027
notice: 国办发明电〔2026〕99号
元旦 holiday 2027-01-01..2027-01-03
春节 holiday 2027-02-05..2027-02-12
春节 workday 2027-02-20
国庆节 holiday 2027-10-01..2027-10-07
国庆节 workday 2027-09-26, 2027-10-09
"""


def _snapshot() -> dict[str, Any]:
    """Everything an import may touch, to assert that a refused import changed nothing."""
    return {
        "years": list(CalendarYear.objects.order_by("year").values_list("year", "status", "source", "notice_ref")),
        "days": list(CalendarDay.objects.order_by("date").values_list("date", "kind", "name", "source")),
        "audit": AuditEvent.objects.count(),
    }


# --- The format ---------------------------------------------------------------------------------


def test_the_shipped_2026_notice_parses_and_matches_chinesecalendar() -> None:
    notice = parse_notice(NOTICE_2026.read_text(encoding="utf-8"))

    assert notice.year == 2026
    assert notice.reference == "国办发明电〔2025〕7号"
    holidays = {d.day for d in notice.days if d.kind == NoticeDayKind.HOLIDAY}
    workdays = {d.day for d in notice.days if d.kind == NoticeDayKind.MAKEUP_WORKDAY}
    assert holidays == {day for day in chinese_calendar.holidays if day.year == 2026}
    assert workdays == {day for day in chinese_calendar.workdays if day.year == 2026}
    assert {d.name for d in notice.days} == {"元旦", "春节", "清明节", "劳动节", "端午节", "中秋节", "国庆节"}


def test_december_of_the_year_before_and_chinese_kind_words_are_accepted() -> None:
    notice = parse_notice(
        "year: 2019\nnotice: 国办发明电〔2018〕15号\n元旦 放假 2018-12-30..2019-01-01\n元旦 上班 2018-12-29\n"
    )

    assert [(d.day, d.kind) for d in notice.days] == [
        (date(2018, 12, 29), NoticeDayKind.MAKEUP_WORKDAY),
        (date(2018, 12, 30), NoticeDayKind.HOLIDAY),
        (date(2018, 12, 31), NoticeDayKind.HOLIDAY),
        (date(2019, 1, 1), NoticeDayKind.HOLIDAY),
    ]


GOOD_HEADER = "year: 2027\nnotice: 国办发明电〔2026〕99号\n"


@pytest.mark.parametrize(
    ("text", "line", "field"),
    [
        ("notice: x\n元旦 holiday 2027-01-01\n", 2, "year"),
        ("year: 27\nnotice: x\n元旦 holiday 2027-01-01\n", 1, "year"),
        (GOOD_HEADER + "元旦 holiday 2027-13-01\n", 3, "date"),
        (GOOD_HEADER + "元旦 holiday 2027-01-01\n春节 vacation 2027-02-05\n", 4, "kind"),
        (GOOD_HEADER + "元旦 holiday 2027-01-03..2027-01-01\n", 3, "date"),
        (GOOD_HEADER + "元旦 holiday 2027-01-01..2027-03-01\n", 3, "date"),
        (GOOD_HEADER + "元旦 holiday 2028-01-01\n", 3, "date"),
        (GOOD_HEADER + "元旦 workday 2027-01-04\n", 3, "date"),  # a Monday
        (GOOD_HEADER + "元旦 holiday 2027-01-01\n# note\n元旦 holiday 2027-01-01\n", 5, "date"),
        (GOOD_HEADER + "元旦 holiday\n", 3, "line"),
        (GOOD_HEADER + "title: 通知\n", 3, "header"),
        (GOOD_HEADER + "元旦 holiday 2027-01-01,\n", 3, "date"),
        ("year: 2027\n元旦 holiday 2027-01-01\n", None, "notice"),
        (GOOD_HEADER, None, "date"),
        (GOOD_HEADER + "notice: again\n", 3, "notice"),
    ],
)
def test_a_malformed_file_names_the_line_and_the_field(text: str, line: int | None, field: str) -> None:
    with pytest.raises(NoticeFormatError) as caught:
        parse_notice(text)

    assert (caught.value.line, caught.value.field) == (line, field)
    assert f"field “{field}”" in str(caught.value)
    if line is not None:
        assert str(caught.value).startswith(f"line {line},")


def test_a_file_that_is_not_utf8_names_the_line() -> None:
    data = b"year: 2027\nnotice: x\n" + "元旦 holiday 2027-01-01\n".encode("gb18030")

    with pytest.raises(NoticeFormatError) as caught:
        decode_notice(data)

    assert (caught.value.line, caught.value.field) == (3, "encoding")


# --- The service and the command ----------------------------------------------------------------


def test_import_replaces_the_year_and_makes_it_official(db: None, django_capture_on_commit_callbacks: Any) -> None:
    # given 2027 has only its provisional calendar
    from hallplatform.workdays.selectors import calendar_for_year

    assert calendar_for_year(year=2027).status == YearStatus.PROVISIONAL
    received: list[dict[str, Any]] = []

    def receiver(sender: Any, **kwargs: Any) -> None:
        received.append(kwargs)

    calendar_changed.connect(receiver)
    try:
        # when the notice is imported
        with django_capture_on_commit_callbacks(execute=True):
            year = calendar_import_year(text=NOTICE_2027, actor=user("operator"))
    finally:
        calendar_changed.disconnect(receiver)

    # then the year holds exactly the notice's days, and says where they came from
    assert (year.status, year.source, year.notice_ref) == (
        YearStatus.OFFICIAL,
        DaySource.NOTICE,
        "国办发明电〔2026〕99号",
    )
    assert year.imported_by == user("operator")
    days = CalendarDay.objects.filter(calendar_year=year)
    assert days.count() == 3 + 8 + 1 + 7 + 2
    assert set(days.values_list("source", flat=True)) == {DaySource.NOTICE}
    assert not days.filter(name__endswith="（补假）").exists()  # the provisional rows are gone
    assert days.get(date=date(2027, 2, 20)).kind == "makeup_workday"
    event = AuditEvent.objects.get(action="calendar.year_import", target_id=str(year.pk))
    assert event.actor == user("operator")
    assert "2027-02-20 makeup_workday 春节" in event.changes["added"]
    # and the deadline engine hears about the whole year, after commit
    assert received == [
        {"signal": calendar_changed, "hall_id": None, "first": date(2027, 1, 1), "last": date(2027, 12, 31)}
    ]


def test_importing_again_replaces_the_previous_import(db: None) -> None:
    calendar_import_year(text=NOTICE_2027)
    changed = NOTICE_2027.replace("国庆节 workday 2027-09-26, 2027-10-09\n", "国庆节 workday 2027-10-09\n")

    calendar_import_year(text=changed)

    assert not CalendarDay.objects.filter(date=date(2027, 9, 26)).exists()
    assert CalendarDay.objects.filter(calendar_year__year=2027).count() == 3 + 8 + 1 + 7 + 1


def test_import_holidays_command_imports_the_shipped_2026_notice(db: None) -> None:
    # given 2026 was seeded from the package
    assert CalendarYear.objects.get(year=2026).source == DaySource.PACKAGE
    before = set(CalendarDay.objects.filter(calendar_year__year=2026).values_list("date", "kind"))

    out = io.StringIO()
    call_command("import_holidays", str(NOTICE_2026), stdout=out)

    year = CalendarYear.objects.get(year=2026)
    assert (year.source, year.notice_ref) == (DaySource.NOTICE, "国办发明电〔2025〕7号")
    after = set(CalendarDay.objects.filter(calendar_year=year).values_list("date", "kind"))
    assert after == before  # the package and the notice agree on every date
    assert AuditEvent.objects.filter(action="calendar.year_import", target_id=str(year.pk)).count() == 1
    assert out.getvalue() == "2026: imported 39 day(s) from 国办发明电〔2025〕7号\n"


def test_import_holidays_command_refuses_a_malformed_file_and_changes_nothing(db: None, tmp_path: Path) -> None:
    bad = tmp_path / "2026.txt"
    bad.write_text(NOTICE_2026.read_text(encoding="utf-8").replace("2026-05-09", "2026-05-32"), encoding="utf-8")
    line = next(i for i, text in enumerate(bad.read_text(encoding="utf-8").splitlines(), 1) if "2026-05-32" in text)
    before = _snapshot()

    with pytest.raises(CommandError) as caught:
        call_command("import_holidays", str(bad))

    assert f"line {line}, field “date”" in str(caught.value)
    assert "nothing was imported" in str(caught.value)
    assert _snapshot() == before


def test_import_holidays_command_reports_a_missing_file(db: None, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="cannot read"):
        call_command("import_holidays", str(tmp_path / "missing.txt"))


# --- The admin ----------------------------------------------------------------------------------

IMPORT_URL = "/admin/workdays/calendaryear/import/"


def test_operator_imports_a_notice_in_the_admin(demo: object) -> None:
    client = client_for("operator", None)
    assert client.get("/admin/workdays/calendaryear/").status_code == 200
    assert client.get(IMPORT_URL).status_code == 200

    response = client.post(IMPORT_URL, {"file": SimpleUploadedFile("2027.txt", NOTICE_2027.encode())})

    assert response.status_code == 302
    year = CalendarYear.objects.get(year=2027)
    assert (year.source, year.imported_by) == (DaySource.NOTICE, user("operator"))
    assert AuditEvent.objects.filter(action="calendar.year_import", actor=user("operator")).count() == 1


def test_admin_import_of_a_malformed_file_shows_the_line_and_changes_nothing(demo: object) -> None:
    client = client_for("operator", None)
    before = _snapshot()

    response = client.post(
        IMPORT_URL, {"file": SimpleUploadedFile("2027.txt", NOTICE_2027.replace("2027-02-20", "2027-02-19").encode())}
    )

    assert response.status_code == 200
    assert "line 6, field “date”" in response.content.decode()
    assert _snapshot() == before


@pytest.mark.parametrize("username", ["shaoguan_supervisor", "wengyuan_lead"])
def test_admin_import_is_for_operators_only(demo: object, username: str) -> None:
    before = _snapshot()

    client = client_for(username, None)
    response = client.post(IMPORT_URL, {"file": SimpleUploadedFile("2027.txt", NOTICE_2027.encode())})

    assert response.status_code == 404
    assert _snapshot() == before
