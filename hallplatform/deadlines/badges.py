"""The deadline badge of a list row or a page: green (in time), yellow (临期), red (逾期), grey (paused).

Shared by every app that shows a deadline (casework's lists, the departments' inbox, meetings,
supervision orders): a colour worked out from the deadline's state and times, and its HTML.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from hallplatform.deadlines.models import Deadline, DeadlineState
from hallplatform.formats import local_minute


class Badge:
    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"
    PAUSED = "paused"


_BADGE_RANK = {Badge.GREEN: 0, Badge.PAUSED: 1, Badge.YELLOW: 2, Badge.RED: 3}


@dataclass(frozen=True)
class DeadlineBadge:
    colour: str
    due_at: datetime
    kind: str
    provisional: bool
    # while paused (补正): when it stopped and the working time it had left, in seconds
    paused_at: datetime | None = None
    remaining_seconds: int | None = None

    @property
    def rank(self) -> int:
        return _BADGE_RANK[self.colour]


def deadline_badge(deadline: Deadline, now: datetime | None = None) -> DeadlineBadge:
    """The colour of a live deadline now: red once due (or breached), yellow once its warning time
    has come, grey while paused, green otherwise."""
    now = now or timezone.now()
    if deadline.state == DeadlineState.PAUSED:
        colour = Badge.PAUSED
    elif deadline.state == DeadlineState.BREACHED or now >= deadline.due_at:
        colour = Badge.RED
    elif deadline.warned_at is not None or now >= deadline.warn_at:
        colour = Badge.YELLOW
    else:
        colour = Badge.GREEN
    paused = deadline.state == DeadlineState.PAUSED
    return DeadlineBadge(
        colour=colour,
        due_at=deadline.due_at,
        kind=deadline.kind,
        provisional=deadline.provisional,
        paused_at=deadline.paused_at if paused else None,
        remaining_seconds=deadline.remaining_seconds if paused else None,
    )


def worst_badge(badges: list[DeadlineBadge]) -> DeadlineBadge | None:
    if not badges:
        return None
    return max(badges, key=lambda b: (b.rank, -b.due_at.timestamp()))


# Every colour a badge can have, in the API's schema: green in time, yellow 临期, red 逾期, paused 补正.
BADGE_COLOURS = [Badge.GREEN, Badge.YELLOW, Badge.RED, Badge.PAUSED]


def badge_html(badge: Any) -> SafeString:
    """The deadline badge of a list row (what casework/case/_badge.html shows), built in Python:
    fifty template includes cost more than the rest of a list page's rows."""
    if badge is None:
        return mark_safe('<span class="muted">—</span>')
    words = {"green": gettext("In time"), "yellow": gettext("Due soon"), "red": gettext("Overdue")}
    html = format_html('<span class="dl dl-{}">{}</span>', badge.colour, words.get(badge.colour, gettext("Paused")))
    if badge.colour != "paused":
        due = gettext("due %(due)s") % {"due": local_minute(badge.due_at)}
        html += format_html(' <span class="due">{}</span>', due)
    if badge.provisional:
        html += format_html(
            ' <span class="due" title="{}">*</span>', gettext("The calendar of this period is still provisional.")
        )
    return html
