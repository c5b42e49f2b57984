"""A case's rounds (轮次): the times of each pass through the workflow, kept after a reopen.

A reopen (art. 8, ``case_reopen``) clears the case's feedback, follow-up and close so the window
handles it again, and the next pass overwrites ``transferred_at``, ``replied_at``, ``fed_back_at``, …
on the case. The timeline keeps every step, so the rounds are read from it: round 1 starts at
registration, each ``reopened`` event starts the next. Read-only; nothing is stored twice. The times
are the steps' timeline events (written in the same transaction as the case's own fields, a few
milliseconds after them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from casework.choices import CaseStatus
from casework.models import Case, CaseEvent

# The event of a step, and the time of the round it sets (the first of its kind in the round).
FIRST_OF_ROUND = {
    "screened_out": "screened_at",
    "answered": "answered_at",
    "transferred": "transferred_at",
    "fed_back": "fed_back_at",
    "followed_up": "followed_up_at",
    "closed": "closed_at",
}


@dataclass
class CaseRound:
    number: int
    started_at: datetime
    reopen_reason: str = ""
    screened_at: datetime | None = None
    answered_at: datetime | None = None
    transferred_at: datetime | None = None
    replied_at: datetime | None = None
    fed_back_at: datetime | None = None
    followed_up_at: datetime | None = None
    satisfaction: str = ""
    closed_at: datetime | None = None


def _case_replied(event: CaseEvent) -> bool:
    """Whether the step answered the case (its last open slip replied or withdrawn)."""
    changes: Any = event.changes or {}
    status = changes.get("case_status") if isinstance(changes, dict) else None
    return isinstance(status, list) and len(status) == 2 and status[1] == CaseStatus.REPLIED


def case_rounds(*, case: Case) -> list[CaseRound]:
    """Each round of the case, oldest first, with its times (one query)."""
    rounds = [CaseRound(number=1, started_at=case.registered_at)]
    for event in CaseEvent.objects.filter(case=case).order_by("at", "id").only("id", "at", "kind", "changes"):
        current = rounds[-1]
        if event.kind == "reopened":
            reason = (event.changes or {}).get("reason", "") if isinstance(event.changes, dict) else ""
            rounds.append(CaseRound(number=current.number + 1, started_at=event.at, reopen_reason=str(reason or "")))
            continue
        name = FIRST_OF_ROUND.get(event.kind)
        if name is not None and getattr(current, name) is None:
            setattr(current, name, event.at)
            if event.kind == "followed_up" and isinstance(event.changes, dict):
                current.satisfaction = str(event.changes.get("satisfaction") or "")
        if _case_replied(event):
            current.replied_at = event.at
    return rounds
