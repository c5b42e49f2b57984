"""The person's progress API (casework/api/public_progress.py; docs/api.md, "Public endpoints"): the
same proof and the same failure counting as the progress page, the summary without unmasked data or
internal notes, the CAPTCHA before codes, 404 on the city portal, and the schema's "public" tag."""

from __future__ import annotations

import shutil
from typing import Any

import pytest
from captcha.models import CaptchaStore
from django.test import Client
from drf_spectacular.generators import SchemaGenerator

from casework.models import Case, ProgressCode, ProgressFailure
from casework.services import case_feedback_record, slip_reply
from hallplatform.audit.models import AuditEvent
from hallplatform.models import CodeRequest
from hallplatform.schemas import use_hall_schema
from notifications.models import ConsoleMessage
from tests.casework.support import Clock, draft, install_clock, register, slips_of, transfer
from tests.casework.test_case_register import ID_NUMBER
from tests.casework.test_progress_page import PHONE_LAST_FOUR, person, sent_code, token_of
from tests.conftest import host_of, user

URL = "/api/v1/public/progress/"
ADDRESS = "203.0.113.80"


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return install_clock(monkeypatch)


@pytest.fixture
def hall(demo: dict[str, Any], clock: Clock, settings: Any) -> Any:
    settings.PROGRESS_THROTTLE_RATE = "1000/minute"
    settings.CAPTCHA_AFTER_CODE_REQUESTS = 2
    use_hall_schema(demo["wengyuan"])
    return demo["wengyuan"]


def caller(code: str | None = "wengyuan", address: str = ADDRESS) -> Client:
    return Client(HTTP_HOST=host_of(code), REMOTE_ADDR=address)


def post(client: Client, path: str, data: dict[str, Any]) -> Any:
    return client.post(path, data, content_type="application/json")


def test_the_right_digits_give_the_summary_without_personal_data_or_notes(hall: Any, clock: Clock) -> None:
    case = register(hall, remarks="内部备注：此人多次来访", acceptance_note="受理意见内部")
    transfer(case, draft("wengyuan/rsj"))
    clock.set("2026-03-02T10:00")
    [slip] = [s for s in slips_of(case) if s.is_open]
    slip_reply(slip=slip, actor=user("wengyuan_rsj"), result="done", reply="部门内部答复：已办结")
    case_feedback_record(
        case=Case.objects.get(pk=case.pk), actor=user("wengyuan_window"), method="phone", content="已电话告知可领取"
    )

    answer = post(caller(), URL, {"number": case.number, "last_four": PHONE_LAST_FOUR})

    assert answer.status_code == 200, answer.content
    body, text = answer.json(), answer.content.decode()
    assert body["number"] == case.number and body["matter"] == "社保卡补办"
    assert (body["applicant"], body["phone"]) == ("张*", "138****5678")
    assert body["handler"] == str(user("wengyuan_window"))
    for hidden in ("张三", "13812345678", "多次到窗口补办社保卡未成功", "翁源县龙仙镇建设路1号", "内部备注",
                   "受理意见内部", "部门内部答复", "请核实并办理", ID_NUMBER, str(user("wengyuan_rsj"))):  # fmt: skip
        assert hidden not in text, hidden
    assert [step["key"] for step in body["steps"]] == [
        "registered", "transferred", "replied", "told", "followed_up", "closed",
    ]  # fmt: skip
    assert [step["state"] for step in body["steps"]] == ["done", "done", "done", "done", "current", "todo"]
    assert body["steps"][0]["at"] and body["status"] == "fed_back"
    assert [told["text"] for told in body["told"]] == ["已电话告知可领取"]
    assert set(body["hall"]) == {"name", "phone", "address"} and body["hall"]["name"] == hall.name
    view = AuditEvent.objects.get(action="progress.view", target_id=str(case.pk))
    assert (view.changes["via"], view.changes["method"], view.changes["ip"]) == ("number", "digits", ADDRESS)
    assert not ProgressFailure.objects.exists()


def test_nothing_is_told_before_the_window_told_the_person(hall: Any) -> None:
    case = register(hall)
    transfer(case, draft("wengyuan/rsj"))

    body = post(caller(), URL, {"number": case.number, "last_four": PHONE_LAST_FOUR}).json()

    assert body["told"] == [] and body["result"] == "" and body["told_at"] is None
    assert body["steps"][2]["state"] == "current" and body["steps"][2]["due_at"]


def test_the_token_and_a_one_time_code_work_too(hall: Any) -> None:
    case = register(hall)
    assert post(caller(), URL + "code/", {"number": case.number}).status_code == 200

    answer = post(caller(), URL, {"token": token_of(case), "code": sent_code()})

    assert answer.status_code == 200 and answer.json()["number"] == case.number
    assert AuditEvent.objects.get(action="progress.view").changes["via"] == "token"


def test_wrong_digits_and_an_unknown_number_answer_alike_and_are_counted(hall: Any) -> None:
    case = register(hall)

    wrong = post(caller(), URL, {"number": case.number, "last_four": "0000"})
    unknown = post(caller(address="198.51.100.81"), URL, {"number": "NOPE-404", "last_four": "0000"})
    bad_token = post(caller(address="198.51.100.82"), URL, {"token": "x" * 32, "last_four": "0000"})

    assert wrong.status_code == unknown.status_code == bad_token.status_code == 400
    assert wrong.json() == unknown.json() == bad_token.json()
    assert list(wrong.json()["fields"]) == ["last_four"]
    assert ProgressFailure.objects.count() == 3
    assert not AuditEvent.objects.filter(action="progress.view").exists()


def test_the_block_is_shared_with_the_page(hall: Any, clock: Clock) -> None:
    case = register(hall)
    page = person(address=ADDRESS)
    for _ in range(3):
        assert page.post("/progress/", {"number": case.number, "secret": "1111"}).status_code == 400
    api = caller()
    answers = [post(api, URL, {"number": case.number, "last_four": "1111"}).status_code for _ in range(2)]

    # the fifth wrong try (two in the API after three on the page) blocks the NO, page and API alike
    assert answers == [400, 429]
    right = post(api, URL, {"number": case.number, "last_four": PHONE_LAST_FOUR})
    assert right.status_code == 429 and int(right["Retry-After"]) > 0
    assert right.json()["code"] == "throttled"
    assert page.post("/progress/", {"number": case.number, "secret": PHONE_LAST_FOUR}).status_code == 429
    assert not AuditEvent.objects.filter(action="progress.view").exists()

    clock.advance(minutes=31)
    assert (
        post(caller(address="198.51.100.83"), URL, {"number": case.number, "last_four": PHONE_LAST_FOUR}).status_code
        == 200
    )


def test_a_case_of_another_hall_is_unknown_on_this_host(hall: Any) -> None:
    case = register(hall)
    token = token_of(case)

    elsewhere = post(caller("nanxiong"), URL, {"number": case.number, "last_four": PHONE_LAST_FOUR})
    by_token = post(caller("nanxiong"), URL, {"token": token, "last_four": PHONE_LAST_FOUR})

    assert elsewhere.status_code == by_token.status_code == 400
    assert elsewhere.json() == by_token.json()
    assert case.number not in elsewhere.content.decode()
    use_hall_schema(hall)
    assert not AuditEvent.objects.filter(action="progress.view").exists()


def test_the_city_portal_answers_404_in_the_error_shape(hall: Any) -> None:
    case = register(hall)
    portal = caller(None)

    answers = [
        post(portal, URL, {"number": case.number, "last_four": PHONE_LAST_FOUR}),
        post(portal, URL + "code/", {"number": case.number}),
        portal.get(URL + "captcha/"),
    ]

    assert [answer.status_code for answer in answers] == [404, 404, 404]
    assert all(answer.json()["code"] == "not_found" for answer in answers)
    assert not ConsoleMessage.objects.exists() and not CodeRequest.objects.exists()
    use_hall_schema(hall)
    assert not ProgressFailure.objects.exists()


def test_the_proof_must_name_one_case_and_one_secret(hall: Any) -> None:
    neither = post(caller(), URL, {"last_four": "1234"})
    both = post(caller(), URL, {"number": "A", "token": "b", "code": "123456", "last_four": "1234"})
    letters = post(caller(), URL, {"number": "A", "last_four": "12ab"})

    assert (neither.status_code, both.status_code, letters.status_code) == (400, 400, 400)
    assert set(neither.json()["fields"]) == {"number"}
    assert set(both.json()["fields"]) == {"number", "last_four"}
    assert set(letters.json()["fields"]) == {"last_four"}
    assert not ProgressFailure.objects.exists()


# --- Codes and the CAPTCHA ---------------------------------------------------------------------------


def test_codes_answer_alike_then_ask_for_the_captcha_shared_with_the_page(hall: Any) -> None:
    case = register(hall)
    api = caller()

    known = post(api, URL + "code/", {"number": case.number})
    unknown = person(address=ADDRESS).post("/progress/code/", {"number": "NOPE-1"})  # the page counts too

    assert known.status_code == 200 and known.json()["captcha_required"] is False
    assert unknown.status_code == 200  # the second request of the address, on the page
    use_hall_schema(hall)
    messages, codes = ConsoleMessage.objects.count(), ProgressCode.objects.count()
    assert (messages, codes) == (1, 1)

    # without the picture, or with a wrong one: 400 captcha_required, nothing sent or recorded
    missing = post(api, URL + "code/", {"number": case.number})
    picture = api.get(URL + "captcha/").json()
    wrong = post(api, URL + "code/", {"number": case.number, "captcha_key": picture["key"], "captcha_value": "zz"})
    assert (missing.status_code, wrong.status_code) == (400, 400)
    assert missing.json()["code"] == wrong.json()["code"] == "captcha_required"
    assert list(wrong.json()["fields"]) == ["captcha_value"]
    assert (ConsoleMessage.objects.count(), ProgressCode.objects.count()) == (1, 1)
    assert CodeRequest.objects.filter(address=ADDRESS).count() == 2

    # with the right characters of a new picture: sent
    picture = api.get(URL + "captcha/").json()
    assert picture["captcha_required"] is True
    assert picture["image_url"] == f"http://{host_of('wengyuan')}/captcha/image/{picture['key']}/"
    assert api.get(picture["image_url"].split(host_of("wengyuan"))[1]).status_code == 200
    answer = CaptchaStore.objects.get(hashkey=picture["key"]).response
    right = post(api, URL + "code/", {"number": case.number, "captcha_key": picture["key"], "captcha_value": answer})
    assert right.status_code == 200 and right.json()["message"] == known.json()["message"]
    assert (ConsoleMessage.objects.count(), ProgressCode.objects.count()) == (2, 2)


def test_the_captcha_endpoint_offers_audio_only_with_flite(hall: Any, settings: Any, tmp_path: Any) -> None:
    settings.CAPTCHA_FLITE_PATH = str(tmp_path / "missing-flite")
    without = caller().get(URL + "captcha/").json()
    assert without["audio_url"] is None and without["captcha_required"] is False

    settings.CAPTCHA_FLITE_PATH = shutil.which("flite")
    with_audio = caller().get(URL + "captcha/").json()
    assert with_audio["audio_url"].endswith(f"/captcha/audio/{with_audio['key']}.wav")


def test_the_address_code_limit_is_429_with_retry_after(hall: Any, settings: Any) -> None:
    settings.PROGRESS_CODE_ADDRESS_LIMIT = 1
    settings.CAPTCHA_AFTER_CODE_REQUESTS = 100
    case = register(hall)
    api = caller()
    assert post(api, URL + "code/", {"number": case.number}).status_code == 200

    refused = post(api, URL + "code/", {"number": case.number})

    assert refused.status_code == 429 and refused["Retry-After"] == "3600"
    assert ProgressCode.objects.count() == 1


def test_the_page_rate_per_address_covers_the_api(hall: Any, settings: Any) -> None:
    settings.PROGRESS_THROTTLE_RATE = "2/minute"
    api = caller()

    answers = [post(api, URL, {"number": "A", "last_four": "1234"}) for _ in range(3)]

    assert [answer.status_code for answer in answers] == [400, 400, 429]
    assert int(answers[2]["Retry-After"]) > 0 and answers[2].json()["code"] == "throttled"


# --- The schema -----------------------------------------------------------------------------------------


def test_the_schema_lists_the_endpoints_under_the_public_tag() -> None:
    schema = SchemaGenerator().get_schema(request=None, public=True)

    tagged = {
        (path, method)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if "public" in operation.get("tags", [])
    }
    assert {
        ("/api/v1/public/progress/", "post"),
        ("/api/v1/public/progress/code/", "post"),
        ("/api/v1/public/progress/captcha/", "get"),
    } <= tagged
    assert all(path.startswith("/api/v1/public/") for path, _ in tagged)
    [tag] = [tag for tag in schema["tags"] if tag["name"] == "public"]
    assert "办事群众" in tag["description"] and "Public endpoints" in tag["description"]
    assert schema["paths"]["/api/v1/cases/"]["get"]["tags"] == ["v1"]  # staff endpoints unchanged
