"""Deadline services: open, pause, resume, meet, cancel, recompute (hallplatform/deadlines/services.py)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from hallplatform.audit.models import AuditEvent
from hallplatform.deadlines.models import Deadline, DeadlineKind, DeadlineRule, DeadlineState
from hallplatform.deadlines.services import (
    deadline_cancel,
    deadline_meet,
    deadline_open,
    deadline_pause,
    deadline_resume,
)
from hallplatform.workdays.services import closure_add
from notifications.models import Notice
from tenants.models import Department
from tests.conftest import user

TZ = ZoneInfo("Asia/Shanghai")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


def open_slip(hall: Any, start: str, days: int = 2, subject_id: int = 1, **extra: Any) -> Deadline:
    return deadline_open(
        hall=hall,
        kind=DeadlineKind.SLIP_REPLY,
        subject=("casework.TransferSlip", subject_id),
        start=at(start),
        rule=DeadlineRule.WORKING_DAYS,
        amount=days,
        **extra,
    )


def test_two_working_days_across_national_day(demo: dict[str, Any]) -> None:
    deadline = open_slip(demo["wengyuan"], "2026-09-30T16:00")

    # day of receipt not counted; Oct 1–7 holiday; Oct 8 day 1, Oct 9 day 2, close of office hours
    assert deadline.due_at == at("2026-10-09T17:30")
    # 90 + 390 + 390 = 870 working minutes in all; 75 % (652.5) is used at 11:22:30 on Oct 9
    assert deadline.warn_at == at("2026-10-09T11:22:30")
    assert deadline.state == DeadlineState.OPEN
    assert deadline.provisional is False
    assert AuditEvent.objects.filter(action="deadline.open", target_id=str(deadline.pk)).count() == 1


def test_complex_matter_gets_five_working_days(demo: dict[str, Any]) -> None:
    deadline = open_slip(demo["wengyuan"], "2026-02-12T10:00", days=5)

    # Feb 13 (1), Sat Feb 14 make-up day (2), Feb 15–23 holiday, Feb 24 (3), 25 (4), 26 (5)
    assert deadline.due_at == at("2026-02-26T17:30")


def test_a_deadline_in_a_year_without_published_calendar_is_provisional(demo: dict[str, Any]) -> None:
    deadline = open_slip(demo["wengyuan"], "2027-12-30T10:00")

    assert deadline.provisional is True
    assert deadline.due_at.date() >= date(2027, 12, 31)


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"kind": "nonsense"}, "kind"), ({"amount": 0}, "amount")],
)
def test_refused_open_leaves_nothing(demo: dict[str, Any], changes: dict[str, Any], field: str) -> None:
    arguments: dict[str, Any] = {
        "hall": demo["wengyuan"],
        "kind": DeadlineKind.SLIP_REPLY,
        "subject": ("casework.TransferSlip", 7),
        "start": at("2026-03-02T09:00"),
        "rule": DeadlineRule.WORKING_DAYS,
        "amount": 2,
    }
    deadlines, events = Deadline.objects.count(), AuditEvent.objects.count()

    with pytest.raises(ValidationError) as refused:
        deadline_open(**{**arguments, **changes})

    assert field in refused.value.message_dict
    assert (Deadline.objects.count(), AuditEvent.objects.count()) == (deadlines, events)


def test_one_running_deadline_per_subject_and_kind(demo: dict[str, Any]) -> None:
    first = open_slip(demo["wengyuan"], "2026-03-02T09:00", subject_id=9)

    with pytest.raises(ValidationError) as refused:
        open_slip(demo["wengyuan"], "2026-03-03T09:00", subject_id=9)

    assert "kind" in refused.value.message_dict
    assert list(Deadline.objects.filter(subject_id="9")) == [first]


def test_pause_keeps_the_working_time_left_and_resume_restarts_it(demo: dict[str, Any]) -> None:
    # given a feedback deadline of half a working day: 2026-02-13 16:30 → Sat 14 Feb (make-up day) 10:45
    deadline = deadline_open(
        hall=demo["wengyuan"],
        kind=DeadlineKind.FEEDBACK,
        subject=("casework.Case", 1),
        start=at("2026-02-13T16:30"),
        rule=DeadlineRule.HALF_DAY,
    )
    assert deadline.due_at == at("2026-02-14T10:45")

    # when the clock pauses at 17:00 for missing materials (30 of 195 minutes used)
    paused = deadline_pause(deadline=deadline, at=at("2026-02-13T17:00"))
    assert paused.state == DeadlineState.PAUSED
    assert paused.remaining_seconds == 165 * 60

    # and resumes after the Spring Festival, on 24 Feb at 09:00
    resumed = deadline_resume(deadline=paused, at=at("2026-02-24T09:00"))

    # then it runs for the 165 minutes left, and the paused working time is recorded
    assert resumed.state == DeadlineState.OPEN
    assert resumed.due_at == at("2026-02-24T11:45")
    assert resumed.paused_seconds == (30 + 390 + 30) * 60
    assert resumed.remaining_seconds is None


def test_refused_transitions_change_nothing(demo: dict[str, Any]) -> None:
    deadline = open_slip(demo["wengyuan"], "2026-03-02T09:00", subject_id=11)
    with pytest.raises(ValidationError):
        deadline_resume(deadline=deadline, at=at("2026-03-02T10:00"))
    met = deadline_meet(deadline=deadline, at=at("2026-03-03T10:00"))
    events = AuditEvent.objects.count()

    for refused in (
        lambda: deadline_meet(deadline=met, at=at("2026-03-03T11:00")),
        lambda: deadline_cancel(deadline=met),
        lambda: deadline_pause(deadline=met),
    ):
        with pytest.raises(ValidationError):
            refused()

    met.refresh_from_db()
    assert met.state == DeadlineState.MET
    assert met.met_at == at("2026-03-03T10:00")
    assert AuditEvent.objects.count() == events


def test_cancel(demo: dict[str, Any]) -> None:
    deadline = open_slip(demo["wengyuan"], "2026-03-02T09:00", subject_id=12)

    cancelled = deadline_cancel(deadline=deadline, reason="returned and re-routed")

    assert cancelled.state == DeadlineState.CANCELLED
    assert AuditEvent.objects.get(action="deadline.cancel", target_id=str(deadline.pk)).changes == {
        "reason": "returned and re-routed"
    }


def test_a_closure_moves_open_deadlines_and_tells_their_owner(
    demo: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    # given a slip answered by 翁源县人社局's handler, due Tue 2026-03-03 17:30
    handler = user("wengyuan_rsj")
    deadline = open_slip(
        demo["wengyuan"],
        "2026-03-01T10:00",
        subject_id=13,
        owner_user=handler,
        owner_department=Department.objects.get(hall=demo["wengyuan"], code="rsj"),
    )
    elsewhere = open_slip(demo["nanxiong"], "2026-03-01T10:00", subject_id=13)
    assert deadline.due_at == at("2026-03-03T17:30")

    # when wengyuan closes on Mon 2 March (typhoon)
    with django_capture_on_commit_callbacks(execute=True):
        closure_add(hall=demo["wengyuan"], day=date(2026, 3, 2), reason="台风停止办公")

    # then the deadline moves one working day and its owner is told; nanxiong's is untouched
    deadline.refresh_from_db()
    elsewhere.refresh_from_db()
    assert deadline.due_at == at("2026-03-04T17:30")
    assert elsewhere.due_at == at("2026-03-03T17:30")
    notice = Notice.objects.get(event_key__startswith=f"deadline:{deadline.pk}:moved")
    assert notice.recipient_user_id == handler.pk
    assert "2026-03-03 17:30" in notice.body and "2026-03-04 17:30" in notice.body
    assert AuditEvent.objects.filter(action="deadline.recompute", target_id=str(deadline.pk)).exists()


def test_paused_deadline_is_not_swept_and_resume_moves_due(demo: dict[str, Any]) -> None:
    deadline = open_slip(demo["wengyuan"], "2026-03-02T09:00", subject_id=14)
    paused = deadline_pause(deadline=deadline, at=at("2026-03-02T09:00") + timedelta(hours=1))
    assert paused.remaining_seconds is not None and paused.remaining_seconds > 0
    assert Deadline.objects.filter(state=DeadlineState.OPEN, pk=deadline.pk).count() == 0


def test_meeting_a_deadline_records_the_working_time_taken_without_pauses(demo: dict[str, Any]) -> None:
    # received 30 Sep 16:00 (90 minutes left that day), holiday 1–7 Oct
    deadline = open_slip(demo["wengyuan"], "2026-09-30T16:00", subject_id=77)
    deadline_pause(deadline=deadline, at=at("2026-10-08T09:00"))  # 90 + 30 minutes worked
    deadline_resume(deadline=deadline, at=at("2026-10-08T10:00"))  # an hour paused

    met = deadline_meet(deadline=deadline, at=at("2026-10-08T11:00"))

    # 90 (30 Sep) + 150 (8 Oct 08:30–11:00) − 60 paused
    assert met.worked_seconds == (90 + 150 - 60) * 60
    assert met.state == DeadlineState.MET
