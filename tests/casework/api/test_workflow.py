"""The whole window workflow through the API, each step by the person who takes it (rule arts. 4–8)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from casework.choices import CaseStatus
from hallplatform.accounts.services import staff_create
from hallplatform.deadlines.models import Deadline, DeadlineKind, DeadlineState
from notifications.models import Notice
from tests.casework.api.support import api, case_row, dept, register


def today() -> str:
    return timezone.localdate().isoformat()


def ok(response: Any, code: int = 200) -> Any:
    assert response.status_code == code, response.content.decode()
    return response.json()


def test_consultation_answered_on_the_spot_followed_up_and_closed(demo: object) -> None:
    window = api("wengyuan_window")

    # given a registered case
    case = register(window)
    assert case["status"] == "registered"
    assert case["number"].startswith("440229-")
    assert case["applicant_name"] == "张**"
    assert case["phone"] == "138****5678"
    assert case["document_number"] == "110***********002X"
    assert case["address"] == "广东省韶关市****"
    assert "13812345678" not in case["problem"] and "138****5678" in case["problem"]
    assert set(case["actions"]) == {
        "screen-out",
        "answer",
        "transfer",
        "supplement-request",
        "sms-opt-out",
        "reassign",
        "amend",
        "reveal",
    }
    assert case["earlier_cases"] == {"count": 0, "numbers": []}
    path = f"/api/v1/cases/{case['id']}"

    # when the window answers it on the spot (咨询), follows up and closes it
    case = ok(
        window.post(
            f"{path}/answer/", {"version": case["version"], "category": "consultation", "answer": "一次性告知所需材料"}
        )
    )
    assert case["status"] == "answered" and case["result"] == "done"
    assert "follow-up" in case["actions"] and "close" in case["actions"]
    case = ok(
        window.post(
            f"{path}/follow-up/",
            {"version": case["version"], "method": "phone", "date": today(), "satisfaction": "satisfied"},
        )
    )
    assert case["status"] == "followed_up"
    assert "reopen" not in case["actions"]  # the person was satisfied
    case = ok(window.post(f"{path}/close/", {"version": case["version"], "note": "归档"}))

    # then the case is closed, and its timeline tells every step
    assert case["status"] == "closed" and case["closed_at"]
    assert case["actions"] == ["amend", "reveal"]  # no SMS can reach the person any more; 更正登记 stays
    refused = window.post(f"{path}/sms-opt-out/", {"version": case["version"], "opt_out": True})
    assert refused.status_code == 409 and refused.json()["code"] == "invalid_transition"
    assert ok(window.get(f"{path}/"))["version"] == case["version"]
    timeline = ok(window.get(f"{path}/timeline/"))
    kinds = [event["kind"] for event in timeline]
    assert kinds == ["registered", "answered", "followed_up", "closed"]


def test_cannot_do_needs_its_policy_basis(demo: object) -> None:
    window = api("wengyuan_window")
    case = register(window)
    path = f"/api/v1/cases/{case['id']}"

    # 办不了 without the policy basis is refused, naming the field, in Chinese
    refused = window.post(
        f"{path}/answer/", {"version": case["version"], "category": "cannot_do", "answer": "无法办理"}
    )
    assert refused.status_code == 400
    assert refused.json() == {
        "code": "invalid",
        "message": "部分字段无效。",
        "fields": {"policy_basis": ["请记录无法办理的政策依据。"]},
    }

    answered = ok(
        window.post(
            f"{path}/answer/",
            {
                "version": case["version"],
                "category": "cannot_do",
                "answer": "不符合条件",
                "policy_basis": "《社会保险法》第X条",
            },
        )
    )
    assert answered["status"] == "answered"
    assert answered["handling_category"] == "cannot_do"
    assert answered["policy_basis"] == "《社会保险法》第X条"


def test_not_accepted_is_recorded_with_reason_and_referral(demo: object) -> None:
    lead = api("wengyuan_lead")  # the hall lead works the window too
    case = register(lead)

    screened = ok(
        lead.post(
            f"/api/v1/cases/{case['id']}/screen-out/",
            {"version": case["version"], "reason": "petition", "referral": "县信访局"},
        )
    )

    assert screened["status"] == "not_accepted"
    assert screened["exclusion_reason"] == "petition" and screened["referral"] == "县信访局"
    assert screened["actions"] == ["amend", "reveal"]
    listed = ok(lead.get("/api/v1/cases/", status="not_accepted"))
    assert [row["number"] for row in listed["results"]] == [case["number"]]


def test_refused_matter_is_pushed_and_flagged_for_supervision(demo: object) -> None:
    window = api("wengyuan_window")
    case = register(window)

    transferred = ok(
        window.post(
            f"/api/v1/cases/{case['id']}/transfer/",
            {
                "version": case["version"],
                "category": "refused",
                "slips": [{"department": dept("wengyuan/rsj").pk, "request": "请依法受理社保卡补办"}],
            },
        )
    )

    # then the case is flagged, the department's lead is told too, and the supervisor sees it
    assert transferred["status"] == "transferred" and transferred["flagged_for_supervision"] is True
    recipients = set(Notice.objects.filter(kind="slip_sent").values_list("recipient_user__username", flat=True))
    assert {"wengyuan_rsj", "wengyuan_rsj_lead"} <= recipients
    supervisor = api("shaoguan_supervisor")
    flagged = ok(supervisor.get("/api/v1/cases/", flagged="true"))
    assert [row["number"] for row in flagged["results"]] == [case["number"]]
    detail = ok(supervisor.get(f"/api/v1/cases/{case['id']}/"))
    assert detail["actions"] == []  # the supervisor reads only
    assert detail["slips"][0]["actions"] == []
    inbox = ok(api("wengyuan_rsj", None).get("/api/v1/inbox/"))
    assert inbox["results"][0]["case_number"] == case["number"]


def test_hard_case_through_two_departments_supplement_return_reroute_feedback_and_reopen(demo: object) -> None:
    window = api("wengyuan_window")
    county, city = api("wengyuan_rsj"), api("shaoguan_rsj")  # both on wengyuan's host, where the slips live
    case = register(window)
    path = f"/api/v1/cases/{case['id']}"
    departments = ok(window.get("/api/v1/departments/"))
    assert {(d["hall"], d["code"]) for d in departments} >= {("wengyuan", "rsj"), ("shaoguan", "rsj")}

    # the window transfers a hard case (很难办) to a county and a city-level department
    case = ok(
        window.post(
            f"{path}/transfer/",
            {
                "version": case["version"],
                "category": "hard_to_do",
                "slips": [
                    {"department": dept("wengyuan/rsj").pk, "request": "核实参保记录"},
                    {"department": dept("shaoguan/rsj").pk, "request": "协调跨县转移", "complexity": "complex"},
                ],
                "coordination_note": "容缺受理，承诺后补户口簿",
                "meeting_requested": True,
                "meeting_request_note": "人社、市场监管联合会商",
            },
        )
    )
    assert case["status"] == "transferred" and case["coordination_note"] == "容缺受理，承诺后补户口簿"
    assert case["meeting_requested"] is True
    county_slip, city_slip = case["slips"]
    assert county_slip["department"]["code"] == "rsj" and county_slip["department"]["level"] == "county"
    assert city_slip["department"]["level"] == "city" and city_slip["complexity"] == "complex"
    assert county_slip["badge"]["colour"] in ("green", "yellow", "red")
    assert case["badge"] is not None

    # the county department receives its slip and asks for materials (补正材料): the clock pauses
    slip = ok(county.get(f"/api/v1/slips/{county_slip['id']}/"))
    assert slip["actions"] == ["receive", "reply", "return"]
    assert slip["case"]["phone"] == "138****5678" and slip["hall"] == "wengyuan"
    slip = ok(county.post(f"/api/v1/slips/{county_slip['id']}/receive/", {"version": slip["version"]}))
    assert slip["status"] == "received"
    slip = ok(
        county.post(
            f"/api/v1/slips/{county_slip['id']}/reply/",
            {"version": slip["version"], "result": "supplement", "reply": "缺户口簿", "supplement_note": "户口簿原件"},
        )
    )
    assert slip["status"] == "awaiting_supplement" and slip["badge"]["colour"] == "paused"
    case = ok(window.get(f"{path}/"))
    assert case["status"] == "awaiting_supplement" and "supplement-received" in case["actions"]

    # the person brings them: the window resumes the clocks, the department answers
    case = ok(window.post(f"{path}/supplement-received/", {"version": case["version"], "note": "已补户口簿"}))
    assert case["status"] == "transferred"
    slip = ok(county.get(f"/api/v1/slips/{county_slip['id']}/"))
    assert slip["status"] == "received" and slip["badge"]["colour"] != "paused"
    ok(
        county.post(
            f"/api/v1/slips/{county_slip['id']}/reply/",
            {"version": slip["version"], "result": "done", "reply": "已核实"},
        )
    )

    # the city department returns its slip; the window re-routes it to the county's 市场监管
    slip = ok(city.get(f"/api/v1/slips/{city_slip['id']}/"))
    slip = ok(
        city.post(f"/api/v1/slips/{city_slip['id']}/return/", {"version": slip["version"], "reason": "属县级事权"})
    )
    assert slip["status"] == "returned" and slip["actions"] == []
    case = ok(window.get(f"{path}/"))
    returned = next(s for s in case["slips"] if s["id"] == city_slip["id"])
    assert returned["actions"] == ["reroute", "withdraw"]
    case = ok(
        window.post(
            f"/api/v1/slips/{city_slip['id']}/reroute/",
            {"version": returned["version"], "department": dept("wengyuan/scjgj").pk},
        )
    )
    new_slip = case["slips"][-1]
    assert new_slip["rerouted_from"] == city_slip["id"] and new_slip["request"] == "协调跨县转移"
    assert new_slip["department"]["code"] == "scjgj" and new_slip["status"] == "sent"

    # the new department replies: every slip answered, the half-day feedback clock starts
    staff_create(
        username="wengyuan_scjgj", password="x", kind="department_handler", department_code="wengyuan/scjgj",
        check_password=False,
    )  # fmt: skip
    scjgj = api("wengyuan_scjgj")
    slip = ok(scjgj.get(f"/api/v1/slips/{new_slip['id']}/"))
    ok(
        scjgj.post(
            f"/api/v1/slips/{new_slip['id']}/reply/", {"version": slip["version"], "result": "done", "reply": "已办结"}
        )
    )
    case = ok(window.get(f"{path}/"))
    assert case["status"] == "replied" and case["result"] == "done"
    assert case["feedback_deadline"]["state"] == "open" and case["feedback_deadline"]["badge"] is not None

    # the window tells the person, by phone and SMS; the feedback deadline is met
    case = ok(
        window.post(
            f"{path}/feedback/",
            {"version": case["version"], "method": "phone", "content": "已电话告知办结", "send_sms": True},
        )
    )
    assert case["status"] == "fed_back" and case["feedback_deadline"]["state"] == "met"
    assert Notice.objects.filter(kind="person_result", recipient_ref=f"case:{case['id']}").exists()
    feedback = Deadline.objects.get(kind=DeadlineKind.FEEDBACK, subject_id=str(case["id"]), hall__code="wengyuan")
    assert feedback.state == DeadlineState.MET

    # the person is dissatisfied at follow-up: the case is reopened
    case = ok(
        window.post(
            f"{path}/follow-up/",
            {
                "version": case["version"],
                "method": "phone",
                "date": today(),
                "satisfaction": "dissatisfied",
                "note": "仍不满意",
            },
        )
    )
    assert "reopen" in case["actions"]
    case = ok(window.post(f"{path}/reopen/", {"version": case["version"], "reason": "群众仍不满意"}))
    assert case["status"] == "reopened" and case["reopened_count"] == 1
    assert case_row(case["id"]).status == CaseStatus.REOPENED
    assert {"answer", "transfer"} <= set(case["actions"])
    kinds = [event["kind"] for event in ok(window.get(f"{path}/timeline/"))]
    assert kinds[0] == "registered" and kinds[-1] == "reopened"
    assert {"slip_supplement", "supplement_received", "slip_returned", "slip_rerouted", "fed_back"} <= set(kinds)


def test_a_returned_slip_no_one_else_needs_is_withdrawn(demo: object) -> None:
    window, county, city = api("wengyuan_window"), api("wengyuan_rsj"), api("shaoguan_rsj")
    case = register(window)
    path = f"/api/v1/cases/{case['id']}"
    case = ok(
        window.post(
            f"{path}/transfer/",
            {
                "version": case["version"],
                "category": "hard_to_do",
                "slips": [
                    {"department": dept("wengyuan/rsj").pk, "request": "核实参保记录"},
                    {"department": dept("shaoguan/rsj").pk, "request": "协调"},
                ],
            },
        )
    )
    county_slip, city_slip = case["slips"]
    ok(
        county.post(
            f"/api/v1/slips/{county_slip['id']}/reply/",
            {"version": county_slip["version"], "result": "done", "reply": "已办结"},
        )
    )
    returned = ok(
        city.post(f"/api/v1/slips/{city_slip['id']}/return/", {"version": city_slip["version"], "reason": "属县级事权"})
    )

    # when the window withdraws the returned slip, the county's reply answers the case
    case = ok(
        window.post(
            f"/api/v1/slips/{city_slip['id']}/withdraw/", {"version": returned["version"], "reason": "县人社局已办结"}
        )
    )

    assert case["status"] == "replied" and case["feedback_deadline"]["state"] == "open"
    assert [s["status"] for s in case["slips"]] == ["replied", "cancelled"]
    assert ok(city.get("/api/v1/inbox/", include_closed="true"))["results"][0]["status"] == "cancelled"
