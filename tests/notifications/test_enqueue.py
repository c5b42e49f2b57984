"""notifications/services.py: notice_enqueue — the outbox row, in the caller's transaction, once."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.db import connection, connections, transaction

from notifications.kinds import DEADLINE_BREACH, DEADLINE_WARNING
from notifications.models import ConsoleMessage, Notice, NoticeChannel, NoticeState
from notifications.resolvers import in_hall_schema
from notifications.services import notice_enqueue
from tests.conftest import user
from tests.notifications.conftest import BREACH_CONTEXT, staff, wait_for


def enqueue(**overrides: Any) -> Notice | None:
    arguments: dict[str, Any] = {
        "kind": DEADLINE_BREACH,
        "event_key": "deadline:42:breach",
        "channel": NoticeChannel.INBOX,
        "recipient_user": user("wengyuan_window"),
        "context": BREACH_CONTEXT,
    }
    arguments.update(overrides)
    return notice_enqueue(**arguments)


def test_enqueue_writes_a_queued_row_rendered_from_the_default_texts(
    demo: Any, django_capture_on_commit_callbacks: Any
) -> None:
    # when
    with django_capture_on_commit_callbacks() as callbacks:
        notice = enqueue(hall=demo["wengyuan"])

    # then one queued row, rendered, with its delivery scheduled for after the commit
    assert notice is not None
    stored = Notice.objects.get(pk=notice.pk)
    assert stored.state == NoticeState.QUEUED
    assert stored.attempts == 0
    assert stored.recipient_key == f"user:{user('wengyuan_window').pk}"
    assert stored.subject == "【逾期】案件 WY-2025-0012的部门答复期限已逾期"
    assert (
        stored.body == "案件 WY-2025-0012的部门答复期限已于2025年3月3日 17:00到期，目前仍未办结，请尽快办理并说明情况。"
    )
    assert stored.context == BREACH_CONTEXT
    assert stored.kind_label == "逾期"
    assert len(callbacks) == 1


def test_the_same_event_recipient_and_channel_gives_one_row(demo: Any, django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        first = enqueue()
        second = enqueue(context={**BREACH_CONTEXT, "due_at": "another text"})

    assert first is not None
    assert second is None
    assert Notice.objects.filter(event_key="deadline:42:breach").count() == 1
    assert Notice.objects.get().body == first.body
    assert len(callbacks) == 1  # one delivery scheduled


def test_another_channel_recipient_event_or_hall_is_another_notice(demo: Any) -> None:
    assert enqueue() is not None
    assert enqueue(channel=NoticeChannel.EMAIL) is not None
    assert enqueue(recipient_user=user("wengyuan_lead")) is not None
    assert enqueue(event_key="deadline:43:breach") is not None
    assert enqueue(hall=demo["wengyuan"]) is not None
    assert enqueue(hall=demo["wengyuan"]) is None
    assert Notice.objects.count() == 5


def test_a_staff_recipient_may_be_given_by_id(demo: Any) -> None:
    window = user("wengyuan_window")
    assert enqueue(recipient_user=None, recipient_user_id=window.pk) is not None
    assert enqueue() is None  # the same recipient, given as a user
    with pytest.raises(ValueError, match="not both"):
        enqueue(recipient_user_id=window.pk)


def test_a_person_reference_is_unique_within_its_hall(demo: Any) -> None:
    by_ref = {"channel": NoticeChannel.SMS, "recipient_user": None, "recipient_ref": "case:123"}
    first = enqueue(hall=demo["wengyuan"], **by_ref)
    assert first is not None
    assert first.recipient_key == f"ref:{demo['wengyuan'].pk}:case:123"
    assert enqueue(hall=demo["wengyuan"], **by_ref) is None
    assert enqueue(hall=demo["nanxiong"], **by_ref) is not None  # case 123 of another hall: another person
    assert Notice.objects.count() == 2


def test_a_rolled_back_event_leaves_no_notice_and_sends_nothing(
    demo: Any, django_capture_on_commit_callbacks: Any
) -> None:
    # given the event's transaction writes a notice and then fails
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(RuntimeError), transaction.atomic():
        assert enqueue() is not None
        assert Notice.objects.count() == 1
        raise RuntimeError("the event failed")

    # then the notice is gone with it, and no delivery was scheduled
    assert Notice.objects.count() == 0
    assert callbacks == []
    # and the event may happen again later: its notice is not "already sent"
    assert enqueue() is not None


def test_enqueue_works_from_a_halls_schema(demo: Any) -> None:
    with in_hall_schema(demo["wengyuan"]):
        notice = enqueue(hall=demo["wengyuan"])
    assert notice is not None
    assert Notice.objects.filter(pk=notice.pk).exists()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"kind": "no_such_kind"}, "Unknown notice kind"),
        ({"channel": "pigeon"}, "Unknown notice channel"),
        ({"event_key": ""}, "key of the event"),
        ({"recipient_user": None}, "either to a staff user"),
        ({"recipient_ref": "case:1"}, "either to a staff user"),
        ({"recipient_user": None, "recipient_ref": "case:1", "channel": "sms"}, "belongs to a hall"),
        ({"recipient_user": None, "recipient_ref": "case:1", "channel": "inbox", "hall": "wengyuan"}, "by SMS only"),
        ({"context": {"subject_label": "报告人 13812345678"}}, "unmasked mobile phone number"),
        ({"context": {"subject_label": "+8613812345678"}}, "unmasked mobile phone number"),
        ({"context": {"who": ["440229199001011234"]}}, "unmasked identity card number"),
    ],
)
def test_enqueue_refuses_what_it_cannot_send_or_must_not_store(
    demo: Any, overrides: dict[str, Any], message: str
) -> None:
    if overrides.get("hall") == "wengyuan":
        overrides["hall"] = demo["wengyuan"]
    with pytest.raises(ValueError, match=message):
        enqueue(**overrides)
    assert Notice.objects.count() == 0


def test_masked_context_is_accepted(demo: Any) -> None:
    assert enqueue(context={**BREACH_CONTEXT, "reporter": "张*", "phone": "138****5678"}) is not None


def _in_thread(target: Any) -> threading.Thread:
    def run() -> None:
        try:
            target()
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


@pytest.mark.celery_worker
def test_the_row_is_invisible_until_the_event_commits_then_sent_once(
    committed: None, celery_worker_process: str
) -> None:
    # given a staff member, and another connection looking at the outbox
    recipient = staff("n_commit_probe")
    seen: list[int] = []

    def count_from_another_connection() -> None:
        seen.append(Notice.objects.filter(recipient_user=recipient).count())

    # when the event's transaction writes the notice
    with transaction.atomic():
        notice = enqueue(kind=DEADLINE_WARNING, channel=NoticeChannel.SMS, recipient_user=recipient)
        assert notice is not None
        _in_thread(count_from_another_connection).join()
        # then nobody else sees it before the commit (and no worker could send it)
        assert seen == [0]
        assert connection.in_atomic_block

    # and after the commit, the worker sends it
    wait_for(lambda: Notice.objects.get(pk=notice.pk).state == NoticeState.SENT, what="the notice to be sent")
    assert ConsoleMessage.objects.filter(reference=f"notice:{notice.pk}").count() == 1


@pytest.mark.celery_worker
def test_concurrent_enqueues_of_one_event_give_one_row_and_one_delivery(
    committed: None, celery_worker_process: str
) -> None:
    # given two transactions writing the same notice at the same time
    recipient = staff("n_concurrent")
    results: dict[str, Notice | None] = {}
    waited: dict[str, float] = {}
    first_inserted = threading.Event()

    def first() -> None:
        with transaction.atomic():
            results["first"] = enqueue(
                channel=NoticeChannel.SMS, recipient_user=recipient, event_key="deadline:77:breach"
            )
            first_inserted.set()
            time.sleep(0.5)  # keep the transaction open while the second one tries

    def second() -> None:
        first_inserted.wait(10)
        started = time.monotonic()
        with transaction.atomic():
            results["second"] = enqueue(
                channel=NoticeChannel.SMS, recipient_user=recipient, event_key="deadline:77:breach"
            )
        waited["second"] = time.monotonic() - started

    threads = [_in_thread(first), _in_thread(second)]
    for thread in threads:
        thread.join(30)

    # then the second waited for the first to commit, and wrote nothing
    assert results["first"] is not None
    assert results["second"] is None
    assert waited["second"] > 0.3
    rows = Notice.objects.filter(recipient_user=recipient)
    assert rows.count() == 1
    # and exactly one message went out
    notice_id = results["first"].pk
    wait_for(lambda: Notice.objects.get(pk=notice_id).state == NoticeState.SENT, what="the notice to be sent")
    time.sleep(0.5)
    assert ConsoleMessage.objects.filter(reference=f"notice:{notice_id}").count() == 1
    assert Notice.objects.get(pk=notice_id).attempts == 1
