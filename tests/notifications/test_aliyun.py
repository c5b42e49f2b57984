"""notifications/providers/aliyun.py against a fake Aliyun SMS API (a real HTTP server on
127.0.0.1): the signed SendSms request exactly as documented, and Aliyun's error codes."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any
from urllib.parse import quote

import pytest

from notifications.kinds import DEADLINE_BREACH
from notifications.models import Notice, NoticeChannel, NoticeState
from notifications.providers.aliyun import rpc_signature
from notifications.services import notice_deliver, notice_enqueue
from tests.notifications.conftest import BREACH_CONTEXT, staff, with_contact
from tests.notifications.provider_api import ProviderApi, Received


def test_the_signature_is_the_documented_one() -> None:
    # The worked example of Aliyun's SMS documentation ("HTTP协议及签名"): secret testSecret.
    params = {
        "AccessKeyId": "testId",
        "Action": "SendSms",
        "Format": "XML",
        "OutId": "123",
        "PhoneNumbers": "15300000001",
        "RegionId": "cn-hangzhou",
        "SignName": "阿里云短信测试专用",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
        "SignatureVersion": "1.0",
        "TemplateCode": "SMS_71390007",
        "TemplateParam": '{"customer":"test"}',
        "Timestamp": "2017-07-12T02:42:19Z",
        "Version": "2017-05-25",
    }
    assert rpc_signature(method="GET", params=params, secret="testSecret") == "zJDF+Lrzhj/ThnlvIToysFRq6t4="


def expected_signature(request: Received, secret: str) -> str:
    """The signature recomputed from what the server received, independently of the adapter."""
    pairs = sorted((k, v) for k, v in request.query.items() if k != "Signature")
    canonical = "&".join(f"{quote(k, safe='~')}={quote(v, safe='~')}" for k, v in pairs)
    to_sign = "GET&%2F&" + quote(canonical, safe="~")
    return base64.b64encode(hmac.new(f"{secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()).decode()


@pytest.fixture
def aliyun(settings: Any, provider_api: ProviderApi) -> ProviderApi:
    settings.SMS_PROVIDER = "aliyun"
    settings.ALIYUN_SMS_ACCESS_KEY_ID = "LTAI-test"
    settings.ALIYUN_SMS_ACCESS_KEY_SECRET = "aliyun-secret"
    settings.ALIYUN_SMS_ENDPOINT = provider_api.base
    settings.SMS_SIGN_NAME = "韶关政务服务"
    settings.SMS_TEMPLATE_IDS = {"deadline_breach": "SMS_465123456"}
    return provider_api


def sms_notice(demo: Any, username: str, number: int) -> Notice:
    """An urgent notice to a staff member who chose SMS: its SMS copy."""
    person = staff(username, phone="138 1234 5678")
    with_contact(person, channels=["sms"])
    notice_enqueue(
        kind=DEADLINE_BREACH,
        event_key=f"deadline:{number}:breach",
        channel=NoticeChannel.INBOX,
        hall=demo["wengyuan"],
        recipient_user=person,
        context={**BREACH_CONTEXT, "link": "/cases/12/"},
    )
    return Notice.objects.get(event_key=f"deadline:{number}:breach", channel=NoticeChannel.SMS)


def test_send_sms_is_a_signed_get_with_the_template_variables_and_no_link(demo: Any, aliyun: ProviderApi) -> None:
    aliyun.answer["/"] = lambda request: (
        200,
        {"Code": "OK", "Message": "OK", "BizId": "900619746936498440^0", "RequestId": "F655A8D5-B967-440B"},
    )
    notice = sms_notice(demo, "n_ali1", 951)

    outcome = notice_deliver(notice_id=notice.pk)

    assert outcome.state == NoticeState.SENT
    (request,) = aliyun.received
    assert request.method == "GET"
    query = dict(request.query)
    signature = query.pop("Signature")
    assert signature == expected_signature(request, "aliyun-secret")
    assert request.raw_query.endswith("&Signature=" + quote(signature, safe="~"))
    nonce, timestamp = query.pop("SignatureNonce"), query.pop("Timestamp")
    assert len(nonce) == 32 and timestamp.endswith("Z")
    assert query == {
        "AccessKeyId": "LTAI-test",
        "Action": "SendSms",
        "Format": "JSON",
        "OutId": f"notice:{notice.pk}",
        "PhoneNumbers": "13812345678",
        "RegionId": "cn-hangzhou",
        "SignName": "韶关政务服务",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureVersion": "1.0",
        "TemplateCode": "SMS_465123456",
        "Version": "2017-05-25",
        "TemplateParam": query["TemplateParam"],
    }
    # the kind's sms_params by name; the link stays out of the SMS (in-app, e-mail, WeCom, DingTalk carry it)
    assert json.loads(query["TemplateParam"]) == {
        "subject_label": "案件 WY-2025-0012",
        "deadline_label": "部门答复期限",
        "due_at": "2025年3月3日 17:00",
    }
    assert "cases/12" not in request.raw_query
    stored = Notice.objects.get(pk=notice.pk)
    assert (stored.provider, stored.provider_message_id) == ("aliyun", "900619746936498440^0")


@pytest.mark.parametrize(
    ("status", "code", "state"),
    [
        (200, "isv.BUSINESS_LIMIT_CONTROL", NoticeState.QUEUED),  # rate limit: later
        (400, "SignatureDoesNotMatch", NoticeState.QUEUED),  # credentials an operator may fix: retried
        (200, "isv.MOBILE_NUMBER_ILLEGAL", NoticeState.FAILED),  # the number: retrying cannot help
    ],
)
def test_aliyun_errors_keep_their_code(demo: Any, aliyun: ProviderApi, status: int, code: str, state: str) -> None:
    aliyun.answer["/"] = lambda request: (status, {"Code": code, "Message": "refused (test)", "RequestId": "R-1"})
    notice = sms_notice(demo, "n_ali2", 952)

    outcome = notice_deliver(notice_id=notice.pk)

    assert outcome.state == state
    stored = Notice.objects.get(pk=notice.pk)
    assert stored.last_error_code == code
    assert f"Aliyun SMS: {code}: refused (test) (request R-1)" in stored.last_error
