"""Tencent Cloud SMS (腾讯云短信), through the official SDK ``tencentcloud-sdk-python-sms``.

Configured from the environment (docs/notifications.md): ``TENCENTCLOUD_SECRET_ID``,
``TENCENTCLOUD_SECRET_KEY``, ``SMS_SDK_APP_ID``, ``SMS_SIGN_NAME``, ``SMS_TEMPLATE_IDS`` (per kind),
``TENCENTCLOUD_SMS_REGION``, ``TENCENTCLOUD_SMS_ENDPOINT`` (a host, reached over HTTPS, or an address
``scheme://host[:port]``: ``http://127.0.0.1:8089`` for a local fake of the API in tests).
Tencent sends only texts approved in advance: the message is the approved template with our parameters,
prefixed with the approved signature.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Self
from urllib.parse import urlsplit

from django.conf import settings
from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.sms.v20210111 import models, sms_client

from notifications.privacy import text_mask
from notifications.providers.base import Provider, ProviderError

# Error codes after which a later attempt may succeed: the network, Tencent's own failures, rate
# limits that clear within minutes. Every other code (a rejected template or signature, a wrong
# number, a daily limit, no balance, bad credentials) is final.
_RETRYABLE_PREFIXES = (
    "ClientNetworkError",
    "ServerNetworkError",
    "InternalError",
    "RequestLimitExceeded",
    "LimitExceeded.DeliveryFrequencyLimit",
    "LimitExceeded.GlobalSmsSendingRateLimit",
    "LimitExceeded.PhoneNumberThirtySecondLimit",
    "FailedOperation.FailResolvePacket",
    "FailedOperation.OtherError",
)
_REQUIRED = ("TENCENTCLOUD_SECRET_ID", "TENCENTCLOUD_SECRET_KEY", "SMS_SDK_APP_ID", "SMS_SIGN_NAME")


def retryable(code: str) -> bool:
    return code.startswith(_RETRYABLE_PREFIXES)


def endpoint_parts(endpoint: str) -> tuple[str, str]:
    """(scheme, host[:port]) of TENCENTCLOUD_SMS_ENDPOINT: a bare host is reached over HTTPS."""
    if "://" not in endpoint:
        return "https", endpoint.strip().rstrip("/")
    parts = urlsplit(endpoint.strip())
    if parts.scheme not in {"http", "https"} or not parts.netloc or parts.path not in {"", "/"}:
        raise ProviderError(
            f"TENCENTCLOUD_SMS_ENDPOINT must be a host or an http(s) address without a path, not {endpoint!r}",
            retryable=False,
        )
    return parts.scheme, parts.netloc


class TencentSmsProvider(Provider):
    name = "tencent"

    def __init__(
        self,
        *,
        secret_id: str,
        secret_key: str,
        sdk_app_id: str,
        sign_name: str,
        region: str = "ap-guangzhou",
        endpoint: str = "sms.tencentcloudapi.com",
        timeout: int = 10,
    ) -> None:
        self.secret_id = secret_id
        self.secret_key = secret_key
        self.sdk_app_id = sdk_app_id
        self.sign_name = sign_name
        self.region = region
        self.endpoint = endpoint
        self.timeout = timeout

    @classmethod
    def from_settings(cls) -> Self:
        missing = [name for name in _REQUIRED if not getattr(settings, name, "")]
        if missing:
            raise ProviderError(f"Tencent Cloud SMS is not configured: {', '.join(missing)} missing", retryable=False)
        return cls(
            secret_id=settings.TENCENTCLOUD_SECRET_ID,
            secret_key=settings.TENCENTCLOUD_SECRET_KEY,
            sdk_app_id=settings.SMS_SDK_APP_ID,
            sign_name=settings.SMS_SIGN_NAME,
            region=settings.TENCENTCLOUD_SMS_REGION,
            endpoint=settings.TENCENTCLOUD_SMS_ENDPOINT,
            timeout=settings.SMS_TIMEOUT_SECONDS,
        )

    def client(self) -> sms_client.SmsClient:
        scheme, host = endpoint_parts(self.endpoint)
        http_profile = HttpProfile(protocol=scheme, endpoint=host, reqTimeout=self.timeout)
        return sms_client.SmsClient(
            credential.Credential(self.secret_id, self.secret_key),
            self.region,
            ClientProfile(httpProfile=http_profile),
        )

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
                "no Tencent SMS template id for this kind of notice (SMS_TEMPLATE_IDS)", retryable=False
            )
        request = models.SendSmsRequest()
        request.SmsSdkAppId = self.sdk_app_id
        request.SignName = self.sign_name
        request.TemplateId = template_id
        request.TemplateParamSet = [str(value) for value in params]
        request.PhoneNumberSet = [phone]
        request.SessionContext = reference
        try:
            response = self.client().SendSms(request)
        except TencentCloudSDKException as exc:
            code = exc.get_code() or "TencentCloudSDKException"
            reason = text_mask(f"{code}: {exc.get_message()} (request {exc.get_request_id() or '-'})")
            raise ProviderError(reason, retryable=retryable(code), code=code) from exc
        statuses = response.SendStatusSet or []
        if not statuses:
            raise ProviderError("Tencent Cloud SMS answered without a send status", retryable=True)
        status = statuses[0]
        if status.Code != "Ok":
            code = status.Code or "Unknown"
            reason = text_mask(f"{code}: {status.Message} (request {response.RequestId})")
            raise ProviderError(reason, retryable=retryable(code), code=code)
        return str(status.SerialNo)
