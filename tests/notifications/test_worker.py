"""Delivery through a real Celery worker process, on the real broker and database.

The worker is another process: these tests commit their data (fixture ``committed``) and delete it
afterwards.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from notifications.kinds import DEADLINE_BREACH
from notifications.models import ConsoleMessage, Notice, NoticeChannel, NoticeState
from notifications.selectors import notice_list_for_user
from notifications.services import notice_enqueue
from notifications.tasks import notice_deliver_pending_task
from tests.notifications.conftest import BREACH_CONTEXT, staff, wait_for

pytestmark = pytest.mark.celery_worker


def settled(notice_id: int) -> bool:
    return Notice.objects.get(pk=notice_id).state in (NoticeState.SENT, NoticeState.FAILED)


def test_the_worker_delivers_every_channel_after_the_event_commits(committed: None, celery_worker_process: str) -> None:
    # given a staff member with a mobile and an e-mail address
    recipient = staff("n_worker", phone="13812345678", email="n_worker@example.org")

    # when an event notifies them on every channel
    with transaction.atomic():
        notices = {
            channel: notice_enqueue(
                kind=DEADLINE_BREACH,
                event_key="deadline:501:breach",
                channel=channel,
                recipient_user=recipient,
                context=BREACH_CONTEXT,
            )
            for channel in (NoticeChannel.INBOX, NoticeChannel.SMS, NoticeChannel.EMAIL)
        }

    # then the worker sends each, once, and says so
    for channel, notice in notices.items():
        assert notice is not None
        wait_for(lambda n=notice: settled(n.pk), what=f"the {channel} notice")
        stored = Notice.objects.get(pk=notice.pk)
        assert stored.state == NoticeState.SENT, stored.last_error
        assert stored.attempts == 1
        assert stored.sent_at is not None
    assert Notice.objects.get(pk=notices["inbox"].pk).provider == "inbox"
    assert Notice.objects.get(pk=notices["email"].pk).provider == "django"
    sms = Notice.objects.get(pk=notices["sms"].pk)
    assert sms.provider == "console"
    message = ConsoleMessage.objects.get(reference=f"notice:{sms.pk}")
    assert message.to == "+86138****5678"
    assert message.message_id == sms.provider_message_id
    assert list(notice_list_for_user(user=recipient)) == [Notice.objects.get(pk=notices["inbox"].pk)]


def test_the_worker_records_a_failure_with_its_reason(committed: None, celery_worker_process: str) -> None:
    recipient = staff("n_worker_nophone", phone="")

    with transaction.atomic():
        notice = notice_enqueue(
            kind=DEADLINE_BREACH, event_key="deadline:502:breach", channel="sms", recipient_user=recipient, context={}
        )

    assert notice is not None
    wait_for(lambda: settled(notice.pk), what="the notice to fail")
    stored = Notice.objects.get(pk=notice.pk)
    assert stored.state == NoticeState.FAILED
    assert stored.last_error == "attempt 1: the recipient has no work phone number"
    assert not ConsoleMessage.objects.filter(reference=f"notice:{notice.pk}").exists()


def test_the_sweep_task_sends_a_notice_whose_task_was_lost(committed: None, celery_worker_process: str) -> None:
    # given a queued notice whose delivery task never ran (written without one, a while ago)
    recipient = staff("n_worker_lost")
    notice = Notice.objects.create(
        kind="deadline_breach",
        event_key="deadline:503:breach",
        channel="sms",
        recipient_user=recipient,
        body="案件 WY-0503 逾期",
        next_attempt_at=timezone.now() - timedelta(minutes=5),
    )

    # when beat's sweep runs on the worker
    result = notice_deliver_pending_task.apply_async(headers={"_schema_name": "public"}).get(timeout=30)

    # then it dispatched the notice, and the worker sent it
    assert result["dispatched"] >= 1
    wait_for(lambda: settled(notice.pk), what="the notice to be sent")
    assert Notice.objects.get(pk=notice.pk).state == NoticeState.SENT
    assert ConsoleMessage.objects.filter(reference=f"notice:{notice.pk}").count() == 1
