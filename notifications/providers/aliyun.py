"""Aliyun SMS (阿里云短信服务, Dysmsapi 2017-05-25, ``SendSms``), over its documented RPC API.

A GET to ``ALIYUN_SMS_ENDPOINT`` with the common parameters (``AccessKeyId``, ``Action``,
``Format``, ``RegionId``, ``SignatureMethod=HMAC-SHA1``, ``SignatureNonce``,
``SignatureVersion=1.0``, ``Timestamp``, ``Version``) and the action's (``PhoneNumbers``,
``SignName``, ``TemplateCode``, ``TemplateParam``, ``OutId``), signed: the parameters sorted by
name, each name and value percent-encoded (RFC 3986), joined with ``&``; the string to sign is
``GET&%2F&`` + that, percent-encoded; the signature is Base64(HMAC-SHA1(secret + "&", string)).
The answer is ``{"Code": "OK", "Message": "OK", "BizId": …, "RequestId": …}`` or an error code.

Like Tencent, Aliyun sends only approved templates: the template's variables (``${name}``) take the
kind's ``sms_params`` of the same names. Links are not allowed in variables, and our SMS texts
carry none (docs/notifications.md).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Self
from urllib.parse import quote

import requests
from django.conf import settings

from notifications.privacy import text_mask
from notifications.providers.base import Provider, ProviderError
from notifications.providers.corpapp import require_settings

REQUIRED = ("ALIYUN_SMS_ACCESS_KEY_ID", "ALIYUN_SMS_ACCESS_KEY_SECRET", "SMS_SIGN_NAME")

# Codes after which retrying cannot help: the number, the template's parameters, the message.
FINAL = frozenset(
    {
        "isv.MOBILE_NUMBER_ILLEGAL",
        "isv.MOBILE_COUNT_OVER_LIMIT",
        "isv.TEMPLATE_MISSING_PARAMETERS",
        "isv.TEMPLATE_PARAMS_ILLEGAL",
        "isv.PARAM_LENGTH_LIMIT",
        "isv.INVALID_PARAMETERS",
        "isv.INVALID_JSON_PARAM",
        "isv.BLACK_KEY_CONTROL_LIMIT",
        "isv.DENY_IP_RANGE",
    }
)


def percent_encode(value: str) -> str:
    """RFC 3986 encoding as the signature needs it: only letters, digits and ``-_.~`` stay."""
    return quote(value, safe="~")


def canonical_query(params: Mapping[str, str]) -> str:
    return "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in sorted(params.items()))


def rpc_signature(*, method: str, params: Mapping[str, str], secret: str) -> str:
    """The Signature of an Aliyun RPC request (signature version 1.0, HMAC-SHA1)."""
    string_to_sign = f"{method}&{percent_encode('/')}&{percent_encode(canonical_query(params))}"
    digest = hmac.new(f"{secret}&".encode(), string_to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def aliyun_phone(phone: str) -> str:
    """Aliyun's form: a mainland number as its 11 digits, another as country code and number."""
    digits = phone.lstrip("+")
    return digits[2:] if digits.startswith("86") and len(digits) == 13 else digits


class AliyunSmsProvider(Provider):
    name = "aliyun"

    def __init__(
        self,
        *,
        access_key_id: str,
        access_key_secret: str,
        sign_name: str,
        endpoint: str = "https://dysmsapi.aliyuncs.com",
        region: str = "cn-hangzhou",
        timeout: float = 10,
    ) -> None:
        self.access_key_id = access_key_id
        self.access_key_secret = access_key_secret
        self.sign_name = sign_name
        self.endpoint = endpoint
        self.region = region
        self.timeout = timeout

    @classmethod
    def from_settings(cls) -> Self:
        require_settings("Aliyun SMS", REQUIRED)
        return cls(
            access_key_id=settings.ALIYUN_SMS_ACCESS_KEY_ID,
            access_key_secret=settings.ALIYUN_SMS_ACCESS_KEY_SECRET,
            sign_name=settings.SMS_SIGN_NAME,
            endpoint=settings.ALIYUN_SMS_ENDPOINT,
            region=settings.ALIYUN_SMS_REGION,
            timeout=settings.SMS_TIMEOUT_SECONDS,
        )

    def signed_query(self, action_params: Mapping[str, str], *, nonce: str, timestamp: str) -> str:
        """The query string of a signed request (the Signature last)."""
        params = {
            "AccessKeyId": self.access_key_id,
            "Action": "SendSms",
            "Format": "JSON",
            "RegionId": self.region,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": nonce,
            "SignatureVersion": "1.0",
            "Timestamp": timestamp,
            "Version": "2017-05-25",
            **action_params,
        }
        signature = rpc_signature(method="GET", params=params, secret=self.access_key_secret)
        return f"{canonical_query(params)}&Signature={percent_encode(signature)}"

    def send_sms(
        self,
        *,
        phone: str,
        text: str,
        template_id: str,
        params: Sequence[str],
        reference: str,
        param_names: Sequence[str] = (),
    ) -> str:
        if not template_id:
            raise ProviderError(
                "no Aliyun SMS template code for this kind of notice (SMS_TEMPLATE_IDS)", retryable=False
            )
        values = dict(zip(param_names, (str(value) for value in params), strict=False))
        query = self.signed_query(
            {
                "PhoneNumbers": aliyun_phone(phone),
                "SignName": self.sign_name,
                "TemplateCode": template_id,
                "TemplateParam": json.dumps(values, ensure_ascii=False, separators=(",", ":")),
                "OutId": reference,
            },
            nonce=uuid.uuid4().hex,
            timestamp=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        )
        try:
            response = requests.get(f"{self.endpoint.rstrip('/')}/?{query}", timeout=self.timeout)
        except requests.RequestException as exc:
            raise ProviderError(f"Aliyun SMS: {type(exc).__name__}", retryable=True, code="network") from exc
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            code = f"HTTP {response.status_code}"
            raise ProviderError(f"Aliyun SMS: {code}, the answer is not JSON", retryable=True, code=code)
        code = str(answer.get("Code") or f"HTTP {response.status_code}")
        if code != "OK":
            reason = text_mask(f"{code}: {answer.get('Message', '')} (request {answer.get('RequestId', '-')})")
            raise ProviderError(f"Aliyun SMS: {reason}"[:500], retryable=code not in FINAL, code=code)
        return str(answer.get("BizId") or "")
