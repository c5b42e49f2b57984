"""The window's own 补正 (casework.services.case_supplement_request) and its 补正通知书, through the
services, the case page, the print view and the API; every refusal leaves everything as it was."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from casework.choices import CaseResult, CaseStatus
from casework.models import Case, CaseEvent, TransferSlip
from casework.services import case_supplement_received, case_supplement_request, slip_receive, slip_reply
from tenants.models import Hall
from tests.casework.support import draft, register, transfer
from tests.casework.web.conftest import in_hall
from tests.conftest import client_for, user

MOBILE = "13912345678"


def state(case: Case) -> tuple[Any, ...]:
    case = Case.objects.get(pk=case.pk)
    events = CaseEvent.objects.filter(case=case).count()
    return (case.status, case.result, case.supplement_note, case.supplement_due, case.version, events)


@pytest.fixture
def wengyuan(demo: dict[str, Hall]) -> Hall:
    in_hall(demo["wengyuan"])
    return demo["wengyuan"]


def test_the_window_asks_for_materials_and_the_case_goes_back_when_they_come(wengyuan: Hall) -> None:
    case = register(wengyuan)
    due = timezone.localdate() + timedelta(days=5)

    asked = case_supplement_request(case=case, actor=user("wengyuan_window"), note="户口本原件", due=due)

    assert asked.status == CaseStatus.AWAITING_SUPPLEMENT and asked.result == CaseResult.SUPPLEMENT
    assert (asked.supplement_note, asked.supplement_due) == ("户口本原件", due)
    event = CaseEvent.objects.filter(case=case).latest("id")
    assert (event.kind, event.from_status, event.to_status) == ("supplement_requested", "registered", asked.status)
    assert event.changes == {"note": "户口本原件", "due": due.isoformat()}

    back = case_supplement_received(case=asked, actor=user("wengyuan_window"), note="已带来")

    assert back.status == CaseStatus.REGISTERED and back.result == ""
    assert CaseEvent.objects.filter(case=case).latest("id").kind == "supplement_received"


@pytest.mark.parametrize(
    ("note", "days", "field"), [("", 5, "note"), ("户口本", -1, "due"), ("户口本", 61, "due"), ("户口本", None, "due")]
)
def test_a_request_without_materials_or_with_a_wrong_date_is_refused(
    wengyuan: Hall, note: str, days: int | None, field: str
) -> None:
    case = register(wengyuan)
    before = state(case)
    due = None if days is None else timezone.localdate() + timedelta(days=days)

    with pytest.raises(ValidationError) as refused:
        case_supplement_request(case=case, actor=user("wengyuan_window"), note=note, due=due)

    assert field in refused.value.message_dict
    assert state(case) == before


def test_a_transferred_case_cannot_be_asked_by_the_window(wengyuan: Hall) -> None:
    case = transfer(register(wengyuan), draft("wengyuan/rsj"))
    before = state(case)

    with pytest.raises(ValidationError) as refused:
        case_supplement_request(
            case=case, actor=user("wengyuan_window"), note="材料", due=timezone.localdate() + timedelta(days=3)
        )

    assert refused.value.error_dict["status"][0].code == "invalid_transition"
    assert state(case) == before


# --- The case page and the print view ------------------------------------------------------------


def test_the_case_page_offers_the_step_and_prints_the_notice(wengyuan: Hall) -> None:
    case = register(wengyuan)
    client = client_for("wengyuan_window", "wengyuan")
    page = client.get(f"/cases/{case.pk}/").content.decode()
    in_hall(wengyuan)
    assert 'id="step-supplement-request"' in page
    assert client.get(f"/cases/{case.pk}/print/supplement/").status_code == 404  # nothing asked yet
    in_hall(wengyuan)
    due = timezone.localdate() + timedelta(days=7)

    response = client.post(
        f"/cases/{case.pk}/supplement-request/",
        {"version": case.version, "note": f"户口本原件，联系{MOBILE}", "due": due.isoformat()},
    )

    in_hall(wengyuan)
    assert response.status_code == 302
    assert Case.objects.get(pk=case.pk).status == CaseStatus.AWAITING_SUPPLEMENT
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert 'id="print-supplement"' in page
    in_hall(wengyuan)
    printed = client.get(f"/cases/{case.pk}/print/supplement/")
    content = printed.content.decode()
    assert printed.status_code == 200
    assert 'id="supplement-asked"' in content and "户口本原件" in content
    assert MOBILE not in content  # masked like every print
    assert due.strftime("%Y-%m-%d") in content
    assert 'class="seal-box"' in content and "/progress/" in content  # the seal box and the QR's link
    assert "张三" not in content  # the person holds it: not named


def test_the_case_page_refuses_a_blank_request_and_changes_nothing(wengyuan: Hall) -> None:
    case = register(wengyuan)
    before = state(case)

    response = client_for("wengyuan_window", "wengyuan").post(
        f"/cases/{case.pk}/supplement-request/", {"version": case.version, "note": "", "due": ""}
    )

    in_hall(wengyuan)
    assert response.status_code in (200, 400)
    assert 'id="step-supplement-request"' in response.content.decode()
    assert state(case) == before


def test_the_notice_lists_what_each_department_asked(wengyuan: Hall) -> None:
    case = transfer(register(wengyuan), draft("wengyuan/rsj"))
    slip = TransferSlip.objects.get(case=case)
    slip_receive(slip=slip, actor=user("wengyuan_rsj"))
    slip_reply(
        slip=TransferSlip.objects.get(pk=slip.pk), actor=user("wengyuan_rsj"), result=CaseResult.SUPPLEMENT,
        reply="需补正", supplement_note="劳动合同复印件",
    )  # fmt: skip

    content = client_for("wengyuan_lead", "wengyuan").get(f"/cases/{case.pk}/print/supplement/").content.decode()

    assert "劳动合同复印件" in content and slip.department.name in content
    assert 'id="supplement-due"' in content


def test_the_supervisor_reads_the_notice_but_cannot_ask(wengyuan: Hall) -> None:
    case = register(wengyuan)
    before = state(case)
    client = client_for("shaoguan_supervisor", "wengyuan")

    response = client.post(
        f"/cases/{case.pk}/supplement-request/",
        {"version": case.version, "note": "材料", "due": (timezone.localdate() + timedelta(days=3)).isoformat()},
    )

    in_hall(wengyuan)
    assert response.status_code in (403, 404)
    assert state(case) == before


# --- The API --------------------------------------------------------------------------------------


def test_the_api_asks_for_materials_and_refuses_with_the_field_named(wengyuan: Hall) -> None:
    case = register(wengyuan)
    client = client_for("wengyuan_window", "wengyuan")
    path = f"/api/v1/cases/{case.pk}/supplement-request/"
    before = state(case)

    refused = client.post(path, {"version": case.version, "note": "", "due": None}, content_type="application/json")
    in_hall(wengyuan)
    assert refused.status_code == 400
    assert {"note", "due"} <= set(refused.json()["fields"])
    assert state(case) == before
    denied = client_for("shaoguan_supervisor", "wengyuan").post(
        path, {"version": case.version, "note": "x", "due": timezone.localdate().isoformat()},
        content_type="application/json",
    )  # fmt: skip
    in_hall(wengyuan)
    assert denied.status_code == 403
    assert state(case) == before
    detail = client.get(f"/api/v1/cases/{case.pk}/").json()
    assert "supplement-request" in detail["actions"]
    in_hall(wengyuan)

    due = timezone.localdate() + timedelta(days=10)
    response = client.post(
        path, {"version": case.version, "note": "户口本原件", "due": due.isoformat()}, content_type="application/json"
    )

    assert response.status_code == 200, response.content
    data = response.json()
    assert data["status"] == CaseStatus.AWAITING_SUPPLEMENT
    assert data["supplement_due"] == due.isoformat()
    assert "supplement-received" in data["actions"]
