"""The city host's home is the person's to-do (coordination.web.home.portal_home): a supervisor's
proposals, meeting requests and order responses; a city department's slips, resolutions and orders;
the counts 逾期 / 临期 / 今日到期; nothing of another city."""

from __future__ import annotations

import re
from datetime import timedelta

from django.utils import timezone

from coordination.models import SupervisionOrder
from coordination.services import CaseRef, OrderDraft, order_accept, order_issue, order_respond
from hallindex.models import CaseIndex, SlipIndex
from hallplatform.deadlines.models import Deadline
from tenants.models import Hall
from tests.conftest import client_for, user
from tests.coordination.web.conftest import dept, no_personal_data, register


def section(page: str, key: str) -> str:
    match = re.search(rf'id="todo-{key}".*?</div>', page, re.S)
    assert match is not None, key
    return match.group(0)


def counts(page: str) -> dict[str, int]:
    return {name: int(n) for name, n in re.findall(r'data-count="(\w+)">(\d+)<', page)}


def overdue(case_id: int, code: str) -> SlipIndex:
    slip = SlipIndex.objects.get(hall__code=code, case_id=case_id)
    past = timezone.now() - timedelta(hours=1)
    Deadline.objects.filter(pk=slip.deadline_id).update(due_at=past, warn_at=past - timedelta(hours=1))
    return slip


def test_the_supervisors_home_lists_the_portals_proposals_with_counts(demo: dict[str, Hall]) -> None:
    flagged = register("wengyuan", refused=True)
    late = register("nanxiong", transfer_to="nanxiong/rsj")
    slip = overdue(late.pk, "nanxiong")
    asked = register("lechang", transfer_to="lechang/rsj")
    CaseIndex.objects.filter(hall__code="lechang", case_id=asked.pk).update(meeting_requested=True)

    response = client_for("shaoguan_supervisor", None).get("/")

    page = response.content.decode()
    assert response.status_code == 200
    assert flagged.number in section(page, "proposals_flagged")
    assert f"/orders/new/?hall={demo['wengyuan'].pk}&amp;case={flagged.number}" in section(page, "proposals_flagged")
    red = section(page, "proposals_red")
    assert slip.slip_number in red and f"slip={slip.slip_number}" in red
    assert asked.number in section(page, "meeting_requests")
    assert counts(page)["overdue"] == 1
    assert 'id="todo-slips"' not in page
    assert no_personal_data(response.content)


def test_an_order_response_waits_on_the_supervisor_and_leaves_once_accepted(demo: dict[str, Hall]) -> None:
    case = register("wengyuan", refused=True)
    supervisor = client_for("shaoguan_supervisor", None)
    order = order_issue(
        actor=user("shaoguan_supervisor"),
        hall=None,
        draft=OrderDraft(
            target_hall_id=demo["wengyuan"].pk,
            target_department_id=dept("wengyuan/rsj").pk,
            reason="不给办",
            required_action="三日内办结并答复",
            days=3,
            case=CaseRef(hall_id=demo["wengyuan"].pk, case_id=case.pk),
        ),
    )
    assert order.number not in section(supervisor.get("/").content.decode(), "orders_responded")
    order_respond(actor=user("wengyuan_rsj"), order=order, response="已办结")

    page = supervisor.get("/").content.decode()
    assert order.number in section(page, "orders_responded")
    assert f"/orders/{order.pk}/" in section(page, "orders_responded")

    order_accept(actor=user("shaoguan_supervisor"), order=SupervisionOrder.objects.get(pk=order.pk))
    assert order.number not in section(supervisor.get("/").content.decode(), "orders_responded")


def test_a_city_department_lands_on_its_slips_not_on_the_portal(demo: dict[str, Hall]) -> None:
    sent = register("wengyuan", transfer_to="shaoguan/rsj")
    late = register("nanxiong", transfer_to="shaoguan/rsj")
    slip = overdue(late.pk, "nanxiong")

    response = client_for("shaoguan_rsj", None).get("/")

    page = response.content.decode()
    assert response.status_code == 200
    slips = section(page, "slips")
    first = SlipIndex.objects.get(hall__code="wengyuan", case_id=sent.pk)
    assert first.slip_number in slips and slip.slip_number in slips
    assert f"http://wengyuan.localhost/slips/{first.slip_id}/" in slips
    assert slips.index(slip.slip_number) < slips.index(first.slip_number)  # overdue first
    assert counts(page)["overdue"] == 1
    assert 'id="todo-proposals_flagged"' not in page
    assert "<h1>市局督查门户</h1>" not in page and 'href="/portal/"' not in page
    assert no_personal_data(response.content)


def test_another_citys_supervisor_sees_none_of_it(demo: dict[str, Hall]) -> None:
    flagged = register("wengyuan", refused=True)

    page = client_for("qingyuan_supervisor", None).get("/").content.decode()

    assert flagged.number not in page
    assert counts(page) == {"overdue": 0, "due_soon": 0, "due_today": 0}
