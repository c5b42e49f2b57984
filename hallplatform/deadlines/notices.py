"""Who hears about a deadline, and the notices sent to them (through the notifications outbox)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from django.db.models import Q

from hallplatform.accounts.models import RoleAssignment, RoleKind
from hallplatform.deadlines.models import Deadline, DeadlineKind, EscalationLevel
from hallplatform.formats import local_minute
from notifications.links import NoticeLink
from notifications.models import NoticeChannel
from notifications.services import NoticeDraft, notice_enqueue, notice_enqueue_many


class Recipients:
    """Staff to notify per deadline and escalation level, loaded for many deadlines in one query."""

    def __init__(self, deadlines: Iterable[Deadline]) -> None:
        deadlines = list(deadlines)
        department_ids = {d.owner_department_id for d in deadlines if d.owner_department_id}
        hall_ids = {d.hall_id for d in deadlines}
        city_ids = {d.hall.city_id for d in deadlines}
        self._by_department: dict[tuple[str, int], list[int]] = defaultdict(list)
        self._by_hall: dict[tuple[str, int], list[int]] = defaultdict(list)
        rows = RoleAssignment.objects.filter(
            Q(kind__in=[RoleKind.DEPARTMENT_HANDLER, RoleKind.DEPARTMENT_LEAD], department_id__in=department_ids)
            | Q(kind__in=[RoleKind.HALL_LEAD, RoleKind.WINDOW_STAFF], hall_id__in=hall_ids)
            | Q(kind=RoleKind.CITY_SUPERVISOR, hall_id__in=city_ids),
            user__is_active=True,
        ).values_list("kind", "department_id", "hall_id", "user_id")
        for kind, department_id, hall_id, user_id in rows:
            if department_id is not None:
                self._by_department[(kind, department_id)].append(user_id)
            else:
                self._by_hall[(kind, hall_id)].append(user_id)

    def for_level(self, deadline: Deadline, level: str) -> list[int]:
        if level == EscalationLevel.HANDLER:
            if deadline.owner_user_id:
                return [deadline.owner_user_id]
            if deadline.owner_department_id:
                return sorted(self._by_department[(RoleKind.DEPARTMENT_HANDLER, deadline.owner_department_id)])
            return sorted(self._by_hall[(RoleKind.WINDOW_STAFF, deadline.hall_id)])
        if level == EscalationLevel.DEPARTMENT_LEAD:
            if not deadline.owner_department_id:
                return []
            return sorted(self._by_department[(RoleKind.DEPARTMENT_LEAD, deadline.owner_department_id)])
        if level == EscalationLevel.HALL_LEAD:
            return sorted(self._by_hall[(RoleKind.HALL_LEAD, deadline.hall_id)])
        if level == EscalationLevel.CITY_SUPERVISOR:
            return sorted(self._by_hall[(RoleKind.CITY_SUPERVISOR, deadline.hall.city_id)])
        return []


_KIND_LABELS = dict(DeadlineKind.choices)


def _kind_label(kind: str) -> str:
    """What get_kind_display() gives, without rebuilding the choices on every call."""
    return str(_KIND_LABELS.get(kind, kind))


# What a deadline's subject is called in a notice, by model label; apps add theirs.
SUBJECT_LABELS: dict[str, str] = {}
# The page of a deadline's subject (a path on its hall's host, whose staff, departments and city
# supervisors are the ones told), by model label; apps add theirs. No query: the sweep links thousands.
SUBJECT_LINKS: dict[str, Callable[[Deadline], str]] = {}


def subject_link(deadline: Deadline) -> NoticeLink | None:
    path = SUBJECT_LINKS.get(deadline.subject_type)
    return NoticeLink(path=path(deadline), hall=deadline.hall) if path is not None else None


def _when(instant: datetime) -> str:
    return local_minute(instant)


def _context(deadline: Deadline, *, deadline_label: str | None = None, **extra: Any) -> dict[str, Any]:
    """Template variables of the deadline notice kinds (notifications/kinds.py); no personal data.
    ``deadline_label``: the kind's label, when the caller has it already."""
    noun = SUBJECT_LABELS.get(deadline.subject_type, "事项")
    return {
        "deadline_id": deadline.pk,
        "subject_label": f"{noun} {deadline.subject_number or deadline.subject_id}",
        "deadline_label": _kind_label(deadline.kind) if deadline_label is None else deadline_label,
        "due_at": _when(deadline.due_at),
        "hall_name": deadline.hall.name,
        "provisional": deadline.provisional,
        **extra,
    }


def notify(*, deadline: Deadline, kind: str, event: str, user_ids: Iterable[int], **extra: Any) -> int:
    """Queue one in-app notice per recipient; the outbox keeps it to one per (event, recipient, channel)."""
    count = 0
    for user_id in user_ids:
        notice = notice_enqueue(
            kind=kind,
            event_key=f"deadline:{deadline.pk}:{event}",
            channel=NoticeChannel.INBOX,
            hall=deadline.hall,
            recipient_user_id=user_id,
            context=_context(deadline, **extra),
            link=subject_link(deadline),
        )
        count += notice is not None
    return count


class NoticeBatch:
    """Notices about many deadlines, written together (``notice_enqueue_many``): what ``notify``
    does, in a constant number of queries. The sweep collects a batch's notices, then sends them."""

    def __init__(self) -> None:
        self._drafts: list[NoticeDraft] = []
        self._labels: dict[str, str] = {}  # kind labels, translated once per batch

    def add(self, *, deadline: Deadline, kind: str, event: str, user_ids: Iterable[int], **extra: Any) -> None:
        context: dict[str, Any] | None = None
        link: NoticeLink | None = None
        for user_id in user_ids:
            if context is None:
                link = subject_link(deadline)
                label = self._labels.get(deadline.kind)
                if label is None:
                    label = self._labels[deadline.kind] = _kind_label(deadline.kind)
                context = _context(deadline, deadline_label=label, **extra)
            self._drafts.append(
                NoticeDraft(
                    kind=kind,
                    event_key=f"deadline:{deadline.pk}:{event}",
                    channel=NoticeChannel.INBOX,
                    hall=deadline.hall,
                    recipient_user_id=user_id,
                    context=context,  # shared by the deadline's recipients: nothing changes it
                    link=link,
                )
            )

    def send(self) -> int:
        """Queue the collected notices (at most one per event and recipient); how many were new."""
        drafts, self._drafts = self._drafts, []
        return sum(notice_id is not None for notice_id in notice_enqueue_many(drafts))


def announce_moved(*, deadline: Deadline, before: datetime) -> None:
    recipients = Recipients([deadline])
    notify(
        deadline=deadline,
        kind="deadline_moved",
        event=f"moved:{int(deadline.due_at.timestamp())}",
        user_ids=recipients.for_level(deadline, EscalationLevel.HANDLER),
        old_due_at=_when(before),
        new_due_at=_when(deadline.due_at),
    )
