"""Providers: what actually sends an SMS or an e-mail, behind one small interface.

``SMS_PROVIDER`` and ``EMAIL_PROVIDER`` (environment) choose them: ``console`` (log and record in
the ``ConsoleMessage`` table; the default for SMS), ``django`` (e-mail through Django's
``send_mail`` and ``EMAIL_BACKEND``; the default for e-mail), ``tencent`` (Tencent Cloud SMS),
``aliyun`` (Aliyun SMS), or the dotted path of a ``Provider`` subclass. WeCom and DingTalk work
messages have one provider each (``WECOM_PROVIDER``, ``DINGTALK_PROVIDER``: ``wecom`` /
``dingtalk`` by default, or a dotted path), used when their settings are filled in.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.module_loading import import_string

from notifications.providers.base import Provider, ProviderError

__all__ = ["Provider", "ProviderError", "app_provider", "email_provider", "sms_provider"]

_BUILT_IN = {
    "console": "notifications.providers.console.ConsoleProvider",
    "django": "notifications.providers.email.DjangoEmailProvider",
    "tencent": "notifications.providers.tencent.TencentSmsProvider",
    "aliyun": "notifications.providers.aliyun.AliyunSmsProvider",
    "wecom": "notifications.providers.wecom.WeComProvider",
    "dingtalk": "notifications.providers.dingtalk.DingTalkProvider",
}


def _provider(name: str) -> Provider:
    path = _BUILT_IN.get(name, name)
    try:
        cls = import_string(path)
    except ImportError as exc:
        raise ProviderError(f"unknown provider {name!r}", retryable=False) from exc
    return cls.from_settings()


def sms_provider() -> Provider:
    """The configured SMS provider (read from settings at each call, so tests may change them)."""
    return _provider(settings.SMS_PROVIDER)


def email_provider() -> Provider:
    return _provider(settings.EMAIL_PROVIDER)


def app_provider(channel: str) -> Provider:
    """The provider of a work-messaging channel: ``wecom`` or ``dingtalk``."""
    if channel == "wecom":
        return _provider(settings.WECOM_PROVIDER)
    if channel == "dingtalk":
        return _provider(settings.DINGTALK_PROVIDER)
    raise ProviderError(f"no app provider for the channel {channel!r}", retryable=False)
