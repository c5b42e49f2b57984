"""The deadline sweep: run by beat every minute, safe to run twice at once or again after a crash.

Each step claims due rows with ``SELECT … FOR UPDATE SKIP LOCKED`` through partial indexes, so its
cost follows the number of due rows, not the number of halls or open deadlines. State changes and
the notices they cause (outbox rows with unique event keys) commit together; a repeated sweep finds
nothing left to do and can send nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from hallplatform.deadlines.models import (
    DEFAULT_ESCALATION_CHAIN,
    DEFAULT_ESCALATION_STEP_MINUTES,
    Deadline,
    DeadlineState,
    EscalationLevel,
    EscalationPolicy,
)
from hallplatform.deadlines.notices import Recipients, notify
from hallplatform.workdays import worktime
from hallplatform.workdays.selectors import work_calendars_for

BATCH = 1000


@dataclass
class SweepResult:
    warned: int = 0
    breached: int = 0
    escalated: int = 0
    notices: int = 0


class _Escalation:
    """Per-hall escalation policies and calendars for the rows of one batch."""

    def __init__(self, rows: list[Deadline], now: datetime) -> None:
        hall_ids = {row.hall_id for row in rows}
        self.policies = {p.hall_id: p for p in EscalationPolicy.objects.filter(hall_id__in=hall_ids)}
        today = timezone.localtime(now).date()
        self.calendars = work_calendars_for(
            hall_ids=hall_ids, first=today - timedelta(days=1), last=today + timedelta(days=60)
        )

    def chain(self, hall_id: int) -> list[str]:
        policy = self.policies.get(hall_id)
        return list(policy.chain) if policy else list(DEFAULT_ESCALATION_CHAIN)

    def next_at(self, hall_id: int, after: datetime) -> datetime:
        policy = self.policies.get(hall_id)
        step = timedelta(minutes=policy.step_minutes if policy else DEFAULT_ESCALATION_STEP_MINUTES)
        return worktime.add_working_time(self.calendars[hall_id], after, step).at


def _claim(queryset: QuerySet[Deadline]) -> list[Deadline]:
    return list(queryset.select_for_update(skip_locked=True, of=("self",)).select_related("hall")[:BATCH])


def _escalate(row: Deadline, escalation: _Escalation, recipients: Recipients, now: datetime) -> int:
    """Notify the next level of the chain that has anyone in it; schedule the one after."""
    chain = escalation.chain(row.hall_id)
    sent = 0
    while row.escalation_level < len(chain):
        level = chain[row.escalation_level]
        row.escalation_level += 1
        users = recipients.for_level(row, level)
        if users:
            event = "breach" if row.escalation_level == 1 else f"escalation:{row.escalation_level}"
            kind = "deadline_breach" if row.escalation_level == 1 else "deadline_escalation"
            sent += notify(
                deadline=row, kind=kind, event=event, user_ids=users, escalated_to=str(EscalationLevel(level).label)
            )
            break
    row.next_escalation_at = escalation.next_at(row.hall_id, now) if row.escalation_level < len(chain) else None
    return sent


def deadline_sweep(*, now: datetime | None = None) -> SweepResult:
    """Raise due yellow warnings (临期), red breaches (逾期) and escalations, one batch of each."""
    now = now or timezone.now()
    result = SweepResult()

    with transaction.atomic():
        rows = _claim(
            Deadline.objects.filter(state=DeadlineState.OPEN, warned_at__isnull=True, warn_at__lte=now).order_by(
                "warn_at"
            )
        )
        if rows:
            recipients = Recipients(rows)
            for row in rows:
                row.warned_at = now
                result.notices += notify(
                    deadline=row,
                    kind="deadline_warning",
                    event="warning",
                    user_ids=recipients.for_level(row, "handler"),
                )
            Deadline.objects.bulk_update(rows, ["warned_at"])
            result.warned = len(rows)

    with transaction.atomic():
        rows = _claim(Deadline.objects.filter(state=DeadlineState.OPEN, due_at__lte=now).order_by("due_at"))
        if rows:
            recipients = Recipients(rows)
            escalation = _Escalation(rows, now)
            for row in rows:
                row.state = DeadlineState.BREACHED
                row.breached_at = now
                row.escalation_level = 0
                result.notices += _escalate(row, escalation, recipients, now)
            Deadline.objects.bulk_update(rows, ["state", "breached_at", "escalation_level", "next_escalation_at"])
            result.breached = len(rows)

    with transaction.atomic():
        rows = _claim(
            Deadline.objects.filter(state=DeadlineState.BREACHED, next_escalation_at__lte=now).order_by(
                "next_escalation_at"
            )
        )
        if rows:
            recipients = Recipients(rows)
            escalation = _Escalation(rows, now)
            for row in rows:
                result.notices += _escalate(row, escalation, recipients, now)
            Deadline.objects.bulk_update(rows, ["escalation_level", "next_escalation_at"])
            result.escalated = len(rows)

    return result
