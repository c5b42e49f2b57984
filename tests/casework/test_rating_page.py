"""The rating form on the person's progress page (casework/web/person_progress.py progress_rating,
casework/templates/casework/progress/_rating.html): shown once told, five radio buttons, no script;
refusals answer 400 with the field's error and change nothing."""

from __future__ import annotations

import re
from typing import Any

from casework.choices import RatingSource, Satisfaction
from casework.models import Case, CaseRating
from casework.services import case_feedback_record, slip_reply
from hallplatform.audit.models import AuditEvent
from tests.casework.support import Clock, draft, register, slips_of, transfer
from tests.casework.test_progress_page import clock, hall, open_with, page_text, person  # noqa: F401 (fixtures)
from tests.conftest import user


def told(hall: Any, clock: Clock) -> Case:  # noqa: F811
    case = register(hall)
    transfer(case, draft("wengyuan/rsj"))
    clock.set("2026-03-02T10:00")
    [slip] = [s for s in slips_of(case) if s.is_open]
    slip_reply(slip=slip, actor=user("wengyuan_rsj"), result="done", reply="已办结")
    return case_feedback_record(
        case=Case.objects.get(pk=case.pk), actor=user("wengyuan_window"), method="phone", content="已告知"
    )


def test_no_form_before_the_person_is_told(hall: Any, clock: Clock) -> None:  # noqa: F811
    case = register(hall)
    client = person()
    open_with(client, case)
    page = page_text(client.get("/progress/status/"))
    assert 'id="rating-form"' not in page
    response = client.post("/progress/rating/", {"level": Satisfaction.SATISFIED})
    assert response.status_code == 400
    assert not CaseRating.objects.exists()


def test_the_person_rates_from_the_page_and_may_change_within_seven_days(hall: Any, clock: Clock) -> None:  # noqa: F811
    case = told(hall, clock)
    client = person()
    open_with(client, case)
    page = page_text(client.get("/progress/status/"))
    assert 'id="rating-form"' in page
    assert len(re.findall(r'type="radio" [^>]*name="level"', page)) == 5
    assert "<script" not in page
    response = client.post("/progress/rating/", {"level": Satisfaction.VERY_SATISFIED, "comment": "很好 13812345678"})
    assert response.status_code == 302
    rating = CaseRating.objects.get(case=case)
    assert (rating.level, rating.source) == (Satisfaction.VERY_SATISFIED, RatingSource.PERSON)
    page = page_text(client.get(response["Location"]))
    assert 'id="rating-given"' in page and 'id="rating-thanks"' in page
    # the comment is masked like all free text
    assert "13812345678" not in page and "138****5678" in page
    clock.advance(days=6)
    open_with(client, case)  # the confirmation lasts half an hour: the person confirms again
    assert client.post("/progress/rating/", {"level": Satisfaction.SATISFIED}).status_code == 302
    assert CaseRating.objects.get(case=case).level == Satisfaction.SATISFIED
    clock.advance(days=2)
    open_with(client, case)
    assert 'id="rating-form"' not in page_text(client.get("/progress/status/"))
    audit = AuditEvent.objects.count()
    response = client.post("/progress/rating/", {"level": Satisfaction.DISSATISFIED})
    assert response.status_code == 400
    assert 'id="level-error"' in page_text(response)
    assert CaseRating.objects.get(case=case).level == Satisfaction.SATISFIED
    assert AuditEvent.objects.count() == audit


def test_bad_level_or_long_comment_is_refused_and_nothing_changes(hall: Any, clock: Clock) -> None:  # noqa: F811
    case = told(hall, clock)
    client = person()
    open_with(client, case)
    response = client.post("/progress/rating/", {"level": "best", "comment": "长" * 501})
    assert response.status_code == 400
    page = page_text(response)
    assert 'id="level-error"' in page and 'id="comment-error"' in page
    assert not CaseRating.objects.exists()


def test_rating_needs_the_confirmed_case_of_the_session(hall: Any, clock: Clock) -> None:  # noqa: F811
    told(hall, clock)
    response = person().post("/progress/rating/", {"level": Satisfaction.SATISFIED})
    assert response.status_code == 302 and response["Location"].endswith("/progress/")
    assert not CaseRating.objects.exists()
