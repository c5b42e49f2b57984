"""Reads of notices. A person sees only their own in-app notices that have been delivered."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from notifications.models import Notice, NoticeChannel, NoticeState


def notice_list_for_user(*, user: Any) -> QuerySet[Notice]:
    """The person's inbox, newest first."""
    return Notice.objects.filter(
        recipient_user_id=user.pk, channel=NoticeChannel.INBOX, state=NoticeState.SENT
    ).order_by("-created_at", "-id")


def notice_unread_count_for_user(*, user: Any) -> int:
    if user is None or not user.is_authenticated:
        return 0
    return notice_list_for_user(user=user).filter(read_at__isnull=True).count()
