"""Grouping spellings of a matter (analytics/matters.py) and that the dashboard queries run."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from analytics.selectors import Period, Scope, figures_for, recurring_problems
from casework.services import Registration, case_register
from hallindex.matters import matter_key
from hallplatform.schemas import use_hall_schema, use_public_schema
from tests.casework.test_case_register import form
from tests.conftest import user


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("社保卡补办", "社保卡 补办"),
        ("社保卡补办", "社保卡补办。"),
        ("社保卡补办", "社保卡补办业务"),
        ("ＡＢＣ证明", "abc证明"),
    ],
)
def test_spellings_of_the_same_matter_share_a_key(a: str, b: str) -> None:
    assert matter_key(a) == matter_key(b)


def test_different_matters_keep_different_keys() -> None:
    assert matter_key("社保卡补办") != matter_key("医保卡补办")
    assert matter_key("事项") == "事项"  # a bare generic word is kept


def test_the_dashboard_groups_spellings_and_counts_cases(demo: dict[str, Any]) -> None:
    use_hall_schema(demo["wengyuan"])
    for name in ("社保卡补办", "社保卡 补办", "营业执照变更"):
        data = form()
        case_register(
            hall=demo["wengyuan"],
            actor=user("wengyuan_window"),
            data=Registration(**{**data.__dict__, "matter_name": name}),
        )
    use_public_schema()
    today = timezone.localdate()

    figures = figures_for(scope=Scope.of_hall(demo["wengyuan"]), period=Period(first=today, last=today))

    assert figures.cases == 3
    assert figures.matters[0]["cases"] == 2 and figures.matters[0]["key"] == "社保卡补办"
    assert figures.repeat_reporters == 2  # the same person reported three times
    city = figures_for(scope=Scope.of_city(demo["shaoguan"]), period=Period(first=today, last=today))
    assert city.cases == 3 and {h["code"] for h in city.halls} >= {"wengyuan", "shaoguan"}
    assert (
        recurring_problems(scope=Scope.of_hall(demo["wengyuan"]), period=Period(first=today, last=today))["matters"][0][
            "trend"
        ]
        == 2
    )
