"""The daily digest of ordinary notices (docs/notifications.md, "What goes where").

A person who chose the digest gets, once a day, one message on each of their chosen channels
listing their unread ordinary in-app notices since the previous digest (the last day, for the
first). It goes at the first office hour of the person's hall (the hall of their first role; a
department's: the hall it is stationed in; none: the platform's default office hours), found by
beat every ``NOTICE_DIGEST_CHECK_SECONDS``. Exactly once per person and day: the digest's event is
``digest:<date>``, and the outbox keeps one notice per (event, recipient, channel).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import Max
from django.utils import timezone

from hallplatform.workdays.selectors import work_calendars_for
from hallplatform.workdays.worktime import in_office_hours
from notifications.channels import hall_channels_allowed, home_halls, staff_reach
from notifications.kinds import STAFF_DIGEST, notice_kind_label, notice_kind_urgent
from notifications.models import Notice, NoticeChannel, StaffContact
from notifications.services import NoticeDraft, notice_enqueue_many
from tenants.models import Hall

# At most this many notices are listed in one digest; the count says how many there are.
DIGEST_LINES = 20
# The national calendar with the platform's default office hours (a hall id that names no hall).
_NO_HALL = 0


def notice_digest_send_due(*, now: Any = None) -> int:
    """Queue the digests due now: for each person who chose one, whose hall is in office hours
    today, who has no digest today yet and has unread ordinary notices. Returns how many
    notices were queued."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    event_key = f"digest:{today.isoformat()}"
    reach = {user_id: person for user_id, person in _digest_takers().items() if person.channels}
    if not reach:
        return 0
    homes = home_halls(reach)
    calendars = work_calendars_for(hall_ids={hall or _NO_HALL for hall in homes.values()}, first=today, last=today)
    due = [user_id for user_id in reach if in_office_hours(calendars[homes[user_id] or _NO_HALL], now)]
    done = set(
        Notice.objects.filter(kind=STAFF_DIGEST.code, event_key=event_key, recipient_user_id__in=due).values_list(
            "recipient_user_id", flat=True
        )
    )
    due = [user_id for user_id in due if user_id not in done]
    if not due:
        return 0
    previous = dict(
        Notice.objects.filter(kind=STAFF_DIGEST.code, recipient_user_id__in=due)
        .values("recipient_user_id")
        .annotate(last=Max("created_at"))
        .values_list("recipient_user_id", "last")
    )
    pending: dict[int, list[tuple[str, str]]] = defaultdict(list)
    rows = (
        Notice.objects.filter(
            channel=NoticeChannel.INBOX,
            recipient_user_id__in=due,
            read_at__isnull=True,
            created_at__gte=now - timedelta(days=1),
        )
        .exclude(kind=STAFF_DIGEST.code)
        .order_by("created_at", "pk")
        .values_list("recipient_user_id", "kind", "subject", "created_at")
    )
    for user_id, kind, subject, created_at in rows:
        since = previous.get(user_id)
        if notice_kind_urgent(kind) or (since is not None and created_at <= since):
            continue
        pending[user_id].append((kind, subject))
    allowed = hall_channels_allowed(homes[user_id] for user_id in pending)
    links = _inbox_links({homes[user_id] for user_id in pending})
    drafts: list[NoticeDraft] = []
    for user_id, notices in pending.items():
        lines = [f"【{notice_kind_label(kind)}】{subject}" for kind, subject in notices[:DIGEST_LINES]]
        if len(notices) > DIGEST_LINES:
            lines.append(f"……共{len(notices)}条")
        context = {"count": len(notices), "lines": "\n".join(lines), "link": links.get(homes[user_id], links[None])}
        drafts.extend(
            NoticeDraft(
                kind=STAFF_DIGEST,
                event_key=event_key,
                channel=channel,
                context=context,
                recipient_user_id=user_id,
                office_hall_id=homes[user_id],
            )
            for channel in reach[user_id].channels
            if channel in allowed[homes[user_id]]
        )
    return sum(notice_id is not None for notice_id in notice_enqueue_many(drafts))


def _digest_takers() -> dict[int, Any]:
    """The people who chose the digest, with their reachable channels."""
    ids = StaffContact.objects.filter(digest=True, user__is_active=True).values_list("user_id", flat=True)
    return {user_id: person for user_id, person in staff_reach(ids).items() if person.digest}


def _inbox_links(hall_ids: set[int | None]) -> dict[int | None, str]:
    """The address of the inbox on each hall's host (no hall: the base domain)."""
    codes = dict(Hall.objects.filter(pk__in={h for h in hall_ids if h is not None}).values_list("pk", "code"))
    links: dict[int | None, str] = {None: f"{settings.NOTICE_LINK_SCHEME}://{settings.BASE_DOMAIN}/notices/"}
    for hall_id, code in codes.items():
        links[hall_id] = f"{settings.NOTICE_LINK_SCHEME}://{code}.{settings.BASE_DOMAIN}/notices/"
    return links
