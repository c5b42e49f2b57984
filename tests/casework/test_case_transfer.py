"""Transfer of a case to departments (rule art. 5(2)–(3), art. 7): casework/services.py: case_transfer."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from casework.choices import CaseResult, CaseStatus, Complexity, HandlingCategory, SlipStatus
from casework.models import Case, CaseEvent
from casework.services import SlipDraft, case_answer_on_spot, case_sms_opt_out_set, case_transfer
from hallindex.models import SlipIndex
from hallplatform.deadlines.models import Deadline, DeadlineKind, DeadlineRule, DeadlineState
from hallplatform.deadlines.services import compute_due
from hallplatform.schemas import use_hall_schema
from notifications.models import Notice
from tests.casework.support import (
    MONDAY_9,
    Clock,
    at,
    code_of,
    dept,
    draft,
    install_clock,
    recipients,
    refused_fields,
    register,
    slips_of,
    transfer,
    world,
)
from tests.casework.test_case_register import ID_NUMBER
from tests.conftest import user


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return install_clock(monkeypatch)


@pytest.fixture
def hall(demo: dict[str, Any], clock: Clock) -> Any:
    use_hall_schema(demo["wengyuan"])
    return demo["wengyuan"]


@pytest.fixture
def case(hall: Any) -> Case:
    return register(hall)


def test_slips_get_two_or_five_working_days_from_the_deadline_engine(hall: Any, case: Case) -> None:
    # when the window transfers on Monday 09:00 to a county and a city department
    transferred = transfer(
        case, draft("wengyuan/rsj", "核实参保记录"), draft("shaoguan/rsj", "协调跨县转移", complexity="complex")
    )

    # then each slip has its own number and its deadline: the day of receipt is not counted
    assert transferred.status == CaseStatus.TRANSFERRED
    assert transferred.result == CaseResult.IN_PROGRESS
    assert transferred.complexity == Complexity.COMPLEX
    assert transferred.transferred_at == MONDAY_9 and transferred.screened_at == MONDAY_9
    assert transferred.version == 2
    county, city = slips_of(case)
    assert [county.number, city.number] == [f"{case.number}-1", f"{case.number}-2"]
    assert [county.request, city.request] == ["核实参保记录", "协调跨县转移"]
    assert (county.status, county.sent_at, county.sent_by_id) == (SlipStatus.SENT, MONDAY_9, user("wengyuan_window").pk)
    expected = {county.pk: (2, "2026-03-04T17:30", "wengyuan/rsj"), city.pk: (5, "2026-03-09T17:30", "shaoguan/rsj")}
    for slip_id, (days, due, owner) in expected.items():
        deadline = Deadline.objects.get(
            kind=DeadlineKind.SLIP_REPLY, subject_type="casework.TransferSlip", subject_id=str(slip_id)
        )
        assert (deadline.rule, deadline.rule_amount, deadline.state) == (DeadlineRule.WORKING_DAYS, days, "open")
        assert (deadline.hall_id, deadline.owner_department_id) == (hall.pk, dept(owner).pk)
        assert deadline.start_at == MONDAY_9
        assert deadline.due_at == at(due)
        assert (
            deadline.due_at
            == compute_due(hall_id=hall.pk, rule=DeadlineRule.WORKING_DAYS, amount=days, start=MONDAY_9).due_at
        )
        row = SlipIndex.objects.get(hall=hall, slip_id=slip_id)
        assert row.deadline_id == deadline.pk
    rows = SlipIndex.objects.filter(hall=hall, case_id=case.pk).order_by("slip_id")
    assert [(r.slip_number, r.department_id, r.status, r.complexity) for r in rows] == [
        (county.number, dept("wengyuan/rsj").pk, "sent", "ordinary"),
        (city.number, dept("shaoguan/rsj").pk, "sent", "complex"),
    ]
    assert all(r.case_number == case.number and r.handling_category == "hard_to_do" for r in rows)
    event = CaseEvent.objects.filter(case=case).last()
    assert event is not None
    assert (event.kind, event.from_status, event.to_status) == ("transferred", "registered", "transferred")
    assert [s["number"] for s in event.changes["slips"]] == [county.number, city.number]


def test_an_ordinary_transfer_keeps_the_case_ordinary(case: Case) -> None:
    transferred = transfer(case, draft("wengyuan/rsj"), draft("wengyuan/scjgj"))

    assert transferred.complexity == Complexity.ORDINARY
    assert sorted(Deadline.objects.filter(kind=DeadlineKind.SLIP_REPLY).values_list("rule_amount", flat=True)) == [2, 2]


def test_slip_numbers_are_per_case(hall: Any, case: Case) -> None:
    other = register(hall)

    transfer(case, draft("wengyuan/rsj"), draft("wengyuan/gaj"), draft("shaoguan/rsj"))
    transfer(other, draft("wengyuan/rsj"))

    assert [s.number for s in slips_of(case)] == [f"{case.number}-{n}" for n in (1, 2, 3)]
    assert [s.number for s in slips_of(other)] == [f"{other.number}-1"]


@pytest.mark.parametrize("category", HandlingCategory.values)
def test_every_category_is_recorded_and_only_refused_flags_supervision(case: Case, category: str) -> None:
    transferred = transfer(case, draft("wengyuan/rsj"), category=category)

    refused = category == HandlingCategory.REFUSED
    assert transferred.handling_category == category
    assert transferred.flagged_for_supervision is refused
    assert SlipIndex.objects.get(case_id=case.pk).flagged_for_supervision is refused
    assert SlipIndex.objects.get(case_id=case.pk).handling_category == category


def test_refused_by_the_department_is_pushed_to_its_leads_too(case: Case) -> None:
    # 不给办: the department is pushed (its leads are told) and the case is flagged for supervision
    transfer(case, draft("wengyuan/rsj"), category=HandlingCategory.REFUSED)

    assert Case.objects.get(pk=case.pk).flagged_for_supervision is True
    assert recipients("slip_sent") == {"wengyuan_rsj", "wengyuan_rsj_lead"}
    for notice in Notice.objects.filter(kind="slip_sent"):
        assert notice.context["pushed"] is True
        assert "督办" in notice.body
        assert notice.context["due_at"] == "2026-03-04 17:30"
    event = CaseEvent.objects.get(case=case, kind="transferred")
    assert event.changes["flagged_for_supervision"] is True


def test_hard_to_do_carries_the_coordination_note_and_tells_handlers_only(case: Case) -> None:
    transferred = transfer(
        case, draft("wengyuan/rsj"), category=HandlingCategory.HARD_TO_DO, coordination_note="  容缺受理，承诺后补  "
    )

    assert transferred.coordination_note == "容缺受理，承诺后补"
    assert Case.objects.get(pk=case.pk).coordination_note == "容缺受理，承诺后补"
    assert transferred.flagged_for_supervision is False
    assert recipients("slip_sent") == {"wengyuan_rsj"}
    notice = Notice.objects.get(kind="slip_sent")
    assert notice.context["pushed"] is False
    assert "督办" not in notice.body


def test_a_joint_meeting_can_be_requested_without_slips(case: Case) -> None:
    before = world()

    transferred = transfer(case, meeting_requested=True, meeting_request_note="涉及人社、医保两部门，请召开联席会议")

    fresh = Case.objects.get(pk=case.pk)
    assert fresh.status == CaseStatus.TRANSFERRED == transferred.status
    assert fresh.meeting_requested is True
    assert fresh.meeting_request_note == "涉及人社、医保两部门，请召开联席会议"
    after = world()
    assert after["slips"] == before["slips"]
    assert after["index"] == before["index"]
    assert after["deadlines"] == before["deadlines"]
    event = CaseEvent.objects.get(case=case, kind="transferred")
    assert event.changes["meeting_requested"] is True and event.changes["slips"] == []


def test_no_personal_data_reaches_the_index_or_the_notices(hall: Any, case: Case) -> None:
    # given a matter name into which staff typed the person's phone and ID number
    careless = register(hall, matter_name=f"社保卡补办 13812345678 {ID_NUMBER}")

    transfer(case, draft("wengyuan/rsj"), draft("shaoguan/rsj"), category=HandlingCategory.REFUSED)
    transfer(careless, draft("wengyuan/rsj"))

    secrets = ["张三", "13812345678", "138 1234 5678", ID_NUMBER, ID_NUMBER.lower(), "建设路", "多次到窗口"]
    rows = list(SlipIndex.objects.filter(hall=hall).values())
    assert len(rows) == 3
    stored = json.dumps(rows, default=str, ensure_ascii=False)
    notices = list(Notice.objects.filter(hall=hall).values("context", "subject", "body"))
    assert {n["body"] != "" for n in notices} == {True}
    assert len(notices) == 2 + 3 + 1  # two registration SMS; 不给办 tells the lead too
    stored += json.dumps(notices, ensure_ascii=False)
    for secret in secrets:
        assert secret not in stored
    careless_row = SlipIndex.objects.get(case_id=careless.pk)
    assert careless_row.matter_name.startswith("社保卡补办 138****5678")


# --- Refusals: the field is named and nothing changes ---------------------------------------------------

Arguments = Callable[[], dict[str, Any]]

REFUSALS: list[tuple[str, Arguments, set[str]]] = [
    ("unknown category", lambda: {"category": "bored", "slips": [draft("wengyuan/rsj")]}, {"category"}),
    ("no slips and no meeting", lambda: {"slips": []}, {"slips"}),
    ("meeting without a note", lambda: {"slips": [], "meeting_requested": True}, {"meeting_request_note"}),
    # another county of the city is routable by default (异地转办); another city's never is
    ("another city's department", lambda: {"slips": [draft("qingcheng/rsj")]}, {"slips.0.department"}),
    ("unknown department", lambda: {"slips": [SlipDraft(department_id=999_999, request="x")]}, {"slips.0.department"}),
    (
        "duplicate department",
        lambda: {"slips": [draft("wengyuan/rsj"), draft("wengyuan/gaj"), draft("wengyuan/rsj")]},
        {"slips.2.department"},
    ),
    ("empty request", lambda: {"slips": [draft("wengyuan/rsj", request="  ")]}, {"slips.0.request"}),
    ("bad complexity", lambda: {"slips": [draft("wengyuan/rsj", complexity="hard")]}, {"slips.0.complexity"}),
    (
        "several faults at once",
        lambda: {"category": "", "slips": [draft("qingcheng/rsj", request="")]},
        {"category", "slips.0.department", "slips.0.request"},
    ),
]


@pytest.mark.parametrize(("arguments", "fields"), [(a, f) for _n, a, f in REFUSALS], ids=[n for n, _a, _f in REFUSALS])
def test_refused_transfer_names_the_field_and_changes_nothing(
    case: Case, arguments: Arguments, fields: set[str]
) -> None:
    values = {"category": HandlingCategory.HARD_TO_DO, **arguments()}
    before = world(case)

    with pytest.raises(ValidationError) as refused:
        case_transfer(case=case, actor=user("wengyuan_window"), **values)

    assert refused_fields(refused) == fields
    assert world(case) == before


def test_an_inactive_department_is_not_routable(case: Case) -> None:
    department = dept("wengyuan/rsj")
    department.is_active = False
    department.save(update_fields=["is_active"])
    before = world(case)

    with pytest.raises(ValidationError) as refused:
        transfer(case, draft("wengyuan/rsj"))

    assert refused_fields(refused) == {"slips.0.department"}
    assert world(case) == before


def test_a_case_answered_on_the_spot_cannot_be_transferred(case: Case) -> None:
    case_answer_on_spot(case=case, actor=user("wengyuan_window"), category="consultation", answer="已告知")
    before = world(case)

    with pytest.raises(ValidationError) as refused:
        transfer(case, draft("wengyuan/rsj"))

    assert refused_fields(refused) == {"status"}
    assert code_of(refused, "status") == "invalid_transition"
    assert world(case) == before


def test_a_transferred_case_cannot_be_transferred_again(case: Case) -> None:
    transfer(case, draft("wengyuan/rsj"))
    before = world(case)

    with pytest.raises(ValidationError) as refused:
        transfer(case, draft("wengyuan/gaj"))

    assert code_of(refused, "status") == "invalid_transition"
    assert world(case) == before


def test_a_stale_version_is_a_conflict(case: Case) -> None:
    # two members of staff opened version 1; meanwhile the person asked for no SMS (version 2)
    case_sms_opt_out_set(case=case, actor=user("wengyuan_lead"), opt_out=True)
    before = world(case)

    with pytest.raises(ValidationError) as refused:
        case_transfer(
            case=case,
            actor=user("wengyuan_window"),
            category=HandlingCategory.HARD_TO_DO,
            slips=[draft("wengyuan/rsj")],
            expected_version=1,
        )

    assert refused_fields(refused) == {"version"}
    assert code_of(refused, "version") == "conflict"
    assert world(case) == before


def test_the_current_version_is_accepted(case: Case) -> None:
    transferred = case_transfer(
        case=case,
        actor=user("wengyuan_window"),
        category=HandlingCategory.HARD_TO_DO,
        slips=[draft("wengyuan/rsj")],
        expected_version=1,
    )

    assert transferred.version == 2
    assert Deadline.objects.get(kind=DeadlineKind.SLIP_REPLY).state == DeadlineState.OPEN
