"""The person's rating on the staff case page (casework/web/views.py _rating_context,
rating_rectification_view, rating_appeal_view): shown apart from the follow-up; the window records the
rectification, the hall lead sends the rating for review; refusals change nothing."""

from __future__ import annotations

from typing import Any

import pytest

from casework.choices import AppealState, RectificationState, Satisfaction
from casework.models import CaseRating
from casework.ratings import rating_give
from hallplatform.deadlines.models import Deadline, DeadlineKind, DeadlineState
from hallplatform.schemas import use_hall_schema
from tests.casework.support import Clock, install_clock
from tests.casework.test_rating_page import told
from tests.conftest import client_for


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return install_clock(monkeypatch)


@pytest.fixture
def unhappy(demo: dict[str, Any], clock: Clock) -> Any:
    use_hall_schema(demo["wengyuan"])
    case = told(demo["wengyuan"], clock)
    rating_give(case=case, level=Satisfaction.DISSATISFIED, comment="推诿 13812345678")
    return case


def test_the_case_page_shows_the_rating_and_the_window_records_the_rectification(unhappy: Any) -> None:
    window = client_for("wengyuan_window", "wengyuan")
    page = window.get(f"/cases/{unhappy.pk}/").content.decode()
    assert 'id="person-rating"' in page and 'id="rectification-form"' in page
    assert 'id="rating-appeal-form"' not in page  # the window does not appeal
    assert "13812345678" not in page and "138****5678" in page
    url = f"/cases/{unhappy.pk}/rating/rectification/"
    window.post(url, {"note": "", "method": "phone", "satisfaction": "satisfied"})
    assert CaseRating.objects.get(case=unhappy).rectification_state == RectificationState.OPEN
    response = window.post(url, {"note": "已约谈经办人", "method": "phone", "satisfaction": "satisfied"})
    assert response.status_code == 302
    assert CaseRating.objects.get(case=unhappy).rectification_state == RectificationState.DONE
    deadline = Deadline.objects.get(kind=DeadlineKind.RECTIFICATION, subject_id=str(unhappy.pk))
    assert deadline.state == DeadlineState.MET
    assert 'id="rectification-form"' not in window.get(f"/cases/{unhappy.pk}/").content.decode()


def test_the_hall_lead_sends_the_rating_for_review_from_the_case_page(unhappy: Any) -> None:
    lead = client_for("wengyuan_lead", "wengyuan")
    assert 'id="rating-appeal-form"' in lead.get(f"/cases/{unhappy.pk}/").content.decode()
    url = f"/cases/{unhappy.pk}/rating/appeal/"
    lead.post(url, {"reason": ""})
    assert CaseRating.objects.get(case=unhappy).appeal_state == ""
    assert client_for("wengyuan_window", "wengyuan").post(url, {"reason": "误解"}).status_code == 404
    assert CaseRating.objects.get(case=unhappy).appeal_state == ""
    assert lead.post(url, {"reason": "办事人误解政策"}).status_code == 302
    assert CaseRating.objects.get(case=unhappy).appeal_state == AppealState.REQUESTED
    assert 'id="rating-appeal-form"' not in lead.get(f"/cases/{unhappy.pk}/").content.decode()
