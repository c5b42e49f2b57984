"""The whole window workflow through the services: transfer, reply, feedback, follow-up, close."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone

from casework.choices import CaseResult, CaseStatus, HandlingCategory
from casework.models import Case, CaseEvent, TransferSlip
from casework.services import (
    SlipDraft,
    case_close,
    case_feedback_record,
    case_follow_up,
    case_register,
    case_reopen,
    case_supplement_received,
    case_transfer,
    slip_receive,
    slip_reply,
    slip_reroute,
    slip_return,
)
from hallindex.models import SlipIndex
from hallplatform.deadlines.models import Deadline, DeadlineKind, DeadlineState
from hallplatform.schemas import use_hall_schema
from notifications.models import Notice
from tenants.models import Department
from tests.casework.test_case_register import form
from tests.conftest import user


@pytest.fixture
def case(demo: dict[str, Any]) -> Case:
    use_hall_schema(demo["wengyuan"])
    return case_register(hall=demo["wengyuan"], actor=user("wengyuan_window"), data=form())


def dept(code: str) -> Department:
    hall, _, department = code.partition("/")
    return Department.objects.get(hall__code=hall, code=department)


def test_hard_case_to_two_departments_through_to_close(case: Case) -> None:
    window = user("wengyuan_window")
    case_transfer(
        case=case,
        actor=window,
        category=HandlingCategory.HARD_TO_DO,
        slips=[
            SlipDraft(department_id=dept("wengyuan/rsj").pk, request="核实参保记录"),
            SlipDraft(department_id=dept("shaoguan/rsj").pk, request="协调跨县转移", complexity="complex"),
        ],
        coordination_note="容缺受理，承诺后补户口簿",
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.TRANSFERRED
    slips = list(TransferSlip.objects.filter(case=case).order_by("pk"))
    assert [s.number for s in slips] == [f"{case.number}-1", f"{case.number}-2"]
    deadlines = Deadline.objects.filter(kind=DeadlineKind.SLIP_REPLY, subject_id__in=[str(s.pk) for s in slips])
    assert sorted(d.rule_amount for d in deadlines) == [2, 5]
    assert SlipIndex.objects.filter(case_id=case.pk).count() == 2
    assert Notice.objects.filter(kind="slip_sent").count() == 2

    county, city = slips
    slip_receive(slip=county, actor=user("wengyuan_rsj"))
    with pytest.raises(Http404):
        slip_reply(slip=county, actor=user("shaoguan_rsj"), result="done", reply="x")
    slip_reply(slip=county, actor=user("wengyuan_rsj"), result="supplement", reply="缺材料", supplement_note="户口簿")
    case.refresh_from_db()
    assert case.status == CaseStatus.AWAITING_SUPPLEMENT
    assert Deadline.objects.get(subject_id=str(county.pk), kind=DeadlineKind.SLIP_REPLY).state == DeadlineState.PAUSED
    case_supplement_received(case=case, actor=window, note="已补户口簿")
    assert Deadline.objects.get(subject_id=str(county.pk), kind=DeadlineKind.SLIP_REPLY).state == DeadlineState.OPEN
    slip_reply(slip=county, actor=user("wengyuan_rsj"), result="done", reply="已核实")
    case.refresh_from_db()
    assert case.status == CaseStatus.TRANSFERRED

    slip_return(slip=city, actor=user("shaoguan_rsj"), reason="属县级事权")
    new = slip_reroute(slip=city, actor=window, department_id=dept("wengyuan/scjgj").pk)
    assert new.rerouted_from_id == city.pk
    slip_reply(slip=new, actor=_handler_for(new), result="done", reply="已办结")
    case.refresh_from_db()
    assert case.status == CaseStatus.REPLIED
    assert case.result == CaseResult.DONE
    feedback = Deadline.objects.get(kind=DeadlineKind.FEEDBACK, subject_id=str(case.pk))
    assert feedback.state == DeadlineState.OPEN

    case_feedback_record(case=case, actor=window, method="phone", content="已电话告知办结", send_sms=True)
    feedback.refresh_from_db()
    assert feedback.state == DeadlineState.MET
    assert Notice.objects.filter(kind="person_result", recipient_ref=f"case:{case.pk}").exists()
    case_follow_up(case=case, actor=window, method="phone", date=timezone.localdate(), satisfaction="dissatisfied")
    case_reopen(case=case, actor=window, reason="群众仍不满意")
    case.refresh_from_db()
    assert case.status == CaseStatus.REOPENED and case.reopened_count == 1
    with pytest.raises(ValidationError):
        case_close(case=case, actor=window)
    kinds = list(CaseEvent.objects.filter(case=case).values_list("kind", flat=True))
    assert kinds[0] == "registered" and "slip_rerouted" in kinds and kinds[-1] == "reopened"


def _handler_for(slip: TransferSlip) -> Any:
    from hallplatform.accounts.services import staff_create

    handler, _ = staff_create(
        username=f"h{slip.department_id}",
        password="x",
        kind="department_handler",
        department_code=f"{slip.department.hall.code}/{slip.department.code}",
        check_password=False,
    )
    return handler


def test_follow_up_date_in_future_refused(case: Case) -> None:
    window = user("wengyuan_window")
    from casework.services import case_answer_on_spot

    case_answer_on_spot(case=case, actor=window, category="consultation", answer="告知")
    with pytest.raises(ValidationError) as refused:
        case_follow_up(
            case=case, actor=window, method="phone", date=timezone.localdate() + datetime.timedelta(days=2),
            satisfaction="satisfied",
        )  # fmt: skip
    assert "date" in refused.value.message_dict
    case.refresh_from_db()
    assert case.status == CaseStatus.ANSWERED
    case_follow_up(case=case, actor=window, method="phone", date=timezone.localdate(), satisfaction="satisfied")
    closed = case_close(case=case, actor=window)
    assert closed.status == CaseStatus.CLOSED


def test_deadline_notices_name_the_slip_by_its_number(case: Case) -> None:
    from hallplatform.deadlines.sweep import deadline_sweep
    from hallplatform.schemas import use_public_schema

    case_transfer(
        case=case,
        actor=user("wengyuan_window"),
        category=HandlingCategory.REFUSED,
        slips=[SlipDraft(department_id=dept("wengyuan/rsj").pk, request="督促办理")],
    )
    slip = TransferSlip.objects.get(case=case)
    deadline = Deadline.objects.get(kind=DeadlineKind.SLIP_REPLY, subject_id=str(slip.pk))
    use_public_schema()

    deadline_sweep(now=deadline.due_at + datetime.timedelta(minutes=1))

    breach = Notice.objects.filter(kind="deadline_breach", event_key=f"deadline:{deadline.pk}:breach").first()
    assert breach is not None
    assert slip.number in breach.subject
    assert case.applicant_name not in breach.body


def test_every_change_of_a_case_updates_its_index_row_without_personal_data(case: Case) -> None:
    from hallindex.models import CaseIndex

    row = CaseIndex.objects.get(case_id=case.pk, hall__code="wengyuan")
    assert (row.number, row.status, row.repeat_reporter) == (case.number, "registered", False)

    again = case_register(hall=case_hall(), actor=user("wengyuan_window"), data=form())
    case_transfer(
        case=again,
        actor=user("wengyuan_window"),
        category=HandlingCategory.REFUSED,
        slips=[SlipDraft(department_id=dept("wengyuan/rsj").pk, request="督促办理")],
    )

    second = CaseIndex.objects.get(case_id=again.pk, hall__code="wengyuan")
    assert second.repeat_reporter is True
    assert (second.status, second.handling_category, second.flagged_for_supervision) == ("transferred", "refused", True)
    stored = " ".join(str(value) for value in CaseIndex.objects.filter(pk=second.pk).values().first().values())
    for personal in (again.applicant_name, again.phone, again.document_number, again.problem):
        assert personal not in stored


def case_hall() -> Any:
    from tenants.models import Hall

    return Hall.objects.get(code="wengyuan")


def test_a_returned_slip_is_withdrawn_when_the_other_departments_cover_the_matter(case: Case) -> None:
    from casework.services import slip_withdraw

    window = user("wengyuan_window")
    case_transfer(
        case=case,
        actor=window,
        category=HandlingCategory.HARD_TO_DO,
        slips=[
            SlipDraft(department_id=dept("wengyuan/rsj").pk, request="核实参保记录"),
            SlipDraft(department_id=dept("shaoguan/rsj").pk, request="协调"),
        ],
    )
    county, city = TransferSlip.objects.filter(case=case).order_by("pk")
    slip_reply(slip=county, actor=user("wengyuan_rsj"), result="done", reply="已核实")
    slip_return(slip=city, actor=user("shaoguan_rsj"), reason="县级即可办理")
    case.refresh_from_db()
    assert case.status == CaseStatus.TRANSFERRED  # waits for the returned slip
    events_before = CaseEvent.objects.filter(case=case).count()

    with pytest.raises(ValidationError) as refused:
        slip_withdraw(slip=city, actor=window, reason="  ")
    assert "reason" in refused.value.message_dict
    assert CaseEvent.objects.filter(case=case).count() == events_before

    slip_withdraw(slip=city, actor=window, reason="县人社局已办结")

    case.refresh_from_db()
    assert case.status == CaseStatus.REPLIED
    assert Deadline.objects.get(kind=DeadlineKind.FEEDBACK, subject_id=str(case.pk)).state == DeadlineState.OPEN
    assert SlipIndex.objects.get(slip_id=city.pk, hall__code="wengyuan").status == "cancelled"


def test_the_only_slip_cannot_be_withdrawn(case: Case) -> None:
    from casework.services import slip_withdraw

    window = user("wengyuan_window")
    case_transfer(
        case=case,
        actor=window,
        category=HandlingCategory.HARD_TO_DO,
        slips=[SlipDraft(department_id=dept("shaoguan/rsj").pk, request="协调")],
    )
    slip = TransferSlip.objects.get(case=case)
    slip_return(slip=slip, actor=user("shaoguan_rsj"), reason="非本单位职责")

    with pytest.raises(ValidationError) as refused:
        slip_withdraw(slip=slip, actor=window, reason="x")

    assert refused.value.error_dict["status"][0].code == "invalid_transition"
    slip.refresh_from_db()
    assert slip.status == "returned"
