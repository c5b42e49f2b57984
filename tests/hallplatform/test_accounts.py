"""Logins and roles: `hallplatform/accounts/services.py` (staff_create, role_grant),
`manage.py create_staff`, and the web login/logout on each host (`hallplatform/accounts/web/views.py`).
"""

from __future__ import annotations

from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client

from hallplatform.accounts.access import SESSION_HOST_KEY
from hallplatform.accounts.models import ApiToken, RoleAssignment, User
from hallplatform.accounts.services import api_token_authenticate, role_grant, staff_create
from hallplatform.accounts.web.views import HostLoginForm
from tenants.demo import DEMO_PASSWORD
from tenants.models import Hall
from tenants.routing import forget_all_hosts
from tests.conftest import host_of, user

PASSWORD = "Qiu-shui-guang-2025"  # passes the password validators
GENERIC_ERROR = str(HostLoginForm.error_messages["invalid_login"])


@pytest.fixture(autouse=True)
def _fresh_routes(db: None) -> Iterator[None]:
    forget_all_hosts()
    yield
    forget_all_hosts()


def accounts() -> dict[str, Any]:
    """Everything creating a login may write."""
    return {
        "users": sorted(User.objects.values_list("id", "username", "display_name", "password", "is_superuser")),
        "roles": sorted(RoleAssignment.objects.values_list("id", "user_id", "kind", "hall_id", "department_id")),
        "tokens": ApiToken.objects.count(),
    }


def api(code: str | None, token: str) -> Client:
    return Client(HTTP_HOST=host_of(code), HTTP_AUTHORIZATION=f"Token {token}")


def create_staff(*arguments: str) -> list[str]:
    """Run the command; its output lines."""
    out = StringIO()
    call_command("create_staff", *arguments, stdout=out)
    return out.getvalue().splitlines()


# --- create_staff -----------------------------------------------------------------------------------


def test_create_staff_gives_a_login_a_role_and_a_token_for_its_hall_only(demo: dict[str, Hall]) -> None:
    # when
    lines = create_staff("zhangsan", "--role", "window_staff", "--hall", "wengyuan", "--name", "张三",
                         "--password", PASSWORD, "--token")  # fmt: skip

    # then the login exists with the role
    zhangsan = User.objects.get(username="zhangsan")
    assert zhangsan.display_name == "张三"
    assert zhangsan.check_password(PASSWORD)
    assert not zhangsan.is_staff and not zhangsan.is_superuser
    assert list(RoleAssignment.objects.filter(user=zhangsan).values_list("kind", "hall__code", "department")) == [
        ("window_staff", "wengyuan", None)
    ]
    # and the printed token is the person's, working on their hall's host ...
    token = lines[-1]
    assert api_token_authenticate(secret=token).user == zhangsan  # type: ignore[union-attr]
    response = api("wengyuan", token).get("/api/v1/me/")
    assert response.status_code == 200
    assert response.json() == {"username": "zhangsan", "display_name": "张三", "hall": "wengyuan",
                               "roles": ["window_staff"]}  # fmt: skip
    # ... and nowhere else
    connection.set_schema_to_public()
    assert api("nanxiong", token).get("/api/v1/me/").status_code == 404
    assert api(None, token).get("/api/v1/me/").status_code == 404


def test_create_staff_department_handler(demo: dict[str, Hall]) -> None:
    lines = create_staff("lisi", "--role", "department_handler", "--department", "wengyuan/rsj",
                         "--password", PASSWORD, "--token")  # fmt: skip

    role = RoleAssignment.objects.select_related("department__hall").get(user__username="lisi")
    assert (role.kind, role.hall, role.department.hall.code, role.department.code) == (  # type: ignore[union-attr]
        "department_handler",
        None,
        "wengyuan",
        "rsj",
    )
    token = lines[-1]
    assert api("wengyuan", token).get("/api/v1/me/").json()["roles"] == ["department_handler"]
    assert api("nanxiong", token).get("/api/v1/me/").status_code == 404


def test_create_staff_city_supervisor_reaches_every_hall_of_the_city(demo: dict[str, Hall]) -> None:
    token = create_staff("wangwu", "--role", "city_supervisor", "--hall", "shaoguan", "--password", PASSWORD,
                         "--token")[-1]  # fmt: skip

    for code in ("shaoguan", "wengyuan", "nanxiong", None):
        assert api(code, token).get("/api/v1/me/").json()["roles"] == ["city_supervisor"], code


def test_create_staff_operator_administers_the_platform(demo: dict[str, Hall]) -> None:
    create_staff("ops2", "--role", "platform_operator", "--password", PASSWORD)

    ops = User.objects.get(username="ops2")
    assert ops.is_staff and ops.is_superuser
    assert list(RoleAssignment.objects.filter(user=ops).values_list("kind", "hall", "department")) == [
        ("platform_operator", None, None)
    ]


def test_create_staff_adds_a_role_to_an_existing_login(demo: dict[str, Hall]) -> None:
    before = User.objects.get(username="wengyuan_window")

    create_staff("wengyuan_window", "--role", "hall_lead", "--hall", "nanxiong", "--password", "ignored-Pass-1")

    after = User.objects.get(username="wengyuan_window")
    assert (after.pk, after.password) == (before.pk, before.password)  # one login per person, password kept
    assert set(RoleAssignment.objects.filter(user=after).values_list("kind", "hall__code")) == {
        ("window_staff", "wengyuan"),
        ("hall_lead", "nanxiong"),
    }


def test_create_staff_twice_is_one_role(demo: dict[str, Hall]) -> None:
    create_staff("zhangsan", "--role", "window_staff", "--hall", "wengyuan", "--password", PASSWORD)
    create_staff("zhangsan", "--role", "window_staff", "--hall", "wengyuan", "--password", PASSWORD)

    assert RoleAssignment.objects.filter(user__username="zhangsan").count() == 1


def test_create_staff_takes_the_password_from_the_environment(
    demo: dict[str, Hall], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BANCHENG_STAFF_PASSWORD", PASSWORD)

    create_staff("zhangsan", "--role", "window_staff", "--hall", "wengyuan")

    assert User.objects.get(username="zhangsan").check_password(PASSWORD)


# --- refusals: bad role scopes, bad logins ------------------------------------------------------------

REFUSALS = [
    # (id, staff_create arguments, field of the service's error, text of the command's error)
    ("window-staff-without-hall", {"kind": "window_staff"}, "hall", "--hall:"),
    ("window-staff-unknown-hall", {"kind": "window_staff", "hall_code": "nosuchhall"}, "hall", "--hall:"),
    ("hall-lead-without-hall", {"kind": "hall_lead"}, "hall", "--hall:"),
    ("handler-without-department", {"kind": "department_handler"}, "department", "--department:"),
    ("handler-unknown-department", {"kind": "department_handler", "department_code": "wengyuan/nosuch"},
     "department", "--department:"),
    ("handler-department-of-unknown-hall", {"kind": "department_handler", "department_code": "nosuch/rsj"},
     "department", "--department:"),
    ("handler-department-without-hall", {"kind": "department_handler", "department_code": "rsj"},
     "department", "--department:"),
    ("handler-hall-instead-of-department", {"kind": "department_handler", "department_code": "wengyuan"},
     "department", "--department:"),
    ("lead-unknown-department", {"kind": "department_lead", "department_code": "nanxiong/xyz"},
     "department", "--department:"),
    ("handler-given-a-hall", {"kind": "department_handler", "department_code": "wengyuan/rsj",
                              "hall_code": "wengyuan"}, "hall", "--hall:"),
    ("supervisor-without-hall", {"kind": "city_supervisor"}, "hall", "--hall:"),
    ("supervisor-given-a-county", {"kind": "city_supervisor", "hall_code": "wengyuan"}, "hall", "--hall:"),
    ("operator-given-a-hall", {"kind": "platform_operator", "hall_code": "wengyuan"}, "hall", "--hall:"),
    ("operator-given-a-department", {"kind": "platform_operator", "department_code": "wengyuan/rsj"},
     "department", "--department:"),
    ("window-staff-given-a-department", {"kind": "window_staff", "hall_code": "wengyuan",
                                         "department_code": "wengyuan/rsj"}, "department", "--department:"),
]  # fmt: skip


def command_arguments(username: str, arguments: dict[str, str], password: str = PASSWORD) -> list[str]:
    found = [username, "--role", arguments["kind"], "--password", password]
    if "hall_code" in arguments:
        found += ["--hall", arguments["hall_code"]]
    if "department_code" in arguments:
        found += ["--department", arguments["department_code"]]
    return found


@pytest.mark.parametrize(
    ("arguments", "field", "names"), [pytest.param(a, f, n, id=i) for i, a, f, n in REFUSALS]
)  # fmt: skip
def test_staff_create_refuses_a_bad_scope_and_creates_nothing(
    demo: dict[str, Hall], arguments: dict[str, str], field: str, names: str
) -> None:
    before = accounts()

    with pytest.raises(ValidationError) as refused:
        staff_create(username="zhaoliu", password=PASSWORD, **arguments)

    assert set(refused.value.message_dict) == {field}
    assert accounts() == before
    assert not User.objects.filter(username="zhaoliu").exists()


@pytest.mark.parametrize(
    ("arguments", "field", "names"), [pytest.param(a, f, n, id=i) for i, a, f, n in REFUSALS]
)  # fmt: skip
def test_create_staff_command_refuses_a_bad_scope_and_creates_nothing(
    demo: dict[str, Hall], arguments: dict[str, str], field: str, names: str
) -> None:
    before = accounts()

    with pytest.raises(CommandError) as refused:
        create_staff(*command_arguments("zhaoliu", arguments), "--token")

    assert names in str(refused.value)
    assert accounts() == before


@pytest.mark.parametrize(("arguments", "field", "names"), [pytest.param(a, f, n, id=i) for i, a, f, n in REFUSALS[:6]])
def test_a_bad_scope_leaves_an_existing_login_as_it_was(
    demo: dict[str, Hall], arguments: dict[str, str], field: str, names: str
) -> None:
    before = accounts()

    with pytest.raises(ValidationError):
        staff_create(username="wengyuan_window", password=PASSWORD, display_name="改名", **arguments)

    assert accounts() == before
    assert user("wengyuan_window").display_name == "翁源窗口 李敏"


@pytest.mark.parametrize(
    ("username", "password", "field", "names"),
    [
        pytest.param("zhaoliu", "123", "password", "--password:", id="weak-password"),
        pytest.param("zhaoliu", "zhaoliu1", "password", "--password:", id="password-like-username"),
        pytest.param("zhao liu!", PASSWORD, "username", "username:", id="bad-username"),
    ],
)
def test_bad_login_details_are_refused_naming_the_field(
    demo: dict[str, Hall], username: str, password: str, field: str, names: str
) -> None:
    before = accounts()

    with pytest.raises(ValidationError) as refused:
        staff_create(username=username, password=password, kind="window_staff", hall_code="wengyuan")
    with pytest.raises(CommandError) as command_refused:
        create_staff(username, "--role", "window_staff", "--hall", "wengyuan", "--password", password)

    assert set(refused.value.message_dict) == {field}
    assert names in str(command_refused.value)
    assert accounts() == before


def test_role_grant_unknown_role(demo: dict[str, Hall]) -> None:
    before = accounts()

    with pytest.raises(ValidationError) as refused:
        role_grant(user=user("wengyuan_window"), kind="superuser")

    assert set(refused.value.message_dict) == {"role"}
    assert accounts() == before


# --- web login and logout -------------------------------------------------------------------------


def log_in(code: str | None, username: str, password: str = DEMO_PASSWORD, **extra: str) -> tuple[Client, Any]:
    client = Client(HTTP_HOST=host_of(code))
    response = client.post("/accounts/login/", {"username": username, "password": password, **extra})
    return client, response


def assert_refused(client: Client, response: Any) -> None:
    """The login form answered with the one generic error, and nobody is logged in."""
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [GENERIC_ERROR]
    assert GENERIC_ERROR in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert client.get("/").status_code == 302


def test_login_on_a_hall_where_the_person_holds_a_role(demo: dict[str, Hall]) -> None:
    client, response = log_in("wengyuan", "wengyuan_window")

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.session["_auth_user_id"] == str(user("wengyuan_window").pk)
    assert client.session[SESSION_HOST_KEY] == "wengyuan.localhost"
    home = client.get("/")
    assert home.status_code == 200
    assert "翁源县政务服务中心".encode() in home.content


@pytest.mark.parametrize(
    ("code", "username"),
    [
        ("shaoguan", "shaoguan_supervisor"),
        ("nanxiong", "shaoguan_supervisor"),
        (None, "shaoguan_supervisor"),
        ("wengyuan", "wengyuan_rsj"),
        (None, "wengyuan_rsj"),
        ("shaoguan", "shaoguan_rsj"),
        # a city-level department works its slips on the host of the county that sent them
        ("wengyuan", "shaoguan_rsj"),
        (None, "operator"),
    ],
)
def test_login_works_wherever_the_person_holds_a_role(demo: dict[str, Hall], code: str | None, username: str) -> None:
    client, response = log_in(code, username)

    assert response.status_code == 302
    assert client.get("/").status_code == 200


@pytest.mark.parametrize(
    ("code", "username"),
    [
        ("nanxiong", "wengyuan_window"),
        ("shaoguan", "wengyuan_lead"),
        ("nanxiong", "wengyuan_rsj"),
        ("wengyuan", "operator"),
    ],
)
def test_login_where_the_person_holds_no_role_fails_with_the_generic_error(
    demo: dict[str, Hall], code: str | None, username: str
) -> None:
    last_login = user(username).last_login

    client, response = log_in(code, username)

    assert_refused(client, response)
    assert user(username).last_login == last_login


def test_the_city_login_on_the_base_domain_takes_anyone_with_an_account_but_its_pages_stay_closed(
    demo: dict[str, Hall],
) -> None:
    # The base domain is the city login (hallplatform/accounts/sso.py): a window clerk logs in there
    # to reach their hall, and still gets 404 on the portal's pages.
    client, response = log_in(None, "wengyuan_window")

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user("wengyuan_window").pk)
    assert client.get("/").status_code == 404
    assert client.get("/stats/").status_code == 404
    assert_refused(*log_in(None, "wengyuan_window", password="wrong-password"))


def test_wrong_password_and_unknown_user_get_the_same_error(demo: dict[str, Hall]) -> None:
    assert_refused(*log_in("wengyuan", "wengyuan_window", password="wrong-password"))
    assert_refused(*log_in("wengyuan", "nobody-at-all"))


def test_a_deactivated_login_cannot_log_in(demo: dict[str, Hall]) -> None:
    User.objects.filter(username="wengyuan_window").update(is_active=False)

    assert_refused(*log_in("wengyuan", "wengyuan_window"))


def test_login_does_not_follow_next_to_another_host(demo: dict[str, Hall]) -> None:
    _client, response = log_in("wengyuan", "wengyuan_window", next="http://nanxiong.localhost/")

    assert response.status_code == 302
    assert response["Location"] == "/"


def test_logout(demo: dict[str, Hall]) -> None:
    # given a person logged in on their hall
    client, _response = log_in("wengyuan", "wengyuan_window")
    assert client.get("/").status_code == 200

    # when they log out
    response = client.post("/accounts/logout/")

    # then the session is gone and the hall's pages ask for a login again
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?sso=none"  # the hall's own form (nothing to ask the city login)
    assert "_auth_user_id" not in client.session
    home = client.get("/")
    assert home.status_code == 302
    assert home["Location"].startswith("/accounts/login/")
