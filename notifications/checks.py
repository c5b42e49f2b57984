"""System checks of the notice providers' configuration."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Warning, register

from notifications.kinds import notice_kind_get


@register()
def sms_provider_configured(app_configs: Any, **kwargs: Any) -> list[Error | Warning]:
    """Tencent Cloud SMS needs its credentials, application, signature and template ids."""
    if settings.SMS_PROVIDER != "tencent":
        return []
    # only when Tencent is the provider: the module loads the Tencent Cloud SDK
    from notifications.providers.tencent import _REQUIRED  # noqa: PLC0415

    problems: list[Error | Warning] = [
        Error(
            f"SMS_PROVIDER is tencent but {name} is not set.",
            hint="See docs/notifications.md, 'Tencent Cloud SMS'.",
            id="notifications.E001",
        )
        for name in _REQUIRED
        if not getattr(settings, name, "")
    ]
    for kind in settings.SMS_TEMPLATE_IDS:
        try:
            notice_kind_get(kind)
        except ValueError:
            problems.append(
                Warning(f"SMS_TEMPLATE_IDS names an unknown notice kind {kind!r}.", id="notifications.W001")
            )
    return problems
