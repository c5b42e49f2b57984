"""notifications/providers/tencent.py against a fake Tencent Cloud SMS API (a real HTTP server on 127.0.0.1).

The SDK builds, signs, sends and parses as in production; only the address differs
(``TENCENTCLOUD_SMS_ENDPOINT=http://127.0.0.1:<port>``). The fake server answers like
``sms.tencentcloudapi.com`` (API 3.0, SendSms 2021-01-11): it checks the TC3-HMAC-SHA256 signature
with the secret key it knows, recomputed here from Tencent's documentation ("签名方法 v3"), and answers
``{"Response": {"SendStatusSet": [...], "RequestId": ...}}`` or ``{"Response": {"Error": {...}, ...}}``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from notifications.models import Notice, NoticeChannel, NoticeState
from notifications.providers.tencent import TencentSmsProvider
from notifications.services import notice_deliver, notice_enqueue
from tests.notifications.conftest import BREACH_CONTEXT, staff
from tests.notifications.provider_api import HANG_UP, ProviderApi, Received

SECRET_ID = "AKIDtestsecretid"
SECRET_KEY = "testsecretkey"
# The keys the fake Tencent Cloud knows: SecretId -> SecretKey.
KEYS = {SECRET_ID: SECRET_KEY}
_AUTHORIZATION = re.compile(
    r"^TC3-HMAC-SHA256 Credential=(?P<secret_id>[^/]+)/(?P<date>\d{4}-\d{2}-\d{2})/(?P<service>[^/]+)/tc3_request, "
    r"SignedHeaders=(?P<signed_headers>[a-z0-9;-]+), Signature=(?P<signature>[0-9a-f]{64})$"
)


def _hmac_sha256(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode(), hashlib.sha256).digest()


def tc3_signature(request: Received, *, secret_key: str, date: str, service: str, signed_headers: str) -> str:
    """The signature of ``request`` as Tencent's documentation defines it, independently of the SDK."""
    canonical_headers = "".join(
        f"{name}:{request.headers.get(name, '').strip().lower()}\n" for name in signed_headers.split(";")
    )
    canonical_request = "\n".join(
        [
            request.method,
            request.path,
            request.raw_query,
            canonical_headers,
            signed_headers,
            hashlib.sha256(request.body).hexdigest(),
        ]
    )
    string_to_sign = "\n".join(
        [
            "TC3-HMAC-SHA256",
            request.headers["x-tc-timestamp"],
            f"{date}/{service}/tc3_request",
            hashlib.sha256(canonical_request.encode()).hexdigest(),
        ]
    )
    secret_date = _hmac_sha256(f"TC3{secret_key}".encode(), date)
    secret_service = _hmac_sha256(secret_date, service)
    secret_signing = _hmac_sha256(secret_service, "tc3_request")
    return hmac.new(secret_signing, string_to_sign.encode(), hashlib.sha256).hexdigest()


def authentication_refusal(request: Received) -> tuple[str, str] | None:
    """Why Tencent Cloud would refuse the request's credentials (its error code and message), or None."""
    match = _AUTHORIZATION.match(request.headers.get("authorization", ""))
    if not match:
        return "AuthFailure.InvalidAuthorization", "Authorization 头部格式错误"
    secret_key = KEYS.get(match["secret_id"])
    if secret_key is None:
        return "AuthFailure.SecretIdNotFound", "密钥不存在"
    timestamp = int(request.headers.get("x-tc-timestamp") or 0)
    if abs(time.time() - timestamp) > 300:
        return "AuthFailure.SignatureExpire", "签名过期"
    if match["date"] != datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d") or match["service"] != "sms":
        return "AuthFailure.InvalidAuthorization", "Credential 的日期或服务不符"
    if "content-type" not in match["signed_headers"].split(";") or "host" not in match["signed_headers"].split(";"):
        return "AuthFailure.InvalidAuthorization", "SignedHeaders 须包含 content-type 与 host"
    expected = tc3_signature(
        request,
        secret_key=secret_key,
        date=match["date"],
        service=match["service"],
        signed_headers=match["signed_headers"],
    )
    if not hmac.compare_digest(expected, match["signature"]):
        return "AuthFailure.SignatureFailure", "签名错误"
    return None


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


def api_error(code: str, message: str, request_id: str = "b1b2c3") -> dict[str, Any]:
    return {"Response": {"Error": {"Code": code, "Message": message}, "RequestId": request_id}}


@dataclass
class FakeTencentSms:
    """The fake API's received requests, and its answers to come (``ok()`` when none is left; ``HANG_UP``:
    the connection is cut before any answer). A request with wrong credentials gets Tencent's AuthFailure."""

    api: ProviderApi
    answers: list[Any] = field(default_factory=list)

    @property
    def requests(self) -> list[Received]:
        return self.api.received

    def respond(self, request: Received) -> tuple[int, Any]:
        refusal = authentication_refusal(request)
        if refusal:
            return 200, api_error(*refusal, request_id="auth-refused")
        answer = self.answers.pop(0) if self.answers else ok()
        return HANG_UP if answer is HANG_UP else (200, answer)


@pytest.fixture
def tencent(settings: Any, provider_api: ProviderApi) -> FakeTencentSms:
    """Tencent Cloud SMS configured against the fake API."""
    settings.SMS_PROVIDER = "tencent"
    settings.TENCENTCLOUD_SECRET_ID = SECRET_ID
    settings.TENCENTCLOUD_SECRET_KEY = SECRET_KEY
    settings.SMS_SDK_APP_ID = "1400787878"
    settings.SMS_SIGN_NAME = "韶关政务服务"
    settings.TENCENTCLOUD_SMS_REGION = "ap-guangzhou"
    settings.TENCENTCLOUD_SMS_ENDPOINT = provider_api.base
    settings.SMS_TEMPLATE_IDS = {"deadline_breach": "1987654"}
    # Tencent Cloud answers "Content-Type: application/json" exactly; the SDK reads errors only then.
    provider_api.content_type = "application/json"
    fake = FakeTencentSms(provider_api)
    provider_api.answer["/"] = fake.respond
    return fake


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


def test_the_request_names_the_number_template_and_parameters(demo: Any, tencent: FakeTencentSms) -> None:
    notice = sms_notice()

    outcome = notice_deliver(notice_id=notice.pk)

    (request,) = tencent.requests
    assert (request.method, request.path, request.raw_query) == ("POST", "/", "")
    assert request.headers["host"] == tencent.api.base.removeprefix("http://")
    assert request.headers["content-type"] == "application/json"
    assert request.headers["x-tc-action"] == "SendSms"
    assert request.headers["x-tc-version"] == "2021-01-11"
    assert request.headers["x-tc-region"] == "ap-guangzhou"
    assert abs(int(request.headers["x-tc-timestamp"]) - time.time()) < 60
    authorization = _AUTHORIZATION.match(request.headers["authorization"])
    assert authorization is not None
    assert (authorization["secret_id"], authorization["service"], authorization["signed_headers"]) == (
        "AKIDtestsecretid",
        "sms",
        "content-type;host",
    )
    assert authorization["signature"] == tc3_signature(
        request, secret_key=SECRET_KEY, date=authorization["date"], service="sms", signed_headers="content-type;host"
    )
    assert SECRET_KEY.encode() not in request.body + json.dumps(request.headers).encode()
    assert request.json() == {
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


def test_a_request_signed_with_another_key_is_refused_by_the_fake_api(
    demo: Any, tencent: FakeTencentSms, settings: Any
) -> None:
    """The fake API really checks the signature: the same request signed with a wrong key is refused."""
    settings.TENCENTCLOUD_SECRET_KEY = "not-the-key"
    notice = sms_notice()

    outcome = notice_deliver(notice_id=notice.pk)

    (request,) = tencent.requests
    assert request.headers["authorization"].startswith("TC3-HMAC-SHA256 Credential=AKIDtestsecretid/")
    notice = Notice.objects.get(pk=notice.pk)
    assert outcome.state == notice.state == NoticeState.FAILED
    assert notice.last_error == "attempt 1: AuthFailure.SignatureFailure: 签名错误 (request auth-refused)"
    assert notice.provider_message_id == ""


def test_a_rejected_template_fails_at_once_with_the_providers_reason(demo: Any, tencent: FakeTencentSms) -> None:
    tencent.answers.append(api_error("FailedOperation.TemplateIncorrectOrUnapproved", "模板未审批或内容不匹配"))
    notice = sms_notice()

    outcome = notice_deliver(notice_id=notice.pk)

    (request,) = tencent.requests
    assert request.headers["x-tc-action"] == "SendSms"
    assert request.json()["TemplateId"] == "1987654"
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
        (HANG_UP, "ClientNetworkError"),  # the connection cut before an answer
    ],
)
def test_a_passing_problem_is_retried_later(demo: Any, tencent: FakeTencentSms, answer: Any, code: str) -> None:
    tencent.answers.append(answer)
    notice = sms_notice()

    outcome = notice_deliver(notice_id=notice.pk)

    notice = Notice.objects.get(pk=notice.pk)
    assert outcome.state == notice.state == NoticeState.QUEUED
    assert outcome.retry_in == 30
    assert notice.last_error.startswith(f"attempt 1: {code}")
    # the next attempt goes through, with the same request
    assert notice_deliver(notice_id=notice.pk).state == NoticeState.SENT
    assert Notice.objects.get(pk=notice.pk).attempts == 2
    first, second = tencent.requests
    assert first.json() == second.json()
    assert first.json()["PhoneNumberSet"] == ["+8613812345678"]


def test_a_refused_number_fails_and_the_reason_keeps_the_number_masked(demo: Any, tencent: FakeTencentSms) -> None:
    answer = ok()
    answer["Response"]["SendStatusSet"][0].update(
        Code="InvalidParameterValue.IncorrectPhoneNumber", Message="手机号+8613812345678格式错误", SerialNo=""
    )
    tencent.answers.append(answer)
    notice = sms_notice()

    notice_deliver(notice_id=notice.pk)

    (request,) = tencent.requests
    assert request.json()["PhoneNumberSet"] == ["+8613812345678"]
    notice = Notice.objects.get(pk=notice.pk)
    assert notice.state == NoticeState.FAILED
    assert "InvalidParameterValue.IncorrectPhoneNumber" in notice.last_error
    assert "+86138****5678" in notice.last_error
    assert "12345678" not in notice.last_error


def test_a_kind_without_a_tencent_template_fails_without_a_request(
    demo: Any, tencent: FakeTencentSms, settings: Any
) -> None:
    settings.SMS_TEMPLATE_IDS = {}
    notice = sms_notice()

    notice_deliver(notice_id=notice.pk)

    assert tencent.requests == []
    notice = Notice.objects.get(pk=notice.pk)
    assert notice.state == NoticeState.FAILED
    assert "no Tencent SMS template id" in notice.last_error


def test_missing_configuration_fails_with_what_is_missing(demo: Any, tencent: FakeTencentSms, settings: Any) -> None:
    settings.TENCENTCLOUD_SECRET_KEY = ""
    settings.SMS_SIGN_NAME = ""
    notice = sms_notice()

    notice_deliver(notice_id=notice.pk)

    assert tencent.requests == []
    notice = Notice.objects.get(pk=notice.pk)
    assert notice.state == NoticeState.FAILED
    assert "not configured: TENCENTCLOUD_SECRET_KEY, SMS_SIGN_NAME missing" in notice.last_error


def test_the_provider_is_configured_from_settings(tencent: FakeTencentSms, settings: Any) -> None:
    settings.TENCENTCLOUD_SMS_REGION = "ap-beijing"
    provider = TencentSmsProvider.from_settings()
    assert (provider.sdk_app_id, provider.sign_name, provider.region) == ("1400787878", "韶关政务服务", "ap-beijing")
    client = provider.client()
    assert client.region == "ap-beijing"
    assert (client.profile.httpProfile.scheme, client.profile.httpProfile.endpoint) == (
        "http",
        tencent.api.base.removeprefix("http://"),
    )


@pytest.mark.parametrize(
    ("endpoint", "scheme", "host"),
    [
        ("sms.tencentcloudapi.com", "https", "sms.tencentcloudapi.com"),  # the default: a host, over HTTPS
        ("sms.ap-guangzhou.tencentcloudapi.com", "https", "sms.ap-guangzhou.tencentcloudapi.com"),
        ("https://sms.tencentcloudapi.com", "https", "sms.tencentcloudapi.com"),
        ("http://127.0.0.1:8089/", "http", "127.0.0.1:8089"),
    ],
)
def test_the_endpoint_is_a_host_or_an_address(settings: Any, endpoint: str, scheme: str, host: str) -> None:
    provider = TencentSmsProvider(secret_id="id", secret_key="key", sdk_app_id="1400", sign_name="s", endpoint=endpoint)
    profile = provider.client().profile.httpProfile
    assert (profile.scheme, profile.endpoint) == (scheme, host)


def test_an_endpoint_with_another_scheme_fails_without_a_request(
    demo: Any, tencent: FakeTencentSms, settings: Any
) -> None:
    settings.TENCENTCLOUD_SMS_ENDPOINT = tencent.api.base.replace("http://", "ftp://")
    notice = sms_notice()

    notice_deliver(notice_id=notice.pk)

    assert tencent.requests == []
    notice = Notice.objects.get(pk=notice.pk)
    assert notice.state == NoticeState.FAILED
    assert "TENCENTCLOUD_SMS_ENDPOINT must be a host or an http(s) address" in notice.last_error


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
