"""Supervision orders through their pages (coordination/web/views.py): issue, respond, accept or send
back, print; the departments' page; slip reassignment; isolation between cities and halls."""

from __future__ import annotations

from typing import Any

import pytest

from coordination.models import OrderStatus, SupervisionOrder
from hallindex.models import SlipIndex
from hallplatform.accounts.services import staff_create
from hallplatform.audit.models import AuditEvent
from hallplatform.deadlines.models import Deadline
from tenants.models import Hall
from tests.conftest import client_for, user
from tests.coordination.web.conftest import dept, hall, no_personal_data, register, zh


def order_data(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "target_hall": str(hall("wengyuan").pk),
        "target_department": str(dept("wengyuan/rsj").pk),
        "case_number": "",
        "slip_number": "",
        "reason": "群众反映不给办",
        "required_action": "三个工作日内办结并答复",
        "days": "3",
    }
    data.update(changes)
    return data


def has_error(content: str, field: str) -> bool:
    start = content.index(f'id="field-{field}"')
    return 'class="errorlist"' in content[start : content.index("</div>", start)]


def issue(username: str = "shaoguan_supervisor", code: str | None = None, **changes: Any) -> SupervisionOrder:
    response = client_for(username, code).post("/orders/new/", order_data(**changes))
    assert response.status_code == 302, response.content.decode()[:3000]
    return SupervisionOrder.objects.get(pk=int(response["Location"].rstrip("/").split("/")[-1]))


def test_issue_respond_accept_through_the_pages(demo: dict[str, Hall]) -> None:
    case = register("wengyuan", refused=True)
    supervisor = client_for("shaoguan_supervisor", None)
    prefilled = supervisor.get(f"/orders/new/?hall={demo['wengyuan'].pk}&case={case.number}").content.decode()
    assert f'value="{case.number}"' in prefilled
    assert f'<option value="{demo["wengyuan"].pk}" selected>' in prefilled

    order = issue(case_number=case.number)

    assert (order.case_number, order.case_hall, order.target_department) == (
        case.number, demo["wengyuan"], dept("wengyuan/rsj"),
    )  # fmt: skip
    assert Deadline.objects.get(pk=order.deadline_id).rule_amount == 3
    page = supervisor.get(f"/orders/{order.pk}/").content.decode()
    assert f'href="http://wengyuan.localhost/cases/{case.pk}/"' in page
    assert f'action="/orders/{order.pk}/accept/"' not in page  # nothing to accept yet

    handler = client_for("wengyuan_rsj", "wengyuan")
    assert order.number in handler.get("/orders/mine/").content.decode()
    empty = handler.post(f"/orders/{order.pk}/respond/", {"version": order.version, "response": ""})
    assert empty.status_code == 400 and zh("Say what was done.") in empty.content.decode()
    assert (
        handler.post(
            f"/orders/{order.pk}/respond/", {"version": order.version, "response": "已办结并答复群众"}
        ).status_code
        == 302
    )
    order.refresh_from_db()
    assert order.status == OrderStatus.RESPONDED

    # the addressee may not accept its own response
    assert handler.post(f"/orders/{order.pk}/accept/", {"version": order.version}).status_code == 404
    page = supervisor.get(f"/orders/{order.pk}/").content.decode()
    assert "已办结并答复群众" in page and f'action="/orders/{order.pk}/accept/"' in page
    # the first submit only asks for a confirmation, saying what accepting does: nothing is written
    asked = supervisor.post(f"/orders/{order.pk}/accept/", {"version": order.version})
    assert asked.status_code == 200
    assert zh("Accept the response? Please confirm") in asked.content.decode()
    assert 'name="confirm" value="1"' in asked.content.decode()
    order.refresh_from_db()
    assert order.status == OrderStatus.RESPONDED and order.accepted_at is None
    confirmed = supervisor.post(f"/orders/{order.pk}/accept/", {"version": order.version, "confirm": "1"})
    assert confirmed.status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.CLOSED


def test_send_back_runs_the_order_again_and_a_stale_page_changes_nothing(demo: dict[str, Hall]) -> None:
    order = issue()
    client_for("wengyuan_rsj", "wengyuan").post(f"/orders/{order.pk}/respond/", {"version": 1, "response": "已办"})
    order.refresh_from_db()
    supervisor = client_for("shaoguan_supervisor", None)

    no_note = supervisor.post(f"/orders/{order.pk}/send-back/", {"version": order.version, "note": ""})
    assert no_note.status_code == 400
    assert zh("Say why the response is not enough.") in no_note.content.decode()
    stale = supervisor.post(f"/orders/{order.pk}/accept/", {"version": order.version - 1}, follow=True)
    assert zh("Someone else changed this %(noun)s meanwhile; reload it and try again.", noun=zh("order")) in (
        stale.content.decode()
    )
    order.refresh_from_db()
    assert order.status == OrderStatus.RESPONDED

    sent_back = supervisor.post(f"/orders/{order.pk}/send-back/", {"version": order.version, "note": "未附办结材料"})
    assert sent_back.status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.ISSUED and "未附办结材料" in order.response


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"target_hall": "QINGCHENG"}, "target_hall"),
        ({"target_department": "QINGYUAN_RSJ"}, "target_department"),
        ({"target_hall": ""}, "target_hall"),
        ({"reason": ""}, "reason"),
        ({"required_action": ""}, "required_action"),
        ({"days": ""}, "days"),
        ({"days": "0"}, "days"),
        ({"case_number": "441802-2026-00001"}, "case_number"),
        ({"slip_number": "ZB-404"}, "slip_number"),
    ],
)
def test_bad_order_input_names_the_field_and_saves_nothing(
    demo: dict[str, Hall], changes: dict[str, str], field: str
) -> None:
    ids = {"QINGCHENG": str(hall("qingcheng").pk), "QINGYUAN_RSJ": str(dept("qingyuan/rsj").pk)}
    changes = {key: ids.get(value, value) for key, value in changes.items()}
    before = (SupervisionOrder.objects.count(), Deadline.objects.count())

    response = client_for("shaoguan_supervisor", None).post("/orders/new/", order_data(**changes))

    assert response.status_code == 400
    assert zh("The order was not issued; see the errors below.") in response.content.decode()
    assert has_error(response.content.decode(), field)
    assert (SupervisionOrder.objects.count(), Deadline.objects.count()) == before


def test_a_hall_lead_issues_within_the_hall_only(demo: dict[str, Hall]) -> None:
    lead = client_for("wengyuan_lead", "wengyuan")
    refused = lead.post("/orders/new/", order_data(target_hall=str(hall("nanxiong").pk)))
    assert refused.status_code == 400 and has_error(refused.content.decode(), "target_hall")

    order = issue("wengyuan_lead", "wengyuan")

    assert order.issuing_hall == demo["wengyuan"]
    assert order.number in lead.get("/orders/").content.decode()


def test_an_order_on_a_red_slip_from_the_proposals(demo: dict[str, Hall]) -> None:
    case = register("nanxiong", transfer_to="shaoguan/rsj")
    slip = SlipIndex.objects.get(hall__code="nanxiong", case_id=case.pk)

    order = issue(
        target_hall=str(demo["nanxiong"].pk),
        target_department=str(dept("shaoguan/rsj").pk),
        slip_number=slip.slip_number,
    )

    assert order.slip == slip and order.case_number == case.number
    city = client_for("shaoguan_rsj", None)
    page = city.get(f"/orders/{order.pk}/").content.decode()
    assert f"http://nanxiong.localhost/slips/{slip.slip_id}/" in page
    assert f'action="/orders/{order.pk}/respond/"' in page


def test_print_order_renders_on_a4_without_personal_data(demo: dict[str, Hall]) -> None:
    case = register("wengyuan", refused=True)
    order = issue(case_number=case.number)

    for username, code in [("shaoguan_supervisor", None), ("wengyuan_rsj", "wengyuan")]:
        response = client_for(username, code).get(f"/orders/{order.pk}/print/")
        content = response.content.decode()
        assert response.status_code == 200
        assert "city-print" in content and 'class="top"' not in content
        assert order.number in content and case.number in content and "三个工作日内办结并答复" in content
        assert no_personal_data(response.content)


def test_orders_of_one_city_or_hall_are_invisible_to_others(demo: dict[str, Hall]) -> None:
    order = issue()
    paths = [f"/orders/{order.pk}/", f"/orders/{order.pk}/print/"]
    staff_create(username="nanxiong_lead", password="x", kind="hall_lead", hall_code="nanxiong", check_password=False)
    for username, code in [
        ("qingyuan_supervisor", None),
        ("qingyuan_rsj", None),
        ("qingcheng_lead", "qingcheng"),
        ("nanxiong_lead", "nanxiong"),
        ("shaoguan_rsj", None),  # a department the order is not addressed to
    ]:
        client = client_for(username, code)
        for path in paths:
            assert client.get(path).status_code == 404, (username, path)
        for step in ["respond", "accept", "send-back"]:
            response = client.post(f"/orders/{order.pk}/{step}/", {"version": 1, "response": "x", "note": "x"})
            assert response.status_code == 404, (username, step)
        assert order.number not in client.get("/orders/").content.decode()
    order.refresh_from_db()
    assert order.status == OrderStatus.ISSUED


def test_window_staff_have_no_order_pages(demo: dict[str, Hall]) -> None:
    client = client_for("wengyuan_window", "wengyuan")
    for path in ["/orders/", "/orders/new/", "/orders/mine/"]:
        assert client.get(path).status_code == 404, path


def test_a_department_reassigns_a_slip_to_another_handler(demo: dict[str, Hall]) -> None:
    case = register("wengyuan", transfer_to="wengyuan/rsj")
    slip = SlipIndex.objects.get(hall__code="wengyuan", case_id=case.pk)
    lead = client_for("wengyuan_rsj_lead", "wengyuan")
    work = lead.get("/orders/mine/").content.decode()
    assert f'href="/orders/assign-slip/{slip.pk}/"' in work
    form_page = lead.get(f"/orders/assign-slip/{slip.pk}/").content.decode()
    assert f'value="{user("wengyuan_rsj").pk}"' in form_page
    assert f'value="{user("shaoguan_rsj").pk}"' not in form_page

    outsider = lead.post(f"/orders/assign-slip/{slip.pk}/", {"handler": user("shaoguan_rsj").pk})
    assert outsider.status_code == 400
    assert zh("Choose a handler of the same department.") in outsider.content.decode()
    assert lead.post(f"/orders/assign-slip/{slip.pk}/", {"handler": user("wengyuan_rsj").pk}).status_code == 302

    slip.refresh_from_db()
    assert slip.assigned_to == user("wengyuan_rsj")
    assert AuditEvent.objects.filter(action="slip.assign", actor=user("wengyuan_rsj_lead")).exists()
    for username, code in [("shaoguan_rsj", None), ("qingyuan_rsj", None), ("wengyuan_lead", "wengyuan")]:
        assert client_for(username, code).get(f"/orders/assign-slip/{slip.pk}/").status_code == 404, username
