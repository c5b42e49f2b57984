"""notifications/providers/dingtalk.py against a fake DingTalk API (a real HTTP server on
127.0.0.1): gettoken, asyncsend_v2, the refresh of an expired token, errors with their code."""

from __future__ import annotations

from typing import Any

from notifications.kinds import DEADLINE_BREACH
from notifications.models import Notice, NoticeChannel, NoticeState
from notifications.services import notice_deliver, notice_enqueue
from tests.notifications.conftest import BREACH_CONTEXT, staff, with_contact
from tests.notifications.provider_api import ProviderApi, Received

SEND = "/topapi/message/corpconversation/asyncsend_v2"


class FakeDingTalk:
    def __init__(self, api: ProviderApi) -> None:
        self.tokens: list[str] = []
        self.send_answers: list[dict[str, Any]] = []
        api.answer["/gettoken"] = self.gettoken
        api.answer[SEND] = self.send

    def gettoken(self, request: Received) -> tuple[int, dict[str, Any]]:
        if request.query != {"appkey": "ding-key", "appsecret": "ding-secret"}:
            return 200, {"errcode": 40089, "errmsg": "不合法的corpid或corpsecret"}
        self.tokens.append(f"DT-{len(self.tokens) + 1}")
        return 200, {"errcode": 0, "errmsg": "ok", "access_token": self.tokens[-1], "expires_in": 7200}

    def send(self, request: Received) -> tuple[int, dict[str, Any]]:
        if self.send_answers:
            return 200, self.send_answers.pop(0)
        if request.query.get("access_token") not in self.tokens:
            return 200, {"errcode": 40014, "errmsg": "不合法的access_token"}
        return 200, {"errcode": 0, "errmsg": "ok", "task_id": 256271667526, "request_id": "4jzllmte0wau"}


def dingtalk_notice(demo: Any, username: str, number: int, **context: Any) -> Notice:
    person = staff(username)
    with_contact(person, channels=["dingtalk"], dingtalk_user_id=f"{username}_dd")
    notice_enqueue(
        kind=DEADLINE_BREACH,
        event_key=f"deadline:{number}:breach",
        channel=NoticeChannel.INBOX,
        hall=demo["wengyuan"],
        recipient_user=person,
        context={**BREACH_CONTEXT, **context},
    )
    return Notice.objects.get(event_key=f"deadline:{number}:breach", channel=NoticeChannel.DINGTALK)


def test_a_work_notification_with_the_link_as_an_action_card(demo: Any, dingtalk: ProviderApi, settings: Any) -> None:
    settings.NOTICE_LINK_SCHEME = "https"  # as in production (development links are http)
    FakeDingTalk(dingtalk)
    notice = dingtalk_notice(demo, "n_dd1", 961, link="/cases/12/")

    outcome = notice_deliver(notice_id=notice.pk)

    assert outcome.state == NoticeState.SENT
    (gettoken,) = dingtalk.to("/gettoken")
    assert (gettoken.method, gettoken.query) == ("GET", {"appkey": "ding-key", "appsecret": "ding-secret"})
    (send,) = dingtalk.to(SEND)
    assert (send.method, send.query) == ("POST", {"access_token": "DT-1"})
    assert send.json() == {
        "agent_id": 2001,
        "userid_list": "n_dd1_dd",
        "msg": {
            "msgtype": "action_card",
            "action_card": {
                "title": notice.subject,
                "markdown": f"### {notice.subject}\n\n{notice.body}",
                "single_title": "查看详情",
                "single_url": f"https://wengyuan.{settings.BASE_DOMAIN}/cases/12/",
            },
        },
    }
    stored = Notice.objects.get(pk=notice.pk)
    assert (stored.provider, stored.provider_message_id) == ("dingtalk", "256271667526")


def test_without_a_link_a_text_and_an_expired_token_is_refreshed_once(demo: Any, dingtalk: ProviderApi) -> None:
    fake = FakeDingTalk(dingtalk)
    fake.send_answers = [{"errcode": 42001, "errmsg": "access_token超时"}]
    notice = dingtalk_notice(demo, "n_dd2", 962)

    outcome = notice_deliver(notice_id=notice.pk)

    assert outcome.state == NoticeState.SENT
    sends = dingtalk.to(SEND)
    assert [r.query["access_token"] for r in sends] == ["DT-1", "DT-2"]
    assert sends[-1].json()["msg"] == {"msgtype": "text", "text": {"content": f"{notice.subject}\n{notice.body}"}}


def test_a_wrong_secret_is_retried_with_dingtalks_code(demo: Any, dingtalk: ProviderApi, settings: Any) -> None:
    FakeDingTalk(dingtalk)
    settings.DINGTALK_APP_SECRET = "wrong"
    notice = dingtalk_notice(demo, "n_dd3", 963)

    outcome = notice_deliver(notice_id=notice.pk)

    assert outcome.state == NoticeState.QUEUED
    stored = Notice.objects.get(pk=notice.pk)
    assert stored.last_error_code == "40089"
    assert dingtalk.to(SEND) == []
