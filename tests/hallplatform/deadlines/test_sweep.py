"""The deadline sweep: yellow warnings, red breaches, escalation along the hall's chain, once each."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hallplatform.deadlines.models import (
    Deadline,
    DeadlineKind,
    DeadlineRule,
    DeadlineState,
    EscalationPolicy,
)
from hallplatform.deadlines.services import deadline_meet, deadline_open, deadline_pause
from hallplatform.deadlines.sweep import deadline_sweep
from notifications.models import Notice
from tenants.models import Department
from tests.conftest import user

TZ = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 3, 2, 9, 0, tzinfo=TZ)  # Monday; 2 working days → Wed 4 March 17:30


def slip(
    demo: dict[str, Any], subject_id: int, *, department: bool = True, owner: str | None = "wengyuan_rsj"
) -> Deadline:
    return deadline_open(
        hall=demo["wengyuan"],
        kind=DeadlineKind.SLIP_REPLY,
        subject=("casework.TransferSlip", subject_id),
        start=START,
        rule=DeadlineRule.WORKING_DAYS,
        amount=2,
        owner_user=user(owner) if owner else None,
        owner_department=Department.objects.get(hall=demo["wengyuan"], code="rsj") if department else None,
    )


def notices_of(deadline: Deadline) -> list[tuple[str, str]]:
    rows = Notice.objects.filter(event_key__startswith=f"deadline:{deadline.pk}:").select_related("recipient_user")
    return sorted((n.event_key.split(":", 2)[2], n.recipient_user.username) for n in rows)


def test_nothing_happens_before_the_warning_time(demo: dict[str, Any]) -> None:
    deadline = slip(demo, 1)

    result = deadline_sweep(now=deadline.warn_at - timedelta(seconds=1))

    assert (result.warned, result.breached, result.escalated) == (0, 0, 0)
    assert notices_of(deadline) == []


def test_warning_then_breach_then_escalation_along_the_chain(demo: dict[str, Any]) -> None:
    deadline = slip(demo, 2)

    # yellow: 75 % of the working time used
    result = deadline_sweep(now=deadline.warn_at)
    deadline.refresh_from_db()
    assert result.warned == 1 and deadline.warned_at is not None
    assert notices_of(deadline) == [("warning", "wengyuan_rsj")]

    # the same sweep again finds nothing to do
    assert deadline_sweep(now=deadline.warn_at).warned == 0

    # red: at the due time the handler is told, and the next step is scheduled in working time
    result = deadline_sweep(now=deadline.due_at)
    deadline.refresh_from_db()
    assert result.breached == 1
    assert deadline.state == DeadlineState.BREACHED
    assert deadline.escalation_level == 1
    # 195 working minutes after Wed 17:30 → Thu 5 March 11:45
    assert deadline.next_escalation_at == datetime(2026, 3, 5, 11, 45, tzinfo=TZ)
    assert ("breach", "wengyuan_rsj") in notices_of(deadline)

    # then department lead, hall lead, city supervisor, one step each, and no more
    expected = ["wengyuan_rsj_lead", "wengyuan_lead", "shaoguan_supervisor"]
    for level, username in enumerate(expected, start=2):
        assert deadline.next_escalation_at is not None
        result = deadline_sweep(now=deadline.next_escalation_at)
        deadline.refresh_from_db()
        assert result.escalated == 1
        assert (f"escalation:{level}", username) in notices_of(deadline)
    assert deadline.next_escalation_at is None
    assert deadline_sweep(now=deadline.due_at + timedelta(days=30)).escalated == 0
    assert len(notices_of(deadline)) == 5


def test_a_level_with_nobody_is_skipped(demo: dict[str, Any]) -> None:
    # a deadline without a department: the window staff are its handlers, the hall lead comes next
    deadline = slip(demo, 3, department=False, owner=None)

    deadline_sweep(now=deadline.due_at)
    deadline.refresh_from_db()
    assert notices_of(deadline) == [("breach", "wengyuan_window"), ("warning", "wengyuan_window")]

    assert deadline.next_escalation_at is not None
    deadline_sweep(now=deadline.next_escalation_at)
    assert ("escalation:3", "wengyuan_lead") in notices_of(deadline)


def test_the_chain_is_hall_policy(demo: dict[str, Any]) -> None:
    EscalationPolicy.objects.create(hall=demo["wengyuan"], chain=["handler", "city_supervisor"], step_minutes=60)
    deadline = slip(demo, 4)

    deadline_sweep(now=deadline.due_at)
    deadline.refresh_from_db()
    assert deadline.next_escalation_at == datetime(2026, 3, 5, 9, 30, tzinfo=TZ)  # 60 working minutes later
    deadline_sweep(now=deadline.next_escalation_at)
    deadline.refresh_from_db()

    assert ("escalation:2", "shaoguan_supervisor") in notices_of(deadline)
    assert deadline.next_escalation_at is None


def test_met_and_paused_deadlines_are_left_alone(demo: dict[str, Any]) -> None:
    met = deadline_meet(deadline=slip(demo, 5), at=START + timedelta(hours=1))
    paused = deadline_pause(deadline=slip(demo, 6), at=START + timedelta(hours=1))

    result = deadline_sweep(now=START + timedelta(days=30))

    assert (result.warned, result.breached) == (0, 0)
    assert notices_of(met) == [] and notices_of(paused) == []
    assert Deadline.objects.get(pk=paused.pk).state == DeadlineState.PAUSED


def test_one_sweep_handles_many_halls(demo: dict[str, Any]) -> None:
    deadlines = [
        deadline_open(
            hall=demo[code],
            kind=DeadlineKind.FEEDBACK,
            subject=("casework.Case", 100),
            start=START,
            rule=DeadlineRule.HALF_DAY,
        )
        for code in ("wengyuan", "nanxiong", "shaoguan")
    ]

    result = deadline_sweep(now=START + timedelta(days=1))

    assert (result.warned, result.breached) == (3, 3)
    assert {d.state for d in Deadline.objects.filter(pk__in=[d.pk for d in deadlines])} == {DeadlineState.BREACHED}
