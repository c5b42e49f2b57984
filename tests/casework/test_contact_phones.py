"""Landlines and extensions as the contact phone (issue 17 item 10): registration through the service,
the API and the page; SMS offered only for mobiles; the progress page's last four digits."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from casework.crypto import blind_index
from casework.models import Case, ProgressCode
from casework.progress import progress_secret_check
from casework.selectors import case_list_earlier_of_person, case_steps_allowed
from casework.services import case_feedback_record, case_register, phone_index, slip_reply
from hallplatform.schemas import use_hall_schema
from notifications.models import ConsoleMessage, Notice
from tests.casework.api.support import api, registration
from tests.casework.support import draft, slips_of, transfer, world
from tests.casework.test_case_register import form
from tests.conftest import client_for, host_of, user


@pytest.fixture
def wengyuan(demo: dict[str, Any], settings: Any) -> Any:
    settings.PROGRESS_THROTTLE_RATE = "1000/minute"
    use_hall_schema(demo["wengyuan"])
    return demo["wengyuan"]


def test_a_landline_with_extension_is_registered_normalised_and_found_again(wengyuan: Any) -> None:
    case = case_register(hall=wengyuan, actor=user("wengyuan_window"), data=form(phone="(0751) 888 1234 转 56"))

    stored = Case.objects.get(pk=case.pk)
    assert stored.phone == "0751-8881234-56"
    assert stored.phone_index == phone_index("0751-8881234-56")
    assert list(case_list_earlier_of_person(phone="0751 8881234 ext 56")) == [stored]
    assert list(case_list_earlier_of_person(phone="0751-8881234")) == []  # another desk


def test_a_mobile_keeps_the_blind_index_it_always_had(wengyuan: Any) -> None:
    case = case_register(hall=wengyuan, actor=user("wengyuan_window"), data=form(phone="138 1234 5678"))

    assert Case.objects.get(pk=case.pk).phone_index == blind_index("phone", "13812345678")


def test_a_landline_gets_no_sms_and_no_sms_step(wengyuan: Any) -> None:
    landline = case_register(hall=wengyuan, actor=user("wengyuan_window"), data=form(phone="0751-8881234"))
    mobile = case_register(hall=wengyuan, actor=user("wengyuan_window"), data=form())

    person_sms = Notice.objects.filter(kind="person_registered")
    assert list(person_sms.values_list("recipient_ref", flat=True)) == [f"case:{mobile.pk}"]
    assert "sms_opt_out" not in case_steps_allowed(actor=user("wengyuan_window"), case=landline, window=True)
    assert "sms_opt_out" in case_steps_allowed(actor=user("wengyuan_window"), case=mobile, window=True)


def test_feedback_by_sms_to_a_landline_is_refused_and_changes_nothing(wengyuan: Any) -> None:
    case = case_register(hall=wengyuan, actor=user("wengyuan_window"), data=form(phone="0751-8881234"))
    transfer(case, draft("wengyuan/rsj"))
    [slip] = slips_of(case)
    slip_reply(slip=slip, actor=user("wengyuan_rsj"), result="done", reply="已办结")
    case = Case.objects.get(pk=case.pk)
    before = world(case)

    with pytest.raises(ValidationError) as refused:
        case_feedback_record(case=case, actor=user("wengyuan_window"), method="phone", content="已告知", send_sms=True)

    assert "send_sms" in refused.value.message_dict
    assert world(case) == before


def test_the_progress_page_opens_with_the_numbers_last_four_digits_and_sends_no_code(wengyuan: Any) -> None:
    case = case_register(hall=wengyuan, actor=user("wengyuan_window"), data=form(phone="0751-8881234-56"))

    assert progress_secret_check(case=case, secret="1234") == "digits"
    assert progress_secret_check(case=case, secret="3456") == ""
    asked = Client(HTTP_HOST=host_of("wengyuan"), REMOTE_ADDR="203.0.113.9").post(
        "/progress/code/", {"number": case.number}
    )
    assert asked.status_code == 200
    assert not ProgressCode.objects.filter(case=case).exists()
    assert not ConsoleMessage.objects.filter(reference=f"progress:{case.pk}").exists()


# --- Through the API and the page ---------------------------------------------------------------------


def test_the_api_registers_a_landline_and_shows_it_masked(wengyuan: Any) -> None:
    response = api("wengyuan_window").post("/api/v1/cases/", registration(phone="0751-8881234"))

    assert response.status_code == 201, response.content
    assert response.json()["phone"] == "0751-***1234"
    use_hall_schema(wengyuan)
    assert Case.objects.get().phone == "0751-8881234"


def test_the_api_refuses_a_phone_that_is_neither_naming_the_field(wengyuan: Any) -> None:
    response = api("wengyuan_window").post("/api/v1/cases/", registration(phone="751-8888888"))

    assert response.status_code == 400
    assert "phone" in response.json()["fields"]
    use_hall_schema(wengyuan)
    assert Case.objects.count() == 0


def test_the_page_registers_a_landline_and_the_case_page_says_no_sms(wengyuan: Any) -> None:
    client = client_for("wengyuan_window", "wengyuan")
    data = {
        "channel": "on_site", "applicant_kind": "person", "applicant_name": "王五", "phone": "0751-8881234 转 8",
        "document_type": "resident_id", "document_number": "11010519491231002X", "address": "",
        "matter_name": "不动产登记", "problem": "材料齐全但未受理", "acceptance_note": "", "remarks": "",
    }  # fmt: skip

    response = client.post("/cases/new/", data, follow=True)

    use_hall_schema(wengyuan)
    case = Case.objects.get()
    assert case.phone == "0751-8881234-8"
    content = response.content.decode()
    assert 'id="sms-landline"' in content
    assert "0751-***1234-8" in content and "8881234" not in content
    assert f'action="/cases/{case.pk}/sms-opt-out/"' not in content


def test_the_page_refuses_a_bad_phone_and_saves_nothing(wengyuan: Any) -> None:
    client = client_for("wengyuan_window", "wengyuan")
    data = {
        "channel": "on_site", "applicant_kind": "person", "applicant_name": "王五", "phone": "0751-88",
        "document_type": "resident_id", "document_number": "11010519491231002X",
        "matter_name": "不动产登记", "problem": "材料齐全但未受理",
    }  # fmt: skip

    response = client.post("/cases/new/", data)

    assert response.status_code == 200
    assert 'class="field-invalid">' in response.content.decode()
    use_hall_schema(wengyuan)
    assert Case.objects.count() == 0
