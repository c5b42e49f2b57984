"""Screening (rule art. 4) and answers on the spot (art. 7): casework/services.py."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError

from casework.choices import CaseResult, CaseStatus, ExclusionReason, HandlingCategory
from casework.models import Case, CaseEvent
from casework.services import case_answer_on_spot, case_register, case_screen_out
from hallplatform.schemas import use_hall_schema
from tests.casework.test_case_register import form
from tests.conftest import user


@pytest.fixture
def case(demo: dict[str, Any]) -> Case:
    use_hall_schema(demo["wengyuan"])
    return case_register(hall=demo["wengyuan"], actor=user("wengyuan_window"), data=form())


def snapshot(case: Case) -> tuple[Any, ...]:
    fresh = Case.objects.get(pk=case.pk)
    return (
        fresh.status,
        fresh.version,
        fresh.exclusion_reason,
        fresh.referral,
        fresh.answer,
        CaseEvent.objects.count(),
    )


@pytest.mark.parametrize("reason", ExclusionReason.values)
def test_a_case_outside_the_scope_is_kept_as_not_accepted(case: Case, reason: str) -> None:
    screened = case_screen_out(case=case, actor=user("wengyuan_window"), reason=reason, referral="请到县信访局反映")

    assert screened.status == CaseStatus.NOT_ACCEPTED
    assert (screened.exclusion_reason, screened.referral) == (reason, "请到县信访局反映")
    assert screened.screened_at is not None
    assert Case.objects.filter(pk=case.pk, status=CaseStatus.NOT_ACCEPTED).exists()
    event = CaseEvent.objects.filter(case=case).last()
    assert event is not None
    assert (event.kind, event.from_status, event.to_status) == ("screened_out", "registered", "not_accepted")


@pytest.mark.parametrize(
    ("arguments", "field"),
    [({"reason": "bored", "referral": "x"}, "reason"), ({"reason": "petition", "referral": "  "}, "referral")],
)
def test_screening_refusals_name_the_field_and_change_nothing(
    case: Case, arguments: dict[str, str], field: str
) -> None:
    before = snapshot(case)

    with pytest.raises(ValidationError) as refused:
        case_screen_out(case=case, actor=user("wengyuan_window"), **arguments)

    assert field in refused.value.message_dict
    assert snapshot(case) == before


def test_a_consultation_is_answered_on_the_spot(case: Case) -> None:
    answered = case_answer_on_spot(
        case=case,
        actor=user("wengyuan_window"),
        category=HandlingCategory.CONSULTATION,
        answer="需携带身份证原件到3号窗口",
    )

    assert answered.status == CaseStatus.ANSWERED
    assert answered.handling_category == HandlingCategory.CONSULTATION
    assert answered.result == CaseResult.DONE
    assert answered.answer == "需携带身份证原件到3号窗口"
    assert answered.version == 2


def test_cannot_do_needs_its_policy_basis(case: Case) -> None:
    before = snapshot(case)

    with pytest.raises(ValidationError) as refused:
        case_answer_on_spot(
            case=case, actor=user("wengyuan_window"), category=HandlingCategory.CANNOT_DO, answer="不符合条件"
        )

    assert "policy_basis" in refused.value.message_dict
    assert snapshot(case) == before
    answered = case_answer_on_spot(
        case=case,
        actor=user("wengyuan_window"),
        category=HandlingCategory.CANNOT_DO,
        answer="不符合条件",
        policy_basis="《社会保险法》第十二条",
    )
    assert answered.policy_basis == "《社会保险法》第十二条"


def test_an_invalid_transition_is_refused_with_its_code(case: Case) -> None:
    case_screen_out(case=case, actor=user("wengyuan_window"), reason=ExclusionReason.FILED, referral="法院")
    before = snapshot(case)

    with pytest.raises(ValidationError) as refused:
        case_answer_on_spot(
            case=case, actor=user("wengyuan_window"), category=HandlingCategory.CONSULTATION, answer="x"
        )

    assert refused.value.error_dict["status"][0].code == "invalid_transition"
    assert snapshot(case) == before


def test_a_stale_version_is_a_conflict_and_loses_nothing(case: Case) -> None:
    # two members of staff opened version 1; the first one answers
    case_answer_on_spot(
        case=case,
        actor=user("wengyuan_window"),
        category=HandlingCategory.CONSULTATION,
        answer="甲",
        expected_version=1,
    )
    before = snapshot(case)

    # the second one's change, made on version 1, is refused
    with pytest.raises(ValidationError) as refused:
        case_screen_out(
            case=case,
            actor=user("wengyuan_lead"),
            reason=ExclusionReason.PETITION,
            referral="信访局",
            expected_version=1,
        )

    assert refused.value.error_dict["version"][0].code == "conflict"
    assert snapshot(case) == before
    assert Case.objects.get(pk=case.pk).answer == "甲"
