"""API throttles (`hallplatform/throttling.py`): unauthenticated calls and bad tokens per address,
generous per person, counted in a real Redis and failing open when it stops answering."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client, override_settings

from hallplatform.accounts.services import api_token_for
from tenants.models import Hall
from tenants.routing import forget_all_hosts
from tests.conftest import host_of, user

ANON_LIMIT = int(settings.API_THROTTLE_ANON_RATE.split("/")[0])


@pytest.fixture(autouse=True)
def _fresh_routes(db: None) -> Iterator[None]:
    forget_all_hosts()
    yield
    forget_all_hosts()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A Redis server of this test alone; the throttle cache points at it."""
    port = free_port()
    server = Path(sys.executable).parent / "redis-server"
    process = subprocess.Popen(
        [str(server), "--port", str(port), "--save", "", "--appendonly", "no", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                process.kill()
                raise
            time.sleep(0.05)
    caches = {**settings.CACHES, settings.THROTTLE_CACHE: {**settings.CACHES[settings.THROTTLE_CACHE],
                                                          "LOCATION": f"redis://127.0.0.1:{port}/0"}}  # fmt: skip
    try:
        with override_settings(CACHES=caches):
            yield process
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGCONT)
            process.terminate()
            process.wait(10)


def anonymous(address: str = "10.3.3.3") -> Client:
    return Client(HTTP_HOST=host_of("wengyuan"), REMOTE_ADDR=address)


def test_unauthenticated_calls_are_throttled_per_address_in_the_error_shape(
    demo: dict[str, Hall], own_redis: subprocess.Popen[bytes]
) -> None:
    client = anonymous()
    codes = [client.get("/api/v1/me/").status_code for _call in range(ANON_LIMIT)]
    assert set(codes) == {401}

    response = client.get("/api/v1/me/")

    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    body = response.json()
    assert set(body) == {"code", "message", "fields"} and body["code"] == "throttled"
    # another address is not concerned
    assert anonymous("10.3.3.4").get("/api/v1/me/").status_code == 401


def test_made_up_tokens_are_throttled(demo: dict[str, Hall], own_redis: subprocess.Popen[bytes]) -> None:
    codes = [
        Client(HTTP_HOST=host_of("wengyuan"), REMOTE_ADDR="10.4.4.4", HTTP_AUTHORIZATION=f"Token made-up-{n}")
        .get("/api/v1/me/")
        .status_code
        for n in range(ANON_LIMIT + 5)
    ]
    assert codes[:ANON_LIMIT] == [401] * ANON_LIMIT
    assert codes[ANON_LIMIT:] == [429] * 5


def test_a_busy_clerk_is_not_throttled(demo: dict[str, Hall], own_redis: subprocess.Popen[bytes]) -> None:
    token = api_token_for(user=user("wengyuan_window"))
    client = Client(HTTP_HOST=host_of("wengyuan"), REMOTE_ADDR="10.5.5.5", HTTP_AUTHORIZATION=f"Token {token}")
    codes = {client.get("/api/v1/me/").status_code for _call in range(120)}
    assert codes == {200}
    assert int(settings.API_THROTTLE_USER_RATE.split("/")[0]) >= 1000


@pytest.mark.parametrize("outage", ["paused", "stopped"])
def test_throttles_fail_open_when_redis_does_not_answer(
    demo: dict[str, Hall], own_redis: subprocess.Popen[bytes], outage: str
) -> None:
    client = anonymous("10.6.6.6")
    for _call in range(ANON_LIMIT):
        client.get("/api/v1/me/")
    assert client.get("/api/v1/me/").status_code == 429
    token = api_token_for(user=user("wengyuan_window"))
    clerk = Client(HTTP_HOST=host_of("wengyuan"), REMOTE_ADDR="10.6.6.7", HTTP_AUTHORIZATION=f"Token {token}")

    # when Redis stops answering
    if outage == "paused":
        os.kill(own_redis.pid, signal.SIGSTOP)
    else:
        own_redis.terminate()
        own_redis.wait(10)

    # then calls are answered as if there were no throttle: no 429, no 500, within the timeout
    started = time.monotonic()
    assert client.get("/api/v1/me/").status_code == 401
    assert clerk.get("/api/v1/me/").status_code == 200
    assert time.monotonic() - started < 5
