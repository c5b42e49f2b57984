"""A hall's data is reachable only from that hall's host, by people with a role there.

Every route of both URL confs is found by introspection, so a new route cannot be forgotten.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.conf import settings

from hallplatform.accounts.services import api_token_for
from hallplatform.checks import iter_views
from tests.conftest import client_for, host_of, user

_CONVERTER = re.compile(r"<(?:(?P<kind>\w+):)?(?P<name>\w+)>")
_REGEX_GROUP = re.compile(r"\(\?P<\w+>([^)|]+)[^)]*\)")


def concrete(route: str) -> str:
    """A request path for a route pattern, with every parameter filled in."""
    path = _CONVERTER.sub(lambda m: "1" if m.group("kind") in ("int", "path", None) else "x", route)
    path = _REGEX_GROUP.sub(lambda m: m.group(1), path)
    path = path.replace("^", "").replace("$", "").replace("\\", "")
    return "/" + path


def routes(urlconf: str) -> list[tuple[str, bool, bool]]:
    """(path, is_public_endpoint, is_api) for every route of a URL conf."""
    found = []
    for route, view in iter_views(urlconf):
        is_api = getattr(view, "cls", None) is not None and hasattr(view.cls, "permission_classes")
        found.append((concrete(route), bool(getattr(view, "public_endpoint", False)), is_api))
    return sorted(set(found))


# The API's schema and its docs: any login reads them, with or without a role on the host (they
# describe routes, no hall's data: docs/api.md); anonymous calls are 401 (tests/hallplatform/test_api_errors.py).
ANY_LOGIN = {"/api/schema/", "/api/docs/"}


def readable_by_any_login(path: str, response: Any) -> bool:
    """Whether the route is one of ANY_LOGIN, and then that it answered without a hall's data."""
    if path not in ANY_LOGIN:
        return False
    assert response.status_code == 200
    assert b"wengyuan" not in response.content and b"nanxiong" not in response.content
    return True


HALL_ROUTES = routes(settings.ROOT_URLCONF)
PUBLIC_ROUTES = routes(settings.PUBLIC_SCHEMA_URLCONF)


def test_introspection_finds_the_routes_that_matter() -> None:
    hall_paths = {path for path, _, _ in HALL_ROUTES}
    public_paths = {path for path, _, _ in PUBLIC_ROUTES}
    assert {"/", "/api/v1/me/", "/system/worker-check/", "/healthz", "/readyz"} <= hall_paths
    assert "/admin/" in public_paths
    assert any(path.startswith("/admin/accounts/user/") for path in public_paths)


@pytest.mark.parametrize(("path", "public", "is_api"), HALL_ROUTES)
@pytest.mark.parametrize("username", ["wengyuan_window", "wengyuan_lead", "wengyuan_rsj", "operator"])
def test_staff_of_another_hall_get_404_on_every_route(
    demo: object, username: str, path: str, public: bool, is_api: bool
) -> None:
    # given a person with no role at nanxiong, holding a session that is valid on nanxiong's host
    client = client_for(username, "nanxiong")

    # when they ask for any route there
    response = client.get(path)

    # then only the public endpoints answer (or refuse: the city login's ticket and callback without
    # a ticket), and they say nothing about the hall's data
    if readable_by_any_login(path, response):
        return
    if public:
        assert response.status_code in (200, 302, 404, 405, 503)
        assert b"wengyuan" not in response.content
    else:
        assert response.status_code == 404, f"{path} answered {response.status_code}"


# The public endpoints (the person's, without a login) answer on every hall's host by design: their own tests
# check that another hall's cases stay unknown there.
@pytest.mark.parametrize(("path", "public", "is_api"), [r for r in HALL_ROUTES if r[2] and not r[1]])
def test_api_token_of_another_hall_gets_404(demo: object, path: str, public: bool, is_api: bool) -> None:
    token = api_token_for(user=user("wengyuan_window"))
    client = client_for(None, "nanxiong")

    response = client.get(path, HTTP_AUTHORIZATION=f"Token {token}")

    if readable_by_any_login(path, response):
        return
    assert response.status_code == 404
    if response["Content-Type"].startswith("application/json"):
        assert response.json()["code"] == "not_found"


def test_api_token_works_on_own_hall(demo: object) -> None:
    token = api_token_for(user=user("wengyuan_window"))
    client = client_for(None, "wengyuan")

    response = client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token}")

    assert response.status_code == 200
    assert response.json() == {
        "username": "wengyuan_window",
        "display_name": user("wengyuan_window").display_name,
        "hall": "wengyuan",
        "roles": ["window_staff"],
    }


@pytest.mark.parametrize(("path", "public", "is_api"), PUBLIC_ROUTES)
@pytest.mark.parametrize("username", ["wengyuan_window", "wengyuan_lead"])
def test_hall_staff_get_404_on_every_route_of_the_public_schema(
    demo: object, username: str, path: str, public: bool, is_api: bool
) -> None:
    client = client_for(username, None)

    response = client.get(path)

    if readable_by_any_login(path, response):
        return
    if public:
        assert response.status_code in (200, 302, 404, 405, 503)
    else:
        assert response.status_code == 404, f"{path} answered {response.status_code}"


@pytest.mark.parametrize("username", ["shaoguan_supervisor", "shaoguan_rsj"])
def test_admin_is_for_operators_only(demo: object, username: str) -> None:
    assert client_for(username, None).get("/admin/").status_code == 404
    assert client_for("operator", None).get("/admin/").status_code == 200


def test_session_opened_on_one_hall_is_anonymous_on_another(demo: object) -> None:
    # given a session opened on wengyuan's host
    client = client_for("wengyuan_window", "wengyuan")
    assert client.get("/").status_code == 200

    # when the same cookie is presented to nanxiong's host
    response = client.get("/", HTTP_HOST=host_of("nanxiong"))

    # then it is not a login there: the login page, never nanxiong's content
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("host", ["unknown.localhost", "evil.example.com", "wengyuan.localhost.evil.com"])
def test_unknown_host_is_404_never_another_hall(demo: object, host: str) -> None:
    client = client_for("wengyuan_window", "wengyuan")
    response = client.get("/", HTTP_HOST=host)
    assert response.status_code == 404
    assert "翁源".encode() not in response.content


def test_no_header_or_parameter_switches_the_hall(demo: object) -> None:
    client = client_for("wengyuan_window", "wengyuan")
    response = client.get(
        "/?hall=nanxiong&schema=hall_nanxiong",
        HTTP_X_FORWARDED_HOST=host_of("nanxiong"),
        HTTP_X_TENANT="nanxiong",
        HTTP_X_SCHEMA="hall_nanxiong",
    )
    assert response.status_code == 200
    assert "翁源县政务服务中心".encode() in response.content
    # (the home page lists nanxiong's departments as transfer targets, 异地转办: never nanxiong's hall)
    assert "南雄市政务服务中心".encode() not in response.content
    assert response.wsgi_request.tenant.schema_name == "hall_wengyuan"


def test_supervisor_reaches_every_hall_of_the_city(demo: object) -> None:
    for code in ("shaoguan", "wengyuan", "nanxiong"):
        response = client_for("shaoguan_supervisor", code).get("/")
        assert response.status_code == 200, code


def test_county_department_reaches_own_hall_only(demo: object) -> None:
    assert client_for("wengyuan_rsj", "wengyuan").get("/").status_code == 200
    assert client_for("wengyuan_rsj", "nanxiong").get("/").status_code == 404
    assert client_for("wengyuan_rsj", "shaoguan").get("/").status_code == 404


def test_city_department_reaches_the_halls_of_its_city(demo: object) -> None:
    # slips from every county of the city come to a city-level department (rule art. 5(2))
    for code in ("shaoguan", "wengyuan", "nanxiong"):
        assert client_for("shaoguan_rsj", code).get("/").status_code == 200, code
