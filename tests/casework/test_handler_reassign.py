"""The 经办人 (issue 17 item 3): a case given to another window clerk or the hall lead, a slip given to
another handler of its department by the department's lead, the staff's office phone on their profile
and on the 登记表 and 转办单. Through the services, the API and the pages, with refusals."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from casework.models import Case, CaseEvent
from casework.services import case_handler_reassign, case_register
from coordination.services import slip_assign
from hallindex.models import SlipIndex
from hallplatform.accounts.services import staff_create
from hallplatform.audit.models import AuditEvent
from hallplatform.schemas import use_hall_schema, use_public_schema
from notifications.contacts import staff_contact_set
from notifications.models import Notice
from tests.casework.api.support import api
from tests.casework.support import draft, transfer, world
from tests.casework.test_case_register import form
from tests.conftest import client_for, user


@pytest.fixture
def wengyuan(demo: dict[str, Any]) -> Any:
    use_hall_schema(demo["wengyuan"])
    return demo["wengyuan"]


def office_phone(username: str, phone: str) -> None:
    person = user(username)
    staff_contact_set(
        user=person, actor=person, work_phone="", email="", wecom_user_id="", dingtalk_user_id="",
        channels=[], digest=False, office_phone=phone,
    )  # fmt: skip


def handler_state(case: Case) -> tuple[Any, ...]:
    fresh = Case.objects.get(pk=case.pk)
    return fresh.handler_id, fresh.handler_phone, fresh.version


def test_the_office_phone_is_printed_as_the_handlers_phone(wengyuan: Any) -> None:
    office_phone("wengyuan_window", "(0751) 281 2345 转 801")

    case = case_register(hall=wengyuan, actor=user("wengyuan_window"), data=form())

    assert user("wengyuan_window").office_phone == "0751-2812345-801"
    assert Case.objects.get(pk=case.pk).handler_phone == "0751-2812345-801"
    printed = client_for("wengyuan_window", "wengyuan").get(f"/cases/{case.pk}/print/registration/")
    assert "0751-2812345-801" in printed.content.decode()


def test_the_window_gives_the_case_to_the_lead(wengyuan: Any) -> None:
    office_phone("wengyuan_lead", "0751-2812346")
    case = case_register(hall=wengyuan, actor=user("wengyuan_window"), data=form())

    case = case_handler_reassign(case=case, actor=user("wengyuan_window"), handler=user("wengyuan_lead"))

    stored = Case.objects.get(pk=case.pk)
    assert (stored.handler_id, stored.handler_phone, stored.version) == (user("wengyuan_lead").pk, "0751-2812346", 2)
    event = CaseEvent.objects.filter(case=case).latest("id")
    assert event.kind == "handler_reassigned"
    assert event.changes == {"from": str(user("wengyuan_window")), "to": str(user("wengyuan_lead"))}
    assert AuditEvent.objects.filter(action="case.handler_reassign", target_id=str(case.pk)).count() == 1
    assert Notice.objects.filter(kind="case_handler_assigned", recipient_user=user("wengyuan_lead")).count() == 1


@pytest.mark.parametrize(
    ("handler", "error"),
    [("wengyuan_rsj", "handler"), ("wengyuan_window", "handler"), (None, "handler")],
)
def test_a_handler_outside_the_hall_or_the_same_one_is_refused_and_nothing_changes(
    wengyuan: Any, handler: str | None, error: str
) -> None:
    case = case_register(hall=wengyuan, actor=user("wengyuan_window"), data=form())
    before, state = world(case), handler_state(case)

    with pytest.raises(ValidationError) as refused:
        case_handler_reassign(case=case, actor=user("wengyuan_lead"), handler=user(handler) if handler else None)

    assert error in refused.value.message_dict
    assert (world(case), handler_state(case)) == (before, state)


def test_a_department_handler_may_not_reassign_a_case(wengyuan: Any) -> None:
    case = case_register(hall=wengyuan, actor=user("wengyuan_window"), data=form())
    before, state = world(case), handler_state(case)

    with pytest.raises(PermissionDenied):
        case_handler_reassign(case=case, actor=user("wengyuan_rsj"), handler=user("wengyuan_lead"))

    assert (world(case), handler_state(case)) == (before, state)


def test_a_stale_version_is_a_conflict_and_changes_nothing(wengyuan: Any) -> None:
    case = case_register(hall=wengyuan, actor=user("wengyuan_window"), data=form())
    before, state = world(case), handler_state(case)

    with pytest.raises(ValidationError) as refused:
        case_handler_reassign(
            case=case, actor=user("wengyuan_window"), handler=user("wengyuan_lead"), expected_version=7
        )

    assert "version" in refused.value.message_dict
    assert (world(case), handler_state(case)) == (before, state)


# --- Through the API and the case page ------------------------------------------------------------------


def test_the_api_reassigns_and_refuses_naming_the_field(wengyuan: Any) -> None:
    case = case_register(hall=wengyuan, actor=user("wengyuan_window"), data=form())
    window = api("wengyuan_window")
    assert "reassign" in window.get(f"/api/v1/cases/{case.pk}/").json()["actions"]

    refused = window.post(f"/api/v1/cases/{case.pk}/reassign/", {"handler": user("wengyuan_rsj").pk, "version": 1})
    use_hall_schema(wengyuan)
    assert refused.status_code == 400 and "handler" in refused.json()["fields"]
    assert handler_state(case) == (user("wengyuan_window").pk, "", 1)

    done = window.post(f"/api/v1/cases/{case.pk}/reassign/", {"handler": user("wengyuan_lead").pk, "version": 1})
    assert done.status_code == 200, done.content
    assert done.json()["handler_id"] == user("wengyuan_lead").pk and done.json()["version"] == 2


def test_a_department_handler_gets_404_from_the_case_api(wengyuan: Any) -> None:
    case = case_register(hall=wengyuan, actor=user("wengyuan_window"), data=form())

    response = api("wengyuan_rsj").post(
        f"/api/v1/cases/{case.pk}/reassign/", {"handler": user("wengyuan_rsj").pk, "version": 1}
    )

    assert response.status_code == 404
    use_hall_schema(wengyuan)
    assert handler_state(case) == (user("wengyuan_window").pk, "", 1)


def test_the_case_page_offers_another_handler_and_refuses_a_wrong_one(wengyuan: Any) -> None:
    case = case_register(hall=wengyuan, actor=user("wengyuan_window"), data=form())
    client = client_for("wengyuan_window", "wengyuan")

    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert f'action="/cases/{case.pk}/reassign/"' in page
    refused = client.post(f"/cases/{case.pk}/reassign/", {"version": 1, "handler": user("wengyuan_rsj").pk})
    use_hall_schema(wengyuan)
    assert refused.status_code == 200 and 'name="handler"' in refused.content.decode()
    assert handler_state(case) == (user("wengyuan_window").pk, "", 1)

    done = client.post(f"/cases/{case.pk}/reassign/", {"version": 1, "handler": user("wengyuan_lead").pk})
    use_hall_schema(wengyuan)
    assert done.status_code == 302
    assert handler_state(case)[0] == user("wengyuan_lead").pk


# --- Slips: the department's lead ---------------------------------------------------------------------


def test_the_department_lead_reassigns_a_slip_recorded_in_the_timeline_and_printed(wengyuan: Any) -> None:
    staff_create(
        username="wengyuan_rsj_2", password="x", kind="department_handler", display_name="翁源县人社局 第二",
        department_code="wengyuan/rsj", check_password=False,
    )  # fmt: skip
    office_phone("wengyuan_rsj_2", "0751-2800001-12")
    case = case_register(hall=wengyuan, actor=user("wengyuan_window"), data=form())
    transfer(case, draft("wengyuan/rsj"))
    use_public_schema()
    entry = SlipIndex.objects.get(hall=wengyuan, case_id=case.pk)

    slip_assign(actor=user("wengyuan_rsj_lead"), slip=entry, handler=user("wengyuan_rsj_2"))

    use_hall_schema(wengyuan)
    event = CaseEvent.objects.filter(case=case).latest("id")
    assert event.kind == "slip_handler_reassigned" and event.changes["to"] == "翁源县人社局 第二"
    printed = client_for("wengyuan_rsj_2", "wengyuan").get(f"/slips/{entry.slip_id}/print/").content.decode()
    assert 'id="department-handler">翁源县人社局 第二<' in printed
    assert 'id="department-handler-phone">0751-2800001-12<' in printed


def test_a_department_handler_may_not_reassign_a_slip(wengyuan: Any) -> None:
    case = case_register(hall=wengyuan, actor=user("wengyuan_window"), data=form())
    transfer(case, draft("wengyuan/rsj"))
    use_public_schema()
    entry = SlipIndex.objects.get(hall=wengyuan, case_id=case.pk)
    use_hall_schema(wengyuan)
    events = CaseEvent.objects.count()
    use_public_schema()

    with pytest.raises(PermissionDenied):
        slip_assign(actor=user("wengyuan_rsj"), slip=entry, handler=user("wengyuan_rsj"))
    refused = api("wengyuan_rsj").post(f"/api/v1/slip-index/{entry.pk}/assign/", {"handler": user("wengyuan_rsj").pk})

    assert refused.status_code == 403
    entry.refresh_from_db()
    assert entry.assigned_to_id is None
    assert not AuditEvent.objects.filter(action="slip.assign").exists()
    use_hall_schema(wengyuan)
    assert CaseEvent.objects.count() == events


# --- The office phone on the staff's own contact page ----------------------------------------------------


def test_staff_set_their_office_phone_on_the_channels_page_and_a_bad_one_is_refused(wengyuan: Any) -> None:
    client = client_for("wengyuan_window", "wengyuan")

    refused = client.post("/notices/channels/", {"office_phone": "2812345"})
    assert refused.status_code == 400 and 'name="office_phone"' in refused.content.decode()
    assert user("wengyuan_window").office_phone == ""

    saved = client.post("/notices/channels/", {"office_phone": "0751 2812345 ext 9"})
    assert saved.status_code == 302
    assert user("wengyuan_window").office_phone == "0751-2812345-9"
