"""Provisioning a hall: `tenants/services.py: hall_create` and `manage.py create_hall`.

A hall is a row, its own PostgreSQL schema (cloned from the template schema) and its domain
`<code>.<BASE_DOMAIN>`. A refusal names the field and leaves none of the three behind.
"""

from __future__ import annotations

from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.models.signals import pre_save
from django.test import Client
from django_tenants.signals import post_schema_sync
from django_tenants.utils import schema_exists

from tenants.models import Department, Domain, Hall
from tenants.routing import _MISS, _key, forget_all_hosts
from tenants.services import RESERVED_CODES, hall_create, hall_schema_name
from tests.conftest import host_of

# Region codes no demo hall uses (the demo holds 440200 and its ten counties).
FREE_REGION = "440299"


@pytest.fixture(autouse=True)
def _fresh_routes(db: None) -> Iterator[None]:
    # Redis is not rolled back with the test transaction: drop routes cached for rows that vanish.
    forget_all_hosts()
    yield
    forget_all_hosts()


def schemata() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT schema_name FROM information_schema.schemata")
        return {row[0] for row in cursor.fetchall()}


def directory() -> dict[str, Any]:
    """Everything provisioning may touch: rows of the directory and the database's schemas."""
    return {
        "halls": sorted(Hall.objects.values_list("id", "code", "schema_name", "region_code", "is_active")),
        "domains": sorted(Domain.objects.values_list("id", "domain", "tenant_id")),
        "departments": Department.objects.count(),
        "schemata": schemata(),
    }


def migrations_in(schema: str) -> set[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT app, name FROM "{schema}".django_migrations')  # noqa: S608 (our own name)
        return set(cursor.fetchall())


def county(**overrides: Any) -> dict[str, Any]:
    """Arguments of a valid new county hall under the demo city, with some replaced."""
    return {
        "code": "xinhall",
        "name": "新区政务服务中心",
        "level": "county",
        "region_code": FREE_REGION,
        "parent_code": "shaoguan",
    } | overrides


# --- success --------------------------------------------------------------------------------------


def test_hall_create_makes_row_schema_migrations_and_domain(demo: dict[str, Hall]) -> None:
    # given the hall's code is not in use
    assert not schema_exists("hall_xinhall")

    # when
    hall = hall_create(**county())

    # then the row, linked to its city
    hall.refresh_from_db()
    assert (hall.code, hall.level, hall.parent_id, hall.region_code, hall.is_active) == (
        "xinhall",
        "county",
        demo["shaoguan"].pk,
        FREE_REGION,
        True,
    )
    # its own schema, cloned from the template and recorded as migrated like it
    assert hall.schema_name == hall_schema_name("xinhall") == "hall_xinhall"
    assert schema_exists("hall_xinhall")
    assert migrations_in("hall_xinhall") == migrations_in("hall_template") != set()
    # and its one domain
    assert list(Domain.objects.filter(tenant=hall).values_list("domain", "is_primary")) == [("xinhall.localhost", True)]


def test_hall_create_makes_a_city_hall_without_parent(demo: dict[str, Hall]) -> None:
    hall = hall_create(code="meizhou", name="梅州市政务服务中心", level="city", region_code="441400")

    assert (hall.level, hall.parent_id) == ("city", None)
    assert hall.city_id == hall.pk
    assert schema_exists("hall_meizhou")
    assert Domain.objects.filter(domain="meizhou.localhost", tenant=hall).exists()


def test_create_hall_command(demo: dict[str, Hall]) -> None:
    out = StringIO()

    call_command(
        "create_hall",
        "xinhall",
        "新区政务服务中心",
        "--level",
        "county",
        "--city",
        "shaoguan",
        "--region",
        FREE_REGION,
        stdout=out,
    )

    assert "xinhall" in out.getvalue() and "hall_xinhall" in out.getvalue()
    hall = Hall.objects.get(code="xinhall")
    assert (hall.parent_id, hall.region_code, hall.is_active) == (demo["shaoguan"].pk, FREE_REGION, True)
    assert schema_exists("hall_xinhall")
    assert Domain.objects.filter(domain="xinhall.localhost", tenant=hall, is_primary=True).exists()


def test_created_hall_answers_on_its_host_at_once_even_after_a_cached_miss(demo: dict[str, Hall]) -> None:
    # given the host was asked for before the hall existed, and the miss is cached
    client = Client(HTTP_HOST=host_of("xinhall"))
    assert client.get("/").status_code == 404
    assert cache.get(_key(host_of("xinhall"))) == _MISS

    # when the hall is created
    hall_create(**county())

    # then its host answers at once: the hall's login page, not a 404
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/"
    login_page = client.get("/accounts/login/?sso=none")  # the hall's own form (without asking the city login)
    assert login_page.status_code == 200
    assert "新区政务服务中心".encode() in login_page.content
    assert login_page.wsgi_request.tenant.schema_name == "hall_xinhall"


def test_inactive_hall_is_created_but_does_not_answer(demo: dict[str, Hall]) -> None:
    call_command(
        "create_hall",
        "xinhall",
        "新区",
        "--level",
        "county",
        "--city",
        "shaoguan",
        "--region",
        FREE_REGION,
        "--inactive",
    )

    assert Hall.objects.get(code="xinhall").is_active is False
    assert schema_exists("hall_xinhall")
    assert Client(HTTP_HOST=host_of("xinhall")).get("/").status_code == 404


# --- refusals ---------------------------------------------------------------------------------------

REFUSALS = [
    # (id, arguments, the field the error names)
    ("code-with-hyphen", county(code="xin-hall"), "code"),
    ("code-uppercase", county(code="XinHall"), "code"),
    ("code-underscore", county(code="xin_hall"), "code"),
    ("code-chinese", county(code="新区"), "code"),
    ("code-with-quote", county(code='x"y'), "code"),
    ("code-empty", county(code=""), "code"),
    ("code-too-long", county(code="x" * 41), "code"),
    ("code-duplicate", county(code="wengyuan"), "code"),
    ("code-duplicate-city", county(code="shaoguan"), "code"),
    *[(f"code-reserved-{code}", county(code=code), "code") for code in sorted(RESERVED_CODES)],
    ("region-5-digits", county(region_code="44029"), "region_code"),
    ("region-7-digits", county(region_code="4402999"), "region_code"),
    ("region-letters", county(region_code="44o299"), "region_code"),
    ("region-empty", county(region_code=""), "region_code"),
    ("region-duplicate", county(region_code="440229"), "region_code"),
    ("county-without-city", county(parent_code=None), "parent"),
    ("county-unknown-city", county(parent_code="nosuchcity"), "parent"),
    ("county-under-a-county", county(parent_code="wengyuan"), "parent"),
    ("city-with-a-parent", county(level="city"), "parent"),
    ("level-unknown", county(level="province"), "level"),
    ("name-empty", county(name="  "), "name"),
]


@pytest.mark.parametrize(
    ("arguments", "field"), [pytest.param(a, f, id=i) for i, a, f in REFUSALS]
)  # fmt: skip
def test_hall_create_refuses_naming_the_field_and_leaves_nothing(
    demo: dict[str, Hall], arguments: dict[str, Any], field: str
) -> None:
    # given
    before = directory()

    # when
    with pytest.raises(ValidationError) as refused:
        hall_create(**arguments)

    # then the error names the field, and only that field
    assert set(refused.value.message_dict) == {field}, refused.value.message_dict
    assert all(refused.value.message_dict[field])
    # and nothing changed: no row, no domain, no schema
    assert directory() == before


def test_duplicate_domain_is_refused_on_code(demo: dict[str, Hall]) -> None:
    # given wengyuan also answers on xinhall.localhost
    Domain.objects.create(domain="xinhall.localhost", tenant=demo["wengyuan"], is_primary=False)
    before = directory()

    with pytest.raises(ValidationError) as refused:
        hall_create(**county())

    assert set(refused.value.message_dict) == {"code"}
    assert "xinhall.localhost" in " ".join(refused.value.message_dict["code"])
    assert directory() == before
    assert not schema_exists("hall_xinhall")


def test_several_mistakes_are_named_at_once(demo: dict[str, Hall]) -> None:
    before = directory()

    with pytest.raises(ValidationError) as refused:
        hall_create(**county(code="Bad", region_code="12", parent_code=None))

    assert set(refused.value.message_dict) == {"code", "region_code", "parent"}
    assert directory() == before


COMMAND_REFUSALS = [
    # (id, command arguments, text the error must contain: the argument to correct)
    ("code", ["xin-hall", "新区", "--level", "county", "--city", "shaoguan", "--region", FREE_REGION], "code:"),
    ("duplicate", ["wengyuan", "翁源", "--level", "county", "--city", "shaoguan", "--region", FREE_REGION], "code:"),
    ("reserved", ["template", "模板", "--level", "county", "--city", "shaoguan", "--region", FREE_REGION], "code:"),
    ("region", ["xinhall", "新区", "--level", "county", "--city", "shaoguan", "--region", "4402"], "--region:"),
    ("region-dup", ["xinhall", "新区", "--level", "county", "--city", "shaoguan", "--region", "440229"], "--region:"),
    ("no-city", ["xinhall", "新区", "--level", "county", "--region", FREE_REGION], "--city:"),
    (
        "unknown-city",
        ["xinhall", "新区", "--level", "county", "--city", "guangzhou", "--region", FREE_REGION],
        "--city:",
    ),
    ("level", ["xinhall", "新区", "--level", "province", "--region", FREE_REGION], "--level"),
]


@pytest.mark.parametrize(
    ("arguments", "names"), [pytest.param(a, n, id=i) for i, a, n in COMMAND_REFUSALS]
)  # fmt: skip
def test_create_hall_command_refuses_naming_the_argument(
    demo: dict[str, Hall], arguments: list[str], names: str
) -> None:
    before = directory()

    with pytest.raises(CommandError) as refused:
        call_command("create_hall", *arguments)

    assert names in str(refused.value)
    assert directory() == before


# --- atomicity: a failure after the schema was created leaves nothing -------------------------------


def test_domain_conflict_after_schema_creation_rolls_everything_back(demo: dict[str, Hall]) -> None:
    """A real unique-constraint violation on the domain, after the schema exists.

    Another provisioning takes `xinhall.localhost` between hall_create's checks and its insert of the
    domain: here a receiver of django-tenants' post_schema_sync (sent once the schema is cloned and
    migrated) inserts it, so the database itself refuses hall_create's domain.
    """
    seen: dict[str, bool] = {}

    def take_the_domain(sender: Any, tenant: Hall, **kwargs: Any) -> None:
        seen["schema existed"] = schema_exists(tenant.schema_name)
        seen["row existed"] = Hall.objects.filter(pk=tenant.pk).exists()
        Domain.objects.create(domain="xinhall.localhost", tenant=demo["wengyuan"], is_primary=False)

    before = directory()
    post_schema_sync.connect(take_the_domain)
    try:
        with pytest.raises(ValidationError) as refused:
            hall_create(**county())
    finally:
        post_schema_sync.disconnect(take_the_domain)

    # the failure came after the schema and the row were made
    assert seen == {"schema existed": True, "row existed": True}
    assert set(refused.value.message_dict) == {"code"}
    # and neither is left: no hall row, no schema, no domain
    assert not Hall.objects.filter(code="xinhall").exists()
    assert not schema_exists("hall_xinhall")
    assert directory() == before


def test_hall_row_conflict_is_a_validation_error_and_leaves_no_schema(demo: dict[str, Hall]) -> None:
    """A concurrent provisioning inserts the same region code after hall_create checked it."""

    def insert_the_same_region(sender: Any, instance: Hall, **kwargs: Any) -> None:
        if instance.code == "xinhall":
            # bulk_create: a bare row, as another process would have committed it (no schema needed)
            Hall.objects.bulk_create(
                [Hall(code="racer", name="并发", level="city", region_code=FREE_REGION, schema_name="hall_racer")]
            )

    before = directory()
    pre_save.connect(insert_the_same_region, sender=Hall)
    try:
        with pytest.raises(ValidationError) as refused:
            hall_create(**county())
    finally:
        pre_save.disconnect(insert_the_same_region, sender=Hall)

    assert set(refused.value.message_dict) == {"code"}
    assert not schema_exists("hall_xinhall")
    assert directory() == before


def test_unexpected_failure_after_schema_creation_leaves_nothing(
    demo: dict[str, Hall], monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, bool] = {}

    def broken_create(**kwargs: Any) -> Domain:
        seen["schema existed"] = schema_exists(kwargs["tenant"].schema_name)
        raise RuntimeError("the database went away")

    before = directory()
    monkeypatch.setattr("tenants.services.Domain.objects.create", broken_create)

    with pytest.raises(RuntimeError, match="went away"):
        hall_create(**county())

    assert seen == {"schema existed": True}
    assert not Hall.objects.filter(code="xinhall").exists()
    assert not schema_exists("hall_xinhall")
    assert directory() == before


def test_a_refused_code_can_be_provisioned_once_corrected(demo: dict[str, Hall]) -> None:
    # given a refusal after the schema was made (nothing left behind) ...
    def refuse(sender: Any, tenant: Hall, **kwargs: Any) -> None:
        raise RuntimeError("refused")

    post_schema_sync.connect(refuse)
    try:
        with pytest.raises(RuntimeError):
            hall_create(**county())
    finally:
        post_schema_sync.disconnect(refuse)

    # ... the same code and region code are free: a second attempt succeeds
    hall = hall_create(**county())
    assert schema_exists(hall.schema_name)
    assert Domain.objects.filter(tenant=hall).count() == 1
