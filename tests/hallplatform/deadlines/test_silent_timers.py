"""The natural-day rule and silent timers of the deadline engine (hallplatform/deadlines/timers.py,
sweep.py ``_fire_timers``): a silent kind opens as a timer, is invisible to warnings and breaches, runs
its registered handler once when due, stays waiting when its handler fails or is missing, and can be
cancelled; the one-running-per-subject rule holds for timers too."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from hallplatform.deadlines import timers
from hallplatform.deadlines.models import Deadline, DeadlineKind, DeadlineRule, DeadlineState
from hallplatform.deadlines.services import compute_due, deadline_cancel, deadline_open
from hallplatform.deadlines.sweep import deadline_sweep
from notifications.models import Notice

TZ = ZoneInfo("Asia/Shanghai")
FRIDAY = datetime(2026, 9, 25, 16, 0, tzinfo=TZ)  # the week before the National Day holiday
SUBJECT = ("tests.Subject", 1)


def timer(demo: dict[str, Any], subject: tuple[str, int] = SUBJECT) -> Deadline:
    return deadline_open(
        hall=demo["wengyuan"],
        kind=DeadlineKind.RATING_DEFAULT,
        subject=subject,
        start=FRIDAY,
        rule=DeadlineRule.NATURAL_DAYS,
        amount=7,
    )


def test_natural_days_ignore_weekends_and_holidays(demo: dict[str, Any]) -> None:
    computed = compute_due(hall_id=demo["wengyuan"].pk, rule=DeadlineRule.NATURAL_DAYS, amount=7, start=FRIDAY)
    # seven calendar days later at the same local time, through a weekend and the National Day holiday
    assert computed.due_at == datetime(2026, 10, 2, 16, 0, tzinfo=TZ)
    assert FRIDAY < computed.warn_at < computed.due_at and computed.provisional is False


def test_a_natural_day_deadline_needs_a_day(demo: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        deadline_open(
            hall=demo["wengyuan"], kind=DeadlineKind.OTHER, subject=SUBJECT, start=FRIDAY,
            rule=DeadlineRule.NATURAL_DAYS, amount=0,
        )  # fmt: skip
    assert not Deadline.objects.filter(subject_type="tests.Subject").exists()


def test_a_silent_kind_opens_as_a_timer_and_is_never_warned_nor_breached(
    demo: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    fired: list[tuple[int, datetime]] = []
    monkeypatch.setitem(timers._HANDLERS, DeadlineKind.RATING_DEFAULT, lambda d, now: fired.append((d.pk, now)))
    row = timer(demo)
    assert row.state == DeadlineState.TIMER
    notices = Notice.objects.count()

    result = deadline_sweep(now=row.warn_at)
    assert (result.warned, result.breached, result.fired) == (0, 0, 0)
    result = deadline_sweep(now=row.due_at)
    assert (result.warned, result.breached, result.fired) == (0, 0, 1)
    assert fired == [(row.pk, row.due_at)]
    row.refresh_from_db()
    assert (row.state, row.met_at) == (DeadlineState.MET, row.due_at)
    # once: later sweeps find nothing
    assert deadline_sweep(now=row.due_at + timedelta(days=1)).fired == 0
    assert len(fired) == 1
    assert Notice.objects.count() == notices


def test_one_running_timer_per_subject_and_kind(demo: dict[str, Any]) -> None:
    timer(demo)
    with pytest.raises(ValidationError):
        timer(demo)
    assert Deadline.objects.filter(subject_type="tests.Subject").count() == 1


def test_a_failing_handler_leaves_its_timer_waiting_and_the_others_fire(
    demo: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = timer(demo, ("tests.Subject", 1)), timer(demo, ("tests.Subject", 2))

    def handler(deadline: Deadline, now: datetime) -> None:
        if deadline.pk == first.pk:
            raise RuntimeError("boom")

    monkeypatch.setitem(timers._HANDLERS, DeadlineKind.RATING_DEFAULT, handler)
    assert deadline_sweep(now=first.due_at).fired == 1
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.state, second.state) == (DeadlineState.TIMER, DeadlineState.MET)


def test_without_a_handler_the_timer_waits(demo: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(timers._HANDLERS, DeadlineKind.RATING_DEFAULT)
    row = timer(demo)
    assert deadline_sweep(now=row.due_at).fired == 0
    row.refresh_from_db()
    assert row.state == DeadlineState.TIMER


def test_a_waiting_timer_can_be_cancelled_and_then_never_fires(demo: dict[str, Any]) -> None:
    row = deadline_cancel(deadline=timer(demo), reason="rated")
    assert row.state == DeadlineState.CANCELLED
    assert deadline_sweep(now=row.due_at).fired == 0


def test_only_silent_kinds_take_a_handler_and_once() -> None:
    with pytest.raises(ValueError, match="not a silent"):
        timers.timer_handler_register(DeadlineKind.SLIP_REPLY, lambda d, now: None)
    with pytest.raises(ValueError, match="already registered"):
        timers.timer_handler_register(DeadlineKind.RATING_DEFAULT, lambda d, now: None)
