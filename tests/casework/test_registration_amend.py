"""Correcting what was registered (更正登记, issue 17 item 1): through the service, the API and the case
page; the timeline names the fields (values masked), the NO never changes, after the feedback only the
hall lead; every refusal changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from casework.crypto import blind_index
from casework.models import Case, CaseEvent
from casework.selectors import case_list_earlier_of_person
from casework.services import case_feedback_record, case_register, case_registration_amend, slip_reply
from hallindex.models import CaseIndex
from hallplatform.audit.models import AuditEvent
from hallplatform.schemas import use_hall_schema
from tests.casework.api.support import api
from tests.casework.support import draft, slips_of, transfer, world
from tests.casework.test_case_register import form
from tests.conftest import client_for, user

NEW_ID = "440229199001011235"


@pytest.fixture
def wengyuan(demo: dict[str, Any]) -> Any:
    use_hall_schema(demo["wengyuan"])
    return demo["wengyuan"]


def registered(case: Case) -> tuple[Any, ...]:
    fresh = Case.objects.get(pk=case.pk)
    return (
        fresh.number, fresh.applicant_name, fresh.phone, fresh.phone_index, fresh.document_type,
        fresh.document_number, fresh.document_index, fresh.address, fresh.matter_name, fresh.problem,
        fresh.failure_kind, fresh.channel, fresh.applicant_kind, fresh.enterprise_name, fresh.version,
    )  # fmt: skip


def fed_back(hall: Any) -> Case:
    case = case_register(hall=hall, actor=user("wengyuan_window"), data=form())
    transfer(case, draft("wengyuan/rsj"))
    [slip] = slips_of(case)
    slip_reply(slip=slip, actor=user("wengyuan_rsj"), result="done", reply="已办结")
    case = Case.objects.get(pk=case.pk)
    return case_feedback_record(case=case, actor=user("wengyuan_window"), method="phone", content="已电话告知")


def test_the_window_corrects_the_registration(wengyuan: Any) -> None:
    case = case_register(hall=wengyuan, actor=user("wengyuan_window"), data=form())
    number = case.number

    case = case_registration_amend(
        case=case,
        actor=user("wengyuan_window"),
        changes={"phone": "0751-8881234", "document_number": NEW_ID, "matter_name": "不动产登记",
                 "address": "翁源县1号", "failure_kind": "not_approved"},
        reason="登记时号码填错",
        expected_version=1,
    )  # fmt: skip

    stored = Case.objects.get(pk=case.pk)
    assert stored.number == number and stored.version == 2
    assert (stored.phone, stored.document_number, stored.matter_name) == ("0751-8881234", NEW_ID, "不动产登记")
    assert stored.phone_index == blind_index("phone", "0751-8881234")
    assert list(case_list_earlier_of_person(document_type="resident_id", document_number=NEW_ID)) == [stored]
    row = CaseIndex.objects.get(hall=wengyuan, case_id=case.pk)
    assert (row.matter_name, row.failure_kind, row.number) == ("不动产登记", "not_approved", number)
    event = CaseEvent.objects.filter(case=case).latest("id")
    assert event.kind == "registration_amended"
    assert event.changes["fields"] == ["phone", "document_number", "address", "matter_name", "failure_kind"]
    assert event.changes["before"]["phone"] == "138****5678" and event.changes["after"]["phone"] == "0751-***1234"
    assert "13812345678" not in str(event.changes) and NEW_ID not in str(event.changes)
    assert event.changes["reason"] == "登记时号码填错"
    audit = AuditEvent.objects.get(action="case.registration_amend", target_id=str(case.pk))
    assert audit.changes["fields"] == event.changes["fields"]


@pytest.mark.parametrize(
    ("changes", "reason", "field"),
    [
        ({"phone": "12345"}, "填错", "phone"),
        ({"document_number": "110105194912310021"}, "填错", "document_number"),
        ({"applicant_name": " "}, "填错", "applicant_name"),
        ({"failure_kind": "weather"}, "填错", "failure_kind"),
        ({"number": "X-1"}, "填错", "fields"),
        ({"matter_name": "社保卡补办"}, "填错", "fields"),  # nothing differs
        ({"matter_name": "不动产登记"}, " ", "reason"),
        ({"matter_name": "不动产登记"}, "理" * 2001, "reason"),
    ],
)
def test_a_refused_correction_names_the_field_and_changes_nothing(
    wengyuan: Any, changes: dict[str, Any], reason: str, field: str
) -> None:
    case = case_register(hall=wengyuan, actor=user("wengyuan_window"), data=form())
    before, kept = world(case), registered(case)

    with pytest.raises(ValidationError) as refused:
        case_registration_amend(case=case, actor=user("wengyuan_window"), changes=changes, reason=reason)

    assert field in refused.value.message_dict
    assert (world(case), registered(case)) == (before, kept)


def test_after_the_feedback_only_the_hall_lead_corrects(wengyuan: Any) -> None:
    case = fed_back(wengyuan)
    before, kept = world(case), registered(case)

    with pytest.raises(PermissionDenied):
        case_registration_amend(
            case=case, actor=user("wengyuan_window"), changes={"matter_name": "不动产登记"}, reason="更正"
        )
    assert (world(case), registered(case)) == (before, kept)

    case_registration_amend(
        case=case, actor=user("wengyuan_lead"), changes={"matter_name": "不动产登记"}, reason="更正"
    )
    assert Case.objects.get(pk=case.pk).matter_name == "不动产登记"


def test_a_department_and_a_stale_version_are_refused(wengyuan: Any) -> None:
    case = case_register(hall=wengyuan, actor=user("wengyuan_window"), data=form())
    before, kept = world(case), registered(case)

    with pytest.raises(PermissionDenied):
        case_registration_amend(case=case, actor=user("wengyuan_rsj"), changes={"matter_name": "x"}, reason="更正")
    with pytest.raises(ValidationError) as stale:
        case_registration_amend(
            case=case, actor=user("wengyuan_window"), changes={"matter_name": "x"}, reason="更正", expected_version=9
        )

    assert "version" in stale.value.message_dict
    assert (world(case), registered(case)) == (before, kept)


# --- Through the API and the case page ------------------------------------------------------------------


def test_the_api_corrects_and_refuses_naming_the_field(wengyuan: Any) -> None:
    case = case_register(hall=wengyuan, actor=user("wengyuan_window"), data=form())
    window = api("wengyuan_window")
    use_hall_schema(wengyuan)
    kept = registered(case)

    refused = window.post(f"/api/v1/cases/{case.pk}/amend/", {"version": 1, "reason": "", "phone": "0751-8881234"})
    assert refused.status_code == 400 and "reason" in refused.json()["fields"]
    bad = window.post(f"/api/v1/cases/{case.pk}/amend/", {"version": 1, "reason": "更正", "phone": "12"})
    assert bad.status_code == 400 and "phone" in bad.json()["fields"]
    use_hall_schema(wengyuan)
    assert registered(case) == kept

    done = window.post(f"/api/v1/cases/{case.pk}/amend/", {"version": 1, "reason": "更正", "phone": "0751-8881234"})
    assert done.status_code == 200, done.content
    assert done.json()["phone"] == "0751-***1234" and done.json()["number"] == case.number
    timeline = window.get(f"/api/v1/cases/{case.pk}/timeline/").json()
    events = timeline["results"] if isinstance(timeline, dict) else timeline
    amended = [e for e in events if e["kind"] == "registration_amended"]
    assert amended and amended[0]["changes"]["fields"] == ["phone"]


def test_after_feedback_the_api_refuses_the_window_with_403(wengyuan: Any) -> None:
    case = fed_back(wengyuan)
    kept = registered(case)

    response = api("wengyuan_window").post(
        f"/api/v1/cases/{case.pk}/amend/", {"version": case.version, "reason": "更正", "matter_name": "不动产登记"}
    )

    assert response.status_code == 403
    use_hall_schema(wengyuan)
    assert registered(case) == kept


def test_the_case_page_offers_the_correction_and_shows_what_changed(wengyuan: Any) -> None:
    case = case_register(hall=wengyuan, actor=user("wengyuan_window"), data=form())
    client = client_for("wengyuan_window", "wengyuan")
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert f'action="/cases/{case.pk}/amend/"' in page
    base = {"version": 1, "channel": "on_site", "applicant_kind": "person", "document_type": "resident_id",
            "matter_name": case.matter_name, "enterprise_name": "", "failure_kind": ""}  # fmt: skip

    refused = client.post(f"/cases/{case.pk}/amend/", {**base, "phone": "0751-8881234", "reason": ""})
    use_hall_schema(wengyuan)
    assert refused.status_code == 200 and 'id="amend_reason"' in refused.content.decode()
    assert Case.objects.get(pk=case.pk).version == 1

    done = client.post(f"/cases/{case.pk}/amend/", {**base, "phone": "0751-8881234", "reason": "号码填错"}, follow=True)
    use_hall_schema(wengyuan)
    stored = Case.objects.get(pk=case.pk)
    assert stored.phone == "0751-8881234" and stored.version == 2
    content = done.content.decode()
    assert "0751-***1234" in content and "0751-8881234" not in content
