"""The person's rating of the handling (好差评, issue 16 item 2; docs/ratings.md).

- The person rates once per case, on the five levels of the national scale with an optional comment,
  once told the result (the window's feedback, or an answer on the spot); a change is allowed within
  RATING_CHANGE_DAYS natural days of the first rating.
- Unrated, a case is rated 基本满意 by default (source ``default``: 默认好评) RATING_DEFAULT_DAYS
  natural days after the person was told: a silent timer of the deadline engine whose handler is
  ``rating_default_give`` (registered in casework/apps.py).
- A 不满意 / 非常不满意 rating by the person opens a rectification (整改): a deadline of the hall's
  ``rectification_days`` working days (default 5) owned by the case's 经办人, the hall lead told; the
  window closes it with what was rectified and its follow-up call (回访), which meets the deadline.
- The hall lead may send a rating by the person for review (申诉复核) to the city supervisor, who
  keeps or voids it with a reason. A voided rating is kept, left out of statistics.

Every change is audited and written to the public index (hallindex.RatingIndex, no personal data).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from casework import notices
from casework.choices import (
    UNSATISFIED,
    AppealState,
    CaseStatus,
    FollowUpMethod,
    RatingSource,
    RatingState,
    RectificationState,
    Satisfaction,
)
from casework.models import Case, CaseRating
from casework.rating_timers import RATING_DEFAULT_DAYS, rating_default_timer_cancel, running_timers
from casework.services import case_event_record
from hallindex.services import rating_index_write
from hallplatform import limits
from hallplatform.accounts.models import RoleAssignment, RoleKind
from hallplatform.audit.services import audit_record
from hallplatform.deadlines.models import Deadline, DeadlineKind, DeadlineRule
from hallplatform.deadlines.services import deadline_meet, deadline_open
from hallplatform.personal import free_text
from hallplatform.schemas import current_tenant, in_hall_schema

__all__ = ["RATING_DEFAULT_DAYS"]

NOTE_LIMIT = limits.NOTE_MAX_LENGTH
# Natural days after the first rating during which the person may change it.
RATING_CHANGE_DAYS = 7
# The person has been told the result: the rating form shows and a rating is taken.
TOLD_STATES = (CaseStatus.ANSWERED, CaseStatus.FED_BACK, CaseStatus.FOLLOWED_UP, CaseStatus.CLOSED)


def rating_may_rate(case: Case) -> bool:
    """Whether the person has been told the result of ``case`` (so may rate it)."""
    if case.status not in TOLD_STATES:
        return False
    # a case closed without a recorded feedback nor an answer was never told: nothing to rate
    return bool(case.fed_back_at or case.answered_at)


def rating_change_until(rating: CaseRating) -> datetime | None:
    """Until when the person may still change their rating (None: they may not)."""
    if rating.source != RatingSource.PERSON or rating.state != RatingState.ACTIVE or rating.appeal_state:
        return None
    return rating.rated_at + timedelta(days=RATING_CHANGE_DAYS)


@dataclass
class PersonRating:
    """What the person's page shows of the rating: whether the form shows, the rating given."""

    may_rate: bool
    level: str = ""
    level_label: str = ""
    comment: str = ""
    is_default: bool = False
    voided: bool = False
    rated_at: datetime | None = None
    change_until: datetime | None = None
    levels: list[tuple[str, str]] = field(default_factory=list)


def rating_for_person(*, case: Case, now: datetime | None = None) -> PersonRating:
    """The rating part of the person's progress page (comment masked like all free text)."""
    now = now or timezone.now()
    levels = [(value, str(label)) for value, label in Satisfaction.choices]
    rating = CaseRating.objects.filter(case=case).first()
    if rating is None:
        return PersonRating(may_rate=rating_may_rate(case), levels=levels)
    until = rating_change_until(rating)
    return PersonRating(
        may_rate=until is not None and now <= until,
        level=rating.level,
        level_label=str(rating.get_level_display()),
        comment=free_text(rating.comment, revealed=False),
        is_default=rating.source == RatingSource.DEFAULT,
        voided=rating.state == RatingState.VOIDED,
        rated_at=rating.rated_at,
        change_until=until if until is not None and now <= until else None,
        levels=levels,
    )


def _index(rating: CaseRating, case: Case, hall: Any) -> None:
    rating_index_write(
        hall_id=hall.pk,
        case_id=case.pk,
        values={
            "number": case.number,
            "level": rating.level,
            "source": rating.source,
            "state": rating.state,
            "rated_at": rating.rated_at,
            "rectification_state": rating.rectification_state,
            "appeal_state": rating.appeal_state,
            "appeal_requested_at": rating.appeal_requested_at,
            "appeal_decided_at": rating.appeal_decided_at,
        },
    )


def _clean(level: str, comment: str) -> str:
    errors: dict[str, list[str]] = {}
    if level not in Satisfaction.values:
        errors["level"] = [_("Choose one of the five levels.")]
    comment = (comment or "").strip()
    if len(comment) > limits.RATING_COMMENT_MAX_LENGTH:
        errors["comment"] = [
            _("Keep the comment within %(limit)d characters.") % {"limit": limits.RATING_COMMENT_MAX_LENGTH}
        ]
    if errors:
        raise ValidationError(errors)
    return comment


def _rectification_open(*, rating: CaseRating, case: Case, hall: Any, at: datetime) -> Deadline:
    """Open the rectification (整改) after a dissatisfied rating by the person: the hall's working days
    (Hall.rectification_days, default 5), owned by the case's 经办人; the hall lead is told."""
    days = type(hall).objects.filter(pk=hall.pk).values_list("rectification_days", flat=True).first() or 5
    deadline = deadline_open(
        hall=hall,
        kind=DeadlineKind.RECTIFICATION,
        subject=case,
        start=at,
        rule=DeadlineRule.WORKING_DAYS,
        amount=days,
        owner_user=case.handler,
        subject_number=case.number,
    )
    rating.rectification_state = RectificationState.OPEN
    rating.rectification_opened_at = at
    notices.notify_staff(
        kind="rating_unsatisfied",
        event_key=f"case:{case.pk}:rating_unsatisfied",
        hall=hall,
        user_ids=notices.hall_lead_ids(hall.pk),
        context={
            "case_number": case.number,
            "matter_name": case.matter_name,
            "level_label": str(Satisfaction(rating.level).label),
            "due_at": f"{timezone.localtime(deadline.due_at):%Y-%m-%d %H:%M}",
            "hall_name": hall.name,
        },
        link=notices.case_link(hall, case.pk),
    )
    return deadline


@transaction.atomic
def rating_give(*, case: Case, level: str, comment: str = "", via: str = "page") -> CaseRating:
    """The person rates the handling of ``case`` (or changes their rating within RATING_CHANGE_DAYS of
    the first one). Refused, with nothing changed: a case not yet told, an unknown level, a comment
    too long, a change after the period, a default or voided rating, a rating under review."""
    case = Case.objects.select_for_update().get(pk=case.pk)
    hall = current_tenant()
    now = timezone.now()
    if not rating_may_rate(case):
        raise ValidationError({"level": [_("This case can be rated once you have been told the result.")]})
    comment = _clean(level, comment)
    rating = CaseRating.objects.select_for_update().filter(case=case).first()
    if rating is None:
        rating = CaseRating.objects.create(
            case=case, level=level, first_level=level, comment=comment, source=RatingSource.PERSON, rated_at=now
        )
        rating_default_timer_cancel(hall=hall, case=case, at=now, reason="rated")
        changes: dict[str, Any] = {"level": level, "via": via}
        action = "rating.give"
    else:
        until = rating_change_until(rating)
        if until is None or now > until:
            raise ValidationError({"level": [_("This rating can no longer be changed.")]})
        changes = {"from": rating.level, "to": level, "via": via}
        rating.level, rating.comment, rating.changed_at = level, comment, now
        rating.version += 1
        action = "rating.change"
    if level in UNSATISFIED and not rating.rectification_state:
        _rectification_open(rating=rating, case=case, hall=hall, at=now)
    rating.save()
    audit_record(action=action, hall=hall, target=rating, changes=changes)
    case_event_record(case=case, actor=None, kind="rated" if action == "rating.give" else "rating_changed",
                      changes=changes, at=now)  # fmt: skip
    _index(rating, case, hall)
    return rating


def rating_default_give(*, case_id: int, at: datetime) -> CaseRating | None:
    """The default rating (默认好评): an unrated case the person was told about is rated 基本满意, source
    default, when its timer comes due. Idempotent: a case rated meanwhile, or no longer told (reopened),
    is left alone."""
    case = Case.objects.select_for_update().filter(pk=case_id).first()
    if case is None or not rating_may_rate(case) or CaseRating.objects.filter(case=case).exists():
        return None
    level = Satisfaction.FAIRLY_SATISFIED
    rating = CaseRating.objects.create(
        case=case, level=level, first_level=level, source=RatingSource.DEFAULT, rated_at=at
    )
    hall = current_tenant()
    audit_record(action="rating.default", hall=hall, target=rating, changes={"level": level})
    case_event_record(case=case, actor=None, kind="rated_by_default", changes={"level": level}, at=at)
    _index(rating, case, hall)
    return rating


def rating_default_timer_fire(deadline: Deadline, now: datetime) -> None:
    """The handler of the ``rating_default`` silent timer (registered in casework/apps.py): enters the
    hall's schema and gives the default rating."""
    with in_hall_schema(deadline.hall):
        rating_default_give(case_id=int(deadline.subject_id), at=now)


def _is_window(actor: Any, hall: Any) -> bool:
    return RoleAssignment.objects.filter(
        user_id=actor.pk, hall_id=hall.pk, kind__in=[RoleKind.WINDOW_STAFF, RoleKind.HALL_LEAD]
    ).exists()


@transaction.atomic
def rating_rectification_record(*, case: Case, actor: Any, note: str, method: str, satisfaction: str) -> CaseRating:
    """The window records what was rectified after a dissatisfied rating and its follow-up call
    (回访: how, and the person's satisfaction then): the rectification deadline is met."""
    hall = current_tenant()
    if not _is_window(actor, hall):
        raise Http404
    rating = CaseRating.objects.select_for_update().filter(case_id=case.pk).first()
    if rating is None or rating.rectification_state != RectificationState.OPEN:
        raise ValidationError({"note": [_("No rectification is under way on this case.")]})
    errors: dict[str, list[str]] = {}
    note = (note or "").strip()
    if not note:
        errors["note"] = [_("Record what was rectified.")]
    elif len(note) > limits.NOTE_MAX_LENGTH:
        errors["note"] = [_("Keep it within %(limit)d characters.") % {"limit": limits.NOTE_MAX_LENGTH}]
    if method not in FollowUpMethod.values:
        errors["method"] = [_("Choose how the follow-up was made.")]
    if satisfaction not in Satisfaction.values:
        errors["satisfaction"] = [_("Choose the person's satisfaction.")]
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    rating.rectification_state = RectificationState.DONE
    rating.rectification_note = note
    rating.rectification_follow_up_method = method
    rating.rectification_satisfaction = satisfaction
    rating.rectified_at = now
    rating.rectified_by = actor
    rating.version += 1
    rating.save()
    for deadline in running_timers(hall=hall, case=case, kinds=(DeadlineKind.RECTIFICATION,)):
        deadline_meet(deadline=deadline, at=now, actor=actor)
    changes = {"method": method, "satisfaction": satisfaction}
    audit_record(action="rating.rectified", actor=actor, hall=hall, target=rating, changes=changes)
    case_event_record(case=case, actor=actor, kind="rectified", changes=changes, at=now)
    _index(rating, case, hall)
    return rating


@transaction.atomic
def rating_appeal_request(*, case: Case, actor: Any, reason: str) -> CaseRating:
    """The hall lead sends the person's rating for review (申诉复核) to the city supervisor, with a
    reason. Once per rating; not a default rating."""
    hall = current_tenant()
    if not RoleAssignment.objects.filter(user_id=actor.pk, hall_id=hall.pk, kind=RoleKind.HALL_LEAD).exists():
        raise Http404
    rating = CaseRating.objects.select_for_update().filter(case_id=case.pk).first()
    if rating is None or rating.source != RatingSource.PERSON or rating.state != RatingState.ACTIVE:
        raise ValidationError({"reason": [_("Only an active rating by the person can be sent for review.")]})
    if rating.appeal_state:
        raise ValidationError({"reason": [_("This rating has already been sent for review.")]})
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why the rating should be reviewed.")]})
    if len(reason) > limits.NOTE_MAX_LENGTH:
        raise ValidationError(
            {"reason": [_("Keep it within %(limit)d characters.") % {"limit": limits.NOTE_MAX_LENGTH}]}
        )
    now = timezone.now()
    rating.appeal_state = AppealState.REQUESTED
    rating.appeal_reason = reason
    rating.appeal_requested_at = now
    rating.appeal_requested_by = actor
    rating.version += 1
    rating.save()
    audit_record(action="rating.appeal_request", actor=actor, hall=hall, target=rating, changes={"level": rating.level})
    case_event_record(case=case, actor=actor, kind="rating_appealed", changes={"level": rating.level}, at=now)
    _index(rating, case, hall)
    city_id = hall.parent_id if hall.parent_id is not None else hall.pk
    notices.notify_staff(
        kind="rating_appeal_requested",
        event_key=f"case:{case.pk}:rating_appeal",
        hall=hall,
        user_ids=notices.city_supervisor_ids(city_id),
        context={
            "case_number": case.number,
            "matter_name": case.matter_name,
            "level_label": str(Satisfaction(rating.level).label),
            "hall_name": hall.name,
        },
        link=notices.RATING_APPEALS_LINK,
    )
    return rating


@transaction.atomic
def rating_appeal_decide(*, case_id: int, actor: Any, keep: bool, reason: str) -> CaseRating:
    """The city supervisor keeps or voids a rating sent for review, with a reason (audited). A voided
    rating stays recorded and is left out of statistics. Run in the case's hall schema."""
    hall = current_tenant()
    city_id = hall.parent_id if hall.parent_id is not None else hall.pk
    if not RoleAssignment.objects.filter(user_id=actor.pk, hall_id=city_id, kind=RoleKind.CITY_SUPERVISOR).exists():
        raise Http404
    rating = CaseRating.objects.select_for_update().filter(case_id=case_id).select_related("case").first()
    if rating is None:
        raise Http404
    if rating.appeal_state != AppealState.REQUESTED:
        raise ValidationError({"decision": [_("This rating is not waiting for a review.")]})
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Give the reason of the decision.")]})
    if len(reason) > limits.NOTE_MAX_LENGTH:
        raise ValidationError(
            {"reason": [_("Keep it within %(limit)d characters.") % {"limit": limits.NOTE_MAX_LENGTH}]}
        )
    now = timezone.now()
    rating.appeal_state = AppealState.KEPT if keep else AppealState.VOIDED
    if not keep:
        rating.state = RatingState.VOIDED
    rating.appeal_decision_reason = reason
    rating.appeal_decided_at = now
    rating.appeal_decided_by = actor
    rating.version += 1
    rating.save()
    case = rating.case
    changes = {"decision": rating.appeal_state, "reason": reason}
    audit_record(action="rating.appeal_decide", actor=actor, hall=hall, target=rating, changes=changes)
    case_event_record(case=case, actor=actor, kind="rating_reviewed", changes={"decision": rating.appeal_state}, at=now)
    _index(rating, case, hall)
    notices.notify_staff(
        kind="rating_appeal_decided",
        event_key=f"case:{case.pk}:rating_appeal_decided",
        hall=hall,
        user_ids=notices.hall_lead_ids(hall.pk),
        context={
            "case_number": case.number,
            "matter_name": case.matter_name,
            "voided": not keep,
            "reason": reason,
            "hall_name": hall.name,
        },
        link=notices.case_link(hall, case.pk),
    )
    return rating
