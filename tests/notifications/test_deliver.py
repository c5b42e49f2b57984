"""notifications/services.py: notice_deliver, notice_deliver_pending; notifications/tasks.py."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.db import connection, connections, transaction
from django.utils import timezone

from config.celery import app
from hallplatform.audit.models import AuditEvent
from notifications import resolvers
from notifications.kinds import DEADLINE_BREACH, DEADLINE_WARNING
from notifications.models import ConsoleMessage, Notice, NoticeChannel, NoticeState
from notifications.resolvers import register_person_resolver, unregister_person_resolver
from notifications.services import (
    notice_deliver,
    notice_deliver_pending,
    notice_enqueue,
    notice_requeue,
    notice_retry_delay,
)
from tests.conftest import user
from tests.notifications.conftest import BREACH_CONTEXT, staff
from tests.notifications.fakes import Script

FIELDS_STORED = ("event_key", "recipient_ref", "recipient_key", "subject", "body", "last_error", "provider_message_id")


def enqueue(recipient: Any, channel: str = NoticeChannel.SMS, **overrides: Any) -> Notice:
    arguments: dict[str, Any] = {
        "kind": DEADLINE_BREACH,
        "event_key": "deadline:42:breach",
        "channel": channel,
        "recipient_user": recipient,
        "context": BREACH_CONTEXT,
    }
    arguments.update(overrides)
    notice = notice_enqueue(**arguments)
    assert notice is not None
    return notice


def committed_row(recipient: Any, channel: str, **fields: Any) -> Notice:
    """A queued notice written straight to the table: unlike notice_enqueue, it sends no delivery task
    after commit, so no worker running elsewhere in the session takes it."""
    return Notice.objects.create(
        kind=DEADLINE_BREACH.code,
        event_key=f"test:{recipient.username}",
        channel=channel,
        recipient_user=recipient,
        subject="s",
        body="b",
        next_attempt_at=fields.pop("next_attempt_at", timezone.now()),
        **fields,
    )


def reload(notice: Notice) -> Notice:
    return Notice.objects.get(pk=notice.pk)


# --- channels -------------------------------------------------------------------------------------


def test_an_inbox_notice_is_delivered_without_a_provider(demo: Any) -> None:
    notice = enqueue(user("wengyuan_window"), NoticeChannel.INBOX)

    outcome = notice_deliver(notice_id=notice.pk)

    notice = reload(notice)
    assert outcome.state == notice.state == NoticeState.SENT
    assert notice.attempts == 1
    assert notice.sent_at is not None
    assert notice.read_at is None
    assert ConsoleMessage.objects.count() == 0


def test_an_sms_to_staff_goes_to_the_console_provider_with_the_number_masked(demo: Any) -> None:
    recipient = staff("n_sms", phone="138-1234-5678")
    notice = enqueue(recipient)

    notice_deliver(notice_id=notice.pk)

    notice = reload(notice)
    assert notice.state == NoticeState.SENT
    assert notice.provider == "console"
    message = ConsoleMessage.objects.get()
    assert message.message_id == notice.provider_message_id
    assert message.to == "+86138****5678"
    assert message.body == notice.body
    assert message.params == ["案件 WY-2025-0012", "部门答复期限", "2025年3月3日 17:00"]
    assert message.reference == f"notice:{notice.pk}"


def test_an_email_goes_through_djangos_mail(demo: Any) -> None:
    recipient = staff("n_mail", email="li.min@example.org")
    notice = enqueue(recipient, NoticeChannel.EMAIL)

    notice_deliver(notice_id=notice.pk)

    notice = reload(notice)
    assert notice.state == NoticeState.SENT
    assert notice.provider == "django"
    (sent,) = mail.outbox
    assert sent.to == ["li.min@example.org"]
    assert sent.subject == notice.subject == "【逾期】案件 WY-2025-0012的部门答复期限已逾期"
    assert sent.body == notice.body
    assert sent.extra_headers["Message-ID"] == notice.provider_message_id


@pytest.mark.parametrize(
    ("channel", "phone", "email", "reason"),
    [
        (NoticeChannel.SMS, "", "x@example.org", "no work phone number"),
        (NoticeChannel.SMS, "0751-8888888", "x@example.org", "not a mobile phone number"),
        (NoticeChannel.EMAIL, "13812345678", "", "no e-mail address"),
    ],
)
def test_a_recipient_without_an_address_fails_at_once_with_the_reason(
    demo: Any, channel: str, phone: str, email: str, reason: str
) -> None:
    recipient = staff("n_noaddr", phone=phone)
    recipient.email = email
    recipient.save()
    notice = enqueue(recipient, channel)

    outcome = notice_deliver(notice_id=notice.pk)

    notice = reload(notice)
    assert outcome.state == notice.state == NoticeState.FAILED
    assert notice.attempts == 1
    assert notice.last_error.startswith("attempt 1: ")
    assert reason in notice.last_error
    assert notice.failed_at is not None


def test_an_inactive_staff_member_gets_no_message(demo: Any) -> None:
    recipient = staff("n_inactive")
    recipient.is_active = False
    recipient.save()
    notice = enqueue(recipient)

    notice_deliver(notice_id=notice.pk)

    assert reload(notice).state == NoticeState.FAILED
    assert reload(notice).last_error == "attempt 1: the recipient's account is inactive"
    assert ConsoleMessage.objects.count() == 0


# --- a citizen, known only by reference ------------------------------------------------------------


@pytest.fixture
def case_resolver() -> Any:
    looked_up: list[tuple[str, str]] = []

    def case_reporter_phone(case_id: str) -> str | None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_schema()")
            (schema,) = cursor.fetchone()
        looked_up.append((case_id, schema))
        return {"123": "13912345678", "124": ""}.get(case_id)

    previous = resolvers._RESOLVERS.get("case")  # casework's own: put back, for the tests that follow
    register_person_resolver("case", case_reporter_phone)
    yield looked_up
    unregister_person_resolver("case")
    if previous is not None:
        register_person_resolver("case", previous)


def test_an_sms_to_a_person_is_resolved_in_the_halls_schema_and_the_number_is_not_stored(
    demo: Any, case_resolver: list[tuple[str, str]]
) -> None:
    # given a notice to the person who reported case 123 in wengyuan
    notice = enqueue(
        None, hall=demo["wengyuan"], recipient_ref="case:123", context={**BREACH_CONTEXT, "reporter": "张*"}
    )

    # when it is delivered from the public schema
    assert connection.schema_name == "public"
    notice_deliver(notice_id=notice.pk)

    # then the number was looked up in the hall's schema, at sending time, and the connection came back
    assert case_resolver == [("123", "hall_wengyuan")]
    assert connection.schema_name == "public"
    notice = reload(notice)
    assert notice.state == NoticeState.SENT
    assert ConsoleMessage.objects.get().to == "+86139****5678"
    # and nothing in the public schema holds the number
    for field in FIELDS_STORED:
        assert "12345678" not in str(getattr(notice, field))
    assert "12345678" not in str(notice.context)


@pytest.mark.parametrize(
    ("ref", "reason"), [("case:124", "case:124 has no phone number"), ("visit:9", "no person resolver")]
)
def test_an_unresolvable_person_fails_with_the_reason(
    demo: Any, case_resolver: list[tuple[str, str]], ref: str, reason: str
) -> None:
    notice = enqueue(None, hall=demo["wengyuan"], recipient_ref=ref)

    notice_deliver(notice_id=notice.pk)

    notice = reload(notice)
    assert notice.state == NoticeState.FAILED
    assert reason in notice.last_error
    assert ConsoleMessage.objects.count() == 0


# --- retries --------------------------------------------------------------------------------------


def test_backoff_is_exponential_and_capped(settings: Any) -> None:
    settings.NOTICE_RETRY_BASE_SECONDS, settings.NOTICE_RETRY_MAX_SECONDS = 30, 600
    assert [notice_retry_delay(n) for n in range(1, 8)] == [30, 60, 120, 240, 480, 600, 600]


def test_a_retryable_failure_queues_the_notice_again_later(demo: Any, scripted: Script) -> None:
    scripted.failures = 1
    notice = enqueue(staff("n_retry"))
    before = timezone.now()

    outcome = notice_deliver(notice_id=notice.pk)

    notice = reload(notice)
    assert outcome.state == notice.state == NoticeState.QUEUED
    assert outcome.retry_in == 30
    assert notice.attempts == 1
    assert notice.last_error == "attempt 1: gateway timeout (test)"
    assert notice.next_attempt_at is not None
    assert before + timedelta(seconds=29) < notice.next_attempt_at < timezone.now() + timedelta(seconds=31)
    assert notice.claimed_at is None


def test_a_failing_provider_is_retried_then_the_notice_fails_with_the_reason(
    demo: Any, settings: Any, scripted: Script, eager_celery: None, django_capture_on_commit_callbacks: Any
) -> None:
    # given a provider that always fails, and three attempts allowed
    settings.NOTICE_MAX_ATTEMPTS = 3
    scripted.failures = 99

    # when the event commits, the delivery task runs and schedules its own retries
    with django_capture_on_commit_callbacks(execute=True):
        notice = enqueue(staff("n_fail"))

    # then the provider was tried three times and the notice failed, with the reason
    notice = reload(notice)
    assert len(scripted.calls) == 3
    assert notice.state == NoticeState.FAILED
    assert notice.attempts == 3
    assert notice.last_error == "attempt 3: gateway timeout (test)"
    assert notice.failed_at is not None
    assert notice.sent_at is None


def test_a_flaky_provider_is_retried_until_it_sends(
    demo: Any, settings: Any, scripted: Script, eager_celery: None, django_capture_on_commit_callbacks: Any
) -> None:
    settings.NOTICE_MAX_ATTEMPTS = 5
    scripted.failures = 2

    with django_capture_on_commit_callbacks(execute=True):
        notice = enqueue(staff("n_flaky"))

    notice = reload(notice)
    assert len(scripted.calls) == 3
    assert notice.state == NoticeState.SENT
    assert notice.attempts == 3
    assert notice.provider_message_id == "scripted-3"
    assert notice.last_error == "attempt 2: gateway timeout (test)"  # visible: it was retried


def test_a_final_provider_error_is_not_retried(
    demo: Any, scripted: Script, eager_celery: None, django_capture_on_commit_callbacks: Any
) -> None:
    scripted.failures, scripted.retryable, scripted.reason = 1, False, "template rejected (test)"

    with django_capture_on_commit_callbacks(execute=True):
        notice = enqueue(staff("n_final"))

    notice = reload(notice)
    assert len(scripted.calls) == 1
    assert notice.state == NoticeState.FAILED
    assert notice.last_error == "attempt 1: template rejected (test)"


def test_an_error_reason_never_stores_a_phone_number(demo: Any, scripted: Script) -> None:
    scripted.failures, scripted.reason = 1, "number +8613812345678 is busy"
    notice = enqueue(staff("n_reason"))

    notice_deliver(notice_id=notice.pk)

    assert reload(notice).last_error == "attempt 1: number +86138****5678 is busy"


# --- idempotency ----------------------------------------------------------------------------------


def test_a_sent_notice_is_never_sent_again(demo: Any, scripted: Script) -> None:
    notice = enqueue(staff("n_once"))
    assert notice_deliver(notice_id=notice.pk).state == NoticeState.SENT

    # a redelivered task, a sweep, a duplicate message: nothing more is sent
    assert notice_deliver(notice_id=notice.pk).state == "skipped"
    assert notice_deliver(notice_id=notice.pk).state == "skipped"

    assert len(scripted.calls) == 1
    assert reload(notice).attempts == 1


def test_a_missing_notice_is_skipped(db: None) -> None:
    assert notice_deliver(notice_id=10**9).state == "skipped"


def test_concurrent_deliveries_of_one_notice_send_it_once(committed: None, scripted: Script) -> None:
    # given a committed notice (written directly: no delivery task of its own) and a slow provider
    scripted.delay = 0.5
    notice = committed_row(staff("n_race"), NoticeChannel.SMS)
    outcomes: list[str] = []
    barrier = threading.Barrier(3)

    def deliver() -> None:
        try:
            barrier.wait(10)
            outcomes.append(notice_deliver(notice_id=notice.pk).state)
        finally:
            connections.close_all()

    # when three workers deliver it at the same time
    threads = [threading.Thread(target=deliver) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    # then one sent it and the others left it alone
    assert sorted(outcomes) == ["sent", "skipped", "skipped"]
    assert len(scripted.calls) == 1
    assert reload(notice).attempts == 1


# --- the sweep ------------------------------------------------------------------------------------


def test_the_sweep_sends_queued_notices_whose_task_never_ran(
    demo: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.NOTICE_PENDING_AFTER_SECONDS, settings.NOTICE_SWEEP_LEASE_SECONDS = 60, 300
    now = timezone.now()
    lost = enqueue(user("wengyuan_window"), NoticeChannel.INBOX, event_key="e:lost")
    fresh = enqueue(user("wengyuan_window"), NoticeChannel.INBOX, event_key="e:fresh")
    retry_later = enqueue(user("wengyuan_window"), NoticeChannel.INBOX, event_key="e:later")
    done = enqueue(user("wengyuan_window"), NoticeChannel.INBOX, event_key="e:done")
    Notice.objects.filter(pk__in=[lost.pk, done.pk]).update(next_attempt_at=now - timedelta(minutes=5))
    Notice.objects.filter(pk=retry_later.pk).update(next_attempt_at=now + timedelta(minutes=2))
    notice_deliver(notice_id=done.pk)

    with django_capture_on_commit_callbacks() as callbacks:
        result = notice_deliver_pending()

    assert result == {"dispatched": 1, "interrupted": 0}
    assert len(callbacks) == 1
    # leased: the next sweep leaves it to the task just sent
    assert reload(lost).next_attempt_at > now + timedelta(seconds=290)
    with django_capture_on_commit_callbacks() as callbacks:
        assert notice_deliver_pending() == {"dispatched": 0, "interrupted": 0}
    assert callbacks == []
    assert {reload(n).state for n in (lost, fresh, retry_later)} == {NoticeState.QUEUED}


def test_the_sweep_task_delivers_through_the_task(
    demo: Any, settings: Any, eager_celery: None, django_capture_on_commit_callbacks: Any
) -> None:
    notice = enqueue(user("wengyuan_window"), NoticeChannel.INBOX)
    Notice.objects.filter(pk=notice.pk).update(next_attempt_at=timezone.now() - timedelta(minutes=5))

    with django_capture_on_commit_callbacks(execute=True):
        app.tasks["notifications.notice_deliver_pending_task"].delay()

    assert reload(notice).state == NoticeState.SENT


def test_a_notice_interrupted_while_sending_fails_visibly_and_is_not_resent(demo: Any, settings: Any) -> None:
    settings.NOTICE_SENDING_STALE_SECONDS = 600
    stuck = enqueue(staff("n_stuck"), event_key="e:stuck")
    busy = enqueue(staff("n_busy"), event_key="e:busy")
    Notice.objects.filter(pk=stuck.pk).update(
        state=NoticeState.SENDING, claimed_at=timezone.now() - timedelta(minutes=11)
    )
    Notice.objects.filter(pk=busy.pk).update(
        state=NoticeState.SENDING, claimed_at=timezone.now() - timedelta(seconds=5)
    )

    assert notice_deliver_pending() == {"dispatched": 0, "interrupted": 1}

    stuck = reload(stuck)
    assert stuck.state == NoticeState.FAILED
    assert "interrupted while sending" in stuck.last_error
    assert reload(busy).state == NoticeState.SENDING
    assert notice_deliver(notice_id=stuck.pk).state == "skipped"


def test_the_sweep_skips_rows_locked_by_another_transaction(committed: None, settings: Any) -> None:
    settings.NOTICE_PENDING_AFTER_SECONDS = 60
    notice = committed_row(
        staff("n_locked"), NoticeChannel.INBOX, next_attempt_at=timezone.now() - timedelta(minutes=5)
    )
    locked, release = threading.Event(), threading.Event()

    def hold_lock() -> None:
        try:
            with transaction.atomic():
                Notice.objects.select_for_update().get(pk=notice.pk)
                locked.set()
                release.wait(10)
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold_lock)
    holder.start()
    try:
        assert locked.wait(10)
        # the sweep neither waits for the lock nor takes the row
        assert notice_deliver_pending() == {"dispatched": 0, "interrupted": 0}
        # nor does a delivery task
        assert notice_deliver(notice_id=notice.pk).state == "skipped"
    finally:
        release.set()
        holder.join(10)
    # the row stays queued for the next sweep
    assert reload(notice).state == NoticeState.QUEUED


# --- an operator sends a failed notice again ------------------------------------------------------------


def test_an_operator_requeues_a_failed_notice(
    demo: Any, scripted: Script, django_capture_on_commit_callbacks: Any
) -> None:
    scripted.failures, scripted.retryable = 1, False
    notice = enqueue(staff("n_requeue"))
    notice_deliver(notice_id=notice.pk)
    assert reload(notice).state == NoticeState.FAILED

    with django_capture_on_commit_callbacks() as callbacks:
        notice_requeue(notice_id=notice.pk, actor=user("operator"))

    assert len(callbacks) == 1
    assert reload(notice).state == NoticeState.QUEUED
    assert reload(notice).attempts == 0
    event = AuditEvent.objects.get(action="notice.requeue")
    assert event.target_id == str(notice.pk)
    assert event.changes["attempts"] == 1
    assert notice_deliver(notice_id=notice.pk).state == NoticeState.SENT
    with pytest.raises(ValueError, match="Only a failed notice"):
        notice_requeue(notice_id=notice.pk, actor=user("operator"))


def test_delivery_task_is_configured_for_redelivery() -> None:
    task = app.tasks["notifications.notice_deliver_task"]
    assert task.acks_late is True
    assert task.reject_on_worker_lost is True
    assert app.tasks["notifications.notice_deliver_pending_task"].acks_late is False
    entry = app.conf.beat_schedule["notices-deliver-pending"]
    assert entry["task"] == "notifications.notice_deliver_pending_task"
    assert entry["schedule"] == 60.0


def test_kinds_not_delivered_twice_across_kinds_of_warning(demo: Any) -> None:
    # a warning and a breach of the same deadline are two events, each notified once
    enqueue(user("wengyuan_window"), NoticeChannel.INBOX, kind=DEADLINE_WARNING, event_key="deadline:42:warning")
    enqueue(user("wengyuan_window"), NoticeChannel.INBOX, kind=DEADLINE_BREACH, event_key="deadline:42:breach")
    assert Notice.objects.count() == 2
