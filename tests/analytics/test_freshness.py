"""Statistics are counted once and kept a few minutes (analytics/dashboards.py): what is kept, for
whom, how old it may be, "count again now", the beat task on a real worker, and the links to the
exports and the capped department table on the dashboard page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.utils import timezone

from analytics import dashboards
from analytics.dashboards import DashboardFigures, city_dashboards_refresh, dashboard_figures
from analytics.selectors import Period, Scope, figures_for, recurring_problems
from analytics.tasks import analytics_city_dashboards_task
from analytics.web import views as stats_views
from casework.services import case_register
from hallplatform.accounts.models import RoleKind
from hallplatform.accounts.services import staff_create
from hallplatform.schemas import in_hall_schema, use_public_schema
from tenants.models import Hall
from tests.analytics.test_dashboard_pages import get, tables_of
from tests.analytics.test_figures import NOW, SEPTEMBER, World, build
from tests.casework.support import at, form, install_clock
from tests.conftest import user


def this_month() -> Period:
    return Period.month_of(timezone.localdate())


def add_case(hall: Hall, actor: str = "wengyuan_window") -> None:
    with in_hall_schema(hall):
        case_register(hall=hall, actor=user(actor), data=form())


def cases_of(counted: DashboardFigures) -> int:
    return int(counted.figures["cases"])


# --- What is kept -------------------------------------------------------------------------------------


def test_a_count_is_kept_and_counted_again_on_refresh(demo: dict[str, Hall]) -> None:
    scope, period = Scope.of_hall(demo["wengyuan"]), this_month()
    first = dashboard_figures(scope=scope, period=period)

    add_case(demo["wengyuan"])
    kept = dashboard_figures(scope=scope, period=period)
    assert kept.computed_at == first.computed_at and cases_of(kept) == cases_of(first)

    fresh = dashboard_figures(scope=scope, period=period, refresh=True)
    assert cases_of(fresh) == cases_of(first) + 1 and fresh.computed_at > first.computed_at
    # and what refresh counted is what is kept from then on
    assert dashboard_figures(scope=scope, period=period).computed_at == fresh.computed_at


def test_a_count_older_than_the_maximum_age_is_counted_again(demo: dict[str, Hall], settings: Any) -> None:
    settings.STATS_MAX_AGE_SECONDS = 60
    scope, period = Scope.of_hall(demo["wengyuan"]), this_month()
    first = dashboard_figures(scope=scope, period=period)
    add_case(demo["wengyuan"])
    # the count made 61 s ago (as the cache holds it) is too old: counted again
    stale = DashboardFigures(
        figures=first.figures, previous=first.previous, recurring=first.recurring,
        computed_at=timezone.now() - timedelta(seconds=61),
    )  # fmt: skip
    cache.set(dashboards._key(scope, period), stale, 60)
    again = dashboard_figures(scope=scope, period=period)
    assert cases_of(again) == cases_of(first) + 1 and again.computed_at > stale.computed_at


def test_nothing_is_kept_when_the_maximum_age_is_zero(demo: dict[str, Hall], settings: Any) -> None:
    settings.STATS_MAX_AGE_SECONDS = 0
    scope, period = Scope.of_hall(demo["wengyuan"]), this_month()
    first = dashboard_figures(scope=scope, period=period)
    add_case(demo["wengyuan"])
    assert cases_of(dashboard_figures(scope=scope, period=period)) == cases_of(first) + 1
    assert cache.get(dashboards._key(scope, period)) is None
    assert city_dashboards_refresh() == 0


def test_each_scope_and_period_is_kept_apart(demo: dict[str, Hall]) -> None:
    """The city hall alone and the city with its counties share the hall id, never their count; two
    halls, or two periods, never share one."""
    staff_create(
        username="shaoguan_window", password="-", kind=RoleKind.WINDOW_STAFF, hall_code="shaoguan", check_password=False
    )
    add_case(demo["wengyuan"])
    add_case(demo["shaoguan"], actor="shaoguan_window")
    period = this_month()
    city = dashboard_figures(scope=Scope.of_city(demo["shaoguan"]), period=period)
    city_hall = dashboard_figures(scope=Scope.of_hall(demo["shaoguan"]), period=period)
    wengyuan = dashboard_figures(scope=Scope.of_hall(demo["wengyuan"]), period=period)
    wujiang = dashboard_figures(scope=Scope.of_hall(demo["wujiang"]), period=period)
    assert (cases_of(city), cases_of(city_hall), cases_of(wengyuan), cases_of(wujiang)) == (2, 1, 1, 0)
    earlier = dashboard_figures(scope=Scope.of_hall(demo["wengyuan"]), period=period.previous())
    assert cases_of(earlier) == 0


def test_without_redis_the_figures_are_counted_for_each_view(
    demo: dict[str, Hall], monkeypatch: pytest.MonkeyPatch
) -> None:
    from redis.exceptions import ConnectionError as RedisConnectionError

    def unreachable(*args: Any, **kwargs: Any) -> Any:
        raise RedisConnectionError("down")

    monkeypatch.setattr(dashboards.cache, "get", unreachable)
    monkeypatch.setattr(dashboards.cache, "set", unreachable)
    scope, period = Scope.of_hall(demo["wengyuan"]), this_month()
    first = dashboard_figures(scope=scope, period=period)
    add_case(demo["wengyuan"])
    assert cases_of(dashboard_figures(scope=scope, period=period)) == cases_of(first) + 1


# --- The pages and the API ------------------------------------------------------------------------------


def test_the_dashboard_says_when_it_was_counted_and_counts_again_on_request(demo: dict[str, Hall]) -> None:
    first = get("wengyuan_lead", "wengyuan", "/stats/")
    html = first.content.decode()
    assert 'id="stats-freshness"' in html
    counted_at = first.context["computed_at"]
    assert timezone.localtime(counted_at).strftime("%Y-%m-%d %H:%M:%S") in html
    assert tables_of(html)["summary"]["cases"][0] == "0"
    link = re.search(r'<a href="([^"]+)" rel="nofollow">', html)
    assert link is not None and "refresh=1" in link.group(1)

    add_case(demo["wengyuan"])
    assert tables_of(get("wengyuan_lead", "wengyuan", "/stats/").content.decode())["summary"]["cases"][0] == "0"
    refreshed = get("wengyuan_lead", "wengyuan", "/stats/", refresh="1")
    assert tables_of(refreshed.content.decode())["summary"]["cases"][0] == "1"
    assert refreshed.context["computed_at"] > counted_at
    # the recurring problems page reads the same count
    problems = get("wengyuan_lead", "wengyuan", "/stats/problems/")
    assert problems.context["computed_at"] == refreshed.context["computed_at"]


def test_the_api_says_when_it_was_counted_and_refuses_a_wrong_refresh(demo: dict[str, Hall]) -> None:
    client_path = "/api/v1/stats/"
    first = get("wengyuan_lead", "wengyuan", client_path)
    assert first.status_code == 200
    body = first.json()
    assert body["computed_at"] and body["figures"]["cases"] == 0
    add_case(demo["wengyuan"])
    assert get("wengyuan_lead", "wengyuan", client_path).json()["figures"]["cases"] == 0
    again = get("wengyuan_lead", "wengyuan", client_path, refresh="1").json()
    assert again["figures"]["cases"] == 1 and again["computed_at"] > body["computed_at"]
    problems = get("wengyuan_lead", "wengyuan", "/api/v1/stats/problems/").json()
    assert problems["computed_at"] == again["computed_at"]

    wrong = get("wengyuan_lead", "wengyuan", client_path, refresh="yes")
    assert wrong.status_code == 400
    assert "refresh" in wrong.json()["fields"]


@pytest.fixture
def world(demo: dict[str, Hall], monkeypatch: pytest.MonkeyPatch) -> World:
    return build(demo, install_clock(monkeypatch, at(NOW)))


def test_the_dashboard_links_its_exports_for_the_same_period(world: World) -> None:
    hall = get("wengyuan_lead", "wengyuan", "/stats/", month="2026-09")
    downloads = hall.context["downloads"]
    query = "first=2026-09-01&last=2026-09-30"
    assert downloads["workbook"] == f"/exports/stats.xlsx?{query}"
    assert downloads["register_xlsx"] == f"/exports/cases.xlsx?{query}"
    html = hall.content.decode()
    assert f'href="/exports/stats/departments.csv?{query.replace("&", "&amp;")}"' in html
    assert f'href="/exports/stats/stages.xlsx?{query.replace("&", "&amp;")}"' in html
    # every link answers with its file, for the same figures as the page
    csv = get("wengyuan_lead", "wengyuan", "/exports/stats/summary.csv", first="2026-09-01", last="2026-09-30")
    assert csv.status_code == 200
    text = b"".join(csv.streaming_content).decode("utf-8-sig")
    assert str(hall.context["sections"][0].rows[0].cells[0].value) in text
    for url in (downloads["workbook"], downloads["register_xlsx"]):
        path, _, params = url.partition("?")
        answer = get("wengyuan_lead", "wengyuan", path, **dict(p.split("=") for p in params.split("&")))
        assert answer.status_code == 200 and b"".join(answer.streaming_content).startswith(b"PK")

    # the city dashboard has no case register (it lives on each hall's host)
    city = get("shaoguan_supervisor", None, "/stats/", month="2026-09")
    assert "register_xlsx" not in city.context["downloads"]
    assert city.context["downloads"]["workbook"] == f"/exports/stats.xlsx?{query}"


def test_a_long_department_table_is_capped_on_the_page_but_counted_whole(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stats_views, "DEPARTMENT_ROWS", 2)
    response = get("shaoguan_supervisor", None, "/stats/", month="2026-09")
    section = next(s for s in response.context["sections"] if s.key == "departments")
    counted = response.context["sections"]
    assert section.extra["total"] == 3 and section.extra["shown"] == 2
    shown = tables_of(response.content.decode())["departments"]
    assert len(shown) == 2
    # the two with most slips are listed; the bands count all three
    assert sum(n for _label, _band, n in section.extra["bands"]) == 3
    assert "stats-shown" in response.content.decode()
    assert counted  # the other sections are all there
    # uncapped, all three
    monkeypatch.setattr(stats_views, "DEPARTMENT_ROWS", 50)
    full = get("shaoguan_supervisor", None, "/stats/", month="2026-09")
    assert len(tables_of(full.content.decode())["departments"]) == 3
    assert "stats-shown" not in full.content.decode()


# --- The beat task, on a real worker --------------------------------------------------------------------


@pytest.fixture
def committed(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    with django_db_blocker.unblock():
        use_public_schema()
        yield
        dashboards.dashboards_forget_all()


@pytest.mark.celery_worker
def test_beat_counts_every_citys_month_ahead(committed: None, celery_worker_process: str) -> None:
    cities = list(Hall.objects.filter(level="city", is_active=True).order_by("pk"))
    period = this_month()
    for city in cities:
        assert cache.get(dashboards._key(Scope.of_city(city), period)) is None
    before = timezone.now()
    result = analytics_city_dashboards_task.apply_async(headers={"_schema_name": "public"})
    assert result.get(timeout=180) == len(cities) >= 2
    for city in cities:
        kept = cache.get(dashboards._key(Scope.of_city(city), period))
        assert isinstance(kept, DashboardFigures) and kept.computed_at >= before
        assert kept.figures["period"] == {"first": period.first.isoformat(), "last": period.last.isoformat()}
    # a supervisor's view then reads the count the worker made
    shaoguan = next(c for c in cities if c.code == "shaoguan")
    seen = dashboard_figures(scope=Scope.of_city(shaoguan), period=period)
    assert seen.computed_at == cache.get(dashboards._key(Scope.of_city(shaoguan), period)).computed_at


def test_what_is_kept_is_what_the_selectors_count(world: World) -> None:
    """Keeping changes nothing of what is counted; the recurring problems made from the dashboard's
    figures equal those counted on their own."""
    scope = Scope.of_city(world.S)
    kept = dashboard_figures(scope=scope, period=SEPTEMBER)
    assert kept.figures == figures_for(scope=scope, period=SEPTEMBER).as_dict()
    assert kept.previous == figures_for(scope=scope, period=SEPTEMBER.previous()).as_dict()
    alone = recurring_problems(scope=scope, period=SEPTEMBER, limit=dashboards.PROBLEM_ROWS)
    assert kept.recurring == alone and alone["matters"] and alone["departments"]
