"""The province's identity provider (`hallplatform/accounts/oidc.py`, `web/oidc.py`): staff log in on
the city login through a real OpenID Connect provider (django-oauth-toolkit, started in its own process
from tests/oidc_provider/), bound to their staff login by the provider's `sub` only, linked once with
their password; the provider's second factor (amr/acr) counts on every host through the tickets."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from django.test import Client, override_settings

from hallplatform.accounts.models import CityLogin, OidcIdentity, SsoTicket
from hallplatform.audit.models import AuditEvent
from tenants.demo import DEMO_PASSWORD
from tenants.models import Hall
from tests.conftest import client_for, host_of, user
from tests.hallplatform.accounts.test_city_login import SUPERVISOR, reach
from tests.oidc_provider.setup import PASSWORD as PROVIDER_PASSWORD

ROOT = Path(__file__).resolve().parents[3]
CLIENT_SECRET = "bancheng-city-secret"
# Accounts at the provider: "_mfa" ones give a second factor there (tests/oidc_provider/validator.py).
PROVIDER_ACCOUNTS = ["li_ming", "li_ming_mfa", SUPERVISOR]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real OIDC provider on 127.0.0.1 in its own process; its issuer URL."""
    state = tmp_path_factory.mktemp("oidc-provider")
    port = free_port()
    issuer = f"http://127.0.0.1:{port}/o"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.oidc_provider.settings",
        "OIDC_TEST_PROVIDER_DIR": str(state),
        "OIDC_TEST_ISSUER": issuer,
        "PYTHONPATH": str(ROOT),
    }
    subprocess.run(
        [sys.executable, "-m", "tests.oidc_provider.setup", CLIENT_SECRET, *PROVIDER_ACCOUNTS],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=120,
    )
    log = (state / "server.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "django", "runserver", f"127.0.0.1:{port}", "--noreload", "--nothreading"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{issuer}/.well-known/openid-configuration", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, (state / "server.log").read_text()
            time.sleep(0.2)
        yield issuer
    finally:
        server.terminate()
        server.wait(timeout=15)
        log.close()


@pytest.fixture
def oidc(provider: str, db: None) -> Iterator[str]:
    with override_settings(
        OIDC_ENABLED=True,
        OIDC_OP_ISSUER=provider,
        OIDC_OP_AUTHORIZATION_ENDPOINT=f"{provider}/authorize/",
        OIDC_OP_TOKEN_ENDPOINT=f"{provider}/token/",
        OIDC_OP_USER_ENDPOINT=f"{provider}/userinfo/",
        OIDC_OP_JWKS_ENDPOINT=f"{provider}/.well-known/jwks.json",
        OIDC_RP_CLIENT_ID="bancheng-city",
        OIDC_RP_CLIENT_SECRET=CLIENT_SECRET,
    ):
        yield provider


def at_provider(central: Client, provider: str, username: str, next_page: str = "") -> str:
    """The person starts the provider's login on the city login and logs in at the provider (a real
    browser's steps, with requests); returns the address the provider sends them back to."""
    start = central.get("/accounts/oidc/start/", {"next": next_page} if next_page else {})
    assert start.status_code == 302
    authorize = start["Location"]
    assert authorize.startswith(f"{provider}/authorize/")
    browser = requests.Session()
    origin = provider.removesuffix("/o")
    to_login = browser.get(authorize, allow_redirects=False, timeout=10)
    assert to_login.status_code == 302, to_login.text
    login_url = origin + to_login.headers["Location"]
    browser.get(login_url, timeout=10)
    logged_in = browser.post(
        login_url,
        data={
            "username": username,
            "password": PROVIDER_PASSWORD,
            "csrfmiddlewaretoken": browser.cookies["csrftoken"],  # "next" stays in the login URL's query
        },
        allow_redirects=False,
        timeout=10,
    )
    assert logged_in.status_code == 302, logged_in.text
    back = browser.get(origin + logged_in.headers["Location"], allow_redirects=False, timeout=10)
    assert back.status_code == 302, back.text
    return str(back.headers["Location"])


def come_back(central: Client, location: str) -> Any:
    parts = urlsplit(location)
    assert (parts.hostname, parts.path) == (host_of(None), "/accounts/oidc/callback/")
    return central.get(f"{parts.path}?{parts.query}")


def provider_sub(provider: str, username: str) -> str:
    """The sub the provider gives ``username`` (found by logging in once, as any relying party would)."""
    central = Client(HTTP_HOST=host_of(None))
    come_back(central, at_provider(central, provider, username))
    return str(central.session["_bancheng_oidc_pending"]["sub"])


def link(provider: str, provider_account: str, staff: str) -> None:
    OidcIdentity.objects.create(user=user(staff), issuer=provider, subject=provider_sub(provider, provider_account))


# --- first login: linked with the password, by sub --------------------------------------------------------


def test_a_first_login_through_the_provider_is_linked_by_the_password_then_reaches_the_halls(
    oidc: str, demo: dict[str, Hall]
) -> None:
    # given a supervisor whose staff login is not linked to the provider yet
    central = Client(HTTP_HOST=host_of(None))

    # when they log in at the provider and come back
    answer = come_back(central, at_provider(central, oidc, "li_ming", next_page="/stats/"))

    # then they are not logged in: the city login asks for their staff password once
    assert (answer.status_code, answer["Location"]) == (302, "/accounts/oidc/link/")
    assert "_auth_user_id" not in central.session
    assert central.get("/accounts/oidc/link/").status_code == 200

    # a wrong password links nothing
    wrong = central.post("/accounts/oidc/link/", {"username": SUPERVISOR, "password": "wrong-password"})
    assert wrong.status_code == 200
    assert OidcIdentity.objects.count() == 0
    assert "_auth_user_id" not in central.session

    # the right one binds the provider's sub and logs in
    done = central.post("/accounts/oidc/link/", {"username": SUPERVISOR, "password": DEMO_PASSWORD})
    assert (done.status_code, done["Location"]) == (302, "/stats/")
    identity = OidcIdentity.objects.get()
    assert (identity.user.username, identity.issuer) == (SUPERVISOR, oidc)
    assert identity.subject and identity.subject != "li_ming"
    assert central.get("/").status_code == 200
    city_login = CityLogin.objects.get(ended_at__isnull=True)
    assert (city_login.method, city_login.amr, city_login.acr) == ("oidc", "pwd", "loa1")
    assert AuditEvent.objects.filter(action="oidc.link", target_id=user(SUPERVISOR).pk).count() == 1

    # and the same login reaches a hall through a ticket that says how they logged in
    hall, reached = reach(central, "shaoguan")
    assert reached.status_code == 302
    assert hall.get("/").status_code == 200
    assert SsoTicket.objects.get().method == "oidc"


def test_a_linked_account_logs_in_through_the_provider_without_the_password(oidc: str, demo: dict[str, Hall]) -> None:
    link(oidc, "li_ming", SUPERVISOR)
    central = Client(HTTP_HOST=host_of(None))

    answer = come_back(central, at_provider(central, oidc, "li_ming"))

    assert (answer.status_code, answer["Location"]) == (302, "/")
    assert central.session["_auth_user_id"] == str(user(SUPERVISOR).pk)
    assert central.get("/").status_code == 200
    assert AuditEvent.objects.filter(action="login.oidc", target_id=user(SUPERVISOR).pk).exists()


def test_the_same_username_at_the_provider_binds_nothing(oidc: str, demo: dict[str, Hall]) -> None:
    # the provider's account is called like the staff login, but nothing links them
    central = Client(HTTP_HOST=host_of(None))

    answer = come_back(central, at_provider(central, oidc, SUPERVISOR))

    assert answer["Location"] == "/accounts/oidc/link/"
    assert "_auth_user_id" not in central.session
    assert OidcIdentity.objects.count() == 0


def test_a_provider_answer_works_once_and_only_in_the_session_that_asked(oidc: str, demo: dict[str, Hall]) -> None:
    link(oidc, "li_ming", SUPERVISOR)
    central = Client(HTTP_HOST=host_of(None))
    location = at_provider(central, oidc, "li_ming")

    # another browser presenting it: refused, nobody logged in
    other = Client(HTTP_HOST=host_of(None))
    refused = come_back(other, location)
    assert refused["Location"] == "/accounts/login/?oidc=failed"
    assert "_auth_user_id" not in other.session

    # the right browser, twice: once only
    assert come_back(central, location)["Location"] == "/"
    central.post("/accounts/logout/")
    again = come_back(central, location)
    assert again["Location"] == "/accounts/login/?oidc=failed"
    assert "_auth_user_id" not in central.session
    assert AuditEvent.objects.filter(action="login.oidc_failure").count() == 2


def test_the_provider_login_is_only_on_the_city_login_and_only_when_enabled(oidc: str, demo: dict[str, Hall]) -> None:
    assert Client(HTTP_HOST=host_of("shaoguan")).get("/accounts/oidc/start/").status_code == 404
    assert Client(HTTP_HOST=host_of("shaoguan")).get("/accounts/oidc/callback/").status_code == 404
    assert Client(HTTP_HOST=host_of(None)).get("/accounts/oidc/link/").status_code == 404  # nothing pending
    with override_settings(OIDC_ENABLED=False):
        assert Client(HTTP_HOST=host_of(None)).get("/accounts/oidc/start/").status_code == 404
    page = Client(HTTP_HOST=host_of(None)).get("/accounts/login/")
    assert "/accounts/oidc/start/" in page.content.decode()


# --- the provider's second factor ------------------------------------------------------------------------------


@override_settings(TWO_FACTOR_REQUIRED=True)
def test_the_providers_second_factor_counts_on_every_host(oidc: str, demo: dict[str, Hall]) -> None:
    # given a supervisor (who owes a second factor) linked to a provider account that gave one (amr otp)
    link(oidc, "li_ming_mfa", SUPERVISOR)
    central = Client(HTTP_HOST=host_of(None))

    # when they log in through the provider
    answer = come_back(central, at_provider(central, oidc, "li_ming_mfa"))

    # then no code is asked, here or on a hall reached with a ticket
    assert answer["Location"] == "/"
    assert central.get("/").status_code == 200
    hall, reached = reach(central, "nanxiong", "/cases/")
    assert reached["Location"] == "/cases/"
    assert hall.get("/").status_code == 200
    assert SsoTicket.objects.get().external_second_factor is True


@override_settings(TWO_FACTOR_REQUIRED=True)
def test_a_provider_login_without_a_second_factor_still_owes_the_code(oidc: str, demo: dict[str, Hall]) -> None:
    link(oidc, "li_ming", SUPERVISOR)
    central = Client(HTTP_HOST=host_of(None))

    answer = come_back(central, at_provider(central, oidc, "li_ming"))

    assert answer["Location"].startswith("/accounts/two-factor/")
    page = central.get("/")
    assert page.status_code == 302
    assert page["Location"].startswith("/accounts/two-factor/")


def test_a_security_administrator_links_a_provider_account_in_the_admin(oidc: str, demo: dict[str, Hall]) -> None:
    # given the sub the provider gives an account (told by the province)
    subject = provider_sub(oidc, "li_ming")
    admin = client_for("secadmin", None)

    # when the security administrator binds it to a staff login
    response = admin.post("/admin/accounts/oidcidentity/add/", {"user": user(SUPERVISOR).pk, "subject": subject})

    # then the binding is made, audited, and the provider account logs in as that staff login
    assert response.status_code == 302
    identity = OidcIdentity.objects.get()
    assert (identity.user.username, identity.issuer, identity.linked_by) == (SUPERVISOR, oidc, user("secadmin"))
    assert AuditEvent.objects.filter(action="oidc.link", actor=user("secadmin")).count() == 1
    central = Client(HTTP_HOST=host_of(None))
    assert come_back(central, at_provider(central, oidc, "li_ming"))["Location"] == "/"
    assert central.session["_auth_user_id"] == str(user(SUPERVISOR).pk)

    # and the same sub cannot be bound twice
    again = admin.post("/admin/accounts/oidcidentity/add/", {"user": user("wengyuan_lead").pk, "subject": subject})
    assert again.status_code == 200
    assert OidcIdentity.objects.count() == 1


def test_an_id_token_of_another_issuer_logs_in_nobody(oidc: str, demo: dict[str, Hall]) -> None:
    link(oidc, "li_ming", SUPERVISOR)
    central = Client(HTTP_HOST=host_of(None))
    location = at_provider(central, oidc, "li_ming")

    with override_settings(OIDC_OP_ISSUER="https://other-provider.example/o"):
        answer = come_back(central, location)

    assert answer["Location"] == "/accounts/login/?oidc=failed"
    assert "_auth_user_id" not in central.session
