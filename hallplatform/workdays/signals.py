"""The hook the deadline engine subscribes to: the working calendar changed for some dates.

``calendar_changed`` is sent after the transaction that changed the calendar commits (never for a
rolled-back change), with ``hall_id`` (None: the national calendar, every hall), ``first`` and
``last`` (the dates affected, inclusive; OPEN_START / OPEN_END when open-ended). A receiver
recomputes the open deadlines that touch those dates, e.g.::

    @receiver(calendar_changed)
    def deadlines_recompute(sender, *, hall_id, first, last, **kwargs): ...
"""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.dispatch import Signal

calendar_changed = Signal()

# The bounds sent for a change that is open-ended on that side (e.g. office hours without an end
# date, a policy change). Finite, so that a receiver can still compute with them (``last + 1 day``).
OPEN_START = date(1900, 1, 1)
OPEN_END = date(9998, 12, 31)


def on_calendar_changed(*, hall_id: int | None, first: date, last: date) -> None:
    """Announce a change of the working calendar once the current transaction commits.

    Robust: a failing receiver is logged and does not turn the committed change into an error.
    """
    transaction.on_commit(
        lambda: calendar_changed.send(sender=on_calendar_changed, hall_id=hall_id, first=first, last=last),
        robust=True,
    )
