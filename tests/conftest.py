"""Test fixtures: the real PostgreSQL (test database made by pytest-django) and the real Redis.

The Shaoguan demo is seeded once per session and committed, so its hall schemas exist for every
test; each test still runs in a transaction that is rolled back.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test import Client

from analytics.dashboards import dashboards_forget_all
from hallplatform.accounts.access import SESSION_HOST_KEY
from hallplatform.accounts.models import User
from hallplatform.caching import broker_outage, cache_outage
from hallplatform.throttling import throttle_forget_all
from tenants.demo import CITY, COUNTIES, SECOND_CITY, SECOND_COUNTIES, seed_demo, seed_second_city
from tenants.models import Hall
from tenants.routing import forget_all_hosts, forget_hosts


def host_of(code: str | None) -> str:
    """The host name of a hall (None: the city portal on the bare base domain)."""
    return settings.BASE_DOMAIN if code is None else f"{code}.{settings.BASE_DOMAIN}"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: Any, django_db_blocker: Any) -> Iterator[None]:
    with django_db_blocker.unblock():
        call_command("migrate_all", verbosity=0)
        seed_demo()
        seed_second_city()  # a second city: isolation between cities
        forget_hosts([host_of(code) for code, _name, _region in [CITY, *COUNTIES, SECOND_CITY, *SECOND_COUNTIES]])
        connection.set_schema_to_public()
    yield


@pytest.fixture(autouse=True)
def _public_schema_between_tests() -> Iterator[None]:
    yield
    connection.set_schema_to_public()
    # Redis is not rolled back with the test's transaction: drop routes and statistics kept during the test,
    # and forget a Redis failure the test caused (hallplatform/caching.py: RedisOutage).
    cache_outage.clear()
    broker_outage.clear()
    forget_all_hosts()
    dashboards_forget_all()
    throttle_forget_all()  # API throttle counts: each test starts with none


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


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Celery worker process on the real Redis broker, using the test database.

    Yields the worker's node name. Tasks reach it on the queue named by CELERY_QUEUE (dev.py test
    sets a unique one per run, so a worker of `dev.py run` on the same Redis never takes them).
    """
    from config.celery import app

    database_url = os.environ.get("DATABASE_URL", settings.DATABASE_URL)
    parts = urlsplit(database_url)
    env = dict(os.environ)
    env["DATABASE_URL"] = urlunsplit(parts._replace(path="/" + connection.settings_dict["NAME"]))
    env.setdefault("BANCHENG_INSECURE_DEV_KEY", "1")
    node = f"pytest-{uuid.uuid4().hex[:8]}@localhost"
    log_path = tmp_path_factory.mktemp("celery") / "worker.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo",
             "-l", "INFO", "-n", node, "-Q", settings.CELERY_TASK_DEFAULT_QUEUE],
            cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not app.control.ping(destination=[node], timeout=1.0):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the Celery worker did not start:\n{log_path.read_text()[-3000:]}")
        yield node
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
