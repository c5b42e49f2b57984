"""Sending the delivery tasks of notices (notifications/tasks.py), looked up by name in the Celery
app's task registry: the tasks call the services, and the services schedule the tasks, without the
two modules importing each other. notifications.apps imports the tasks in every process."""

from __future__ import annotations

from typing import Any

from celery import current_app

DELIVER_TASK = "notifications.notice_deliver_task"
SCHEDULE_MANY_TASK = "notifications.notice_schedule_many_task"


def _task(name: str) -> Any:
    return current_app.tasks[name]


def notice_deliver_schedule(notice_id: int, *, countdown: int | None = None) -> None:
    """Send the delivery task of a notice, marked for the public schema whatever the caller's."""
    _task(DELIVER_TASK).apply_async(args=[notice_id], countdown=countdown, headers={"_schema_name": "public"})


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
        _task(SCHEDULE_MANY_TASK).apply_async(args=[chunk], headers={"_schema_name": "public"})
