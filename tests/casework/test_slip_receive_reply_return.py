"""The departments' side of a transfer slip (rule art. 5(2)–(4)): casework/services.py: slip_receive,
slip_reply, slip_return, slip_reroute and case_supplement_received."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404

from casework.choices import CaseResult, CaseStatus, SlipStatus
from casework.models import Case, CaseEvent, TransferSlip
from casework.services import (
    case_supplement_received,
    slip_receive,
    slip_reply,
    slip_reroute,
    slip_return,
)
from hallindex.models import SlipIndex
from hallplatform.accounts.services import staff_create
from hallplatform.deadlines.models import Deadline, DeadlineKind, DeadlineRule, DeadlineState
from hallplatform.deadlines.services import compute_due
from hallplatform.schemas import use_hall_schema
from hallplatform.workdays import worktime
from hallplatform.workdays.selectors import work_calendar_for
from tests.casework.support import (
    Clock,
    at,
    code_of,
    dept,
    draft,
    install_clock,
    notices_to,
    recipients,
    refused_fields,
    register,
    transfer,
    world,
)
from tests.conftest import user

WINDOW = "wengyuan_window"


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return install_clock(monkeypatch)


@pytest.fixture
def hall(demo: dict[str, Any], clock: Clock) -> Any:
    use_hall_schema(demo["wengyuan"])
    return demo["wengyuan"]


@pytest.fixture
def case(hall: Any) -> Case:
    """A case transferred on Monday 09:00 to the county's 人社局 and to the city's (2 working days each)."""
    registered = register(hall)
    transfer(registered, draft("wengyuan/rsj"), draft("shaoguan/rsj"))
    return Case.objects.get(pk=registered.pk)


def county_slip(case: Case) -> TransferSlip:
    return TransferSlip.objects.select_related("department").get(case=case, department=dept("wengyuan/rsj"))


def city_slip(case: Case) -> TransferSlip:
    return TransferSlip.objects.select_related("department").get(case=case, department=dept("shaoguan/rsj"))


def slip_deadline(slip: TransferSlip) -> Deadline:
    return Deadline.objects.filter(kind=DeadlineKind.SLIP_REPLY, subject_id=str(slip.pk)).latest("pk")


def feedback_deadlines(case: Case) -> list[Deadline]:
    return list(Deadline.objects.filter(kind=DeadlineKind.FEEDBACK, subject_id=str(case.pk)))


def fresh(case: Case) -> Case:
    return Case.objects.get(pk=case.pk)


# --- Receive (签收) ---------------------------------------------------------------------------------------


def test_the_department_signs_for_a_slip(hall: Any, case: Case, clock: Clock) -> None:
    slip = county_slip(case)
    due = slip_deadline(slip).due_at
    clock.advance(minutes=30)

    received = slip_receive(slip=slip, actor=user("wengyuan_rsj"), expected_version=1)

    assert received.status == SlipStatus.RECEIVED
    assert (received.received_at, received.received_by_id) == (clock.now, user("wengyuan_rsj").pk)
    assert received.version == 2
    row = SlipIndex.objects.get(slip_id=slip.pk, hall=hall)
    assert (row.status, row.received_by_id, row.received_at) == ("received", user("wengyuan_rsj").pk, clock.now)
    # the clock has been running since the slip was sent: signing for it changes nothing there
    deadline = slip_deadline(slip)
    assert (deadline.state, deadline.due_at) == (DeadlineState.OPEN, due)
    event = CaseEvent.objects.filter(case=case).last()
    assert event is not None
    assert (event.kind, event.slip_id, event.from_status, event.to_status) == (
        "slip_received",
        slip.pk,
        "sent",
        "received",
    )
    assert fresh(case).status == CaseStatus.TRANSFERRED


def test_a_slip_is_signed_for_once(case: Case) -> None:
    slip = county_slip(case)
    slip_receive(slip=slip, actor=user("wengyuan_rsj"))
    before = world(case)

    with pytest.raises(ValidationError) as refused:
        slip_receive(slip=slip, actor=user("wengyuan_rsj_lead"))

    assert code_of(refused, "status") == "invalid_transition"
    assert world(case) == before


# --- Reply (答复) -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "last", "case_result"),
    [
        ("done", "done", CaseResult.DONE),
        ("done", "in_progress", CaseResult.IN_PROGRESS),
        ("in_progress", "done", CaseResult.IN_PROGRESS),
    ],
)
def test_the_last_reply_opens_half_a_working_day_for_feedback(
    case: Case, clock: Clock, first: str, last: str, case_result: str
) -> None:
    county, city = county_slip(case), city_slip(case)
    clock.set("2026-03-02T10:00")

    slip_reply(slip=county, actor=user("wengyuan_rsj"), result=first, reply="已核实")

    # one slip answered, one open: the case still waits for the departments
    assert fresh(case).status == CaseStatus.TRANSFERRED
    assert feedback_deadlines(case) == []
    assert slip_deadline(county).state == DeadlineState.MET
    assert slip_deadline(county).met_at == clock.now
    assert slip_deadline(city).state == DeadlineState.OPEN
    replied = TransferSlip.objects.get(pk=county.pk)
    assert (replied.status, replied.result, replied.reply) == (SlipStatus.REPLIED, first, "已核实")
    assert (replied.replied_at, replied.replied_by_id) == (clock.now, user("wengyuan_rsj").pk)
    # answered without signing first: the answer counts as the receipt
    assert (replied.received_at, replied.received_by_id) == (clock.now, user("wengyuan_rsj").pk)

    clock.set("2026-03-02T11:00")
    slip_reply(slip=city, actor=user("shaoguan_rsj"), result=last, reply="已协调")

    after = fresh(case)
    assert after.status == CaseStatus.REPLIED
    assert after.result == case_result
    assert after.replied_at == clock.now
    [feedback] = feedback_deadlines(case)
    assert (feedback.subject_type, feedback.rule, feedback.state) == ("casework.Case", DeadlineRule.HALF_DAY, "open")
    assert feedback.start_at == clock.now
    # 195 working minutes: 60 until noon, 135 from 14:30
    assert feedback.due_at == at("2026-03-02T16:45")
    assert (
        feedback.due_at
        == compute_due(hall_id=feedback.hall_id, rule=DeadlineRule.HALF_DAY, amount=0, start=clock.now).due_at
    )
    assert {r.status for r in SlipIndex.objects.filter(case_id=case.pk)} == {"replied"}
    told = notices_to("slip_replied", event_key__endswith=f":{city.pk}:replied")
    assert [n.recipient_user.username for n in told if n.recipient_user] == [WINDOW]
    assert told[0].context["feedback_due_at"] == "2026-03-02 16:45"
    events = list(CaseEvent.objects.filter(case=case, kind="slip_replied").order_by("pk"))
    assert [(e.from_status, e.to_status) for e in events] == [("sent", "replied"), ("sent", "replied")]
    assert events[0].changes["case_status"] is None
    assert events[1].changes["case_status"] == ["transferred", "replied"]


@pytest.mark.parametrize(
    ("arguments", "fields"),
    [
        ({"result": "maybe", "reply": "x"}, {"result"}),
        ({"result": "done", "reply": "  "}, {"reply"}),
        ({"result": "supplement", "reply": "缺材料"}, {"supplement_note"}),
        ({"result": "", "reply": ""}, {"result", "reply"}),
    ],
)
def test_refused_reply_names_the_field_and_changes_nothing(
    case: Case, arguments: dict[str, str], fields: set[str]
) -> None:
    before = world(case)

    with pytest.raises(ValidationError) as refused:
        slip_reply(slip=county_slip(case), actor=user("wengyuan_rsj"), **arguments)

    assert refused_fields(refused) == fields
    assert world(case) == before


def test_an_answered_slip_cannot_be_answered_again(case: Case) -> None:
    slip = county_slip(case)
    slip_reply(slip=slip, actor=user("wengyuan_rsj"), result="done", reply="已办结")
    before = world(case)

    with pytest.raises(ValidationError) as refused:
        slip_reply(slip=slip, actor=user("wengyuan_rsj"), result="in_progress", reply="改口")

    assert code_of(refused, "status") == "invalid_transition"
    assert world(case) == before


# --- Materials to supplement (补正材料) ------------------------------------------------------------------


def test_supplement_pauses_the_slip_clock_and_the_case_waits(case: Case, clock: Clock) -> None:
    slip = county_slip(case)
    clock.set("2026-03-02T10:00")

    slip_reply(slip=slip, actor=user("wengyuan_rsj"), result="supplement", reply="缺材料", supplement_note="户口簿原件")

    paused = slip_deadline(slip)
    assert paused.state == DeadlineState.PAUSED
    assert paused.paused_at == clock.now
    # left: 10:00–12:00 and 14:30–17:30 on Monday, all of Tuesday and Wednesday (6.5 h each)
    assert paused.remaining_seconds == int(timedelta(hours=18).total_seconds())
    waiting = TransferSlip.objects.get(pk=slip.pk)
    assert (waiting.status, waiting.supplement_note, waiting.replied_at) == (
        SlipStatus.AWAITING_SUPPLEMENT,
        "户口簿原件",
        None,
    )
    after = fresh(case)
    assert (after.status, after.result, after.supplement_note) == (
        CaseStatus.AWAITING_SUPPLEMENT,
        CaseResult.SUPPLEMENT,
        "户口簿原件",
    )
    assert SlipIndex.objects.get(slip_id=slip.pk).status == "awaiting_supplement"
    assert recipients("slip_supplement") == {WINDOW}
    [sms] = notices_to("person_supplement")
    assert (sms.channel, sms.recipient_ref) == ("sms", f"case:{case.pk}")

    # the other department answering does not end the wait, nor open the feedback clock
    slip_reply(slip=city_slip(case), actor=user("shaoguan_rsj"), result="done", reply="已办结")
    assert fresh(case).status == CaseStatus.AWAITING_SUPPLEMENT
    assert feedback_deadlines(case) == []


def test_supplement_received_resumes_with_the_working_time_left(case: Case, clock: Clock) -> None:
    slip = county_slip(case)
    sent_due = slip_deadline(slip).due_at
    assert sent_due == at("2026-03-04T17:30")
    clock.set("2026-03-02T10:00")
    slip_reply(slip=slip, actor=user("wengyuan_rsj"), result="supplement", reply="缺材料", supplement_note="户口簿")
    remaining = timedelta(seconds=slip_deadline(slip).remaining_seconds or 0)

    # when the person brings the materials on Thursday 09:00 (after the first due time)
    clock.set("2026-03-05T09:00")
    resumed_case = case_supplement_received(case=case, actor=user(WINDOW), note="已补户口簿", expected_version=3)

    # then the clock runs on with the 18 working hours it had left, from Thursday 09:00
    deadline = slip_deadline(slip)
    assert deadline.state == DeadlineState.OPEN
    assert (deadline.paused_at, deadline.remaining_seconds) == (None, None)
    calendar = work_calendar_for(hall_id=deadline.hall_id, first=at("2026-02-20").date(), last=at("2026-04-30").date())
    paused_time = worktime.working_time_between(calendar, at("2026-03-02T10:00"), clock.now)
    assert paused_time == timedelta(hours=18, minutes=30)
    assert deadline.paused_seconds == int(paused_time.total_seconds())
    assert deadline.due_at == compute_due(
        hall_id=deadline.hall_id, rule=DeadlineRule.WORKING_MINUTES, amount=int(remaining.total_seconds() // 60),
        start=clock.now,
    ).due_at  # fmt: skip
    # the due time moved by exactly the working time spent paused
    assert deadline.due_at == worktime.add_working_time(calendar, sent_due, paused_time).at
    assert deadline.due_at == at("2026-03-09T16:30")
    assert worktime.working_time_between(calendar, clock.now, deadline.due_at) == remaining
    assert deadline.warn_at >= clock.now

    assert (resumed_case.status, resumed_case.result) == (CaseStatus.TRANSFERRED, CaseResult.IN_PROGRESS)
    # the department asked for materials without signing for the slip: it is back to "sent", unsigned
    resumed = TransferSlip.objects.get(pk=slip.pk)
    assert (resumed.status, resumed.received_at, resumed.received_by_id) == (SlipStatus.SENT, None, None)
    assert SlipIndex.objects.get(slip_id=slip.pk).status == "sent"
    assert recipients("supplement_received") == {"wengyuan_rsj"}
    event = CaseEvent.objects.filter(case=case).last()
    assert event is not None
    assert (event.kind, event.slip_id, event.from_status, event.to_status) == (
        "supplement_received",
        slip.pk,
        "awaiting_supplement",
        "transferred",
    )
    assert event.changes["note"] == "已补户口簿"


def test_a_department_may_ask_for_materials_again(case: Case, clock: Clock) -> None:
    slip = county_slip(case)
    window, handler = user(WINDOW), user("wengyuan_rsj")
    slip_reply(slip=city_slip(case), actor=user("shaoguan_rsj"), result="done", reply="已办结")

    # first round
    clock.set("2026-03-02T10:00")
    slip_reply(slip=slip, actor=handler, result="supplement", reply="缺材料", supplement_note="户口簿")
    clock.set("2026-03-02T15:00")
    case_supplement_received(case=case, actor=window)
    # second round (再次补正)
    clock.set("2026-03-03T09:00")
    slip_reply(slip=slip, actor=handler, result="supplement", reply="仍缺材料", supplement_note="结婚证")
    assert slip_deadline(slip).state == DeadlineState.PAUSED
    assert fresh(case).status == CaseStatus.AWAITING_SUPPLEMENT
    assert fresh(case).supplement_note == "结婚证"
    clock.set("2026-03-03T10:00")
    case_supplement_received(case=case, actor=window)

    # each round was told: to the window, to the person and to the department
    assert len(notices_to("slip_supplement")) == 2
    assert len(notices_to("person_supplement")) == 2
    assert len(notices_to("supplement_received")) == 2
    for kind in ("slip_supplement", "person_supplement", "supplement_received"):
        assert len({n.event_key for n in notices_to(kind)}) == 2
    # the clock stood still for both pauses: Monday 10:00–15:00 (2 h + 30 min) and Tuesday 09:00–10:00
    deadline = slip_deadline(slip)
    assert deadline.state == DeadlineState.OPEN
    assert deadline.paused_seconds == int(timedelta(hours=3, minutes=30).total_seconds())
    calendar = work_calendar_for(hall_id=deadline.hall_id, first=at("2026-02-20").date(), last=at("2026-04-30").date())
    assert deadline.due_at == worktime.add_working_time(calendar, at("2026-03-04T17:30"), timedelta(hours=3.5)).at
    assert [e.kind for e in CaseEvent.objects.filter(case=case, slip=slip).order_by("pk")][-4:] == [
        "slip_supplement",
        "supplement_received",
        "slip_supplement",
        "supplement_received",
    ]

    # and the answer after the materials ends the case's wait for the departments
    clock.set("2026-03-03T11:00")
    slip_reply(slip=slip, actor=handler, result="done", reply="已办结")
    assert fresh(case).status == CaseStatus.REPLIED
    assert fresh(case).result == CaseResult.DONE
    assert len(feedback_deadlines(case)) == 1


def test_supplement_received_needs_a_waiting_case(case: Case) -> None:
    before = world(case)

    with pytest.raises(ValidationError) as refused:
        case_supplement_received(case=case, actor=user(WINDOW))

    assert code_of(refused, "status") == "invalid_transition"
    assert world(case) == before


def test_supplement_received_on_a_stale_version_is_a_conflict(case: Case) -> None:
    slip_reply(
        slip=county_slip(case), actor=user("wengyuan_rsj"), result="supplement", reply="缺", supplement_note="证"
    )
    before = world(case)

    with pytest.raises(ValidationError) as refused:
        case_supplement_received(case=case, actor=user(WINDOW), expected_version=2)

    assert code_of(refused, "version") == "conflict"
    assert world(case) == before


# --- Return (退回) and re-routing (重新转办) -------------------------------------------------------------


def test_a_returned_slip_stops_its_clock_and_the_window_is_told(case: Case, clock: Clock) -> None:
    slip = city_slip(case)
    clock.set("2026-03-02T10:00")

    returned = slip_return(slip=slip, actor=user("shaoguan_rsj"), reason="  属县级事权  ")

    assert (returned.status, returned.return_reason, returned.returned_at) == (
        SlipStatus.RETURNED,
        "属县级事权",
        clock.now,
    )
    deadline = slip_deadline(slip)
    assert (deadline.state, deadline.cancelled_at) == (DeadlineState.CANCELLED, clock.now)
    row = SlipIndex.objects.get(slip_id=slip.pk)
    assert (row.status, row.returned_at) == ("returned", clock.now)
    assert recipients("slip_returned") == {WINDOW}
    assert fresh(case).status == CaseStatus.TRANSFERRED
    event = CaseEvent.objects.filter(case=case).last()
    assert event is not None
    assert (event.kind, event.from_status, event.to_status) == ("slip_returned", "sent", "returned")

    # the other department answering does not make the case replied while a slip waits to be re-routed
    slip_reply(slip=county_slip(case), actor=user("wengyuan_rsj"), result="done", reply="已办结")
    assert fresh(case).status == CaseStatus.TRANSFERRED
    assert feedback_deadlines(case) == []


def test_a_return_needs_a_reason_and_an_unanswered_slip(case: Case) -> None:
    slip = county_slip(case)
    before = world(case)
    with pytest.raises(ValidationError) as refused:
        slip_return(slip=slip, actor=user("wengyuan_rsj"), reason=" ")
    assert refused_fields(refused) == {"reason"}
    assert world(case) == before

    slip_reply(slip=slip, actor=user("wengyuan_rsj"), result="in_progress", reply="在办")
    before = world(case)
    with pytest.raises(ValidationError) as refused:
        slip_return(slip=slip, actor=user("wengyuan_rsj"), reason="不归我们")
    assert code_of(refused, "status") == "invalid_transition"
    assert world(case) == before


def test_the_window_reroutes_a_returned_slip_with_a_fresh_deadline(case: Case, clock: Clock) -> None:
    handler, _ = staff_create(
        username="wengyuan_scjgj", password="x", kind="department_handler", department_code="wengyuan/scjgj",
        check_password=False,
    )  # fmt: skip
    old = city_slip(case)
    slip_reply(slip=county_slip(case), actor=user("wengyuan_rsj"), result="done", reply="已办结")
    slip_return(slip=old, actor=user("shaoguan_rsj"), reason="属县级事权")
    clock.set("2026-03-03T15:00")

    new = slip_reroute(slip=old, actor=user(WINDOW), department_id=dept("wengyuan/scjgj").pk, complexity="complex")

    assert new.pk != old.pk
    assert new.number == f"{case.number}-3"
    assert (new.rerouted_from_id, new.status, new.sent_at) == (old.pk, SlipStatus.SENT, clock.now)
    assert (new.request, new.complexity) == (old.request, "complex")  # the request carries over
    assert TransferSlip.objects.get(pk=old.pk).status == SlipStatus.REROUTED
    deadline = slip_deadline(new)
    assert (deadline.state, deadline.start_at, deadline.rule_amount) == (DeadlineState.OPEN, clock.now, 5)
    assert deadline.owner_department_id == dept("wengyuan/scjgj").pk
    assert deadline.due_at == at("2026-03-10T17:30")
    assert SlipIndex.objects.get(slip_id=old.pk).status == "rerouted"
    new_row = SlipIndex.objects.get(slip_id=new.pk)
    assert (new_row.status, new_row.department_id, new_row.deadline_id) == ("sent", new.department_id, deadline.pk)
    assert recipients("slip_sent", event_key__endswith=f":{new.pk}:sent") == {"wengyuan_scjgj"}
    event = CaseEvent.objects.filter(case=case).last()
    assert event is not None
    assert (event.kind, event.slip_id, event.from_status, event.to_status) == (
        "slip_rerouted",
        new.pk,
        "returned",
        "rerouted",
    )
    assert fresh(case).status == CaseStatus.TRANSFERRED

    # the new department's answer is the last one: the feedback clock opens
    slip_reply(slip=new, actor=handler, result="done", reply="已办结")
    assert fresh(case).status == CaseStatus.REPLIED
    assert len(feedback_deadlines(case)) == 1


RerouteArguments = Callable[[Case], dict[str, Any]]


@pytest.mark.parametrize(
    ("arguments", "field", "code"),
    [
        (lambda case: {"department_id": dept("shaoguan/rsj").pk}, "department", None),
        (lambda case: {"department_id": dept("wengyuan/rsj").pk}, "department", None),  # has an open slip
        (lambda case: {"department_id": dept("qingcheng/rsj").pk}, "department", None),  # another city
        (lambda case: {"department_id": dept("wengyuan/gaj").pk, "complexity": "hard"}, "complexity", None),
        (lambda case: {"department_id": dept("wengyuan/gaj").pk, "expected_version": 1}, "version", "conflict"),
    ],
    ids=["same department", "department with an open slip", "not routable", "bad complexity", "stale version"],
)
def test_refused_reroute_names_the_field_and_changes_nothing(
    case: Case, arguments: RerouteArguments, field: str, code: str | None
) -> None:
    slip = city_slip(case)
    slip_return(slip=slip, actor=user("shaoguan_rsj"), reason="属县级事权")
    before = world(case)

    with pytest.raises(ValidationError) as refused:
        slip_reroute(slip=slip, actor=user(WINDOW), **arguments(case))

    assert field in refused_fields(refused)
    if code:
        assert code_of(refused, field) == code
    assert world(case) == before


def test_only_a_returned_slip_is_rerouted(case: Case) -> None:
    before = world(case)

    with pytest.raises(ValidationError) as refused:
        slip_reroute(slip=city_slip(case), actor=user(WINDOW), department_id=dept("wengyuan/gaj").pk)

    assert code_of(refused, "status") == "invalid_transition"
    assert world(case) == before


# --- Other departments, stale versions ------------------------------------------------------------------

DepartmentStep = Callable[[TransferSlip, Any], Any]

DEPARTMENT_STEPS: list[tuple[str, DepartmentStep]] = [
    ("receive", lambda slip, actor: slip_receive(slip=slip, actor=actor)),
    ("reply", lambda slip, actor: slip_reply(slip=slip, actor=actor, result="done", reply="已办结")),
    (
        "supplement",
        lambda slip, actor: slip_reply(slip=slip, actor=actor, result="supplement", reply="缺", supplement_note="证"),
    ),
    ("return", lambda slip, actor: slip_return(slip=slip, actor=actor, reason="不归我们")),
]


@pytest.mark.parametrize("step", [s for _n, s in DEPARTMENT_STEPS], ids=[n for n, _s in DEPARTMENT_STEPS])
@pytest.mark.parametrize("outsider", ["shaoguan_rsj", WINDOW, "wengyuan_lead", "shaoguan_supervisor"])
def test_anyone_but_the_slips_department_is_told_it_does_not_exist(
    case: Case, step: DepartmentStep, outsider: str
) -> None:
    slip = county_slip(case)
    before = world(case)

    with pytest.raises(Http404):
        step(slip, user(outsider))

    assert world(case) == before


@pytest.mark.parametrize("step", [s for _n, s in DEPARTMENT_STEPS], ids=[n for n, _s in DEPARTMENT_STEPS])
def test_the_department_lead_works_the_slips_too(case: Case, step: DepartmentStep) -> None:
    step(county_slip(case), user("wengyuan_rsj_lead"))

    assert TransferSlip.objects.get(pk=county_slip(case).pk).version == 2


@pytest.mark.parametrize("step", ["receive", "reply", "return", "reroute"])
def test_a_stale_slip_version_is_a_conflict(case: Case, step: str) -> None:
    slip = county_slip(case)
    if step == "reroute":
        slip_return(slip=slip, actor=user("wengyuan_rsj"), reason="不归我们")  # version 2
    else:
        slip_receive(slip=slip, actor=user("wengyuan_rsj"))  # version 2
    before = world(case)
    handler = user("wengyuan_rsj")
    calls: dict[str, Callable[[], Any]] = {
        "receive": lambda: slip_receive(slip=slip, actor=handler, expected_version=1),
        "reply": lambda: slip_reply(slip=slip, actor=handler, result="done", reply="x", expected_version=1),
        "return": lambda: slip_return(slip=slip, actor=handler, reason="x", expected_version=1),
        "reroute": lambda: slip_reroute(
            slip=slip, actor=user(WINDOW), department_id=dept("wengyuan/gaj").pk, expected_version=1
        ),
    }

    with pytest.raises(ValidationError) as refused:
        calls[step]()

    assert refused_fields(refused) == {"version"}
    assert code_of(refused, "version") == "conflict"
    assert world(case) == before
