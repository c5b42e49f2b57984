"""One login for the city (`hallplatform/accounts/sso.py`, its views in `web/sso.py`): a password given
once on the base domain reaches every hall's host where the person holds a role, through single-use
tickets for one host each; logging out anywhere ends every session of that login; two-factor login
travels with the ticket; a host where the person holds no role still answers 404."""

from __future__ import annotations

import time
from binascii import unhexlify
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.sessions.models import Session
from django.test import Client, override_settings
from django.utils import timezone
from django_otp.oath import totp

from hallplatform.accounts.access import SESSION_HOST_KEY
from hallplatform.accounts.models import CityLogin, SsoTicket
from hallplatform.accounts.tasks import city_logins_purge_task
from hallplatform.accounts.two_factor import totp_key_new, two_factor_enrol
from hallplatform.audit.models import AuditEvent
from hallplatform.sessions import SESSION_SEEN_AT_KEY
from tenants.demo import DEMO_PASSWORD
from tenants.models import Hall
from tenants.routing import forget_all_hosts
from tests.conftest import host_of, user

SUPERVISOR = "shaoguan_supervisor"  # roles on the base domain and on every Shaoguan hall


@pytest.fixture(autouse=True)
def _fresh_routes(db: None) -> Iterator[None]:
    forget_all_hosts()
    yield
    forget_all_hosts()


def central_login(username: str, password: str = DEMO_PASSWORD) -> tuple[Client, Any]:
    """The city login: the password on the base domain."""
    client = Client(HTTP_HOST=host_of(None))
    return client, client.post("/accounts/login/", {"username": username, "password": password})


def local(url: str, host: str) -> str:
    """``url``'s path and query, after checking that it points at ``host``."""
    parts = urlsplit(url)
    assert parts.hostname == host, url
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def ask_ticket(central: Client, code: str, path: str = "/") -> Any:
    """The city login's answer when the hall ``code`` asks for a ticket for ``path``."""
    service = f"http://{host_of(code)}{path}"
    return central.get("/accounts/sso/ticket/", {"service": service, "gateway": "1"})


def ticket_of(response: Any, code: str) -> str:
    assert response.status_code == 302
    query = parse_qs(urlsplit(response["Location"]).query)
    assert local(response["Location"], host_of(code)).startswith("/accounts/sso/callback/")
    return query["ticket"][0]


def reach(central: Client, code: str, path: str = "/") -> tuple[Client, Any]:
    """A browser with the central session visits ``path`` on the hall ``code``: it follows the
    redirects between the hall and the city login, giving no password. Returns the hall's client and
    the hall's answer to the ticket."""
    hall = Client(HTTP_HOST=host_of(code))
    to_login = hall.get(path)
    assert to_login.status_code == 302
    to_city = hall.get(to_login["Location"])
    assert to_city.status_code == 302
    to_hall = central.get(local(to_city["Location"], host_of(None)))
    assert to_hall.status_code == 302
    return hall, hall.get(local(to_hall["Location"], host_of(code)))


# --- one login, every hall ---------------------------------------------------------------------------


def test_one_login_on_the_base_domain_reaches_two_halls_without_a_password(demo: dict[str, Hall]) -> None:
    # given a supervisor logged in once, on the base domain
    central, response = central_login(SUPERVISOR)
    assert response.status_code == 302
    assert central.get("/").status_code == 200

    # when they visit two halls' pages
    shaoguan, answer = reach(central, "shaoguan", "/cases/")
    nanxiong, answer2 = reach(central, "nanxiong")

    # then each hall opened its own session, bound to its host, and sent them to the page asked for
    assert (answer.status_code, answer["Location"]) == (302, "/cases/")
    assert (answer2.status_code, answer2["Location"]) == (302, "/")
    assert shaoguan.get("/").status_code == 200
    assert nanxiong.get("/").status_code == 200
    assert shaoguan.session[SESSION_HOST_KEY] == "shaoguan.localhost"
    assert nanxiong.session[SESSION_HOST_KEY] == "nanxiong.localhost"
    assert shaoguan.session.session_key != nanxiong.session.session_key != central.session.session_key
    # one login, three sessions, audited as such
    logins = CityLogin.objects.filter(user__username=SUPERVISOR)
    assert logins.count() == 1
    assert logins.get().sessions.count() == 3
    events = AuditEvent.objects.filter(action="login.sso", target_id=user(SUPERVISOR).pk)
    assert sorted(event.hall.code for event in events) == ["nanxiong", "shaoguan"]
    assert all(event.changes["second_factor"] is False for event in events)


def test_the_hall_login_page_without_a_central_session_shows_its_own_form(demo: dict[str, Hall]) -> None:
    # given nobody logged in on the base domain
    hall = Client(HTTP_HOST=host_of("wengyuan"))
    central = Client(HTTP_HOST=host_of(None))

    # when the hall's login page asks the city login
    to_city = hall.get("/accounts/login/?next=/cases/")
    back = central.get(local(to_city["Location"], host_of(None)))

    # then no ticket is made and the browser is back at the hall's own form, which logs in as before
    assert SsoTicket.objects.count() == 0
    page = hall.get(local(back["Location"], host_of("wengyuan")))
    assert page.status_code == 200
    assert 'name="password"' in page.content.decode()
    assert "/accounts/sso/ticket/" in page.content.decode()  # the link to the city login
    response = hall.post(
        "/accounts/login/", {"username": "wengyuan_window", "password": DEMO_PASSWORD, "next": "/cases/"}
    )
    assert (response.status_code, response["Location"]) == (302, "/cases/")
    assert hall.get("/").status_code == 200


def test_without_a_central_session_the_city_login_link_asks_for_the_password_then_hands_the_ticket(
    demo: dict[str, Hall],
) -> None:
    central = Client(HTTP_HOST=host_of(None))
    ticket_path = "/accounts/sso/ticket/?service=http%3A%2F%2Fshaoguan.localhost%2F"

    to_login = central.get(ticket_path)
    assert to_login.status_code == 302
    assert to_login["Location"].startswith("/accounts/login/?next=")
    after_login = central.post(to_login["Location"], {"username": SUPERVISOR, "password": DEMO_PASSWORD})
    assert after_login["Location"] == ticket_path
    ticket_of(central.get(after_login["Location"]), "shaoguan")


def test_a_login_on_a_hall_host_is_a_city_login_that_logout_ends(demo: dict[str, Hall]) -> None:
    # given a login with the form of a hall's host
    hall = Client(HTTP_HOST=host_of("shaoguan"))
    hall.post("/accounts/login/", {"username": SUPERVISOR, "password": DEMO_PASSWORD})
    assert CityLogin.objects.filter(user__username=SUPERVISOR, ended_at__isnull=True).count() == 1
    key = hall.session.session_key

    # when they log out there
    hall.post("/accounts/logout/")

    # then the login ended with its session
    assert CityLogin.objects.filter(user__username=SUPERVISOR, ended_at__isnull=True).count() == 0
    assert not Session.objects.filter(session_key=key).exists()


# --- tickets: single use, short-lived, one host --------------------------------------------------------


def test_a_ticket_works_once(demo: dict[str, Hall]) -> None:
    central, _response = central_login(SUPERVISOR)
    secret = ticket_of(ask_ticket(central, "shaoguan"), "shaoguan")
    first = Client(HTTP_HOST=host_of("shaoguan"))
    assert first.get("/accounts/sso/callback/", {"ticket": secret}).status_code == 302
    assert first.get("/").status_code == 200

    # when someone presents it again
    second = Client(HTTP_HOST=host_of("shaoguan"))
    response = second.get("/accounts/sso/callback/", {"ticket": secret})

    # then it is refused and opens nothing
    assert response.status_code == 404
    assert "_auth_user_id" not in second.session
    assert second.get("/").status_code == 302
    assert AuditEvent.objects.filter(action="login.sso").count() == 1


def test_an_expired_ticket_opens_nothing(demo: dict[str, Hall]) -> None:
    central, _response = central_login(SUPERVISOR)
    secret = ticket_of(ask_ticket(central, "shaoguan"), "shaoguan")
    SsoTicket.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    hall = Client(HTTP_HOST=host_of("shaoguan"))
    response = hall.get("/accounts/sso/callback/", {"ticket": secret})

    assert response.status_code == 404
    assert "_auth_user_id" not in hall.session
    assert not AuditEvent.objects.filter(action="login.sso").exists()


@override_settings(SSO_TICKET_SECONDS=60)
def test_a_ticket_lives_sso_ticket_seconds(demo: dict[str, Hall]) -> None:
    central, _response = central_login(SUPERVISOR)
    before = timezone.now()
    ticket_of(ask_ticket(central, "shaoguan"), "shaoguan")
    ticket = SsoTicket.objects.get()
    assert timedelta(seconds=59) < ticket.expires_at - before <= timedelta(seconds=61)
    assert len(ticket.digest) == 64  # only the digest is kept


def test_a_ticket_works_only_on_the_host_it_was_issued_for(demo: dict[str, Hall]) -> None:
    central, _response = central_login(SUPERVISOR)
    secret = ticket_of(ask_ticket(central, "shaoguan"), "shaoguan")

    # presented to another hall where the same person holds a role, or to the base domain
    elsewhere = Client(HTTP_HOST=host_of("nanxiong"))
    assert elsewhere.get("/accounts/sso/callback/", {"ticket": secret}).status_code == 404
    assert Client(HTTP_HOST=host_of(None)).get("/accounts/sso/callback/", {"ticket": secret}).status_code == 404

    # then nothing opened there, and the ticket is used up
    assert "_auth_user_id" not in elsewhere.session
    hall = Client(HTTP_HOST=host_of("shaoguan"))
    assert hall.get("/accounts/sso/callback/", {"ticket": secret}).status_code == 404
    assert "_auth_user_id" not in hall.session


def test_tickets_are_handed_only_on_the_base_domain_and_only_for_halls(demo: dict[str, Hall]) -> None:
    central, _response = central_login(SUPERVISOR)
    on_hall = Client(HTTP_HOST=host_of("shaoguan"))
    on_hall.post("/accounts/login/", {"username": SUPERVISOR, "password": DEMO_PASSWORD})

    assert ask_ticket(on_hall, "nanxiong").status_code == 404
    for service in ["http://localhost/", "http://unknown.localhost/", "https://shaoguan.localhost/", "/", ""]:
        assert central.get("/accounts/sso/ticket/", {"service": service}).status_code == 404, service
    assert (
        central.get("/accounts/sso/ticket/", {"service": "http://shaoguan.localhost//evil.example/"}).status_code == 404
    )
    assert SsoTicket.objects.count() == 0


# --- isolation -------------------------------------------------------------------------------------------


def test_no_ticket_for_a_host_where_the_person_holds_no_role(demo: dict[str, Hall]) -> None:
    # given a window clerk of Wengyuan, logged in with the city login
    central, response = central_login("wengyuan_window")
    assert response.status_code == 302

    # when they ask for Nanxiong
    refused = ask_ticket(central, "nanxiong")

    # then 404 and no ticket; the base domain's pages stay closed to them; their own hall opens
    assert refused.status_code == 404
    assert SsoTicket.objects.count() == 0
    assert central.get("/").status_code == 404
    assert central.get("/stats/").status_code == 404
    wengyuan, answer = reach(central, "wengyuan")
    assert answer.status_code == 302
    assert wengyuan.get("/").status_code == 200


def test_a_role_lost_after_the_ticket_was_handed_opens_nothing(demo: dict[str, Hall]) -> None:
    central, _response = central_login("wengyuan_window")
    secret = ticket_of(ask_ticket(central, "wengyuan"), "wengyuan")
    user("wengyuan_window").roles.all().delete()

    hall = Client(HTTP_HOST=host_of("wengyuan"))
    assert hall.get("/accounts/sso/callback/", {"ticket": secret}).status_code == 404
    assert "_auth_user_id" not in hall.session


# --- logout ------------------------------------------------------------------------------------------------


def test_logout_on_one_host_ends_the_sessions_on_all(demo: dict[str, Hall]) -> None:
    # given one login reaching two halls
    central, _response = central_login(SUPERVISOR)
    shaoguan, _answer = reach(central, "shaoguan")
    nanxiong, _answer = reach(central, "nanxiong")
    keys = [central.session.session_key, shaoguan.session.session_key, nanxiong.session.session_key]
    assert Session.objects.filter(session_key__in=keys).count() == 3

    # when they log out on one hall
    assert shaoguan.post("/accounts/logout/").status_code == 302

    # then every session of that login is gone: each host asks for a login again
    assert Session.objects.filter(session_key__in=keys).count() == 0
    assert central.get("/").status_code == 302
    assert nanxiong.get("/").status_code == 302
    assert shaoguan.get("/").status_code == 302
    assert CityLogin.objects.get().ended_at is not None


def test_logout_ends_only_its_own_login(demo: dict[str, Hall]) -> None:
    # the same person logged in twice (two browsers): logging out of one leaves the other
    first, _response = central_login(SUPERVISOR)
    second, _response = central_login(SUPERVISOR)
    first_hall, _answer = reach(first, "shaoguan")

    first_hall.post("/accounts/logout/")

    assert first.get("/").status_code == 302
    assert second.get("/").status_code == 200


def test_a_ticket_of_an_ended_login_opens_nothing(demo: dict[str, Hall]) -> None:
    central, _response = central_login(SUPERVISOR)
    secret = ticket_of(ask_ticket(central, "shaoguan"), "shaoguan")
    central.post("/accounts/logout/")

    hall = Client(HTTP_HOST=host_of("shaoguan"))
    assert hall.get("/accounts/sso/callback/", {"ticket": secret}).status_code == 404
    assert "_auth_user_id" not in hall.session


# --- two-factor login travels with the ticket ----------------------------------------------------------------


def code_for(key: str, steps: int = 0) -> str:
    return f"{totp(unhexlify(key), drift=steps):06d}"


@override_settings(TWO_FACTOR_REQUIRED=True)
def test_a_ticket_from_a_verified_central_session_makes_a_verified_hall_session(demo: dict[str, Hall]) -> None:
    # given a supervisor who gave password and code on the base domain
    key = totp_key_new()
    two_factor_enrol(user=user(SUPERVISOR), key=key, code=code_for(key))
    central, response = central_login(SUPERVISOR)
    assert response["Location"].startswith("/accounts/two-factor/verify/")
    verified = central.post("/accounts/two-factor/verify/", {"code": code_for(key, 1)})
    assert verified.status_code == 302
    assert central.get("/").status_code == 200

    # when they reach a hall
    hall, answer = reach(central, "shaoguan", "/cases/")

    # then the hall does not ask for the code again
    assert answer["Location"] == "/cases/"
    assert hall.get("/").status_code == 200
    event = AuditEvent.objects.get(action="login.sso")
    assert event.changes["second_factor"] is True
    # and logging out there ends the verified central session too
    hall.post("/accounts/logout/")
    assert central.get("/").status_code == 302


@override_settings(TWO_FACTOR_REQUIRED=True)
def test_a_ticket_from_an_unverified_central_session_leaves_the_code_to_the_hall(demo: dict[str, Hall]) -> None:
    # given a supervisor who gave only the password on the base domain
    key = totp_key_new()
    two_factor_enrol(user=user(SUPERVISOR), key=key, code=code_for(key))
    central, _response = central_login(SUPERVISOR)

    # when a hall asks for a ticket
    hall, answer = reach(central, "shaoguan", "/cases/")

    # then the hall asks for the code before anything else
    assert answer.status_code == 302
    assert answer["Location"].startswith("/accounts/two-factor/verify/")
    page = hall.get("/")
    assert page.status_code == 302
    assert page["Location"].startswith("/accounts/two-factor/verify/")
    assert AuditEvent.objects.get(action="login.sso").changes["second_factor"] is False
    # and the code given there opens the hall
    assert hall.post("/accounts/two-factor/verify/", {"code": code_for(key, 1)}).status_code == 302
    assert hall.get("/").status_code == 200


# --- where the city login sends people, and the timeouts ------------------------------------------------


def test_the_city_login_sends_someone_without_a_role_there_to_their_halls(demo: dict[str, Hall]) -> None:
    # given a window clerk (no role on the base domain) logging in on the city login
    central, response = central_login("wengyuan_window")

    # then they land on the list of their halls, which names only their own
    assert response["Location"] == "/accounts/sso/halls/"
    page = central.get("/accounts/sso/halls/")
    assert page.status_code == 200
    content = page.content.decode()
    assert 'href="http://wengyuan.localhost/"' in content
    assert "nanxiong.localhost" not in content and "shaoguan.localhost" not in content


def test_the_list_of_halls_of_a_supervisor_is_their_citys(demo: dict[str, Hall]) -> None:
    central, response = central_login(SUPERVISOR)
    assert response["Location"] == "/"  # a role on the base domain: its home page

    content = central.get("/accounts/sso/halls/").content.decode()

    city = [hall.code for hall in demo.values() if hall.code == "shaoguan" or hall.parent_id == demo["shaoguan"].pk]
    others = [hall.code for hall in demo.values() if hall.code not in city and hall.schema_name != "public"]
    assert city and others
    assert all(f"http://{code}.localhost/" in content for code in city)
    assert not any(f"http://{code}.localhost/" in content for code in others)


def test_the_list_of_halls_is_only_on_the_base_domain_and_only_for_a_login(demo: dict[str, Hall]) -> None:
    anonymous = Client(HTTP_HOST=host_of(None)).get("/accounts/sso/halls/")
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/accounts/login/")
    hall = Client(HTTP_HOST=host_of("wengyuan"))
    hall.post("/accounts/login/", {"username": "wengyuan_window", "password": DEMO_PASSWORD})
    assert hall.get("/accounts/sso/halls/").status_code == 404


@override_settings(SESSION_IDLE_TIMEOUT=60)
def test_the_idle_timeout_applies_to_each_session_alone(demo: dict[str, Hall]) -> None:
    # given one login reaching a hall
    central, _response = central_login(SUPERVISOR)
    hall, _answer = reach(central, "shaoguan")

    # when the hall's session was idle too long (the central one was not)
    session = hall.session
    session[SESSION_SEEN_AT_KEY] = int(time.time()) - 120
    session.save()

    # then only the hall's session ended
    assert hall.get("/").status_code == 302
    assert central.get("/").status_code == 200


# --- housekeeping ------------------------------------------------------------------------------------


def test_the_hourly_purge_forgets_expired_tickets_ended_and_old_logins_and_expired_sessions(
    demo: dict[str, Hall],
) -> None:
    # given: a login going on with an unused ticket, a login that ended, one older than any session
    # may live, an expired ticket of the live login, and an expired session in the store
    central, response = central_login("shaoguan_supervisor")
    assert response.status_code == 302
    live = CityLogin.objects.filter(user=user("shaoguan_supervisor"), ended_at__isnull=True).latest("pk")
    fresh = ticket_of(ask_ticket(central, "wengyuan"), "wengyuan")
    expired = SsoTicket.objects.create(
        digest="e" * 64, login=live, host="wengyuan.localhost", expires_at=timezone.now() - timedelta(minutes=5)
    )
    ended = CityLogin.objects.create(user=user("wengyuan_lead"), ended_at=timezone.now())
    old = CityLogin.objects.create(user=user("wengyuan_window"))
    CityLogin.objects.filter(pk=old.pk).update(started_at=timezone.now() - timedelta(days=2))
    Session.objects.create(session_key="x" * 32, session_data="", expire_date=timezone.now() - timedelta(hours=1))

    # when
    counts = city_logins_purge_task.apply().get()

    # then: what can no longer be used is gone; the live login, its session and its fresh ticket stay
    assert counts["tickets"] >= 1 and counts["logins"] >= 2 and counts["sessions"] >= 1
    assert not SsoTicket.objects.filter(pk=expired.pk).exists()
    assert not CityLogin.objects.filter(pk__in=[ended.pk, old.pk]).exists()
    assert not Session.objects.filter(session_key="x" * 32).exists()
    assert CityLogin.objects.filter(pk=live.pk, ended_at__isnull=True).exists()
    assert central.get("/").status_code == 200  # the supervisor's session still works
    hall, answer = reach(central, "wengyuan")
    assert answer.status_code == 302 and hall.get("/").status_code == 200
    assert fresh  # a ticket was handed out before the purge, and the login could still hand out more
