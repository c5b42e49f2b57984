"""Recompute open deadlines when the calendar they were computed on changes."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.dispatch import receiver

from hallplatform.deadlines.services import deadline_recompute_for_calendar_change
from hallplatform.workdays.signals import calendar_changed


@receiver(calendar_changed)
def _recompute(sender: Any, *, hall_id: int | None, first: date, last: date, **kwargs: Any) -> None:
    deadline_recompute_for_calendar_change(hall_id=hall_id, first=first, last=last)
