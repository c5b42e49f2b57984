"""The window's 补正 in a browser: asked on the case page (the page passes axe-core and fits a phone),
its 补正通知书 printed on one A4 page; the hall lead's retention card and the supervisor's retention
page pass axe-core too."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from casework.services import case_supplement_request
from tenants.models import Hall
from tests.browser.conftest import LiveSystem
from tests.browser.flows import (
    assert_usable,
    log_in,
    messages_on,
    new_page,
    register_case,
    resident_id,
    shoot,
    submit,
)
from tests.browser.test_print_one_page import printed_pages
from tests.casework.support import register
from tests.casework.web.conftest import in_hall
from tests.conftest import client_for, user

HALL = "wengyuan"


def test_the_window_asks_for_materials_and_the_lead_sees_the_retention_card(
    live_system: LiveSystem, browser: Any
) -> None:
    page = new_page(browser)
    step = "start"
    try:
        step = "register"
        log_in(page, live_system, HALL, "wengyuan_window", "/cases/new/")
        case_id, _number = register_case(
            page, name="王小红", phone="13912345678", id_number=resident_id("44022919900101123"),
            matter="不动产登记", problem="缺少户口本无法办理",
        )  # fmt: skip

        step = "ask refused"
        page.locator("#other-steps summary").click()
        form = page.locator("form[action$='/supplement-request/']")
        submit(page, form)  # nothing filled in
        assert messages_on(page), "no message says the step was not saved"
        assert page.locator("#step-supplement-request .error-summary").count() == 1

        step = "ask"
        form = page.locator("form[action$='/supplement-request/']")
        form.locator("textarea[name=note]").fill("户口本原件及复印件")
        form.locator("input[name=due]").fill((timezone.localdate() + timedelta(days=5)).isoformat())
        submit(page, form)
        assert page.url.endswith(f"/cases/{case_id}/"), page.url
        page.set_viewport_size({"width": 360, "height": 800})
        assert_usable(page)
        assert page.locator("#print-supplement").count() == 1

        step = "notice"
        page.goto(live_system.url(HALL, f"/cases/{case_id}/print/supplement/"))
        assert "户口本原件及复印件" in page.locator("#supplement-asked").inner_text()
    except Exception:
        shoot(page, f"supplement-{step.replace(' ', '-')}")
        raise
    finally:
        page.context.close()

    lead = new_page(browser)
    try:
        log_in(lead, live_system, HALL, "wengyuan_lead", f"/cases/{case_id}/")
        assert lead.locator("#retention form[action$='/retention-hold/']").count() == 1
        lead.set_viewport_size({"width": 360, "height": 800})
        assert_usable(lead)
    except Exception:
        shoot(lead, "retention-card")
        raise
    finally:
        lead.context.close()

    supervisor = new_page(browser)
    try:
        log_in(supervisor, live_system, None, "shaoguan_supervisor", "/portal/retention/")
        form = supervisor.locator("form[id^=retention-]").first
        form.locator("input[name=days]").fill("30")
        submit(supervisor, form)  # refused: below the minimum
        assert supervisor.locator(".field-invalid").count() == 1
        supervisor.set_viewport_size({"width": 360, "height": 800})
        assert_usable(supervisor)
    except Exception:
        shoot(supervisor, "retention-portal")
        raise
    finally:
        supervisor.context.close()


def test_the_supplement_notice_prints_on_one_page(chromium_path: str, demo: dict[str, Hall]) -> None:
    in_hall(demo[HALL])
    case = register(demo[HALL])
    case_supplement_request(
        case=case, actor=user("wengyuan_window"), note="户口本原件及复印件；近三个月社保缴费证明；委托书（如代办）",
        due=timezone.localdate() + timedelta(days=5),
    )  # fmt: skip

    html = client_for("wengyuan_window", HALL).get(f"/cases/{case.pk}/print/supplement/").content.decode()

    assert printed_pages(chromium_path, html) == 1
