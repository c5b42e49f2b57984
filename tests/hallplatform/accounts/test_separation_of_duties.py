"""Separation of duties (三员分立, docs/security.md): the system, security and audit administrators
each do their part only; the combined platform operator keeps doing all three. Every refusal is
404 or 403 with nothing changed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client

from hallplatform.accounts.models import RoleAssignment, RoleKind
from hallplatform.audit.models import AuditEvent
from tenants.models import Hall
from tenants.routing import forget_all_hosts
from tests.conftest import client_for, host_of, user
from tests.hallplatform.test_isolation import PUBLIC_ROUTES

WRONG = "not-the-password"


@pytest.fixture(autouse=True)
def _fresh_routes(db: None) -> Iterator[None]:
    forget_all_hosts()
    yield
    forget_all_hosts()


def lock(username: str, code: str = "wengyuan", address: str = "10.4.4.4") -> AccessAttempt:
    client = Client(HTTP_HOST=host_of(code), REMOTE_ADDR=address)
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": username, "password": WRONG})
    return AccessAttempt.objects.get(username=username, ip_address=address)


def change_form_data(client: Client, url: str) -> dict[str, Any]:
    """What the admin's change form would post back unchanged (fields and inline formsets)."""
    response = client.get(url)
    assert response.status_code == 200, url
    data: dict[str, Any] = {}

    def put(form: Any) -> None:
        for name, field in form.fields.items():
            value = form[name].value()
            key = form.add_prefix(name)
            if hasattr(field.widget, "widgets"):  # a split date and time
                for index, part in enumerate(field.widget.decompress(value)):
                    data[f"{key}_{index}"] = "" if part is None else part
            elif isinstance(value, bool):
                if value:
                    data[key] = "on"
            elif isinstance(value, list | tuple):
                data[key] = list(value)
            elif value is not None:
                data[key] = value

    put(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        put(formset.management_form)
        for form in formset.forms:
            put(form)
    return data


def add_role(data: dict[str, Any], **fields: Any) -> dict[str, Any]:
    index = int(data["roles-TOTAL_FORMS"])
    data["roles-TOTAL_FORMS"] = str(index + 1)
    data.update({f"roles-{index}-{name}": value for name, value in fields.items()})
    return data


def roles_of(username: str) -> set[tuple[str, int | None]]:
    return set(RoleAssignment.objects.filter(user__username=username).values_list("kind", "hall_id"))


# --- the audit administrator ---------------------------------------------------------------------


def test_the_audit_administrator_reads_the_logs(demo: dict[str, Hall]) -> None:
    client = client_for("auditor", None)

    assert client.get("/security-log/").status_code == 200
    assert client.get("/api/v1/security-log/").status_code == 200
    assert client.get("/admin/audit/auditevent/").status_code == 200


def test_the_audit_administrator_changes_no_role_and_unlocks_nobody(demo: dict[str, Hall]) -> None:
    # given a locked clerk, and the audit administrator on the base domain
    attempt = lock("wengyuan_window")
    client = client_for("auditor", None)
    clerk = user("wengyuan_window")
    before = (roles_of("wengyuan_window"), AuditEvent.objects.filter(action__startswith="role.").count())

    # when they try to open people, grant a role, unlock
    listing = client.get("/admin/accounts/user/")
    grant = client.post(f"/admin/accounts/user/{clerk.pk}/change/", {"username": "wengyuan_window"})
    unlock = client.post("/accounts/lockouts/", {"attempt": attempt.pk})

    # then each is refused and nothing changed
    assert listing.status_code == grant.status_code == 403
    assert unlock.status_code == 404
    assert (roles_of("wengyuan_window"), AuditEvent.objects.filter(action__startswith="role.").count()) == before
    assert AccessAttempt.objects.filter(pk=attempt.pk).exists()


def test_the_audit_administrator_changes_nothing_in_the_admin(demo: dict[str, Hall]) -> None:
    client = client_for("auditor", None)
    event = AuditEvent.objects.create(action="login.success")

    assert client.get("/admin/tenants/hall/").status_code == 403
    assert client.post(f"/admin/audit/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()


# --- the security administrator ------------------------------------------------------------------


def test_the_security_administrator_grants_a_role_audited_with_origin(demo: dict[str, Hall]) -> None:
    client = client_for("secadmin", None)
    client.defaults.update({"REMOTE_ADDR": "10.5.5.5", "HTTP_USER_AGENT": "pytest-secadmin"})
    clerk = user("wengyuan_window")
    url = f"/admin/accounts/user/{clerk.pk}/change/"

    data = add_role(change_form_data(client, url), kind="window_staff", hall=demo["nanxiong"].pk)
    response = client.post(url, data)

    assert response.status_code == 302, response.content.decode()[:2000]
    assert (RoleKind.WINDOW_STAFF, demo["nanxiong"].pk) in roles_of("wengyuan_window")
    event = AuditEvent.objects.get(action="role.grant", target_id=str(clerk.pk), actor=user("secadmin"))
    assert event.actor == user("secadmin") and event.hall_id == demo["nanxiong"].pk
    assert event.changes["role"] == "window_staff" and event.changes["hall"] == "nanxiong"
    assert (event.changes["ip"], event.changes["user_agent"]) == ("10.5.5.5", "pytest-secadmin")


def test_the_security_administrator_revokes_a_role(demo: dict[str, Hall]) -> None:
    client = client_for("secadmin", None)
    clerk = user("wengyuan_window")
    url = f"/admin/accounts/user/{clerk.pk}/change/"
    data = change_form_data(client, url)

    data["roles-0-DELETE"] = "on"
    response = client.post(url, data)

    assert response.status_code == 302
    assert roles_of("wengyuan_window") == set()
    assert AuditEvent.objects.get(action="role.revoke").changes["role"] == "window_staff"


def test_the_security_administrator_unlocks(demo: dict[str, Hall]) -> None:
    attempt = lock("wengyuan_window")
    client = client_for("secadmin", None)

    assert "wengyuan_window" in client.get("/accounts/lockouts/").content.decode()
    assert client.post("/accounts/lockouts/", {"attempt": attempt.pk}).status_code == 302
    assert not AccessAttempt.objects.filter(pk=attempt.pk).exists()
    assert AuditEvent.objects.get(action="login.unlock").actor == user("secadmin")


@pytest.mark.parametrize(
    ("code", "path"),
    [
        ("wengyuan", "/cases/"),
        ("wengyuan", "/cases/1/"),
        ("wengyuan", "/exports/cases.csv?first=2026-03-01&last=2026-03-31"),
        ("wengyuan", "/api/v1/cases/"),
        (None, "/exports/cases.csv?first=2026-03-01&last=2026-03-31"),
        (None, "/security-log/"),
        (None, "/api/v1/security-log/"),
    ],
)
@pytest.mark.parametrize("username", ["secadmin", "sysadmin", "auditor"])
def test_no_administrator_opens_a_case_or_exports(
    demo: dict[str, Hall], username: str, code: str | None, path: str
) -> None:
    if username == "auditor" and "security-log" in path:
        return  # the audit administrator's own page (tested above)
    exports = AuditEvent.objects.filter(action__startswith="case.").count()

    response = client_for(username, code).get(path)

    assert response.status_code == 404
    assert AuditEvent.objects.filter(action__startswith="case.").count() == exports


def test_the_security_administrator_cannot_read_the_audit_trail_in_the_admin(demo: dict[str, Hall]) -> None:
    assert client_for("secadmin", None).get("/admin/audit/auditevent/").status_code == 403


def test_the_security_administrator_never_grants_the_operator_nor_changes_their_own_roles(
    demo: dict[str, Hall],
) -> None:
    client = client_for("secadmin", None)
    clerk, me = user("wengyuan_window"), user("secadmin")
    clerk_url, my_url = f"/admin/accounts/user/{clerk.pk}/change/", f"/admin/accounts/user/{me.pk}/change/"
    before = (roles_of("wengyuan_window"), roles_of("secadmin"), AuditEvent.objects.count())

    superuser = client.post(clerk_url, add_role(change_form_data(client, clerk_url), kind="platform_operator"))
    # their own login is read-only to them: a post is refused
    own = client.post(my_url, {"username": "secadmin", "roles-TOTAL_FORMS": "1", "roles-INITIAL_FORMS": "0",
                               "roles-0-kind": "window_staff", "roles-0-hall": demo["wengyuan"].pk})  # fmt: skip
    operator = client.post(f"/admin/accounts/user/{user('operator').pk}/change/", {"username": "operator"})

    assert superuser.status_code in (200, 403)  # the kind is not offered: the form refuses it
    assert own.status_code == operator.status_code == 403
    assert (roles_of("wengyuan_window"), roles_of("secadmin"), AuditEvent.objects.count()) == before
    assert not user("wengyuan_window").is_superuser


# --- the system administrator and the combined operator ------------------------------------------


def test_the_system_administrator_runs_the_platform_but_not_people_or_logs(demo: dict[str, Hall]) -> None:
    client = client_for("sysadmin", None)

    assert client.get("/admin/tenants/hall/").status_code == 200
    assert client.get("/admin/workdays/calendarday/").status_code == 200
    assert client.get("/admin/accounts/user/").status_code == 403
    assert client.get("/admin/audit/auditevent/").status_code == 403
    assert client.get("/accounts/lockouts/").status_code == 404


def test_the_platform_operator_keeps_every_duty(demo: dict[str, Hall]) -> None:
    client = client_for("operator", None)

    for path in ("/admin/tenants/hall/", "/admin/accounts/user/", "/admin/audit/auditevent/", "/accounts/lockouts/",
                 "/security-log/", "/api/v1/security-log/"):  # fmt: skip
        assert client.get(path).status_code == 200, path


# --- a walk over every route of the base domain ---------------------------------------------------

# Besides the admin: their own account pages, notices and API basics, the portal's start page, and
# each duty's page. Everything else of the base domain is 404 to them.
COMMON = {
    "/",
    "/accounts/logins/",
    "/accounts/two-factor/",
    "/accounts/two-factor/enrol/",
    "/accounts/two-factor/verify/",
    "/accounts/tokens/",
    "/accounts/tokens/1/revoke/",
    "/api/v1/me/",
    "/api/v1/tokens/",
    "/api/v1/tokens/1/",
    "/api/v1/notices/",
    "/api/v1/notices/unread-count/",
    "/api/v1/notices/1/read/",
    "/api/schema/",
    "/api/docs/",
}
ALLOWED = {
    "auditor": COMMON | {"/security-log/", "/api/v1/security-log/"},
    "secadmin": COMMON | {"/accounts/lockouts/"},
    "sysadmin": COMMON | {"/system/worker-check/"},
}
WALKED = [(path, public) for path, public, _api in PUBLIC_ROUTES if not path.startswith(("/admin/", "/notices/"))]


@pytest.mark.parametrize(("path", "public"), WALKED)
@pytest.mark.parametrize("username", sorted(ALLOWED))
def test_each_administrator_reaches_only_their_routes(
    demo: dict[str, Hall], username: str, path: str, public: bool
) -> None:
    if public or path in ALLOWED[username] or path == "/system/worker-check/":
        return  # public endpoints; allowed pages are tested above (the worker check needs a worker)
    response = client_for(username, None).get(path)
    assert response.status_code == 404, f"{path} answered {response.status_code} to {username}"
