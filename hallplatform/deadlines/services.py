"""The one write path for deadlines: open, pause, resume, meet, cancel, recompute.

Every due time comes from the pure working-time module (hallplatform.workdays.worktime) applied to
the hall's calendar; each change is audited in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hallplatform.audit.services import audit_record
from hallplatform.deadlines.models import (
    RUNNING_STATES,
    SILENT_KINDS,
    Deadline,
    DeadlineKind,
    DeadlineRule,
    DeadlineState,
)
from hallplatform.deadlines.notices import announce_moved
from hallplatform.workdays import worktime
from hallplatform.workdays.selectors import work_calendar_for

# Calendar data loaded around a computation; doubled until the computation fits.
_WINDOW_DAYS = 45


@dataclass(frozen=True)
class Computed:
    due_at: datetime
    warn_at: datetime
    provisional: bool


def _with_calendar(hall_id: int, earliest: datetime, compute: Any) -> Any:
    """Run ``compute(calendar)`` on a calendar from a week before ``earliest``, widened forward
    until the computation fits."""
    local = timezone.localtime(earliest).date()
    window = _WINDOW_DAYS
    while True:
        calendar = work_calendar_for(
            hall_id=hall_id, first=local - timedelta(days=7), last=local + timedelta(days=window)
        )
        try:
            return compute(calendar)
        except worktime.CalendarRangeError:
            if window > 3000:
                raise
            window *= 4


def compute_due(*, hall_id: int, rule: str, amount: int, start: datetime) -> Computed:
    """Due and warning times of a deadline that starts at ``start`` (pure arithmetic on the hall's calendar).
    Natural days (自然日) ignore the calendar: the same local time ``amount`` days later, warned when
    three quarters of the span have passed."""
    if rule == DeadlineRule.NATURAL_DAYS:
        local = timezone.localtime(start)
        due_at = local + timedelta(days=amount)
        return Computed(due_at=due_at, warn_at=local + (due_at - local) * 3 / 4, provisional=False)

    def compute(calendar: worktime.WorkCalendar) -> Computed:
        if rule == DeadlineRule.WORKING_DAYS:
            due = worktime.add_working_days(calendar, start, amount)
        elif rule == DeadlineRule.HALF_DAY:
            due = worktime.add_half_working_day(calendar, start)
        elif rule == DeadlineRule.WORKING_MINUTES:
            due = worktime.add_working_time(calendar, start, timedelta(minutes=amount))
        else:
            raise ValueError(f"unknown deadline rule {rule!r}")
        warn_at = worktime.warning_time(calendar, start, due.at)
        return Computed(due_at=due.at, warn_at=warn_at, provisional=due.provisional)

    result: Computed = _with_calendar(hall_id, start, compute)
    return result


def _subject_key(subject: models.Model | tuple[str, Any]) -> tuple[str, str]:
    if isinstance(subject, tuple):
        return subject[0], str(subject[1])
    return subject._meta.label, str(subject.pk)


@transaction.atomic
def deadline_open(
    *,
    hall: Any,
    kind: str,
    subject: models.Model | tuple[str, Any],
    start: datetime,
    rule: str,
    amount: int = 0,
    owner_user: Any = None,
    owner_department: Any = None,
    actor: Any = None,
    subject_number: str = "",
) -> Deadline:
    """Open a deadline for ``subject`` (e.g. a transfer slip: 2 or 5 working days, rule art. 5(3);
    a feedback: half a working day, art. 5(4)). One live deadline per subject and kind. A silent kind
    (SILENT_KINDS) opens as a timer: at its due time the sweep runs the handler registered for the kind
    (hallplatform/deadlines/timers.py) instead of warning and breaching."""
    if kind not in DeadlineKind.values:
        raise ValidationError({"kind": [_("Unknown deadline kind.")]})
    if rule in (DeadlineRule.WORKING_DAYS, DeadlineRule.NATURAL_DAYS) and amount < 1:
        raise ValidationError({"amount": [_("A deadline in working days needs at least one day.")]})
    subject_type, subject_id = _subject_key(subject)
    live = Deadline.objects.filter(
        hall_id=hall.pk,
        kind=kind,
        subject_type=subject_type,
        subject_id=subject_id,
        state__in=RUNNING_STATES,
    )
    if live.exists():
        raise ValidationError({"kind": [_("This already has a running deadline of this kind.")]})
    computed = compute_due(hall_id=hall.pk, rule=rule, amount=amount, start=start)
    deadline = Deadline.objects.create(
        hall_id=hall.pk,
        kind=kind,
        subject_type=subject_type,
        subject_id=subject_id,
        subject_number=subject_number,
        owner_user=owner_user,
        owner_department=owner_department,
        rule=rule,
        rule_amount=amount,
        start_at=start,
        due_at=computed.due_at,
        warn_at=computed.warn_at,
        provisional=computed.provisional,
        state=DeadlineState.TIMER if kind in SILENT_KINDS else DeadlineState.OPEN,
    )
    audit_record(
        action="deadline.open",
        actor=actor,
        hall=hall,
        target=deadline,
        changes={"kind": kind, "due_at": computed.due_at.isoformat(), "provisional": computed.provisional},
    )
    return deadline


def _locked(deadline: Deadline) -> Deadline:
    return Deadline.objects.select_for_update().get(pk=deadline.pk)


def _refuse(message: str) -> ValidationError:
    return ValidationError({"state": [message]})


@transaction.atomic
def deadline_pause(*, deadline: Deadline, at: datetime | None = None, actor: Any = None) -> Deadline:
    """Stop the clock while waiting for the person (补正材料); the working time left is kept."""
    at = at or timezone.now()
    deadline = _locked(deadline)
    if deadline.state not in (DeadlineState.OPEN, DeadlineState.BREACHED):
        raise _refuse(_("Only a running deadline can be paused."))
    remaining: timedelta = _with_calendar(
        deadline.hall_id, at, lambda calendar: worktime.pause(calendar, deadline.due_at, at)
    )
    previous = deadline.state
    deadline.state = DeadlineState.PAUSED
    deadline.paused_at = at
    deadline.remaining_seconds = int(remaining.total_seconds())
    deadline.next_escalation_at = None
    deadline.save(update_fields=["state", "paused_at", "remaining_seconds", "next_escalation_at", "updated_at"])
    audit_record(
        action="deadline.pause",
        actor=actor,
        hall=deadline.hall,
        target=deadline,
        changes={"from": previous, "remaining_seconds": deadline.remaining_seconds},
    )
    return deadline


@transaction.atomic
def deadline_resume(*, deadline: Deadline, at: datetime | None = None, actor: Any = None) -> Deadline:
    """Restart a paused clock with the working time that was left (rule art. 5: 再次补正 allowed)."""
    at = at or timezone.now()
    deadline = _locked(deadline)
    if deadline.state != DeadlineState.PAUSED or deadline.paused_at is None:
        raise _refuse(_("Only a paused deadline can be resumed."))
    remaining = timedelta(seconds=deadline.remaining_seconds or 0)
    paused_at = deadline.paused_at

    def compute(calendar: worktime.WorkCalendar) -> tuple[worktime.Due, datetime, timedelta]:
        due = worktime.resume(calendar, remaining, at)
        warn_at = worktime.warning_time(calendar, at, due.at) if remaining else due.at
        spent = worktime.working_time_between(calendar, paused_at, at)
        return due, warn_at, spent

    due, warn_at, spent = _with_calendar(deadline.hall_id, min(paused_at, at), compute)
    deadline.state = DeadlineState.OPEN
    deadline.due_at = due.at
    deadline.warn_at = max(warn_at, at) if deadline.warned_at is None else deadline.warn_at
    deadline.provisional = deadline.provisional or due.provisional
    deadline.paused_seconds += int(spent.total_seconds())
    deadline.paused_at = None
    deadline.remaining_seconds = None
    fields = ["state", "due_at", "warn_at", "provisional", "paused_seconds", "paused_at", "remaining_seconds"]
    deadline.save(update_fields=[*fields, "updated_at"])
    audit_record(
        action="deadline.resume",
        actor=actor,
        hall=deadline.hall,
        target=deadline,
        changes={"due_at": due.at.isoformat()},
    )
    return deadline


@transaction.atomic
def deadline_meet(*, deadline: Deadline, at: datetime | None = None, actor: Any = None) -> Deadline:
    """The awaited thing happened (a reply, a feedback): the deadline is met, on time or late."""
    at = at or timezone.now()
    deadline = _locked(deadline)
    if not deadline.is_live:
        raise _refuse(_("This deadline is no longer running."))
    start = deadline.start_at
    worked: timedelta = _with_calendar(
        deadline.hall_id,
        min(start, at),
        lambda calendar: worktime.working_time_between(calendar, start, max(start, at)),
    )
    deadline.state = DeadlineState.MET
    deadline.met_at = at
    deadline.worked_seconds = max(0, int(worked.total_seconds()) - deadline.paused_seconds)
    deadline.next_escalation_at = None
    deadline.save(update_fields=["state", "met_at", "worked_seconds", "next_escalation_at", "updated_at"])
    audit_record(
        action="deadline.meet",
        actor=actor,
        hall=deadline.hall,
        target=deadline,
        changes={"on_time": at <= deadline.due_at},
    )
    return deadline


@transaction.atomic
def deadline_extend(*, deadline: Deadline, days: int, at: datetime | None = None, actor: Any = None) -> Deadline:
    """Give a running deadline ``days`` more working days from its due time (a granted 延期): its rule
    amount grows by as much, so a calendar recompute keeps the extension. A deadline already breached
    runs again if the new due time is still ahead (its breach stays recorded); the warning comes again
    before the new due time. Refused for a paused or finished deadline, or a new due time already past."""
    at = at or timezone.now()
    deadline = _locked(deadline)
    if deadline.rule != DeadlineRule.WORKING_DAYS or deadline.state not in (DeadlineState.OPEN, DeadlineState.BREACHED):
        raise _refuse(_("Only a running deadline in working days can be extended."))
    if days < 1:
        raise ValidationError({"days": [_("Give at least one working day.")]})
    before = deadline.due_at

    def compute(calendar: worktime.WorkCalendar) -> tuple[worktime.Due, datetime]:
        due = worktime.add_working_days(calendar, before, days)
        return due, worktime.warning_time(calendar, max(before, at), due.at)

    due, warn_at = _with_calendar(deadline.hall_id, min(before, at), compute)
    if due.at <= at:
        raise ValidationError({"days": [_("The new due time would already be past; give more working days.")]})
    previous = deadline.state
    deadline.state = DeadlineState.OPEN
    deadline.due_at = due.at
    deadline.warn_at = max(warn_at, at)
    deadline.warned_at = None
    deadline.next_escalation_at = None
    deadline.provisional = deadline.provisional or due.provisional
    deadline.rule_amount += days
    fields = ["state", "due_at", "warn_at", "warned_at", "next_escalation_at", "provisional", "rule_amount"]
    deadline.save(update_fields=[*fields, "updated_at"])
    audit_record(
        action="deadline.extend",
        actor=actor,
        hall=deadline.hall,
        target=deadline,
        changes={"from": before.isoformat(), "to": due.at.isoformat(), "days": days, "state": previous},
    )
    return deadline


@transaction.atomic
def deadline_cancel(*, deadline: Deadline, at: datetime | None = None, actor: Any = None, reason: str = "") -> Deadline:
    """The awaited thing is no longer awaited (e.g. a slip returned and re-routed; a silent timer whose
    event happened otherwise, e.g. the person rated before the default rating)."""
    at = at or timezone.now()
    deadline = _locked(deadline)
    if not deadline.is_running:
        raise _refuse(_("This deadline is no longer running."))
    deadline.state = DeadlineState.CANCELLED
    deadline.cancelled_at = at
    deadline.next_escalation_at = None
    deadline.save(update_fields=["state", "cancelled_at", "next_escalation_at", "updated_at"])
    audit_record(action="deadline.cancel", actor=actor, hall=deadline.hall, target=deadline, changes={"reason": reason})
    return deadline


def deadline_recompute_for_calendar_change(*, hall_id: int | None, first: date, last: date) -> list[Deadline]:
    """Recompute open deadlines whose span touches [first, last] after a calendar import or an
    office-hours change (``hall_id`` None: the national calendar, every hall). Returns those that
    moved; each move is audited and announced to the deadline's owner."""
    tz = timezone.get_default_timezone()
    lower = datetime.combine(first, datetime.min.time(), tzinfo=tz)
    upper = datetime.combine(last + timedelta(days=1), datetime.min.time(), tzinfo=tz)
    moved: list[Deadline] = []
    with transaction.atomic():
        candidates = Deadline.objects.select_for_update(skip_locked=True).filter(
            state=DeadlineState.OPEN, start_at__lt=upper, due_at__gte=lower
        )
        if hall_id is not None:
            candidates = candidates.filter(hall_id=hall_id)
        for deadline in candidates.select_related("hall"):
            computed = compute_due(
                hall_id=deadline.hall_id, rule=deadline.rule, amount=deadline.rule_amount, start=deadline.start_at
            )
            if deadline.paused_seconds:
                computed = _shift_by_paused_time(deadline, computed)
            if computed.due_at == deadline.due_at and computed.provisional == deadline.provisional:
                continue
            before = deadline.due_at
            deadline.due_at = computed.due_at
            deadline.provisional = computed.provisional
            if deadline.warned_at is None:
                deadline.warn_at = computed.warn_at
            deadline.save(update_fields=["due_at", "provisional", "warn_at", "updated_at"])
            audit_record(
                action="deadline.recompute",
                hall=deadline.hall,
                target=deadline,
                changes={"from": before.isoformat(), "to": computed.due_at.isoformat()},
            )
            if before != computed.due_at:
                announce_moved(deadline=deadline, before=before)
            moved.append(deadline)
    return moved


def _shift_by_paused_time(deadline: Deadline, computed: Computed) -> Computed:
    """A deadline that was paused runs later by the working time it spent paused."""

    def compute(calendar: worktime.WorkCalendar) -> Computed:
        due = worktime.add_working_time(calendar, computed.due_at, timedelta(seconds=deadline.paused_seconds))
        return Computed(due_at=due.at, warn_at=computed.warn_at, provisional=computed.provisional or due.provisional)

    result: Computed = _with_calendar(deadline.hall_id, computed.due_at, compute)
    return result
