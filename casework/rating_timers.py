"""The timers around the person's rating (好差评) that the case's own steps start and stop: the default
rating 7 natural days after the person was told (a silent timer of the deadline engine), cancelled by a
reopen. Kept apart from casework/ratings.py so that casework/services.py can call it without a cycle.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from casework.models import Case, CaseRating
from hallplatform.deadlines.models import RUNNING_STATES, Deadline, DeadlineKind, DeadlineRule
from hallplatform.deadlines.services import deadline_cancel, deadline_open

# Natural days after the person was told before an unrated case is rated 基本满意 by default.
RATING_DEFAULT_DAYS = 7


def running_timers(*, hall: Any, case: Case, kinds: tuple[str, ...]) -> list[Deadline]:
    return list(
        Deadline.objects.filter(
            hall_id=hall.pk,
            kind__in=kinds,
            subject_type=Case._meta.label,
            subject_id=str(case.pk),
            state__in=RUNNING_STATES,
        )
    )


def rating_default_timer_start(*, hall: Any, case: Case, at: datetime, actor: Any = None) -> Deadline | None:
    """Start the default-rating timer when the person is told the result (the window's feedback, or an
    answer on the spot), unless the case is rated already or a timer runs."""
    if CaseRating.objects.filter(case=case).exists():
        return None
    if running_timers(hall=hall, case=case, kinds=(DeadlineKind.RATING_DEFAULT,)):
        return None
    return deadline_open(
        hall=hall,
        kind=DeadlineKind.RATING_DEFAULT,
        subject=case,
        start=at,
        rule=DeadlineRule.NATURAL_DAYS,
        amount=RATING_DEFAULT_DAYS,
        actor=actor,
        subject_number=case.number,
    )


def rating_default_timer_cancel(*, hall: Any, case: Case, at: datetime, actor: Any = None, reason: str) -> int:
    """Cancel a waiting default-rating timer (the person rated; the case was reopened)."""
    timers = running_timers(hall=hall, case=case, kinds=(DeadlineKind.RATING_DEFAULT,))
    for timer in timers:
        deadline_cancel(deadline=timer, at=at, actor=actor, reason=reason)
    return len(timers)
