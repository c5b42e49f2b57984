"""``POST /api/v1/public/rating/`` (casework/api/public_rating.py): the person rates with proof on every
call; wrong proof counted and answered like an unknown NO; 404 on the base domain; 429 with Retry-After."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from casework.choices import Satisfaction
from casework.models import CaseRating, ProgressFailure
from tests.casework.support import Clock
from tests.casework.test_progress_page import PHONE_LAST_FOUR, clock, hall, token_of  # noqa: F401 (fixtures)
from tests.casework.test_rating_page import told
from tests.conftest import host_of

URL = "/api/v1/public/rating/"


def call(body: dict[str, Any], code: str | None = "wengyuan") -> Any:
    client = Client(HTTP_HOST=host_of(code), REMOTE_ADDR="198.51.100.9")
    return client.post(URL, body, content_type="application/json")


def test_rate_with_the_number_and_digits_then_change(hall: Any, clock: Clock) -> None:  # noqa: F811
    case = told(hall, clock)
    response = call({"number": case.number, "last_four": PHONE_LAST_FOUR, "level": "satisfied", "comment": "好"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["level"] == Satisfaction.SATISFIED and body["default"] is False and body["change_until"]
    response = call({"token": token_of(case), "last_four": PHONE_LAST_FOUR, "level": "very_satisfied"})
    assert response.status_code == 200
    assert CaseRating.objects.get(case=case).level == Satisfaction.VERY_SATISFIED


def test_wrong_digits_and_unknown_number_answer_alike_and_are_counted(hall: Any, clock: Clock) -> None:  # noqa: F811
    case = told(hall, clock)
    wrong = call({"number": case.number, "last_four": "0000", "level": "satisfied"})
    unknown = call({"number": "XX-2026-999999", "last_four": PHONE_LAST_FOUR, "level": "satisfied"})
    assert wrong.status_code == unknown.status_code == 400
    assert wrong.json() == unknown.json()
    assert ProgressFailure.objects.count() == 2
    assert not CaseRating.objects.exists()


def test_refusals_name_the_field_and_change_nothing(hall: Any, clock: Clock) -> None:  # noqa: F811
    case = told(hall, clock)
    response = call({"number": case.number, "last_four": PHONE_LAST_FOUR, "level": "best"})
    assert response.status_code == 400 and "level" in response.json()["fields"]
    response = call({"number": case.number, "last_four": PHONE_LAST_FOUR, "level": "satisfied", "comment": "长" * 501})
    assert response.status_code == 400 and "comment" in response.json()["fields"]
    assert not CaseRating.objects.exists()


def test_a_case_not_yet_told_is_refused(hall: Any, clock: Clock) -> None:  # noqa: F811
    from tests.casework.support import register

    case = register(hall)
    response = call({"number": case.number, "last_four": PHONE_LAST_FOUR, "level": "satisfied"})
    assert response.status_code == 400 and "level" in response.json()["fields"]
    assert not CaseRating.objects.filter(case=case).exists()


def test_blocked_after_too_many_wrong_tries_with_retry_after(hall: Any, clock: Clock, settings: Any) -> None:  # noqa: F811
    case = told(hall, clock)
    for _ in range(settings.PROGRESS_FAILURE_LIMIT):
        call({"number": case.number, "last_four": "0000", "level": "satisfied"})
    response = call({"number": case.number, "last_four": PHONE_LAST_FOUR, "level": "satisfied"})
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert not CaseRating.objects.exists()


def test_on_the_base_domain_it_is_404(hall: Any, clock: Clock) -> None:  # noqa: F811
    response = call({"number": "X", "last_four": "1234", "level": "satisfied"}, code=None)
    assert response.status_code == 404 and response.json()["code"] == "not_found"


@pytest.mark.parametrize("body", [{"level": "satisfied"}, {"number": "X", "level": "satisfied"}])
def test_missing_proof_names_the_field(hall: Any, clock: Clock, body: dict[str, Any]) -> None:  # noqa: F811
    response = call(body)
    assert response.status_code == 400 and set(response.json()["fields"]) & {"number", "last_four"}
