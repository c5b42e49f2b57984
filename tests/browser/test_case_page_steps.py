"""The case page in a browser: the progress stepper shows where the case stands, and a refused step
opens with the focus on its first error (hallplatform/static/hallplatform/forms.js and the server's
autofocus), on the case page as on the registration form."""

from __future__ import annotations

from typing import Any

from casework.web.progress import STAGES
from tests.browser.conftest import LiveSystem
from tests.browser.flows import log_in, messages_on, new_page, register_case, resident_id, shoot, submit, ui

HALL = "wengyuan"


def label(key: str) -> str:
    return next(ui(text) for stage, text, _field in STAGES if stage == key)


def test_the_stepper_shows_the_current_step_and_a_refused_transfer_focuses_its_first_error(
    live_system: LiveSystem, browser: Any
) -> None:
    page = new_page(browser)
    step = "start"
    try:
        step = "registration refused"
        log_in(page, live_system, HALL, "wengyuan_window", "/cases/new/")
        submit(page, page.locator("form[action$='/cases/new/']"))
        focused = page.evaluate("document.activeElement && document.activeElement.name")
        assert focused == "applicant_name", f"focus on {focused!r} after a refused registration"

        step = "register"
        case_id, _number = register_case(
            page,
            name="王小红",
            phone="13912345678",
            id_number=resident_id("44022919900101123"),
            matter="不动产登记",
            problem="不动产登记资料不全无法办理",
        )

        step = "stepper"
        current = page.locator("#case-progress li[aria-current=step]")
        assert current.count() == 1
        assert label("transfer") in current.inner_text()
        done = page.locator("#case-progress li.stage-done")
        assert done.count() == 1 and label("register") in done.inner_text()
        # the expected next step (转办) comes first; the others are folded
        assert page.locator(".next-step form[action$='/transfer/']").count() == 1
        assert page.locator("details#other-steps form[action$='/answer/']").is_hidden()

        step = "transfer refused"
        page.evaluate("window.scrollTo(0, 0)")
        submit(page, page.locator("form[action$='/transfer/']"))  # no category, no department
        assert page.url.endswith(f"/cases/{case_id}/transfer/"), page.url
        assert messages_on(page), "no message says the step was not saved"
        active = page.evaluate(
            "({id: document.activeElement.id, name: document.activeElement.name, tag: document.activeElement.tagName})"
        )
        assert active == {"id": "transfer_category", "name": "category", "tag": "SELECT"}, active
        box = page.locator("#transfer_category").bounding_box()
        viewport = page.viewport_size
        assert box is not None and viewport is not None
        assert 0 <= box["y"] < viewport["height"], f"the first error is off screen: {box}"
        # the stepper still says where the case stands
        assert label("transfer") in page.locator("#case-progress li[aria-current=step]").inner_text()
    except BaseException:
        shoot(page, f"case-page-steps-{step}")
        raise
