"""More time for a slip (延期): the department asks (casework.services.slip_extension_request), the
hall's lead grants with working days through the deadline engine or refuses with a reason
(slip_extension_decide); timeline, notices both ways, audit; refusals change nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from casework.models import CaseEvent, TransferSlip
from casework.selectors import slip_extension_requests_for_case
from casework.services import slip_extension_decide, slip_extension_pending, slip_extension_request
from hallplatform.audit.models import AuditEvent
from hallplatform.deadlines.models import Deadline, DeadlineKind, DeadlineRule, DeadlineState
from hallplatform.deadlines.services import compute_due
from hallplatform.schemas import use_hall_schema
from tests.casework.support import (
    Clock,
    code_of,
    draft,
    install_clock,
    recipients,
    register,
    slips_of,
    transfer,
    world,
)
from tests.conftest import user


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return install_clock(monkeypatch)


@pytest.fixture
def hall(demo: dict[str, Any], clock: Clock) -> Any:
    use_hall_schema(demo["wengyuan"])
    return demo["wengyuan"]


@pytest.fixture
def slip(hall: Any) -> TransferSlip:
    case = transfer(register(hall), draft("wengyuan/rsj"))
    [slip] = slips_of(case)
    return slip


def deadline_of(slip: TransferSlip) -> Deadline:
    return Deadline.objects.filter(kind=DeadlineKind.SLIP_REPLY, subject_id=str(slip.pk)).latest("pk")


def fresh(slip: TransferSlip) -> TransferSlip:
    return TransferSlip.objects.get(pk=slip.pk)


def asked(slip: TransferSlip, days: int = 3) -> TransferSlip:
    return slip_extension_request(slip=slip, actor=user("wengyuan_rsj"), days=days, reason="需调取外省缴费记录")


def test_the_department_asks_and_the_lead_is_told(slip: TransferSlip) -> None:
    due = deadline_of(slip).due_at

    asked(slip)

    event = slip_extension_pending(slip=slip)
    assert event is not None and event.changes["days"] == 3 and event.changes["reason"] == "需调取外省缴费记录"
    assert recipients("slip_extension_requested") == {"wengyuan_lead"}
    assert AuditEvent.objects.filter(action="slip.extension_request", target_id=str(slip.pk)).count() == 1
    assert deadline_of(slip).due_at == due  # runs on until the lead decides
    assert fresh(slip).version == slip.version + 1
    assert list(slip_extension_requests_for_case(case=slip.case)) == [slip.pk]


@pytest.mark.parametrize(
    ("days", "reason", "field"),
    [(0, "需要时间", "days"), (11, "需要时间", "days"), ("x", "需要时间", "days"), (3, " ", "reason")],
)
def test_a_request_needs_1_to_10_days_and_a_reason(slip: TransferSlip, days: Any, reason: str, field: str) -> None:
    before = world(slip.case)
    with pytest.raises(ValidationError) as refused:
        slip_extension_request(slip=slip, actor=user("wengyuan_rsj"), days=days, reason=reason)
    assert set(refused.value.message_dict) == {field}
    assert world(slip.case) == before and slip_extension_pending(slip=slip) is None


def test_one_request_at_a_time_and_only_by_the_slips_department(slip: TransferSlip) -> None:
    asked(slip)
    slip = fresh(slip)
    before = world(slip.case)
    with pytest.raises(ValidationError) as refused:
        asked(slip)
    assert code_of(refused, "status") == "invalid_transition"
    with pytest.raises(Http404):
        slip_extension_request(slip=slip, actor=user("shaoguan_rsj"), days=2, reason="x")
    assert world(slip.case) == before


def test_the_lead_grants_working_days_from_the_due_time(slip: TransferSlip, clock: Clock) -> None:
    asked(slip)
    deadline = deadline_of(slip)
    clock.advance(hours=2)

    slip_extension_decide(slip=fresh(slip), actor=user("wengyuan_lead"), grant=True)

    after = deadline_of(slip)
    assert after.pk == deadline.pk and after.state == DeadlineState.OPEN
    expected = compute_due(hall_id=after.hall_id, rule=DeadlineRule.WORKING_DAYS, amount=2 + 3, start=after.start_at)
    assert after.due_at == expected.due_at and after.due_at > deadline.due_at and after.rule_amount == 5
    assert slip_extension_pending(slip=slip) is None
    decided = CaseEvent.objects.get(slip=slip, kind="slip_extension_decided")
    assert decided.changes["granted"] is True and decided.changes["days"] == 3
    assert recipients("slip_extension_decided") == {"wengyuan_rsj"}
    assert AuditEvent.objects.filter(action="deadline.extend", target_id=str(deadline.pk)).count() == 1
    assert AuditEvent.objects.filter(action="slip.extension_decide", target_id=str(slip.pk)).count() == 1


def test_a_breached_deadline_runs_again_when_more_time_is_given(slip: TransferSlip, clock: Clock) -> None:
    asked(slip, days=5)
    deadline = deadline_of(slip)
    clock.set(deadline.due_at + timedelta(hours=1))
    Deadline.objects.filter(pk=deadline.pk).update(state=DeadlineState.BREACHED, breached_at=deadline.due_at)

    slip_extension_decide(slip=fresh(slip), actor=user("wengyuan_lead"), grant=True, days=2)

    after = deadline_of(slip)
    assert after.state == DeadlineState.OPEN and after.due_at > clock.now
    assert after.breached_at == deadline.due_at and after.warned_at is None  # the breach stays recorded


def test_the_lead_refuses_with_a_reason_and_the_deadline_stays(slip: TransferSlip) -> None:
    asked(slip)
    due = deadline_of(slip).due_at
    before = world(slip.case)
    with pytest.raises(ValidationError) as refused:
        slip_extension_decide(slip=fresh(slip), actor=user("wengyuan_lead"), grant=False, reason="")
    assert set(refused.value.message_dict) == {"reason"}
    assert world(slip.case) == before

    slip_extension_decide(slip=fresh(slip), actor=user("wengyuan_lead"), grant=False, reason="请按期答复")

    assert deadline_of(slip).due_at == due and slip_extension_pending(slip=slip) is None
    decided = CaseEvent.objects.get(slip=slip, kind="slip_extension_decided")
    assert decided.changes == {"slip": slip.number, "granted": False, "reason": "请按期答复"}
    assert recipients("slip_extension_decided") == {"wengyuan_rsj"}


def test_only_the_hall_lead_decides_and_only_an_open_request(slip: TransferSlip) -> None:
    before = world(slip.case)
    with pytest.raises(ValidationError) as nothing:
        slip_extension_decide(slip=slip, actor=user("wengyuan_lead"), grant=True)
    assert code_of(nothing, "status") == "invalid_transition"
    asked(slip)
    before = world(slip.case)
    with pytest.raises(PermissionDenied):
        slip_extension_decide(slip=fresh(slip), actor=user("wengyuan_window"), grant=True)
    assert world(slip.case) == before and slip_extension_pending(slip=slip) is not None
