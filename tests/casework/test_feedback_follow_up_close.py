"""Feedback to the person (rule art. 5(4)), follow-up (回访, art. 8), reopen and close:
casework/services.py: case_feedback_record, case_follow_up, case_reopen, case_close, and the SMS to the
person through the "case" resolver (casework/notices.py)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from casework.choices import UNSATISFIED, CaseResult, CaseStatus, ExclusionReason, Satisfaction
from casework.models import Case, CaseEvent
from casework.selectors import case_steps_allowed
from casework.services import (
    case_answer_on_spot,
    case_close,
    case_feedback_record,
    case_follow_up,
    case_reopen,
    case_screen_out,
    case_sms_opt_out_set,
    slip_reply,
)
from hallplatform.audit.models import AuditEvent
from hallplatform.deadlines.models import Deadline, DeadlineKind, DeadlineState
from hallplatform.schemas import current_schema_name, use_hall_schema, use_public_schema
from notifications.models import Notice
from notifications.resolvers import UnresolvableRecipient, person_phone_resolve
from tests.casework.support import (
    Clock,
    at,
    code_of,
    draft,
    install_clock,
    notices_to,
    refused_fields,
    register,
    slips_of,
    transfer,
    world,
)
from tests.conftest import user

WINDOW = "wengyuan_window"
MONDAY = date(2026, 3, 2)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return install_clock(monkeypatch)


@pytest.fixture
def hall(demo: dict[str, Any], clock: Clock) -> Any:
    use_hall_schema(demo["wengyuan"])
    return demo["wengyuan"]


def replied(case: Case, clock: Clock, result: str = "done") -> Case:
    """Transfer ``case`` at 09:00 to the county 人社局, which answers at 10:00 (feedback due 15:45)."""
    transfer(case, draft("wengyuan/rsj"))
    clock.set("2026-03-02T10:00")
    [slip] = [s for s in slips_of(case) if s.is_open]
    slip_reply(slip=slip, actor=user("wengyuan_rsj"), result=result, reply="已办结")
    return Case.objects.get(pk=case.pk)


@pytest.fixture
def case(hall: Any, clock: Clock) -> Case:
    return replied(register(hall), clock)


def feedback_deadline(case: Case) -> Deadline:
    return Deadline.objects.filter(kind=DeadlineKind.FEEDBACK, subject_id=str(case.pk)).latest("pk")


def fresh(case: Case) -> Case:
    return Case.objects.get(pk=case.pk)


# --- Feedback -------------------------------------------------------------------------------------------


def test_feedback_meets_the_half_day_deadline(case: Case, clock: Clock) -> None:
    deadline = feedback_deadline(case)
    assert (deadline.state, deadline.due_at) == (DeadlineState.OPEN, at("2026-03-02T15:45"))
    clock.set("2026-03-02T11:00")

    told = case_feedback_record(case=case, actor=user(WINDOW), method="phone", content="  已电话告知办结  ")

    assert (told.status, told.feedback_method, told.feedback_content, told.fed_back_at) == (
        CaseStatus.FED_BACK,
        "phone",
        "已电话告知办结",
        clock.now,
    )
    deadline.refresh_from_db()
    assert (deadline.state, deadline.met_at) == (DeadlineState.MET, clock.now)
    meet = AuditEvent.objects.get(action="deadline.meet", target_id=str(deadline.pk))
    assert meet.changes == {"on_time": True}
    # no SMS unless asked for
    assert notices_to("person_result") == []
    event = CaseEvent.objects.filter(case=case).last()
    assert event is not None
    assert (event.kind, event.from_status, event.to_status) == ("fed_back", "replied", "fed_back")
    assert event.changes == {"method": "phone", "sms": False}


def test_late_feedback_still_meets_the_deadline_late(case: Case, clock: Clock) -> None:
    clock.set("2026-03-03T09:00")

    case_feedback_record(case=case, actor=user(WINDOW), method="on_site", content="当面告知")

    deadline = feedback_deadline(case)
    assert deadline.state == DeadlineState.MET
    assert AuditEvent.objects.get(action="deadline.meet", target_id=str(deadline.pk)).changes == {"on_time": False}


def test_feedback_by_sms_when_asked(case: Case) -> None:
    case_feedback_record(case=case, actor=user(WINDOW), method="sms", content="短信告知", send_sms=True)

    [sms] = notices_to("person_result")
    assert (sms.channel, sms.recipient_ref, sms.recipient_user_id) == ("sms", f"case:{case.pk}", None)
    assert sms.event_key == f"case:{case.pk}:result:0"
    assert sms.context["case_number"] == case.number
    assert "13812345678" not in sms.body
    assert CaseEvent.objects.filter(case=case, kind="fed_back").get().changes["sms"] is True


def test_no_sms_to_a_person_who_opted_out(case: Case) -> None:
    case = case_sms_opt_out_set(case=case, actor=user(WINDOW), opt_out=True)
    before = world(case)

    with pytest.raises(ValidationError) as refused:
        case_feedback_record(case=case, actor=user(WINDOW), method="sms", content="短信告知", send_sms=True)

    assert refused_fields(refused) == {"send_sms"}
    assert world(case) == before
    assert feedback_deadline(case).state == DeadlineState.OPEN
    # told another way, without SMS, the feedback is recorded
    case_feedback_record(case=case, actor=user(WINDOW), method="phone", content="电话告知")
    assert fresh(case).status == CaseStatus.FED_BACK
    assert notices_to("person_result") == []


@pytest.mark.parametrize(
    ("arguments", "fields"),
    [
        ({"method": "pigeon", "content": "x"}, {"method"}),
        ({"method": "phone", "content": " "}, {"content"}),
    ],
)
def test_refused_feedback_names_the_field_and_changes_nothing(
    case: Case, arguments: dict[str, str], fields: set[str]
) -> None:
    before = world(case)

    with pytest.raises(ValidationError) as refused:
        case_feedback_record(case=case, actor=user(WINDOW), **arguments)

    assert refused_fields(refused) == fields
    assert world(case) == before


def test_feedback_waits_for_the_departments(hall: Any) -> None:
    case = transfer(register(hall), draft("wengyuan/rsj"))
    before = world(case)

    with pytest.raises(ValidationError) as refused:
        case_feedback_record(case=case, actor=user(WINDOW), method="phone", content="x")

    assert code_of(refused, "status") == "invalid_transition"
    assert world(case) == before


# --- The SMS to the person: registration, and the "case" resolver ------------------------------------


def test_registration_sms_is_queued_unless_the_person_opted_out(hall: Any) -> None:
    willing = register(hall)
    unwilling = register(hall, sms_opt_out=True)

    [sms] = notices_to("person_registered")
    assert (sms.recipient_ref, sms.channel, sms.event_key) == (
        f"case:{willing.pk}",
        "sms",
        f"case:{willing.pk}:registered",
    )
    assert sms.hall_id == hall.pk
    assert not Notice.objects.filter(recipient_ref=f"case:{unwilling.pk}").exists()
    assert Case.objects.get(pk=unwilling.pk).sms_opt_out is True


def test_the_case_resolver_gives_the_phone_unless_opted_out(hall: Any) -> None:
    case = register(hall)

    assert person_phone_resolve(hall=hall, recipient_ref=f"case:{case.pk}") == "13812345678"
    # from the public schema too (the delivery task), and the connection goes back there
    use_public_schema()
    assert person_phone_resolve(hall=hall, recipient_ref=f"case:{case.pk}") == "13812345678"
    assert current_schema_name() == "public"

    use_hall_schema(hall)
    case_sms_opt_out_set(case=case, actor=user(WINDOW), opt_out=True)
    with pytest.raises(UnresolvableRecipient):
        person_phone_resolve(hall=hall, recipient_ref=f"case:{case.pk}")
    for missing in (f"case:{case.pk + 1000}", "case:abc", "case:"):
        with pytest.raises(UnresolvableRecipient):
            person_phone_resolve(hall=hall, recipient_ref=missing)


def test_the_case_resolver_reads_only_the_notices_hall(hall: Any, demo: dict[str, Any]) -> None:
    case = register(hall)

    # the same id in another hall's schema is another case (there: none)
    with pytest.raises(UnresolvableRecipient):
        person_phone_resolve(hall=demo["nanxiong"], recipient_ref=f"case:{case.pk}")


def test_opting_out_is_recorded_once(hall: Any) -> None:
    case = register(hall)

    case_sms_opt_out_set(case=case, actor=user(WINDOW), opt_out=True)
    case_sms_opt_out_set(case=case, actor=user(WINDOW), opt_out=True)

    assert fresh(case).version == 2
    assert [e.changes for e in CaseEvent.objects.filter(case=case, kind="sms_opt_out")] == [{"sms_opt_out": True}]


# --- Follow-up, reopen, close ---------------------------------------------------------------------------


@pytest.fixture
def fed_back(case: Case) -> Case:
    return case_feedback_record(case=case, actor=user(WINDOW), method="phone", content="已电话告知办结")


@pytest.mark.parametrize("satisfaction", Satisfaction.values)
def test_follow_up_on_five_levels_and_reopen_only_when_dissatisfied(fed_back: Case, satisfaction: str) -> None:
    followed = case_follow_up(
        case=fed_back, actor=user(WINDOW), method="phone", date=MONDAY, satisfaction=satisfaction, note=" 回访 "
    )

    assert (followed.status, followed.satisfaction, followed.follow_up_date, followed.follow_up_note) == (
        CaseStatus.FOLLOWED_UP,
        satisfaction,
        MONDAY,
        "回访",
    )
    event = CaseEvent.objects.filter(case=fed_back).last()
    assert event is not None
    assert (event.kind, event.from_status, event.to_status) == ("followed_up", "fed_back", "followed_up")
    assert event.changes["satisfaction"] == satisfaction

    before = world(fed_back)
    if satisfaction in UNSATISFIED:
        reopened = case_reopen(case=fed_back, actor=user(WINDOW), reason="群众仍不满意")
        assert (reopened.status, reopened.reopened_count, reopened.result, reopened.satisfaction) == (
            CaseStatus.REOPENED,
            1,
            "",
            "",
        )
        earlier = CaseEvent.objects.filter(case=fed_back).last()
        assert earlier is not None and earlier.changes["earlier"]["satisfaction"] == satisfaction
    else:
        with pytest.raises(ValidationError) as refused:
            case_reopen(case=fed_back, actor=user(WINDOW), reason="想重办")
        assert code_of(refused, "status") == "invalid_transition"
        assert world(fed_back) == before


@pytest.mark.parametrize(
    ("arguments", "fields"),
    [
        ({"method": "telepathy", "date": MONDAY, "satisfaction": "satisfied"}, {"method"}),
        ({"method": "phone", "date": None, "satisfaction": "satisfied"}, {"date"}),
        ({"method": "phone", "date": date(2026, 3, 3), "satisfaction": "satisfied"}, {"date"}),  # tomorrow
        ({"method": "phone", "date": MONDAY, "satisfaction": "ok"}, {"satisfaction"}),
    ],
)
def test_refused_follow_up_names_the_field_and_changes_nothing(
    fed_back: Case, arguments: dict[str, Any], fields: set[str]
) -> None:
    before = world(fed_back)

    with pytest.raises(ValidationError) as refused:
        case_follow_up(case=fed_back, actor=user(WINDOW), **arguments)

    assert refused_fields(refused) == fields
    assert world(fed_back) == before


def test_reopen_needs_a_reason(fed_back: Case) -> None:
    case_follow_up(case=fed_back, actor=user(WINDOW), method="phone", date=MONDAY, satisfaction="dissatisfied")
    before = world(fed_back)

    with pytest.raises(ValidationError) as refused:
        case_reopen(case=fed_back, actor=user(WINDOW), reason="  ")

    assert refused_fields(refused) == {"reason"}
    assert world(fed_back) == before


def test_close_needs_the_result_and_the_feedback(fed_back: Case) -> None:
    # a case whose answer was never recorded cannot be closed
    for emptied, field in (({"result": ""}, "result"), ({"feedback_content": ""}, "feedback")):
        Case.objects.filter(pk=fed_back.pk).update(**emptied)
        before = world(fed_back)
        with pytest.raises(ValidationError) as refused:
            case_close(case=fed_back, actor=user(WINDOW))
        assert field in refused_fields(refused)
        assert world(fed_back) == before
        Case.objects.filter(pk=fed_back.pk).update(result="done", feedback_content="已电话告知办结")

    closed = case_close(case=fed_back, actor=user(WINDOW), note="归档")
    assert (closed.status, closed.remarks) == (CaseStatus.CLOSED, "归档")


def test_close_before_feedback_is_refused(case: Case) -> None:
    before = world(case)

    with pytest.raises(ValidationError) as refused:
        case_close(case=case, actor=user(WINDOW))

    assert code_of(refused, "status") == "invalid_transition"
    assert world(case) == before


def test_a_case_answered_on_the_spot_closes(hall: Any) -> None:
    case = register(hall)
    case_answer_on_spot(case=case, actor=user(WINDOW), category="consultation", answer="一次性告知所需材料")

    closed = case_close(case=case, actor=user(WINDOW))

    assert closed.status == CaseStatus.CLOSED


def test_a_reopened_case_is_transferred_and_closed_again(hall: Any, clock: Clock) -> None:
    window = user(WINDOW)
    case = replied(register(hall), clock)
    clock.set("2026-03-02T11:00")
    case_feedback_record(case=case, actor=window, method="sms", content="短信告知", send_sms=True)
    case_follow_up(case=case, actor=window, method="phone", date=MONDAY, satisfaction="very_dissatisfied")
    case_close(case=case, actor=window)
    # dissatisfied after closing: the case can still be reopened
    clock.set("2026-03-03T09:00")
    case_reopen(case=case, actor=window, reason="群众仍不满意")

    # the window transfers it again, to the same department
    clock.set("2026-03-03T09:30")
    again = transfer(case, draft("wengyuan/rsj", "请重新核实"), category="refused")
    assert (again.status, again.flagged_for_supervision) == (CaseStatus.TRANSFERRED, True)
    slips = slips_of(case)
    assert [s.number for s in slips] == [f"{case.number}-1", f"{case.number}-2"]
    clock.set("2026-03-03T10:00")
    slip_reply(slip=slips[1], actor=user("wengyuan_rsj"), result="in_progress", reply="正在办理")
    assert fresh(case).result == CaseResult.IN_PROGRESS  # the earlier slip's "done" does not count
    feedbacks = list(Deadline.objects.filter(kind=DeadlineKind.FEEDBACK, subject_id=str(case.pk)).order_by("pk"))
    assert [d.state for d in feedbacks] == [DeadlineState.MET, DeadlineState.OPEN]
    clock.set("2026-03-03T11:00")
    case_feedback_record(case=case, actor=window, method="sms", content="短信告知在办", send_sms=True)
    case_follow_up(case=case, actor=window, method="visit", date=date(2026, 3, 3), satisfaction="satisfied")
    closed = case_close(case=case, actor=window)

    assert (closed.status, closed.reopened_count) == (CaseStatus.CLOSED, 1)
    # each feedback round sent its own SMS
    assert [n.event_key for n in notices_to("person_result")] == [
        f"case:{case.pk}:result:0",
        f"case:{case.pk}:result:1",
    ]
    transitions = list(
        CaseEvent.objects.filter(case=case).exclude(slip__isnull=False).order_by("pk").values_list(
            "kind", "from_status", "to_status")
    )  # fmt: skip
    assert transitions == [
        ("registered", "", "registered"),
        ("transferred", "registered", "transferred"),
        ("fed_back", "replied", "fed_back"),
        ("followed_up", "fed_back", "followed_up"),
        ("closed", "followed_up", "closed"),
        ("reopened", "closed", "reopened"),
        ("transferred", "reopened", "transferred"),
        ("fed_back", "replied", "fed_back"),
        ("followed_up", "fed_back", "followed_up"),
        ("closed", "followed_up", "closed"),
    ]
    slip_events = list(
        CaseEvent.objects.filter(case=case, slip__isnull=False).order_by("pk").values_list(
            "kind", "slip__number", "from_status", "to_status")
    )  # fmt: skip
    assert slip_events == [
        ("slip_replied", f"{case.number}-1", "sent", "replied"),
        ("slip_replied", f"{case.number}-2", "sent", "replied"),
    ]
    assert all(e.actor_id is not None and e.at is not None for e in CaseEvent.objects.filter(case=case))


def test_the_result_of_a_reopened_case_comes_from_its_new_answers(hall: Any, clock: Clock) -> None:
    # the first round ended "in progress", the person was dissatisfied
    window = user(WINDOW)
    case = replied(register(hall), clock, result="in_progress")
    assert case.result == CaseResult.IN_PROGRESS
    case_feedback_record(case=case, actor=window, method="phone", content="在办")
    case_follow_up(case=case, actor=window, method="phone", date=MONDAY, satisfaction="dissatisfied")
    case_reopen(case=case, actor=window, reason="仍未办结")

    # when the second round's only answer is "done"
    clock.set("2026-03-02T15:00")
    transfer(case, draft("wengyuan/rsj", "请办结"))
    clock.set("2026-03-02T16:00")
    slip_reply(slip=slips_of(case)[1], actor=user("wengyuan_rsj"), result="done", reply="已办结")

    # then the case is done: the first round's "in progress" is history
    assert fresh(case).result == CaseResult.DONE


@pytest.mark.parametrize(("satisfaction", "offered"), [("satisfied", False), ("dissatisfied", True)])
def test_the_sms_preference_is_offered_while_an_sms_may_still_go(
    fed_back: Case, satisfaction: str, offered: bool
) -> None:
    """Not on a case not accepted, nor on a closed one, unless the person's dissatisfaction lets it
    be reopened (then SMS may go again)."""
    window = user(WINDOW)
    assert "sms_opt_out" in case_steps_allowed(actor=window, case=fed_back, window=True)
    followed = case_follow_up(case=fed_back, actor=window, method="phone", date=MONDAY, satisfaction=satisfaction)
    closed = case_close(case=followed, actor=window, note="归档")
    assert closed.status == CaseStatus.CLOSED
    assert ("sms_opt_out" in case_steps_allowed(actor=window, case=closed, window=True)) is offered


def test_the_sms_preference_is_not_offered_on_a_case_not_accepted(hall: Any) -> None:
    case = case_screen_out(
        case=register(hall), actor=user(WINDOW), reason=ExclusionReason.values[0], referral="12345热线"
    )
    assert case.status == CaseStatus.NOT_ACCEPTED
    assert "sms_opt_out" not in case_steps_allowed(actor=user(WINDOW), case=case, window=True)
