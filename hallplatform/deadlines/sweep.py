"""The deadline sweep: run by beat every minute, safe to run twice at once or again after a crash.

Each step claims due rows with ``SELECT … FOR UPDATE SKIP LOCKED`` through partial indexes, so its
cost follows the number of due rows, not the number of halls or open deadlines. State changes and
the notices they cause (outbox rows with unique event keys) commit together; a repeated sweep finds
nothing left to do and can send nothing twice.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from hallplatform.deadlines.models import (
    Deadline,
    DeadlineState,
    EscalationLevel,
)
from hallplatform.deadlines.notices import NoticeBatch, Recipients
from hallplatform.deadlines.policies import escalations_for
from hallplatform.deadlines.timers import timer_handler_for
from hallplatform.workdays import worktime
from hallplatform.workdays.selectors import work_calendars_for
from tenants.models import Hall

BATCH = 1000
# Silent timers run a handler each (it enters a hall's schema): a smaller batch per sweep.
TIMER_BATCH = 200

logger = logging.getLogger(__name__)


@dataclass
class SweepResult:
    warned: int = 0
    breached: int = 0
    escalated: int = 0
    notices: int = 0
    fired: int = 0


class _Escalation:
    """Per-hall escalation policies (the hall's own, its city's default, the built-in one) and
    calendars for the rows of one batch."""

    def __init__(self, rows: list[Deadline], now: datetime) -> None:
        hall_ids = {row.hall_id for row in rows}
        self.policies = escalations_for({row.hall_id: row.hall for row in rows}.values())
        today = timezone.localtime(now).date()
        self.calendars = work_calendars_for(
            hall_ids=hall_ids, first=today - timedelta(days=1), last=today + timedelta(days=60)
        )
        self._next: dict[tuple[int, datetime], datetime] = {}
        self._labels: dict[str, str] = {}

    def chain(self, hall_id: int) -> list[str]:
        return list(self.policies[hall_id].chain)

    def label(self, level: str) -> str:
        """The level's name in notices, translated once per batch."""
        if level not in self._labels:
            self._labels[level] = str(EscalationLevel(level).label)
        return self._labels[level]

    def next_at(self, hall_id: int, after: datetime) -> datetime:
        # the same for every row of a hall in the batch: computed once per hall
        key = (hall_id, after)
        if key not in self._next:
            step = timedelta(minutes=self.policies[hall_id].step_minutes)
            self._next[key] = worktime.add_working_time(self.calendars[hall_id], after, step).at
        return self._next[key]


# What the sweep reads of a deadline (the rest is left unloaded; what it writes, it sets first).
_SWEPT_FIELDS = (
    "id",
    "hall_id",
    "kind",
    "subject_type",
    "subject_id",
    "subject_number",
    "owner_user_id",
    "owner_department_id",
    "due_at",
    "warned_at",
    "provisional",
    "state",
    "escalation_level",
)


def _claim(queryset: QuerySet[Deadline]) -> list[Deadline]:
    rows = list(queryset.select_for_update(skip_locked=True, of=("self",)).only(*_SWEPT_FIELDS)[:BATCH])
    # each hall loaded once for the batch, not once per row (notices name the hall)
    halls = Hall.objects.in_bulk({row.hall_id for row in rows})
    for row in rows:
        row.hall = halls[row.hall_id]
    return rows


def _save(rows: list[Deadline], fields: list[str]) -> None:
    """``bulk_update(rows, fields)`` in one short statement whatever the number of rows: the values
    travel as one JSON document (``UPDATE … FROM json_to_recordset``); bulk_update's CASE WHEN per
    row and field costs tens of milliseconds per thousand rows to build."""
    concrete = {field.name: field for field in Deadline._meta.concrete_fields}
    columns = [concrete[name] for name in ["id", *fields]]
    values = []
    for row in rows:
        record = {}
        for field in columns:
            value = field.get_db_prep_save(getattr(row, field.attname), connection)
            record[field.attname] = value.isoformat() if isinstance(value, datetime) else value
        values.append(record)
    quote = connection.ops.quote_name
    record_type = ", ".join(f"{quote(field.attname)} {field.db_type(connection)}" for field in columns)
    assignments = ", ".join(f"{quote(field.column)} = v.{quote(field.attname)}" for field in columns[1:])
    sql = (
        f"UPDATE {quote(Deadline._meta.db_table)} AS d SET {assignments} "  # noqa: S608 (names from the model, values bound)
        f"FROM json_to_recordset(%s::json) AS v({record_type}) WHERE d.id = v.id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [json.dumps(values)])


def _escalate(
    row: Deadline, escalation: _Escalation, recipients: Recipients, notices: NoticeBatch, now: datetime
) -> None:
    """Notify the next level of the chain that has anyone in it; schedule the one after."""
    chain = escalation.chain(row.hall_id)
    while row.escalation_level < len(chain):
        level = chain[row.escalation_level]
        row.escalation_level += 1
        users = recipients.for_level(row, level)
        if users:
            event = "breach" if row.escalation_level == 1 else f"escalation:{row.escalation_level}"
            kind = "deadline_breach" if row.escalation_level == 1 else "deadline_escalation"
            notices.add(deadline=row, kind=kind, event=event, user_ids=users, escalated_to=escalation.label(level))
            break
    row.next_escalation_at = escalation.next_at(row.hall_id, now) if row.escalation_level < len(chain) else None


def _fire_timers(now: datetime) -> int:
    """Run the handlers of due silent timers (hallplatform/deadlines/timers.py), one batch; each timer
    is marked met with its handler's writes, in one savepoint per timer."""
    fired = 0
    with transaction.atomic():
        rows = list(
            Deadline.objects.filter(state=DeadlineState.TIMER, due_at__lte=now)
            .order_by("due_at")
            .select_for_update(skip_locked=True, of=("self",))
            .select_related("hall")[:TIMER_BATCH]
        )
        for row in rows:
            handler = timer_handler_for(row.kind)
            if handler is None:
                logger.error("no handler registered for the silent deadline kind %s (deadline %s)", row.kind, row.pk)
                continue
            try:
                with transaction.atomic():
                    handler(row, now)
                    Deadline.objects.filter(pk=row.pk).update(state=DeadlineState.MET, met_at=now, updated_at=now)
            except Exception:
                logger.exception(
                    "the handler of silent deadline %s (%s) failed; retried at the next sweep", row.pk, row.kind
                )
                continue
            fired += 1
    return fired


def deadline_sweep(*, now: datetime | None = None) -> SweepResult:
    """Fire due silent timers, then raise due yellow warnings (临期), red breaches (逾期) and
    escalations, one batch of each.

    Each step costs a constant number of queries whatever the size of its batch: the claim, the
    recipients, (breaches and escalations) the halls' policies and calendars, one UPDATE of the rows,
    the notice templates and one INSERT of the notices; their delivery tasks go out in one message
    after the commit (notifications.services.notice_enqueue_many).
    """
    now = now or timezone.now()
    result = SweepResult()
    result.fired = _fire_timers(now)

    with transaction.atomic():
        rows = _claim(
            Deadline.objects.filter(state=DeadlineState.OPEN, warned_at__isnull=True, warn_at__lte=now).order_by(
                "warn_at"
            )
        )
        if rows:
            recipients = Recipients(rows)
            policies = escalations_for({row.hall_id: row.hall for row in rows}.values())
            notices = NoticeBatch()
            for row in rows:
                row.warned_at = now
                told: set[int] = set()
                for level in policies[row.hall_id].warning_levels:
                    told.update(recipients.for_level(row, level))
                notices.add(deadline=row, kind="deadline_warning", event="warning", user_ids=sorted(told))
            Deadline.objects.filter(pk__in=[row.pk for row in rows]).update(warned_at=now)
            result.notices += notices.send()
            result.warned = len(rows)

    with transaction.atomic():
        rows = _claim(Deadline.objects.filter(state=DeadlineState.OPEN, due_at__lte=now).order_by("due_at"))
        if rows:
            recipients = Recipients(rows)
            escalation = _Escalation(rows, now)
            notices = NoticeBatch()
            for row in rows:
                row.state = DeadlineState.BREACHED
                # Two beats' sweeps overlap: another, started a moment later, may have warned this
                # row after this sweep's clock was read. A breach is never recorded before its warning.
                row.breached_at = max(now, row.warned_at) if row.warned_at else now
                row.escalation_level = 0
                _escalate(row, escalation, recipients, notices, now)
            _save(rows, ["state", "breached_at", "escalation_level", "next_escalation_at"])
            result.notices += notices.send()
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
            notices = NoticeBatch()
            for row in rows:
                _escalate(row, escalation, recipients, notices, now)
            _save(rows, ["escalation_level", "next_escalation_at"])
            result.notices += notices.send()
            result.escalated = len(rows)

    return result
