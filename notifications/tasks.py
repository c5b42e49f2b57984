"""Delivery of notices. Both tasks run on the public schema, where notices live."""

from __future__ import annotations

from hallplatform.celery import app
from notifications.services import notice_deliver, notice_deliver_pending


# ignore_result: nobody waits for these results, and a sender that expects one first subscribes to
# the result store, one more Redis round trip (and timeout) on every publish.
@app.task(name="notifications.notice_deliver_task", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def notice_deliver_task(notice_id: int) -> str:
    """Send one notice; after a retryable failure, schedule the next attempt with a countdown of
    seconds to minutes (never a long ETA: DESIGN.md 4.3). Idempotent: a notice that is not queued
    is left alone, so a redelivered message sends nothing twice."""
    outcome = notice_deliver(notice_id=notice_id)
    if outcome.retry_in is not None:
        notice_deliver_schedule(notice_id, countdown=outcome.retry_in)
    return outcome.state


@app.task(name="notifications.notice_deliver_pending_task")
def notice_deliver_pending_task() -> dict[str, int]:
    """Beat, every minute: send notices whose delivery task never ran; fail interrupted ones."""
    return notice_deliver_pending()


@app.task(name="notifications.notice_schedule_many_task", ignore_result=True)
def notice_schedule_many_task(notice_ids: list[int]) -> int:
    """Send the delivery task of each of these notices (written together by notice_enqueue_many),
    so that the writer publishes one message after its commit, not one per notice. Not acknowledged
    late: if this task is lost, notice_deliver_pending sends the notices a minute later."""
    for notice_id in notice_ids:
        notice_deliver_schedule(notice_id)
    return len(notice_ids)


def notice_deliver_schedule(notice_id: int, *, countdown: int | None = None) -> None:
    """Send the delivery task of a notice, marked for the public schema whatever the caller's."""
    notice_deliver_task.apply_async(args=[notice_id], countdown=countdown, headers={"_schema_name": "public"})


# Notice ids per message of notice_schedule_many_task.
SCHEDULE_MANY_CHUNK = 1000


def notice_deliver_schedule_many(notice_ids: list[int]) -> None:
    """Have the delivery tasks of many notices sent: one message per thousand notices (a single
    notice gets its delivery task directly)."""
    if len(notice_ids) == 1:
        notice_deliver_schedule(notice_ids[0])
        return
    for start in range(0, len(notice_ids), SCHEDULE_MANY_CHUNK):
        chunk = notice_ids[start : start + SCHEDULE_MANY_CHUNK]
        notice_schedule_many_task.apply_async(args=[chunk], headers={"_schema_name": "public"})
