"""The channel pages (notifications/web/views.py, notifications/contacts.py): a person sets their own
channels and addresses; a hall lead sets them for the hall's staff and sets the hall's policy;
refusals name the field and save nothing; channels that are not configured are not offered."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.utils import translation

from hallplatform.audit.models import AuditEvent
from notifications.models import HallChannelPolicy, StaffContact
from tests.conftest import client_for, user
from tests.notifications.provider_api import ProviderApi


def in_chinese(msgid: str) -> str:
    """The message as the page shows it under zh-hans."""
    with translation.override("zh-hans"):
        return translation.gettext(msgid)


VALID = {
    "work_phone": "+86 138-1234-5678",
    "email": "limin@example.org",
    "wecom_user_id": "LiMin",
    "dingtalk_user_id": "",
    "channels": ["sms", "wecom"],
    "digest": "on",
}


def test_a_channel_that_is_not_configured_is_not_offered(demo: Any) -> None:
    page = client_for("wengyuan_window", "wengyuan").get("/notices/channels/").content.decode()

    assert 'value="sms"' in page and 'value="email"' in page
    assert 'value="wecom"' not in page and 'value="dingtalk"' not in page
    assert 'name="wecom_user_id"' not in page and 'name="dingtalk_user_id"' not in page


def test_a_configured_channel_is_offered(demo: Any, wecom: ProviderApi) -> None:
    page = client_for("wengyuan_window", "wengyuan").get("/notices/channels/").content.decode()

    assert 'value="wecom"' in page and 'name="wecom_user_id"' in page
    assert 'value="dingtalk"' not in page


def test_a_person_sets_their_own_channels(demo: Any, wecom: ProviderApi) -> None:
    response = client_for("wengyuan_window", "wengyuan").post("/notices/channels/", VALID)

    assert response.status_code == 302
    window = user("wengyuan_window")
    contact = StaffContact.objects.get(user=window)
    assert window.work_phone == "13812345678"  # normalised
    assert window.email == "limin@example.org"
    assert (contact.channels, contact.wecom_user_id, contact.digest) == (["sms", "wecom"], "LiMin", True)
    event = AuditEvent.objects.get(action="staff_contact.set")
    assert event.changes["fields"] == ["channels", "digest", "email", "wecom_user_id", "work_phone"]
    assert "13812345678" not in json.dumps(event.changes)


@pytest.mark.parametrize(
    ("changes", "field", "msgid"),
    [
        (
            {"work_phone": "0751-8888888"},
            "work_phone",
            "Work mobile: enter a mainland mobile number, 11 digits starting with 13 to 19.",
        ),
        ({"email": "not-an-address"}, "email", "E-mail: enter a valid e-mail address."),
        ({"wecom_user_id": "李 敏"}, "wecom_user_id", "WeCom user id: 1 to 64 letters, digits or the signs _ - . @."),
        ({"wecom_user_id": ""}, "wecom_user_id", "WeCom user id: needed for WeCom messages."),
        ({"work_phone": ""}, "work_phone", "Work mobile: needed for SMS."),
        ({"channels": [], "digest": "on"}, "digest", "Daily digest: choose a channel besides the in-app list."),
        ({"channels": ["dingtalk"]}, "channels", "Channels: %(value)s is not available."),
    ],
)
def test_a_refusal_names_the_field_in_chinese_and_saves_nothing(
    demo: Any, wecom: ProviderApi, changes: dict[str, Any], field: str, msgid: str
) -> None:
    before = user("wengyuan_window").work_phone

    response = client_for("wengyuan_window", "wengyuan").post("/notices/channels/", {**VALID, **changes})

    assert response.status_code == 400
    expected = in_chinese(msgid) % {"value": "dingtalk"} if "%(value)s" in msgid else in_chinese(msgid)
    assert response.context["form"].errors[field] == [expected]
    assert expected in response.content.decode()
    # the Chinese text names the field
    label = {
        "work_phone": "工作手机",
        "email": "电子邮箱",
        "wecom_user_id": "企业微信账号",
        "digest": "每日汇总",
        "channels": "通知渠道",
    }[field]
    assert in_chinese(msgid).startswith(label)
    assert not StaffContact.objects.filter(user__username="wengyuan_window").exists()
    assert user("wengyuan_window").work_phone == before
    assert not AuditEvent.objects.filter(action="staff_contact.set").exists()


def test_a_hall_lead_sets_a_clerks_channels(demo: Any) -> None:
    clerk = user("wengyuan_window")
    lead = client_for("wengyuan_lead", "wengyuan")

    assert f'href="/notices/channels/staff/{clerk.pk}/"' in lead.get("/notices/channels/staff/").content.decode()
    response = lead.post(
        f"/notices/channels/staff/{clerk.pk}/",
        {"work_phone": "13912345678", "email": "clerk@example.org", "channels": ["email"]},
    )

    assert response.status_code == 302
    contact = StaffContact.objects.get(user=clerk)
    assert contact.channels == ["email"]
    assert contact.updated_by == user("wengyuan_lead")
    assert user("wengyuan_window").work_phone == "13912345678"


def test_a_hall_lead_cannot_set_another_halls_staff(demo: Any) -> None:
    other = user("qingcheng_window")
    before = (other.work_phone, other.email)

    response = client_for("wengyuan_lead", "wengyuan").post(
        f"/notices/channels/staff/{other.pk}/", {"work_phone": "13912345678", "email": "x@example.org"}
    )

    assert response.status_code == 404
    other.refresh_from_db()
    assert (other.work_phone, other.email) == before
    assert not StaffContact.objects.filter(user=other).exists()


def test_window_staff_cannot_use_the_hall_leads_pages(demo: Any) -> None:
    lead = user("wengyuan_lead")
    window = client_for("wengyuan_window", "wengyuan")

    assert window.get("/notices/channels/staff/").status_code == 404
    assert window.post(f"/notices/channels/staff/{lead.pk}/", {"email": "x@example.org"}).status_code == 404
    assert not StaffContact.objects.filter(user=lead).exists()


def test_a_hall_lead_sets_the_halls_policy(demo: Any) -> None:
    response = client_for("wengyuan_lead", "wengyuan").post("/notices/channels/staff/", {"channels": ["email"]})

    assert response.status_code == 302
    assert HallChannelPolicy.objects.get(hall=demo["wengyuan"]).channels == ["email"]


def test_the_policy_refuses_a_channel_that_is_not_configured(demo: Any) -> None:
    response = client_for("wengyuan_lead", "wengyuan").post("/notices/channels/staff/", {"channels": ["wecom"]})

    assert response.status_code == 400
    assert response.context["form"].errors["channels"] == [
        in_chinese("Allowed channels: %(value)s is not available.") % {"value": "wecom"}
    ]
    assert not HallChannelPolicy.objects.filter(hall=demo["wengyuan"]).exists()
