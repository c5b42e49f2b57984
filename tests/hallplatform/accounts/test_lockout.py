"""Login lockout (django-axes, `hallplatform/accounts/lockout.py`), its audit, and the unlock page
(`hallplatform/accounts/web/views.py: lockouts`)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client, override_settings
from django.utils import translation

from hallplatform.accounts.lockout import LOCKED_MESSAGE
from hallplatform.audit.models import AuditEvent
from tenants.demo import DEMO_PASSWORD
from tenants.models import Hall
from tenants.routing import forget_all_hosts
from tests.conftest import client_for, host_of

WRONG = "not-the-password"


@pytest.fixture(autouse=True)
def _fresh_routes(db: None) -> Iterator[None]:
    forget_all_hosts()
    yield
    forget_all_hosts()


def login(username: str, password: str, *, code: str | None = "wengyuan", address: str = "10.1.1.1", **extra: str):
    client = Client(HTTP_HOST=host_of(code), REMOTE_ADDR=address, HTTP_USER_AGENT="pytest-browser", **extra)
    return client, client.post("/accounts/login/", {"username": username, "password": password})


def logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_five_wrong_passwords_lock_the_login_from_that_address_with_a_chinese_429(demo: dict[str, Hall]) -> None:
    # given five wrong passwords
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        _client, response = login("wengyuan_window", WRONG)
        assert response.status_code == 200
    _client, fifth = login("wengyuan_window", WRONG)
    assert fifth.status_code == 429

    # when the right password comes next from the same address
    client, response = login("wengyuan_window", DEMO_PASSWORD)

    # then it is refused, in Chinese, saying when to come back, and nobody is logged in
    assert response.status_code == 429
    assert response["Retry-After"] == str(15 * 60)
    with translation.override("zh-hans"):
        assert str(LOCKED_MESSAGE) % {"minutes": 15} in response.content.decode()
    assert not logged_in(client)
    # and the audit trail has each failure with address and user agent, and the lockout once
    failures = AuditEvent.objects.filter(action="login.failure", changes__username="wengyuan_window")
    assert failures.count() == settings.AXES_FAILURE_LIMIT + 1
    assert {(event.changes["ip"], event.changes["user_agent"]) for event in failures} == {
        ("10.1.1.1", "pytest-browser")
    }
    lockouts = AuditEvent.objects.filter(action="login.lockout", changes__username="wengyuan_window")
    assert lockouts.count() == 1
    assert lockouts.get().hall_id == demo["wengyuan"].pk


def test_the_lockout_is_per_username_and_address(demo: dict[str, Hall]) -> None:
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        login("wengyuan_window", WRONG, address="10.1.1.1")

    # another clerk behind the same address, and the same clerk from another address, log in
    other_clerk, response = login("wengyuan_lead", DEMO_PASSWORD, address="10.1.1.1")
    assert response.status_code == 302 and logged_in(other_clerk)
    elsewhere, response = login("wengyuan_window", DEMO_PASSWORD, address="10.9.9.9")
    assert response.status_code == 302 and logged_in(elsewhere)


def test_a_success_clears_the_failures(demo: dict[str, Hall]) -> None:
    for _round in range(3):
        for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
            login("wengyuan_window", WRONG)
        client, response = login("wengyuan_window", DEMO_PASSWORD)
        assert response.status_code == 302 and logged_in(client)
    assert not AccessAttempt.objects.filter(username="wengyuan_window").exists()
    success = AuditEvent.objects.filter(action="login.success", changes__username="wengyuan_window").first()
    assert success is not None and success.actor.username == "wengyuan_window"  # type: ignore[union-attr]
    assert (success.changes["ip"], success.changes["user_agent"]) == ("10.1.1.1", "pytest-browser")


def test_the_right_password_where_the_person_holds_no_role_counts_as_a_failure(demo: dict[str, Hall]) -> None:
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        _client, response = login("wengyuan_window", DEMO_PASSWORD, code="nanxiong")
    assert response.status_code == 429
    assert AccessAttempt.objects.get(username="wengyuan_window").failures_since_start == settings.AXES_FAILURE_LIMIT


def test_x_forwarded_for_is_believed_only_from_a_trusted_proxy(demo: dict[str, Hall]) -> None:
    # given an attacker who changes X-Forwarded-For at every attempt, straight to the pod
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        login("wengyuan_window", WRONG, address="203.0.113.7", HTTP_X_FORWARDED_FOR=f"198.51.100.{attempt}")
    # then the pod's view of the address counts: locked
    _client, response = login("wengyuan_window", DEMO_PASSWORD, address="203.0.113.7",
                              HTTP_X_FORWARDED_FOR="198.51.100.200")  # fmt: skip
    assert response.status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.7"}


def test_behind_the_trusted_ingress_each_client_address_counts(demo: dict[str, Hall]) -> None:
    with override_settings(TRUSTED_PROXY_NETWORKS=[__import__("ipaddress").ip_network("10.0.0.0/8")]):
        for _attempt in range(settings.AXES_FAILURE_LIMIT):
            login("wengyuan_window", WRONG, address="10.0.0.5", HTTP_X_FORWARDED_FOR="spoofed, 198.51.100.1")
        locked_client, locked = login("wengyuan_window", DEMO_PASSWORD, address="10.0.0.5",
                                      HTTP_X_FORWARDED_FOR="198.51.100.1")  # fmt: skip
        other_client, other = login("wengyuan_window", DEMO_PASSWORD, address="10.0.0.5",
                                    HTTP_X_FORWARDED_FOR="198.51.100.2")  # fmt: skip
    assert locked.status_code == 429 and not logged_in(locked_client)
    assert other.status_code == 302 and logged_in(other_client)
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"198.51.100.1"}


@override_settings(LOGIN_ADDRESS_FAILURE_LIMIT=8)
def test_a_flood_of_usernames_from_one_address_locks_the_address(demo: dict[str, Hall]) -> None:
    for number in range(8):
        login(f"guess{number}", WRONG, address="192.0.2.9")
    client, response = login("wengyuan_window", DEMO_PASSWORD, address="192.0.2.9")
    assert response.status_code == 429 and not logged_in(client)
    # another address is not concerned
    client, response = login("wengyuan_window", DEMO_PASSWORD, address="192.0.2.10")
    assert response.status_code == 302


def lock(username: str, address: str = "10.1.1.1", code: str = "wengyuan") -> AccessAttempt:
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        login(username, WRONG, address=address, code=code)
    return AccessAttempt.objects.get(username=username, ip_address=address)


def test_the_hall_lead_unlocks_a_clerk_of_the_hall(demo: dict[str, Hall]) -> None:
    attempt = lock("wengyuan_window")
    lead = client_for("wengyuan_lead", "wengyuan")

    page = lead.get("/accounts/lockouts/")
    assert page.status_code == 200 and "wengyuan_window" in page.content.decode()
    response = lead.post("/accounts/lockouts/", {"attempt": attempt.pk})

    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(pk=attempt.pk).exists()
    unlock = AuditEvent.objects.get(action="login.unlock")
    assert unlock.actor.username == "wengyuan_lead"  # type: ignore[union-attr]
    assert unlock.changes["username"] == "wengyuan_window" and unlock.changes["locked_ip"] == "10.1.1.1"
    client, response = login("wengyuan_window", DEMO_PASSWORD)
    assert response.status_code == 302 and logged_in(client)


def test_another_halls_lead_and_a_clerk_cannot_unlock(demo: dict[str, Hall]) -> None:
    attempt = lock("wengyuan_window")

    other_lead = client_for("qingcheng_lead", "qingcheng")
    assert "wengyuan_window" not in other_lead.get("/accounts/lockouts/").content.decode()
    assert other_lead.post("/accounts/lockouts/", {"attempt": attempt.pk}).status_code == 404
    clerk = client_for("wengyuan_window", "wengyuan")
    assert clerk.get("/accounts/lockouts/").status_code == 404
    assert clerk.post("/accounts/lockouts/", {"attempt": attempt.pk}).status_code == 404

    assert AccessAttempt.objects.filter(pk=attempt.pk).exists()
    assert not AuditEvent.objects.filter(action="login.unlock").exists()


def test_an_operator_unlocks_anyone_on_the_city_portal(demo: dict[str, Hall]) -> None:
    attempt = lock("shaoguan_supervisor", code="shaoguan")
    operator = client_for("operator", None)
    assert "shaoguan_supervisor" in operator.get("/accounts/lockouts/").content.decode()
    assert operator.post("/accounts/lockouts/", {"attempt": attempt.pk}).status_code == 302
    assert not AccessAttempt.objects.filter(pk=attempt.pk).exists()
    assert AuditEvent.objects.get(action="login.unlock").actor.username == "operator"  # type: ignore[union-attr]


def test_a_person_sees_their_recent_logins_and_failures(demo: dict[str, Hall]) -> None:
    login("wengyuan_window", WRONG, address="10.7.7.7")
    client, _response = login("wengyuan_window", DEMO_PASSWORD, address="10.7.7.8")
    login("wengyuan_lead", WRONG, address="10.6.6.6")  # someone else's

    page = client.get("/accounts/logins/").content.decode()

    assert "10.7.7.7" in page and "10.7.7.8" in page and "pytest-browser" in page
    assert "10.6.6.6" not in page
