"""The statistics pages (analytics/web/views.py): who sees which dashboard, the period picker and the
comparison, charts that draw exactly the tables' numbers, bands instead of a league table, and a
number of queries that does not grow with the data."""

from __future__ import annotations

import json
import re
from datetime import date
from html.parser import HTMLParser
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from analytics.selectors import Period, Scope, figures_for
from analytics.services import suggestion_send
from casework.services import slip_reply
from hallplatform.checks import iter_views
from hallplatform.schemas import use_hall_schema, use_public_schema
from tenants.models import Hall
from tests.analytics.test_figures import NOW, SEPTEMBER, World, build
from tests.casework.support import at, dept, draft, install_clock, register, slips_of, transfer
from tests.conftest import client_for, user

STATS_MODULE = "analytics.web.views"


def stats_routes(urlconf: str) -> list[str]:
    """Every /stats/ route of a URL conf, found by introspection (a new page cannot be forgotten)."""
    return sorted(route for route, view in iter_views(urlconf) if getattr(view, "__module__", "") == STATS_MODULE)


HALL_ROUTES = stats_routes(settings.ROOT_URLCONF)
PUBLIC_ROUTES = stats_routes(settings.PUBLIC_SCHEMA_URLCONF)
READER_ROUTES = ["stats/", "stats/problems/", "stats/suggestions/", "stats/suggestions/new/"]
DEPARTMENT_ROUTES = ["stats/suggestions/mine/"]


def test_the_routes_are_known() -> None:
    assert (
        set(HALL_ROUTES)
        == set(PUBLIC_ROUTES)
        == {
            *READER_ROUTES,
            *DEPARTMENT_ROUTES,
            "stats/suggestions/<int:suggestion_id>/answer/",
        }
    )


class Tables(HTMLParser):
    """The numbers of every statistics table: {section: {row key: {column: data-value}}}, rows in order."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, dict[str, dict[int, str]]] = {}
        self.section: str | None = None
        self.row: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "table" and found.get("data-section"):
            self.section = found["data-section"]
            self.tables[self.section or ""] = {}
        elif tag == "tr" and self.section and found.get("data-key") is not None:
            self.row = found["data-key"]
            self.tables[self.section][self.row or ""] = {}
        elif tag == "td" and self.section and self.row is not None and found.get("data-column") is not None:
            self.tables[self.section][self.row][int(found["data-column"] or 0)] = found.get("data-value") or ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self.section = None
        elif tag == "tr":
            self.row = None


def tables_of(html: str) -> dict[str, dict[str, dict[int, str]]]:
    parser = Tables()
    parser.feed(html)
    return parser.tables


def charts_of(html: str) -> dict[str, Any]:
    match = re.search(r'<script id="stats-charts" type="application/json">(.*?)</script>', html, re.S)
    assert match is not None
    charts: dict[str, Any] = json.loads(match.group(1))
    return charts


def number(text: str) -> float | None:
    return None if text == "" else float(text)


def get(username: str | None, code: str | None, path: str, **params: Any) -> Any:
    return client_for(username, code).get(path, params)


# --- Who sees what ---------------------------------------------------------------------------------


@pytest.mark.parametrize("route", READER_ROUTES)
@pytest.mark.parametrize(
    ("username", "code"),
    [
        ("wengyuan_lead", "wengyuan"),  # the hall lead on the hall's host
        ("shaoguan_supervisor", "wengyuan"),  # a supervisor of its city may look
        ("shaoguan_supervisor", None),  # the city dashboard
        ("qingyuan_supervisor", None),  # another city's supervisor: their own city
    ],
)
def test_readers_open_the_statistics(demo: Any, username: str, code: str | None, route: str) -> None:
    response = get(username, code, "/" + route)

    if route == "stats/suggestions/new/" and (username, code) == ("shaoguan_supervisor", "wengyuan"):
        assert response.status_code == 404  # a supervisor sends from the city portal, not a hall's host
    else:
        assert response.status_code == 200


OUTSIDERS = [
    ("wengyuan_window", "wengyuan"),  # window staff
    ("wengyuan_rsj", "wengyuan"),  # a department (its own page: suggestions to it)
    ("wengyuan_rsj", None),
    ("shaoguan_rsj", "wengyuan"),
    ("wengyuan_lead", None),  # a hall lead has no role on the base domain
    ("wengyuan_lead", "nanxiong"),  # another hall's host
    ("qingcheng_lead", "wengyuan"),  # another city's hall lead
    ("qingyuan_supervisor", "wengyuan"),  # another city's supervisor on a hall's host
    ("qingyuan_rsj", "wengyuan"),  # another city's department
    ("operator", None),
]


def _outside(username: str, route: str) -> bool:
    own_department_page = route in DEPARTMENT_ROUTES and username in ("wengyuan_rsj", "shaoguan_rsj")
    return not own_department_page


@pytest.mark.parametrize(
    ("username", "code", "route"),
    [
        (username, code, route)
        for username, code in OUTSIDERS
        for route in [*READER_ROUTES, *DEPARTMENT_ROUTES]
        if _outside(username, route)
    ],
)
def test_everyone_else_gets_404(demo: Any, username: str, code: str | None, route: str) -> None:
    response = get(username, code, "/" + route)

    assert response.status_code == 404


def test_another_citys_supervisor_cannot_choose_this_city(demo: Any) -> None:
    shaoguan = demo["shaoguan"].pk

    for route in READER_ROUTES:
        assert get("qingyuan_supervisor", None, "/" + route, city=shaoguan).status_code == 404

    own = get("qingyuan_supervisor", None, "/stats/")
    assert own.context["scope"].hall.code == "qingyuan"
    assert "翁源" not in own.content.decode()


def test_departments_open_their_suggestions(demo: Any) -> None:
    for username, code in [
        ("wengyuan_rsj", "wengyuan"),
        ("wengyuan_rsj", None),
        ("shaoguan_rsj", "wengyuan"),
        ("shaoguan_rsj", None),
        ("qingyuan_rsj", None),
    ]:
        assert get(username, code, "/stats/suggestions/mine/").status_code == 200


def test_anonymous_is_sent_to_log_in(demo: Any) -> None:
    response = get(None, "wengyuan", "/stats/")

    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_the_hall_dashboard_shows_the_hall_and_the_city_dashboard_the_city(demo: Any) -> None:
    hall = get("wengyuan_lead", "wengyuan", "/stats/")
    city = get("shaoguan_supervisor", None, "/stats/")
    looked_at = get("shaoguan_supervisor", "wengyuan", "/stats/")

    assert (hall.context["scope"].hall.code, hall.context["scope"].is_city) == ("wengyuan", False)
    assert (looked_at.context["scope"].hall.code, looked_at.context["scope"].is_city) == ("wengyuan", False)
    assert (city.context["scope"].hall.code, city.context["scope"].is_city) == ("shaoguan", True)
    assert "halls" not in tables_of(hall.content.decode())
    assert "halls" in tables_of(city.content.decode())
    # the charts are drawn from the project's own files: no CDN
    for response in (hall, city):
        html = response.content.decode()
        assert "/static/vendor/chart.umd.min.js" in html and "/static/hallplatform/stats.js" in html
        assert not re.search(r"<script[^>]+src=\"https?://", html)


def test_links_in_the_navigation(demo: Any) -> None:
    assert 'href="/stats/"' in get("wengyuan_lead", "wengyuan", "/cases/").content.decode()
    assert 'href="/stats/"' in get("shaoguan_supervisor", None, "/portal/").content.decode()
    assert 'href="/stats/suggestions/mine/"' in get("wengyuan_rsj", "wengyuan", "/inbox/").content.decode()
    assert "/stats/" not in get("wengyuan_window", "wengyuan", "/cases/").content.decode()


# --- The period picker ------------------------------------------------------------------------------


def test_the_default_period_is_the_current_month(demo: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    install_clock(monkeypatch, at("2026-09-15T10:00"))

    response = get("wengyuan_lead", "wengyuan", "/stats/")

    assert response.context["period"] == SEPTEMBER
    assert "2026-09-01 – 2026-09-30" in response.content.decode()
    assert "2026-08-01 – 2026-08-31" in response.content.decode()  # compared with August


@pytest.mark.parametrize(
    ("params", "period"),
    [
        ({"month": "2026-02"}, Period(date(2026, 2, 1), date(2026, 2, 28))),
        ({"first": "2026-09-10", "last": "2026-09-19"}, Period(date(2026, 9, 10), date(2026, 9, 19))),
        # a range wins over a month
        (
            {"month": "2026-02", "first": "2026-09-10", "last": "2026-09-19"},
            Period(date(2026, 9, 10), date(2026, 9, 19)),
        ),
    ],
)
def test_a_month_or_a_range(demo: Any, params: dict[str, str], period: Period) -> None:
    response = get("wengyuan_lead", "wengyuan", "/stats/", **params)

    assert response.status_code == 200
    assert response.context["period"] == period


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"month": "2026-13"}, "month"),
        ({"month": "September"}, "month"),
        ({"first": "2026-09-31"}, "first"),
        ({"first": "2026-09-10", "last": "2026-09-01"}, "last"),
    ],
)
def test_a_wrong_period_names_the_field(demo: Any, params: dict[str, str], field: str) -> None:
    response = get("wengyuan_lead", "wengyuan", "/stats/", **params)

    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert f'id="field-{field}"' in response.content.decode()


# --- Charts and tables ---------------------------------------------------------------------------------


@pytest.fixture
def world(demo: dict[str, Hall], monkeypatch: pytest.MonkeyPatch) -> World:
    return build(demo, install_clock(monkeypatch, at(NOW)))


def assert_charts_draw_the_tables(html: str) -> dict[str, dict[str, dict[int, str]]]:
    tables, charts = tables_of(html), charts_of(html)
    assert charts and set(charts) <= set(tables)
    for key, chart in charts.items():
        rows = tables[key]
        assert chart["rows"] and set(chart["rows"]) <= set(rows), key
        for dataset in chart["datasets"]:
            drawn = dataset["data"]
            shown = [number(rows[row][dataset["column"]]) for row in chart["rows"]]
            assert drawn == shown, (key, dataset["label"])
    return tables


def test_every_chart_draws_the_numbers_of_its_table(world: World) -> None:
    hall = get("wengyuan_lead", "wengyuan", "/stats/", month="2026-09")
    city = get("shaoguan_supervisor", None, "/stats/", month="2026-09")

    tables = assert_charts_draw_the_tables(hall.content.decode())
    assert_charts_draw_the_tables(city.content.decode())
    # and the tables show the figures of the period beside those of the previous one
    figures = figures_for(scope=Scope.of_hall(world.W), period=SEPTEMBER).as_dict()
    previous = figures_for(scope=Scope.of_hall(world.W), period=SEPTEMBER.previous()).as_dict()
    assert tables["summary"]["cases"] == {0: "10", 1: "3", 2: "7"}
    assert tables["channel"]["phone"] == {0: "3", 1: "1", 2: "2", 3: "30.0"}
    assert tables["stage_rates"]["slip_ordinary"][0] == str(figures["stages"]["slip_ordinary"]["on_time_rate"])
    assert tables["stage_rates"]["slip_ordinary"][1] == str(previous["stages"]["slip_ordinary"]["on_time_rate"])
    assert tables["stage_times"]["feedback"] == {0: "195.0", 1: "289.5", 2: "60.0", 3: "60.0"}
    assert tables["matters"]["社保卡补办"] == {0: "4", 1: "2", 2: "2", 3: "2", 4: "1", 5: "0"}
    assert tables["overdue"] == {
        "slip_reply": {0: "1"},
        "feedback": {0: "1"},
        "meeting_resolution": {0: "0"},
        "supervision_order": {0: "1"},
    }
    assert tables["follow_up"]["follow_up_rate"] == {0: "83.3", 1: "50.0", 2: "33.3"}
    assert tables["satisfaction"]["very_dissatisfied"][0] == "1"
    assert tables["suggestions"]["suggestions_sent"] == {0: "2", 1: "0", 2: "2"}
    # working time shown in hours and minutes
    assert "4 h 50 min" in hall.content.decode() or "4小时50分" in hall.content.decode()  # p90 289.5 → 290 min


def test_halls_and_departments_are_in_bands_not_ranked(world: World) -> None:
    response = get("shaoguan_supervisor", None, "/stats/", month="2026-09")
    tables = tables_of(response.content.decode())

    halls = list(tables["halls"])
    bands = [tables["halls"][code][0] for code in halls]
    # good first, then needs attention, then the halls without data, each group in region order
    assert halls[:2] == ["wujiang", "wengyuan"] and bands[:2] == ["good", "attention"]
    assert set(bands[2:]) == {""}
    assert halls[2:] == [h.code for h in Hall.objects.filter(level="city", code="shaoguan")] + [
        h.code
        for h in Hall.objects.filter(parent__code="shaoguan").order_by("region_code")
        if h.code not in ("wujiang", "wengyuan")
    ]
    departments = tables["departments"]
    assert [departments[key][0] for key in departments] == ["good", "attention", "attention"]
    assert next(iter(departments)) == str(world.C.pk)
    html = response.content.decode()
    assert "<ol" not in html  # no numbered list
    counts = response.context["sections"][1].extra["bands"]
    assert [(band, n) for _label, band, n in counts] == [("good", 1), ("middle", 0), ("attention", 1), (None, 9)]


# --- Queries -----------------------------------------------------------------------------------------


def queries_of(username: str, code: str | None, path: str, **params: Any) -> int:
    client = client_for(username, code)
    client.get(path, params)  # warm up (caches of the process)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, params)
    assert response.status_code == 200
    return len(captured)


def add_data(rounds: int) -> None:
    """Cases in two halls, transferred, some answered; suggestions from the hall and the city."""
    wengyuan, nanxiong = Hall.objects.get(code="wengyuan"), Hall.objects.get(code="nanxiong")
    for n in range(rounds):
        use_hall_schema(wengyuan)
        case = transfer(register(wengyuan, matter_name=f"事项{n}"), draft("wengyuan/rsj"), draft("shaoguan/rsj"))
        slip_reply(slip=slips_of(case)[0], actor=user("wengyuan_rsj"), result="done", reply="已办理")
        use_hall_schema(nanxiong)
        transfer(register(nanxiong), draft("nanxiong/rsj"), category="refused")
        use_public_schema()
        suggestion_send(
            actor=user("wengyuan_lead"),
            scope=Scope.of_hall(wengyuan),
            department_id=dept("wengyuan/rsj").pk,
            finding="发现",
            suggestion="建议",
        )
        suggestion_send(
            actor=user("shaoguan_supervisor"),
            scope=Scope.of_city(Hall.objects.get(code="shaoguan")),
            department_id=dept("nanxiong/rsj").pk,
            finding="发现",
            suggestion="建议",
        )
    use_public_schema()


@pytest.mark.parametrize(("username", "code"), [("wengyuan_lead", "wengyuan"), ("shaoguan_supervisor", None)])
@pytest.mark.parametrize("path", ["/stats/", "/stats/problems/", "/stats/suggestions/"])
def test_the_pages_cost_the_same_queries_whatever_the_data(
    demo: Any, username: str, code: str | None, path: str
) -> None:
    month = {"month": timezone.localdate().strftime("%Y-%m")}
    add_data(1)
    few = queries_of(username, code, path, **month)

    add_data(5)

    assert queries_of(username, code, path, **month) == few


def test_the_departments_page_costs_the_same_queries_whatever_the_data(demo: Any) -> None:
    add_data(1)
    few = queries_of("wengyuan_rsj", "wengyuan", "/stats/suggestions/mine/")

    add_data(5)

    assert queries_of("wengyuan_rsj", "wengyuan", "/stats/suggestions/mine/") == few
