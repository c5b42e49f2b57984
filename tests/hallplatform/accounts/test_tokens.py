"""Hashed API tokens (`hallplatform/accounts/services.py`: api_token_*), their API (/api/v1/tokens/),
page (/accounts/tokens/), admin revocation and the migration hashing the old clear keys."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import timedelta
from importlib import import_module

import pytest
from django.apps import apps
from django.db import connection
from django.test import Client
from django.utils import timezone

from hallplatform.accounts.models import ApiToken
from hallplatform.accounts.services import api_token_create, token_digest
from hallplatform.audit.models import AuditEvent
from tenants.models import Hall
from tenants.routing import forget_all_hosts
from tests.conftest import client_for, host_of, user


@pytest.fixture(autouse=True)
def _fresh_routes(db: None) -> Iterator[None]:
    forget_all_hosts()
    yield
    forget_all_hosts()


def api(token: str, code: str | None = "wengyuan") -> Client:
    return Client(HTTP_HOST=host_of(code), HTTP_AUTHORIZATION=f"Token {token}", REMOTE_ADDR="10.2.2.2")


def test_a_token_is_stored_hashed_and_shown_once(demo: dict[str, Hall]) -> None:
    clerk = client_for("wengyuan_window", "wengyuan")

    response = clerk.post("/api/v1/tokens/", {"name": "窗口叫号系统"}, content_type="application/json")

    assert response.status_code == 201
    body = response.json()
    secret = body["key"]
    token = ApiToken.objects.get(pk=body["id"])
    assert token.digest == hashlib.sha256(secret.encode()).hexdigest() and secret not in token.digest
    assert body["prefix"] == secret[:8] == token.prefix
    assert abs(token.expires_at - (timezone.now() + timedelta(days=90))) < timedelta(minutes=1)  # type: ignore[operator]
    # the secret works, and is never listed again
    assert api(secret).get("/api/v1/me/").json()["username"] == "wengyuan_window"
    listing = clerk.get("/api/v1/tokens/")
    assert secret not in listing.content.decode()
    assert [item["name"] for item in listing.json()] == ["窗口叫号系统"]
    assert set(listing.json()[0]) == {"id", "name", "prefix", "created_at", "expires_at", "last_used_at", "revoked_at"}
    assert listing.json()[0]["last_used_at"] is not None
    created = AuditEvent.objects.get(action="api_token.create", target_id=str(token.pk))
    assert created.actor.username == "wengyuan_window"  # type: ignore[union-attr]
    assert secret not in str(created.changes) and created.changes["ip"] == "127.0.0.1"


def test_the_owner_revokes_a_token_and_it_stops_working(demo: dict[str, Hall]) -> None:
    token, secret = api_token_create(user=user("wengyuan_window"), name="integration")

    response = api(secret).delete(f"/api/v1/tokens/{token.pk}/")

    assert response.status_code == 204
    assert api(secret).get("/api/v1/me/").status_code == 401
    token.refresh_from_db()
    assert token.revoked_at is not None and token.revoked_by.username == "wengyuan_window"  # type: ignore[union-attr]
    assert AuditEvent.objects.filter(action="api_token.revoke", target_id=str(token.pk)).count() == 1


def test_nobody_else_revokes_or_sees_a_token(demo: dict[str, Hall]) -> None:
    token, secret = api_token_create(user=user("wengyuan_window"), name="integration")
    lead = client_for("wengyuan_lead", "wengyuan")

    assert lead.delete(f"/api/v1/tokens/{token.pk}/").status_code == 404
    assert lead.post(f"/accounts/tokens/{token.pk}/revoke/").status_code == 404
    assert lead.get("/api/v1/tokens/").json() == []

    token.refresh_from_db()
    assert token.revoked_at is None
    assert api(secret).get("/api/v1/me/").status_code == 200


def test_an_expired_token_is_refused(demo: dict[str, Hall]) -> None:
    token, secret = api_token_create(user=user("wengyuan_window"), name="old", days=1)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = api(secret).get("/api/v1/me/")
    assert response.status_code == 401
    assert set(response.json()) == {"code", "message", "fields"}


def test_a_token_without_a_name_or_too_long_is_refused_naming_the_field(demo: dict[str, Hall]) -> None:
    clerk = client_for("wengyuan_window", "wengyuan")
    before = ApiToken.objects.count()
    for payload, field in (({"name": ""}, "name"), ({"name": "x", "days": 9999}, "days")):
        response = clerk.post("/api/v1/tokens/", payload, content_type="application/json")
        assert response.status_code == 400
        assert field in response.json()["fields"]
    assert ApiToken.objects.count() == before


def test_the_page_makes_lists_and_revokes_tokens(demo: dict[str, Hall]) -> None:
    clerk = client_for("wengyuan_window", "wengyuan")

    made = clerk.post("/accounts/tokens/", {"name": "报表脚本", "days": 30})

    token = ApiToken.objects.get(user=user("wengyuan_window"), name="报表脚本")
    page = made.content.decode()
    secret_start = page.index('id="new-token">') + len('id="new-token">')
    secret = page[secret_start : page.index("<", secret_start)]
    assert token_digest(secret) == token.digest
    assert secret not in clerk.get("/accounts/tokens/").content.decode()
    assert clerk.post(f"/accounts/tokens/{token.pk}/revoke/").status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_an_operator_revokes_any_token_in_the_admin_which_never_shows_secrets(demo: dict[str, Hall]) -> None:
    token, secret = api_token_create(user=user("wengyuan_window"), name="integration")
    operator = client_for("operator", None)

    listing = operator.get("/admin/accounts/apitoken/")
    assert listing.status_code == 200 and token.prefix in listing.content.decode()
    assert secret not in listing.content.decode() and token.digest not in listing.content.decode()
    response = operator.post("/admin/accounts/apitoken/", {"action": "revoke", "_selected_action": [token.pk]})

    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_by.username == "operator"  # type: ignore[union-attr]
    assert api(secret).get("/api/v1/me/").status_code == 401


def test_old_clear_keys_are_hashed_in_place_and_keep_working(demo: dict[str, Hall]) -> None:
    # given a token of DRF's authtoken table, as before this change
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS authtoken_token (key varchar(40) PRIMARY KEY, created timestamptz NOT NULL,"
            " user_id bigint NOT NULL UNIQUE)"
        )
        cursor.execute(
            "INSERT INTO authtoken_token VALUES (%s, now() - interval '400 days', %s)",
            ["0123456789abcdef0123456789abcdef01234567", user("wengyuan_window").pk],
        )
    migration = import_module("hallplatform.accounts.migrations.0004_hash_existing_api_tokens")

    # when the data migration runs
    with connection.schema_editor() as editor:
        migration.hash_existing_tokens(apps, editor)

    # then the clear key is gone, and the integrator's header still works
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM authtoken_token")
        assert cursor.fetchone()[0] == 0
    token = ApiToken.objects.get(prefix="01234567")
    assert token.expires_at is None and token.created_at < timezone.now() - timedelta(days=399)
    response = api("0123456789abcdef0123456789abcdef01234567").get("/api/v1/me/")
    assert response.status_code == 200 and response.json()["username"] == "wengyuan_window"
