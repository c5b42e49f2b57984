"""How fast the person's pages load on a slow phone network (issue 16 item 5: under 1 s).

Runs Debian's chromium (Playwright) at 360×740 against a running system (``python3 dev.py run``),
with the network emulated through the DevTools protocol as a slow mobile connection (by default
"Regular 3G": 750 kbit/s down, 250 kbit/s up, 100 ms round trip), cache disabled, and prints for each
page the bytes transferred and the time to the load event (median and worst of ``--rounds``):

    .venv/bin/python benchmarks/person_pages.py --origin http://wengyuan.localhost:8000

Pages: the progress lookup (/progress/), the page of a printed link (an unknown token: the same page
and weight as a real one before the digits), and the online report's first step (/report/). With
``--number`` and ``--digits`` it also confirms a case and measures its status page (steps, answer,
rating form).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import time
from typing import Any

from playwright.sync_api import sync_playwright

PROFILES = {
    # kbit/s down, kbit/s up, round trip ms (Chrome DevTools' presets)
    "regular-3g": (750, 250, 100),
    "slow-3g": (400, 400, 400),
}


def emulate(page: Any, profile: str) -> None:
    down, up, latency = PROFILES[profile]
    session = page.context.new_cdp_session(page)
    session.send("Network.enable")
    session.send("Network.setCacheDisabled", {"cacheDisabled": True})
    session.send(
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": latency,
            "downloadThroughput": down * 1000 / 8,
            "uploadThroughput": up * 1000 / 8,
        },
    )


def measure(page: Any, url: str) -> tuple[float, int]:
    """Load ``url``; (seconds to the load event, bytes of every response body)."""
    sizes: list[int] = []

    def count(response: Any) -> None:
        try:
            sizes.append(len(response.body()))
        except Exception:  # a redirect or an aborted request has no body
            sizes.append(0)

    page.on("response", count)
    started = time.perf_counter()
    page.goto(url, wait_until="load")
    elapsed = time.perf_counter() - started
    page.remove_listener("response", count)
    return elapsed, sum(sizes)


def report(name: str, weight: int, times: list[float]) -> None:
    median, worst = statistics.median(times), max(times)
    print(f"{name:22} {weight / 1024:6.1f} KiB  median {median:.2f} s  worst {worst:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--origin", default="http://wengyuan.localhost:8000", help="a hall's host, as served")
    parser.add_argument("--profile", choices=sorted(PROFILES), default="regular-3g")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--number", help="a case's NO, to measure its status page too")
    parser.add_argument("--digits", help="the last four digits of that case's phone")
    args = parser.parse_args()
    chromium = shutil.which("chromium")
    if chromium is None:
        raise SystemExit("Debian's chromium is needed (apt-get install chromium)")
    pages = {
        "progress lookup": f"{args.origin}/progress/",
        "printed link": f"{args.origin}/progress/{'x' * 32}/",
        "report, first step": f"{args.origin}/report/",
    }
    print(f"network: {args.profile} {PROFILES[args.profile]} (kbit/s down, up, ms); {args.rounds} rounds")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium)
        for name, url in pages.items():
            times, weight = [], 0
            for _ in range(args.rounds):
                context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True)
                page = context.new_page()
                emulate(page, args.profile)
                seconds, weight = measure(page, url)
                times.append(seconds)
                context.close()
            report(name, weight, times)
        if args.number and args.digits:
            times, weight = [], 0
            for _ in range(args.rounds):
                context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True)
                page = context.new_page()
                page.goto(f"{args.origin}/progress/")
                page.fill("#number", args.number)
                page.fill("input[name=secret]", args.digits)
                emulate(page, args.profile)
                sizes: list[int] = []

                def count(response: Any, sizes: list[int] = sizes) -> None:
                    try:
                        sizes.append(len(response.body()))
                    except Exception:  # the redirect after the form has no body
                        sizes.append(0)

                page.on("response", count)
                started = time.perf_counter()
                with page.expect_navigation(wait_until="load"):
                    page.click("form[action$='/progress/'] button[type=submit]")
                page.wait_for_load_state("load")
                times.append(time.perf_counter() - started)
                weight = sum(sizes)
                context.close()
            report("status page", weight, times)
        browser.close()


if __name__ == "__main__":
    main()
