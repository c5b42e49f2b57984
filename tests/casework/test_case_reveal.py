"""Showing a person's data unmasked (DESIGN.md 5, docs/personal-data.md): casework/services.py: case_reveal."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from casework.models import Case, CaseEvent
from casework.services import REVEALABLE_FIELDS, case_reveal
from hallplatform.accounts.models import RoleAssignment
from hallplatform.accounts.services import staff_create
from hallplatform.audit.models import AuditEvent
from hallplatform.schemas import use_hall_schema
from tests.casework.support import draft, register, transfer
from tests.casework.test_case_register import ID_NUMBER
from tests.conftest import user

PLAIN = {
    "applicant_name": "张三",
    "phone": "13812345678",
    "document_number": ID_NUMBER,
    "address": "翁源县龙仙镇建设路1号",
}


@pytest.fixture
def hall(demo: dict[str, Any]) -> Any:
    use_hall_schema(demo["wengyuan"])
    return demo["wengyuan"]


@pytest.fixture
def case(hall: Any) -> Case:
    return register(hall)


def grant(username: str, allowed: bool = True) -> Any:
    RoleAssignment.objects.filter(user__username=username).update(may_reveal_personal_data=allowed)
    return user(username)


def trail() -> tuple[int, int]:
    return CaseEvent.objects.filter(kind="revealed").count(), AuditEvent.objects.filter(action="case.reveal").count()


@pytest.mark.parametrize("username", ["wengyuan_window", "wengyuan_lead"])
@pytest.mark.parametrize("field", REVEALABLE_FIELDS)
def test_hall_staff_granted_the_permission_see_the_value_and_it_is_recorded(
    hall: Any, case: Case, username: str, field: str
) -> None:
    actor = user(username)

    value = case_reveal(case=case, actor=actor, field=field)

    assert value == PLAIN[field]
    event = CaseEvent.objects.get(case=case, kind="revealed")
    assert (event.actor_id, event.changes) == (actor.pk, {"field": field})
    audit = AuditEvent.objects.get(action="case.reveal")
    assert (audit.actor_id, audit.hall_id, audit.target_type, audit.target_id) == (
        actor.pk,
        hall.pk,
        "casework.Case",
        str(case.pk),
    )
    assert audit.changes == {"field": field}
    # the trail says which field, never its value
    assert PLAIN[field] not in str(event.changes) + str(audit.changes)


def test_each_reveal_is_recorded(case: Case) -> None:
    for field in ("phone", "phone", "document_number"):
        case_reveal(case=case, actor=user("wengyuan_window"), field=field)

    assert trail() == (3, 3)


def test_hall_staff_without_the_permission_are_refused(case: Case) -> None:
    actor = grant("wengyuan_window", allowed=False)
    before = trail()

    with pytest.raises(PermissionDenied):
        case_reveal(case=case, actor=actor, field="phone")

    assert trail() == before


@pytest.mark.parametrize("username", ["wengyuan_rsj", "wengyuan_rsj_lead"])
def test_a_department_granted_the_permission_sees_the_cases_transferred_to_it(case: Case, username: str) -> None:
    actor = grant(username)
    before = trail()
    with pytest.raises(PermissionDenied):
        case_reveal(case=case, actor=actor, field="phone")  # not transferred to it (yet)
    assert trail() == before

    transfer(case, draft("wengyuan/rsj"))

    assert case_reveal(case=case, actor=actor, field="phone") == "13812345678"
    assert trail() == (before[0] + 1, before[1] + 1)


def test_a_city_department_granted_the_permission_sees_the_cases_transferred_to_it(case: Case, hall: Any) -> None:
    actor = grant("shaoguan_rsj")
    other = register(hall)
    transfer(case, draft("shaoguan/rsj"))
    transfer(other, draft("wengyuan/rsj"))

    assert case_reveal(case=case, actor=actor, field="document_number") == ID_NUMBER
    before = trail()
    with pytest.raises(PermissionDenied):
        case_reveal(case=other, actor=actor, field="document_number")
    assert trail() == before


def test_a_department_without_the_permission_is_refused(case: Case) -> None:
    transfer(case, draft("wengyuan/rsj"))
    before = trail()

    with pytest.raises(PermissionDenied):
        case_reveal(case=case, actor=user("wengyuan_rsj"), field="phone")

    assert trail() == before


def test_a_department_of_a_returned_slip_still_counts_as_transferred_to(case: Case) -> None:
    from casework.services import slip_return

    actor = grant("wengyuan_rsj")
    transfer(case, draft("wengyuan/rsj"))
    slip_return(slip=case.slips.get(), actor=actor, reason="不归我们")

    assert case_reveal(case=case, actor=actor, field="applicant_name") == "张三"


def test_the_city_supervisor_is_refused_even_when_granted(case: Case) -> None:
    actor = grant("shaoguan_supervisor")
    before = trail()

    with pytest.raises(PermissionDenied):
        case_reveal(case=case, actor=actor, field="phone")

    assert trail() == before


def test_staff_of_another_hall_are_refused(case: Case) -> None:
    outsider, _ = staff_create(
        username="nanxiong_window", password="x", kind="window_staff", hall_code="nanxiong", check_password=False,
        may_reveal=True,
    )  # fmt: skip
    before = trail()

    with pytest.raises(PermissionDenied):
        case_reveal(case=case, actor=outsider, field="phone")

    assert trail() == before


def test_an_inactive_account_is_refused(case: Case) -> None:
    actor = user("wengyuan_window")
    actor.is_active = False
    actor.save(update_fields=["is_active"])
    before = trail()

    with pytest.raises(PermissionDenied):
        case_reveal(case=case, actor=actor, field="phone")

    assert trail() == before


def test_an_anonymous_user_is_refused(case: Case) -> None:
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(PermissionDenied):
        case_reveal(case=case, actor=AnonymousUser(), field="phone")

    assert trail() == (0, 0)


@pytest.mark.parametrize("field", ["problem", "phone_index", "number", ""])
def test_only_the_personal_fields_can_be_revealed(case: Case, field: str) -> None:
    with pytest.raises(ValidationError) as refused:
        case_reveal(case=case, actor=user("wengyuan_window"), field=field)

    assert set(refused.value.message_dict) == {"field"}
    assert trail() == (0, 0)


def test_an_empty_address_reveals_as_empty(hall: Any) -> None:
    case = register(hall, address="")

    assert case_reveal(case=case, actor=user("wengyuan_window"), field="address") == ""
    assert trail() == (1, 1)
