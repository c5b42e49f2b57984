"""Two-factor login (`hallplatform/accounts/two_factor.py`, its pages in `web/two_factor.py`, the
`TwoFactorMiddleware`): enrolment, the second step, recovery codes, the lockout, every host and the
API, token creation, resets by hall leads, and the demo without enforcement."""

from __future__ import annotations

import json
import re
from binascii import unhexlify
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client, override_settings
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from hallplatform.accounts.models import ApiToken
from hallplatform.accounts.services import api_token_for
from hallplatform.accounts.two_factor import RECOVERY_CODE_COUNT, totp_key_new, two_factor_enrol
from hallplatform.accounts.web.two_factor import SESSION_ENROL_KEY
from hallplatform.audit.models import AuditEvent
from tenants.demo import DEMO_PASSWORD
from tenants.routing import forget_all_hosts
from tests.conftest import client_for, host_of, user
from tests.deploy.support import production_env, run_python

ADDRESS = "10.2.2.2"
AGENT = "pytest-2fa"


@pytest.fixture(autouse=True)
def _fresh_routes(db: None) -> Iterator[None]:
    forget_all_hosts()
    yield
    forget_all_hosts()


@pytest.fixture
def enforced() -> Iterator[None]:
    with override_settings(TWO_FACTOR_REQUIRED=True):
        yield


def code_for(key: str, steps: int = 0) -> str:
    """The key's code ``steps`` time steps from now (RFC 6238, django-otp's own algorithm)."""
    return f"{totp(unhexlify(key), drift=steps):06d}"


def login(username: str, code: str | None = "wengyuan") -> tuple[Client, Any]:
    client = Client(HTTP_HOST=host_of(code), REMOTE_ADDR=ADDRESS, HTTP_USER_AGENT=AGENT)
    return client, client.post("/accounts/login/", {"username": username, "password": DEMO_PASSWORD})


def enrol(username: str) -> tuple[TOTPDevice, list[str]]:
    key = totp_key_new()
    return two_factor_enrol(user=user(username), key=key, code=code_for(key))


def verified_client(username: str, code: str | None) -> Client:
    """A session on the host that gave its second factor (the person enrols now)."""
    device, _codes = enrol(username)
    client = client_for(username, code)
    client.defaults.update(REMOTE_ADDR=ADDRESS, HTTP_USER_AGENT=AGENT)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def let_time_pass(username: str) -> None:
    """django-otp waits 1, 2, 4 … seconds after wrong codes; the tests do not."""
    when = timezone.now() - timedelta(hours=1)
    TOTPDevice.objects.filter(user__username=username).update(throttling_failure_timestamp=when)
    StaticDevice.objects.filter(user__username=username).update(throttling_failure_timestamp=when)


def is_verified(client: Client) -> bool:
    return DEVICE_ID_SESSION_KEY in client.session


# --- Enrolment and the second step ------------------------------------------------------------------


def test_a_hall_lead_enrols_then_must_give_a_code_at_each_login(demo: object, enforced: None) -> None:
    # given a hall lead without a second factor: the password leads to enrolment, nothing else
    client, response = login("wengyuan_lead")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/two-factor/enrol/")
    home = client.get("/cases/")
    assert home.status_code == 302 and home["Location"].startswith("/accounts/two-factor/enrol/")

    # when the enrolment page is shown: a QR code (SVG, no script) and the key to type
    page = client.get(response["Location"])
    assert page.status_code == 200 and page["Cache-Control"] == "no-store"
    body = page.content.decode()
    assert "<svg" in body and not re.search(r"<script(?![^>]*\bsrc=)", body)  # no inline script
    key = client.session[SESSION_ENROL_KEY]
    assert TOTPDevice.objects.filter(user__username="wengyuan_lead").count() == 0  # nothing kept before a code

    # and confirmed with the code the app shows
    first_code = code_for(key)
    done = client.post("/accounts/two-factor/enrol/", {"code": first_code, "next": "/cases/"})

    # then ten recovery codes are shown once, the session is verified, and the work is reachable
    assert done.status_code == 200 and done["Cache-Control"] == "no-store"
    codes = list(StaticToken.objects.filter(device__user__username="wengyuan_lead").values_list("token", flat=True))
    assert len(codes) == RECOVERY_CODE_COUNT and all(code in done.content.decode() for code in codes)
    assert TOTPDevice.objects.get(user__username="wengyuan_lead").confirmed
    assert is_verified(client)
    assert client.get("/cases/").status_code == 200
    event = AuditEvent.objects.get(action="two_factor.enrol", target_id=str(user("wengyuan_lead").pk))
    assert (event.changes["ip"], event.changes["user_agent"]) == (ADDRESS, AGENT)

    # when they log in again, the password alone reaches nothing
    again, response = login("wengyuan_lead")
    assert response["Location"].startswith("/accounts/two-factor/verify/")
    assert again.get("/cases/")["Location"].startswith("/accounts/two-factor/verify/")
    # the code used at enrolment does not work twice; the next one does
    replay = again.post("/accounts/two-factor/verify/", {"code": first_code, "next": "/cases/"})
    assert replay.status_code == 200 and not is_verified(again)
    let_time_pass("wengyuan_lead")
    accepted = again.post("/accounts/two-factor/verify/", {"code": code_for(key, 1), "next": "/cases/"})
    assert accepted.status_code == 302 and accepted["Location"] == "/cases/"
    assert is_verified(again) and again.get("/cases/").status_code == 200
    assert AuditEvent.objects.filter(action="login.two_factor", changes__method="totp").count() == 1


def test_a_wrong_code_is_refused_and_counted(demo: object, enforced: None) -> None:
    device, _codes = enrol("wengyuan_lead")
    client, _response = login("wengyuan_lead")

    near = {code_for(device.key, steps) for steps in (-1, 0, 1, 2)}
    wrong = next(code for code in ("000000", "111111", "222222") if code not in near)

    response = client.post("/accounts/two-factor/verify/", {"code": wrong})

    assert response.status_code == 200
    assert 'class="errorlist"' in response.content.decode()
    assert not is_verified(client) and client.get("/cases/").status_code == 302
    assert AccessAttempt.objects.get(username="wengyuan_lead", ip_address=ADDRESS).failures_since_start == 1
    failure = AuditEvent.objects.get(action="login.two_factor_failure")
    assert failure.changes["username"] == "wengyuan_lead" and failure.changes["ip"] == ADDRESS
    # and a code too soon after wrong ones waits (django-otp's growing delay: 16 s after 5), uncounted
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_count=5, throttling_failure_timestamp=timezone.now()
    )
    too_soon = client.post("/accounts/two-factor/verify/", {"code": code_for(device.key, 1)})
    assert too_soon.status_code == 429 and not is_verified(client)
    assert AccessAttempt.objects.get(username="wengyuan_lead").failures_since_start == 1


def test_wrong_codes_lock_the_login_and_a_new_password_login_does_not_forgive_them(
    demo: object, enforced: None
) -> None:
    enrol("wengyuan_lead")
    # given wrong codes, then a new login with the right password
    client, _response = login("wengyuan_lead")
    for _attempt in range(3):
        let_time_pass("wengyuan_lead")
        client.post("/accounts/two-factor/verify/", {"code": "not-a-code"})
    client, response = login("wengyuan_lead")
    assert response.status_code == 302
    assert AccessAttempt.objects.get(username="wengyuan_lead").failures_since_start == 3

    # when the limit is reached
    let_time_pass("wengyuan_lead")
    client.post("/accounts/two-factor/verify/", {"code": "not-a-code"})
    let_time_pass("wengyuan_lead")
    locked = client.post("/accounts/two-factor/verify/", {"code": "not-a-code"})

    # then the session is ended, the lockout page answers, and the password does not log in
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action="login.lockout", changes__username="wengyuan_lead").count() == 1
    _client, refused = login("wengyuan_lead")
    assert refused.status_code == 429


def test_a_recovery_code_works_once(demo: object, enforced: None) -> None:
    _device, codes = enrol("wengyuan_lead")

    first, _response = login("wengyuan_lead")
    used = first.post("/accounts/two-factor/verify/", {"code": codes[0].upper(), "next": "/"})
    assert used.status_code == 302 and is_verified(first)
    assert StaticToken.objects.filter(device__user__username="wengyuan_lead").count() == RECOVERY_CODE_COUNT - 1
    event = AuditEvent.objects.get(action="two_factor.recovery_code_used")
    assert event.changes["left"] == RECOVERY_CODE_COUNT - 1 and event.changes["ip"] == ADDRESS

    second, _response = login("wengyuan_lead")
    again = second.post("/accounts/two-factor/verify/", {"code": codes[0]})
    assert again.status_code == 200 and not is_verified(second)
    assert StaticToken.objects.filter(device__user__username="wengyuan_lead").count() == RECOVERY_CODE_COUNT - 1


# --- Every host, the API, tokens ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("username", "code", "path"),
    [
        ("shaoguan_supervisor", None, "/portal/"),
        ("shaoguan_supervisor", "shaoguan", "/"),
        ("shaoguan_supervisor", "wengyuan", "/cases/"),
        ("operator", None, "/admin/"),
        ("wengyuan_lead", "wengyuan", "/settings/office-hours/"),
    ],
)
def test_every_host_sends_the_roles_that_need_it_to_enrol(
    demo: object, enforced: None, username: str, code: str | None, path: str
) -> None:
    client = client_for(username, code)

    page = client.get(path)
    api = client.get("/api/v1/me/")

    assert page.status_code == 302 and page["Location"].startswith("/accounts/two-factor/enrol/")
    assert api.status_code == 403
    assert api.json()["code"] == "two_factor_required" and set(api.json()) == {"code", "message", "fields"}


def test_a_session_api_call_before_the_code_is_403_and_a_token_is_not_asked(demo: object, enforced: None) -> None:
    enrol("wengyuan_lead")
    secret = api_token_for(user=user("wengyuan_lead"))
    client, _response = login("wengyuan_lead")

    by_session = client.get("/api/v1/me/")
    by_token = Client(HTTP_HOST=host_of("wengyuan")).get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {secret}")

    assert by_session.status_code == 403 and by_session.json()["code"] == "two_factor_required"
    assert by_token.status_code == 200 and by_token.json()["username"] == "wengyuan_lead"


def test_token_creation_needs_a_verified_session(demo: object, enforced: None) -> None:
    # given window staff without a second factor (not forced on them), and a token they already have
    secret = api_token_for(user=user("wengyuan_window"))
    before = ApiToken.objects.count()
    clerk = client_for("wengyuan_window", "wengyuan")

    by_api = clerk.post("/api/v1/tokens/", {"name": "integration"}, content_type="application/json")
    by_page = clerk.post("/accounts/tokens/", {"name": "integration", "days": 30})
    by_token = Client(HTTP_HOST=host_of("wengyuan")).post(
        "/api/v1/tokens/", {"name": "x"}, content_type="application/json", HTTP_AUTHORIZATION=f"Token {secret}"
    )

    assert by_api.status_code == 403 and by_api.json()["code"] == "two_factor_required"
    assert by_page.status_code == 403
    assert by_token.status_code == 403 and by_token.json()["code"] == "two_factor_required"
    assert ApiToken.objects.count() == before
    # and with a verified session it works
    lead = verified_client("wengyuan_lead", "wengyuan")
    made = lead.post("/api/v1/tokens/", {"name": "integration"}, content_type="application/json")
    assert made.status_code == 201 and ApiToken.objects.count() == before + 1


def test_window_staff_are_not_forced(demo: object, enforced: None) -> None:
    client, response = login("wengyuan_window")

    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/cases/").status_code == 200
    assert client.get("/api/v1/me/").status_code == 200


def test_window_staff_may_enrol_and_turn_it_off_with_a_code(demo: object, enforced: None) -> None:
    device, _codes = enrol("wengyuan_window")
    client = client_for("wengyuan_window", "wengyuan")
    # enrolled: the second factor is now due for them too
    assert client.get("/cases/")["Location"].startswith("/accounts/two-factor/verify/")
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()

    wrong = client.post("/accounts/two-factor/", {"action": "disable", "code": "12345"})
    assert wrong.status_code == 200 and TOTPDevice.objects.filter(user__username="wengyuan_window").exists()

    let_time_pass("wengyuan_window")
    off = client.post("/accounts/two-factor/", {"action": "disable", "code": code_for(device.key, 1)})
    assert off.status_code == 302
    assert not TOTPDevice.objects.filter(user__username="wengyuan_window").exists()
    assert not StaticDevice.objects.filter(user__username="wengyuan_window").exists()
    assert AuditEvent.objects.filter(action="two_factor.disable").count() == 1
    assert client.get("/cases/").status_code == 200


def test_a_hall_lead_cannot_turn_it_off(demo: object, enforced: None) -> None:
    lead = verified_client("wengyuan_lead", "wengyuan")
    device = TOTPDevice.objects.get(user__username="wengyuan_lead")

    response = lead.post("/accounts/two-factor/", {"action": "disable", "code": code_for(device.key, 1)})

    assert response.status_code == 200
    assert TOTPDevice.objects.filter(user__username="wengyuan_lead").exists()
    assert not AuditEvent.objects.filter(action="two_factor.disable").exists()


def test_new_recovery_codes_replace_the_old_ones(demo: object, enforced: None) -> None:
    lead = verified_client("wengyuan_lead", "wengyuan")
    device = TOTPDevice.objects.get(user__username="wengyuan_lead")
    old = set(StaticToken.objects.filter(device__user=device.user).values_list("token", flat=True))

    response = lead.post("/accounts/two-factor/", {"action": "codes", "code": code_for(device.key, 1)})

    new = set(StaticToken.objects.filter(device__user=device.user).values_list("token", flat=True))
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    assert len(new) == RECOVERY_CODE_COUNT and not new & old
    assert all(code in response.content.decode() for code in new)
    assert AuditEvent.objects.filter(action="two_factor.recovery_codes").count() == 1


# --- Resets by hall leads and operators -----------------------------------------------------------------


def test_a_hall_lead_resets_a_clerks_second_factor(demo: object, enforced: None) -> None:
    enrol("wengyuan_window")
    lead = verified_client("wengyuan_lead", "wengyuan")
    clerk = user("wengyuan_window")

    listed = lead.get("/accounts/two-factor/staff/")
    response = lead.post(f"/accounts/two-factor/staff/{clerk.pk}/reset/")

    assert listed.status_code == 200 and "wengyuan_window" in listed.content.decode()
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=clerk).exists() and not StaticDevice.objects.filter(user=clerk).exists()
    event = AuditEvent.objects.get(action="two_factor.reset")
    assert event.actor.username == "wengyuan_lead"  # type: ignore[union-attr]
    assert event.target_id == str(clerk.pk) and event.hall.code == "wengyuan"  # type: ignore[union-attr]
    assert (event.changes["ip"], event.changes["user_agent"]) == (ADDRESS, AGENT)


@pytest.mark.parametrize("other", ["qingcheng_window", "shaoguan_supervisor", "operator"])
def test_a_hall_lead_cannot_reset_anyone_outside_their_hall(demo: object, enforced: None, other: str) -> None:
    enrol(other)
    lead = verified_client("wengyuan_lead", "wengyuan")
    target = user(other)

    response = lead.post(f"/accounts/two-factor/staff/{target.pk}/reset/")

    assert response.status_code == 404
    assert TOTPDevice.objects.filter(user=target).exists() and StaticDevice.objects.filter(user=target).exists()
    assert not AuditEvent.objects.filter(action="two_factor.reset").exists()
    assert other not in lead.get("/accounts/two-factor/staff/").content.decode()


def test_window_staff_cannot_reset_anyone(demo: object) -> None:
    enrol("wengyuan_lead")
    clerk = client_for("wengyuan_window", "wengyuan")

    response = clerk.post(f"/accounts/two-factor/staff/{user('wengyuan_lead').pk}/reset/")

    assert response.status_code == 404
    assert TOTPDevice.objects.filter(user__username="wengyuan_lead").exists()


def test_an_operator_resets_anyone_and_the_person_enrols_again(demo: object, enforced: None) -> None:
    enrol("qingcheng_lead")
    operator = verified_client("operator", None)
    person = user("qingcheng_lead")

    response = operator.post(f"/accounts/two-factor/staff/{person.pk}/reset/")

    assert response.status_code == 302 and not TOTPDevice.objects.filter(user=person).exists()
    _client, login_response = login("qingcheng_lead", "qingcheng")
    assert login_response["Location"].startswith("/accounts/two-factor/enrol/")


# --- Without enforcement (development, the demo) ----------------------------------------------------------


@override_settings(TWO_FACTOR_REQUIRED=False)
@pytest.mark.parametrize(("username", "code"), [("wengyuan_lead", "wengyuan"), ("shaoguan_supervisor", None),
                                                ("operator", None)])  # fmt: skip
def test_without_enforcement_the_demo_logins_need_the_password_alone(
    demo: object, username: str, code: str | None
) -> None:
    client, response = login(username, code)

    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").status_code == 200
    assert client.get("/api/v1/me/").status_code == 200


def test_enforcement_is_on_by_default_in_production_only() -> None:
    show = "import django; from django.conf import settings; django.setup(); print(settings.TWO_FACTOR_REQUIRED)"
    development = production_env()
    del development["DJANGO_ENV"]
    development.setdefault("BANCHENG_INSECURE_DEV_KEY", "1")

    results = {
        name: run_python(show, env)
        for name, env in {
            "production": production_env(),
            "development": development,
            "production, turned off": production_env(TWO_FACTOR_REQUIRED="0"),
        }.items()
    }

    outputs = {name: result.stdout.strip().splitlines()[-1] for name, result in results.items()}
    assert outputs == {"production": "True", "development": "False", "production, turned off": "False"}, json.dumps(
        {name: result.stderr[-500:] for name, result in results.items()}
    )
    assert settings.TWO_FACTOR_REQUIRED is False  # the test run itself is development
