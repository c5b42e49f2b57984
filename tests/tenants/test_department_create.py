"""Departments: `tenants/services.py: department_create`, `manage.py create_department`, and where a
hall may transfer to (`tenants/selectors.py: department_list_routable_from`)."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models.signals import pre_save

from tenants.models import CityRouting, Department, Hall, RoutingScope
from tenants.selectors import department_list_routable_from, hall_list_for_city
from tenants.services import department_create, hall_create
from tests.conftest import client_for


def departments() -> list[tuple[Any, ...]]:
    return sorted(Department.objects.values_list("id", "hall_id", "code", "name", "contact_name", "is_active"))


def routable(hall: Hall) -> set[str]:
    """`<hall code>/<department code>` of every department ``hall`` may transfer to."""
    return {f"{d.hall.code}/{d.code}" for d in department_list_routable_from(hall_id=hall.pk, city_id=hall.city_id)}


# --- creating --------------------------------------------------------------------------------------


def test_department_create_in_a_county(demo: dict[str, Hall]) -> None:
    department = department_create(
        hall_code="wengyuan", code="wsjkj", name="翁源县卫生健康局", contact_name=" 张三 ", contact_phone="0751-2800000"
    )

    department.refresh_from_db()
    assert (department.hall_id, department.code, department.name) == (demo["wengyuan"].pk, "wsjkj", "翁源县卫生健康局")
    assert (department.contact_name, department.contact_phone, department.is_active) == ("张三", "0751-2800000", True)
    assert department.is_city_level is False


def test_department_create_in_the_city_hall_is_city_level(demo: dict[str, Hall]) -> None:
    department = department_create(hall_code="shaoguan", code="wsjkj", name="韶关市卫生健康局")

    assert department.is_city_level is True


def test_the_same_code_and_name_may_exist_in_another_hall(demo: dict[str, Hall]) -> None:
    # rsj exists in every demo hall; a code is unique per hall only
    department = department_create(hall_code="nanxiong", code="xyz", name="同名单位")
    other = department_create(hall_code="wengyuan", code="xyz", name="同名单位")

    assert department.pk != other.pk


def test_create_department_command(demo: dict[str, Hall]) -> None:
    out = StringIO()

    call_command(
        "create_department",
        "wengyuan",
        "wsjkj",
        "翁源县卫生健康局",
        "--contact",
        "张三",
        "--phone",
        "0751-1",
        stdout=out,
    )

    assert out.getvalue().strip() == "wengyuan/wsjkj: 翁源县卫生健康局"
    department = Department.objects.get(hall=demo["wengyuan"], code="wsjkj")
    assert (department.contact_name, department.contact_phone) == ("张三", "0751-1")


# --- refusals ---------------------------------------------------------------------------------------

REFUSALS = [
    # (id, arguments, the field the error names)
    ("unknown-hall", {"hall_code": "nosuchhall", "code": "x", "name": "某局"}, "hall"),
    ("no-hall", {"hall_code": "", "code": "x", "name": "某局"}, "hall"),
    ("duplicate-code", {"hall_code": "wengyuan", "code": "rsj", "name": "另一个局"}, "code"),
    ("duplicate-code-city", {"hall_code": "shaoguan", "code": "rsj", "name": "另一个局"}, "code"),
    ("duplicate-name", {"hall_code": "wengyuan", "code": "other", "name": "翁源县人力资源和社会保障局"}, "name"),
    ("bad-code-uppercase", {"hall_code": "wengyuan", "code": "RSJ2", "name": "某局"}, "code"),
    ("bad-code-space", {"hall_code": "wengyuan", "code": "r sj", "name": "某局"}, "code"),
    ("bad-code-leading-hyphen", {"hall_code": "wengyuan", "code": "-x", "name": "某局"}, "code"),
    ("empty-code", {"hall_code": "wengyuan", "code": " ", "name": "某局"}, "code"),
    ("empty-name", {"hall_code": "wengyuan", "code": "x", "name": ""}, "name"),
]


@pytest.mark.parametrize(
    ("arguments", "field"), [pytest.param(a, f, id=i) for i, a, f in REFUSALS]
)  # fmt: skip
def test_department_create_refuses_naming_the_field(
    demo: dict[str, Hall], arguments: dict[str, str], field: str
) -> None:
    before = departments()

    with pytest.raises(ValidationError) as refused:
        department_create(**arguments)

    assert set(refused.value.message_dict) == {field}, refused.value.message_dict
    assert departments() == before


def test_duplicate_code_and_name_are_both_named(demo: dict[str, Hall]) -> None:
    before = departments()

    with pytest.raises(ValidationError) as refused:
        department_create(hall_code="wengyuan", code="rsj", name="翁源县人力资源和社会保障局")

    assert set(refused.value.message_dict) == {"code", "name"}
    assert departments() == before


@pytest.mark.parametrize("field", ["code", "name"])
def test_a_lost_race_is_refused_naming_the_field(demo: dict[str, Hall], field: str) -> None:
    """Another process inserts the same code (or name) after department_create checked it: the
    database's unique constraint refuses the insert, and the error still names the field."""

    def insert_first(sender: Any, instance: Department, **kwargs: Any) -> None:
        if instance.pk is None and instance.code == "new":
            racer = {"code": "new", "name": "先到的局"} if field == "code" else {"code": "racer", "name": "新设局"}
            Department.objects.bulk_create([Department(hall=instance.hall, **racer)])

    before = departments()
    pre_save.connect(insert_first, sender=Department)
    try:
        with pytest.raises(ValidationError) as refused:
            department_create(hall_code="wengyuan", code="new", name="新设局")
    finally:
        pre_save.disconnect(insert_first, sender=Department)

    assert set(refused.value.message_dict) == {field}
    assert departments() == before


@pytest.mark.parametrize(
    ("arguments", "names"),
    [
        pytest.param(["nosuchhall", "x", "某局"], "hall:", id="unknown-hall"),
        pytest.param(["wengyuan", "rsj", "另一个局"], "code:", id="duplicate-code"),
        pytest.param(["wengyuan", "other", "翁源县人力资源和社会保障局"], "name:", id="duplicate-name"),
        pytest.param(["wengyuan", "R!", "某局"], "code:", id="bad-code"),
    ],
)
def test_create_department_command_refuses_naming_the_field(
    demo: dict[str, Hall], arguments: list[str], names: str
) -> None:
    before = departments()

    with pytest.raises(CommandError) as refused:
        call_command("create_department", *arguments)

    assert names in str(refused.value)
    assert "__all__" not in str(refused.value)
    assert departments() == before


# --- where a hall may transfer to -------------------------------------------------------------------


def test_a_county_routes_to_every_department_of_its_city_by_default(demo: dict[str, Hall]) -> None:
    wengyuan = routable(demo["wengyuan"])

    city_halls = [demo["shaoguan"], *Hall.objects.filter(parent=demo["shaoguan"])]
    departments = Department.objects.filter(hall__in=city_halls).select_related("hall")
    everywhere = {f"{d.hall.code}/{d.code}" for d in departments}
    assert wengyuan == everywhere  # transfers across halls of the city (异地转办)
    assert any(key.startswith("nanxiong/") for key in wengyuan)


def test_a_county_restricted_routes_to_its_own_and_its_citys_departments(demo: dict[str, Hall]) -> None:
    CityRouting.objects.create(city=demo["shaoguan"], scope=RoutingScope.OWN_AND_CITY)
    wengyuan = routable(demo["wengyuan"])

    own = {f"wengyuan/{d.code}" for d in Department.objects.filter(hall=demo["wengyuan"])}
    city = {f"shaoguan/{d.code}" for d in Department.objects.filter(hall=demo["shaoguan"])}
    assert own and city
    assert wengyuan == own | city
    # never another county's
    assert not any(key.startswith("nanxiong/") for key in wengyuan)


def test_a_department_added_to_another_county_becomes_routable_unless_restricted(demo: dict[str, Hall]) -> None:
    before = routable(demo["wengyuan"])

    department_create(hall_code="nanxiong", code="nxonly", name="南雄市专有单位")
    department_create(hall_code="shaoguan", code="cityonly", name="韶关市新设单位")
    department_create(hall_code="wengyuan", code="wyonly", name="翁源县新设单位")

    assert routable(demo["wengyuan"]) == before | {"nanxiong/nxonly", "shaoguan/cityonly", "wengyuan/wyonly"}
    assert "nanxiong/nxonly" in routable(demo["nanxiong"])
    CityRouting.objects.create(city=demo["shaoguan"], scope=RoutingScope.OWN_AND_CITY)
    assert "nanxiong/nxonly" not in routable(demo["wengyuan"])


def test_another_citys_departments_are_not_routable(demo: dict[str, Hall]) -> None:
    # given a second city with a county and city-level departments of its own
    hall_create(code="meizhou", name="梅州市政务服务中心", level="city", region_code="441400")
    meixian = hall_create(
        code="meixian", name="梅县区政务服务中心", level="county", region_code="441403", parent_code="meizhou"
    )
    department_create(hall_code="meizhou", code="rsj", name="梅州市人力资源和社会保障局")
    department_create(hall_code="meixian", code="rsj", name="梅县区人力资源和社会保障局")

    assert routable(meixian) == {"meixian/rsj", "meizhou/rsj"}
    assert not any(key.startswith(("meizhou/", "meixian/")) for key in routable(demo["wengyuan"]))
    assert [h.code for h in hall_list_for_city(city_id=meixian.city_id)] == ["meizhou", "meixian"]


def test_the_city_hall_routes_to_every_department_of_its_city(demo: dict[str, Hall]) -> None:
    city_halls = [demo["shaoguan"], *Hall.objects.filter(parent=demo["shaoguan"])]
    assert routable(demo["shaoguan"]) == {
        f"{d.hall.code}/{d.code}" for d in Department.objects.filter(hall__in=city_halls).select_related("hall")
    }


def test_the_city_hall_restricted_routes_to_its_own_departments_only(demo: dict[str, Hall]) -> None:
    CityRouting.objects.create(city=demo["shaoguan"], scope=RoutingScope.OWN_AND_CITY)
    assert routable(demo["shaoguan"]) == {
        f"shaoguan/{d.code}" for d in Department.objects.filter(hall=demo["shaoguan"])
    }


def test_inactive_departments_are_not_routable(demo: dict[str, Hall]) -> None:
    Department.objects.filter(hall=demo["shaoguan"], code="rsj").update(is_active=False)
    Department.objects.filter(hall=demo["wengyuan"], code="gaj").update(is_active=False)

    keys = routable(demo["wengyuan"])

    assert "shaoguan/rsj" not in keys and "wengyuan/gaj" not in keys
    assert "shaoguan/gaj" in keys and "wengyuan/rsj" in keys


def test_the_hall_page_lists_exactly_the_routable_departments(demo: dict[str, Hall]) -> None:
    department_create(hall_code="nanxiong", code="nxonly", name="南雄市专有单位")

    content = client_for("wengyuan_window", "wengyuan").get("/").content.decode()

    for department in Department.objects.select_related("hall"):
        shown = department.name in content
        expected = department.hall.city_id == demo["shaoguan"].pk  # every hall of the city, by default
        assert shown == expected, f"{department.hall.code}/{department.code}"
