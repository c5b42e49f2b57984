"""Supervision orders (督办单, rule art. 7 不给办, art. 9) through the API: issue → respond → accept; a
response sent back gets a fresh deadline; an overdue order escalates; refusals; slip assignment."""

from __future__ import annotations

from typing import Any

from coordination.models import OrderStatus, SupervisionOrder
from hallplatform.deadlines.models import Deadline, DeadlineKind, DeadlineState
from notifications.models import Notice
from tests.coordination.support import (
    api,
    case_events,
    counts,
    dept,
    escalate_fully,
    hall,
    register,
    slip_index_of,
    staff,
)


def order_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "target_hall": hall("wengyuan").pk,
        "target_department": dept("wengyuan/rsj").pk,
        "reason": "窗口反映该事项不给办",
        "required_action": "三个工作日内办结并答复",
        "days": 3,
    }
    body.update(changes)
    return body


def issue(**changes: Any) -> dict[str, Any]:
    response = api("shaoguan_supervisor").post("/api/v1/orders/", order_body(**changes))
    assert response.status_code == 201, response.content.decode()
    return dict(response.json())


def test_order_lifecycle_issue_respond_reject_respond_accept(demo: object) -> None:
    # given a case the window flagged 不给办, proposed to the city bureau for supervision
    case = register("wengyuan", refused=True)
    supervisor = api("shaoguan_supervisor")
    proposals = supervisor.get("/api/v1/portal/proposals/").json()
    assert case.number in [row["number"] for row in proposals["flagged_cases"]]

    # when the supervisor issues an order on it to wengyuan's 人社局
    order = issue(case={"hall": hall("wengyuan").pk, "case_id": case.pk})

    # then it is issued with a deadline of 3 working days on the addressee's hall, and announced
    assert order["status"] == OrderStatus.ISSUED and order["number"].startswith("DB-440200-")
    assert order["case"] == {"hall": "wengyuan", "case_id": case.pk, "case_number": case.number}
    assert order["can_decide"] is True and order["can_respond"] is False
    first_deadline = SupervisionOrder.objects.get(pk=order["id"]).deadline
    assert first_deadline is not None and first_deadline.kind == DeadlineKind.SUPERVISION_ORDER
    assert first_deadline.hall.code == "wengyuan" and first_deadline.rule_amount == 3
    assert Notice.objects.filter(kind="order_issued", recipient_user=staff("wengyuan_rsj")).exists()
    assert case.number not in [r["number"] for r in supervisor.get("/api/v1/portal/proposals/").json()["flagged_cases"]]

    # and the addressee finds it on its hall's host and on the portal
    county = api("wengyuan_rsj", "wengyuan")
    assert [row["id"] for row in county.get("/api/v1/orders/").json()["results"]] == [order["id"]]
    assert [row["id"] for row in api("wengyuan_rsj").get("/api/v1/orders/").json()["results"]] == [order["id"]]
    assert county.get(f"/api/v1/orders/{order['id']}/").json()["can_respond"] is True

    # when it responds
    path = f"/api/v1/orders/{order['id']}"
    responded = county.post(f"{path}/respond/", {"version": order["version"], "response": "已联系申请人，正在办理"})
    assert responded.status_code == 200 and responded.json()["status"] == OrderStatus.RESPONDED
    assert Deadline.objects.get(pk=first_deadline.pk).state == DeadlineState.MET
    assert Notice.objects.filter(kind="order_responded", recipient_user=staff("shaoguan_supervisor")).exists()

    # when the supervisor sends it back without a reason, then with one
    version = responded.json()["version"]
    before = counts()
    silent = supervisor.post(f"{path}/reject/", {"version": version})
    assert silent.status_code == 400 and set(silent.json()["fields"]) == {"note"}
    assert counts() == before
    rejected = supervisor.post(f"{path}/reject/", {"version": version, "note": "尚未办结，请办结后答复"})

    # then it is open again with a fresh deadline, and the addressee is told again
    assert rejected.status_code == 200 and rejected.json()["status"] == OrderStatus.ISSUED
    fresh = SupervisionOrder.objects.get(pk=order["id"]).deadline
    assert fresh is not None and fresh.pk != first_deadline.pk
    assert fresh.state == DeadlineState.OPEN and fresh.start_at >= first_deadline.start_at
    assert rejected.json()["deadline"]["due_at"] is not None
    assert Notice.objects.filter(kind="order_issued", recipient_user=staff("wengyuan_rsj")).count() == 2

    # when the addressee responds again and the supervisor accepts
    again = county.post(f"{path}/respond/", {"version": rejected.json()["version"], "response": "已办结"})
    accepted = supervisor.post(f"{path}/accept/", {"version": again.json()["version"]})

    # then the order is closed and the case's timeline tells it
    assert accepted.status_code == 200 and accepted.json()["status"] == OrderStatus.CLOSED
    assert accepted.json()["accepted_at"] is not None
    events = case_events("wengyuan", case.pk)
    assert "supervision_order" in events and events[-1] == "supervision_closed"


def test_an_overdue_order_escalates(demo: object) -> None:
    for username in ("nanxiong_rsj", "nanxiong_rsj_lead", "nanxiong_lead"):
        staff(username)
    order = issue(target_hall=hall("nanxiong").pk, target_department=dept("nanxiong/rsj").pk, days=1)
    deadline_id = SupervisionOrder.objects.get(pk=order["id"]).deadline_id
    assert deadline_id is not None

    sent = escalate_fully(deadline_id)

    assert Deadline.objects.get(pk=deadline_id).state == DeadlineState.BREACHED
    assert sent == [
        ("breach", "nanxiong_rsj"),
        ("escalation:2", "nanxiong_rsj_lead"),
        ("escalation:3", "nanxiong_lead"),
        ("escalation:4", "shaoguan_supervisor"),
        ("warning", "nanxiong_rsj"),
    ]
    shown = api("shaoguan_supervisor").get(f"/api/v1/orders/{order['id']}/").json()
    assert shown["deadline"]["state"] == DeadlineState.BREACHED and shown["deadline"]["badge"] == "red"
    assert shown["deadline"]["escalation_level"] == 4
    overview = {
        row["hall"]["code"]: row for row in api("shaoguan_supervisor").get("/api/v1/portal/overview/").json()["halls"]
    }
    assert overview["nanxiong"]["open_orders"] >= 1 and overview["nanxiong"]["red"] >= 1


def test_order_addressed_outside_the_issuers_city_is_refused_and_nothing_saved(demo: object) -> None:
    before = counts()
    supervisor = api("shaoguan_supervisor")

    to_other_city = supervisor.post(
        "/api/v1/orders/", order_body(target_hall=hall("qingcheng").pk, target_department=None)
    )
    to_other_department = supervisor.post("/api/v1/orders/", order_body(target_department=dept("qingyuan/rsj").pk))
    nothing = supervisor.post("/api/v1/orders/", {})

    assert to_other_city.status_code == 400 and set(to_other_city.json()["fields"]) == {"target_hall"}
    assert to_other_department.status_code == 400 and set(to_other_department.json()["fields"]) == {"target_department"}
    assert nothing.status_code == 400
    assert set(nothing.json()["fields"]) == {"target_hall", "reason", "required_action", "days"}
    assert counts() == before


def test_order_to_a_department_of_another_county_than_the_addressed_hall_is_refused(demo: object) -> None:
    before = counts()

    response = api("shaoguan_supervisor").post(
        "/api/v1/orders/", order_body(target_hall=hall("wengyuan").pk, target_department=dept("nanxiong/rsj").pk)
    )

    assert response.status_code == 400 and set(response.json()["fields"]) == {"target_department"}
    assert counts() == before
    # a city-level bureau may be addressed about any hall of the city
    assert issue(target_department=dept("shaoguan/rsj").pk)["target_department"]["hall"] == "shaoguan"


def test_order_on_a_case_or_slip_of_another_city_is_refused(demo: object) -> None:
    other = register("qingcheng", refused=True)
    before = counts()
    supervisor = api("shaoguan_supervisor")

    on_case = supervisor.post("/api/v1/orders/", order_body(case={"hall": hall("qingcheng").pk, "case_id": other.pk}))
    on_slip = supervisor.post("/api/v1/orders/", order_body(slip=slip_index_of("qingcheng", other.pk).pk))

    assert on_case.status_code == 400 and set(on_case.json()["fields"]) == {"case"}
    assert on_slip.status_code == 400 and set(on_slip.json()["fields"]) == {"slip"}
    assert counts() == before
    assert "supervision_order" not in case_events("qingcheng", other.pk)


def test_a_hall_lead_issues_within_the_hall_only(demo: object) -> None:
    lead = api("wengyuan_lead", "wengyuan")
    before = counts()

    outside = lead.post("/api/v1/orders/", order_body(target_hall=hall("nanxiong").pk, target_department=None))
    assert outside.status_code == 400 and set(outside.json()["fields"]) == {"target_hall"}
    assert counts() == before

    inside = lead.post("/api/v1/orders/", order_body())
    assert inside.status_code == 201
    assert inside.json()["issuing_hall"]["code"] == "wengyuan" and inside.json()["can_decide"] is True
    # the city's supervisors see it too; the window staff may not issue
    assert inside.json()["id"] in [o["id"] for o in api("shaoguan_supervisor").get("/api/v1/orders/").json()["results"]]
    assert api("wengyuan_window", "wengyuan").post("/api/v1/orders/", order_body()).status_code == 404


def test_only_the_addressee_responds_and_only_the_issuer_decides(demo: object) -> None:
    order = issue()
    path = f"/api/v1/orders/{order['id']}"
    supervisor, county, lead = (
        api("shaoguan_supervisor"),
        api("wengyuan_rsj", "wengyuan"),
        api("wengyuan_lead", "wengyuan"),
    )

    # accepting before any response is a step the state does not allow
    early = supervisor.post(f"{path}/accept/", {"version": order["version"]})
    assert early.status_code == 409 and early.json()["code"] == "invalid_transition"
    # the hall lead sees an order to a department of the hall, but the department answers
    assert lead.get(f"{path}/").status_code == 200
    assert lead.post(f"{path}/respond/", {"version": order["version"], "response": "x"}).status_code == 404
    # the addressee cannot accept its own response
    responded = county.post(f"{path}/respond/", {"version": order["version"], "response": "已办结"}).json()
    assert county.post(f"{path}/accept/", {"version": responded["version"]}).status_code == 404
    # a stale version is a conflict
    stale = supervisor.post(f"{path}/accept/", {"version": order["version"]})
    assert stale.status_code == 409 and stale.json()["code"] == "conflict"
    assert SupervisionOrder.objects.get(pk=order["id"]).status == OrderStatus.RESPONDED


def test_a_department_lead_assigns_a_slip_to_a_handler_of_the_department(demo: object) -> None:
    case = register("wengyuan", refused=True)
    slip = slip_index_of("wengyuan", case.pk)
    lead = api("wengyuan_rsj_lead", "wengyuan")

    assigned = lead.post(f"/api/v1/slip-index/{slip.pk}/assign/", {"handler": staff("wengyuan_rsj").pk})

    assert assigned.status_code == 200, assigned.content.decode()
    assert assigned.json()["assigned_to"]["id"] == staff("wengyuan_rsj").pk
    assert Notice.objects.filter(kind="slip_assigned", recipient_user=staff("wengyuan_rsj")).exists()
    # not to someone of another department
    refused = lead.post(f"/api/v1/slip-index/{slip.pk}/assign/", {"handler": staff("shaoguan_rsj").pk})
    assert refused.status_code == 400 and set(refused.json()["fields"]) == {"handler"}
    slip.refresh_from_db()
    assert slip.assigned_to_id == staff("wengyuan_rsj").pk
    # the city's 人社局 does not handle wengyuan's 人社局 slips
    assert (
        api("shaoguan_rsj", "wengyuan")
        .post(f"/api/v1/slip-index/{slip.pk}/assign/", {"handler": staff("shaoguan_rsj").pk})
        .status_code
        == 404
    )
