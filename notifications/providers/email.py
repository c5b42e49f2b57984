"""E-mail to staff through Django's mail framework (``EMAIL_BACKEND``: console by default, SMTP in
production; docs/notifications.md)."""

from __future__ import annotations

import smtplib
import uuid

from django.conf import settings
from django.core.mail import EmailMessage

from notifications.providers.base import Provider, ProviderError


class DjangoEmailProvider(Provider):
    name = "django"

    def send_email(self, *, to: str, subject: str, body: str, reference: str) -> str:
        message_id = f"<{uuid.uuid4().hex}@{settings.BASE_DOMAIN}>"
        message = EmailMessage(
            subject=subject,
            body=body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[to],
            headers={"Message-ID": message_id, "X-Bancheng-Reference": reference},
        )
        try:
            sent = message.send(fail_silently=False)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = sorted({str(code) for code, _message in exc.recipients.values()})
            raise ProviderError(f"recipient refused: {exc}", retryable=False, code=",".join(codes)) from exc
        except smtplib.SMTPResponseException as exc:
            raise ProviderError(f"{type(exc).__name__}: {exc}", retryable=True, code=str(exc.smtp_code)) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise ProviderError(f"{type(exc).__name__}: {exc}", retryable=True) from exc
        if not sent:
            raise ProviderError("the mail backend sent nothing", retryable=True)
        return message_id
