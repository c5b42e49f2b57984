"""The Content-Security-Policy in a real browser (docs/security.md): the main pages of each demo role
load without a single violation, and what runs on them still works under the policy: htmx's reveal
and repeat-reporter lookup, the print buttons, the language switch, the Chart.js charts, Swagger UI.

A violation is seen twice over: the page's ``securitypolicyviolation`` events (a listener added before
any of the page's own scripts) and Chromium's console message "Refused to …".
"""

from __future__ import annotations

import re
import urllib.request
from typing import Any

from tests.browser.conftest import LiveSystem
from tests.browser.flows import log_in, new_page, register_case, resident_id, shoot, transfer

HALL = "wengyuan"
DEPARTMENT = "翁源县人力资源和社会保障局"  # wengyuan/rsj
PHONE = "13955556666"

# Runs in every document before its own scripts. It records violations, and window.print() calls
# (headless Chromium's print dialog would do nothing to see).
WATCH = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", function (event) {
  var text = event.violatedDirective + " " + (event.blockedURI || "inline") + " at " + event.documentURI;
  window.__violations.push(text);
  console.error("CSP violation: " + text);
});
window.__printed = 0;
window.print = function () { window.__printed += 1; };
"""


class Watched:
    """A page of its own browser context, with every CSP complaint and script error it shows collected."""

    def __init__(self, browser: Any) -> None:
        self.page = new_page(browser)
        self.page.context.add_init_script(WATCH)
        self.complaints: list[str] = []
        self.visited: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.complaints.append(f"script error: {error}"))

    def _console(self, message: Any) -> None:
        text = message.text
        if "Content Security Policy" in text or text.startswith(("Refused to", "CSP violation")):
            self.complaints.append(text)

    def open(self, url: str) -> Any:
        self.page.goto(url)
        self.page.wait_for_load_state("load")
        self.visited.append(self.page.url)
        return self.page

    def check(self) -> None:
        """No violation on the page shown now (the console side covers pages left before)."""
        events = self.page.evaluate("window.__violations")
        assert events == [], events
        assert self.complaints == [], self.complaints

    def close(self) -> None:
        self.page.context.close()


def test_the_main_pages_of_every_role_run_under_the_policy(live_system: LiveSystem, browser: Any) -> None:
    window, department, supervisor, lead = (Watched(browser) for _ in range(4))
    step = "start"
    try:
        # The window: registration form (htmx lookup), case page (htmx reveal), prints, case list.
        step = "window"
        page = window.page
        log_in(page, live_system, HALL, "wengyuan_window", "/cases/new/")
        window.check()
        case_id, number = register_case(
            page,
            name="王建华",
            phone=PHONE,
            id_number=resident_id("44022919800202123"),
            matter="社保卡补办",
            problem="多次补办社保卡未成功",
        )
        window.check()
        page.locator("form[action$='/reveal/']:has(input[name=field][value=phone]) button").click()
        page.locator("#pd-phone .revealed").wait_for()
        assert page.locator("#pd-phone .revealed").inner_text() == PHONE  # htmx swapped the answer in
        window.check()
        transfer(page, department=DEPARTMENT, category="hard_to_do", request="请核实并办理")
        window.check()

        window.open(live_system.url(HALL, "/cases/new/"))
        page.locator("input[name=phone]").fill(PHONE)
        page.locator("#earlier-cases .earlier a").first.wait_for()  # htmx's lookup of a repeat reporter
        assert number in page.locator("#earlier-cases").inner_text()
        window.check()

        for path in (f"/cases/{case_id}/print/registration/", f"/cases/{case_id}/print/notice/"):
            window.open(live_system.url(HALL, path))
            page.locator("button[data-print]").click()
            assert page.evaluate("window.__printed") == 1, path  # page.js bound the print button
            window.check()
        window.open(live_system.url(HALL, "/cases/"))
        assert page.locator(f"a[href='/cases/{case_id}/']").count() >= 1
        window.check()

        # The language switch submits itself (page.js): the page comes back in English.
        with page.expect_navigation():
            page.locator("select[name=language]").select_option("en")
        assert page.locator("html").get_attribute("lang") == "en"
        window.check()

        # Swagger UI, served by drf-spectacular's split view from the project's own files.
        step = "api docs"
        window.open(live_system.url(HALL, "/api/docs/"))
        page.locator(".swagger-ui .opblock").first.wait_for()
        assert page.locator(".swagger-ui .opblock").count() > 20
        assert page.locator(".opblock-summary-path[data-path='/api/v1/cases/']").count() >= 1
        window.check()

        # The department: inbox, slip page and its print, on the hall's host; the cross-hall inbox.
        step = "department"
        page = department.page
        log_in(page, live_system, HALL, "wengyuan_rsj", "/inbox/")
        row = page.locator("table.inbox tbody tr").filter(has_text=number)
        assert row.count() == 1
        with page.expect_navigation():
            row.locator("a[href*='/slips/']").first.click()
        slip_path = re.sub(r"^https?://[^/]+", "", page.url)
        assert re.fullmatch(r"/slips/\d+/", slip_path), slip_path
        department.check()
        window_print = department.open(live_system.url(HALL, f"{slip_path}print/"))
        window_print.locator("button[data-print]").click()
        assert window_print.evaluate("window.__printed") == 1
        department.check()
        for path in ("/meetings/", "/notices/"):
            department.open(live_system.url(HALL, path))
            department.check()

        # The city supervisor: the portal, the city dashboard with its charts, meetings.
        step = "supervisor"
        page = supervisor.page
        log_in(page, live_system, None, "shaoguan_supervisor", "/portal/")
        supervisor.check()
        supervisor.open(live_system.url(None, "/stats/"))
        page.wait_for_function("document.querySelectorAll('.stats-chart canvas').length > 0")
        assert page.locator(".stats-chart canvas").count() == page.locator(".stats-chart").count() >= 5
        supervisor.check()
        for path in ("/meetings/", "/meetings/new/", "/orders/"):
            supervisor.open(live_system.url(None, path))
            supervisor.check()

        # The hall lead: the hall's dashboard and reports, meetings, office hours.
        step = "lead"
        page = lead.page
        log_in(page, live_system, HALL, "wengyuan_lead", "/stats/")
        page.wait_for_function("document.querySelectorAll('.stats-chart canvas').length > 0")
        lead.check()
        for path in ("/meetings/", "/reports/", "/settings/office-hours/", f"/cases/{case_id}/"):
            lead.open(live_system.url(HALL, path))
            lead.check()
    except Exception:
        roles = {"window": window, "department": department, "supervisor": supervisor, "lead": lead}
        for name, watched in roles.items():
            shoot(watched.page, f"csp-{step}-{name}")
        raise
    finally:
        for watched in (window, department, supervisor, lead):
            watched.close()


def test_an_inline_script_would_be_refused_and_seen(live_system: LiveSystem, browser: Any) -> None:
    """The watch itself works: a script added inline to a served page is blocked and reported."""
    watched = Watched(browser)
    try:
        page = watched.open(live_system.url(HALL, "/accounts/login/"))
        watched.check()
        page.evaluate(
            "var s = document.createElement('script'); s.textContent = 'window.__ran = 1';document.body.appendChild(s);"
        )
        page.wait_for_function("window.__violations.length > 0")

        assert page.evaluate("window.__ran") is None
        assert any("script-src" in v for v in page.evaluate("window.__violations"))
        assert any("Content Security Policy" in c or "CSP violation" in c for c in watched.complaints)
    finally:
        watched.close()


def _get(live: LiveSystem, path: str) -> Any:
    request = urllib.request.Request(
        f"http://127.0.0.1:{live.port}{path}", headers={"Host": f"{HALL}.{live.base_domain}:{live.port}"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (http to ourselves)
        return response.status, response.headers


def test_static_files_keep_their_caching_and_pages_do_not(live_system: LiveSystem) -> None:
    static_status, static = _get(live_system, "/static/hallplatform/page.js")
    login_status, login = _get(live_system, "/accounts/login/?sso=none")  # the hall's own form

    assert static_status == 200 and "no-store" not in static.get("Cache-Control", "")
    assert login_status == 200 and {"no-store", "private"} <= set(login["Cache-Control"].split(", "))
    assert "script-src 'self'" in login["Content-Security-Policy"]
