"""What goes where (notifications/services.py fan-out, quiet hours; notifications/digest.py):
urgent notices to every channel the person has, once; ordinary ones in-app and in the daily
digest; messages outside office hours held until the next office hour."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone

from hallplatform.accounts.models import RoleAssignment, RoleKind
from hallplatform.workdays.selectors import work_calendar_for
from hallplatform.workdays.worktime import in_office_hours
from notifications.digest import notice_digest_send_due
from notifications.kinds import DEADLINE_BREACH, DEADLINE_MOVED
from notifications.models import HallChannelPolicy, Notice, NoticeChannel
from notifications.services import notice_deliver_pending, notice_enqueue, notice_enqueue_inbox
from tests.notifications.conftest import BREACH_CONTEXT, staff, with_contact
from tests.notifications.provider_api import ProviderApi

SHANGHAI = ZoneInfo("Asia/Shanghai")
MOVED_CONTEXT = {**BREACH_CONTEXT, "old_due_at": "3月3日 17:00", "new_due_at": "3月5日 17:00"}


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)


def everywhere(username: str) -> Any:
    """A staff member who chose every channel and has every address."""
    person = staff(username, phone="13812345678", email=f"{username}@example.org")
    with_contact(person, channels=["sms", "email", "wecom", "dingtalk"], wecom_user_id="wx1", dingtalk_user_id="dd1")
    return person


def channels_of(event_key: str) -> list[str]:
    return sorted(Notice.objects.filter(event_key=event_key).values_list("channel", flat=True))


def test_an_urgent_notice_goes_to_every_channel_once(demo: Any, wecom: ProviderApi, dingtalk: ProviderApi) -> None:
    person = everywhere("n_route1")

    # twice, as a repeated sweep or a retried request would: still one notice per channel
    for _ in range(2):
        notice_enqueue_inbox(
            kind=DEADLINE_BREACH,
            event_key="deadline:971:breach",
            hall=demo["wengyuan"],
            user_ids=[person.pk],
            context=BREACH_CONTEXT,
        )
        notice_enqueue(
            kind=DEADLINE_BREACH,
            event_key="deadline:971:breach",
            channel=NoticeChannel.INBOX,
            hall=demo["wengyuan"],
            recipient_user=person,
            context=BREACH_CONTEXT,
        )

    assert channels_of("deadline:971:breach") == ["dingtalk", "email", "inbox", "sms", "wecom"]


def test_an_ordinary_notice_stays_in_app(demo: Any, wecom: ProviderApi) -> None:
    person = everywhere("n_route2")

    notice_enqueue_inbox(
        kind=DEADLINE_MOVED,
        event_key="deadline:972:moved:1",
        hall=demo["wengyuan"],
        user_ids=[person.pk],
        context=MOVED_CONTEXT,
    )

    assert channels_of("deadline:972:moved:1") == ["inbox"]


def test_the_halls_policy_and_unconfigured_channels_are_left_out(demo: Any) -> None:
    # WeCom and DingTalk are not configured here; wengyuan allows e-mail only, nanxiong has no policy
    person = everywhere("n_route3")
    HallChannelPolicy.objects.create(hall=demo["wengyuan"], channels=["email", "wecom"])

    for hall in ("wengyuan", "nanxiong"):
        notice_enqueue_inbox(
            kind=DEADLINE_BREACH,
            event_key=f"deadline:973:{hall}",
            hall=demo[hall],
            user_ids=[person.pk],
            context=BREACH_CONTEXT,
        )

    assert channels_of("deadline:973:wengyuan") == ["email", "inbox"]
    assert channels_of("deadline:973:nanxiong") == ["email", "inbox", "sms"]


def test_a_channel_without_its_address_gets_no_copy(demo: Any) -> None:
    person = staff("n_route4", phone="", email="n_route4@example.org")
    with_contact(person, channels=["sms", "email"])

    notice_enqueue_inbox(
        kind=DEADLINE_BREACH, event_key="deadline:974:breach", hall=None, user_ids=[person.pk], context=BREACH_CONTEXT
    )

    assert channels_of("deadline:974:breach") == ["email", "inbox"]


def opening_after(hall: Any, day: date) -> datetime:
    """The first office hour of ``day`` in the hall's calendar."""
    calendar = work_calendar_for(hall_id=hall.pk, first=day, last=day)
    return datetime.combine(day, calendar.intervals_on(day)[0].start, tzinfo=SHANGHAI)


def test_quiet_hours_hold_an_ordinary_message_until_the_next_office_hour(
    demo: Any, monkeypatch: Any, django_capture_on_commit_callbacks: Any
) -> None:
    night = at(date(2025, 3, 3), 22)  # a Monday evening
    monkeypatch.setattr(timezone, "now", lambda: night)
    person = staff("n_quiet1", phone="13812345678")

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        held = notice_enqueue(
            kind=DEADLINE_MOVED,
            event_key="deadline:975:moved:1",
            channel=NoticeChannel.SMS,
            hall=demo["wengyuan"],
            recipient_user=person,
            context=MOVED_CONTEXT,
        )
    assert held is not None
    assert held.next_attempt_at == opening_after(demo["wengyuan"], date(2025, 3, 4))
    assert callbacks == []  # no delivery task now
    assert notice_deliver_pending()["dispatched"] == 0  # nor from the sweep at night

    # the next morning, once office hours have begun, the sweep sends it
    later = held.next_attempt_at + timedelta(minutes=2)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert notice_deliver_pending()["dispatched"] == 1


def test_urgent_messages_and_office_hours_are_not_held(
    demo: Any, monkeypatch: Any, django_capture_on_commit_callbacks: Any
) -> None:
    night, morning = at(date(2025, 3, 3), 22), at(date(2025, 3, 4), 10)
    person = staff("n_quiet2", phone="13812345678")
    calendar = work_calendar_for(hall_id=demo["wengyuan"].pk, first=date(2025, 3, 4), last=date(2025, 3, 4))
    assert in_office_hours(calendar, morning)

    monkeypatch.setattr(timezone, "now", lambda: night)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        urgent = notice_enqueue(
            kind=DEADLINE_BREACH,
            event_key="deadline:976:breach",
            channel=NoticeChannel.SMS,
            hall=demo["wengyuan"],
            recipient_user=person,
            context=BREACH_CONTEXT,
        )
    monkeypatch.setattr(timezone, "now", lambda: morning)
    ordinary = notice_enqueue(
        kind=DEADLINE_MOVED,
        event_key="deadline:976:moved:1",
        channel=NoticeChannel.SMS,
        hall=demo["wengyuan"],
        recipient_user=person,
        context=MOVED_CONTEXT,
    )

    assert urgent is not None and urgent.next_attempt_at == night
    assert len(callbacks) == 1
    assert ordinary is not None and ordinary.next_attempt_at == morning


def test_the_daily_digest_lists_ordinary_unread_notices_once_a_day(demo: Any, monkeypatch: Any, settings: Any) -> None:
    settings.NOTICE_LINK_SCHEME = "https"  # as in production (development links are http)
    person = staff("n_digest1", email="n_digest1@example.org")
    with_contact(person, channels=["email"], digest=True)
    RoleAssignment.objects.create(user=person, kind=RoleKind.WINDOW_STAFF, hall=demo["wengyuan"])
    monkeypatch.setattr(timezone, "now", lambda: at(date(2025, 3, 3), 18))
    notice_enqueue_inbox(
        kind=DEADLINE_MOVED,
        event_key="deadline:977:moved:1",
        hall=demo["wengyuan"],
        user_ids=[person.pk],
        context=MOVED_CONTEXT,
    )
    notice_enqueue_inbox(
        kind=DEADLINE_BREACH,
        event_key="deadline:977:breach",
        hall=demo["wengyuan"],
        user_ids=[person.pk],
        context=BREACH_CONTEXT,
    )
    assert channels_of("deadline:977:moved:1") == ["inbox"]  # ordinary: no e-mail of its own
    assert channels_of("deadline:977:breach") == ["email", "inbox"]  # urgent: at once

    # before the hall opens: nothing yet
    early = at(date(2025, 3, 4), 7)
    monkeypatch.setattr(timezone, "now", lambda: early)
    assert notice_digest_send_due(now=early) == 0

    # at the first office hour: one digest, by e-mail, listing the ordinary notice only
    opening = opening_after(demo["wengyuan"], date(2025, 3, 4))
    monkeypatch.setattr(timezone, "now", lambda: opening)
    assert notice_digest_send_due(now=opening) == 1
    digest = Notice.objects.get(kind="staff_digest", recipient_user=person)
    assert (digest.channel, digest.event_key, digest.hall_id) == ("email", "digest:2025-03-04", None)
    assert digest.subject == "【每日汇总】您有1条新通知"
    assert "【期限变更】【期限变更】案件 WY-2025-0012的部门答复期限已调整" in digest.body
    assert "逾期" not in digest.body
    assert digest.next_attempt_at == opening  # in office hours: not held
    assert digest.context["link"] == f"https://wengyuan.{settings.BASE_DOMAIN}/notices/"

    # later the same day: no second digest
    assert notice_digest_send_due(now=opening.replace(hour=15)) == 0
    assert Notice.objects.filter(kind="staff_digest", recipient_user=person).count() == 1
