"""Test fixtures: the real PostgreSQL (test database made by pytest-django) and the real Redis.

The Shaoguan demo is seeded once per session and committed, so its hall schemas exist for every
test; each test still runs in a transaction that is rolled back.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test import Client

from hallplatform.accounts.models import User
from hallplatform.middleware import SESSION_HOST_KEY
from tenants.demo import CITY, COUNTIES, seed_demo
from tenants.models import Hall
from tenants.routing import forget_hosts


def host_of(code: str | None) -> str:
    """The host name of a hall (None: the city portal on the bare base domain)."""
    return settings.BASE_DOMAIN if code is None else f"{code}.{settings.BASE_DOMAIN}"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: Any, django_db_blocker: Any) -> Iterator[None]:
    with django_db_blocker.unblock():
        call_command("migrate_all", verbosity=0)
        seed_demo()
        forget_hosts([host_of(code) for code, _name, _region in [CITY, *COUNTIES]])
        connection.set_schema_to_public()
    yield


@pytest.fixture(autouse=True)
def _public_schema_between_tests() -> Iterator[None]:
    yield
    connection.set_schema_to_public()


@pytest.fixture
def demo(db: None) -> dict[str, Hall]:
    """The demo halls by code."""
    return {hall.code: hall for hall in Hall.objects.all()}


def user(username: str) -> User:
    return User.objects.get(username=username)


def client_for(username: str | None, code: str | None) -> Client:
    """A test client on a hall's host (None: the city portal), logged in there as ``username``.

    Logs in the way the login view does: the session is bound to the host it is opened on.
    """
    client = Client(HTTP_HOST=host_of(code))
    if username is not None:
        client.force_login(user(username))
        session = client.session
        session[SESSION_HOST_KEY] = host_of(code)
        session.save()
    return client
