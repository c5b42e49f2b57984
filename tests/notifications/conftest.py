"""Fixtures for notices.

``committed``: tests that need other connections (threads, the Celery worker process) to see their
data run without the wrapping test transaction; whatever notices, console messages and users they
created is deleted afterwards, so the session's demo data stays as it was.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import connection

from config.celery import app
from hallplatform.accounts.models import User
from notifications.models import ConsoleMessage, Notice, NoticeTemplate, StaffContact
from tests.notifications import fakes
from tests.notifications.provider_api import ProviderApi, provider_api_running

SCRIPTED = "tests.notifications.fakes.ScriptedProvider"


@pytest.fixture
def scripted(settings: Any) -> fakes.Script:
    """SMS and e-mail go to the scripted provider; returns its script (fresh for each test)."""
    settings.SMS_PROVIDER = SCRIPTED
    settings.EMAIL_PROVIDER = SCRIPTED
    fakes.SCRIPT = fakes.Script()
    return fakes.SCRIPT


@pytest.fixture
def eager_celery() -> Iterator[None]:
    """Tasks sent run at once, in this process (countdowns are ignored): a chain of retries runs
    to its end within the test."""
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    try:
        yield
    finally:
        app.conf.task_always_eager = False
        app.conf.task_eager_propagates = False


def _max_id(model: Any) -> int:
    return model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


@pytest.fixture
def committed(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    with django_db_blocker.unblock():
        marks = {model: _max_id(model) for model in (Notice, ConsoleMessage, NoticeTemplate, User)}
        try:
            yield
        finally:
            connection.set_schema_to_public()
            for model in (Notice, ConsoleMessage, NoticeTemplate):
                model.objects.filter(pk__gt=marks[model]).delete()
            User.objects.filter(pk__gt=marks[User]).delete()


def staff(username: str, *, phone: str = "138 1234 5678", email: str = "") -> User:
    """A staff login to notify (no role needed to receive notices)."""
    return User.objects.create_user(
        username=username, display_name=username, work_phone=phone, email=email or f"{username}@example.org"
    )


def wait_for(condition: Callable[[], bool], *, timeout: float = 30.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


BREACH_CONTEXT = {
    "subject_label": "案件 WY-2025-0012",
    "deadline_label": "部门答复期限",
    "due_at": "2025年3月3日 17:00",
}


@pytest.fixture
def provider_api() -> Iterator[ProviderApi]:
    """A real HTTP server standing in for a provider's API (tests/notifications/provider_api.py)."""
    with provider_api_running() as api:
        yield api


def with_contact(user: User, **fields: Any) -> StaffContact:
    """Give ``user`` a staff contact (channels, WeCom/DingTalk ids, digest)."""
    return StaffContact.objects.create(user=user, **fields)


@pytest.fixture
def wecom(settings: Any, provider_api: ProviderApi) -> ProviderApi:
    """WeCom configured against the fake API: corp ww-test, agent 1000002, secret right-secret."""
    settings.WECOM_CORP_ID = "ww-test"
    settings.WECOM_AGENT_ID = "1000002"
    settings.WECOM_SECRET = "right-secret"
    settings.WECOM_API_BASE = provider_api.base
    return provider_api


@pytest.fixture
def dingtalk(settings: Any, provider_api: ProviderApi) -> ProviderApi:
    """DingTalk configured against the fake API: app key ding-key, secret ding-secret, agent 2001."""
    settings.DINGTALK_APP_KEY = "ding-key"
    settings.DINGTALK_APP_SECRET = "ding-secret"
    settings.DINGTALK_AGENT_ID = "2001"
    settings.DINGTALK_API_BASE = provider_api.base
    return provider_api
