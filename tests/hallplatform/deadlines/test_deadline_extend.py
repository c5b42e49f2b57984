"""A granted 延期: deadline_extend (hallplatform/deadlines/services.py) adds working days from the due time."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError

from hallplatform.audit.models import AuditEvent
from hallplatform.deadlines.models import Deadline, DeadlineState
from hallplatform.deadlines.services import deadline_extend, deadline_pause, deadline_recompute_for_calendar_change
from tests.hallplatform.deadlines.test_services import at, open_slip


def test_working_days_are_added_from_the_due_time_across_the_weekend(demo: dict[str, Any]) -> None:
    deadline = open_slip(demo["wengyuan"], "2026-03-02T09:00", subject_id=31)  # Mon: due Wed 17:30
    assert deadline.due_at == at("2026-03-04T17:30")

    extended = deadline_extend(deadline=deadline, days=3, at=at("2026-03-03T10:00"))

    assert extended.due_at == at("2026-03-09T17:30")  # Thu, Fri, (weekend), Mon
    assert extended.rule_amount == 5 and extended.state == DeadlineState.OPEN
    assert at("2026-03-03T10:00") < extended.warn_at < extended.due_at
    audit = AuditEvent.objects.get(action="deadline.extend", target_id=str(deadline.pk))
    assert audit.changes["days"] == 3 and audit.changes["to"] == extended.due_at.isoformat()
    # a calendar recompute keeps the extension (start + rule amount)
    deadline_recompute_for_calendar_change(
        hall_id=demo["wengyuan"].pk, first=at("2026-03-01").date(), last=at("2026-03-31").date()
    )
    assert Deadline.objects.get(pk=deadline.pk).due_at == at("2026-03-09T17:30")


def test_refusals_change_nothing(demo: dict[str, Any]) -> None:
    deadline = open_slip(demo["wengyuan"], "2026-03-02T09:00", subject_id=32)
    audited = AuditEvent.objects.count()
    for days, now in ((0, "2026-03-03T10:00"), (1, "2026-03-10T10:00")):  # no day; new due already past
        with pytest.raises(ValidationError) as refused:
            deadline_extend(deadline=deadline, days=days, at=at(now))
        assert set(refused.value.message_dict) == {"days"}
    deadline.refresh_from_db()
    assert (deadline.due_at, deadline.rule_amount, AuditEvent.objects.count()) == (at("2026-03-04T17:30"), 2, audited)
    paused = deadline_pause(deadline=deadline, at=at("2026-03-03T10:00"))
    events = AuditEvent.objects.count()
    with pytest.raises(ValidationError):
        deadline_extend(deadline=paused, days=2, at=at("2026-03-03T11:00"))
    paused.refresh_from_db()
    assert (paused.state, paused.due_at, paused.rule_amount) == (DeadlineState.PAUSED, at("2026-03-04T17:30"), 2)
    assert AuditEvent.objects.count() == events
