"""The default rating (默认好评) run by a real Celery worker: beat's deadline sweep task, in the worker
process, gives an unrated case 基本满意 (source default) 7 natural days after the feedback, once; a case
told 6 days ago is left alone.

Time: this process records the feedback with ``timezone.now()`` answering an instant 7 natural days
(and a few minutes) before the real time, so the silent timer is due now by the worker's own clock;
the worker runs at the real time. Whatever the test wrote is deleted afterwards (committed_world)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from casework.choices import RatingSource, Satisfaction
from casework.models import Case, CaseRating
from casework.services import case_answer_on_spot
from hallplatform.deadlines.models import Deadline, DeadlineKind, DeadlineState
from hallplatform.deadlines.tasks import deadline_sweep_task
from hallplatform.schemas import use_hall_schema, use_public_schema
from tests.casework.support import Clock, register
from tests.conftest import user
from tests.notifications.test_end_to_end_staff import committed_world  # noqa: F401 (fixture)

pytestmark = pytest.mark.celery_worker


def told_at(hall: Any, clock: Clock, when: Any) -> Case:
    clock.set(when)
    use_hall_schema(hall)
    case = register(hall)
    return case_answer_on_spot(case=case, actor=user("wengyuan_window"), category="consultation", answer="一次性告知")


def test_the_worker_rates_an_unrated_case_seven_natural_days_after_it_was_told(
    committed_world: Any,  # noqa: F811
    celery_worker_process: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hall = committed_world
    real_now = timezone.now()
    clock = Clock(real_now)
    monkeypatch.setattr("django.utils.timezone.now", clock)
    due = told_at(hall, clock, real_now - timedelta(days=7, minutes=3))
    not_yet = told_at(hall, clock, real_now - timedelta(days=6))
    use_public_schema()
    timer = Deadline.objects.get(kind=DeadlineKind.RATING_DEFAULT, subject_id=str(due.pk), hall=hall)
    assert timer.state == DeadlineState.TIMER and timer.due_at <= real_now
    monkeypatch.undo()  # this process too reads the real time again

    answer = deadline_sweep_task.apply_async(headers={"_schema_name": "public"}).get(timeout=60)
    assert answer["fired"] >= 1

    use_hall_schema(hall)
    rating = CaseRating.objects.get(case_id=due.pk)
    assert (rating.level, rating.source) == (Satisfaction.FAIRLY_SATISFIED, RatingSource.DEFAULT)
    assert not CaseRating.objects.filter(case_id=not_yet.pk).exists()
    use_public_schema()
    timer.refresh_from_db()
    assert timer.state == DeadlineState.MET
    # beat's next sweep finds nothing left to do: one default rating, not two
    again = deadline_sweep_task.apply_async(headers={"_schema_name": "public"}).get(timeout=60)
    assert again["fired"] == 0
    use_hall_schema(hall)
    assert CaseRating.objects.filter(case_id=due.pk).count() == 1
    use_public_schema()
