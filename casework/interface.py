"""Casework's public face: everything another app may use of casework, besides its choices
(casework/choices.py). The import-linter contracts in pyproject.toml hold coordination and analytics
to these two modules; anything else of casework is its own business and may change.

- Reading a hall's cases (the register export reads ``Case`` and ``TransferSlip`` rows in the
  current hall's schema; ``may_reveal`` says whether a person may see their personal data).
- Writing into a linked case from the public schema: a city-level step (a joint meeting's outcome, a
  supervision order) recorded in the case's timeline, a meeting's close moving a case on. These two
  functions are where public-schema code enters a hall's schema for casework
  (``hallplatform.schemas.in_hall_schema``), in the caller's transaction.
- The case page shows the meetings and orders about a case without casework knowing them: a higher
  app registers a provider of extra context (``register_case_page_extra``).
- The hall's home is the person's to-do: a higher app adds its own sections (the meeting
  resolutions and supervision orders waiting on the person) through ``register_home_section``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.http import Http404, HttpRequest

from casework.access import may_reveal
from casework.models import Case, TransferSlip
from casework.ratings import rating_appeal_decide
from casework.services import (
    case_event_record,
    case_meeting_closed,
    case_meeting_request_decline,
    case_meeting_request_settle,
)
from hallplatform.personal import free_text
from hallplatform.schemas import in_hall_schema
from hallplatform.todo import TodoSection

__all__ = [
    "Case",
    "TransferSlip",
    "case_event_record_in_hall",
    "case_meeting_closed_in_hall",
    "case_meeting_request_decline_in_hall",
    "case_meeting_request_settle_in_hall",
    "case_page_extras",
    "home_sections",
    "may_reveal",
    "rating_appeal_decide_in_hall",
    "rating_appeal_reasons_in_hall",
    "register_case_page_extra",
    "register_home_section",
]


def case_event_record_in_hall(*, hall: Any, case_id: int, actor: Any, kind: str, changes: dict[str, Any]) -> bool:
    """Append an event to the timeline of case ``case_id`` of ``hall`` (entering its schema), in the
    caller's transaction; False if the hall has no such case."""
    with in_hall_schema(hall):
        case = Case.objects.filter(pk=case_id).first()
        if case is None:
            return False
        case_event_record(case=case, actor=actor, kind=kind, changes=changes)
        return True


def case_meeting_closed_in_hall(*, hall: Any, case_id: int, actor: Any, meeting_number: str) -> None:
    """A joint meeting the case was brought to is closed (casework.services.case_meeting_closed), in
    the case's hall schema and the caller's transaction."""
    with in_hall_schema(hall):
        case_meeting_closed(case_id=case_id, actor=actor, meeting_number=meeting_number)


def case_meeting_request_decline_in_hall(*, hall: Any, case_id: int, actor: Any, reason: str) -> Any:
    """Decline the window's request for a joint meeting on case ``case_id`` of ``hall``
    (casework.services.case_meeting_request_decline), in its schema and the caller's transaction.
    A missing case is Http404; a refusal is a ValidationError naming the field."""
    with in_hall_schema(hall):
        case = Case.objects.filter(pk=case_id).first()
        if case is None:
            raise Http404
        return case_meeting_request_decline(case=case, actor=actor, reason=reason)


def case_meeting_request_settle_in_hall(*, hall: Any, case_id: int, actor: Any, meeting_number: str) -> bool:
    """A meeting convened with the case linked settles its request (casework.services.
    case_meeting_request_settle), in the case's hall schema and the caller's transaction."""
    with in_hall_schema(hall):
        return case_meeting_request_settle(case_id=case_id, actor=actor, meeting_number=meeting_number)


def rating_appeal_decide_in_hall(*, hall: Any, case_id: int, actor: Any, keep: bool, reason: str) -> None:
    """The city supervisor keeps or voids a rating by the person sent for review (申诉复核;
    casework.ratings.rating_appeal_decide, audited there), in the case's hall schema and the caller's
    transaction. A refusal is a ValidationError naming the field; a missing rating Http404."""
    with in_hall_schema(hall):
        rating_appeal_decide(case_id=case_id, actor=actor, keep=keep, reason=reason)


def rating_appeal_reasons_in_hall(*, hall: Any, case_ids: list[int]) -> dict[int, str]:
    """The hall lead's reasons for the reviews of ``case_ids`` of ``hall`` (masked like all free text),
    for the supervisor's list: one query in the hall's schema."""
    from casework.models import CaseRating  # noqa: PLC0415 (kept out of the interface's public names)

    with in_hall_schema(hall):
        rows = CaseRating.objects.filter(case_id__in=case_ids).values_list("case_id", "appeal_reason")
        return {case_id: free_text(reason, revealed=False) for case_id, reason in rows}


# --- Extra context of the case page, provided by higher apps -----------------------------------------

CasePageExtra = Callable[[int, int], Mapping[str, Any]]
_case_page_extras: list[CasePageExtra] = []


def register_case_page_extra(provider: CasePageExtra) -> CasePageExtra:
    """Register ``provider(hall_id, case_id) -> {name: value}``, merged into the case page's context
    (coordination: the meetings and supervision orders about the case). Called from AppConfig.ready."""
    if provider not in _case_page_extras:
        _case_page_extras.append(provider)
    return provider


def case_page_extras(*, hall_id: int, case_id: int) -> dict[str, Any]:
    extras: dict[str, Any] = {}
    for provider in _case_page_extras:
        extras.update(provider(hall_id, case_id))
    return extras


# --- Sections of the hall's home (the person's to-do), provided by higher apps -----------------------

HomeSection = Callable[[HttpRequest], list[TodoSection]]
_home_sections: list[HomeSection] = []


def register_home_section(provider: HomeSection) -> HomeSection:
    """Register ``provider(request) -> [TodoSection]``: the work of another app waiting on the person
    on this hall's host (coordination: meeting resolutions, supervision orders). Each provider costs a
    constant number of queries. Called from AppConfig.ready."""
    if provider not in _home_sections:
        _home_sections.append(provider)
    return provider


def home_sections(request: HttpRequest) -> list[TodoSection]:
    sections: list[TodoSection] = []
    for provider in _home_sections:
        sections.extend(provider(request))
    return sections
