"""hallplatform/headers.py and the Content-Security-Policy (django-csp, settings): every answer the
application makes carries the policy, and none may be kept by a cache unless its view chose so.

Every route of both URL confs is requested, found by introspection as in test_isolation.py, as people
who may see it, so a new page cannot be forgotten.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory

from casework.models import Case, TransferSlip
from hallplatform.accounts.services import api_token_for
from hallplatform.checks import iter_views
from hallplatform.headers import NO_STORE, NoStoreMiddleware
from hallplatform.schemas import use_hall_schema, use_public_schema
from tests.casework.support import draft, register, slips_of, transfer
from tests.conftest import client_for, user
from tests.hallplatform.test_isolation import HALL_ROUTES, PUBLIC_ROUTES, concrete


def directives(header: str) -> dict[str, list[str]]:
    """A policy header as {directive: sources} (django-csp writes the directives in no fixed order)."""
    return {name: values for name, *values in (part.split() for part in header.split(";") if part.strip())}


POLICY = directives(
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
SKIPPED = {
    # It sends a task and waits up to 10 s for a Celery worker: not a page (tests/hallplatform/test_celery_tenant.py).
    "/system/worker-check/",
    # Prometheus' text, answered by MetricsMiddleware before host routing (tests/hallplatform/test_metrics.py).
    "/metrics",
}
_IDS = re.compile(r"<int:(?P<name>\w+)>")


@pytest.fixture
def objects(demo: dict[str, Any]) -> dict[str, int]:
    """A transferred case at wengyuan with its slip to wengyuan/rsj: real ids for the routes."""
    use_hall_schema(demo["wengyuan"])
    case = transfer(register(demo["wengyuan"]), draft("wengyuan/rsj"))
    [slip] = slips_of(case)
    use_public_schema()
    return {"case_id": case.pk, "pk": case.pk, "slip_id": slip.pk}


def path_with(route_path: str, pattern: str, ids: dict[str, int]) -> str:
    """The route's path with the case's and slip's ids where the route names them (1 elsewhere)."""
    names = _IDS.findall(pattern)
    if not names or any(name not in ids for name in names):
        return route_path
    return concrete(_IDS.sub(lambda m: str(ids[m.group("name")]), pattern))


def routes_with_patterns(urlconf: str) -> list[tuple[str, str]]:
    """(pattern, path) of every route of a URL conf, found as test_isolation finds them."""
    return sorted({(route, concrete(route)) for route, _view in iter_views(urlconf)})


def walk(client: Client, urlconf: str, ids: dict[str, int]) -> list[tuple[str, Any]]:
    answers = []
    for pattern, plain in routes_with_patterns(urlconf):
        if plain in SKIPPED:
            continue
        path = path_with(plain, pattern, ids)
        answers.append((path, client.get(path)))
    return answers


def test_the_policy_is_strict() -> None:
    policy = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]

    assert "'unsafe-inline'" not in policy["script-src"] + policy["style-src"]
    assert "'unsafe-eval'" not in policy["script-src"]
    assert policy["frame-ancestors"] == policy["object-src"] == policy["base-uri"] == ["'none'"]


@pytest.mark.parametrize(
    ("username", "hall"),
    [("wengyuan_lead", "wengyuan"), ("wengyuan_rsj", "wengyuan"), (None, "wengyuan")],
)
def test_every_answer_on_a_hall_host_carries_the_policy_and_no_store(
    objects: dict[str, int], username: str | None, hall: str
) -> None:
    client = client_for(username, hall)

    answers = walk(client, settings.ROOT_URLCONF, objects)

    assert len(answers) == len({p for p, _, _ in HALL_ROUTES}) - len(SKIPPED)
    for path, response in answers:
        assert directives(response["Content-Security-Policy"]) == POLICY, path
        assert "no-store" in response["Cache-Control"], path
    pages = [p for p, r in answers if r.status_code == 200 and r["Content-Type"].startswith("text/html")]
    # the walk reached real pages, not only refusals: the case's and the slip's among them
    if username == "wengyuan_lead":
        assert {"/cases/", "/cases/new/", f"/cases/{objects['case_id']}/", "/stats/", "/meetings/"} <= set(pages)
        assert f"/cases/{objects['case_id']}/print/registration/" in pages
    elif username == "wengyuan_rsj":
        assert {f"/slips/{objects['slip_id']}/", f"/slips/{objects['slip_id']}/print/"} <= set(pages)
    else:
        # the login page first asks the city login (hallplatform/accounts/sso.py); its form is there too
        assert dict(answers)["/accounts/login/"].status_code == 302
        form = client.get("/accounts/login/?sso=none")
        assert form.status_code == 200
        assert directives(form["Content-Security-Policy"]) == POLICY
        assert "no-store" in form["Cache-Control"]


@pytest.mark.parametrize("username", ["shaoguan_supervisor", "shaoguan_rsj", "operator", None])
def test_every_answer_on_the_portal_carries_the_policy_and_no_store(objects: dict[str, int], username: str) -> None:
    client = client_for(username, None)

    answers = walk(client, settings.PUBLIC_SCHEMA_URLCONF, objects)

    assert len(answers) == len({p for p, _, _ in PUBLIC_ROUTES}) - len(SKIPPED)
    for path, response in answers:
        assert directives(response["Content-Security-Policy"]) == POLICY, path
        assert "no-store" in response["Cache-Control"], path
    pages = {p for p, r in answers if r.status_code == 200 and r["Content-Type"].startswith("text/html")}
    expected = {
        "shaoguan_supervisor": {"/portal/", "/stats/", "/meetings/"},
        "shaoguan_rsj": {"/inbox/", "/meetings/"},
        "operator": {"/admin/"},
        None: {"/accounts/login/"},
    }[username]
    assert expected <= pages


def test_the_api_docs_run_no_inline_script(demo: dict[str, Any]) -> None:
    client = client_for("wengyuan_window", "wengyuan")

    page = client.get("/api/docs/")
    script = client.get("/api/docs/?script=")

    html = page.content.decode()
    assert page.status_code == 200 and directives(page["Content-Security-Policy"]) == POLICY
    assert "<style" not in html
    assert re.findall(r"<script(?![^>]*\bsrc=)", html) == []  # every script has a src
    assert 'src="/api/docs/?script="' in html
    assert script.status_code == 200 and script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()
    assert "no-store" in script["Cache-Control"]


# --- Personal data is never kept by a cache ---------------------------------------------------------------
def test_pages_and_answers_with_personal_data_are_no_store(objects: dict[str, int], demo: dict[str, Any]) -> None:
    window = client_for("wengyuan_window", "wengyuan")
    department = client_for("wengyuan_rsj", "wengyuan")
    case_id, slip_id = objects["case_id"], objects["slip_id"]
    use_hall_schema(demo["wengyuan"])
    assert Case.objects.filter(pk=case_id).exists() and TransferSlip.objects.filter(pk=slip_id).exists()
    use_public_schema()
    api = client_for(None, "wengyuan")
    token = api_token_for(user=user("wengyuan_window"))

    answers = {
        "case list": window.get("/cases/"),
        "case page": window.get(f"/cases/{case_id}/"),
        "registration form": window.get("/cases/new/"),
        "reveal (htmx)": window.post(f"/cases/{case_id}/reveal/", {"field": "phone"}, HTTP_HX_REQUEST="true"),
        "reveal (page)": window.post(f"/cases/{case_id}/reveal/", {"field": "document_number"}),
        "print registration": window.get(f"/cases/{case_id}/print/registration/"),
        "slip page": department.get(f"/slips/{slip_id}/"),
        "slip print": department.get(f"/slips/{slip_id}/print/"),
        "API case list": api.get("/api/v1/cases/", HTTP_AUTHORIZATION=f"Token {token}"),
        "API case": api.get(f"/api/v1/cases/{case_id}/", HTTP_AUTHORIZATION=f"Token {token}"),
        "API reveal": api.post(
            f"/api/v1/cases/{case_id}/reveal/", {"field": "phone"}, HTTP_AUTHORIZATION=f"Token {token}"
        ),
        "API slip": department.get(f"/api/v1/slips/{slip_id}/"),
    }

    for name, response in answers.items():
        assert response.status_code == 200, name
        assert "no-store" in response["Cache-Control"], name
        assert "private" in response["Cache-Control"], name
    assert "13812345678" in answers["reveal (htmx)"].content.decode()
    assert "13812345678" in answers["API reveal"].content.decode()


def answer_with(cache_control: str | None) -> str:
    def view(request: HttpRequest) -> HttpResponse:
        response = HttpResponse("x")
        if cache_control is not None:
            response["Cache-Control"] = cache_control
        return response

    return str(NoStoreMiddleware(view)(RequestFactory().get("/"))["Cache-Control"])


def test_no_store_is_added_to_what_a_view_chose_unless_it_said_so_itself() -> None:
    assert answer_with(None) == NO_STORE == "no-store, private"
    assert answer_with("no-store") == "no-store"  # the personal exports' own header (analytics/web/exports.py)
    assert set(answer_with("private, no-cache").split(", ")) == {"private", "no-cache", "no-store"}
    assert set(answer_with("max-age=60, public").split(", ")) == {"max-age=60", "private", "no-store"}
