"""What an integrator needs from the casework API (issue 17, item 11): the inbox row's id to assign a
slip, a never-signed slip after a 补正 round, a paused deadline's remaining working time, the new slip
of a re-route, the hall's own departments first, and each round's times after a reopen. Each with a
refusal that changes nothing."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from casework.models import TransferSlip
from hallindex.models import SlipIndex
from hallplatform.accounts.models import User
from hallplatform.accounts.services import staff_create
from hallplatform.deadlines.models import Deadline, DeadlineKind, DeadlineState
from hallplatform.schemas import use_hall_schema, use_public_schema
from tenants.models import Hall
from tests.casework.api.support import api, counts, dept, register


def ok(response: Any, code: int = 200) -> Any:
    assert response.status_code == code, response.content.decode()
    return response.json()


def close(event_time: str, field_time: str) -> bool:
    """A round's time (its timeline event's) is the case field's, written in the same transaction."""
    delta = datetime.fromisoformat(event_time) - datetime.fromisoformat(field_time)
    return timedelta(0) <= delta < timedelta(seconds=2)


def transferred(*departments: str) -> tuple[Any, dict[str, Any]]:
    """A case of wengyuan transferred to the departments; the window's client and the case."""
    window = api("wengyuan_window")
    case = register(window)
    slips = [{"department": dept(code).pk, "request": "核实"} for code in departments]
    case = ok(
        window.post(
            f"/api/v1/cases/{case['id']}/transfer/",
            {"version": case["version"], "category": "hard_to_do", "slips": slips},
        )
    )
    return window, case


def slip_row(slip_id: int) -> TransferSlip:
    use_hall_schema(Hall.objects.get(code="wengyuan"))
    try:
        return TransferSlip.objects.get(pk=slip_id)
    finally:
        use_public_schema()


def slip_deadline(slip_id: int) -> Deadline:
    return Deadline.objects.get(
        hall__code="wengyuan",
        kind=DeadlineKind.SLIP_REPLY,
        subject_type="casework.TransferSlip",
        subject_id=str(slip_id),
    )


def test_a_slip_never_signed_is_not_received_after_a_supplement_round(demo: object) -> None:
    window, case = transferred("wengyuan/rsj")
    county = api("wengyuan_rsj")
    slip_id = case["slips"][0]["id"]

    # the department asks for materials without signing for the slip first: the clock pauses
    slip = ok(county.get(f"/api/v1/slips/{slip_id}/"))
    assert slip["status"] == "sent"
    slip = ok(
        county.post(
            f"/api/v1/slips/{slip_id}/reply/",
            {"version": slip["version"], "result": "supplement", "reply": "缺户口簿", "supplement_note": "户口簿原件"},
        )
    )
    assert slip["status"] == "awaiting_supplement" and slip["received_at"] is None
    deadline = slip_deadline(slip_id)
    assert deadline.state == DeadlineState.PAUSED and deadline.remaining_seconds

    # the paused deadline shows when it stopped and the working time it has left, everywhere
    assert slip["badge"]["colour"] == "paused"
    assert slip["badge"]["remaining_seconds"] == deadline.remaining_seconds
    assert slip["badge"]["paused_at"] is not None
    detail = ok(window.get(f"/api/v1/cases/{case['id']}/"))
    assert detail["slips"][0]["badge"]["remaining_seconds"] == deadline.remaining_seconds
    row = next(r for r in ok(county.get("/api/v1/inbox/"))["results"] if r["slip_id"] == slip_id)
    assert row["badge"] == "paused" and row["remaining_seconds"] == deadline.remaining_seconds
    assert row["paused_at"] == slip["badge"]["paused_at"]

    # a stale version is refused and changes nothing: still paused, still waiting
    before = counts()
    refused = window.post(f"/api/v1/cases/{case['id']}/supplement-received/", {"version": detail["version"] - 1})
    assert refused.status_code == 409 and refused.json()["code"] == "conflict"
    assert counts() == before
    assert slip_row(slip_id).status == "awaiting_supplement" and slip_deadline(slip_id).state == DeadlineState.PAUSED

    # the materials arrive: the slip is back to "sent" (never signed for), the clock runs again
    ok(window.post(f"/api/v1/cases/{case['id']}/supplement-received/", {"version": detail["version"]}))
    slip = ok(county.get(f"/api/v1/slips/{slip_id}/"))
    assert slip["status"] == "sent" and slip["received_at"] is None
    assert slip["actions"] == ["receive", "reply", "return"]
    assert slip["badge"]["colour"] != "paused"
    assert slip["badge"]["paused_at"] is None and slip["badge"]["remaining_seconds"] is None
    assert SlipIndex.objects.get(hall__code="wengyuan", slip_id=slip_id).status == "sent"
    # signing for it now works as for any sent slip
    slip = ok(county.post(f"/api/v1/slips/{slip_id}/receive/", {"version": slip["version"]}))
    assert slip["status"] == "received" and slip["received_at"] is not None


def test_inbox_rows_carry_the_id_that_assigns_the_slip(demo: object) -> None:
    _window, case = transferred("wengyuan/rsj")
    slip_id = case["slips"][0]["id"]
    staff_create(
        username="wengyuan_rsj_2", password="x", kind="department_handler", department_code="wengyuan/rsj",
        check_password=False,
    )  # fmt: skip
    county = api("wengyuan_rsj_lead", None)  # the inbox on the base domain; its lead gives slips out
    row = next(r for r in ok(county.get("/api/v1/inbox/"))["results"] if r["slip_id"] == slip_id)
    index = SlipIndex.objects.get(hall__code="wengyuan", slip_id=slip_id)
    assert row["id"] == index.pk and row["assigned_to"] is None

    # a handler of another department is refused, and nothing is assigned
    other = api("wengyuan_rsj_lead", None).post(
        f"/api/v1/slip-index/{row['id']}/assign/", {"handler": dept("wengyuan/scjgj").pk}
    )
    assert other.status_code == 400 and "handler" in other.json()["fields"]
    assert SlipIndex.objects.get(pk=index.pk).assigned_to_id is None

    handler = User.objects.get(username="wengyuan_rsj_2")
    ok(county.post(f"/api/v1/slip-index/{row['id']}/assign/", {"handler": handler.pk}))
    assert SlipIndex.objects.get(pk=index.pk).assigned_to_id == handler.pk
    row = next(r for r in ok(county.get("/api/v1/inbox/"))["results"] if r["slip_id"] == slip_id)
    assert row["assigned_to"] == handler.pk


def test_reroute_answers_the_new_slip(demo: object) -> None:
    window, case = transferred("shaoguan/rsj")
    city = api("shaoguan_rsj")
    old_id = case["slips"][0]["id"]
    slip = ok(city.get(f"/api/v1/slips/{old_id}/"))
    ok(city.post(f"/api/v1/slips/{old_id}/return/", {"version": slip["version"], "reason": "属县级事权"}))
    returned = next(s for s in ok(window.get(f"/api/v1/cases/{case['id']}/"))["slips"] if s["id"] == old_id)

    # back to the department that returned it: refused, nothing written
    before = counts()
    refused = window.post(
        f"/api/v1/slips/{old_id}/reroute/", {"version": returned["version"], "department": dept("shaoguan/rsj").pk}
    )
    assert refused.status_code == 400 and "department" in refused.json()["fields"]
    assert counts() == before and slip_row(old_id).status == "returned"

    answer = ok(
        window.post(
            f"/api/v1/slips/{old_id}/reroute/",
            {"version": returned["version"], "department": dept("wengyuan/scjgj").pk},
        )
    )
    new = answer["new_slip"]
    assert new["id"] != old_id and new["rerouted_from"] == old_id
    assert new["department"]["code"] == "scjgj" and new["status"] == "sent" and new["version"] == 1
    assert slip_row(new["id"]).department_id == dept("wengyuan/scjgj").pk
    # the case's fields as before: the same answer as GET cases/{id}/, plus new_slip
    assert answer["id"] == case["id"] and answer["slips"][-1]["id"] == new["id"]
    assert {s["id"] for s in answer["slips"]} == {old_id, new["id"]}
    detail = ok(window.get(f"/api/v1/cases/{case['id']}/"))
    assert {k: v for k, v in answer.items() if k != "new_slip"} == detail


def test_departments_list_the_halls_own_first(demo: object) -> None:
    rows = ok(api("wengyuan_window").get("/api/v1/departments/"))
    halls = [row["hall"] for row in rows]
    assert {"wengyuan", "shaoguan"} <= set(halls)
    own = halls.count("wengyuan")
    assert halls[:own] == ["wengyuan"] * own and own < len(halls)
    # then the city level; the other counties of the city (异地转办) after it
    city = halls.count("shaoguan")
    assert halls[own : own + city] == ["shaoguan"] * city
    codes = [row["code"] for row in rows[:own]]
    assert codes == sorted(codes)


def test_the_case_keeps_each_rounds_times_after_a_reopen(demo: object) -> None:
    window = api("wengyuan_window")
    case = register(window)
    path = f"/api/v1/cases/{case['id']}"
    assert [r["number"] for r in case["rounds"]] == [1] and case["rounds"][0]["answered_at"] is None
    case = ok(
        window.post(f"{path}/answer/", {"version": case["version"], "category": "consultation", "answer": "告知"})
    )
    today = timezone.localdate().isoformat()
    case = ok(
        window.post(
            f"{path}/follow-up/",
            {"version": case["version"], "method": "phone", "date": today, "satisfaction": "dissatisfied"},
        )
    )
    first = case["rounds"][0]
    assert close(first["answered_at"], case["answered_at"]) and close(first["followed_up_at"], case["followed_up_at"])
    assert first["satisfaction"] == "dissatisfied"

    # a reopen without a reason is refused: no second round
    refused = window.post(f"{path}/reopen/", {"version": case["version"], "reason": " "})
    assert refused.status_code == 400 and "reason" in refused.json()["fields"]
    assert len(ok(window.get(f"{path}/"))["rounds"]) == 1

    case = ok(window.post(f"{path}/reopen/", {"version": case["version"], "reason": "仍不满意，电话13812345678"}))
    assert [r["number"] for r in case["rounds"]] == [1, 2]
    second = case["rounds"][1]
    assert close(second["started_at"], case["reopened_at"]) and second["answered_at"] is None
    assert "13812345678" not in second["reopen_reason"] and "138****5678" in second["reopen_reason"]
    # the second round answers again; the first round's times stay as they were
    case = ok(
        window.post(f"{path}/answer/", {"version": case["version"], "category": "consultation", "answer": "再告知"})
    )
    assert case["rounds"][0] == first
    assert close(case["rounds"][1]["answered_at"], case["answered_at"])
    assert case["rounds"][1]["answered_at"] > first["answered_at"]
    assert case["rounds"][1]["followed_up_at"] is None and case["rounds"][1]["satisfaction"] == ""
