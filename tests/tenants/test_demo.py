"""The Shaoguan demo (`tenants/demo.py: seed_demo`, `manage.py seed_demo`), DESIGN.md section 3.

The session fixture seeded it once into the empty test database; these tests check what that seed
made, and that seeding again changes nothing.
"""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django_tenants.utils import schema_exists

from hallplatform.accounts.models import RoleAssignment, RoleKind, User
from tenants.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, seed_demo
from tenants.models import Department, Domain, Hall

# DESIGN.md section 3, written out again here on purpose: the test must not read it from demo.py.
CITY = ("shaoguan", "韶关市", "440200")
COUNTIES = {
    "wujiang": ("武江区", "440203"),
    "zhenjiang": ("浈江区", "440204"),
    "qujiang": ("曲江区", "440205"),
    "shixing": ("始兴县", "440222"),
    "renhua": ("仁化县", "440224"),
    "wengyuan": ("翁源县", "440229"),
    "ruyuan": ("乳源瑶族自治县", "440232"),
    "xinfeng": ("新丰县", "440233"),
    "lechang": ("乐昌市", "440281"),
    "nanxiong": ("南雄市", "440282"),
}
# The usual units stationed in a hall (进驻单位), by a word their names must contain.
USUAL_UNITS = [
    "人力资源和社会保障",
    "市场监督管理",
    "公安",
    "不动产登记",
    "医疗保障",
    "税务",
    "住房和城乡建设",
    "自然资源",
]


@pytest.fixture
def demo(demo: dict[str, Hall]) -> dict[str, Hall]:
    """The Shaoguan halls only (the test data also holds a second city, Qingyuan)."""
    return {code: hall for code, hall in demo.items() if hall.region_code.startswith("4402")}


def snapshot() -> dict[str, Any]:
    """Every row the demo writes, with ids and values."""
    return {
        "halls": list(
            Hall.objects.order_by("pk").values_list(
                "pk", "code", "name", "level", "parent_id", "region_code", "schema_name", "is_active", "created_at"
            )
        ),
        "domains": list(Domain.objects.order_by("pk").values_list("pk", "domain", "tenant_id", "is_primary")),
        "departments": list(
            Department.objects.order_by("pk").values_list(
                "pk", "hall_id", "code", "name", "contact_name", "contact_phone", "is_active", "created_at"
            )
        ),
        "users": list(
            User.objects.order_by("pk").values_list(
                "pk", "username", "display_name", "password", "is_staff", "is_superuser", "is_active", "last_login"
            )
        ),
        "roles": list(
            RoleAssignment.objects.order_by("pk").values_list(
                "pk", "user_id", "kind", "hall_id", "department_id", "granted_at", "granted_by_id"
            )
        ),
    }


def test_the_city_hall_and_its_ten_counties(demo: dict[str, Hall]) -> None:
    city_code, city_place, city_region = CITY
    city = demo[city_code]
    assert (city.level, city.parent_id, city.region_code) == ("city", None, city_region)
    assert city.name.startswith(city_place)

    counties = {hall.code: hall for hall in Hall.objects.filter(parent=city)}
    assert set(counties) == set(COUNTIES)
    for code, (place, region) in COUNTIES.items():
        hall = counties[code]
        assert (hall.level, hall.region_code, hall.is_active) == ("county", region, True), code
        assert hall.name.startswith(place), (code, hall.name)
    assert set(demo) == {city_code, *COUNTIES}


def test_every_demo_hall_has_its_schema_and_subdomain(demo: dict[str, Hall]) -> None:
    for code, hall in demo.items():
        assert hall.schema_name == f"hall_{code}"
        assert schema_exists(hall.schema_name), code
        assert list(Domain.objects.filter(tenant=hall).values_list("domain", "is_primary")) == [
            (f"{code}.localhost", True)
        ]


def test_departments_in_every_county_and_at_city_level(demo: dict[str, Hall]) -> None:
    for code, hall in demo.items():
        place = COUNTIES[code][0] if code in COUNTIES else CITY[1]
        names = list(Department.objects.filter(hall=hall, is_active=True).values_list("name", flat=True))
        for unit in USUAL_UNITS:
            matching = [name for name in names if unit in name]
            assert len(matching) == 1, (code, unit, names)
            assert place in matching[0], (code, matching[0])
    # the city-level ones are the city hall's, so every county can transfer to them
    assert all(d.is_city_level for d in Department.objects.filter(hall=demo["shaoguan"]))


def test_one_demo_login_per_role(demo: dict[str, Hall]) -> None:
    kinds = set(RoleAssignment.objects.filter(user__username__in=[a.username for a in DEMO_ACCOUNTS]).values_list(
        "kind", flat=True
    ))  # fmt: skip
    assert (
        kinds
        == set(RoleKind.values)
        == {
            "window_staff",
            "hall_lead",
            "department_handler",
            "department_lead",
            "city_supervisor",
            "discipline_inspector",
            "platform_operator",
            "system_admin",
            "security_admin",
            "audit_admin",
        }
    )
    for account in DEMO_ACCOUNTS:
        user = authenticate(username=account.username, password=DEMO_PASSWORD)
        assert user is not None, account.username
        roles = list(RoleAssignment.objects.filter(user=user).select_related("hall", "department__hall"))
        assert len(roles) == 1, account.username
        role = roles[0]
        assert role.kind == account.role
        assert (role.hall.code if role.hall else None) == account.hall
        department = f"{role.department.hall.code}/{role.department.code}" if role.department else None
        assert department == account.department
    # only the operator administers the platform
    assert list(User.objects.filter(is_superuser=True).values_list("username", flat=True)) == ["operator"]
    supervisor = RoleAssignment.objects.get(user__username="shaoguan_supervisor")
    assert supervisor.hall == demo["shaoguan"]


def test_seeding_again_changes_nothing(demo: dict[str, Hall]) -> None:
    before = snapshot()
    shaoguan = [row for row in before["halls"] if row[5].startswith("4402")]
    assert len(shaoguan) == 11 and before["departments"] and before["roles"]

    halls = seed_demo()

    assert snapshot() == before
    assert [hall.code for hall in halls] == [CITY[0], *COUNTIES]


def test_seed_demo_command_twice_changes_nothing(demo: dict[str, Hall]) -> None:
    before = snapshot()
    out = StringIO()

    call_command("seed_demo", stdout=out)
    call_command("seed_demo", stdout=out)

    assert snapshot() == before
    assert out.getvalue().count("11 halls") == 2


@pytest.mark.parametrize("missing", ["department", "role", "user"])
def test_seeding_restores_what_is_missing_and_leaves_the_rest(demo: dict[str, Hall], missing: str) -> None:
    # given part of the demo was removed
    before = snapshot()
    if missing == "department":
        Department.objects.filter(hall=demo["nanxiong"], code="ybj").delete()
    elif missing == "role":
        RoleAssignment.objects.filter(user__username="wengyuan_lead").delete()
    else:
        User.objects.filter(username="shaoguan_rsj").delete()
    assert snapshot() != before

    # when seeding again
    seed_demo()

    # then it is back (with new ids), and everything else is as it was
    after = snapshot()
    assert Department.objects.filter(hall=demo["nanxiong"], code="ybj").exists()
    assert RoleAssignment.objects.filter(user__username="wengyuan_lead", kind="hall_lead").exists()
    assert authenticate(username="shaoguan_rsj", password=DEMO_PASSWORD) is not None
    for table in ("halls", "domains"):
        assert after[table] == before[table]
    for table in ("departments", "users", "roles"):
        assert len(after[table]) == len(before[table]), table
        kept = {row[0] for row in after[table]} & {row[0] for row in before[table]}
        assert [r for r in after[table] if r[0] in kept] == [r for r in before[table] if r[0] in kept], table
