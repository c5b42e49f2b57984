"""The discipline inspection role (纪检监察, demo login ``jiwei``): reads the cases, timelines and the
audit trail of every hall of its city, on the pages and the API; changes nothing, never reveals (the
attempt is on record); other cities do not exist for it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from casework.models import Case, CaseEvent
from hallplatform.audit.models import AuditEvent
from hallplatform.audit.services import audit_record
from tenants.models import Hall
from tests.casework.support import register
from tests.casework.web.conftest import in_hall
from tests.conftest import client_for

INSPECTOR = "jiwei"


@pytest.fixture
def wengyuan(demo: dict[str, Hall]) -> Hall:
    in_hall(demo["wengyuan"])
    return demo["wengyuan"]


def state(case: Case) -> tuple[Any, ...]:
    case = Case.objects.get(pk=case.pk)
    return (case.status, case.version, case.retention_hold, CaseEvent.objects.filter(case=case).count())


def test_the_inspector_reads_cases_and_timelines_on_the_pages_and_the_api(wengyuan: Hall) -> None:
    case = register(wengyuan)
    client = client_for(INSPECTOR, "wengyuan")

    responses = {}
    for path in (
        "/cases/", f"/cases/{case.pk}/", f"/cases/{case.pk}/print/registration/", "/api/v1/cases/",
        f"/api/v1/cases/{case.pk}/", f"/api/v1/cases/{case.pk}/timeline/",
    ):  # fmt: skip
        responses[path] = client.get(path)
        in_hall(wengyuan)

    assert {path: r.status_code for path, r in responses.items()} == dict.fromkeys(responses, 200)
    page = responses[f"/cases/{case.pk}/"].content.decode()
    assert "13812345678" not in page and "138****5678" in page  # masked
    assert 'id="steps"' not in page  # no step to take
    assert responses[f"/api/v1/cases/{case.pk}/"].json()["actions"] == []
    assert [e["kind"] for e in responses[f"/api/v1/cases/{case.pk}/timeline/"].json()] == ["registered"]
    assert AuditEvent.objects.filter(action="case.supervisor_view", target_id=str(case.pk)).exists()


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/cases/{id}/answer/", {"category": "consultation", "answer": "答复"}),
        ("/cases/{id}/screen-out/", {"reason": "litigation", "referral": "法院"}),
        ("/cases/{id}/supplement-request/", {"note": "材料", "due": "2099-01-01"}),
        ("/cases/{id}/retention-hold/", {"hold": "True", "reason": "复核"}),
    ],
)
def test_the_inspector_changes_nothing_on_the_pages(wengyuan: Hall, path: str, data: dict[str, str]) -> None:
    case = register(wengyuan)
    before = state(case)

    response = client_for(INSPECTOR, "wengyuan").post(path.format(id=case.pk), {**data, "version": case.version})

    in_hall(wengyuan)
    assert response.status_code in (403, 404)
    assert state(case) == before


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("answer", {"category": "consultation", "answer": "答复"}),
        ("supplement-request", {"note": "材料", "due": None}),
        ("retention-hold", {"hold": True, "reason": "复核"}),
        ("close", {}),
    ],
)
def test_the_inspector_changes_nothing_through_the_api(wengyuan: Hall, path: str, data: dict[str, Any]) -> None:
    case = register(wengyuan)
    before = state(case)
    if path == "supplement-request":
        data = {**data, "due": (timezone.localdate() + timedelta(days=3)).isoformat()}

    response = client_for(INSPECTOR, "wengyuan").post(
        f"/api/v1/cases/{case.pk}/{path}/", {**data, "version": case.version}, content_type="application/json"
    )

    in_hall(wengyuan)
    assert response.status_code in (403, 404)
    assert state(case) == before


def test_the_inspector_never_reveals_and_the_attempt_is_on_record(wengyuan: Hall) -> None:
    case = register(wengyuan)
    client = client_for(INSPECTOR, "wengyuan")

    page = client.post(f"/cases/{case.pk}/reveal/", {"field": "phone"})
    in_hall(wengyuan)
    api = client.post(f"/api/v1/cases/{case.pk}/reveal/", {"field": "free_text"}, content_type="application/json")
    in_hall(wengyuan)
    printed = client.get(f"/cases/{case.pk}/print/registration/?reveal=1")
    in_hall(wengyuan)

    assert (page.status_code, api.status_code, printed.status_code) == (403, 403, 403)
    assert "13812345678" not in page.content.decode() + api.content.decode() + printed.content.decode()
    assert not CaseEvent.objects.filter(case=case, kind="revealed").exists()
    assert not AuditEvent.objects.filter(action="case.reveal").exists()
    refused = AuditEvent.objects.filter(action="case.reveal_refused", target_id=str(case.pk))
    assert refused.count() == 3
    assert {e.changes["field"] for e in refused} == {"phone", "free_text", "applicant_name"}
    assert all(e.actor is not None and e.actor.username == INSPECTOR for e in refused)


def test_another_citys_halls_do_not_exist_for_the_inspector(demo: dict[str, Hall]) -> None:
    in_hall(demo["qingcheng"])
    case = register(demo["qingcheng"], actor="qingcheng_window")
    client = client_for(INSPECTOR, "qingcheng")

    responses = [client.get(path) for path in ("/cases/", f"/cases/{case.pk}/", f"/api/v1/cases/{case.pk}/")]

    assert [r.status_code for r in responses] == [404, 404, 404]


def test_the_inspector_reads_the_audit_trail_of_its_citys_halls_only(demo: dict[str, Hall]) -> None:
    audit_record(action="city.case_retention", hall=demo["shaoguan"], changes={"from": 1, "to": 2})
    audit_record(action="case.retention_hold", hall=demo["wengyuan"], changes={"hold": True})
    audit_record(action="case.retention_hold", hall=demo["qingcheng"], changes={"hold": True})
    client = client_for(INSPECTOR, None)

    page = client.get("/security-log/")
    api = client.get("/api/v1/security-log/")

    assert page.status_code == 200 and api.status_code == 200
    halls = {row["hall"] for row in api.json()["results"]}
    assert {"shaoguan", "wengyuan"} <= halls
    assert "qingcheng" not in halls
    assert client_for(INSPECTOR, None).get("/portal/retention/").status_code == 404  # the supervisor's, not its
