"""Test providers, selected with SMS_PROVIDER / EMAIL_PROVIDER set to their dotted path.

They stand in for a provider's network, nothing else: the database and the broker stay real.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from notifications.providers import Provider, ProviderError


@dataclass
class Script:
    """What the scripted provider does: fail ``failures`` times (retryable or not), then succeed."""

    failures: int = 0
    retryable: bool = True
    reason: str = "gateway timeout (test)"
    delay: float = 0.0
    calls: list[dict[str, object]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


SCRIPT = Script()


class ScriptedProvider(Provider):
    name = "scripted"

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
        return self._send(
            {"phone": phone, "text": text, "template_id": template_id, "params": list(params), "reference": reference}
        )

    def send_email(self, *, to: str, subject: str, body: str, reference: str) -> str:
        return self._send({"to": to, "subject": subject, "body": body, "reference": reference})

    def _send(self, call: dict[str, object]) -> str:
        with SCRIPT.lock:
            SCRIPT.calls.append(call)
            number = len(SCRIPT.calls)
            fail = SCRIPT.failures > 0
            if fail:
                SCRIPT.failures -= 1
        if SCRIPT.delay:
            time.sleep(SCRIPT.delay)
        if fail:
            raise ProviderError(SCRIPT.reason, retryable=SCRIPT.retryable, code="Test")
        return f"scripted-{number}"
