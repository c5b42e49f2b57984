"""Host-to-hall resolution cached in Redis (`tenants/routing.py`), and its invalidation."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from hallplatform.accounts.services import api_token_authenticate, api_token_for
from tenants.models import Domain, Hall
from tenants.routing import (
    _MISS,
    CACHE_PREFIX,
    HallRoute,
    _key,
    forget_all_hosts,
    normalise_host,
    route_for_host,
)
from tests.conftest import client_for, host_of, user


@pytest.fixture(autouse=True)
def _fresh_routes(db: None) -> Iterator[None]:
    # Redis is not rolled back with the test transaction: a route cached for a hall this test
    # deactivates (or a domain it renames) must not outlive the test.
    forget_all_hosts()
    yield
    forget_all_hosts()
    connection.set_schema_to_public()


def me(host_code: str | None, token: str) -> Client:
    """A client on a hall's host (None: the public host) authenticating with an API token."""
    return Client(HTTP_HOST=host_of(host_code), HTTP_AUTHORIZATION=f"Token {token}")


def as_public(hall: Hall) -> Hall:
    # A request leaves the connection on its hall's schema; django-tenants saves a hall only from
    # the public schema (or its own).
    connection.set_schema_to_public()
    return hall


# --- the cache ---------------------------------------------------------------------------------------


def test_a_warm_route_costs_no_query(demo: dict[str, Hall]) -> None:
    # given a cold cache: the first resolution reads the database
    with CaptureQueriesContext(connection) as cold:
        first = route_for_host("wengyuan.localhost")
    assert len(cold.captured_queries) >= 1

    # when resolving again
    with CaptureQueriesContext(connection) as warm:
        route = route_for_host("WengYuan.LocalHost:8000")

    # then no query, and the same, correct answer
    assert len(warm.captured_queries) == 0
    wengyuan = demo["wengyuan"]
    assert (
        route
        == first
        == HallRoute(
            hall_id=wengyuan.pk,
            schema_name="hall_wengyuan",
            code="wengyuan",
            name=wengyuan.name,
            level="county",
            parent_id=demo["shaoguan"].pk,
            region_code="440229",
        )
    )
    assert route.city_id == demo["shaoguan"].pk


def test_an_unknown_host_reaches_the_database_once(demo: dict[str, Hall]) -> None:
    with CaptureQueriesContext(connection) as cold:
        assert route_for_host("nosuchhall.localhost") is None
    with CaptureQueriesContext(connection) as warm:
        assert route_for_host("nosuchhall.localhost") is None

    assert len(cold.captured_queries) >= 1
    assert len(warm.captured_queries) == 0


def test_a_warm_hall_request_costs_at_most_one_query_more_than_on_the_public_host(demo: dict[str, Hall]) -> None:
    """Same view, same person, same roles: only the host differs.

    `/api/v1/me/` answers on every host. The city supervisor holds a role on the city portal and on
    every hall of the city, so token lookup and role lookup are the same work on both hosts; any
    difference is the cost of being on a hall's host.
    """
    token = api_token_for(user=user("shaoguan_supervisor"))
    hall, public = me("wengyuan", token), me(None, token)
    # warm the route cache (and anything else a first request fills)
    assert hall.get("/api/v1/me/").status_code == 200
    assert public.get("/api/v1/me/").status_code == 200

    with CaptureQueriesContext(connection) as on_public:
        public_response = public.get("/api/v1/me/")
    with CaptureQueriesContext(connection) as on_hall:
        hall_response = hall.get("/api/v1/me/")

    assert public_response.json()["hall"] is None
    assert hall_response.json()["hall"] == "wengyuan"
    assert hall_response.json()["roles"] == public_response.json()["roles"] == ["city_supervisor"]
    assert len(on_hall.captured_queries) <= len(on_public.captured_queries) + 1, (
        [q["sql"] for q in on_hall.captured_queries],
        [q["sql"] for q in on_public.captured_queries],
    )
    # and none of them reads the directory of halls and domains
    assert not any("tenants_domain" in q["sql"] for q in on_hall.captured_queries)


def test_cache_keys_are_namespaced_by_database_name(demo: dict[str, Hall]) -> None:
    database = connection.settings_dict["NAME"]
    assert _key("WengYuan.localhost:8000") == f"{CACHE_PREFIX}{database}:wengyuan.localhost"

    # an answer cached by another deployment (another database on the same Redis) is not ours ...
    other = f"{CACHE_PREFIX}{database}_other:wengyuan.localhost"
    cache.set(other, _MISS, 60)
    try:
        assert route_for_host("wengyuan.localhost") is not None
    finally:
        cache.delete(other)
    # ... while our own key is the one consulted
    cache.set(_key("wengyuan.localhost"), _MISS, 60)
    assert route_for_host("wengyuan.localhost") is None


def test_forget_all_hosts_drops_only_this_databases_routes(demo: dict[str, Hall]) -> None:
    route_for_host("wengyuan.localhost")
    route_for_host("nosuchhall.localhost")
    other = f"{CACHE_PREFIX}{connection.settings_dict['NAME']}_other:wengyuan.localhost"
    cache.set(other, _MISS, 60)
    try:
        assert forget_all_hosts() == 2
        assert cache.get(_key("wengyuan.localhost")) is None
        assert cache.get(other) == _MISS
    finally:
        cache.delete(other)


def test_normalise_host() -> None:
    assert normalise_host("WengYuan.LocalHost.:8000") == "wengyuan.localhost"


# --- invalidation --------------------------------------------------------------------------------


def test_deactivating_a_hall_makes_its_host_404_at_once(demo: dict[str, Hall]) -> None:
    # given the route is cached and the hall answers
    client = client_for("wengyuan_window", "wengyuan")
    assert client.get("/").status_code == 200
    assert cache.get(_key("wengyuan.localhost")) not in (None, _MISS)

    # when the hall is taken out of service
    hall = as_public(demo["wengyuan"])
    hall.is_active = False
    hall.save()

    # then its host is unknown at once, for people and for the API
    assert client.get("/").status_code == 404
    token = api_token_for(user=user("wengyuan_window"))
    assert me("wengyuan", token).get("/api/v1/me/").status_code == 404
    # other halls are untouched
    assert client_for("shaoguan_supervisor", "nanxiong").get("/").status_code == 200


def test_routes_are_forgotten_again_after_commit(
    demo: dict[str, Hall], django_capture_on_commit_callbacks: Any
) -> None:
    """A request racing the transaction (on another connection, still seeing the hall active) may
    cache the old answer after the immediate delete; the delete after commit removes it."""
    old_route = route_for_host("wengyuan.localhost")
    assert old_route is not None

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        hall = as_public(demo["wengyuan"])
        hall.is_active = False
        hall.save()
        assert cache.get(_key("wengyuan.localhost")) is None  # deleted at once ...
        cache.set(_key("wengyuan.localhost"), asdict(old_route), 60)  # ... and re-cached by the racer

    assert callbacks
    assert cache.get(_key("wengyuan.localhost")) is None
    assert route_for_host("wengyuan.localhost") is None


def test_reactivating_a_hall_makes_it_answer_at_once(demo: dict[str, Hall]) -> None:
    # given an inactive hall whose host was just asked for (the miss is cached)
    hall = as_public(demo["wengyuan"])
    hall.is_active = False
    hall.save()
    client = client_for("wengyuan_window", "wengyuan")
    assert client.get("/").status_code == 404
    assert cache.get(_key("wengyuan.localhost")) == _MISS

    # when it is put back into service
    hall = as_public(hall)
    hall.is_active = True
    hall.save()

    # then it answers at once
    assert client.get("/").status_code == 200


def test_renaming_a_hall_shows_at_once(demo: dict[str, Hall]) -> None:
    client = client_for("wengyuan_window", "wengyuan")
    assert client.get("/").status_code == 200

    hall = as_public(demo["wengyuan"])
    hall.name = "翁源县政务服务中心（新馆）"
    hall.save()

    assert "翁源县政务服务中心（新馆）".encode() in client.get("/").content
    route = route_for_host("wengyuan.localhost")
    assert route is not None and route.name == "翁源县政务服务中心（新馆）"


def test_changing_a_domain_moves_the_hall_to_the_new_host(demo: dict[str, Hall]) -> None:
    # given both hosts were resolved (the old one to the hall, the new one as unknown)
    token = api_token_for(user=user("wengyuan_window"))
    assert me("wengyuan", token).get("/api/v1/me/").status_code == 200
    assert Client(HTTP_HOST="wy.localhost").get("/").status_code == 404
    connection.set_schema_to_public()

    # when the domain is renamed
    domain = Domain.objects.get(domain="wengyuan.localhost")
    domain.domain = "wy.localhost"
    domain.save()

    # then the old host is unknown and the new one is the hall, at once
    assert me("wengyuan", token).get("/api/v1/me/").status_code == 404
    response = Client(HTTP_HOST="wy.localhost", HTTP_AUTHORIZATION=f"Token {token}").get("/api/v1/me/")
    assert response.status_code == 200
    assert response.json()["hall"] == "wengyuan"


def test_deleting_a_domain_makes_its_host_404_at_once(demo: dict[str, Hall]) -> None:
    # given the hall answers on a second domain too
    Domain.objects.create(domain="wengyuan2.localhost", tenant=demo["wengyuan"], is_primary=False)
    token = api_token_for(user=user("wengyuan_window"))
    second = Client(HTTP_HOST="wengyuan2.localhost", HTTP_AUTHORIZATION=f"Token {token}")
    assert second.get("/api/v1/me/").json()["hall"] == "wengyuan"
    connection.set_schema_to_public()

    # when that domain is deleted
    Domain.objects.get(domain="wengyuan2.localhost").delete()

    # then it is unknown at once; the primary domain still answers
    assert second.get("/api/v1/me/").status_code == 404
    assert me("wengyuan", token).get("/api/v1/me/").status_code == 200


def test_deleting_the_only_domain_makes_the_hall_unreachable(demo: dict[str, Hall]) -> None:
    token = api_token_for(user=user("wengyuan_window"))
    assert me("wengyuan", token).get("/api/v1/me/").status_code == 200
    connection.set_schema_to_public()

    Domain.objects.get(domain="wengyuan.localhost").delete()

    assert me("wengyuan", token).get("/api/v1/me/").status_code == 404
    assert api_token_authenticate(secret=token) is not None  # the person is fine; the host is gone
