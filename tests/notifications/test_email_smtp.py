"""E-mail to staff through Django's SMTP backend, against a real SMTP server (aiosmtpd) on 127.0.0.1."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from email import message_from_bytes, policy
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from notifications.kinds import DEADLINE_BREACH
from notifications.models import Notice, NoticeChannel, NoticeState
from notifications.services import notice_deliver, notice_enqueue
from tests.notifications.conftest import BREACH_CONTEXT, staff, with_contact


class Mailbox:
    """The SMTP server's handler: keeps what it accepted; refuses recipients in ``refuse``."""

    def __init__(self) -> None:
        self.envelopes: list[Any] = []
        self.refuse: set[str] = set()

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address in self.refuse:
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def mailbox(settings: Any) -> Iterator[Mailbox]:
    box = Mailbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_PROVIDER = "django"
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    try:
        yield box
    finally:
        controller.stop()


def email_notice(demo: Any, username: str, number: int) -> Notice:
    person = staff(username, email=f"{username}@example.org")
    with_contact(person, channels=["email"])
    notice_enqueue(
        kind=DEADLINE_BREACH,
        event_key=f"deadline:{number}:breach",
        channel=NoticeChannel.INBOX,
        hall=demo["wengyuan"],
        recipient_user=person,
        context={**BREACH_CONTEXT, "link": "/cases/12/"},
    )
    return Notice.objects.get(event_key=f"deadline:{number}:breach", channel=NoticeChannel.EMAIL)


def test_an_urgent_notice_is_mailed_with_its_link(demo: Any, mailbox: Mailbox, settings: Any) -> None:
    settings.NOTICE_LINK_SCHEME = "https"  # as in production (development links are http)
    notice = email_notice(demo, "n_mail1", 991)

    outcome = notice_deliver(notice_id=notice.pk)

    assert outcome.state == NoticeState.SENT
    (envelope,) = mailbox.envelopes
    assert envelope.mail_from == settings.DEFAULT_FROM_EMAIL
    assert envelope.rcpt_tos == ["n_mail1@example.org"]
    message = message_from_bytes(envelope.content, policy=policy.default)
    assert str(message["Subject"]).strip() == "【逾期】案件 WY-2025-0012的部门答复期限已逾期"
    assert message["X-Bancheng-Reference"] == f"notice:{notice.pk}"
    assert message["Message-ID"] == Notice.objects.get(pk=notice.pk).provider_message_id
    text = message.get_content()
    assert notice.body in text
    assert f"https://wengyuan.{settings.BASE_DOMAIN}/cases/12/" in text


def test_a_refused_recipient_fails_with_the_smtp_code(demo: Any, mailbox: Mailbox) -> None:
    mailbox.refuse.add("n_mail2@example.org")
    notice = email_notice(demo, "n_mail2", 992)

    outcome = notice_deliver(notice_id=notice.pk)

    assert outcome.state == NoticeState.FAILED
    stored = Notice.objects.get(pk=notice.pk)
    assert stored.last_error_code == "550"
    assert "recipient refused" in stored.last_error
    assert mailbox.envelopes == []
