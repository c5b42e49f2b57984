"""Which channels reach which staff member: the providers configured, each hall's policy, each
person's choice and addresses (docs/notifications.md, "Channels to staff").

Reads only; one query per kind of row whatever the number of people, so the deadline sweep's
batches stay constant in queries.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from hallplatform.accounts.models import RoleAssignment
from notifications.models import STAFF_EXTERNAL_CHANNELS, HallChannelPolicy, NoticeChannel, StaffContact
from notifications.providers.aliyun import REQUIRED as ALIYUN_REQUIRED
from notifications.providers.dingtalk import REQUIRED as DINGTALK_REQUIRED
from notifications.providers.wecom import REQUIRED as WECOM_REQUIRED

# Tencent's required settings, repeated here: its module loads the Tencent Cloud SDK.
TENCENT_REQUIRED = ("TENCENTCLOUD_SECRET_ID", "TENCENTCLOUD_SECRET_KEY", "SMS_SDK_APP_ID", "SMS_SIGN_NAME")


def _set(names: Iterable[str]) -> bool:
    return all(str(getattr(settings, name, "") or "").strip() for name in names)


def channel_configured(channel: str) -> bool:
    """Whether notices can go out on ``channel``: its provider is chosen and has its settings."""
    if channel == NoticeChannel.INBOX:
        return True
    if channel == NoticeChannel.SMS:
        provider = settings.SMS_PROVIDER
        if provider == "tencent":
            return _set(TENCENT_REQUIRED)
        if provider == "aliyun":
            return _set(ALIYUN_REQUIRED)
        return bool(provider)  # console (development) or a dotted path
    if channel == NoticeChannel.EMAIL:
        return bool(settings.EMAIL_PROVIDER)
    if channel == NoticeChannel.WECOM:
        return bool(settings.WECOM_PROVIDER) and _set(WECOM_REQUIRED)
    if channel == NoticeChannel.DINGTALK:
        return bool(settings.DINGTALK_PROVIDER) and _set(DINGTALK_REQUIRED)
    return False


def channels_configured() -> tuple[str, ...]:
    """The channels besides the in-app list that are configured, in the order they are offered."""
    return tuple(channel for channel in STAFF_EXTERNAL_CHANNELS if channel_configured(channel))


def hall_channels_allowed(hall_ids: Iterable[int | None]) -> dict[int | None, frozenset[str]]:
    """The external channels each hall lets its notices use (no policy: every configured one;
    no hall: every configured one), in one query."""
    configured = frozenset(channels_configured())
    ids = {hall_id for hall_id in hall_ids if hall_id is not None}
    policies = dict(HallChannelPolicy.objects.filter(hall_id__in=ids).values_list("hall_id", "channels")) if ids else {}
    allowed: dict[int | None, frozenset[str]] = {None: configured}
    for hall_id in ids:
        allowed[hall_id] = configured & frozenset(policies[hall_id]) if hall_id in policies else configured
    return allowed


@dataclass(frozen=True)
class Reach:
    """A person's chosen external channels that have an address, and whether they take a digest."""

    channels: tuple[str, ...]
    digest: bool


def contact_addresses(row: Mapping[str, Any]) -> dict[str, str]:
    return {
        NoticeChannel.SMS: row.get("user__work_phone", "") or "",
        NoticeChannel.EMAIL: row.get("user__email", "") or "",
        NoticeChannel.WECOM: row.get("wecom_user_id", "") or "",
        NoticeChannel.DINGTALK: row.get("dingtalk_user_id", "") or "",
    }


def staff_reach(user_ids: Iterable[int]) -> dict[int, Reach]:
    """Of these people, those who chose channels besides the in-app list (active accounts only):
    the channels they chose and have an address for, in one query."""
    ids = set(user_ids)
    if not ids:
        return {}
    rows = StaffContact.objects.filter(user_id__in=ids, user__is_active=True).values(
        "user_id", "channels", "digest", "wecom_user_id", "dingtalk_user_id", "user__work_phone", "user__email"
    )
    reach: dict[int, Reach] = {}
    for row in rows:
        addresses = contact_addresses(row)
        chosen = tuple(
            channel for channel in STAFF_EXTERNAL_CHANNELS if channel in row["channels"] and addresses[channel]
        )
        if chosen or row["digest"]:
            reach[row["user_id"]] = Reach(channels=chosen, digest=bool(row["digest"]))
    return reach


def home_halls(user_ids: Iterable[int]) -> dict[int, int | None]:
    """The hall whose office hours a person's digest follows: the hall of their first role (a
    department's: the hall it is stationed in); None without one."""
    ids = set(user_ids)
    found: dict[int, int | None] = dict.fromkeys(ids)
    rows = (
        RoleAssignment.objects.filter(user_id__in=ids)
        .order_by("-pk")  # the first role wins: written last below
        .values_list("user_id", "hall_id", "department__hall_id")
    )
    for user_id, hall_id, department_hall_id in rows:
        hall = hall_id or department_hall_id
        if hall is not None:
            found[user_id] = hall
    return found
