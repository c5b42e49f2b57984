"""Retention (casework.retention): the personal values of a case finished longer ago than its city's
period are erased everywhere the hall keeps them; a hold stops it; the city's supervisor sets the
period. Through the services, the pages and the API; refusals change nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, transaction
from django.utils import timezone

from casework.choices import CaseStatus, HandlingCategory
from casework.models import Case, CaseEvent, CaseNote, CaseProgressAccess, OnlineReport, StoredFile, TransferSlip
from casework.progress import progress_token_for_print
from casework.reports import Photo, ReportData, report_accept, report_submit
from casework.retention import case_personal_data_erase, case_retention_erase_due, case_retention_hold_set
from casework.services import case_answer_on_spot, case_close, case_note_add
from hallindex.models import CaseIndex
from hallplatform.audit.models import AuditEvent
from tenants.models import Hall
from tests.casework.support import draft, register, transfer
from tests.casework.test_case_register import ID_NUMBER
from tests.casework.web.conftest import in_hall
from tests.conftest import client_for, user

MOBILE = "13812345678"
DAYS = 1095


@pytest.fixture
def wengyuan(demo: dict[str, Hall]) -> Hall:
    in_hall(demo["wengyuan"])
    return demo["wengyuan"]


def closed_case(hall: Hall, *, days_ago: int = DAYS + 1) -> Case:
    """A case answered on the spot and closed ``days_ago`` days ago."""
    window = user("wengyuan_window")
    case = register(hall, remarks=f"回电{MOBILE}")
    case = case_answer_on_spot(
        case=case, actor=window, category=HandlingCategory.CONSULTATION, answer=f"已告知，电话{MOBILE}"
    )
    case = case_close(case=case, actor=window, note="办结")
    Case.objects.filter(pk=case.pk).update(closed_at=timezone.now() - timedelta(days=days_ago))
    return Case.objects.get(pk=case.pk)


def snapshot(case: Case) -> tuple[Any, ...]:
    case = Case.objects.get(pk=case.pk)
    events = list(CaseEvent.objects.filter(case=case).order_by("id").values_list("kind", "changes"))
    return (case.applicant_name, case.phone, case.problem, case.retention_hold, case.erased_at, case.version, events)


def test_the_erasure_clears_every_personal_value_and_keeps_structure_and_statistics(wengyuan: Hall) -> None:
    case = closed_case(wengyuan)
    progress_token_for_print(case=case)
    index_before = CaseIndex.objects.filter(case_id=case.pk).values("status", "handling_category").get()
    kinds_before = list(CaseEvent.objects.filter(case=case).values_list("kind", flat=True).order_by("id"))

    result = case_retention_erase_due()

    assert result["erased"] == 1
    erased = Case.objects.get(pk=case.pk)
    for name in ("applicant_name", "phone", "document_number", "address", "problem", "answer", "remarks"):
        assert getattr(erased, name) == "", name
    assert erased.phone_index == "" and erased.document_index == "" and erased.erased_at is not None
    assert (erased.status, erased.number, erased.matter_name) == (CaseStatus.CLOSED, case.number, case.matter_name)
    # the timeline keeps every step, without the values
    events = list(CaseEvent.objects.filter(case=case).order_by("id"))
    assert [e.kind for e in events] == [*kinds_before, "personal_data_erased"]
    registered = events[0].changes
    assert registered["number"] == case.number and registered["phone"] == "" and registered["document_number"] == ""
    assert MOBILE not in str([e.changes for e in events])
    # the person's access ended, and a print does not give it back
    assert not CaseProgressAccess.objects.filter(case=case).exists()
    assert progress_token_for_print(case=erased) == ""
    # the statistics' row unchanged
    index = CaseIndex.objects.filter(case_id=case.pk).values("status", "handling_category", "closed_at").get()
    assert index == {**index_before, "closed_at": case.closed_at}
    audit = AuditEvent.objects.get(action="case.retention_erase", target_id=str(case.pk))
    assert audit.changes["number"] == case.number and "phone" in audit.changes["fields"]
    assert MOBILE not in str(audit.changes) and "张三" not in str(audit.changes)
    assert AuditEvent.objects.filter(action="case.retention_run").exists()


def test_a_slips_texts_are_erased_too(wengyuan: Hall) -> None:
    case = transfer(register(wengyuan), draft("wengyuan/rsj", request=f"请回电{MOBILE}"))
    Case.objects.filter(pk=case.pk).update(
        status=CaseStatus.CLOSED, closed_at=timezone.now() - timedelta(days=DAYS + 2)
    )

    assert case_personal_data_erase(case=case, days=DAYS) is not None

    assert TransferSlip.objects.get(case=case).request == ""


def test_a_case_within_its_period_a_held_one_and_an_open_one_are_kept(wengyuan: Hall) -> None:
    recent = closed_case(wengyuan, days_ago=DAYS - 1)
    held = closed_case(wengyuan)
    case_retention_hold_set(case=held, actor=user("wengyuan_lead"), hold=True, reason="投诉复核中")
    open_case = register(wengyuan)
    before = {c.pk: snapshot(c) for c in (recent, held, open_case)}

    result = case_retention_erase_due()

    assert result["erased"] == 0 and result["held"] == 1
    assert {c.pk: snapshot(c) for c in (recent, held, open_case)} == before


def test_the_timeline_stays_immutable_outside_the_erasure(wengyuan: Hall) -> None:
    case = register(wengyuan)
    event = CaseEvent.objects.filter(case=case).first()
    assert event is not None

    with pytest.raises(DatabaseError), transaction.atomic():
        CaseEvent.objects.filter(pk=event.pk).update(changes={})
    with pytest.raises(DatabaseError), transaction.atomic():
        CaseEvent.objects.filter(pk=event.pk).delete()

    assert CaseEvent.objects.get(pk=event.pk).changes == event.changes


# --- The hold -------------------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["wengyuan_window", "wengyuan_rsj"])
def test_only_the_lead_or_the_supervisor_may_hold(wengyuan: Hall, username: str) -> None:
    case = closed_case(wengyuan)
    before = snapshot(case)

    with pytest.raises(PermissionDenied):
        case_retention_hold_set(case=case, actor=user(username), hold=True, reason="复核")

    assert snapshot(case) == before
    assert not AuditEvent.objects.filter(action="case.retention_hold").exists()


def test_a_hold_needs_a_reason_and_a_change(wengyuan: Hall) -> None:
    case = closed_case(wengyuan)
    before = snapshot(case)

    with pytest.raises(ValidationError) as blank:
        case_retention_hold_set(case=case, actor=user("wengyuan_lead"), hold=True, reason=" ")
    with pytest.raises(ValidationError) as not_held:
        case_retention_hold_set(case=case, actor=user("wengyuan_lead"), hold=False, reason="解除")

    assert "reason" in blank.value.message_dict and "hold" in not_held.value.message_dict
    assert snapshot(case) == before


def test_the_lead_holds_and_lifts_on_the_case_page(wengyuan: Hall) -> None:
    case = closed_case(wengyuan)
    client = client_for("wengyuan_lead", "wengyuan")

    held = client.post(f"/cases/{case.pk}/retention-hold/", {"version": case.version, "hold": "True", "reason": "复核"})
    in_hall(wengyuan)
    case = Case.objects.get(pk=case.pk)
    assert held.status_code == 302 and case.retention_hold and case.retention_hold_reason == "复核"
    audit = AuditEvent.objects.get(action="case.retention_hold", target_id=str(case.pk))
    assert audit.changes == {"number": case.number, "hold": True} and audit.actor == user("wengyuan_lead")

    lifted = client.post(
        f"/cases/{case.pk}/retention-hold/", {"version": case.version, "hold": "False", "reason": "结"}
    )
    in_hall(wengyuan)
    assert lifted.status_code == 302 and not Case.objects.get(pk=case.pk).retention_hold


def test_the_window_is_refused_the_hold_on_the_page_and_the_api(wengyuan: Hall) -> None:
    case = closed_case(wengyuan)
    before = snapshot(case)
    window = client_for("wengyuan_window", "wengyuan")

    page = window.post(f"/cases/{case.pk}/retention-hold/", {"version": case.version, "hold": "True", "reason": "x"})
    in_hall(wengyuan)
    api = window.post(
        f"/api/v1/cases/{case.pk}/retention-hold/", {"hold": True, "reason": "x"}, content_type="application/json"
    )
    in_hall(wengyuan)

    assert page.status_code in (403, 404) and api.status_code in (403, 404)
    assert snapshot(case) == before


def test_the_supervisor_holds_through_the_api(wengyuan: Hall) -> None:
    case = closed_case(wengyuan)
    client = client_for("shaoguan_supervisor", "wengyuan")

    blank = client.post(
        f"/api/v1/cases/{case.pk}/retention-hold/", {"hold": True, "reason": ""}, content_type="application/json"
    )
    in_hall(wengyuan)
    assert blank.status_code == 400 and "reason" in blank.json()["fields"]
    assert not Case.objects.get(pk=case.pk).retention_hold

    response = client.post(
        f"/api/v1/cases/{case.pk}/retention-hold/",
        {"hold": True, "reason": "纪检复核"},
        content_type="application/json",
    )
    in_hall(wengyuan)
    assert response.status_code == 200, response.content
    assert response.json()["retention_hold"] is True
    assert Case.objects.get(pk=case.pk).retention_hold


# --- An erased case on the page and in the API --------------------------------------------------------


def test_an_erased_case_shows_as_erased_and_refuses_reveals(wengyuan: Hall) -> None:
    case = closed_case(wengyuan)
    case_retention_erase_due()
    client = client_for("wengyuan_window", "wengyuan")

    page = client.get(f"/cases/{case.pk}/").content.decode()
    in_hall(wengyuan)
    detail = client.get(f"/api/v1/cases/{case.pk}/").json()
    in_hall(wengyuan)
    reveal = client.post(f"/api/v1/cases/{case.pk}/reveal/", {"field": "phone"}, content_type="application/json")
    in_hall(wengyuan)
    printed = client.get(f"/cases/{case.pk}/print/registration/").content.decode()
    in_hall(wengyuan)

    assert 'id="retention-erased"' in page and MOBILE[-4:] not in page
    assert detail["erased_at"] is not None and detail["phone"] == "" and detail["status"] == CaseStatus.CLOSED
    assert reveal.status_code == 400
    assert not CaseEvent.objects.filter(case=case, kind="revealed").exists()
    assert "/progress/" not in printed  # no QR code any more
    assert not CaseProgressAccess.objects.filter(case=case).exists()


# --- The city's period --------------------------------------------------------------------------------


def test_the_supervisor_sets_the_citys_period_and_it_is_audited(demo: dict[str, Hall]) -> None:
    city = demo["shaoguan"]
    client = client_for("shaoguan_supervisor", None)
    assert client.get("/portal/retention/").status_code == 200

    refused = client.post("/portal/retention/", {"city": city.pk, "days": "30"})
    assert refused.status_code == 400
    assert Hall.objects.get(pk=city.pk).case_retention_days == DAYS

    saved = client.post("/portal/retention/", {"city": city.pk, "days": "730"})
    assert saved.status_code == 302
    assert Hall.objects.get(pk=city.pk).case_retention_days == 730
    audit = AuditEvent.objects.get(action="city.case_retention")
    assert audit.changes == {"from": DAYS, "to": 730}


def test_no_one_else_sets_a_citys_period(demo: dict[str, Hall]) -> None:
    other = next(h for h in demo.values() if h.level == "city" and h.code != "shaoguan")

    refused = client_for("shaoguan_supervisor", None).post("/portal/retention/", {"city": other.pk, "days": "400"})
    window = client_for("wengyuan_window", None).post(
        "/portal/retention/", {"city": demo["shaoguan"].pk, "days": "400"}
    )

    assert refused.status_code == 404 and window.status_code in (403, 404)
    assert Hall.objects.get(pk=other.pk).case_retention_days == DAYS
    assert Hall.objects.get(pk=demo["shaoguan"].pk).case_retention_days == DAYS
    assert not AuditEvent.objects.filter(action="city.case_retention").exists()


def test_a_shorter_city_period_erases_earlier(wengyuan: Hall, demo: dict[str, Hall]) -> None:
    Hall.objects.filter(pk=demo["shaoguan"].pk).update(case_retention_days=200)
    case = closed_case(wengyuan, days_ago=201)

    assert case_retention_erase_due()["erased"] == 1
    assert Case.objects.get(pk=case.pk).erased_at is not None


def test_notes_the_online_report_and_its_photos_are_erased_too(
    wengyuan: Hall, settings: Any, tmp_path: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """What later parts added to a case keeps personal data too: its internal notes, the online report
    it came from (the person's copy and progress token) and the report's photos, file and data key."""
    root = tmp_path / "private"
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(root)}},
    }
    window = user("wengyuan_window")
    report, _token = report_submit(
        hall=wengyuan,
        data=ReportData(
            phone=MOBILE,
            applicant_kind="person",
            applicant_name="李四",
            matter_name="不动产登记",
            problem="材料齐全但窗口说系统不支持",
            consent=True,
            photos=[Photo(b"\xff\xd8\xff\xe0" + b"\x00" * 200)],
            id_photo_consent=True,
        ),
        address="203.0.113.9",
    )
    case = report_accept(
        report=report, actor=window, hall=wengyuan, document_type="resident_id", document_number=ID_NUMBER
    )
    case_note_add(case=case, actor=window, text=f"请回电{MOBILE}")
    case = case_answer_on_spot(case=case, actor=window, category=HandlingCategory.CONSULTATION, answer="已告知")
    case = case_close(case=case, actor=window, note="办结")
    Case.objects.filter(pk=case.pk).update(closed_at=timezone.now() - timedelta(days=DAYS + 1))
    files = [path for path in root.rglob("*") if path.is_file()]
    assert len(files) == 1 and StoredFile.objects.filter(case=case).count() == 1

    with django_capture_on_commit_callbacks(execute=True):
        record = case_personal_data_erase(case=Case.objects.get(pk=case.pk), days=DAYS)

    assert record is not None and (record["notes"], record["reports"], record["files"]) == (1, 1, 1)
    assert CaseNote.objects.get(case=case).text == ""
    erased = OnlineReport.objects.get(pk=report.pk)
    assert (erased.applicant_name, erased.phone, erased.phone_index, erased.problem, erased.token) == ("",) * 5
    assert not StoredFile.objects.filter(case=case).exists()
    assert [path for path in root.rglob("*") if path.is_file()] == []
