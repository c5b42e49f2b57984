"""A person's to-do list on a home page: sections of items, each with its deadline badge and one
link to act, and the summary counts 逾期 / 临期 / 今日到期.

Shared by the hall's home (casework, filled in by coordination through casework.interface) and the
city portal's home (coordination): the shape of an item and how items are sorted and counted.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone
from django.utils.safestring import SafeString

from hallplatform.deadlines.badges import Badge, DeadlineBadge, badge_html

# How many rows a section shows; the count says how many there are in all.
SECTION_ROWS = 20


@dataclass(frozen=True)
class TodoItem:
    number: str
    matter: str  # already masked for the reader where it is free text
    url: str
    action: str  # the link's words: what to do
    badge: DeadlineBadge | None = None
    since: datetime | None = None  # when the work arrived, for items without a deadline

    @property
    def badge_html(self) -> SafeString:
        return badge_html(self.badge)


def _sort_key(item: TodoItem) -> tuple[int, float]:
    """Overdue first, then by deadline; items without a deadline last, oldest first."""
    if item.badge is None:
        return (2, item.since.timestamp() if item.since else 0.0)
    return (0 if item.badge.colour == Badge.RED else 1, item.badge.due_at.timestamp())


@dataclass
class TodoSection:
    key: str
    title: str
    items: list[TodoItem] = field(default_factory=list)  # all of them, most urgent first
    more_url: str = ""

    @classmethod
    def of(cls, key: str, title: str, items: Iterable[TodoItem], more_url: str = "") -> TodoSection:
        return cls(key=key, title=title, items=sorted(items, key=_sort_key), more_url=more_url)

    @property
    def shown(self) -> list[TodoItem]:
        return self.items[:SECTION_ROWS]

    @property
    def total(self) -> int:
        return len(self.items)


@dataclass(frozen=True)
class TodoSummary:
    overdue: int
    due_soon: int
    due_today: int


def todo_summary(sections: Iterable[TodoSection], now: datetime | None = None) -> TodoSummary:
    """Counts over every item of the sections (not only the rows shown): 逾期 red, 临期 yellow,
    今日到期 due later today (Asia/Shanghai) and not yet overdue."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    overdue = due_soon = due_today = 0
    for section in sections:
        for item in section.items:
            badge = item.badge
            if badge is None:
                continue
            if badge.colour == Badge.RED:
                overdue += 1
                continue
            if badge.colour == Badge.YELLOW:
                due_soon += 1
            if badge.colour != Badge.PAUSED and timezone.localdate(badge.due_at) == today:
                due_today += 1
    return TodoSummary(overdue=overdue, due_soon=due_soon, due_today=due_today)
