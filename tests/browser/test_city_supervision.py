"""The city supervisor through the web UI: a case the department refused (不给办) shows on the portal,
the supervisor convenes a joint meeting on it and issues a supervision order to the department, which
responds on its hall's host; the supervisor accepts the response."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from django.utils import timezone

from tests.browser.conftest import LiveSystem
from tests.browser.flows import (
    log_in,
    log_out,
    messages_on,
    new_page,
    register_case,
    resident_id,
    shoot,
    submit,
    transfer,
)

HALL = "wengyuan"
HALL_NAME = "翁源县政务服务中心"
OTHER_HALL_NAME = "南雄市政务服务中心"
DEPARTMENT = "翁源县人力资源和社会保障局"  # wengyuan/rsj
OTHER_DEPARTMENT = "南雄市人力资源和社会保障局"  # nanxiong/rsj
CITY_DEPARTMENT = "韶关市人力资源和社会保障局"  # shaoguan/rsj, the lead unit
DUE = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}")


def test_a_supervisor_convenes_a_meeting_on_a_refused_case_and_issues_an_order_that_is_answered(
    live_system: LiveSystem, browser: Any
) -> None:
    window = new_page(browser)
    supervisor = new_page(browser)
    department = new_page(browser)
    step = "start"
    try:
        # A window registers a case and transfers it as refused by the department (不给办).
        step = "register"
        log_in(window, live_system, HALL, "wengyuan_window", "/cases/new/")
        _case_id, number = register_case(
            window,
            name="李建国",
            phone="13922223333",
            id_number=resident_id("44022919780605321"),
            matter="失业保险金申领",
            problem="部门以材料不全为由拒绝受理失业保险金申领",
        )
        transfer(window, department=DEPARTMENT, category="refused", request="请说明不予受理的依据并依法办理")
        assert window.locator(".page-head .flag").count() == 1  # flagged for supervision
        log_out(window)

        # The supervisor's portal (the bare base domain) proposes the case for supervision.
        step = "portal"
        log_in(supervisor, live_system, None, "shaoguan_supervisor", "/portal/")
        hall_row = supervisor.locator("table.overview tbody tr").filter(has_text=HALL_NAME)
        assert hall_row.count() == 1
        assert int(hall_row.locator("a.flag").inner_text()) >= 1
        proposal = supervisor.locator("#proposals table.rows tbody tr").filter(has_text=number)
        assert proposal.count() == 1, f"{number} is not proposed for supervision"
        assert HALL_NAME in proposal.inner_text()

        # A joint meeting: the city's 人社局 leads; two counties' 人社局 and their halls take part.
        step = "meeting"
        supervisor.goto(live_system.url(None, "/meetings/new/"))
        form = supervisor.locator("form[action$='/meetings/new/']")
        starts = (timezone.localtime() + timedelta(days=2)).replace(hour=9, minute=30)
        form.locator("input[name=subject]").fill("失业保险金申领不给办协调会")
        form.locator("input[name=starts_at]").fill(starts.strftime("%Y-%m-%dT%H:%M"))
        form.locator("input[name=place]").fill("市政务服务中心三楼会议室")
        form.locator("select[name=lead_department]").select_option(label=CITY_DEPARTMENT)
        # the departments and halls lists are searchable checkboxes (picker.js) that set the selects
        for name in (DEPARTMENT, OTHER_DEPARTMENT, HALL_NAME, OTHER_HALL_NAME):
            option = form.locator("label.picker-option").filter(has_text=name)
            assert option.count() == 1, f"{name} is offered {option.count()} times"
            option.locator("input").check()
        form.locator("textarea[name=cases]").fill(f"{number} | 失业保险金申领被拒")
        form.locator("textarea[name=agenda]").fill("一、核实拒绝受理的依据\n二、明确办理责任与时限")
        submit(supervisor, form)
        convened = re.search(r"/meetings/(\d+)/$", supervisor.url)
        assert convened, f"{supervisor.url}: {messages_on(supervisor)}"
        minutes_print = f"/meetings/{convened.group(1)}/print/minutes/"
        assert supervisor.locator("span.status.status-convened").count() == 1
        invited = supervisor.locator("table.rows").first.locator("tbody tr")
        names = " ".join(invited.all_inner_texts())
        for unit in (CITY_DEPARTMENT, DEPARTMENT, OTHER_DEPARTMENT, HALL_NAME, OTHER_HALL_NAME):
            assert unit in names, f"{unit} is not invited: {names}"
        assert invited.count() == 5
        assert invited.filter(has_text=CITY_DEPARTMENT).locator(".badge").count() == 1  # the lead unit
        cases = supervisor.locator("table.rows").nth(1)
        assert number in cases.inner_text() and "失业保险金申领被拒" in cases.inner_text()
        assert starts.strftime("%Y-%m-%d %H:%M") in supervisor.locator("dl.facts").inner_text()

        # A supervision order to the county's 人社局 on the case, 3 working days.
        step = "order"
        supervisor.goto(live_system.url(None, "/orders/new/"))
        form = supervisor.locator("form[action$='/orders/new/']")
        form.locator("select[name=target_hall]").select_option(label=HALL_NAME)
        form.locator("select[name=target_department]").select_option(label=DEPARTMENT)
        form.locator("input[name=case_number]").fill(number)
        form.locator("textarea[name=reason]").fill("群众反映申领被拒，经核查材料齐全")
        form.locator("textarea[name=required_action]").fill("三个工作日内依法受理并书面反馈")
        form.locator("input[name=days]").fill("3")
        submit(supervisor, form)
        match = re.search(r"/orders/(\d+)/$", supervisor.url)
        assert match, f"{supervisor.url}: {messages_on(supervisor)}"
        order_id = int(match.group(1))
        assert supervisor.locator("span.status.status-issued").count() == 1
        facts = supervisor.locator("dl.facts").inner_text()
        assert number in facts and DEPARTMENT in facts and HALL_NAME in facts
        assert DUE.search(facts), f"no due time on the order: {facts}"

        # The order covers the case: the portal no longer proposes it.
        supervisor.goto(live_system.url(None, "/portal/"))
        assert supervisor.locator("#proposals table.rows tbody tr").filter(has_text=number).count() == 0

        # The department answers the order on its hall's host; the supervisor accepts the answer.
        step = "respond"
        log_in(department, live_system, HALL, "wengyuan_rsj", f"/orders/{order_id}/")
        respond = department.locator(f"form[action$='/orders/{order_id}/respond/']")
        respond.locator("textarea[name=response]").fill("已于今日受理申领并书面告知申请人")
        submit(department, respond)
        assert department.locator("span.status.status-responded").count() == 1, messages_on(department)

        step = "accept"
        supervisor.goto(live_system.url(None, f"/orders/{order_id}/"))
        assert "已于今日受理申领" in supervisor.locator("#response").inner_text()
        submit(supervisor, supervisor.locator(f"form[action$='/orders/{order_id}/accept/']"))
        # accepting closes the order: the first submit asks for a confirmation
        assert supervisor.locator("span.status.status-responded").count() == 1, messages_on(supervisor)
        submit(supervisor, supervisor.locator(f"form.confirm[action$='/orders/{order_id}/accept/']"))
        assert supervisor.locator("span.status.status-closed").count() == 1, messages_on(supervisor)
        assert supervisor.locator(f"form[action$='/orders/{order_id}/accept/']").count() == 0

        # The 会议纪要 print answers every role that may read it, each on its own host.
        step = "minutes print"
        readers: list[tuple[Any, str | None]] = [(supervisor, None), (department, HALL)]
        for username, host in (("wengyuan_lead", HALL), ("wengyuan_window", HALL), ("shaoguan_rsj", None)):
            reader = new_page(browser)
            log_in(reader, live_system, host, username)
            readers.append((reader, host))
        for page, host in readers:
            response = page.goto(live_system.url(host, minutes_print))
            assert response is not None and response.status == 200, (host, page.url)
            assert "失业保险金申领不给办协调会" in page.locator("body").inner_text()
    except BaseException:
        for name, page in (("window", window), ("supervisor", supervisor), ("department", department)):
            shoot(page, f"supervision-{step}-{name}")
        raise
