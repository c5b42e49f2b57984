"""The person's rating (好差评, casework/ratings.py): once per case, a change within 7 days, the default
rating after 7 natural days (the silent timer of the deadline engine), the rectification after a
dissatisfied rating, and the review (申诉复核) by the city supervisor."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404

from casework.choices import (
    AppealState,
    CaseStatus,
    RatingSource,
    RatingState,
    RectificationState,
    Satisfaction,
)
from casework.models import Case, CaseEvent, CaseRating
from casework.ratings import (
    rating_appeal_decide,
    rating_appeal_request,
    rating_give,
    rating_rectification_record,
)
from casework.services import case_answer_on_spot, case_feedback_record, case_follow_up, case_reopen
from hallindex.models import RatingIndex
from hallplatform.audit.models import AuditEvent
from hallplatform.deadlines.models import Deadline, DeadlineKind, DeadlineRule, DeadlineState
from hallplatform.deadlines.sweep import deadline_sweep
from hallplatform.schemas import use_hall_schema, use_public_schema
from notifications.models import Notice
from tests.casework.support import Clock, at, draft, install_clock, register, slips_of, transfer
from tests.conftest import user

WINDOW = "wengyuan_window"


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return install_clock(monkeypatch)


@pytest.fixture
def hall(demo: dict[str, Any], clock: Clock) -> Any:
    use_hall_schema(demo["wengyuan"])
    return demo["wengyuan"]


def fed_back(hall: Any, clock: Clock) -> Case:
    from casework.services import slip_reply

    case = register(hall)
    transfer(case, draft("wengyuan/rsj"))
    clock.set("2026-03-02T10:00")
    [slip] = [s for s in slips_of(case) if s.is_open]
    slip_reply(slip=slip, actor=user("wengyuan_rsj"), result="done", reply="已办结")
    clock.set("2026-03-02T11:00")
    case = Case.objects.get(pk=case.pk)
    return case_feedback_record(case=case, actor=user(WINDOW), method="phone", content="已告知办结")


def timer(case: Case) -> Deadline:
    return Deadline.objects.get(kind=DeadlineKind.RATING_DEFAULT, subject_id=str(case.pk))


def snapshot(case: Case) -> dict[str, Any]:
    return {
        "ratings": list(
            CaseRating.objects.values_list("case_id", "level", "comment", "state", "appeal_state", "version")
        ),
        "index": list(RatingIndex.objects.values_list("case_id", "level", "state", "appeal_state")),
        "deadlines": list(Deadline.objects.order_by("pk").values_list("pk", "kind", "state")),
        "events": CaseEvent.objects.count(),
        "audit": AuditEvent.objects.count(),
        "notices": Notice.objects.count(),
    }


def test_feedback_starts_a_silent_seven_natural_day_timer(hall: Any, clock: Clock) -> None:
    case = fed_back(hall, clock)
    row = timer(case)
    assert row.state == DeadlineState.TIMER
    assert row.rule == DeadlineRule.NATURAL_DAYS
    # natural days: a week later at the same time, weekend included
    assert row.due_at == at("2026-03-09T11:00")


def test_a_rating_before_feedback_is_refused_and_nothing_changes(hall: Any, clock: Clock) -> None:
    case = register(hall)
    before = snapshot(case)
    with pytest.raises(ValidationError) as excinfo:
        rating_give(case=case, level=Satisfaction.SATISFIED)
    assert set(excinfo.value.message_dict) == {"level"}
    assert snapshot(case) == before


def test_the_person_rates_once_and_the_timer_is_cancelled(hall: Any, clock: Clock) -> None:
    case = fed_back(hall, clock)
    clock.set("2026-03-03T09:00")
    rating = rating_give(case=case, level=Satisfaction.VERY_SATISFIED, comment="服务很好，电话13812345678")
    assert rating.source == RatingSource.PERSON and rating.first_level == Satisfaction.VERY_SATISFIED
    assert timer(case).state == DeadlineState.CANCELLED
    assert RatingIndex.objects.get(case_id=case.pk).level == Satisfaction.VERY_SATISFIED
    assert AuditEvent.objects.filter(action="rating.give").count() == 1
    assert CaseEvent.objects.filter(case=case, kind="rated").count() == 1
    # the sweep a week later gives no default rating
    use_public_schema()
    deadline_sweep(now=at("2026-03-10T12:00"))
    use_hall_schema(hall)
    assert CaseRating.objects.get(case=case).source == RatingSource.PERSON


def test_bad_level_and_long_comment_are_refused(hall: Any, clock: Clock) -> None:
    case = fed_back(hall, clock)
    before = snapshot(case)
    with pytest.raises(ValidationError) as excinfo:
        rating_give(case=case, level="excellent", comment="好" * 501)
    assert set(excinfo.value.message_dict) == {"level", "comment"}
    assert snapshot(case) == before


def test_a_change_within_seven_days_then_refused(hall: Any, clock: Clock) -> None:
    case = fed_back(hall, clock)
    clock.set("2026-03-03T09:00")
    rating_give(case=case, level=Satisfaction.SATISFIED)
    clock.set("2026-03-09T09:00")
    changed = rating_give(case=case, level=Satisfaction.VERY_SATISFIED, comment="改为非常满意")
    assert changed.level == Satisfaction.VERY_SATISFIED and changed.first_level == Satisfaction.SATISFIED
    assert changed.changed_at == at("2026-03-09T09:00")
    clock.set("2026-03-10T09:01")
    before = snapshot(case)
    with pytest.raises(ValidationError) as excinfo:
        rating_give(case=case, level=Satisfaction.SATISFIED)
    assert set(excinfo.value.message_dict) == {"level"}
    assert snapshot(case) == before


def test_default_rating_after_seven_natural_days_through_the_sweep(hall: Any, clock: Clock) -> None:
    case = fed_back(hall, clock)
    deadline_notices = Notice.objects.filter(kind__startswith="deadline_").count()
    use_public_schema()
    assert deadline_sweep(now=at("2026-03-09T10:59")).fired == 0
    result = deadline_sweep(now=at("2026-03-09T11:00"))
    assert result.fired == 1 and result.breached == 0 and result.warned == 0
    # a second sweep finds nothing to do
    assert deadline_sweep(now=at("2026-03-09T11:01")).fired == 0
    use_hall_schema(hall)
    rating = CaseRating.objects.get(case=case)
    assert (rating.level, rating.source) == (Satisfaction.FAIRLY_SATISFIED, RatingSource.DEFAULT)
    assert timer(case).state == DeadlineState.MET
    # silent: no warning, breach or escalation notice
    assert Notice.objects.filter(kind__startswith="deadline_").count() == deadline_notices
    # the person can no longer rate nor change a default rating
    clock.set("2026-03-09T12:00")
    before = snapshot(case)
    with pytest.raises(ValidationError):
        rating_give(case=case, level=Satisfaction.VERY_DISSATISFIED)
    assert snapshot(case) == before


def test_answer_on_the_spot_starts_the_timer_and_reopen_cancels_it(hall: Any, clock: Clock) -> None:
    case = register(hall)
    case = case_answer_on_spot(case=case, actor=user(WINDOW), category="consultation", answer="一次性告知")
    assert timer(case).state == DeadlineState.TIMER
    fed = fed_back(hall, clock)
    clock.set("2026-03-03T09:00")
    fed = case_follow_up(
        case=fed, actor=user(WINDOW), method="phone", date=at("2026-03-03T09:00").date(),
        satisfaction=Satisfaction.DISSATISFIED,
    )  # fmt: skip
    fed = case_reopen(case=fed, actor=user(WINDOW), reason="不满意")
    assert timer(fed).state == DeadlineState.CANCELLED
    assert fed.status == CaseStatus.REOPENED
    use_public_schema()
    deadline_sweep(now=at("2026-03-20T09:00"))
    use_hall_schema(hall)
    assert not CaseRating.objects.filter(case=fed).exists()


def test_dissatisfied_rating_opens_rectification_told_to_the_hall_lead(hall: Any, clock: Clock) -> None:
    hall.rectification_days = 3
    hall.save(update_fields=["rectification_days"])
    case = fed_back(hall, clock)
    clock.set("2026-03-03T09:00")
    rating = rating_give(case=case, level=Satisfaction.VERY_DISSATISFIED, comment="推诿")
    assert rating.rectification_state == RectificationState.OPEN
    deadline = Deadline.objects.get(kind=DeadlineKind.RECTIFICATION, subject_id=str(case.pk))
    assert (deadline.state, deadline.rule, deadline.rule_amount) == (DeadlineState.OPEN, "working_days", 3)
    assert deadline.owner_user_id == case.handler_id
    told = set(Notice.objects.filter(kind="rating_unsatisfied").values_list("recipient_user__username", flat=True))
    assert told == {"wengyuan_lead"}
    # the window records what was rectified and its follow-up: the deadline is met
    before = snapshot(case)
    with pytest.raises(ValidationError) as excinfo:
        rating_rectification_record(case=case, actor=user(WINDOW), note="", method="fax", satisfaction="x")
    assert set(excinfo.value.message_dict) == {"note", "method", "satisfaction"}
    assert snapshot(case) == before
    with pytest.raises(Http404):
        rating_rectification_record(
            case=case, actor=user("wengyuan_rsj"), note="整改", method="phone", satisfaction="satisfied"
        )
    clock.set("2026-03-04T09:00")
    done = rating_rectification_record(
        case=case, actor=user(WINDOW), note="已约谈经办人并当场办结", method="phone", satisfaction="satisfied"
    )
    assert done.rectification_state == RectificationState.DONE
    deadline.refresh_from_db()
    assert deadline.state == DeadlineState.MET
    with pytest.raises(ValidationError):
        rating_rectification_record(
            case=case, actor=user(WINDOW), note="再次", method="phone", satisfaction="satisfied"
        )


def test_appeal_by_hall_lead_and_void_by_city_supervisor(hall: Any, clock: Clock) -> None:
    case = fed_back(hall, clock)
    clock.set("2026-03-03T09:00")
    rating_give(case=case, level=Satisfaction.DISSATISFIED, comment="态度差")
    before = snapshot(case)
    with pytest.raises(Http404):
        rating_appeal_request(case=case, actor=user(WINDOW), reason="恶意差评")
    with pytest.raises(ValidationError) as excinfo:
        rating_appeal_request(case=case, actor=user("wengyuan_lead"), reason=" ")
    assert set(excinfo.value.message_dict) == {"reason"}
    assert snapshot(case) == before
    rating = rating_appeal_request(case=case, actor=user("wengyuan_lead"), reason="办事人误解政策")
    assert rating.appeal_state == AppealState.REQUESTED
    assert RatingIndex.objects.get(case_id=case.pk).appeal_state == AppealState.REQUESTED
    told = set(Notice.objects.filter(kind="rating_appeal_requested").values_list("recipient_user__username", flat=True))
    assert "shaoguan_supervisor" in told
    # the person can no longer change a rating under review
    with pytest.raises(ValidationError):
        rating_give(case=case, level=Satisfaction.SATISFIED)
    with pytest.raises(ValidationError):
        rating_appeal_request(case=case, actor=user("wengyuan_lead"), reason="再次")
    # only the city's supervisor decides
    with pytest.raises(Http404):
        rating_appeal_decide(case_id=case.pk, actor=user("wengyuan_lead"), keep=False, reason="作废")
    before = snapshot(case)
    with pytest.raises(ValidationError):
        rating_appeal_decide(case_id=case.pk, actor=user("shaoguan_supervisor"), keep=False, reason="")
    assert snapshot(case) == before
    decided = rating_appeal_decide(case_id=case.pk, actor=user("shaoguan_supervisor"), keep=False, reason="核实属误解")
    assert (decided.state, decided.appeal_state) == (RatingState.VOIDED, AppealState.VOIDED)
    assert AuditEvent.objects.filter(action="rating.appeal_decide").count() == 1
    assert RatingIndex.objects.get(case_id=case.pk).state == RatingState.VOIDED
    with pytest.raises(ValidationError):
        rating_appeal_decide(case_id=case.pk, actor=user("shaoguan_supervisor"), keep=True, reason="改判")


def test_a_default_rating_cannot_be_appealed(hall: Any, clock: Clock) -> None:
    case = fed_back(hall, clock)
    use_public_schema()
    deadline_sweep(now=at("2026-03-09T11:00"))
    use_hall_schema(hall)
    before = snapshot(case)
    with pytest.raises(ValidationError):
        rating_appeal_request(case=case, actor=user("wengyuan_lead"), reason="默认好评")
    assert snapshot(case) == before
