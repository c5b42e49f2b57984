"""Every text the API takes has a maximum length, and a longer one is 400 naming the field, with
nothing written. The operations and their fields are found by walking the OpenAPI schema, so a new
field or endpoint cannot be forgotten. Also: bodies over the limit are 413, deep JSON is 400, and
every answer under /api/ is JSON in the error shape."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from django.apps import apps
from django.db import connection
from django.test import override_settings
from django.utils import timezone, translation
from drf_spectacular.generators import SchemaGenerator

from analytics.selectors import Scope
from analytics.services import suggestion_send
from coordination.models import MeetingResolution
from coordination.services import (
    MeetingDraft,
    OrderDraft,
    ResolutionDraft,
    meeting_convene,
    meeting_record_minutes,
    order_issue,
)
from hallindex.models import SlipIndex
from hallplatform.schemas import use_hall_schema, use_public_schema
from tenants.models import Hall
from tests.casework.api.support import api, register, registration
from tests.casework.support import dept, draft, slips_of, transfer
from tests.casework.support import register as casework_register
from tests.conftest import client_for, user

NO_LIMIT_PROBE = 100_001
PROJECT_APPS = ("casework", "coordination", "analytics", "notifications", "accounts", "deadlines", "workdays")


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return dict(SchemaGenerator().get_schema(request=None, public=True))


def resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        node = schema["components"]["schemas"][name]
    return node


def string_properties(schema: dict[str, Any], node: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """(dotted name, property schema) of every writable string in a request body, nested ones
    (``slips.0.request``, ``case.summary``) included."""
    node = resolve(schema, node)
    for name, prop in node.get("properties", {}).items():
        if prop.get("readOnly"):
            continue
        full = f"{prefix}{name}"
        options = [resolve(schema, p) for p in prop.get("oneOf", prop.get("allOf", []))] or [resolve(schema, prop)]
        for option in options:
            is_text = "enum" not in option and option.get("format") not in ("date", "date-time")
            if option.get("type") == "string" and is_text:
                yield full, prop if "maxLength" in prop else option
            elif option.get("type") == "object":
                yield from string_properties(schema, option, f"{full}.")
            elif option.get("type") == "array" and isinstance(option.get("items"), dict):
                items = resolve(schema, option["items"])
                if items.get("type") == "object":
                    yield from string_properties(schema, items, f"{full}.0.")


def writable_strings(schema: dict[str, Any]) -> list[tuple[str, str, str, Any]]:
    """(method, path, dotted field, property) for every string of every request body."""
    found = []
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if body:
                for name, prop in string_properties(schema, body["schema"]):
                    found.append((method.upper(), path, name, prop))
    return found


def body_with(name: str, value: str) -> dict[str, Any]:
    """A body whose (dotted) field ``name`` holds ``value``."""
    head, _, rest = name.partition(".")
    if not rest:
        return {head: value}
    index, _, tail = rest.partition(".")
    if index.isdigit():
        return {head: [body_with(tail, value)]}
    return {head: body_with(rest, value)}


def row_counts() -> dict[str, int]:
    """Rows of every project table, in the public schema and wengyuan's."""
    counts: dict[str, int] = {}
    for schema_name in ("public", "wengyuan"):
        if schema_name == "public":
            use_public_schema()
        else:
            use_hall_schema(Hall.objects.get(code=schema_name))
        tables = set(connection.introspection.table_names())
        for model in apps.get_models():
            if model._meta.app_label in PROJECT_APPS and model._meta.db_table in tables:
                counts[f"{schema_name}.{model._meta.db_table}"] = model._default_manager.count()
    use_public_schema()
    return counts


def test_every_string_of_every_request_body_has_a_max_length(schema: dict[str, Any]) -> None:
    fields = writable_strings(schema)

    assert len(fields) > 40  # the walk found the API's inputs
    missing = [f"{method} {path} {name}" for method, path, name, prop in fields if "maxLength" not in prop]
    assert missing == []


def test_every_query_string_parameter_has_a_max_length(schema: dict[str, Any]) -> None:
    missing = [
        f"{path} {parameter['name']}"
        for path, item in schema["paths"].items()
        for operation in item.values()
        for parameter in operation.get("parameters", [])
        if parameter["in"] == "query"
        and parameter["schema"].get("type") == "string"
        and "enum" not in parameter["schema"]
        and "format" not in parameter["schema"]
        and "maxLength" not in parameter["schema"]
    ]

    assert missing == []


@pytest.fixture
def ids(demo: object) -> dict[str, int]:
    """One object behind every ``{id}`` route, by the route's first segment."""
    wengyuan = Hall.objects.get(code="wengyuan")
    use_hall_schema(wengyuan)
    case = casework_register(wengyuan)
    transfer(case, draft("wengyuan/rsj"))
    slip = slips_of(case)[0]
    use_public_schema()
    slip_index = SlipIndex.objects.get(hall=wengyuan, slip_id=slip.pk)
    supervisor = user("shaoguan_supervisor")
    lead_department = dept("shaoguan/rsj").pk
    meeting = meeting_convene(
        actor=supervisor,
        hall=None,
        draft=MeetingDraft(
            subject="协调", starts_at=timezone.now(), agenda="议程", place="会议室",
            lead_department_id=lead_department, department_ids=[lead_department],
        ),
    )  # fmt: skip
    meeting_record_minutes(
        actor=supervisor, meeting=meeting, minutes="纪要", outcome="结论",
        resolutions=[ResolutionDraft(owner_department_id=lead_department, action="事项", days=2)],
    )  # fmt: skip
    order = order_issue(
        actor=supervisor,
        hall=None,
        draft=OrderDraft(
            target_hall_id=wengyuan.pk, target_department_id=dept("wengyuan/rsj").pk, reason="不给办",
            required_action="办结", days=3, case=None, slip_id=slip_index.pk,
        ),
    )  # fmt: skip
    suggestion = suggestion_send(
        actor=user("wengyuan_lead"),
        scope=Scope.of_hall(wengyuan),
        department_id=dept("wengyuan/rsj").pk,
        finding="社保卡补办反映较多",
        suggestion="优化补办流程",
    )
    return {
        "cases": case.pk,
        "slips": slip.pk,
        "meetings": meeting.pk,
        "resolutions": MeetingResolution.objects.get(meeting=meeting).pk,
        "orders": order.pk,
        "slip-index": slip_index.pk,
        "stats": suggestion.pk,
    }


# Who may call what: each route is tried as each of them until one gets past the access checks.
CALLERS = [
    ("wengyuan_lead", "wengyuan"),
    ("wengyuan_rsj", "wengyuan"),
    ("wengyuan_rsj_lead", "wengyuan"),
    ("shaoguan_supervisor", None),
    ("shaoguan_rsj", None),
    ("wengyuan_rsj_lead", None),
]


def test_a_text_over_its_max_length_is_400_naming_the_field_and_nothing_is_written(
    ids: dict[str, int], schema: dict[str, Any]
) -> None:
    # given
    clients = [api(username, code) for username, code in CALLERS]
    before = row_counts()
    refused: list[str] = []

    # when: every string field of every request body, one at a time, one character too long
    for method, path, name, prop in writable_strings(schema):
        too_long = "长" * (prop.get("maxLength", NO_LIMIT_PROBE - 1) + 1)
        url = path.replace("{id}", str(ids[path.split("/")[3]])) if "{id}" in path else path
        answers = []
        for client in clients:
            response = client.post(url, body_with(name, too_long))
            body = response.json()
            answers.append((response.status_code, body.get("code"), sorted(body.get("fields", {}))))
            # then
            if response.status_code == 400 and body.get("code") == "invalid" and name in body["fields"]:
                break
        else:
            refused.append(f"{method} {path} {name}: {answers}")

    assert refused == []
    assert row_counts() == before


def test_the_registration_refuses_the_reported_sizes(demo: object) -> None:
    before = row_counts()
    window = api("wengyuan_window")

    name = window.post("/api/v1/cases/", registration(applicant_name="张" * 100_000))
    remarks = window.post("/api/v1/cases/", registration(remarks="备" * 5_000))

    assert name.status_code == 400
    assert set(name.json()["fields"]) == {"applicant_name"}
    assert remarks.status_code == 400
    assert set(remarks.json()["fields"]) == {"remarks"}
    assert row_counts() == before


def test_the_longest_texts_allowed_are_kept_whole(demo: object) -> None:
    case = register(applicant_name="张" * 100, remarks="备" * 2000, matter_name="事" * 200)

    assert len(case["remarks"]) == 2000
    assert len(case["matter_name"]) == 200


@override_settings(REQUEST_BODY_MAX_BYTES=4096)
def test_a_body_over_the_limit_is_413_in_the_error_shape_and_nothing_is_written(demo: object) -> None:
    before = row_counts()
    window = api("wengyuan_window")

    response = window.client.post(
        "/api/v1/cases/", json.dumps(registration(remarks="x" * 5000)), content_type="application/json"
    )

    assert response.status_code == 413
    assert response.json()["code"] == "request_too_large"
    assert set(response.json()) == {"code", "message", "fields"}
    assert row_counts() == before


@override_settings(REQUEST_BODY_MAX_BYTES=4096)
def test_a_form_over_the_limit_is_413_on_a_page(demo: object) -> None:
    response = client_for("wengyuan_window", "wengyuan").post(
        "/cases/new/", urlencode({"remarks": "x" * 5000}), content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 413
    assert response["Content-Type"].startswith("text/plain")


@override_settings(REQUEST_BODY_MAX_BYTES=4096, UPLOAD_BODY_MAX_BYTES=64 * 1024)
def test_an_upload_has_its_own_limit(demo: object) -> None:
    client = client_for("wengyuan_window", "wengyuan")

    small_upload = client.post("/api/v1/cases/", {"file": ("x" * 8000)})
    large_upload = client.post("/api/v1/cases/", {"file": ("x" * 70_000)})

    assert small_upload.status_code != 413
    assert large_upload.status_code == 413


def test_the_default_limit_refuses_a_3_mb_body(demo: object) -> None:
    before = row_counts()
    response = api("wengyuan_window").client.post(
        "/api/v1/cases/", json.dumps(registration(remarks="x" * 3_000_000)), content_type="application/json"
    )

    assert response.status_code == 413
    assert row_counts() == before


def test_deeply_nested_json_is_400_not_a_recursion_error(demo: object) -> None:
    before = row_counts()
    window = api("wengyuan_window")

    brackets = window.client.post("/api/v1/cases/", "[" * 50_000, content_type="application/json")
    nested: Any = "x"
    for _ in range(40):
        nested = [nested]
    closed = window.client.post(
        "/api/v1/cases/", json.dumps(registration(remarks=nested)), content_type="application/json"
    )

    assert brackets.status_code == 400
    assert brackets.json()["code"] == "parse_error"
    assert closed.status_code == 400
    assert closed.json()["code"] == "parse_error"
    assert row_counts() == before


@pytest.mark.parametrize(
    "path", ["/api/v1/cases/abc/", "/api/v1/cases/1x/timeline/", "/api/v1/nowhere/", "/api/v1/slips/-1/"]
)
def test_an_unknown_api_path_is_json_404(demo: object, path: str) -> None:
    response = api("wengyuan_window").get(path)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "not_found"
    assert set(response.json()) == {"code", "message", "fields"}


def test_a_page_outside_the_api_stays_html(demo: object) -> None:
    response = client_for("wengyuan_window", "wengyuan").get("/cases/abc/")

    assert response.status_code == 404
    assert not response["Content-Type"].startswith("application/json")


@pytest.mark.parametrize("path", ["/api/v1/cases/", "/api/v1/notices/", "/api/v1/inbox/"])
@pytest.mark.parametrize("query", ["page=abc", "page=0", "page_size=x", "page=%C2%B2"])
def test_a_page_number_that_is_not_a_number_is_400(demo: object, path: str, query: str) -> None:
    user = "wengyuan_window" if path != "/api/v1/inbox/" else "wengyuan_rsj"
    response = api(user).client.get(f"{path}?{query}")

    assert response.status_code == 400
    assert set(response.json()["fields"]) == {query.split("=")[0]}


def test_a_null_character_is_named_with_a_true_message(demo: object) -> None:
    before = row_counts()

    response = api("wengyuan_window").post("/api/v1/cases/", registration(applicant_name="张\x00三"))

    assert response.status_code == 400
    with translation.override("zh-hans"):
        expected = translation.gettext("Text may not contain a null character (\\0).")
    assert response.json()["fields"] == {"applicant_name": [expected]}
    assert row_counts() == before
