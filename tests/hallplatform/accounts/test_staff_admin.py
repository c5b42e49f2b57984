"""The staff pages (hallplatform/accounts/web/staff.py, services in hallplatform/accounts/services.py
and tenants/services.py): a hall lead manages their hall's people, roles, logins and departments on the
hall's host; a city supervisor the city's supervisors and city-level departments on the city portal.
Every change is audited; every refusal names the field and changes nothing; nothing of another hall
is reachable."""

from __future__ import annotations

from binascii import unhexlify
from typing import Any

import pytest
from django.contrib.auth import authenticate
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone, translation
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from hallindex.models import SlipIndex
from hallplatform.accounts.models import CityLogin, RoleAssignment, User
from hallplatform.accounts.selectors import StaffScope
from hallplatform.accounts.services import staff_create, staff_role_withdraw
from hallplatform.accounts.two_factor import totp_key_new, two_factor_enrol
from hallplatform.audit.models import AuditEvent
from tenants.models import Department, Hall
from tenants.selectors import department_list_routable_from
from tests.conftest import client_for, host_of, user

PASSWORD = "Fresh-Hall-Pass-2026"


def state() -> tuple[Any, ...]:
    """Everything the pages may change: logins, roles, departments, second factors, the audit trail."""
    return (
        sorted(User.objects.values_list("id", "username", "is_active", "password", "display_name")),
        sorted(
            RoleAssignment.objects.values_list(
                "id", "user_id", "kind", "hall_id", "department_id", "may_reveal_personal_data"
            )
        ),
        sorted(
            Department.objects.values_list(
                "id", "hall_id", "code", "name", "contact_name", "contact_phone", "is_active"
            )
        ),
        TOTPDevice.objects.count(),
        AuditEvent.objects.count(),
    )


def department(code: str) -> Department:
    hall_code, _sep, dept_code = code.partition("/")
    return Department.objects.get(hall__code=hall_code, code=dept_code)


def person(username: str, *roles: tuple[str, str]) -> User:
    """A login with roles (kind, hall code or <hall>/<department>), password PASSWORD."""
    made = None
    for kind, where in roles:
        in_department = "/" in where
        made, _role = staff_create(
            username=username,
            password=PASSWORD,
            kind=kind,
            check_password=False,
            hall_code=None if in_department else where,
            department_code=where if in_department else None,
        )
    assert made is not None
    return made


def audited(action: str, target: Any, actor: str) -> AuditEvent:
    event = AuditEvent.objects.filter(action=action, target_id=str(target.pk)).order_by("-id").first()
    assert event is not None, action
    assert event.actor is not None and event.actor.username == actor
    return event


def lead() -> Client:
    return client_for("wengyuan_lead", "wengyuan")


def supervisor() -> Client:
    return client_for("shaoguan_supervisor", None)


def new_person_form(**values: Any) -> dict[str, Any]:
    form = {"username": "wy_new", "display_name": "翁源窗口 新人", "password": PASSWORD, "kind": "window_staff"}
    form.update(values)
    return form


# --- People ----------------------------------------------------------------------------------------------


def test_the_lead_sees_the_hall_people_only(demo: dict[str, Hall]) -> None:
    page = lead().get("/staff/")

    assert page.status_code == 200
    text = page.content.decode()
    for username in ("wengyuan_window", "wengyuan_lead", "wengyuan_rsj", "wengyuan_rsj_lead"):
        assert username in text
    for username in ("shaoguan_rsj", "shaoguan_supervisor", "qingcheng_window", "operator"):
        assert username not in text
    assert 'class="table-wrap"' in text


def test_the_lead_creates_a_window_staff_login(demo: dict[str, Hall]) -> None:
    answer = lead().post("/staff/new/", new_person_form(may_reveal="on"))

    made = User.objects.get(username="wy_new")
    assert answer.status_code == 302 and answer["Location"] == f"/staff/{made.pk}/"
    assert made.check_password(PASSWORD) and made.is_active and made.display_name == "翁源窗口 新人"
    role = RoleAssignment.objects.get(user=made)
    assert (role.kind, role.hall_id, role.department_id) == ("window_staff", demo["wengyuan"].pk, None)
    assert role.may_reveal_personal_data and role.granted_by == user("wengyuan_lead")
    audited("user.create", made, "wengyuan_lead")
    grant = audited("role.grant", made, "wengyuan_lead")
    assert grant.changes["role"] == "window_staff" and grant.changes["may_reveal"] is True
    assert grant.hall_id == demo["wengyuan"].pk


def test_the_lead_creates_a_department_handler_of_the_hall(demo: dict[str, Hall]) -> None:
    rsj = department("wengyuan/rsj")
    answer = lead().post("/staff/new/", new_person_form(kind="department_handler", department=str(rsj.pk)))

    assert answer.status_code == 302
    role = RoleAssignment.objects.get(user__username="wy_new")
    assert (role.kind, role.hall_id, role.department_id, role.may_reveal_personal_data) == (
        "department_handler",
        None,
        rsj.pk,
        False,
    )


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"username": "wengyuan_window"}, "username"),
        ({"username": "WENGYUAN_WINDOW"}, "username"),
        ({"password": "12345"}, "password"),
        ({"password": "password123"}, "password"),
        ({"password": "wy_new_2026"}, "password"),  # too like the username
        ({"kind": "platform_operator"}, "kind"),
        ({"kind": "system_admin"}, "kind"),
        ({"kind": "security_admin"}, "kind"),
        ({"kind": "audit_admin"}, "kind"),
        ({"kind": "city_supervisor"}, "kind"),
        ({"kind": "department_handler"}, "department"),  # no department named
        ({"kind": "department_handler", "department": "renhua/rsj"}, "department"),  # another hall's
        ({"kind": "department_lead", "department": "shaoguan/rsj"}, "department"),  # the city's
        ({"username": ""}, "username"),
    ],
)
def test_a_refused_creation_names_the_field_and_changes_nothing(
    demo: dict[str, Hall], values: dict[str, str], field: str
) -> None:
    if "/" in values.get("department", ""):
        values = {**values, "department": str(department(values["department"]).pk)}
    before = state()

    answer = lead().post("/staff/new/", new_person_form(**values))

    assert answer.status_code == 400
    form = answer.context["form"]
    assert set(form.errors) == {field}, form.errors
    label = str(form.fields[field].label)
    assert f"{label}: " in answer.content.decode()  # the message is shown with the field's name
    assert state() == before


def test_a_weak_password_is_refused_in_chinese(demo: dict[str, Hall]) -> None:
    answer = lead().post("/staff/new/", new_person_form(password="password123"), HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert answer.status_code == 400
    assert "这个密码太常见了。" in answer.context["form"].errors["password"]
    assert not User.objects.filter(username="wy_new").exists()


def test_the_lead_grants_a_role_and_the_reveal_permission_then_withdraws_them(demo: dict[str, Hall]) -> None:
    window = user("wengyuan_window")
    rsj = department("wengyuan/rsj")
    client = lead()

    answer = client.post(f"/staff/{window.pk}/", {"action": "grant", "kind": "department_lead", "department": rsj.pk})
    assert answer.status_code == 302
    role = RoleAssignment.objects.get(user=window, kind="department_lead")
    assert role.department_id == rsj.pk and not role.may_reveal_personal_data
    assert audited("role.grant", window, "wengyuan_lead").changes["department"] == "wengyuan/rsj"

    answer = client.post(f"/staff/{window.pk}/", {"action": "reveal", "role": role.pk, "value": "1"})
    assert answer.status_code == 302
    role.refresh_from_db()
    assert role.may_reveal_personal_data
    change = audited("role.change", window, "wengyuan_lead")
    assert change.changes["before"] == {"may_reveal": False} and change.changes["may_reveal"] is True

    answer = client.post(f"/staff/{window.pk}/", {"action": "reveal", "role": role.pk, "value": "0"})
    role.refresh_from_db()
    assert not role.may_reveal_personal_data
    assert audited("role.change", window, "wengyuan_lead").changes["before"] == {"may_reveal": True}

    answer = client.post(f"/staff/{window.pk}/", {"action": "withdraw", "role": role.pk})
    assert answer.status_code == 302
    assert not RoleAssignment.objects.filter(pk=role.pk).exists()
    assert audited("role.revoke", window, "wengyuan_lead").changes["role"] == "department_lead"


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"kind": "platform_operator"}, "kind"),
        ({"kind": "city_supervisor"}, "kind"),
        ({"kind": "window_staff"}, "kind"),  # already held
        ({"kind": "department_handler", "department": "qingcheng/rsj"}, "department"),
    ],
)
def test_a_refused_grant_names_the_field_and_changes_nothing(
    demo: dict[str, Hall], values: dict[str, str], field: str
) -> None:
    window = user("wengyuan_window")
    if "/" in values.get("department", ""):
        values = {**values, "department": str(department(values["department"]).pk)}
    before = state()

    answer = lead().post(f"/staff/{window.pk}/", {"action": "grant", **values})

    assert answer.status_code == 400
    assert set(answer.context["grant_form"].errors) == {field}
    assert state() == before


def ui(msgid: str) -> str:
    with translation.override("zh-hans"):
        return translation.gettext(msgid)


def test_the_lead_changes_neither_their_own_roles_nor_login(demo: dict[str, Hall]) -> None:
    me = user("wengyuan_lead")
    own = RoleAssignment.objects.get(user=me, kind="hall_lead")
    client = lead()
    before = state()

    for data in (
        {"action": "withdraw", "role": own.pk},
        {"action": "reveal", "role": own.pk, "value": "0"},
        {"action": "deactivate"},
        {"action": "password"},
        {"action": "grant", "kind": "window_staff"},
    ):
        answer = client.post(f"/staff/{me.pk}/", data)
        assert answer.status_code == 400, data
        own_login = ui("You cannot do this to your own login: ask another lead.")
        assert any(own_login in problem for problem in answer.context["problems"]), data

    assert state() == before


def test_the_last_lead_of_a_hall_is_never_withdrawn(demo: dict[str, Hall]) -> None:
    scope = StaffScope(
        level="hall",
        hall_ids=frozenset({demo["wengyuan"].pk}),
        hall_kinds=("window_staff", "hall_lead"),
        lead_kind="hall_lead",
    )
    only = RoleAssignment.objects.get(kind="hall_lead", hall=demo["wengyuan"])
    before = state()

    with pytest.raises(Exception) as refused:
        staff_role_withdraw(scope=scope, actor=user("wengyuan_window"), person=only.user, assignment_id=only.pk)

    assert "role" in refused.value.message_dict  # type: ignore[attr-defined]
    assert state() == before


def test_a_second_lead_may_withdraw_the_first_leads_role(demo: dict[str, Hall]) -> None:
    second = person("wy_lead2", ("hall_lead", "wengyuan"))
    first = user("wengyuan_lead")
    role = RoleAssignment.objects.get(user=first, kind="hall_lead")
    client = client_for("wy_lead2", "wengyuan")

    assert client.post(f"/staff/{first.pk}/", {"action": "withdraw", "role": role.pk}).status_code == 302
    assert not RoleAssignment.objects.filter(pk=role.pk).exists()
    audited("role.revoke", first, "wy_lead2")
    # Without the role, the first lead no longer reaches the pages (nor the hall).
    assert client_for("wengyuan_lead", "wengyuan").get("/staff/").status_code == 404
    assert second.is_active


def test_deactivating_ends_every_session_and_is_audited(demo: dict[str, Hall]) -> None:
    target = person("wy_temp", ("window_staff", "wengyuan"))
    own = Client(HTTP_HOST=host_of("wengyuan"))
    assert own.post("/accounts/login/?sso=none", {"username": "wy_temp", "password": PASSWORD}).status_code == 302
    assert own.get("/cases/").status_code == 200
    login = CityLogin.objects.get(user=target)
    keys = list(login.sessions.values_list("session_key", flat=True))
    assert keys and Session.objects.filter(session_key__in=keys).exists()

    answer = lead().post(f"/staff/{target.pk}/", {"action": "deactivate"})

    assert answer.status_code == 302
    target.refresh_from_db()
    assert not target.is_active
    login.refresh_from_db()
    assert login.ended_at is not None
    assert not Session.objects.filter(session_key__in=keys).exists()
    assert own.get("/cases/").status_code == 302  # back to the login page
    assert authenticate(username="wy_temp", password=PASSWORD) is None
    assert audited("user.deactivate", target, "wengyuan_lead").changes["sessions_ended"] >= 1

    assert lead().post(f"/staff/{target.pk}/", {"action": "activate"}).status_code == 302
    target.refresh_from_db()
    assert target.is_active
    audited("user.activate", target, "wengyuan_lead")


def test_a_reset_password_is_shown_once_and_ends_the_sessions(demo: dict[str, Hall]) -> None:
    target = person("wy_temp", ("window_staff", "wengyuan"))
    own = client_for("wy_temp", "wengyuan")
    assert own.get("/cases/").status_code == 200

    answer = lead().post(f"/staff/{target.pk}/", {"action": "password"})

    assert answer.status_code == 200 and answer["Cache-Control"] == "no-store"
    new_password = answer.context["password"]
    assert new_password and new_password in answer.content.decode()
    target.refresh_from_db()
    assert target.check_password(new_password) and not target.check_password(PASSWORD)
    assert own.get("/cases/").status_code == 302  # the old session carried the old password's hash
    event = audited("user.password_reset", target, "wengyuan_lead")
    assert new_password not in str(event.changes)
    # Shown once: the person's page does not show it again.
    assert new_password not in lead().get(f"/staff/{target.pk}/").content.decode()


def test_the_lead_resets_a_second_factor(demo: dict[str, Hall]) -> None:
    target = person("wy_temp", ("window_staff", "wengyuan"))
    key = totp_key_new()
    two_factor_enrol(user=target, key=key, code=f"{totp(unhexlify(key)):06d}")
    assert TOTPDevice.objects.filter(user=target).exists()

    answer = lead().post(f"/staff/{target.pk}/", {"action": "two_factor"})

    assert answer.status_code == 302
    assert not TOTPDevice.objects.filter(user=target).exists()
    assert audited("two_factor.reset", target, "wengyuan_lead").changes["devices"] == 2


def test_a_person_of_two_halls_loses_only_this_halls_roles(demo: dict[str, Hall]) -> None:
    both = person("two_halls", ("window_staff", "wengyuan"), ("window_staff", "renhua"))
    key = totp_key_new()
    two_factor_enrol(user=both, key=key, code=f"{totp(unhexlify(key)):06d}")
    client = lead()

    page = client.get(f"/staff/{both.pk}/")
    assert page.status_code == 200 and not page.context["account_in_scope"]
    assert [r.hall.code for r in page.context["roles"]] == ["wengyuan"]  # the other hall's role is not shown
    before = state()
    for action in ("deactivate", "activate", "password", "two_factor"):
        assert client.post(f"/staff/{both.pk}/", {"action": action}).status_code == 403, action
    assert state() == before

    other_role = RoleAssignment.objects.get(user=both, hall=demo["renhua"])
    assert client.post(f"/staff/{both.pk}/", {"action": "withdraw", "role": other_role.pk}).status_code == 404
    assert state() == before

    own_role = RoleAssignment.objects.get(user=both, hall=demo["wengyuan"])
    assert client.post(f"/staff/{both.pk}/", {"action": "withdraw", "role": own_role.pk}).status_code == 302
    assert list(RoleAssignment.objects.filter(user=both).values_list("hall__code", flat=True)) == ["renhua"]
    both.refresh_from_db()
    assert both.is_active and both.check_password(PASSWORD)
    # No role left in the hall: the person is no longer the lead's to see.
    assert client.get(f"/staff/{both.pk}/").status_code == 404


# --- Another hall ------------------------------------------------------------------------------------------


def test_nothing_of_another_hall_is_reachable(demo: dict[str, Hall]) -> None:
    foreign = user("qingcheng_window")
    foreign_role = RoleAssignment.objects.get(user=foreign)
    renhua_person = person("rh_window", ("window_staff", "renhua"))
    foreign_department = department("renhua/rsj")
    client = lead()
    before = state()

    for target in (foreign, renhua_person, user("shaoguan_rsj"), user("operator")):
        assert client.get(f"/staff/{target.pk}/").status_code == 404
        for action in ("deactivate", "password", "two_factor"):
            assert client.post(f"/staff/{target.pk}/", {"action": action}).status_code == 404
    assert client.post(f"/staff/{foreign.pk}/", {"action": "withdraw", "role": foreign_role.pk}).status_code == 404
    # A person of this hall with the role id of another hall's person: refused too.
    window = user("wengyuan_window")
    assert client.post(f"/staff/{window.pk}/", {"action": "withdraw", "role": foreign_role.pk}).status_code == 404
    assert client.get(f"/staff/departments/{foreign_department.pk}/").status_code == 404
    for action in ("deactivate", "update"):
        data = {"action": action, "name": "改名"}
        assert client.post(f"/staff/departments/{foreign_department.pk}/", data).status_code == 404
    assert state() == before


@pytest.mark.parametrize(
    ("username", "code"),
    [
        ("wengyuan_lead", "renhua"),  # the lead on another hall's host
        ("wengyuan_lead", None),  # the lead on the city portal
        ("qingcheng_lead", "wengyuan"),
        ("wengyuan_window", "wengyuan"),
        ("wengyuan_rsj", "wengyuan"),
        ("wengyuan_rsj_lead", "wengyuan"),
        ("shaoguan_supervisor", "wengyuan"),  # the supervisor manages the city on the city portal only
        ("shaoguan_rsj", None),
        ("operator", None),
    ],
)
def test_only_the_lead_and_the_supervisor_reach_the_pages(
    demo: dict[str, Hall], username: str, code: str | None
) -> None:
    client = client_for(username, code)
    window = user("wengyuan_window")
    rsj = department("wengyuan/rsj")
    before = state()

    for path in (
        "/staff/",
        "/staff/new/",
        f"/staff/{window.pk}/",
        "/staff/departments/",
        f"/staff/departments/{rsj.pk}/",
    ):
        assert client.get(path).status_code == 404, path
    assert client.post(f"/staff/{window.pk}/", {"action": "deactivate"}).status_code == 404
    assert client.post("/staff/new/", new_person_form()).status_code == 404
    assert state() == before


def test_the_menu_links_the_pages_for_leads_and_supervisors_only(demo: dict[str, Hall]) -> None:
    assert 'href="/staff/"' in lead().get("/").content.decode()
    assert 'href="/staff/"' in supervisor().get("/").content.decode()
    assert 'href="/staff/"' not in client_for("wengyuan_window", "wengyuan").get("/").content.decode()
    assert 'href="/staff/"' not in client_for("shaoguan_supervisor", "wengyuan").get("/").content.decode()


# --- Departments ---------------------------------------------------------------------------------------------


def test_the_lead_lists_the_seeded_departments(demo: dict[str, Hall]) -> None:
    page = lead().get("/staff/departments/")

    assert page.status_code == 200
    listed = {d.code for d in page.context["departments"]}
    assert listed == set(Department.objects.filter(hall=demo["wengyuan"]).values_list("code", flat=True))
    assert len(listed) == 8


def test_the_lead_creates_renames_and_deactivates_a_department(demo: dict[str, Hall]) -> None:
    client = lead()
    wengyuan = demo["wengyuan"]

    answer = client.post(
        "/staff/departments/",
        {
            "code": "wsjkj",
            "name": "翁源县卫生健康局",
            "contact_name": "张三",
            "contact_phone": "0751-2800000",
            "hall": "wengyuan",
        },
    )
    made = Department.objects.get(hall=wengyuan, code="wsjkj")
    assert answer.status_code == 302 and answer["Location"] == f"/staff/departments/{made.pk}/"
    assert audited("department.create", made, "wengyuan_lead").hall_id == wengyuan.pk
    assert made in department_list_routable_from(hall_id=wengyuan.pk, city_id=wengyuan.city_id)

    data = {"action": "update", "name": "翁源县卫健局", "contact_name": "李四", "contact_phone": "0751-2800001"}
    assert client.post(f"/staff/departments/{made.pk}/", data).status_code == 302
    made.refresh_from_db()
    assert (made.code, made.name, made.contact_name, made.contact_phone) == (
        "wsjkj",
        "翁源县卫健局",
        "李四",
        "0751-2800001",
    )
    change = audited("department.change", made, "wengyuan_lead")
    assert change.changes["before"]["name"] == "翁源县卫生健康局" and change.changes["name"] == "翁源县卫健局"

    assert client.post(f"/staff/departments/{made.pk}/", {"action": "deactivate"}).status_code == 302
    made.refresh_from_db()
    assert not made.is_active
    assert made not in department_list_routable_from(hall_id=wengyuan.pk, city_id=wengyuan.city_id)
    audited("department.deactivate", made, "wengyuan_lead")
    # A deactivated department is not offered for new roles.
    window = user("wengyuan_window")
    answer = client.post(
        f"/staff/{window.pk}/", {"action": "grant", "kind": "department_handler", "department": made.pk}
    )
    assert answer.status_code == 400 and set(answer.context["grant_form"].errors) == {"department"}

    assert client.post(f"/staff/departments/{made.pk}/", {"action": "activate"}).status_code == 302
    made.refresh_from_db()
    assert made.is_active
    audited("department.activate", made, "wengyuan_lead")


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"code": "rsj"}, "code"),  # taken in this hall
        ({"code": "Bad Code"}, "code"),
        ({"name": "翁源县公安局"}, "name"),  # taken in this hall
        ({"name": ""}, "name"),
        ({"hall": "renhua"}, "hall"),  # another hall: not a choice
    ],
)
def test_a_refused_department_names_the_field_and_changes_nothing(
    demo: dict[str, Hall], values: dict[str, str], field: str
) -> None:
    before = state()
    data = {
        "code": "wsjkj",
        "name": "翁源县卫生健康局",
        "contact_name": "",
        "contact_phone": "",
        "hall": "wengyuan",
        **values,
    }

    answer = lead().post("/staff/departments/", data)

    assert answer.status_code == 400
    assert set(answer.context["form"].errors) == {field}
    assert state() == before


def test_a_refused_rename_names_the_field_and_changes_nothing(demo: dict[str, Hall]) -> None:
    rsj = department("wengyuan/rsj")
    before = state()

    answer = lead().post(f"/staff/departments/{rsj.pk}/", {"action": "update", "name": "翁源县公安局"})

    assert answer.status_code == 400
    assert set(answer.context["form"].errors) == {"name"}
    assert state() == before


def test_a_department_with_open_slips_is_not_deactivated(demo: dict[str, Hall]) -> None:
    rsj = department("wengyuan/rsj")
    SlipIndex.objects.create(
        hall=demo["wengyuan"],
        slip_id=990001,
        case_id=990001,
        slip_number="ZB-TEST-1",
        case_number="NO-TEST-1",
        department=rsj,
        matter_name="测试事项",
        complexity="simple",
        status="received",
        sent_at=timezone.now(),
    )
    before = state()

    answer = lead().post(f"/staff/departments/{rsj.pk}/", {"action": "deactivate"})

    assert answer.status_code == 400
    open_slips = ui(
        "The department still has %(count)d open transfer slip(s): "
        "it can be deactivated once they are answered or returned."
    ) % {"count": 1}
    assert open_slips in answer.content.decode()
    assert state() == before


# --- The city supervisor, on the city portal -----------------------------------------------------------------


def test_the_supervisor_manages_the_city_supervisors_and_departments(demo: dict[str, Hall]) -> None:
    client = supervisor()
    page = client.get("/staff/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "shaoguan_rsj" in text and "shaoguan_supervisor" in text
    for username in ("wengyuan_window", "wengyuan_lead", "wengyuan_rsj", "qingyuan_rsj", "qingyuan_supervisor"):
        assert username not in text

    answer = client.post("/staff/new/", new_person_form(username="sg_sup2", kind="city_supervisor"))
    assert answer.status_code == 302
    made = User.objects.get(username="sg_sup2")
    role = RoleAssignment.objects.get(user=made)
    assert (role.kind, role.hall_id) == ("city_supervisor", demo["shaoguan"].pk)
    audited("role.grant", made, "shaoguan_supervisor")

    city_rsj = department("shaoguan/rsj")
    answer = client.post(
        f"/staff/{made.pk}/", {"action": "grant", "kind": "department_lead", "department": city_rsj.pk}
    )
    assert answer.status_code == 302
    assert RoleAssignment.objects.filter(user=made, kind="department_lead", department=city_rsj).exists()

    handler = user("shaoguan_rsj")
    assert client.post(f"/staff/{handler.pk}/", {"action": "deactivate"}).status_code == 302
    handler.refresh_from_db()
    assert not handler.is_active
    audited("user.deactivate", handler, "shaoguan_supervisor")

    listed = {d.code for d in client.get("/staff/departments/").context["departments"]}
    assert listed == set(Department.objects.filter(hall=demo["shaoguan"]).values_list("code", flat=True))
    answer = client.post("/staff/departments/", {"code": "wsjkj", "name": "韶关市卫生健康局", "hall": "shaoguan"})
    assert answer.status_code == 302
    assert Department.objects.get(hall=demo["shaoguan"], code="wsjkj").is_city_level


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"kind": "window_staff"}, "kind"),
        ({"kind": "hall_lead"}, "kind"),
        ({"kind": "platform_operator"}, "kind"),
        ({"kind": "department_handler", "department": "wengyuan/rsj"}, "department"),  # a county's
        ({"kind": "department_handler", "department": "qingyuan/rsj"}, "department"),  # another city's
        ({"kind": "city_supervisor", "may_reveal": "on"}, "may_reveal"),
    ],
)
def test_the_supervisor_grants_only_the_citys_roles(demo: dict[str, Hall], values: dict[str, str], field: str) -> None:
    if "/" in values.get("department", ""):
        values = {**values, "department": str(department(values["department"]).pk)}
    before = state()

    answer = supervisor().post("/staff/new/", new_person_form(username="sg_new", **values))

    assert answer.status_code == 400
    assert set(answer.context["form"].errors) == {field}
    assert state() == before


def test_the_supervisor_reaches_nothing_of_the_counties_or_another_city(demo: dict[str, Hall]) -> None:
    client = supervisor()
    before = state()

    for username in ("wengyuan_window", "wengyuan_rsj", "qingyuan_rsj", "qingyuan_supervisor"):
        target = user(username)
        assert client.get(f"/staff/{target.pk}/").status_code == 404
        assert client.post(f"/staff/{target.pk}/", {"action": "deactivate"}).status_code == 404
    for code in ("wengyuan/rsj", "qingyuan/rsj"):
        assert client.get(f"/staff/departments/{department(code).pk}/").status_code == 404
        assert client.post(f"/staff/departments/{department(code).pk}/", {"action": "deactivate"}).status_code == 404
    assert state() == before


def test_a_county_department_handler_who_is_also_a_city_handler_is_not_the_supervisors_login(
    demo: dict[str, Hall],
) -> None:
    both = person("both_levels", ("department_handler", "shaoguan/rsj"), ("department_handler", "wengyuan/rsj"))
    client = supervisor()
    before = state()

    assert client.get(f"/staff/{both.pk}/").context["account_in_scope"] is False
    assert client.post(f"/staff/{both.pk}/", {"action": "deactivate"}).status_code == 403
    assert state() == before
    role = RoleAssignment.objects.get(user=both, department=department("shaoguan/rsj"))
    assert client.post(f"/staff/{both.pk}/", {"action": "withdraw", "role": role.pk}).status_code == 302
    assert RoleAssignment.objects.filter(user=both).count() == 1


def test_the_staff_two_factor_page_leaves_people_of_two_halls_alone(demo: dict[str, Hall]) -> None:
    """The older page (/accounts/two-factor/staff/) follows the same rule: logins are global."""
    both = person("two_halls", ("window_staff", "wengyuan"), ("window_staff", "renhua"))
    only_here = person("wy_temp", ("window_staff", "wengyuan"))
    for someone in (both, only_here):
        key = totp_key_new()
        two_factor_enrol(user=someone, key=key, code=f"{totp(unhexlify(key)):06d}")
    client = lead()

    listed = client.get("/accounts/two-factor/staff/").content.decode()
    assert "wy_temp" in listed and "two_halls" not in listed
    assert client.post(f"/accounts/two-factor/staff/{both.pk}/reset/").status_code == 404
    assert TOTPDevice.objects.filter(user=both).exists()


@pytest.mark.parametrize(
    "elsewhere",
    [
        ("city_supervisor", "shaoguan"),  # a role naming a hall, no department
        ("department_handler", "shaoguan/rsj"),  # a department of the city
        ("hall_lead", "qingcheng"),  # another city's hall
    ],
)
def test_any_role_elsewhere_keeps_the_login_from_the_lead(demo: dict[str, Hall], elsewhere: tuple[str, str]) -> None:
    mixed = person("mixed", ("window_staff", "wengyuan"), elsewhere)
    client = lead()
    before = state()

    assert client.get(f"/staff/{mixed.pk}/").context["account_in_scope"] is False
    for action in ("deactivate", "password", "two_factor"):
        assert client.post(f"/staff/{mixed.pk}/", {"action": action}).status_code == 403
    assert state() == before


def test_a_login_with_a_platform_role_is_never_the_leads(demo: dict[str, Hall]) -> None:
    RoleAssignment.objects.create(user=user("wengyuan_window"), kind="audit_admin")
    window = user("wengyuan_window")
    before = state()

    assert lead().post(f"/staff/{window.pk}/", {"action": "deactivate"}).status_code == 403
    assert state() == before
