"""The development provider: writes the message to the log and to the ConsoleMessage table."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence

from notifications.models import ConsoleMessage, NoticeChannel
from notifications.privacy import phone_mask
from notifications.providers.base import Provider

logger = logging.getLogger("notifications.console")


class ConsoleProvider(Provider):
    """Sends nothing; records what it would have sent (phone numbers masked)."""

    name = "console"

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
        return self._record(
            channel=NoticeChannel.SMS,
            to=phone_mask(phone),
            subject="",
            body=text,
            template_id=template_id,
            params=list(params),
            reference=reference,
        )

    def send_email(self, *, to: str, subject: str, body: str, reference: str) -> str:
        return self._record(
            channel=NoticeChannel.EMAIL,
            to=to,
            subject=subject,
            body=body,
            template_id="",
            params=[],
            reference=reference,
        )

    def _record(self, **fields: object) -> str:
        message_id = f"console-{uuid.uuid4().hex}"
        ConsoleMessage.objects.create(message_id=message_id, **fields)
        logger.info("%s to %s (%s): %s", fields["channel"], fields["to"], fields["reference"], fields["body"])
        return message_id
