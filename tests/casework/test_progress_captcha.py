"""The CAPTCHA before a one-time code on the progress pages (hallplatform/captcha.py, casework/web/
person_progress.py; docs/progress-page.md, "CAPTCHA"): none for an address's first requests, then a
picture that must be solved before anything is sent; its picture and audio on the hall's host."""

from __future__ import annotations

import re
import shutil
from typing import Any

import pytest
from captcha.models import CaptchaStore
from django.test import Client

from casework.models import ProgressCode
from hallplatform.captcha import captcha_check, captcha_new, captcha_required, code_request_record
from hallplatform.models import CodeRequest
from hallplatform.schemas import use_hall_schema
from notifications.models import ConsoleMessage
from tenants.models import Hall
from tests.casework.support import Clock, install_clock, register
from tests.casework.test_progress_page import person, token_of
from tests.conftest import host_of

ADDRESS = "203.0.113.50"
FLITE = shutil.which("flite")


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return install_clock(monkeypatch)


@pytest.fixture
def hall(demo: dict[str, Any], clock: Clock, settings: Any) -> Any:
    settings.PROGRESS_THROTTLE_RATE = "1000/minute"
    settings.CAPTCHA_AFTER_CODE_REQUESTS = 2
    settings.CAPTCHA_WINDOW_MINUTES = 60
    use_hall_schema(demo["wengyuan"])
    return demo["wengyuan"]


def captcha_key(response: Any) -> str:
    found = re.search(r'name="captcha_key" value="([0-9a-f]+)"', response.content.decode())
    assert found is not None, "no CAPTCHA on the page"
    return found.group(1)


def answer_of(key: str) -> str:
    return CaptchaStore.objects.get(hashkey=key).response


def has_captcha(response: Any) -> bool:
    return 'name="captcha_value"' in response.content.decode()


def sent() -> tuple[int, int, int]:
    return ConsoleMessage.objects.count(), ProgressCode.objects.count(), CodeRequest.objects.count()


def test_no_captcha_for_the_first_requests_then_one_is_asked(hall: Any) -> None:
    Hall.objects.filter(pk=hall.pk).update(phone="0751-2800123")
    case = register(hall)
    client = person(address=ADDRESS)

    assert not has_captcha(client.get("/progress/"))
    first = client.post("/progress/code/", {"number": case.number})
    assert first.status_code == 200 and not has_captcha(first)
    second = client.post("/progress/code/", {"number": "UNKNOWN-1"})  # unknown NOs count alike

    # then the next form asks for the picture, with its alt text, label and the alternatives
    assert has_captcha(second)
    page = client.get("/progress/")
    text = page.content.decode()
    assert has_captcha(page)
    assert re.search(r'<img class="captcha-image" src="/captcha/image/[0-9a-f]+/" alt="[^"]+"', text)
    assert '<label for="captcha_value">' in text
    assert 'id="captcha-alternative"' in text and "0751-2800123" in text
    assert CodeRequest.objects.filter(address=ADDRESS).count() == 2
    # another address is not concerned
    assert not has_captcha(person(address="198.51.100.60").get("/progress/"))


def test_a_wrong_or_missing_captcha_sends_nothing_and_records_nothing(hall: Any) -> None:
    case = register(hall)
    client = person(address=ADDRESS)
    for _ in range(2):
        client.post("/progress/code/", {"number": case.number})
    key = captcha_key(client.get("/progress/"))
    before = sent()

    wrong = client.post("/progress/code/", {"number": case.number, "captcha_key": key, "captcha_value": "zzzz9"})
    missing = client.post("/progress/code/", {"number": case.number})

    assert (wrong.status_code, missing.status_code) == (400, 400)
    assert 'id="captcha-error"' in wrong.content.decode() and 'aria-invalid="true"' in wrong.content.decode()
    assert 'role="status"' not in wrong.content.decode()  # no "a code has been sent"
    assert sent() == before
    # the picture had its one try: its right answer no longer works
    assert not CaptchaStore.objects.filter(hashkey=key).exists()


def test_the_right_captcha_sends_the_code(hall: Any) -> None:
    case = register(hall)
    client = person(address=ADDRESS)
    for _ in range(2):
        client.post("/progress/code/", {"number": case.number})
    messages, codes, requests = sent()
    key = captcha_key(client.get("/progress/"))

    answer = client.post(
        "/progress/code/", {"number": case.number, "captcha_key": key, "captcha_value": answer_of(key).upper()}
    )

    assert answer.status_code == 200 and 'role="status"' in answer.content.decode()
    assert sent() == (messages + 1, codes + 1, requests + 1)
    assert ConsoleMessage.objects.latest("pk").reference == f"progress:{case.pk}"


def test_the_printed_links_page_asks_the_captcha_too(hall: Any) -> None:
    case = register(hall)
    client = person(address=ADDRESS)
    path = f"/progress/{token_of(case)}/"
    for _ in range(2):
        assert client.post(path, {"action": "code"}).status_code == 200
    before = sent()

    refused = client.post(path, {"action": "code", "captcha_key": "0" * 40, "captcha_value": "abcd"})
    assert refused.status_code == 400 and sent() == before
    key = captcha_key(refused)  # a new picture comes with the refusal
    accepted = client.post(path, {"action": "code", "captcha_key": key, "captcha_value": answer_of(key)})

    assert accepted.status_code == 200
    assert sent()[1] == before[1] + 1


def test_the_window_passes_and_the_captcha_is_no_longer_asked(hall: Any, clock: Clock) -> None:
    code_request_record(address=ADDRESS, scope="progress")
    code_request_record(address=ADDRESS, scope="report")  # any page that sends codes counts
    assert captcha_required(ADDRESS)

    clock.advance(minutes=61)

    assert not captcha_required(ADDRESS)


def test_zero_first_requests_means_always(hall: Any, settings: Any) -> None:
    settings.CAPTCHA_AFTER_CODE_REQUESTS = 0

    assert has_captcha(person(address="198.51.100.61").get("/progress/"))


def test_a_picture_is_good_for_one_check_and_expires(hall: Any, clock: Clock) -> None:
    first = captcha_new()
    assert captcha_check(key=first.key, value=answer_of(first.key).upper())
    assert not captcha_check(key=first.key, value="anything")  # used up
    second = captcha_new()
    answer = answer_of(second.key)
    clock.advance(minutes=6)  # CAPTCHA_TIMEOUT is 5
    assert not captcha_check(key=second.key, value=answer)
    assert not captcha_check(key="", value="")


# --- The picture and the audio on the hall's host ------------------------------------------------------


def test_the_picture_is_public_on_the_halls_host_and_not_cached(hall: Any) -> None:
    key = captcha_new().key
    client = Client(HTTP_HOST=host_of("nanxiong"), REMOTE_ADDR=ADDRESS)  # any hall, no login

    picture = client.get(f"/captcha/image/{key}/")

    assert picture.status_code == 200
    assert picture["Content-Type"] == "image/png" and picture.content.startswith(b"\x89PNG")
    assert picture["Cache-Control"] == "no-store"
    assert client.get(f"/captcha/image/{'0' * 40}/").status_code == 404
    # the city portal has no CAPTCHA
    assert Client(HTTP_HOST=host_of(None)).get(f"/captcha/image/{key}/").status_code == 404


def test_the_picture_is_throttled_per_address(hall: Any, settings: Any) -> None:
    settings.CAPTCHA_THROTTLE_RATE = "2/minute"
    key = captcha_new().key
    client = person(address=ADDRESS)

    answers = [client.get(f"/captcha/image/{key}/") for _ in range(3)]

    assert [answer.status_code for answer in answers] == [200, 200, 429]
    assert int(answers[2]["Retry-After"]) > 0
    assert person(address="198.51.100.62").get(f"/captcha/image/{key}/").status_code == 200


def test_the_audio_is_offered_when_flite_is_installed(hall: Any, settings: Any) -> None:
    assert FLITE is not None, "flite is installed on this machine and in CI (.ci/run)"
    settings.CAPTCHA_FLITE_PATH = FLITE
    settings.CAPTCHA_AFTER_CODE_REQUESTS = 0
    client = person(address=ADDRESS)

    page = client.get("/progress/").content.decode()
    found = re.search(r'href="(/captcha/audio/[0-9a-f]+\.wav)" id="captcha-audio"', page)
    assert found is not None
    audio = client.get(found.group(1))

    assert audio.status_code == 200 and audio["Content-Type"] == "audio/wav"
    body = b"".join(audio.streaming_content)
    assert body.startswith(b"RIFF") and len(body) > 1000


def test_without_flite_no_audio_link_and_no_audio(hall: Any, settings: Any, tmp_path: Any) -> None:
    settings.CAPTCHA_FLITE_PATH = str(tmp_path / "no-flite-here")
    settings.CAPTCHA_AFTER_CODE_REQUESTS = 0
    client = person(address=ADDRESS)

    page = client.get("/progress/")

    assert has_captcha(page)
    assert 'id="captcha-audio"' not in page.content.decode()
    key = captcha_key(page)
    assert client.get(f"/captcha/audio/{key}.wav").status_code == 404
