"""Steps the browser tests share: logging in and out on a host, registering a case at a window and
transferring it, each through the pages the way a person does it; and the two checks every page
must pass (docs/accessibility.md): it fits a phone's width, and axe-core finds nothing critical or
serious on it.

Selectors are structural (form actions, field names, CSS classes of the templates) rather than button
texts, so the tests hold whichever strings the compiled catalogue translates.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone
from django.utils.translation import override

from tests.browser.conftest import LiveSystem

PASSWORD = "bancheng-demo"  # the demo's password (tenants/demo.py)
LOCALE = "zh-CN"
UI_LANGUAGE = "zh-hans"  # what Django picks for Accept-Language zh-CN
SHOTS = Path("/tmp")  # noqa: S108 (screenshots of a failing step, for whoever debugs it)
WAIT_MS = 15_000
PHONE = {"width": 390, "height": 844}
SMALL_PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 900}
BLOCKING = ("critical", "serious")  # the axe-core impacts a page must not have

# How far the page scrolls sideways, and the element that reaches furthest right outside any box
# that scrolls or clips on its own (where a fix starts).
OVERFLOW_JS = """() => {
  const width = document.documentElement.clientWidth;
  let widest = null, furthest = width;
  for (const element of document.body.querySelectorAll('*')) {
    const box = element.getBoundingClientRect();
    if (box.width === 0 || box.right <= furthest + 1) continue;
    let parent = element.parentElement, clipped = false;
    for (; parent && parent !== document.body; parent = parent.parentElement) {
      if (getComputedStyle(parent).overflowX !== 'visible') { clipped = true; break; }
    }
    if (clipped) continue;
    furthest = box.right;
    const classes = typeof element.className === 'string' ? element.className.trim() : '';
    widest = element.tagName.toLowerCase() + (element.id ? '#' + element.id : '')
      + (classes ? '.' + classes.split(/\\s+/).join('.') : '');
  }
  return {overflow: document.documentElement.scrollWidth - innerWidth, width: innerWidth, widest: widest};
}"""


def ui(text: Any) -> str:
    """A lazy string as the server shows it to a zh-CN browser (translated if the catalogue has it)."""
    with override(UI_LANGUAGE):
        return str(text)


def resident_id(base17: str) -> str:
    """An 18-digit resident ID number with its GB 11643 check character."""
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(digit) * weight for digit, weight in zip(base17, weights, strict=True))
    return base17 + "10X98765432"[total % 11]


def new_page(browser: Any) -> Any:
    """A page in a browser context of its own: one person, their own cookies. Every HTML page it
    opens with ``goto`` must pass axe-core, like the pages ``log_in`` and ``submit`` land on."""
    context = browser.new_context(locale=LOCALE)
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    checked_goto(page)
    return page


def checked_goto(page: Any) -> None:
    """Make ``page.goto`` check each HTML page it opens with axe-core (JavaScript must be on)."""
    goto = page.goto

    def goto_and_check(url: str, **kwargs: Any) -> Any:
        response = goto(url, **kwargs)
        if response is not None and response.ok and "text/html" in (response.headers.get("content-type") or ""):
            assert_accessible(page)
        return response

    page.goto = goto_and_check


def assert_fits_phone(page: Any) -> None:
    """The page does not scroll sideways at the browser's width (wide tables scroll inside their own
    `.table-wrap` box or become cards)."""
    found = page.evaluate(OVERFLOW_JS)
    assert found["overflow"] <= 0, (
        f"{page.url} scrolls sideways by {found['overflow']} px at {found['width']} px wide"
        + (f"; widest element: {found['widest']}" if found["widest"] else "")
    )


@cache
def _axe() -> Any:
    return Axe()  # reads axe-core's script once


def accessibility_violations(page: Any) -> list[str]:
    """axe-core's critical and serious violations on the page as it is now: "rule-id: targets"."""
    results = _axe().run(page)
    return [
        f"{violation['id']} ({violation['impact']}): "
        + ", ".join(" ".join(node["target"]) for node in violation["nodes"][:5])
        for violation in results.response["violations"]
        if violation["impact"] in BLOCKING
    ]


def assert_accessible(page: Any) -> None:
    """axe-core finds no critical or serious violation on the page."""
    violations = accessibility_violations(page)
    assert not violations, f"{page.url} fails axe-core: " + "; ".join(violations)


def assert_usable(page: Any) -> None:
    """Both checks on the page as it is now."""
    assert_fits_phone(page)
    assert_accessible(page)


def shoot(page: Any, name: str) -> None:
    """A full-page screenshot into /tmp (called on failure)."""
    try:
        page.screenshot(path=str(SHOTS / f"bancheng-{name}.png"), full_page=True)
    except Exception:  # a screenshot must not hide the failure itself
        return


def log_in(
    page: Any, live: LiveSystem, hall: str | None, username: str, path: str = "/", *, javascript: bool = True
) -> None:
    """Open ``path`` on the host of ``hall`` (None: the city portal), be sent to the login form, log
    in and land back on ``path``, which must pass axe-core (``javascript=False`` for a browser without
    JavaScript, where axe-core cannot run)."""
    page.goto(live.url(hall, path))
    assert "/accounts/login/" in page.url, f"{path} did not ask {username} to log in: {page.url}"
    form = page.locator("form:has(input[name=password])")
    form.locator("input[name=username]").fill(username)
    form.locator("input[name=password]").fill(PASSWORD)
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    assert "/accounts/login/" not in page.url, f"{username} could not log in on {hall or 'the portal'}"
    assert page.url.split("?")[0].endswith(path), f"{username} landed on {page.url}, not {path}"
    if javascript:
        assert_accessible(page)


def log_out(page: Any) -> None:
    """The header's logout form; the login page follows."""
    with page.expect_navigation():
        page.locator("form[action$='/accounts/logout/'] button[type=submit]").click()
    assert "/accounts/login/" in page.url


def submit(page: Any, form: Any) -> None:
    """Submit ``form`` by its own submit button and wait for the page that answers (which must pass
    axe-core, like every page a test lands on)."""
    with page.expect_navigation():
        form.locator("button[type=submit]").first.click()
    assert_accessible(page)


def messages_on(page: Any) -> str:
    return " ".join(page.locator("ul.messages li").all_inner_texts())


def register_case(page: Any, *, name: str, phone: str, id_number: str, matter: str, problem: str) -> tuple[int, str]:
    """Fill the 登记表 on /cases/new/ and save it; returns the case's id and NO from the case page."""
    form = page.locator("form[action$='/cases/new/']")
    form.locator("input[name=channel][value=on_site]").check()
    form.locator("input[name=applicant_kind][value=person]").check()
    form.locator("input[name=applicant_name]").fill(name)
    form.locator("input[name=phone]").fill(phone)
    form.locator("select[name=document_type]").select_option("resident_id")
    form.locator("input[name=document_number]").fill(id_number)
    form.locator("input[name=address]").fill("翁源县龙仙镇建设路18号")
    form.locator("input[name=matter_name]").fill(matter)
    form.locator("textarea[name=problem]").fill(problem)
    form.locator("textarea[name=acceptance_note]").fill("窗口现场受理")
    form.locator("textarea[name=remarks]").fill("浏览器测试")
    submit(page, form)
    match = re.search(r"/cases/(\d+)/$", page.url)
    assert match, f"registration did not open the case page: {page.url}; {messages_on(page)}"
    number = page.locator(".sheet-meta .no").inner_text().removeprefix("NO：").strip()
    year = timezone.localdate().year
    assert re.fullmatch(rf"440229-{year}-\d{{5}}", number), number
    return int(match.group(1)), number


def transfer(page: Any, *, department: str, category: str, request: str) -> int:
    """The case page's transfer form: ``department`` (its name) with what it is asked; returns the
    department's id."""
    form = page.locator("form[action$='/transfer/']")
    form.locator("select[name=category]").select_option(category)
    row = form.locator("table.departments tbody tr").filter(has_text=department)
    assert row.count() == 1, f"{department} is not offered exactly once for a transfer"
    box = row.locator("input[type=checkbox][name=department]")
    department_id = int(box.get_attribute("value") or "0")
    box.check()
    form.locator(f"input[name=request_{department_id}]").fill(request)
    form.locator(f"select[name=complexity_{department_id}]").select_option("ordinary")
    form.locator("textarea[name=coordination_note]").fill("请核实参保记录")
    submit(page, form)
    assert page.locator(".page-head span.status.status-transferred").count() == 1, messages_on(page)
    return department_id
