"""The review (申诉复核) of a rating by the person: the hall lead's request through the case API, the
city supervisor's list and decision on the portal (coordination/web/views.py rating_appeals), audited;
another city's supervisor gets 404; a refusal changes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from casework.choices import AppealState, RatingState, Satisfaction
from casework.models import CaseRating
from casework.ratings import rating_give
from hallindex.models import RatingIndex
from hallplatform.audit.models import AuditEvent
from hallplatform.schemas import use_hall_schema, use_public_schema
from tests.casework.support import Clock, install_clock
from tests.casework.test_rating_page import told
from tests.conftest import client_for


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return install_clock(monkeypatch)


@pytest.fixture
def rated(demo: dict[str, Any], clock: Clock) -> Any:
    hall = demo["wengyuan"]
    use_hall_schema(hall)
    case = told(hall, clock)
    rating_give(case=case, level=Satisfaction.VERY_DISSATISFIED, comment="态度差")
    use_public_schema()
    return case


def rating_of(case: Any, demo: dict[str, Any]) -> CaseRating:
    use_hall_schema(demo["wengyuan"])
    try:
        return CaseRating.objects.get(case_id=case.pk)
    finally:
        use_public_schema()


def test_the_case_api_shows_the_persons_rating_apart_from_the_follow_up(rated: Any, demo: dict[str, Any]) -> None:
    body = client_for("wengyuan_window", "wengyuan").get(f"/api/v1/cases/{rated.pk}/").json()
    assert body["person_rating"]["level"] == Satisfaction.VERY_DISSATISFIED
    assert body["person_rating"]["rectification_state"] == "open"
    assert body["satisfaction"] == ""  # the window's own follow-up: not recorded yet


def test_only_the_hall_lead_sends_a_rating_for_review(rated: Any, demo: dict[str, Any]) -> None:
    path = f"/api/v1/cases/{rated.pk}/rating-appeal/"
    assert (
        client_for("wengyuan_window", "wengyuan").post(path, {"reason": "误解"}, "application/json").status_code == 404
    )
    refused = client_for("wengyuan_lead", "wengyuan").post(path, {"reason": ""}, "application/json")
    assert refused.status_code == 400 and "reason" in refused.json()["fields"]
    assert rating_of(rated, demo).appeal_state == ""
    response = client_for("wengyuan_lead", "wengyuan").post(path, {"reason": "办事人误解政策"}, "application/json")
    assert response.status_code == 200
    assert response.json()["person_rating"]["appeal_state"] == AppealState.REQUESTED
    assert RatingIndex.objects.get(case_id=rated.pk).appeal_state == AppealState.REQUESTED


def test_the_supervisor_lists_and_voids_with_a_reason(rated: Any, demo: dict[str, Any]) -> None:
    client_for("wengyuan_lead", "wengyuan").post(
        f"/api/v1/cases/{rated.pk}/rating-appeal/", {"reason": "办事人误解政策"}, "application/json"
    )
    supervisor = client_for("shaoguan_supervisor", None)
    page = supervisor.get("/portal/rating-appeals/")
    assert page.status_code == 200
    text = page.content.decode()
    assert rated.number in text and "办事人误解政策" in text and "<script>" not in text
    hall_id = demo["wengyuan"].pk
    url = f"/portal/rating-appeals/{hall_id}/{rated.pk}/decide/"
    # another city's supervisor: 404, nothing changed
    assert client_for("qingyuan_supervisor", None).post(url, {"decision": "void", "reason": "x"}).status_code == 404
    # no reason: refused, nothing changed
    supervisor.post(url, {"decision": "void", "reason": ""})
    assert rating_of(rated, demo).state == RatingState.ACTIVE
    audits = AuditEvent.objects.filter(action="rating.appeal_decide").count()
    assert supervisor.post(url, {"decision": "void", "reason": "核实属误解"}).status_code == 302
    rating = rating_of(rated, demo)
    assert (rating.state, rating.appeal_state) == (RatingState.VOIDED, AppealState.VOIDED)
    assert AuditEvent.objects.filter(action="rating.appeal_decide").count() == audits + 1
    assert rated.number not in supervisor.get("/portal/rating-appeals/").content.decode()
    # decided once: the same post again is 404 (no longer waiting)
    assert supervisor.post(url, {"decision": "keep", "reason": "改判"}).status_code == 404


def test_the_window_records_the_rectification_through_the_api(rated: Any, demo: dict[str, Any]) -> None:
    path = f"/api/v1/cases/{rated.pk}/rectification/"
    client = client_for("wengyuan_window", "wengyuan")
    refused = client.post(path, {"note": "", "method": "phone", "satisfaction": "satisfied"}, "application/json")
    assert refused.status_code == 400 and "note" in refused.json()["fields"]
    assert rating_of(rated, demo).rectification_state == "open"
    body = {"note": "已约谈并办结", "method": "phone", "satisfaction": "satisfied"}
    response = client.post(path, body, "application/json")
    assert response.status_code == 200
    assert response.json()["person_rating"]["rectification_state"] == "done"
