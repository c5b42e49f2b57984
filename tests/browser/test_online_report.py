"""Reporting online on a phone (390×844; docs/online-reporting.md): the person asks for an SMS code,
confirms it, fills in the report with the notice's consent, and lands on the confirmation with the
report's progress link, which shows 待受理. Every page is checked by axe-core and fits the phone."""

from __future__ import annotations

import re
from typing import Any

import psycopg

from tests.browser.conftest import LiveSystem
from tests.browser.flows import assert_accessible, assert_fits_phone, shoot
from tests.browser.test_progress_page import phone_page

HALL = "wengyuan"
PHONE = "13912340011"


def last_code(live_system: LiveSystem) -> str:
    with psycopg.connect(live_system.database_url) as conn:
        row = conn.execute(
            "SELECT body FROM notifications_consolemessage WHERE reference = 'report:code' ORDER BY id DESC LIMIT 1"
        ).fetchone()
    assert row is not None
    found = re.search(r"\d{6}", row[0])
    assert found is not None
    return found.group(0)


def test_a_person_reports_online_on_a_phone(live_system: LiveSystem, browser: Any) -> None:
    person = phone_page(browser)
    step = "start"
    try:
        person.goto(live_system.url(HALL, "/report/"))
        assert_fits_phone(person)
        person.locator("#phone").fill(PHONE)
        with person.expect_navigation():
            person.locator("button[name=action][value=send]").click()
        assert person.locator("p.notice[role=status]").count() == 1
        assert_accessible(person)

        step = "code"
        person.locator("#code").fill(last_code(live_system))
        with person.expect_navigation():
            person.locator("button[name=action][value=verify]").click()
        assert person.url.endswith("/report/form/")
        assert_accessible(person)
        assert_fits_phone(person)

        step = "refused without consent"
        person.locator("#applicant_name").fill("李四")
        person.locator("#matter_name").fill("不动产登记查询")
        person.locator("#problem").fill("窗口说系统不支持，无法办理")
        with person.expect_navigation():
            person.locator("form button.primary").click()
        assert person.locator("#consent-error").count() == 1
        assert_accessible(person)

        step = "send"
        person.locator("#consent").check()
        with person.expect_navigation():
            person.locator("form button.primary").click()
        assert person.url.endswith("/report/done/")
        link = person.locator("#progress-link").inner_text().strip()
        assert re.fullmatch(r"http://wengyuan\.[^/]+/progress/[A-Za-z0-9_-]{32}/", link), link
        assert_accessible(person)
        assert_fits_phone(person)

        step = "progress"
        person.goto(link)
        assert person.locator("ol.steps li.step[aria-current=step]").count() == 1
        assert "不动产登记查询" in person.content() and PHONE not in person.content()
        person.goto(live_system.url(HALL, "/report/?text=large"))
        assert_fits_phone(person)
    except Exception:
        shoot(person, f"online-report-{step}")
        raise
