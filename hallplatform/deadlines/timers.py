"""Silent timers: deadlines whose due time runs a handler instead of warning and escalating.

A higher layer (casework, from its ``AppConfig.ready()``) registers one handler per silent kind; the
platform never imports it. The sweep's timer step (hallplatform/deadlines/sweep.py) claims due timers
with ``SELECT … FOR UPDATE SKIP LOCKED`` through the partial index ``deadline_timer_due``, runs each
handler in its own savepoint and marks the timer met in the same transaction: a timer fires once, a
sweep repeated or run twice at once finds nothing left. A handler that fails leaves its timer waiting
(retried at the next sweep, logged); handlers are written to be idempotent all the same.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from hallplatform.deadlines.models import SILENT_KINDS, Deadline

# handler(deadline, now): runs in the public schema; it enters the hall's schema itself.
TimerHandler = Callable[[Deadline, datetime], None]

_HANDLERS: dict[str, TimerHandler] = {}


def timer_handler_register(kind: str, handler: TimerHandler) -> TimerHandler:
    """Register the handler of a silent deadline kind (once per kind)."""
    if kind not in SILENT_KINDS:
        raise ValueError(f"{kind!r} is not a silent deadline kind")
    existing = _HANDLERS.get(kind)
    if existing is not None and existing is not handler:
        raise ValueError(f"a handler for {kind!r} is already registered")
    _HANDLERS[kind] = handler
    return handler


def timer_handler_for(kind: str) -> TimerHandler | None:
    return _HANDLERS.get(kind)
