"""Delivery of notices and the daily digests. The tasks run on the public schema, where notices live."""

from __future__ import annotations

from celery import shared_task

from notifications.digest import notice_digest_send_due
from notifications.scheduling import notice_deliver_schedule
from notifications.services import notice_deliver, notice_deliver_pending


# ignore_result: nobody waits for these results, and a sender that expects one first subscribes to
# the result store, one more Redis round trip (and timeout) on every publish.
@shared_task(name="notifications.notice_deliver_task", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def notice_deliver_task(notice_id: int) -> str:
    """Send one notice; after a retryable failure, schedule the next attempt with a countdown of
    seconds to minutes (never a long ETA: DESIGN.md 4.3). Idempotent: a notice that is not queued
    is left alone, so a redelivered message sends nothing twice."""
    outcome = notice_deliver(notice_id=notice_id)
    if outcome.retry_in is not None:
        notice_deliver_schedule(notice_id, countdown=outcome.retry_in)
    return outcome.state


@shared_task(name="notifications.notice_deliver_pending_task")
def notice_deliver_pending_task() -> dict[str, int]:
    """Beat, every minute: send notices whose delivery task never ran; fail interrupted ones."""
    return notice_deliver_pending()


@shared_task(name="notifications.notice_schedule_many_task", ignore_result=True)
def notice_schedule_many_task(notice_ids: list[int]) -> int:
    """Send the delivery task of each of these notices (written together by notice_enqueue_many),
    so that the writer publishes one message after its commit, not one per notice. Not acknowledged
    late: if this task is lost, notice_deliver_pending sends the notices a minute later."""
    for notice_id in notice_ids:
        notice_deliver_schedule(notice_id)
    return len(notice_ids)


@shared_task(name="notifications.notice_digest_send_due_task", ignore_result=True)
def notice_digest_send_due_task() -> int:
    """Beat, every NOTICE_DIGEST_CHECK_SECONDS: queue the daily digests that are due (public schema)."""
    return notice_digest_send_due()
