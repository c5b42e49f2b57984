"""Session timeouts (`hallplatform/sessions.py`) and the password policy (AUTH_PASSWORD_VALIDATORS)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import translation

from hallplatform.accounts.models import User
from hallplatform.sessions import SESSION_LOGIN_AT_KEY, SESSION_SEEN_AT_KEY
from tenants.demo import DEMO_ACCOUNTS, DEMO_PASSWORD
from tenants.models import Hall
from tenants.routing import forget_all_hosts
from tests.conftest import client_for


@pytest.fixture(autouse=True)
def _fresh_routes(db: None) -> Iterator[None]:
    forget_all_hosts()
    yield
    forget_all_hosts()


def age_session(client: Client, *, login_ago: int, seen_ago: int) -> None:
    session = client.session
    now = int(time.time())
    session[SESSION_LOGIN_AT_KEY] = now - login_ago
    session[SESSION_SEEN_AT_KEY] = now - seen_ago
    session.save()


def test_defaults() -> None:
    assert (settings.SESSION_IDLE_TIMEOUT, settings.SESSION_ABSOLUTE_TIMEOUT) == (30 * 60, 12 * 3600)


def test_a_session_idle_longer_than_the_timeout_ends(demo: dict[str, Hall]) -> None:
    client = client_for("wengyuan_window", "wengyuan")
    age_session(client, login_ago=3600, seen_ago=settings.SESSION_IDLE_TIMEOUT + 5)

    response = client.get("/cases/")

    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert "_auth_user_id" not in client.session


def test_a_session_in_use_lives_until_the_absolute_timeout(demo: dict[str, Hall]) -> None:
    client = client_for("wengyuan_window", "wengyuan")
    age_session(client, login_ago=settings.SESSION_ABSOLUTE_TIMEOUT - 60, seen_ago=10)
    assert client.get("/cases/").status_code == 200

    age_session(client, login_ago=settings.SESSION_ABSOLUTE_TIMEOUT + 5, seen_ago=10)
    assert client.get("/cases/").status_code == 302
    assert client.get("/api/v1/me/").status_code in (401, 403)


def test_the_password_policy_speaks_chinese() -> None:
    person = User(username="zhangsan", display_name="张三")
    with translation.override("zh-hans"), pytest.raises(ValidationError) as refused:
        validate_password("zhangsan1", user=person)
    messages = " ".join(refused.value.messages)
    assert "密码至少需要 10 个字符" in messages  # too short: at least 10
    assert "相似" in messages  # too similar to the username
    with translation.override("zh-hans"), pytest.raises(ValidationError) as common:
        validate_password("password123")
    assert "常见" in " ".join(common.value.messages)


def test_the_demo_password_passes_the_policy() -> None:
    for account in DEMO_ACCOUNTS:
        validate_password(DEMO_PASSWORD, user=User(username=account.username, display_name=account.display_name))
