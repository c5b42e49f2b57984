"""The city's routing setting (异地转办): the supervisor's page and API on the base domain, audited;
refusals name the field and change nothing; nobody else reaches it."""

from __future__ import annotations

from typing import Any

import pytest

from hallplatform.audit.models import AuditEvent
from tenants.models import CityRouting, RoutingScope
from tenants.selectors import city_routing_for, hall_ids_routable_from
from tests.conftest import client_for


def _state() -> tuple[list[Any], int]:
    return list(CityRouting.objects.values_list("city_id", "scope", "pairs")), AuditEvent.objects.count()


def test_default_is_within_the_city(demo: Any) -> None:
    shaoguan = demo["shaoguan"]
    assert city_routing_for(city_id=shaoguan.pk).scope == RoutingScope.CITY
    halls = hall_ids_routable_from(hall_id=demo["wengyuan"].pk, city_id=shaoguan.pk)
    assert demo["nanxiong"].pk in halls and demo["qingcheng"].pk not in halls


def test_supervisor_restricts_routing_on_the_page_audited(demo: Any) -> None:
    client = client_for("shaoguan_supervisor", None)
    assert client.get("/settings/routing/").status_code == 200
    wengyuan, nanxiong = demo["wengyuan"], demo["nanxiong"]

    response = client.post("/settings/routing/", {"scope": "pairs", "pairs": [f"{wengyuan.pk}-{nanxiong.pk}"]})

    assert response.status_code == 302
    row = CityRouting.objects.get(city=demo["shaoguan"])
    assert (row.scope, row.pairs) == ("pairs", [[wengyuan.pk, nanxiong.pk]])
    event = AuditEvent.objects.filter(action="city_routing.set").latest("pk")
    assert event.actor.username == "shaoguan_supervisor"
    assert event.changes["after"] == {"scope": "pairs", "pairs": [[wengyuan.pk, nanxiong.pk]]}
    assert hall_ids_routable_from(hall_id=wengyuan.pk, city_id=demo["shaoguan"].pk) == {
        wengyuan.pk,
        nanxiong.pk,
        demo["shaoguan"].pk,
    }


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"scope": "pairs"}, "pairs"),  # pairs without a pair
        ({"scope": "everywhere"}, "scope"),
    ],
)
def test_page_refusal_names_the_field_and_changes_nothing(demo: Any, data: dict[str, Any], field: str) -> None:
    before = _state()
    response = client_for("shaoguan_supervisor", None).post("/settings/routing/", data)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert _state() == before


def test_api_reads_and_sets_the_routing(demo: Any) -> None:
    client = client_for("shaoguan_supervisor", None)
    assert client.get("/api/v1/city/routing/").json() == {"city": "shaoguan", "scope": "city", "pairs": []}

    response = client.put(
        "/api/v1/city/routing/", {"scope": "own_and_city", "pairs": []}, content_type="application/json"
    )

    assert response.status_code == 200
    assert response.json() == {"city": "shaoguan", "scope": "own_and_city", "pairs": []}
    assert CityRouting.objects.get(city=demo["shaoguan"]).scope == "own_and_city"
    assert AuditEvent.objects.filter(action="city_routing.set").count() == 1

    response = client.put(
        "/api/v1/city/routing/",
        {"scope": "pairs", "pairs": [["wengyuan", "nanxiong"]]},
        content_type="application/json",
    )
    assert response.json()["pairs"] == [["wengyuan", "nanxiong"]]


@pytest.mark.parametrize(
    "body",
    [
        {"scope": "pairs", "pairs": [["wengyuan", "qingcheng"]]},  # a hall of another city
        {"scope": "pairs", "pairs": [["wengyuan", "wengyuan"]]},
        {"scope": "pairs", "pairs": [["wengyuan", "nowhere"]]},
    ],
)
def test_api_refuses_pairs_outside_the_city_and_changes_nothing(demo: Any, body: dict[str, Any]) -> None:
    before = _state()
    response = client_for("shaoguan_supervisor", None).put(
        "/api/v1/city/routing/", body, content_type="application/json"
    )
    assert response.status_code == 400
    assert "pairs" in response.json()["fields"]
    assert _state() == before


def test_api_refuses_an_unknown_scope(demo: Any) -> None:
    before = _state()
    response = client_for("shaoguan_supervisor", None).put(
        "/api/v1/city/routing/", {"scope": "everywhere"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert "scope" in response.json()["fields"]
    assert _state() == before


@pytest.mark.parametrize(
    ("username", "host"),
    [
        ("qingyuan_supervisor", None),
        ("shaoguan_rsj", None),
        ("wengyuan_lead", "wengyuan"),
        ("shaoguan_supervisor", "shaoguan"),
    ],
)
def test_nobody_else_reaches_the_setting(demo: Any, username: str, host: str | None) -> None:
    client = client_for(username, host)
    before = _state()
    # another city's supervisor asks for shaoguan's setting by id
    query = f"?city={demo['shaoguan'].pk}"
    assert client.get(f"/settings/routing/{query}").status_code == 404
    assert client.post(f"/settings/routing/{query}", {"scope": "own_and_city"}).status_code == 404
    response = client.put(f"/api/v1/city/routing/{query}", {"scope": "own_and_city"}, content_type="application/json")
    assert response.status_code == 404
    assert _state() == before
