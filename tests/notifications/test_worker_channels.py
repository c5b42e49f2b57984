"""An urgent notice to a person with channels, through a real Celery worker process: the in-app
notice and one copy per chosen channel are each sent once, after the event commits."""

from __future__ import annotations

import pytest
from django.db import transaction

from notifications.kinds import DEADLINE_BREACH
from notifications.models import ConsoleMessage, Notice, NoticeState
from notifications.services import notice_enqueue_inbox
from tests.notifications.conftest import BREACH_CONTEXT, staff, wait_for, with_contact

pytestmark = pytest.mark.celery_worker


def test_the_worker_sends_an_urgent_notice_on_every_chosen_channel(committed: None, celery_worker_process: str) -> None:
    # given a person who chose SMS and e-mail (the worker's providers: console SMS, console mail backend)
    person = staff("n_worker_channels", phone="13812345678", email="n_worker_channels@example.org")
    with_contact(person, channels=["sms", "email"])

    # when an urgent event notifies them in-app, as casework and the deadline sweep do
    with transaction.atomic():
        notice_enqueue_inbox(
            kind=DEADLINE_BREACH,
            event_key="deadline:511:breach",
            hall=None,
            user_ids=[person.pk],
            context=BREACH_CONTEXT,
        )

    # then the worker sends each of the three once
    notices = Notice.objects.filter(event_key="deadline:511:breach", recipient_user=person)
    assert sorted(notices.values_list("channel", flat=True)) == ["email", "inbox", "sms"]
    wait_for(
        lambda: all(n.state == NoticeState.SENT for n in notices.all()),
        what="the in-app, SMS and e-mail notices to be sent",
    )
    assert set(notices.values_list("attempts", flat=True)) == {1}
    sms = notices.get(channel="sms")
    assert ConsoleMessage.objects.filter(reference=f"notice:{sms.pk}", to="+86138****5678").count() == 1
