"""How instants are written for people: one spelling across pages, notices, reports and exports."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone


def local_minute(instant: datetime | None) -> str:
    """``YYYY-MM-DD HH:MM`` in the local time zone (Asia/Shanghai); "" for no instant."""
    return timezone.localtime(instant).strftime("%Y-%m-%d %H:%M") if instant else ""
