"""Where a case stands, for the case page: the progress stepper (登记 → 转办 → 答复 → 反馈 → 回访 → 办结)
and which of the steps the window may take now is the one the rule expects next.

One place for that rule, pure (no query): the view passes the case, the steps the services allow
(casework.selectors.case_steps_allowed) and the deadline badges it has read. What may be done is still
decided by the services; this module only orders what they allow.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils.translation import pgettext_lazy

from casework.choices import CaseStatus

# The stages of a case (rule art. 5, 7, 8), with the field that dates each.
STAGES: tuple[tuple[str, Any, str], ...] = (
    ("register", pgettext_lazy("case stage", "Registration"), "registered_at"),
    ("transfer", pgettext_lazy("case stage", "Transfer"), "transferred_at"),
    ("reply", pgettext_lazy("case stage", "Reply"), "replied_at"),
    ("feedback", pgettext_lazy("case stage", "Feedback"), "fed_back_at"),
    ("follow_up", pgettext_lazy("case stage", "Follow-up"), "followed_up_at"),
    ("close", pgettext_lazy("case stage", "Closing"), "closed_at"),
)
STAGE_KEYS = tuple(key for key, _label, _field in STAGES)

# The stage a case in each status is at (the one being worked on); None: nothing left to do.
CURRENT_STAGE: dict[str, str | None] = {
    CaseStatus.REGISTERED: "transfer",
    CaseStatus.REOPENED: "transfer",
    CaseStatus.TRANSFERRED: "reply",
    CaseStatus.AWAITING_SUPPLEMENT: "reply",
    CaseStatus.REPLIED: "feedback",
    CaseStatus.FED_BACK: "follow_up",
    CaseStatus.ANSWERED: "follow_up",
    CaseStatus.FOLLOWED_UP: "close",
    CaseStatus.CLOSED: None,
    CaseStatus.NOT_ACCEPTED: None,
}

# The window's steps by status, the one the rule expects next first (names of
# casework.selectors.case_steps_allowed): a registered case is transferred, or answered on the spot,
# or not accepted (art. 4, 5(2), 7); a replied one is fed back (art. 5(4)); a fed-back or answered one
# is followed up, then closed (art. 8); a dissatisfied person's case is reopened.
NEXT_STEPS: dict[str, tuple[str, ...]] = {
    CaseStatus.REGISTERED: ("transfer", "answer", "screen_out"),
    CaseStatus.REOPENED: ("transfer", "answer"),
    CaseStatus.TRANSFERRED: (),
    CaseStatus.AWAITING_SUPPLEMENT: ("supplement_received",),
    CaseStatus.REPLIED: ("feedback",),
    CaseStatus.FED_BACK: ("follow_up", "close"),
    CaseStatus.ANSWERED: ("follow_up", "close"),
    CaseStatus.FOLLOWED_UP: ("close", "reopen"),
    CaseStatus.CLOSED: ("reopen",),
    CaseStatus.NOT_ACCEPTED: (),
}


def ordered_steps(*, status: str, allowed: Iterable[str], satisfied: bool = True) -> list[str]:
    """The allowed steps, the expected next one first, then the rule's other steps for the status,
    then any other allowed step (the SMS preference) last. A person dissatisfied at follow-up
    (``satisfied`` False) makes reopening the expected step rather than closing."""
    allowed = list(allowed)
    expected = list(NEXT_STEPS.get(status, ()))
    if not satisfied and "reopen" in expected:
        expected.remove("reopen")
        expected.insert(0, "reopen")
    first = [step for step in expected if step in allowed]
    return first + [step for step in allowed if step not in first]


def primary_step(*, status: str, allowed: Iterable[str], satisfied: bool = True, returned_slips: bool = False) -> str:
    """The one step shown first on the case page; "" when the window has nothing to do (waiting on
    the departments, or the case is over). A slip a department returned comes first: until it is
    re-routed or withdrawn, the case cannot move on (``returned_slips``: "reroute")."""
    if returned_slips:
        return "reroute"
    steps = ordered_steps(status=status, allowed=allowed, satisfied=satisfied)
    expected = NEXT_STEPS.get(status, ())
    return steps[0] if steps and steps[0] in expected else ""


@dataclass(frozen=True)
class Stage:
    key: str
    label: str
    state: str  # done, current, upcoming, skipped
    at: datetime | None = None
    badge: Any = None  # the current stage's deadline badge (hallplatform.deadlines.badges)


def case_progress(case: Any, *, reply_badge: Any = None, feedback_badge: Any = None) -> list[Stage]:
    """The stepper of ``case``: each stage done (with its date), current (with its deadline's badge:
    the departments' replies, or the half-day feedback), upcoming, or skipped (an answer on the spot
    skips the transfer and the replies; a case not accepted stops after registration)."""
    status = case.status
    current = CURRENT_STAGE.get(status)
    position = STAGE_KEYS.index(current) if current else len(STAGES)
    on_spot = (
        status in (CaseStatus.ANSWERED, CaseStatus.FOLLOWED_UP, CaseStatus.CLOSED)
        and case.answered_at is not None
        and (case.transferred_at is None or case.answered_at > case.transferred_at)
    )
    stages: list[Stage] = []
    for index, (key, label, field) in enumerate(STAGES):
        at = getattr(case, field, None)
        if status == CaseStatus.NOT_ACCEPTED:
            state = "done" if key == "register" else "skipped"
        elif on_spot:
            # answered on the spot (art. 7): no transfer, no reply; the person was told at once
            if key in ("transfer", "reply"):
                state = "skipped"
            elif key == "feedback":
                state, at = "done", at or case.answered_at
            else:
                state = "current" if index == position else ("done" if index < position else "upcoming")
        elif index < position:
            state = "done"
        elif index == position:
            state = "current"
        else:
            state = "upcoming"
        if state != "done":
            at = None
        badge = None
        if state == "current":
            badge = reply_badge if key == "reply" else feedback_badge if key == "feedback" else None
        stages.append(Stage(key=key, label=str(label), state=state, at=at, badge=badge))
    return stages


def split_steps(steps: Sequence[str], primary: str) -> tuple[list[str], list[str]]:
    """(the primary step, if allowed; the others) — what the page shows first and behind "其他操作"."""
    first = [step for step in steps if step == primary]
    return first, [step for step in steps if step != primary]
