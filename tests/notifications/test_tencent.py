"""notifications/providers/tencent.py: the request built for Tencent Cloud SMS, and its errors.

Only the HTTP call is stubbed (the SDK's ProxyConnection.request): the SDK builds, signs and parses
as it does in production.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
from tencentcloud.common.http.request import ProxyConnection

from notifications.models import Notice, NoticeChannel, NoticeState
from notifications.providers.tencent import TencentSmsProvider
from notifications.services import notice_deliver, notice_enqueue
from tests.notifications.conftest import BREACH_CONTEXT, staff


@dataclass
class FakeResponse:
    body: dict[str, Any]
    status_code: int = 200
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "application/json"})

    @property
    def content(self) -> bytes:
        return json.dumps(self.body).encode()


def ok(serial: str = "2433:346270787517157926915410722") -> dict[str, Any]:
    return {
        "Response": {
            "SendStatusSet": [
                {
                    "SerialNo": serial,
                    "PhoneNumber": "+8613812345678",
                    "Fee": 1,
                    "SessionContext": "",
                    "Code": "Ok",
                    "Message": "send success",
                    "IsoCode": "CN",
                }
            ],
            "RequestId": "a0aabda6-cf91-4f3e-a81f-9198114a2279",
        }
    }


def api_error(code: str, message: str) -> dict[str, Any]:
    return {"Response": {"Error": {"Code": code, "Message": message}, "RequestId": "b1b2c3"}}


@dataclass
class Stub:
    """The HTTP requests the SDK made, and the answers to give them (``ok()`` when none is left)."""

    requests: list[dict[str, Any]] = field(default_factory=list)
    answers: list[Any] = field(default_factory=list)


@pytest.fixture
def tencent(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Stub:
    """Tencent Cloud SMS configured, its HTTP call stubbed."""
    settings.SMS_PROVIDER = "tencent"
    settings.TENCENTCLOUD_SECRET_ID = "AKIDtestsecretid"
    settings.TENCENTCLOUD_SECRET_KEY = "testsecretkey"
    settings.SMS_SDK_APP_ID = "1400787878"
    settings.SMS_SIGN_NAME = "韶关政务服务"
    settings.TENCENTCLOUD_SMS_REGION = "ap-guangzhou"
    settings.SMS_TEMPLATE_IDS = {"deadline_breach": "1987654"}
    stub = Stub()

    def request(self: ProxyConnection, method: str, url: str, body: Any = None, headers: Any = None) -> Any:
        stub.requests.append({"method": method, "url": url, "body": json.loads(body), "headers": dict(headers or {})})
        answer = stub.answers.pop(0) if stub.answers else ok()
        if isinstance(answer, Exception):
            raise answer
        return FakeResponse(answer)

    monkeypatch.setattr(ProxyConnection, "request", request)
    return stub


def sms_notice(phone: str = "138 1234 5678") -> Notice:
    notice = notice_enqueue(
        kind="deadline_breach",
        event_key="deadline:42:breach",
        channel=NoticeChannel.SMS,
        recipient_user=staff("n_tencent", phone=phone),
        context=BREACH_CONTEXT,
    )
    assert notice is not None
    return notice


def test_the_request_names_the_number_template_and_parameters(demo: Any, tencent: Stub) -> None:
    notice = sms_notice()

    outcome = notice_deliver(notice_id=notice.pk)

    (request,) = tencent.requests
    assert request["method"] == "POST"
    assert request["url"] == "https://sms.tencentcloudapi.com"
    assert request["headers"]["X-TC-Action"] == "SendSms"
    assert request["headers"]["X-TC-Version"] == "2021-01-11"
    assert request["headers"]["X-TC-Region"] == "ap-guangzhou"
    assert request["headers"]["Authorization"].startswith("TC3-HMAC-SHA256 Credential=AKIDtestsecretid/")
    assert "testsecretkey" not in json.dumps(request)
    assert request["body"] == {
        "PhoneNumberSet": ["+8613812345678"],
        "SmsSdkAppId": "1400787878",
        "SignName": "韶关政务服务",
        "TemplateId": "1987654",
        "TemplateParamSet": ["案件 WY-2025-0012", "部门答复期限", "2025年3月3日 17:00"],
        "SessionContext": f"notice:{notice.pk}",
    }
    notice = Notice.objects.get(pk=notice.pk)
    assert outcome.state == notice.state == NoticeState.SENT
    assert notice.provider == "tencent"
    assert notice.provider_message_id == "2433:346270787517157926915410722"


def test_a_rejected_template_fails_at_once_with_the_providers_reason(demo: Any, tencent: Stub) -> None:
    tencent.answers.append(api_error("FailedOperation.TemplateIncorrectOrUnapproved", "模板未审批或内容不匹配"))
    notice = sms_notice()

    outcome = notice_deliver(notice_id=notice.pk)

    notice = Notice.objects.get(pk=notice.pk)
    assert outcome.state == notice.state == NoticeState.FAILED
    assert notice.attempts == 1
    assert notice.last_error == (
        "attempt 1: FailedOperation.TemplateIncorrectOrUnapproved: 模板未审批或内容不匹配 (request b1b2c3)"
    )


@pytest.mark.parametrize(
    ("answer", "code"),
    [
        (api_error("InternalError.Timeout", "后端超时"), "InternalError.Timeout"),
        (
            api_error("LimitExceeded.PhoneNumberThirtySecondLimit", "30秒内发送过"),
            "LimitExceeded.PhoneNumberThirtySecondLimit",
        ),
        (requests.exceptions.ConnectTimeout("connect timeout"), "ClientNetworkError"),
    ],
)
def test_a_passing_problem_is_retried_later(demo: Any, tencent: Stub, answer: Any, code: str) -> None:
    tencent.answers.append(answer)
    notice = sms_notice()

    outcome = notice_deliver(notice_id=notice.pk)

    notice = Notice.objects.get(pk=notice.pk)
    assert outcome.state == notice.state == NoticeState.QUEUED
    assert outcome.retry_in == 30
    assert notice.last_error.startswith(f"attempt 1: {code}")
    # the next attempt goes through
    assert notice_deliver(notice_id=notice.pk).state == NoticeState.SENT
    assert Notice.objects.get(pk=notice.pk).attempts == 2


def test_a_refused_number_fails_and_the_reason_keeps_the_number_masked(demo: Any, tencent: Stub) -> None:
    answer = ok()
    answer["Response"]["SendStatusSet"][0].update(
        Code="InvalidParameterValue.IncorrectPhoneNumber", Message="手机号+8613812345678格式错误", SerialNo=""
    )
    tencent.answers.append(answer)
    notice = sms_notice()

    notice_deliver(notice_id=notice.pk)

    notice = Notice.objects.get(pk=notice.pk)
    assert notice.state == NoticeState.FAILED
    assert "InvalidParameterValue.IncorrectPhoneNumber" in notice.last_error
    assert "+86138****5678" in notice.last_error
    assert "12345678" not in notice.last_error


def test_a_kind_without_a_tencent_template_fails_without_a_request(demo: Any, tencent: Stub, settings: Any) -> None:
    settings.SMS_TEMPLATE_IDS = {}
    notice = sms_notice()

    notice_deliver(notice_id=notice.pk)

    assert tencent.requests == []
    notice = Notice.objects.get(pk=notice.pk)
    assert notice.state == NoticeState.FAILED
    assert "no Tencent SMS template id" in notice.last_error


def test_missing_configuration_fails_with_what_is_missing(demo: Any, tencent: Stub, settings: Any) -> None:
    settings.TENCENTCLOUD_SECRET_KEY = ""
    settings.SMS_SIGN_NAME = ""
    notice = sms_notice()

    notice_deliver(notice_id=notice.pk)

    notice = Notice.objects.get(pk=notice.pk)
    assert notice.state == NoticeState.FAILED
    assert "not configured: TENCENTCLOUD_SECRET_KEY, SMS_SIGN_NAME missing" in notice.last_error


def test_the_provider_is_configured_from_settings(tencent: Stub, settings: Any) -> None:
    settings.TENCENTCLOUD_SMS_REGION = "ap-beijing"
    provider = TencentSmsProvider.from_settings()
    assert (provider.sdk_app_id, provider.sign_name, provider.region) == ("1400787878", "韶关政务服务", "ap-beijing")
    assert provider.client().region == "ap-beijing"


def test_the_system_check_names_missing_tencent_settings(settings: Any) -> None:
    from notifications.checks import sms_provider_configured

    settings.SMS_PROVIDER = "tencent"
    settings.TENCENTCLOUD_SECRET_ID = settings.TENCENTCLOUD_SECRET_KEY = ""
    settings.SMS_SDK_APP_ID, settings.SMS_SIGN_NAME = "1400787878", "韶关政务服务"
    settings.SMS_TEMPLATE_IDS = {"deadline_breach": "1", "no_such_kind": "2"}

    problems = sms_provider_configured(None)

    assert [p.id for p in problems] == ["notifications.E001", "notifications.E001", "notifications.W001"]
    settings.SMS_PROVIDER = "console"
    assert sms_provider_configured(None) == []
