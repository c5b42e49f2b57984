"""The national calendar as data: the package seed, provisional years, manual corrections, and the
selector that builds the pure WorkCalendar from the database."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

import chinese_calendar
import pytest
from django.core.exceptions import ValidationError

from hallplatform.audit.models import AuditEvent
from hallplatform.workdays import worktime
from hallplatform.workdays.models import CalendarDay, CalendarYear, DaySource, HallWorkPolicy, YearStatus
from hallplatform.workdays.provisional import provisional_holidays
from hallplatform.workdays.selectors import calendar_for_year, work_calendar_for, work_calendars_for
from hallplatform.workdays.services import (
    calendar_day_remove,
    calendar_day_set,
    calendar_import_year,
    calendar_seed_from_package,
    office_hours_set,
    work_policy_set,
)
from hallplatform.workdays.signals import OPEN_END, OPEN_START, calendar_changed
from tenants.models import Hall
from tests.conftest import client_for, user


def _at(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=worktime.TZ)


# --- The seed (run by migrate_all, so the test database has it) ---------------------------------


def test_every_year_the_package_covers_is_seeded_as_official(db: None) -> None:
    years = {year.year: year for year in CalendarYear.objects.filter(year__range=(2004, 2026))}

    assert sorted(years) == list(range(2004, 2027))
    assert {(y.status, y.source, y.notice_ref) for y in years.values()} == {
        (YearStatus.OFFICIAL, DaySource.PACKAGE, f"chinesecalendar {chinese_calendar.__version__}")
    }


def test_seeded_days_are_exactly_the_packages_holidays_and_makeup_days(db: None) -> None:
    stored = set(CalendarDay.objects.filter(source=DaySource.PACKAGE).values_list("date", "kind"))

    expected = {(day, "holiday") for day in chinese_calendar.holidays} | {
        (day, "makeup_workday") for day in chinese_calendar.workdays
    }
    assert stored == expected
    assert all(day.weekday() >= 5 for day, kind in stored if kind == "makeup_workday")


def test_seeded_days_carry_the_notices_names(db: None) -> None:
    assert CalendarDay.objects.get(date=date(2026, 2, 17)).name == "春节"
    assert CalendarDay.objects.get(date=date(2026, 10, 10)).name == "国庆节"
    assert CalendarDay.objects.get(date=date(2015, 9, 3)).name.startswith("中国人民抗日战争")


def test_new_year_days_in_december_belong_to_the_next_years_notice(db: None) -> None:
    # The notice for 2019 starts 元旦 on 30 December 2018, with Saturday 29 December worked.
    assert CalendarDay.objects.get(date=date(2018, 12, 29)).calendar_year.year == 2019
    assert CalendarDay.objects.get(date=date(2018, 12, 30)).calendar_year.year == 2019


def test_seed_is_idempotent(db: None) -> None:
    before = (CalendarDay.objects.count(), AuditEvent.objects.count())

    assert calendar_seed_from_package() == []
    assert calendar_seed_from_package(refresh=True) == []

    assert (CalendarDay.objects.count(), AuditEvent.objects.count()) == before


def test_seed_replaces_a_provisional_year(db: None) -> None:
    # given 2025 has lost its data and was used (so materialised provisionally)
    CalendarYear.objects.filter(year=2025).delete()
    assert calendar_for_year(year=2025).status == YearStatus.PROVISIONAL
    assert CalendarDay.objects.get(date=date(2025, 6, 2)).name == "端午节（补假）"

    # when the seed runs again
    written = calendar_seed_from_package()

    # then the package's 2025 is back
    assert written == [2025]
    year = CalendarYear.objects.get(year=2025)
    assert (year.status, year.source) == (YearStatus.OFFICIAL, DaySource.PACKAGE)
    assert CalendarDay.objects.filter(calendar_year=year).count() == sum(
        1 for day in [*chinese_calendar.holidays, *chinese_calendar.workdays] if day.year == 2025
    )
    assert AuditEvent.objects.filter(action="calendar.year_seed", target_id=str(year.pk)).exists()


def test_refresh_restores_package_data_but_never_overwrites_a_notice(db: None) -> None:
    CalendarDay.objects.filter(date=date(2024, 10, 1)).update(name="changed")
    calendar_import_year(text="year: 2026\nnotice: 国办发明电〔2025〕7号\n元旦 holiday 2026-01-01\n")

    assert calendar_seed_from_package() == []
    assert calendar_seed_from_package(refresh=True) == [2024]

    assert CalendarDay.objects.get(date=date(2024, 10, 1)).name == "国庆节"
    assert CalendarYear.objects.get(year=2026).source == DaySource.NOTICE
    assert CalendarDay.objects.filter(calendar_year__year=2026).count() == 1


# --- Provisional years --------------------------------------------------------------------------


def test_a_year_without_data_gets_its_provisional_calendar_once(db: None) -> None:
    assert not CalendarYear.objects.filter(year=2031).exists()

    first = calendar_for_year(year=2031)
    second = calendar_for_year(year=2031)

    assert first.pk == second.pk
    assert (first.status, first.source) == (YearStatus.PROVISIONAL, DaySource.PROVISIONAL)
    stored = [(day.date, day.name) for day in second.days.all()]
    assert stored == [(h.day, h.name) for h in provisional_holidays(2031)]
    assert {day.source for day in second.days.all()} == {DaySource.PROVISIONAL}
    assert AuditEvent.objects.filter(action="calendar.year_provisional", target_id=str(first.pk)).count() == 1


def test_far_years_never_raise(db: None) -> None:
    calendar = work_calendar_for(
        hall_id=Hall.objects.get(code="wengyuan").pk, first=date(2199, 12, 1), last=date(2200, 1, 31)
    )

    assert calendar.provisional_years == frozenset({2199, 2200})
    assert calendar.national[date(2200, 1, 1)] == worktime.DayKind.HOLIDAY


# --- Manual corrections -------------------------------------------------------------------------


def test_a_manual_day_is_audited_and_announced(db: None, django_capture_on_commit_callbacks: Any) -> None:
    received: list[dict[str, Any]] = []

    def receiver(sender: Any, **kwargs: Any) -> None:
        received.append(kwargs)

    calendar_changed.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            day = calendar_day_set(day=date(2026, 7, 1), kind="holiday", name="台风停工", actor=user("operator"))
        with django_capture_on_commit_callbacks(execute=True):
            calendar_day_remove(day=day, actor=user("operator"))
    finally:
        calendar_changed.disconnect(receiver)

    assert (day.source, day.calendar_year.year) == (DaySource.MANUAL, 2026)
    assert not CalendarDay.objects.filter(date=date(2026, 7, 1)).exists()
    actions = list(AuditEvent.objects.filter(actor=user("operator")).order_by("id").values_list("action", flat=True))
    assert actions == ["calendar.day_set", "calendar.day_remove"]
    assert [(r["hall_id"], r["first"], r["last"]) for r in received] == [(None, date(2026, 7, 1), date(2026, 7, 1))] * 2


@pytest.mark.parametrize(
    ("kind", "name", "field"),
    [("makeup_workday", "国庆节", "kind"), ("holiday", "  ", "name"), ("weekend", "x", "kind")],
)
def test_a_wrong_manual_day_is_refused_and_nothing_changes(db: None, kind: str, name: str, field: str) -> None:
    before = (list(CalendarDay.objects.values_list("date", "kind", "name")), AuditEvent.objects.count())

    with pytest.raises(ValidationError) as caught:
        calendar_day_set(day=date(2026, 7, 1), kind=kind, name=name)  # a Wednesday

    assert field in caught.value.message_dict
    assert (list(CalendarDay.objects.values_list("date", "kind", "name")), AuditEvent.objects.count()) == before


# --- The selector -------------------------------------------------------------------------------


@pytest.fixture
def wengyuan(demo: dict[str, Hall]) -> Hall:
    return demo["wengyuan"]


def test_work_calendar_carries_the_national_days_of_its_range(wengyuan: Hall) -> None:
    calendar = work_calendar_for(hall_id=wengyuan.pk, first=date(2026, 9, 1), last=date(2026, 10, 31))

    assert (calendar.first, calendar.last) == (date(2026, 9, 1), date(2026, 10, 31))
    assert calendar.national[date(2026, 10, 1)] == worktime.DayKind.HOLIDAY
    assert calendar.national[date(2026, 9, 20)] == worktime.DayKind.MAKEUP_WORKDAY
    assert date(2026, 2, 17) not in calendar.national
    assert calendar.provisional_years == frozenset()
    assert calendar.seasons == (worktime.DEFAULT_OFFICE_HOURS,)
    assert calendar.policy == worktime.Policy()
    assert not calendar.is_working_day(date(2026, 10, 7))
    assert calendar.is_working_day(date(2026, 9, 20))


def test_a_range_into_an_unpublished_year_is_provisional(wengyuan: Hall) -> None:
    calendar = work_calendar_for(hall_id=wengyuan.pk, first=date(2026, 12, 1), last=date(2027, 2, 28))

    assert calendar.provisional_years == frozenset({2027})
    assert calendar.national[date(2027, 2, 5)] == worktime.DayKind.HOLIDAY
    due = worktime.add_working_days(calendar, _at(2027, 2, 4, 10), 2)
    assert due.provisional
    assert due.at == _at(2027, 2, 12, 17, 30)


def test_work_calendar_costs_a_constant_number_of_queries(wengyuan: Hall, django_assert_num_queries: Any) -> None:
    office_hours_set(
        hall=wengyuan,
        schedule=dict.fromkeys(("mon", "tue", "wed", "thu", "fri", "makeup"), ((time(9), time(17)),)),
        effective_from=date(2026, 6, 1),
        effective_to=date(2026, 9, 30),
    )
    work_calendar_for(hall_id=wengyuan.pk, first=date(2024, 1, 1), last=date(2027, 12, 31))  # materialise 2027

    with django_assert_num_queries(5):
        short = work_calendar_for(hall_id=wengyuan.pk, first=date(2026, 9, 1), last=date(2026, 9, 30))
    with django_assert_num_queries(5):
        long = work_calendar_for(hall_id=wengyuan.pk, first=date(2024, 1, 1), last=date(2027, 12, 31))
    hall_ids = list(Hall.objects.values_list("pk", flat=True))
    with django_assert_num_queries(5):
        many = work_calendars_for(hall_ids=hall_ids, first=date(2024, 1, 1), last=date(2027, 12, 31))

    assert len(short.seasons) == len(long.seasons) == 2
    assert len(many) == len(hall_ids) == 14  # Shaoguan and its ten counties, Qingyuan and its two
    assert many[wengyuan.pk] == long


def test_policy_comes_from_the_halls_row(wengyuan: Hall) -> None:
    assert not HallWorkPolicy.objects.filter(hall=wengyuan).exists()

    work_policy_set(hall=wengyuan, count_receipt_day=True, half_day_minutes=180, warning_share=0.5)
    calendar = work_calendar_for(hall_id=wengyuan.pk, first=date(2026, 9, 1), last=date(2026, 9, 30))

    assert calendar.policy == worktime.Policy(count_receipt_day=True, half_day_minutes=180, warning_share=0.5)
    other = work_calendar_for(
        hall_id=Hall.objects.get(code="nanxiong").pk, first=date(2026, 9, 1), last=date(2026, 9, 30)
    )
    assert other.policy == worktime.Policy()


@pytest.mark.parametrize(
    ("changes", "field"), [({"half_day_minutes": 0}, "half_day_minutes"), ({"warning_share": 1.0}, "warning_share")]
)
def test_a_wrong_policy_is_refused_and_nothing_changes(wengyuan: Hall, changes: dict[str, Any], field: str) -> None:
    events = AuditEvent.objects.count()
    values: dict[str, Any] = {"count_receipt_day": False, "half_day_minutes": None, "warning_share": 0.75, **changes}

    with pytest.raises(ValidationError) as caught:
        work_policy_set(hall=wengyuan, **values)

    assert field in caught.value.message_dict
    assert not HallWorkPolicy.objects.filter(hall=wengyuan).exists()
    assert AuditEvent.objects.count() == events


def test_policy_change_is_audited_and_announced_for_the_hall(
    wengyuan: Hall, django_capture_on_commit_callbacks: Any
) -> None:
    received: list[dict[str, Any]] = []

    def receiver(sender: Any, **kwargs: Any) -> None:
        received.append(kwargs)

    calendar_changed.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            work_policy_set(
                hall=wengyuan, count_receipt_day=False, half_day_minutes=None, warning_share=0.8, actor=user("operator")
            )
    finally:
        calendar_changed.disconnect(receiver)

    assert [(r["hall_id"], r["first"], r["last"]) for r in received] == [(wengyuan.pk, OPEN_START, OPEN_END)]
    assert AuditEvent.objects.filter(action="work_policy.set", hall=wengyuan, actor=user("operator")).count() == 1


def test_an_absurd_range_is_refused_before_anything_is_written(wengyuan: Hall) -> None:
    years = CalendarYear.objects.count()

    with pytest.raises(ValueError, match="at most 50 years"):
        work_calendar_for(hall_id=wengyuan.pk, first=OPEN_START, last=OPEN_END)

    assert CalendarYear.objects.count() == years


# --- The operators' admin -----------------------------------------------------------------------


def test_operator_corrects_a_day_in_the_admin(demo: object) -> None:
    client = client_for("operator", None)
    assert client.get("/admin/workdays/calendarday/?calendar_year__status__exact=official").status_code == 200

    refused = client.post(
        "/admin/workdays/calendarday/add/", {"date": "2030-07-03", "kind": "makeup_workday", "name": "x"}
    )
    added = client.post(
        "/admin/workdays/calendarday/add/", {"date": "2030-07-03", "kind": "holiday", "name": "台风停工"}
    )

    assert refused.status_code == 200 and "kind" in refused.context["adminform"].form.errors
    assert added.status_code == 302
    day = CalendarDay.objects.get(date=date(2030, 7, 3))
    assert (day.source, day.calendar_year.status) == (DaySource.MANUAL, YearStatus.PROVISIONAL)

    deleted = client.post(f"/admin/workdays/calendarday/{day.pk}/delete/", {"post": "yes"})

    assert deleted.status_code == 302
    assert not CalendarDay.objects.filter(date=date(2030, 7, 3)).exists()
    actions = list(AuditEvent.objects.filter(actor=user("operator")).order_by("id").values_list("action", flat=True))
    assert actions == ["calendar.day_set", "calendar.day_remove"]


def test_operator_sets_a_policy_in_the_admin(wengyuan: Hall) -> None:
    client = client_for("operator", None)
    form = {"hall": wengyuan.pk, "count_receipt_day": "on", "half_day_minutes": "180", "warning_share": "0.8"}

    refused = client.post("/admin/workdays/hallworkpolicy/add/", {**form, "warning_share": "1"})
    saved = client.post("/admin/workdays/hallworkpolicy/add/", form)

    assert refused.status_code == 200 and "warning_share" in refused.context["adminform"].form.errors
    assert saved.status_code == 302
    policy = HallWorkPolicy.objects.get(hall=wengyuan)
    assert (policy.count_receipt_day, policy.half_day_minutes, policy.warning_share) == (True, 180, 0.8)
    assert AuditEvent.objects.filter(action="work_policy.set", actor=user("operator")).count() == 1
