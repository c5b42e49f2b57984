"""The person's ratings in the statistics (analytics/selectors.py rating_figures; analytics/tables.py
ratings_table): by level apart from the window's follow-up, default ratings, voided ones left out,
reviews and rectifications; in the monthly report's tables."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from analytics.report_pdf import report_tables
from analytics.selectors import Period, Scope, figures_for
from analytics.tables import section_table
from casework.choices import Satisfaction
from casework.ratings import rating_appeal_decide, rating_appeal_request, rating_give
from hallplatform.deadlines.sweep import deadline_sweep
from hallplatform.schemas import use_hall_schema, use_public_schema
from tests.casework.support import Clock, at, install_clock
from tests.casework.test_rating_page import told
from tests.conftest import user

MARCH = Period(first=date(2026, 3, 1), last=date(2026, 3, 31))


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return install_clock(monkeypatch)


def test_ratings_are_counted_apart_from_the_follow_up(demo: dict[str, Any], clock: Clock) -> None:
    hall = demo["wengyuan"]
    use_hall_schema(hall)
    satisfied = told(hall, clock)
    unhappy = told(hall, clock)
    voided = told(hall, clock)
    unrated = told(hall, clock)
    clock.set("2026-03-03T09:00")
    rating_give(case=satisfied, level=Satisfaction.SATISFIED)
    rating_give(case=unhappy, level=Satisfaction.VERY_DISSATISFIED)
    rating_give(case=voided, level=Satisfaction.DISSATISFIED)
    rating_appeal_request(case=voided, actor=user("wengyuan_lead"), reason="误解")
    rating_appeal_decide(case_id=voided.pk, actor=user("shaoguan_supervisor"), keep=False, reason="核实")
    use_public_schema()
    deadline_sweep(now=at("2026-03-09T10:30"))  # the unrated case's default rating
    # two rectifications opened (the voided rating's stays recorded); none done, one overdue by the 20th
    deadline_sweep(now=at("2026-03-20T09:00"))
    assert unrated.pk

    figures = figures_for(scope=Scope.of_hall(hall), period=MARCH)
    ratings = figures.ratings
    assert ratings["by_level"] == {
        "very_satisfied": 0, "satisfied": 1, "fairly_satisfied": 1, "dissatisfied": 0, "very_dissatisfied": 1,
    }  # fmt: skip
    assert (ratings["by_person"], ratings["by_default"], ratings["voided"]) == (2, 1, 1)
    assert ratings["appeals"] == {"requested": 1, "pending": 0, "kept": 0, "voided": 1}
    assert ratings["rectifications"]["opened"] == 2
    assert ratings["rectifications"]["breached"] == 2
    # the window's follow-up satisfaction is untouched by the person's ratings
    assert sum(figures.satisfaction.values()) == 0

    city = figures_for(scope=Scope.of_city(demo["shaoguan"]), period=MARCH)
    assert city.ratings["by_level"] == ratings["by_level"]

    table = section_table(figures.as_dict(), "ratings")
    assert table.key == "ratings" and len(table.rows) == 5 + 11
    content = {"figures": figures.as_dict(), "scope": "hall", "scope_name": hall.name, "period": {"name": "3月"}}
    assert "ratings" in [t.key for t in report_tables(content)]


def test_a_report_stored_before_ratings_renders_an_empty_table() -> None:
    table = section_table({"cases": 0}, "ratings")
    assert table.rows == []
