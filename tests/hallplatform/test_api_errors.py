"""Every error under /api/ is JSON in the one shape, on a hall's host and on the base domain: unknown
paths (404), methods a route does not take (405, walking every API route), and the schema and its docs,
which any logged-in person reads, with or without a role on the host (anonymous: 401)."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from hallplatform.accounts.models import RoleAssignment, User
from hallplatform.accounts.services import api_token_for
from tests.conftest import client_for, host_of, user
from tests.hallplatform.test_isolation import routes

SHAPE = {"code", "message", "fields"}
API_ROUTES = sorted({path for path, _public, is_api in routes(settings.ROOT_URLCONF) if is_api})
METHODS = ("get", "post", "put", "patch", "delete")


def error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].split(";")[0] == "application/json"
    data = dict(response.json())
    assert set(data) == SHAPE and data["code"] == code and data["message"]
    return data


def no_role_user() -> User:
    """A staff login holding no role anywhere (e.g. just made, roles not given yet)."""
    made = User.objects.create_user(username="norole", password="a-long-enough-password-17")
    assert not RoleAssignment.objects.filter(user=made).exists()
    return made


def logged_in(username: str, code: str | None) -> Client:
    return client_for(username, code)


@pytest.mark.parametrize("code", ["wengyuan", None])
def test_a_login_without_a_role_reads_the_schema_and_the_docs(demo: object, code: str | None) -> None:
    no_role_user()
    client = logged_in("norole", code)

    schema = client.get("/api/schema/")
    docs = client.get("/api/docs/")

    assert schema.status_code == 200 and b"openapi:" in schema.content
    assert docs.status_code == 200 and docs["Content-Type"].startswith("text/html")
    assert client.get("/api/schema/", HTTP_ACCEPT="application/json").status_code == 200
    # but nothing of a hall: the data routes stay 404 for them
    error(client.get("/api/v1/cases/" if code else "/api/v1/inbox/"), 404, "not_found")
    error(client.get("/api/v1/me/"), 404, "not_found")


def test_a_token_reads_the_schema_too(demo: object) -> None:
    token = api_token_for(user=user("wengyuan_window"))
    client = Client(HTTP_HOST=host_of("wengyuan"), HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/schema/").status_code == 200


@pytest.mark.parametrize("path", ["/api/schema/", "/api/docs/", "/api/docs/?script"])
@pytest.mark.parametrize("code", ["wengyuan", None])
def test_anonymous_calls_to_the_schema_are_401_in_the_shape(demo: object, path: str, code: str | None) -> None:
    error(Client(HTTP_HOST=host_of(code)).get(path), 401, "not_authenticated")


@pytest.mark.parametrize("code", ["wengyuan", None])
@pytest.mark.parametrize(
    "path", ["/api/", "/api/v1/", "/api/v1/nowhere/", "/api/v2/cases/", "/api/v1/cases/abc/", "/api/nowhere"]
)
def test_unknown_api_paths_are_404_in_the_shape(demo: object, code: str | None, path: str) -> None:
    for client in (Client(HTTP_HOST=host_of(code)), logged_in("wengyuan_rsj", code)):
        for method in METHODS:
            error(getattr(client, method)(path), 404, "not_found")


def test_the_schema_refuses_other_methods_with_405_in_the_shape(demo: object) -> None:
    client = logged_in("wengyuan_window", "wengyuan")
    for method in ("post", "put", "delete"):
        refused = getattr(client, method)("/api/schema/")
        error(refused, 405, "method_not_allowed")
        assert "GET" in refused["Allow"]


def test_every_api_route_answers_a_wrong_method_in_the_shape(demo: object) -> None:
    """As the hall's lead (a role on the host), each API route of the hall's URL conf: a method it
    does not take is 405 naming what it takes; 404 (not visible to this role, or no such id) is in
    the shape too. Nothing else, and never HTML."""
    assert "/api/v1/cases/" in API_ROUTES and "/api/v1/stats/reports/1/pdf/" in API_ROUTES
    client = logged_in("wengyuan_lead", "wengyuan")
    seen_405 = 0
    for path in API_ROUTES:
        for method in ("put", "patch"):
            response = getattr(client, method)(path, "{}", content_type="application/json")
            assert response.status_code in (404, 405), (path, method, response.status_code)
            data = error(
                response, response.status_code, "not_found" if response.status_code == 404 else "method_not_allowed"
            )
            if response.status_code == 405:
                seen_405 += 1
                assert response["Allow"], path
                assert data["fields"] == {}
    assert seen_405 > len(API_ROUTES)  # most routes are visible to the lead: their wrong methods are 405
