"""The statistics dashboards in a real browser: every chart is drawn by the vendored Chart.js
(hallplatform/static/vendor) from the page's own JSON, nothing is fetched from elsewhere, no script
fails; without JavaScript the same page keeps every number in its tables."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import LiveSystem
from tests.browser.flows import LOCALE, WAIT_MS, log_in, new_page, shoot


def _open_dashboard(page: Any, live: LiveSystem, hall: str | None, username: str) -> tuple[list[str], list[str]]:
    errors: list[str] = []
    requested: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("request", lambda request: requested.append(request.url))
    log_in(page, live, hall, username, "/stats/")
    return errors, requested


def test_the_dashboards_draw_every_chart_from_the_projects_own_files(live_system: LiveSystem, browser: Any) -> None:
    for hall, username in (("wengyuan", "wengyuan_lead"), (None, "shaoguan_supervisor")):
        page = new_page(browser)
        try:
            errors, requested = _open_dashboard(page, live_system, hall, username)
            page.wait_for_function("document.querySelectorAll('.stats-chart canvas').length > 0")

            charts = page.locator(".stats-chart")
            assert charts.count() >= 5  # sections without rows in the period have no chart
            assert page.locator(".stats-chart canvas").count() == charts.count()
            assert page.locator(".stats-chart[hidden]").count() == 0
            assert page.evaluate("typeof window.Chart") == "function"
            assert errors == []
            hosts = {url.split("/")[2].split(":")[0] for url in requested}
            assert all(host.endswith(live_system.base_domain) for host in hosts), hosts
            if hall is None:
                assert page.locator("table[data-section=halls] tbody tr").count() == 11  # Shaoguan's halls
        except Exception:
            shoot(page, f"statistics-{username}")
            raise
        finally:
            page.context.close()


def test_without_javascript_the_tables_carry_the_numbers(live_system: LiveSystem, browser: Any) -> None:
    context = browser.new_context(locale=LOCALE, java_script_enabled=False)
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    try:
        log_in(page, live_system, "wengyuan", "wengyuan_lead", "/stats/", javascript=False)

        assert page.locator(".stats-chart canvas").count() == 0
        assert page.locator(".stats-chart:visible").count() == 0  # no empty boxes where charts would be
        assert page.locator("table.stats-table").count() >= 10
        assert page.locator("table[data-section=summary] tr[data-key=cases] td").count() == 3
    except Exception:
        shoot(page, "statistics-no-javascript")
        raise
    finally:
        context.close()
