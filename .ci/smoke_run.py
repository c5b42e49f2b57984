"""Smoke test of `python3 dev.py run` on the embedded defaults.

Starts the run command twice: the first time it is stopped with SIGINT (Ctrl-C), the second with
SIGTERM. Each time it must boot, serve a hall page and the city portal over HTTP, run a task on the
worker in the hall's schema, stop cleanly, and leave no process behind (web, worker, beat, Redis,
PostgreSQL).
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
PORT = int(os.environ.get("SMOKE_PORT", "8123"))
BOOT_TIMEOUT = 420


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


def fetch(opener: urllib.request.OpenerDirector, host: str, path: str, data: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    request = urllib.request.Request(f"http://127.0.0.1:{PORT}{path}", data=body, headers={"Host": host})
    if data is not None:
        request.add_header("Referer", f"http://{host}{path}")
    try:
        response = opener.open(request, timeout=30)
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode("utf-8", "replace")
    return response.status, dict(response.headers), response.read().decode("utf-8", "replace")


def check(condition: bool, message: str) -> None:
    if not condition:
        raise AssertionError(message)
    print(f"  ok: {message}", flush=True)


def exercise() -> None:
    # Each host has its own cookie jar, as a browser keeps host-only cookies apart.
    def opener() -> urllib.request.OpenerDirector:
        return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirect)

    hall, portal = "wengyuan.localhost", "localhost"
    browser = opener()
    status, headers, _ = fetch(browser, hall, "/")
    check(status == 302 and "/accounts/login/" in headers.get("Location", ""), "a hall's page asks for a login")
    # The hall's login page first asks the city login for a ticket (one login for the city); without a
    # session there, the city sends the browser back to the hall's own form.
    portal_browser = opener()
    status, headers, _ = fetch(browser, hall, "/accounts/login/")
    central = urllib.parse.urlsplit(headers.get("Location", ""))
    check(status == 302 and central.path == "/accounts/sso/ticket/", "the hall's login page asks the city login first")
    status, headers, _ = fetch(portal_browser, portal, f"{central.path}?{central.query}")
    back = urllib.parse.urlsplit(headers.get("Location", ""))
    check(status == 302 and back.hostname == hall, "without a city session the city sends the browser back to the hall")
    status, _, page = fetch(browser, hall, f"{back.path}?{back.query}")
    check(status == 200 and "翁源县政务服务中心" in page, "the hall's login page names the hall")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    check(token is not None, "the login form carries a CSRF token")
    assert token is not None
    status, headers, _ = fetch(
        browser,
        hall,
        "/accounts/login/",
        {"csrfmiddlewaretoken": token.group(1), "username": "wengyuan_lead", "password": "bancheng-demo", "next": "/"},
    )
    check(status == 302, "the demo hall lead logs in")
    status, _, page = fetch(browser, hall, "/")
    check(status == 200 and "翁源县人力资源和社会保障局" in page, "the hall's workbench is served")
    status, _, body = fetch(browser, hall, "/system/worker-check/")
    check(status == 200 and '"schema": "hall_wengyuan"' in body, "the worker runs the hall's task in its schema")
    status, _, page = fetch(opener(), portal, "/accounts/login/")
    check(status == 200, "the city portal serves its login page")
    for host in (hall, portal):
        status, _, body = fetch(opener(), host, "/readyz")
        check(status == 200 and '"status": "ok"' in body, f"{host} is ready")
    status, _, _ = fetch(opener(), "nowhere.localhost", "/")
    check(status == 404, "an unknown host is 404")


def processes_of(run: psutil.Process) -> list[psutil.Process]:
    found = [run, *run.children(recursive=True)]
    pidfile = ROOT / ".data" / "postgres" / "postmaster.pid"
    if pidfile.exists():
        postmaster = psutil.Process(int(pidfile.read_text().split()[0]))
        found += [postmaster, *postmaster.children(recursive=True)]
    return found


def smoke(stop_signal: signal.Signals) -> None:
    print(f"--- run, then stop with {stop_signal.name}", flush=True)
    log_path = ROOT / ".data" / f"smoke-{stop_signal.name}.log"
    log_path.parent.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    with open(log_path, "wb") as log:
        run = subprocess.Popen(
            [sys.executable, str(ROOT / "dev.py"), "run", "--port", str(PORT)],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    tree: list[psutil.Process] = []
    try:
        deadline = time.monotonic() + BOOT_TIMEOUT
        while "Bancheng is running" not in log_path.read_text(errors="replace"):
            if run.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("the run command did not boot:\n" + log_path.read_text(errors="replace")[-4000:])
            time.sleep(1)
        exercise()
        tree = processes_of(psutil.Process(run.pid))
        names = sorted({p.name() for p in tree if p.is_running()})
        print(f"  processes: {len(tree)} ({', '.join(names)})", flush=True)
        check(any("postgres" in n for n in names), "an embedded PostgreSQL was running")
        check(any("redis" in n for n in names), "an embedded Redis was running")
        run.send_signal(stop_signal)
        run.wait(90)
        check(run.returncode == 0, f"the run command exits 0 after {stop_signal.name}")
        time.sleep(1)
        left = [p for p in tree if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
        check(not left, "no process is left behind" + "".join(f"; left: {p.pid} {p.name()}" for p in left))
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
        for process in tree:
            if process.is_running():
                process.kill()


def main() -> int:
    try:
        smoke(signal.SIGINT)
        smoke(signal.SIGTERM)
    except AssertionError as failure:
        print(f"SMOKE TEST FAILED: {failure}", flush=True)
        return 1
    print("smoke test passed", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
