"""Steps the browser tests share: logging in and out on a host, registering a case at a window and
transferring it, each through the pages the way a person does it.

Selectors are structural (form actions, field names, CSS classes of the templates) rather than button
texts, so the tests hold whichever strings the compiled catalogue translates.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from django.utils import timezone
from django.utils.translation import override

from tests.browser.conftest import LiveSystem

PASSWORD = "bancheng-demo"  # the demo's password (tenants/demo.py)
LOCALE = "zh-CN"
UI_LANGUAGE = "zh-hans"  # what Django picks for Accept-Language zh-CN
SHOTS = Path("/tmp")  # noqa: S108 (screenshots of a failing step, for whoever debugs it)
WAIT_MS = 15_000


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
    """A page in a browser context of its own: one person, their own cookies."""
    context = browser.new_context(locale=LOCALE)
    context.set_default_timeout(WAIT_MS)
    return context.new_page()


def shoot(page: Any, name: str) -> None:
    """A full-page screenshot into /tmp (called on failure)."""
    try:
        page.screenshot(path=str(SHOTS / f"bancheng-{name}.png"), full_page=True)
    except Exception:  # a screenshot must not hide the failure itself
        return


def log_in(page: Any, live: LiveSystem, hall: str | None, username: str, path: str = "/") -> None:
    """Open ``path`` on the host of ``hall`` (None: the city portal), be sent to the login form, log
    in and land back on ``path``."""
    page.goto(live.url(hall, path))
    assert "/accounts/login/" in page.url, f"{path} did not ask {username} to log in: {page.url}"
    form = page.locator("form:has(input[name=password])")
    form.locator("input[name=username]").fill(username)
    form.locator("input[name=password]").fill(PASSWORD)
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    assert "/accounts/login/" not in page.url, f"{username} could not log in on {hall or 'the portal'}"
    assert page.url.split("?")[0].endswith(path), f"{username} landed on {page.url}, not {path}"


def log_out(page: Any) -> None:
    """The header's logout form; the login page follows."""
    with page.expect_navigation():
        page.locator("form[action$='/accounts/logout/'] button[type=submit]").click()
    assert "/accounts/login/" in page.url


def submit(page: Any, form: Any) -> None:
    """Submit ``form`` by its own submit button and wait for the page that answers."""
    with page.expect_navigation():
        form.locator("button[type=submit]").first.click()


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
    assert page.locator("span.status.status-transferred").count() == 1, messages_on(page)
    return department_id
