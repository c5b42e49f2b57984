"""A hall's office hours and closures: the services, the hall lead's page and the operators' admin."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from hallplatform.audit.models import AuditEvent
from hallplatform.workdays import worktime
from hallplatform.workdays.hours import DEFAULT_SCHEDULE, Schedule, parse_spans
from hallplatform.workdays.models import HallClosure, OfficeHoursSeason
from hallplatform.workdays.selectors import work_calendar_for
from hallplatform.workdays.services import closure_add, closure_remove, office_hours_remove, office_hours_set
from hallplatform.workdays.signals import OPEN_END, OPEN_START, calendar_changed
from tenants.models import Hall
from tests.conftest import client_for, user

PAGE = "/settings/office-hours/"
SUMMER: Schedule = {
    **DEFAULT_SCHEDULE,
    **dict.fromkeys(("mon", "tue", "wed", "thu", "fri"), parse_spans("08:00-12:00, 15:00-18:00")),
}


@pytest.fixture
def wengyuan(demo: dict[str, Hall]) -> Hall:
    return demo["wengyuan"]


def _at(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=worktime.TZ)


def _state(hall: Hall) -> dict[str, Any]:
    """Everything an office-hours refusal must leave as it was."""
    return {
        "seasons": list(
            OfficeHoursSeason.objects.filter(hall=hall).values_list("effective_from", "effective_to", "hours")
        ),
        "closures": list(HallClosure.objects.filter(hall=hall).values_list("date", "reason")),
        "audit": AuditEvent.objects.count(),
    }


class Received:
    def __init__(self) -> None:
        self.calls: list[tuple[int | None, date, date]] = []

    def __call__(self, sender: Any, **kwargs: Any) -> None:
        self.calls.append((kwargs["hall_id"], kwargs["first"], kwargs["last"]))


@pytest.fixture
def received() -> Any:
    receiver = Received()
    calendar_changed.connect(receiver)
    yield receiver
    calendar_changed.disconnect(receiver)


# --- Services -----------------------------------------------------------------------------------


def test_a_hall_without_its_own_hours_uses_the_default(wengyuan: Hall) -> None:
    calendar = work_calendar_for(hall_id=wengyuan.pk, first=date(2026, 9, 1), last=date(2026, 9, 30))

    assert calendar.intervals_on(date(2026, 9, 1)) == (
        worktime.Interval(time(8, 30), time(12, 0)),
        worktime.Interval(time(14, 30), time(17, 30)),
    )


def test_all_year_hours_are_set_audited_and_announced(
    wengyuan: Hall, received: Received, django_capture_on_commit_callbacks: Any
) -> None:
    schedule = {**DEFAULT_SCHEDULE, "fri": parse_spans("08:30-12:00")}

    with django_capture_on_commit_callbacks(execute=True):
        season = office_hours_set(hall=wengyuan, schedule=schedule, actor=user("wengyuan_lead"))
    with django_capture_on_commit_callbacks(execute=True):
        again = office_hours_set(hall=wengyuan, schedule=schedule, actor=user("wengyuan_lead"))  # no change

    assert again.pk == season.pk and season.is_base
    assert season.hours["fri"] == [["08:30", "12:00"]]
    calendar = work_calendar_for(hall_id=wengyuan.pk, first=date(2026, 9, 1), last=date(2026, 9, 30))
    assert calendar.intervals_on(date(2026, 9, 4)) == (worktime.Interval(time(8, 30), time(12, 0)),)  # a Friday
    event = AuditEvent.objects.get(action="office_hours.set", hall=wengyuan)
    assert event.actor == user("wengyuan_lead")
    assert event.changes["before"] is None and event.changes["after"]["hours"]["fri"] == [["08:30", "12:00"]]
    assert received.calls == [(wengyuan.pk, OPEN_START, OPEN_END)]


def test_a_seasonal_variant_applies_on_its_dates_only(
    wengyuan: Hall, received: Received, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        office_hours_set(
            hall=wengyuan, schedule=SUMMER, effective_from=date(2026, 6, 1), effective_to=date(2026, 9, 30)
        )

    calendar = work_calendar_for(hall_id=wengyuan.pk, first=date(2026, 5, 1), last=date(2026, 10, 31))
    assert calendar.intervals_on(date(2026, 6, 1))[1] == worktime.Interval(time(15), time(18))
    assert calendar.intervals_on(date(2026, 10, 12))[1] == worktime.Interval(time(14, 30), time(17, 30))
    assert calendar.intervals_on(date(2026, 5, 29))[1] == worktime.Interval(time(14, 30), time(17, 30))
    # Friday 2026-09-18 16:00 + half a (summer) day, 3.5 hours: 2 hours on Friday, the rest on
    # Sunday 20 September, a make-up working day, with the make-up hours from 08:30.
    due = worktime.add_half_working_day(calendar, _at(2026, 9, 18, 16))
    assert due.at == _at(2026, 9, 20, 10, 0)
    assert received.calls == [(wengyuan.pk, date(2026, 6, 1), date(2026, 9, 30))]


def test_a_season_can_be_changed_and_removed(
    wengyuan: Hall, received: Received, django_capture_on_commit_callbacks: Any
) -> None:
    season = office_hours_set(
        hall=wengyuan, schedule=SUMMER, effective_from=date(2026, 6, 1), effective_to=date(2026, 9, 30)
    )

    with django_capture_on_commit_callbacks(execute=True):
        office_hours_set(
            hall=wengyuan,
            schedule=SUMMER,
            effective_from=date(2026, 7, 1),
            effective_to=date(2026, 8, 31),
            season=season,
        )
    with django_capture_on_commit_callbacks(execute=True):
        office_hours_remove(season=OfficeHoursSeason.objects.get(pk=season.pk), actor=user("wengyuan_lead"))

    assert not OfficeHoursSeason.objects.filter(hall=wengyuan).exists()
    assert received.calls == [
        (wengyuan.pk, date(2026, 6, 1), date(2026, 9, 30)),  # the old and the new dates
        (wengyuan.pk, date(2026, 7, 1), date(2026, 8, 31)),
    ]
    assert AuditEvent.objects.filter(action="office_hours.remove", hall=wengyuan).count() == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"fri": ()}, "fri"),  # a working weekday without hours
        ({"makeup": ()}, "makeup"),
        ({"tue": parse_spans("08:30-12:00, 11:30-17:30")}, "tue"),  # overlapping
        ({"wed": parse_spans("12:00-08:30")}, "wed"),  # end before start
        ({"thu": parse_spans("09:00-09:00")}, "thu"),  # end == start
    ],
)
def test_wrong_office_hours_are_refused_naming_the_field_and_nothing_is_saved(
    wengyuan: Hall, change: Schedule, field: str
) -> None:
    office_hours_set(hall=wengyuan, schedule=DEFAULT_SCHEDULE)
    before = _state(wengyuan)

    with pytest.raises(ValidationError) as caught:
        office_hours_set(hall=wengyuan, schedule={**DEFAULT_SCHEDULE, **change}, actor=user("wengyuan_lead"))

    assert list(caught.value.message_dict) == [field]
    assert _state(wengyuan) == before


def test_wrong_season_dates_are_refused(wengyuan: Hall) -> None:
    office_hours_set(hall=wengyuan, schedule=SUMMER, effective_from=date(2026, 6, 1))
    before = _state(wengyuan)

    with pytest.raises(ValidationError) as backwards:
        office_hours_set(hall=wengyuan, schedule=SUMMER, effective_from=date(2026, 9, 1), effective_to=date(2026, 8, 1))
    with pytest.raises(ValidationError) as same_start:
        office_hours_set(hall=wengyuan, schedule=SUMMER, effective_from=date(2026, 6, 1), effective_to=date(2026, 8, 1))

    assert list(backwards.value.message_dict) == ["effective_to"]
    assert list(same_start.value.message_dict) == ["effective_from"]
    assert _state(wengyuan) == before


def test_closures_are_added_removed_and_announced(
    wengyuan: Hall, received: Received, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        closure = closure_add(
            hall=wengyuan, day=date(2026, 9, 15), reason="台风“桦加沙”停工", actor=user("wengyuan_lead")
        )

    calendar = work_calendar_for(hall_id=wengyuan.pk, first=date(2026, 9, 1), last=date(2026, 9, 30))
    assert not calendar.is_working_day(date(2026, 9, 15))
    assert worktime.add_working_days(calendar, _at(2026, 9, 14, 10), 1).at == _at(2026, 9, 16, 17, 30)

    with django_capture_on_commit_callbacks(execute=True):
        closure_remove(closure=closure, actor=user("wengyuan_lead"))

    assert not HallClosure.objects.filter(hall=wengyuan).exists()
    assert received.calls == [(wengyuan.pk, date(2026, 9, 15), date(2026, 9, 15))] * 2
    # (the seeded demo's role grants are the hall's events too)
    actions = AuditEvent.objects.filter(hall=wengyuan).exclude(action__startswith="role.").order_by("id")
    assert list(actions.values_list("action", flat=True)) == ["closure.add", "closure.remove"]


def test_a_closure_is_another_halls_business(wengyuan: Hall, demo: dict[str, Hall]) -> None:
    closure_add(hall=wengyuan, day=date(2026, 9, 15), reason="台风")

    other = work_calendar_for(hall_id=demo["nanxiong"].pk, first=date(2026, 9, 1), last=date(2026, 9, 30))

    assert other.is_working_day(date(2026, 9, 15))


@pytest.mark.parametrize(
    ("day", "reason", "field"), [(date(2026, 9, 15), "again", "date"), (date(2026, 9, 16), " ", "reason")]
)
def test_wrong_closures_are_refused_and_nothing_changes(wengyuan: Hall, day: date, reason: str, field: str) -> None:
    closure_add(hall=wengyuan, day=date(2026, 9, 15), reason="台风")
    before = _state(wengyuan)

    with pytest.raises(ValidationError) as caught:
        closure_add(hall=wengyuan, day=day, reason=reason)

    assert list(caught.value.message_dict) == [field]
    assert _state(wengyuan) == before


# --- The hall lead's page -----------------------------------------------------------------------

WEEK_FORM = {key: "08:30-12:00, 14:30-17:30" for key in ("mon", "tue", "wed", "thu", "fri", "makeup")}


def test_hall_lead_sees_and_edits_the_office_hours(wengyuan: Hall) -> None:
    client = client_for("wengyuan_lead", "wengyuan")

    page = client.get(PAGE)
    assert page.status_code == 200
    assert 'value="08:30-12:00, 14:30-17:30"' in page.content.decode()

    response = client.post(PAGE, {**WEEK_FORM, "fri": "08:30-12:00"})

    assert response.status_code == 302 and response["Location"] == PAGE
    season = OfficeHoursSeason.objects.get(hall=wengyuan)
    assert season.hours["fri"] == [["08:30", "12:00"]]
    assert AuditEvent.objects.get(action="office_hours.set").actor == user("wengyuan_lead")
    assert 'value="08:30-12:00"' in client.get(PAGE).content.decode()


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"fri": ""}, "fri", "this is a working day"),
        ({"tue": "08:30-12:00, 11:00-17:30"}, "tue", "overlap"),
        ({"wed": "17:30-14:30"}, "wed", "does not end after it starts"),
        ({"thu": "8 to 5"}, "thu", "is not a time range"),
    ],
)
def test_hall_lead_page_refuses_wrong_hours_naming_the_field(
    wengyuan: Hall, change: dict[str, str], field: str, message: str
) -> None:
    client = client_for("wengyuan_lead", "wengyuan")
    client.cookies["django_language"] = "en"
    before = _state(wengyuan)

    response = client.post(PAGE, {**WEEK_FORM, **change}, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    form = response.context["hours_form"]
    assert list(form.errors) == [field]
    assert message in " ".join(form.errors[field])
    assert _state(wengyuan) == before


def test_hall_lead_adds_a_season_and_a_closure_on_the_page(wengyuan: Hall) -> None:
    client = client_for("wengyuan_lead", "wengyuan")
    assert client.get("/settings/office-hours/seasons/new/").status_code == 200

    season_response = client.post(
        "/settings/office-hours/seasons/new/",
        {**WEEK_FORM, "mon": "08:00-12:00, 15:00-18:00", "effective_from": "2026-06-01", "effective_to": "2026-09-30"},
    )
    soon = timezone.localdate() + timedelta(days=10)
    closure_response = client.post("/settings/office-hours/closures/", {"date": soon.isoformat(), "reason": "台风停工"})

    assert season_response.status_code == closure_response.status_code == 302
    season = OfficeHoursSeason.objects.get(hall=wengyuan)
    assert (season.effective_from, season.effective_to) == (date(2026, 6, 1), date(2026, 9, 30))
    closure = HallClosure.objects.get(hall=wengyuan)
    page = client.get(PAGE).content.decode()
    assert "台风停工" in page and "2026-06-01" in page
    assert client.get(f"/settings/office-hours/seasons/{season.pk}/").status_code == 200

    assert client.post(f"/settings/office-hours/seasons/{season.pk}/remove/").status_code == 302
    assert client.post(f"/settings/office-hours/closures/{closure.pk}/remove/").status_code == 302
    assert not OfficeHoursSeason.objects.filter(hall=wengyuan).exists()
    assert not HallClosure.objects.filter(hall=wengyuan).exists()


def test_a_season_without_dates_is_refused_on_the_page(wengyuan: Hall) -> None:
    client = client_for("wengyuan_lead", "wengyuan")

    response = client.post("/settings/office-hours/seasons/new/", WEEK_FORM)

    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["effective_from"]
    assert not OfficeHoursSeason.objects.filter(hall=wengyuan).exists()


@pytest.mark.parametrize("path", [PAGE, "/settings/office-hours/seasons/new/"])
def test_window_staff_gets_404(wengyuan: Hall, path: str) -> None:
    client = client_for("wengyuan_window", "wengyuan")

    assert client.get(path).status_code == 404
    assert client.post(PAGE, WEEK_FORM).status_code == 404
    assert not OfficeHoursSeason.objects.filter(hall=wengyuan).exists()


def test_another_halls_lead_gets_404(demo: dict[str, Hall]) -> None:
    # the lead of wengyuan, on nanxiong's host
    client = client_for("wengyuan_lead", "nanxiong")

    assert client.get(PAGE).status_code == 404
    assert client.post(PAGE, WEEK_FORM).status_code == 404
    assert client.post("/settings/office-hours/closures/", {"date": "2026-09-15", "reason": "x"}).status_code == 404
    assert not OfficeHoursSeason.objects.exists()
    assert not HallClosure.objects.exists()


def test_ids_of_another_hall_are_404_on_the_own_host(demo: dict[str, Hall]) -> None:
    nanxiong = demo["nanxiong"]
    season = office_hours_set(hall=nanxiong, schedule=SUMMER, effective_from=date(2026, 6, 1))
    closure = closure_add(hall=nanxiong, day=date(2026, 9, 15), reason="台风")
    client = client_for("wengyuan_lead", "wengyuan")

    assert client.get(f"/settings/office-hours/seasons/{season.pk}/").status_code == 404
    assert client.post(f"/settings/office-hours/seasons/{season.pk}/", WEEK_FORM).status_code == 404
    assert client.post(f"/settings/office-hours/seasons/{season.pk}/remove/").status_code == 404
    assert client.post(f"/settings/office-hours/closures/{closure.pk}/remove/").status_code == 404
    assert OfficeHoursSeason.objects.filter(pk=season.pk).exists()
    assert HallClosure.objects.filter(pk=closure.pk).exists()


# --- The operators' admin -----------------------------------------------------------------------


def test_operator_sets_office_hours_and_closures_in_the_admin(wengyuan: Hall) -> None:
    client = client_for("operator", None)
    assert client.get("/admin/workdays/officehoursseason/add/").status_code == 200

    refused = client.post("/admin/workdays/officehoursseason/add/", {"hall": wengyuan.pk, **WEEK_FORM, "fri": ""})
    assert refused.status_code == 200
    assert "fri" in refused.context["adminform"].form.errors
    assert not OfficeHoursSeason.objects.exists()

    saved = client.post(
        "/admin/workdays/officehoursseason/add/", {"hall": wengyuan.pk, **WEEK_FORM, "fri": "09:00-12:00"}
    )
    closure = client.post(
        "/admin/workdays/hallclosure/add/", {"hall": wengyuan.pk, "date": "2026-09-15", "reason": "台风"}
    )

    assert saved.status_code == closure.status_code == 302
    assert OfficeHoursSeason.objects.get(hall=wengyuan).hours["fri"] == [["09:00", "12:00"]]
    assert HallClosure.objects.get(hall=wengyuan).reason == "台风"
    actions = set(AuditEvent.objects.filter(actor=user("operator")).values_list("action", flat=True))
    assert actions == {"office_hours.set", "closure.add"}


def test_operator_changes_a_season_in_the_admin_with_an_exact_audit(wengyuan: Hall) -> None:
    season = office_hours_set(
        hall=wengyuan, schedule=SUMMER, effective_from=date(2026, 6, 1), effective_to=date(2026, 9, 30)
    )
    client = client_for("operator", None)

    response = client.post(
        f"/admin/workdays/officehoursseason/{season.pk}/change/",
        {**WEEK_FORM, "effective_from": "2026-07-01", "effective_to": "2026-08-31"},
    )

    assert response.status_code == 302
    event = AuditEvent.objects.filter(action="office_hours.set", actor=user("operator")).get()
    assert event.changes["before"]["effective_from"] == "2026-06-01"
    assert event.changes["after"]["effective_from"] == "2026-07-01"


def test_the_page_names_every_wrong_day_at_once(wengyuan: Hall) -> None:
    client = client_for("wengyuan_lead", "wengyuan")

    response = client.post(PAGE, {**WEEK_FORM, "tue": "x", "wed": ""})

    assert response.status_code == 200
    assert sorted(response.context["hours_form"].errors) == ["tue", "wed"]
    assert not OfficeHoursSeason.objects.filter(hall=wengyuan).exists()
