"""Registration of a case on the 登记表 (casework/services.py: case_register)."""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import ProgrammingError, close_old_connections, connection, transaction

from casework.choices import ApplicantKind, CaseStatus, Channel
from casework.models import Case, CaseEvent
from casework.selectors import case_list_earlier_of_person
from casework.services import Registration, case_register
from hallplatform.personal import DocumentType
from hallplatform.schemas import use_hall_schema
from tenants.services import hall_create
from tests.conftest import user

TZ = ZoneInfo("Asia/Shanghai")
ID_NUMBER = "11010519491231002X"  # the example of GB 11643 itself


def form(**changes: Any) -> Registration:
    values: dict[str, Any] = {
        "channel": Channel.ON_SITE,
        "applicant_kind": ApplicantKind.PERSON,
        "applicant_name": "张三",
        "phone": "+86 138 1234 5678",
        "document_type": DocumentType.RESIDENT_ID,
        "document_number": ID_NUMBER.lower(),
        "matter_name": "社保卡补办",
        "problem": "多次到窗口补办社保卡未成功",
        "address": "翁源县龙仙镇建设路1号",
    }
    values.update(changes)
    return Registration(**values)


@pytest.fixture
def wengyuan(demo: dict[str, Any]) -> Any:
    use_hall_schema(demo["wengyuan"])
    return demo["wengyuan"]


def test_registration_keeps_every_field_and_numbers_per_hall_and_year(wengyuan: Any) -> None:
    staff = user("wengyuan_window")

    case = case_register(hall=wengyuan, actor=staff, data=form(), at=datetime(2026, 3, 2, 9, 0, tzinfo=TZ))
    second = case_register(hall=wengyuan, actor=staff, data=form(), at=datetime(2026, 3, 2, 9, 5, tzinfo=TZ))
    next_year = case_register(hall=wengyuan, actor=staff, data=form(), at=datetime(2027, 1, 4, 9, 0, tzinfo=TZ))

    assert case.number == "440229-2026-00001"
    assert second.number == "440229-2026-00002"
    assert next_year.number == "440229-2027-00001"
    stored = Case.objects.get(pk=case.pk)
    assert stored.applicant_name == "张三"
    assert stored.phone == "13812345678"
    assert stored.document_number == ID_NUMBER
    assert stored.status == CaseStatus.REGISTERED
    assert stored.handler_id == staff.pk
    event = CaseEvent.objects.get(case=case)
    assert (event.kind, event.to_status, event.actor_id) == ("registered", "registered", staff.pk)
    assert event.changes["phone"] == "138****5678"


def test_personal_data_is_encrypted_in_the_database(wengyuan: Any) -> None:
    case = case_register(hall=wengyuan, actor=user("wengyuan_window"), data=form())

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT applicant_name, phone, document_number, address, problem FROM casework_case WHERE id = %s",
            [case.pk],
        )
        raw = cursor.fetchone()

    assert all(value.startswith("v1:") for value in raw)
    joined = " ".join(raw)
    for secret in ("张三", "13812345678", ID_NUMBER, "建设路", "社保卡"):
        assert secret not in joined


def test_earlier_cases_of_the_same_person_are_found_by_phone_or_id(wengyuan: Any) -> None:
    first = case_register(hall=wengyuan, actor=user("wengyuan_window"), data=form())
    case_register(
        hall=wengyuan,
        actor=user("wengyuan_window"),
        data=form(phone="13900000000", document_number="440229199001011235"),
    )

    by_phone = list(case_list_earlier_of_person(phone="138-1234-5678"))
    by_id = list(case_list_earlier_of_person(document_type=DocumentType.RESIDENT_ID, document_number=ID_NUMBER))

    assert by_phone == [first]
    assert by_id == [first]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"applicant_name": " "}, "applicant_name"),
        ({"phone": "12812345678"}, "phone"),
        ({"document_number": "110105194912310021"}, "document_number"),
        ({"document_type": "library_card"}, "document_type"),
        ({"matter_name": ""}, "matter_name"),
        ({"problem": ""}, "problem"),
        ({"channel": "online"}, "channel"),
        ({"applicant_kind": ApplicantKind.ENTERPRISE}, "enterprise_name"),
    ],
)
def test_refused_registration_names_the_field_and_keeps_nothing(
    wengyuan: Any, changes: dict[str, Any], field: str
) -> None:
    before = (Case.objects.count(), CaseEvent.objects.count())

    with pytest.raises(ValidationError) as refused:
        case_register(hall=wengyuan, actor=user("wengyuan_window"), data=form(**changes))

    assert field in refused.value.message_dict
    assert (Case.objects.count(), CaseEvent.objects.count()) == before
    # the refusal did not use up a number
    assert case_register(hall=wengyuan, actor=user("wengyuan_window"), data=form()).number.endswith("-00001")


def test_the_timeline_refuses_update_and_delete(wengyuan: Any) -> None:
    case = case_register(hall=wengyuan, actor=user("wengyuan_window"), data=form())
    event = CaseEvent.objects.get(case=case)

    for statement in (
        "UPDATE casework_caseevent SET kind = 'x' WHERE id = %s",
        "DELETE FROM casework_caseevent WHERE id = %s",
    ):
        with pytest.raises(ProgrammingError, match="immutable"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, [event.pk])

    assert CaseEvent.objects.get(pk=event.pk).kind == "registered"


def test_a_new_hall_gets_the_immutable_timeline_too(demo: dict[str, Any]) -> None:
    hall = hall_create(
        code="xincheng", name="新城区政务服务中心", level="county", region_code="440299", parent_code="shaoguan"
    )
    use_hall_schema(hall)
    case = case_register(hall=hall, actor=user("wengyuan_window"), data=form())
    assert case.number == "440299-" + str(case.registered_at.astimezone(TZ).year) + "-00001"

    with pytest.raises(ProgrammingError, match="immutable"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM casework_caseevent WHERE case_id = %s", [case.pk])


def _in_own_connection(work: Any) -> None:
    """Run ``work`` in a thread, hence on a connection of its own that commits (not the test's)."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as exc:  # re-raised in the test's thread
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(120)
    if errors:
        raise errors[0]


def test_numbers_are_gap_free_under_concurrent_registration(demo: dict[str, Any]) -> None:
    # The demo is committed; each thread registers on its own connection, so the registrations
    # really run concurrently and commit. The test's own transaction is not involved.
    hall = demo["lechang"]
    staff = user("wengyuan_window")
    numbers: list[str] = []
    errors: list[BaseException] = []

    def register() -> None:
        try:
            use_hall_schema(hall)
            for _ in range(5):
                numbers.append(case_register(hall=hall, actor=staff, data=form()).number)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    def clean() -> None:
        use_hall_schema(hall)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("ALTER TABLE casework_caseevent DISABLE TRIGGER casework_caseevent_immutable")
            cursor.execute("DELETE FROM casework_caseevent")
            cursor.execute("ALTER TABLE casework_caseevent ENABLE TRIGGER casework_caseevent_immutable")
            cursor.execute("DELETE FROM casework_caseprogressaccess")  # each case's progress link
            cursor.execute("DELETE FROM casework_case")
            cursor.execute("DELETE FROM casework_casenumbersequence")
            # the registration SMS written to the public outbox with each case
            cursor.execute("DELETE FROM public.notifications_notice WHERE hall_id = %s", [hall.pk])
            cursor.execute("DELETE FROM public.coordination_caseindex WHERE hall_id = %s", [hall.pk])

    try:
        threads = [threading.Thread(target=register) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)

        assert errors == []
        year = datetime.now(TZ).year
        assert sorted(numbers) == [f"440281-{year}-{n:05d}" for n in range(1, 21)]
    finally:
        _in_own_connection(clean)
