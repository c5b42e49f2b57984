"""The statistics API (analytics/api/views.py): the figures of a period and of the previous one for the
host's scope, the recurring problems, errors in the one shape, 404 for anyone outside the scope, and
a number of queries that does not grow with the data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from analytics.selectors import Scope, figures_for, recurring_problems
from hallplatform.checks import iter_views
from hallplatform.schemas import use_hall_schema, use_public_schema
from tenants.models import Hall
from tests.analytics.test_dashboard_pages import add_data
from tests.analytics.test_figures import AUGUST, NOW, SEPTEMBER, World, build
from tests.casework.api.support import api
from tests.casework.support import at, draft, install_clock, register, transfer

API_MODULE = "analytics.api.views"


def as_json(value: Any) -> Any:
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


@pytest.fixture
def world(demo: dict[str, Hall], monkeypatch: pytest.MonkeyPatch) -> World:
    return build(demo, install_clock(monkeypatch, at(NOW)))


def test_the_hall_figures_of_a_month_and_the_month_before(world: World) -> None:
    response = api("wengyuan_lead", "wengyuan").get("/api/v1/stats/", month="2026-09")

    assert response.status_code == 200
    body = response.json()
    assert body["scope"] == {"kind": "hall", "id": world.W.pk, "code": "wengyuan", "name": world.W.name}
    assert body["period"] == {"first": "2026-09-01", "last": "2026-09-30"}
    assert body["previous_period"] == {"first": "2026-08-01", "last": "2026-08-31"}
    assert body["figures"] == as_json(figures_for(scope=Scope.of_hall(world.W), period=SEPTEMBER).as_dict())
    assert body["previous"] == as_json(figures_for(scope=Scope.of_hall(world.W), period=AUGUST).as_dict())
    assert body["figures"]["stages"]["slip_ordinary"]["p90_minutes"] == 810.0  # test_figures: computed by hand


def test_the_city_figures_on_the_base_domain(world: World) -> None:
    body = api("shaoguan_supervisor", None).get("/api/v1/stats/", first="2026-09-01", last="2026-09-30").json()

    assert body["scope"]["kind"] == "city" and body["scope"]["code"] == "shaoguan"
    assert body["figures"] == as_json(figures_for(scope=Scope.of_city(world.S), period=SEPTEMBER).as_dict())
    assert {h["code"]: h["band"] for h in body["figures"]["halls"]}["wujiang"] == "good"


def test_a_supervisor_reads_a_halls_figures_on_its_host(world: World) -> None:
    body = api("shaoguan_supervisor", "wengyuan").get("/api/v1/stats/", month="2026-09").json()

    assert body["scope"]["kind"] == "hall" and body["figures"]["cases"] == 10


def test_the_recurring_problems(world: World) -> None:
    body = api("wengyuan_lead", "wengyuan").get("/api/v1/stats/problems/", month="2026-09", limit=2).json()

    expected = recurring_problems(scope=Scope.of_hall(world.W), period=SEPTEMBER, limit=2)
    assert [m["key"] for m in body["matters"]] == ["社保卡补办", "营业执照变更"]
    assert body["matters"] == as_json(expected["matters"])
    assert body["departments"] == as_json(expected["departments"])
    assert body["departments"][0]["failures"] == 2


def test_the_default_period_is_the_current_month(demo: Any) -> None:
    body = api("wengyuan_lead", "wengyuan").get("/api/v1/stats/").json()

    today = timezone.localdate()
    assert body["period"]["first"] == today.replace(day=1).isoformat()


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"month": "2026-13"}, "month"),
        ({"first": "2026-02-30"}, "first"),
        ({"first": "2026-09-10", "last": "2026-09-01"}, "last"),
    ],
)
def test_a_wrong_period_is_400_naming_the_field(demo: Any, params: dict[str, str], field: str) -> None:
    for path in ("/api/v1/stats/", "/api/v1/stats/problems/"):
        response = api("wengyuan_lead", "wengyuan").get(path, **params)

        assert response.status_code == 400
        assert response.json()["code"] == "invalid"
        assert set(response.json()["fields"]) == {field}


def api_routes() -> list[str]:
    from django.conf import settings

    return sorted(
        route
        for route, view in iter_views(settings.ROOT_URLCONF)
        if getattr(getattr(view, "cls", None), "__module__", "") == API_MODULE
    )


def test_every_route_is_known() -> None:
    assert api_routes() == [
        "api/v1/stats/",
        "api/v1/stats/problems/",
        "api/v1/stats/suggestions/",
        "api/v1/stats/suggestions/<int:pk>/answer/",
        "api/v1/stats/suggestions/mine/",
    ]


READ_ROUTES = ["/api/v1/stats/", "/api/v1/stats/problems/", "/api/v1/stats/suggestions/"]


@pytest.mark.parametrize("path", READ_ROUTES)
@pytest.mark.parametrize(
    ("username", "code"),
    [
        ("wengyuan_window", "wengyuan"),
        ("wengyuan_rsj", "wengyuan"),
        ("wengyuan_rsj", None),
        ("wengyuan_lead", None),
        ("wengyuan_lead", "nanxiong"),
        ("qingcheng_lead", "wengyuan"),
        ("qingyuan_supervisor", "wengyuan"),
        ("operator", None),
    ],
)
def test_everyone_outside_the_scope_gets_404(demo: Any, path: str, username: str, code: str | None) -> None:
    response = api(username, code).get(path)

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("path", READ_ROUTES)
def test_another_citys_supervisor_cannot_choose_this_city(demo: Any, path: str) -> None:
    shaoguan = Hall.objects.get(code="shaoguan")

    assert api("qingyuan_supervisor", None).get(path, city=shaoguan.pk).status_code == 404
    own = api("qingyuan_supervisor", None).get("/api/v1/stats/").json()
    assert own["scope"]["code"] == "qingyuan"


def test_the_departments_list_is_for_departments(demo: Any) -> None:
    assert api("wengyuan_rsj", "wengyuan").get("/api/v1/stats/suggestions/mine/").status_code == 200
    others = [("wengyuan_lead", "wengyuan"), ("shaoguan_supervisor", None), ("wengyuan_window", "wengyuan")]
    for username, code in others:
        assert api(username, code).get("/api/v1/stats/suggestions/mine/").status_code == 404


def test_anonymous_is_refused(demo: Any) -> None:
    response = api(None, "wengyuan").get("/api/v1/stats/")

    assert response.status_code in (401, 403)
    assert response.json()["code"] == "not_authenticated"


def queries_of(username: str, code: str | None, path: str, **params: Any) -> int:
    client = api(username, code)
    client.get(path, **params)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, **params)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize(("username", "code"), [("wengyuan_lead", "wengyuan"), ("shaoguan_supervisor", None)])
@pytest.mark.parametrize("path", [*READ_ROUTES, "/api/v1/stats/suggestions/mine/"])
def test_the_api_costs_the_same_queries_whatever_the_data(
    demo: Any, username: str, code: str | None, path: str
) -> None:
    if path.endswith("mine/"):
        username = "wengyuan_rsj" if code else "shaoguan_rsj"
    add_data(1)
    few = queries_of(username, code, path)

    add_data(5)
    wengyuan = Hall.objects.get(code="wengyuan")
    use_hall_schema(wengyuan)
    transfer(register(wengyuan), draft("wengyuan/scjgj"))
    use_public_schema()

    assert queries_of(username, code, path) == few


def test_the_schema_describes_the_statistics_api(tmp_path: Path) -> None:
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))

    text = (tmp_path / "schema.yaml").read_text()
    for path in ("/api/v1/stats/:", "/api/v1/stats/problems/:", "/api/v1/stats/suggestions/{id}/answer/:"):
        assert path in text
