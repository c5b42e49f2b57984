"""Taking back 办结归档 and 不予受理 shortly after (casework/services.py: case_close_undo,
case_screen_out_undo): a recorded reversal, within CASE_UNDO_MINUTES, by who took the step or the
hall's lead, never after an SMS went to the person; a refusal changes nothing."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from casework import notices
from casework.choices import CaseStatus
from casework.models import Case, CaseEvent
from casework.selectors import case_undo_step
from casework.services import (
    case_answer_on_spot,
    case_close,
    case_close_undo,
    case_follow_up,
    case_screen_out,
    case_screen_out_undo,
)
from hallplatform.audit.models import AuditEvent
from hallplatform.schemas import use_hall_schema
from tests.casework.support import Clock, code_of, install_clock, register, world
from tests.conftest import user

WINDOW = "wengyuan_window"
LEAD = "wengyuan_lead"


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return install_clock(monkeypatch)


@pytest.fixture
def hall(demo: dict[str, Any], clock: Clock) -> Any:
    use_hall_schema(demo["wengyuan"])
    return demo["wengyuan"]


def fresh(case: Case) -> Case:
    return Case.objects.get(pk=case.pk)


@pytest.fixture
def closed(hall: Any, clock: Clock) -> Case:
    """Answered on the spot at 09:00, followed up, closed at 09:30 with a note."""
    case = register(hall)
    case_answer_on_spot(case=case, actor=user(WINDOW), category="consultation", answer="请携带户口簿办理")
    case_follow_up(
        case=fresh(case), actor=user(WINDOW), method="phone", date=date(2026, 3, 2), satisfaction="satisfied"
    )
    clock.set("2026-03-02T09:30")
    return case_close(case=fresh(case), actor=user(WINDOW), note="归档")


@pytest.fixture
def screened(hall: Any, clock: Clock) -> Case:
    case = register(hall)
    clock.set("2026-03-02T09:10")
    return case_screen_out(case=case, actor=user(WINDOW), reason="petition", referral="县信访局")


def test_closing_is_taken_back_within_the_window(closed: Case, clock: Clock) -> None:
    assert case_undo_step(actor=user(WINDOW), case=closed) == "close"
    clock.set("2026-03-02T09:39")
    events = CaseEvent.objects.filter(case=closed).count()

    case = case_close_undo(case=closed, actor=user(WINDOW), reason="误点办结", expected_version=closed.version)

    case = fresh(case)
    assert (case.status, case.closed_at, case.version) == (CaseStatus.FOLLOWED_UP, None, closed.version + 1)
    assert "归档" not in case.remarks
    kinds = list(CaseEvent.objects.filter(case=case).order_by("at", "id").values_list("kind", flat=True))
    assert kinds[-2:] == ["closed", "close_undone"]  # the closing stays; the reversal follows it
    assert CaseEvent.objects.filter(case=case).count() == events + 1
    undone = CaseEvent.objects.filter(case=case, kind="close_undone").get()
    assert (undone.from_status, undone.to_status, undone.changes) == ("closed", "followed_up", {"reason": "误点办结"})
    audit = AuditEvent.objects.get(action="case.close_undo", target_id=str(case.pk))
    assert audit.changes["status"] == ["closed", "followed_up"]
    # and the case can be closed again
    assert case_close(case=case, actor=user(WINDOW)).status == CaseStatus.CLOSED


def test_closing_is_not_taken_back_after_the_window(closed: Case, clock: Clock) -> None:
    clock.set("2026-03-02T09:40:01")
    before = world(closed)

    with pytest.raises(ValidationError) as refused:
        case_close_undo(case=closed, actor=user(WINDOW), reason="误点办结")

    assert code_of(refused, "status") == "invalid_transition"
    assert "10" in refused.value.message_dict["status"][0]
    assert world(closed) == before
    assert fresh(closed).status == CaseStatus.CLOSED and fresh(closed).closed_at is not None
    assert case_undo_step(actor=user(WINDOW), case=closed) == ""


def test_closing_is_not_taken_back_once_an_sms_went_to_the_person(closed: Case, hall: Any, clock: Clock) -> None:
    clock.set("2026-03-02T09:32")
    sent = notices.notify_person(
        kind="person_result",
        event_key=f"case:{closed.pk}:result:test",
        hall=hall,
        case=closed,
        context={"case_number": closed.number, "result_label": "办结", "hall_name": hall.name},
    )
    assert sent
    clock.set("2026-03-02T09:33")
    before = world(closed)

    with pytest.raises(ValidationError) as refused:
        case_close_undo(case=closed, actor=user(WINDOW), reason="误点办结")

    assert code_of(refused, "status") == "invalid_transition"
    assert world(closed) == before
    assert case_undo_step(actor=user(WINDOW), case=closed) == ""


def test_an_sms_before_the_step_does_not_block_taking_it_back(hall: Any, clock: Clock) -> None:
    case = register(hall)  # the registration SMS went at 09:00
    clock.set("2026-03-02T09:05")
    case = case_screen_out(case=case, actor=user(WINDOW), reason="petition", referral="县信访局")
    clock.set("2026-03-02T09:06")
    assert case_screen_out_undo(case=case, actor=user(WINDOW), reason="误判").status == CaseStatus.REGISTERED


def test_a_reason_is_needed_and_a_refusal_changes_nothing(closed: Case, clock: Clock) -> None:
    clock.set("2026-03-02T09:31")
    before = world(closed)

    with pytest.raises(ValidationError) as refused:
        case_close_undo(case=closed, actor=user(WINDOW), reason="  ")

    assert set(refused.value.message_dict) == {"reason"}
    assert world(closed) == before


def test_not_accepted_is_taken_back_by_the_hall_lead(screened: Case, clock: Clock) -> None:
    clock.set("2026-03-02T09:15")
    assert case_undo_step(actor=user(LEAD), case=screened) == "screen_out"

    case = case_screen_out_undo(case=screened, actor=user(LEAD), reason="属于本窗口受理范围")

    case = fresh(case)
    assert (case.status, case.exclusion_reason, case.referral, case.screened_at) == (
        CaseStatus.REGISTERED, "", "", None,
    )  # fmt: skip
    kinds = list(CaseEvent.objects.filter(case=case).order_by("at", "id").values_list("kind", flat=True))
    assert kinds == ["registered", "screened_out", "screen_out_undone"]
    assert AuditEvent.objects.filter(action="case.screen_out_undo", target_id=str(case.pk)).count() == 1


def test_someone_else_of_the_window_may_not_take_it_back(screened: Case, clock: Clock) -> None:
    clock.set("2026-03-02T09:15")
    other = user("wengyuan_rsj")  # not who took the step, not the hall's lead
    before = world(screened)

    with pytest.raises(ValidationError) as refused:
        case_screen_out_undo(case=screened, actor=other, reason="误判")

    assert code_of(refused, "status") == "invalid_transition"
    assert world(screened) == before
    assert case_undo_step(actor=other, case=screened) == ""


def test_not_accepted_is_not_taken_back_after_the_window(screened: Case, clock: Clock, settings: Any) -> None:
    settings.CASE_UNDO_MINUTES = 2
    clock.set("2026-03-02T09:12:30")
    before = world(screened)

    with pytest.raises(ValidationError):
        case_screen_out_undo(case=screened, actor=user(WINDOW), reason="误判")

    assert world(screened) == before and fresh(screened).status == CaseStatus.NOT_ACCEPTED


def test_an_open_case_has_nothing_to_take_back(hall: Any) -> None:
    case = register(hall)
    before = world(case)
    with pytest.raises(ValidationError) as refused:
        case_close_undo(case=case, actor=user(WINDOW), reason="x")
    assert code_of(refused, "status") == "invalid_transition"
    assert world(case) == before
