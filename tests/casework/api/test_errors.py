"""Refusals through the API: the one error shape, 409 for a state conflict, fields named as the services
name them, and nothing changed by a refused request."""

from __future__ import annotations

from typing import Any

import pytest

from casework.choices import CaseStatus
from hallplatform.accounts.services import api_token_for
from hallplatform.audit.models import AuditEvent
from tests.casework.api.support import api, case_row, counts, dept, register, registration
from tests.casework.web.conftest import zh
from tests.conftest import user

# The refusal of a phone that is neither a mobile nor a landline (hallplatform.personal.normalise_phone).
PHONE_MESSAGE = (
    "Enter a mainland mobile number (11 digits starting with 13 to 19) or a landline with its area code, "
    "e.g. 0751-8888888, possibly with an extension (0751-8888888-123)."
)


def transfer_body(version: int, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "version": version,
        "category": "hard_to_do",
        "slips": [{"department": dept("wengyuan/rsj").pk, "request": "核实参保记录"}],
    }
    body.update(changes)
    return body


def test_a_step_the_state_does_not_allow_is_409_invalid_transition(demo: object) -> None:
    window = api("wengyuan_window")
    case = register(window)
    before = counts()

    # when the window closes a case just registered
    response = window.post(f"/api/v1/cases/{case['id']}/close/", {"version": case["version"]})

    # then 409, in Chinese, naming the status; nothing changed
    assert response.status_code == 409
    assert response.json() == {
        "code": "invalid_transition",
        "message": "案件处于“已登记”状态，不能进行此操作。",
        "fields": {"status": ["案件处于“已登记”状态，不能进行此操作。"]},
    }
    assert counts() == before
    assert case_row(case["id"]).status == CaseStatus.REGISTERED


def test_concurrent_changes_one_wins_the_other_is_409_conflict(demo: object) -> None:
    window, lead = api("wengyuan_window"), api("wengyuan_lead")
    case = register(window)
    path = f"/api/v1/cases/{case['id']}"
    # given two people who read the same version
    version = window.get(f"{path}/").json()["version"]
    assert lead.get(f"{path}/").json()["version"] == version

    # when both change it
    first = window.post(f"{path}/answer/", {"version": version, "category": "consultation", "answer": "窗口的答复"})
    before = counts()
    second = lead.post(f"{path}/transfer/", transfer_body(version))

    # then the first wins; the second is told to reload, and nothing of it is written
    assert first.status_code == 200
    assert second.status_code == 409
    assert second.json() == {
        "code": "conflict",
        "message": "该案件已被他人修改，请刷新后重试。",
        "fields": {"version": ["该案件已被他人修改，请刷新后重试。"]},
    }
    assert counts() == before
    stored = case_row(case["id"])
    assert stored.status == CaseStatus.ANSWERED and stored.answer == "窗口的答复"
    assert stored.version == first.json()["version"] == version + 1


def test_concurrent_slip_changes_are_409_conflict(demo: object) -> None:
    window, county = api("wengyuan_window"), api("wengyuan_rsj")
    case = register(window)
    slip = window.post(f"/api/v1/cases/{case['id']}/transfer/", transfer_body(case["version"])).json()["slips"][0]

    assert county.post(f"/api/v1/slips/{slip['id']}/receive/", {"version": slip["version"]}).status_code == 200
    before = counts()
    stale = county.post(f"/api/v1/slips/{slip['id']}/return/", {"version": slip["version"], "reason": "不属本单位"})

    assert stale.status_code == 409 and stale.json()["code"] == "conflict"
    assert list(stale.json()["fields"]) == ["version"]
    assert counts() == before


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"phone": "12345"}, "phone", PHONE_MESSAGE),
        ({"applicant_name": "  "}, "applicant_name", None),
        ({"document_number": "110105194912310021"}, "document_number", None),
        ({"channel": "online"}, "channel", None),
    ],
)
def test_refused_registration_names_the_field_and_keeps_nothing(
    demo: object, changes: dict[str, Any], field: str, message: str | None
) -> None:
    before = counts()

    response = api("wengyuan_window").post("/api/v1/cases/", registration(**changes))

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and field in body["fields"]
    if message is not None:
        assert body["fields"][field] == [zh(message)]
    assert counts() == before


def test_registration_without_fields_names_each_missing_one(demo: object) -> None:
    response = api("wengyuan_window").post("/api/v1/cases/", {})

    assert response.status_code == 400
    assert {"channel", "applicant_kind", "applicant_name", "phone", "document_type", "document_number"} <= set(
        response.json()["fields"]
    )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"slips": [{"department": 999999, "request": "x"}]}, "slips.0.department"),
        ({"slips": [{"department": "nanxiong", "request": "x"}]}, "slips.0.department"),
        ({"slips": [{"department": None, "request": "x"}]}, "slips.0.department"),
        ({"slips": [{"department": 0, "request": "x"}, {"department": 0, "request": " "}]}, "slips.1.request"),
        ({"slips": []}, "slips"),
        ({"slips": [], "meeting_requested": True}, "meeting_request_note"),
        ({"category": "nonsense"}, "category"),
        ({"version": None}, "version"),
    ],
)
def test_refused_transfer_names_the_field_and_changes_nothing(
    demo: object, changes: dict[str, Any], field: str
) -> None:
    window = api("wengyuan_window")
    case = register(window)
    body = {**transfer_body(case["version"]), **changes}
    for slip in body["slips"]:
        if slip.get("department") == 0:
            slip["department"] = dept("wengyuan/rsj").pk
    before = counts()

    response = window.post(f"/api/v1/cases/{case['id']}/transfer/", body)

    assert response.status_code == 400, response.content.decode()
    assert response.json()["code"] == "invalid"
    assert field in response.json()["fields"], response.json()
    assert counts() == before
    assert case_row(case["id"]).status == CaseStatus.REGISTERED


def test_transfer_to_another_citys_department_is_refused_in_chinese(demo: object) -> None:
    window = api("wengyuan_window")
    case = register(window)
    before = counts()

    body = transfer_body(case["version"], slips=[{"department": dept("qingcheng/rsj").pk, "request": "x"}])
    response = window.post(f"/api/v1/cases/{case['id']}/transfer/", body)

    assert response.status_code == 400
    assert response.json()["fields"] == {"slips.0.department": ["请选择本大厅可转办的部门单位。"]}
    assert counts() == before


def test_refused_slip_steps_name_the_field(demo: object) -> None:
    window, county = api("wengyuan_window"), api("wengyuan_rsj")
    case = register(window)
    case = window.post(f"/api/v1/cases/{case['id']}/transfer/", transfer_body(case["version"])).json()
    slip = case["slips"][0]
    before = counts()

    no_reply = county.post(
        f"/api/v1/slips/{slip['id']}/reply/", {"version": slip["version"], "result": "done", "reply": ""}
    )
    no_note = county.post(
        f"/api/v1/slips/{slip['id']}/reply/", {"version": slip["version"], "result": "supplement", "reply": "缺材料"}
    )
    no_reason = county.post(f"/api/v1/slips/{slip['id']}/return/", {"version": slip["version"], "reason": " "})
    not_returned = window.post(
        f"/api/v1/slips/{slip['id']}/reroute/", {"version": slip["version"], "department": dept("wengyuan/scjgj").pk}
    )

    assert (no_reply.status_code, list(no_reply.json()["fields"])) == (400, ["reply"])
    assert (no_note.status_code, list(no_note.json()["fields"])) == (400, ["supplement_note"])
    assert (no_reason.status_code, list(no_reason.json()["fields"])) == (400, ["reason"])
    assert (not_returned.status_code, not_returned.json()["code"]) == (409, "invalid_transition")
    assert counts() == before


def test_refused_reroute_names_the_windows_fields(demo: object) -> None:
    window, county = api("wengyuan_window"), api("wengyuan_rsj")
    case = register(window)
    slip = window.post(f"/api/v1/cases/{case['id']}/transfer/", transfer_body(case["version"])).json()["slips"][0]
    slip = county.post(f"/api/v1/slips/{slip['id']}/return/", {"version": slip["version"], "reason": "非本单位"}).json()
    before = counts()

    same = window.post(
        f"/api/v1/slips/{slip['id']}/reroute/", {"version": slip["version"], "department": dept("wengyuan/rsj").pk}
    )
    elsewhere = window.post(
        f"/api/v1/slips/{slip['id']}/reroute/", {"version": slip["version"], "department": dept("qingcheng/rsj").pk}
    )

    assert same.status_code == 400 and list(same.json()["fields"]) == ["department"]
    assert elsewhere.status_code == 400
    assert elsewhere.json()["fields"] == {"department": ["请选择本大厅可转办的部门单位。"]}
    assert counts() == before


def test_withdrawing_the_only_slip_is_409_and_changes_nothing(demo: object) -> None:
    window, county = api("wengyuan_window"), api("wengyuan_rsj")
    case = register(window)
    slip = window.post(f"/api/v1/cases/{case['id']}/transfer/", transfer_body(case["version"])).json()["slips"][0]
    slip = county.post(f"/api/v1/slips/{slip['id']}/return/", {"version": slip["version"], "reason": "非本单位"}).json()
    before = counts()

    response = window.post(f"/api/v1/slips/{slip['id']}/withdraw/", {"version": slip["version"], "reason": "不需要"})

    assert response.status_code == 409 and response.json()["code"] == "invalid_transition"
    assert counts() == before


def test_feedback_by_sms_to_a_person_who_opted_out_is_refused(demo: object) -> None:
    window, county = api("wengyuan_window"), api("wengyuan_rsj")
    case = register(window, sms_opt_out=True)
    case = window.post(f"/api/v1/cases/{case['id']}/transfer/", transfer_body(case["version"])).json()
    slip = case["slips"][0]
    county.post(f"/api/v1/slips/{slip['id']}/reply/", {"version": slip["version"], "result": "done", "reply": "办结"})
    case = window.get(f"/api/v1/cases/{case['id']}/").json()
    before = counts()

    response = window.post(
        f"/api/v1/cases/{case['id']}/feedback/",
        {"version": case["version"], "method": "phone", "content": "已告知", "send_sms": True},
    )

    assert response.status_code == 400 and list(response.json()["fields"]) == ["send_sms"]
    assert counts() == before
    # and the person may change their mind
    opted_in = window.post(f"/api/v1/cases/{case['id']}/sms-opt-out/", {"version": case["version"], "opt_out": False})
    assert opted_in.status_code == 200 and opted_in.json()["sms_opt_out"] is False


def test_reopening_a_satisfied_case_is_409(demo: object) -> None:
    window = api("wengyuan_window")
    case = register(window)
    path = f"/api/v1/cases/{case['id']}"
    case = window.post(
        f"{path}/answer/", {"version": case["version"], "category": "consultation", "answer": "告知"}
    ).json()
    case = window.post(
        f"{path}/follow-up/",
        {"version": case["version"], "method": "phone", "date": "2000-01-01", "satisfaction": "very_satisfied"},
    ).json()
    before = counts()

    response = window.post(f"{path}/reopen/", {"version": case["version"], "reason": "再议"})

    assert response.status_code == 409 and response.json()["code"] == "invalid_transition"
    assert counts() == before


def test_a_follow_up_in_the_future_is_refused(demo: object) -> None:
    window = api("wengyuan_window")
    case = register(window)
    path = f"/api/v1/cases/{case['id']}"
    case = window.post(
        f"{path}/answer/", {"version": case["version"], "category": "consultation", "answer": "告知"}
    ).json()
    before = counts()

    response = window.post(
        f"{path}/follow-up/",
        {"version": case["version"], "method": "phone", "date": "2999-01-01", "satisfaction": "satisfied"},
    )

    assert response.status_code == 400 and list(response.json()["fields"]) == ["date"]
    assert counts() == before


# --- Reveal, lookup, repeat reporters, tokens --------------------------------------------------------------


def test_reveal_shows_one_field_and_is_audited(demo: object) -> None:
    window = api("wengyuan_window")
    case = register(window)
    audits = AuditEvent.objects.filter(action="case.reveal").count()

    response = window.post(f"/api/v1/cases/{case['id']}/reveal/", {"field": "phone"})

    assert response.status_code == 200
    assert response.json() == {"field": "phone", "value": "13812345678"}
    assert AuditEvent.objects.filter(action="case.reveal").count() == audits + 1
    kinds = [e["kind"] for e in window.get(f"/api/v1/cases/{case['id']}/timeline/").json()]
    assert kinds[-1] == "revealed"


@pytest.mark.parametrize("username", ["shaoguan_supervisor"])
def test_reveal_without_the_grant_is_403_and_not_recorded(demo: object, username: str) -> None:
    case = register()
    before = counts()

    response = api(username).post(f"/api/v1/cases/{case['id']}/reveal/", {"field": "document_number"})

    assert response.status_code == 403
    assert response.json() == {
        "code": "permission_denied",
        "message": "您无权查看该办事人的个人信息明文。",
        "fields": {},
    }
    assert counts() == before


def test_a_department_reveals_only_with_the_grant(demo: object) -> None:
    window = api("wengyuan_window")
    case = register(window)
    slip = window.post(f"/api/v1/cases/{case['id']}/transfer/", transfer_body(case["version"])).json()["slips"][0]

    assert api("wengyuan_rsj").post(f"/api/v1/slips/{slip['id']}/reveal/", {"field": "phone"}).status_code == 403
    response = api("wengyuan_rsj").post(f"/api/v1/slips/{slip['id']}/reveal/", {"field": "problem"})
    assert response.status_code == 400 and list(response.json()["fields"]) == ["field"]


def test_repeat_reporter_is_found_at_registration_and_by_lookup(demo: object) -> None:
    window = api("wengyuan_window")
    first = register(window)

    # the same person comes again, the phone spelt differently
    second = register(window, phone="138-1234-5678", matter_name="医保报销")

    assert second["earlier_cases"] == {"count": 1, "numbers": [first["number"]]}
    by_phone = window.get("/api/v1/cases/lookup/", phone="１３８１２３４５６７８").json()
    assert by_phone["count"] == 2
    assert [c["number"] for c in by_phone["cases"]] == [second["number"], first["number"]]
    assert set(by_phone["cases"][0]) == {
        "id",
        "number",
        "status",
        "status_label",
        "matter_name",
        "handling_category",
        "registered_at",
    }
    by_document = window.get("/api/v1/cases/lookup/", document_type="resident_id", document_number="11010519491231002X")
    assert by_document.json()["count"] == 2
    by_filter = window.get("/api/v1/cases/", phone="13812345678").json()
    assert by_filter["count"] == 2


@pytest.mark.parametrize(
    ("params", "field"), [({}, "phone"), ({"phone": "12"}, "phone"), ({"document_type": "x"}, "document_type")]
)
def test_lookup_needs_a_readable_phone_or_document(demo: object, params: dict[str, str], field: str) -> None:
    response = api("wengyuan_window").get("/api/v1/cases/lookup/", **params)

    assert response.status_code == 400
    assert list(response.json()["fields"]) == [field]


def test_bad_list_filters_are_400(demo: object) -> None:
    response = api("wengyuan_window").get("/api/v1/cases/", registered_from="yesterday", status="nonsense")

    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"registered_from", "status"}


def test_blank_filters_are_no_filters(demo: object) -> None:
    register()
    blank = {name: "" for name in ("status", "category", "channel", "number", "matter", "phone", "registered_from")}

    response = api("wengyuan_window").get("/api/v1/cases/", **blank)

    assert response.status_code == 200 and response.json()["count"] == 1


def test_a_token_works_for_the_api(demo: object) -> None:
    token = api_token_for(user=user("wengyuan_window"))
    client = api(None)

    response = client.client.post(
        "/api/v1/cases/", registration(), content_type="application/json", HTTP_AUTHORIZATION=f"Token {token}"
    )

    assert response.status_code == 201
    assert api(None).get("/api/v1/cases/").status_code in (401, 403)
