"""The free text of cases and slips, listed once, and how a reader sees it (CONVENTIONS.md: "Free text
written by staff is masked like the structured personal fields for readers without the reveal
permission: one function does it, everywhere").

The one function is ``hallplatform.personal.free_text``; this module says which fields it applies to,
so pages, prints, the API, the register export and the reveal all take the same list. A test
(tests/casework/test_free_text_masking.py) holds these lists equal to the models' TextFields minus
the structured personal fields, so a new text field cannot be forgotten.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from hallplatform.personal import free_text

# TextFields of Case that are structured personal data, each with its own mask and its own reveal
# (casework/web/display.py MASKS, casework.services.REVEALABLE_FIELDS): not free text.
STRUCTURED_PERSONAL_FIELDS = ("applicant_name", "phone", "document_number", "address")

# Every text of a case written by people: the problem as told (typed by the window), 受理情况, the
# referral, the answer and its policy basis, 协调说明, the meeting request, materials to supplement,
# what the person was told, the follow-up, 备注 and the reason a retention hold was set.
CASE_FREE_TEXT_FIELDS = (
    "problem",
    "acceptance_note",
    "referral",
    "answer",
    "policy_basis",
    "coordination_note",
    "meeting_request_note",
    "supplement_note",
    "feedback_content",
    "follow_up_note",
    "remarks",
    "retention_hold_reason",
)

# Every text of a transfer slip: the window's request, the department's answer (masked too: one rule
# for every reader, the department that wrote it included), the materials asked for, the reason returned.
SLIP_FREE_TEXT_FIELDS = ("request", "reply", "supplement_note", "return_reason")

# What a department sees of the case behind its slip (its slip page, the slip API), and so what its
# reveal shows.
SLIP_CASE_FREE_TEXT_FIELDS = ("problem", "coordination_note")

# Every text of an internal note (casework.models.CaseNote): read by staff only, masked all the same.
NOTE_FREE_TEXT_FIELDS = ("text",)

# The pseudo-field of the reveal: every free text the reader sees, in one audited reveal.
FREE_TEXT = "free_text"


def case_free_texts(case: Any, *, revealed: bool, fields: Iterable[str] = CASE_FREE_TEXT_FIELDS) -> dict[str, str]:
    """The case's free texts as the reader sees them (``revealed``: after an audited reveal)."""
    return {name: free_text(getattr(case, name), revealed=revealed) for name in fields}


def slip_free_texts(slip: Any, *, revealed: bool) -> dict[str, str]:
    """The slip's free texts as the reader sees them."""
    return {name: free_text(getattr(slip, name), revealed=revealed) for name in SLIP_FREE_TEXT_FIELDS}


def changes_free_text(value: Any, *, revealed: bool) -> Any:
    """A timeline event's ``changes`` (notes, reasons, referrals copied from the free text) as the
    reader sees them: every string in it through ``free_text``."""
    if isinstance(value, str):
        return free_text(value, revealed=revealed)
    if isinstance(value, dict):
        return {key: changes_free_text(item, revealed=revealed) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [changes_free_text(item, revealed=revealed) for item in value]
    return value
