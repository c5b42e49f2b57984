"""notifications/providers/wecom.py against a fake WeCom API (a real HTTP server on 127.0.0.1):
gettoken, message/send, the kept token, the refresh on an expired one, and the provider's errors
shown to operators and retried, never raised."""

from __future__ import annotations

from typing import Any

from notifications.kinds import DEADLINE_BREACH
from notifications.models import Notice, NoticeChannel, NoticeState
from notifications.services import notice_deliver, notice_enqueue
from notifications.tasks import notice_deliver_task
from tests.conftest import client_for
from tests.notifications.conftest import BREACH_CONTEXT, staff, with_contact
from tests.notifications.provider_api import ProviderApi, Received

SENT = {
    "errcode": 0,
    "errmsg": "ok",
    "invaliduser": "",
    "invalidparty": "",
    "invalidtag": "",
    "unlicenseduser": "",
    "msgid": "wecom-msg-1",
    "response_code": "rc-1",
}


class FakeWeCom:
    """WeCom's gettoken and message/send as documented: a token per gettoken, 40001 for a wrong
    secret, 40014 for an unknown token; ``send_answers`` scripts the next answers of message/send."""

    def __init__(self, api: ProviderApi) -> None:
        self.tokens: list[str] = []
        self.send_answers: list[dict[str, Any]] = []
        api.answer["/cgi-bin/gettoken"] = self.gettoken
        api.answer["/cgi-bin/message/send"] = self.send

    def gettoken(self, request: Received) -> tuple[int, dict[str, Any]]:
        if request.query != {"corpid": "ww-test", "corpsecret": "right-secret"}:
            return 200, {"errcode": 40001, "errmsg": "invalid credential, hint: [1700000000_1_abc]"}
        self.tokens.append(f"TOKEN-{len(self.tokens) + 1}")
        return 200, {"errcode": 0, "errmsg": "ok", "access_token": self.tokens[-1], "expires_in": 7200}

    def send(self, request: Received) -> tuple[int, dict[str, Any]]:
        if self.send_answers:
            return 200, self.send_answers.pop(0)
        if request.query.get("access_token") not in self.tokens:
            return 200, {"errcode": 40014, "errmsg": "invalid access_token"}
        return 200, SENT


def wecom_notice(demo: Any, username: str, number: int, **context: Any) -> Notice:
    """An urgent notice to a staff member who chose WeCom: its WeCom copy."""
    person = staff(username)
    with_contact(person, channels=["wecom"], wecom_user_id=f"{username}_wx")
    notice_enqueue(
        kind=DEADLINE_BREACH,
        event_key=f"deadline:{number}:breach",
        channel=NoticeChannel.INBOX,
        hall=demo["wengyuan"],
        recipient_user=person,
        context={**BREACH_CONTEXT, **context},
    )
    return Notice.objects.get(event_key=f"deadline:{number}:breach", channel=NoticeChannel.WECOM)


def test_a_textcard_with_the_link_goes_to_the_person(demo: Any, wecom: ProviderApi, settings: Any) -> None:
    settings.NOTICE_LINK_SCHEME = "https"  # as in production (development links are http)
    FakeWeCom(wecom)
    notice = wecom_notice(demo, "n_wx1", 901, link="/cases/12/")

    outcome = notice_deliver(notice_id=notice.pk)

    assert outcome.state == NoticeState.SENT
    (gettoken,) = wecom.to("/cgi-bin/gettoken")
    assert gettoken.method == "GET"
    assert gettoken.query == {"corpid": "ww-test", "corpsecret": "right-secret"}
    (send,) = wecom.to("/cgi-bin/message/send")
    assert send.method == "POST"
    assert send.query == {"access_token": "TOKEN-1"}
    assert send.headers["content-type"] == "application/json"
    assert send.json() == {
        "touser": "n_wx1_wx",
        "agentid": 1000002,
        "msgtype": "textcard",
        "textcard": {
            "title": "【逾期】案件 WY-2025-0012的部门答复期限已逾期",
            "description": notice.body,
            "url": f"https://wengyuan.{settings.BASE_DOMAIN}/cases/12/",
            "btntxt": "详情",
        },
        "safe": 0,
        "enable_id_trans": 0,
        "enable_duplicate_check": 0,
    }
    stored = Notice.objects.get(pk=notice.pk)
    assert (stored.provider, stored.provider_message_id, stored.attempts) == ("wecom", "wecom-msg-1", 1)


def test_without_a_link_the_message_is_text(demo: Any, wecom: ProviderApi) -> None:
    FakeWeCom(wecom)
    notice = wecom_notice(demo, "n_wx2", 902)

    notice_deliver(notice_id=notice.pk)

    (send,) = wecom.to("/cgi-bin/message/send")
    body = send.json()
    assert body["msgtype"] == "text"
    assert body["text"] == {"content": f"{notice.subject}\n{notice.body}"}
    assert "textcard" not in body


def test_the_token_is_kept_and_refreshed_once_when_expired(demo: Any, wecom: ProviderApi) -> None:
    fake = FakeWeCom(wecom)
    first, second = wecom_notice(demo, "n_wx3", 903), wecom_notice(demo, "n_wx4", 904)

    notice_deliver(notice_id=first.pk)
    fake.send_answers = [{"errcode": 42001, "errmsg": "access_token expired"}]
    outcome = notice_deliver(notice_id=second.pk)

    assert outcome.state == NoticeState.SENT
    # one token for the first message; the second got 42001 with it, took a new one and was sent once more
    assert len(wecom.to("/cgi-bin/gettoken")) == 2
    assert [r.query["access_token"] for r in wecom.to("/cgi-bin/message/send")] == ["TOKEN-1", "TOKEN-1", "TOKEN-2"]


def test_a_wrong_secret_is_retried_then_failed_with_the_code_shown_to_operators(
    demo: Any, wecom: ProviderApi, settings: Any, eager_celery: None
) -> None:
    FakeWeCom(wecom)
    settings.WECOM_SECRET = "wrong-secret"
    settings.NOTICE_MAX_ATTEMPTS = 3
    notice = wecom_notice(demo, "n_wx5", 905)

    # the first attempt: queued again for later, with WeCom's code
    first = notice_deliver(notice_id=notice.pk)
    assert (first.state, first.retry_in) == (NoticeState.QUEUED, settings.NOTICE_RETRY_BASE_SECONDS)
    stored = Notice.objects.get(pk=notice.pk)
    assert stored.last_error_code == "40001"
    assert "errcode 40001: invalid credential" in stored.last_error

    # the task runs the remaining attempts (eager: no waiting) and raises nothing
    notice_deliver_task.delay(notice.pk)

    stored = Notice.objects.get(pk=notice.pk)
    assert (stored.state, stored.attempts, stored.last_error_code) == (NoticeState.FAILED, 3, "40001")
    assert len(wecom.to("/cgi-bin/gettoken")) == 3
    assert wecom.to("/cgi-bin/message/send") == []
    page = client_for("operator", None).get("/admin/notifications/notice/?state=failed").content.decode()
    assert "40001" in page


def test_an_unknown_user_fails_at_once(demo: Any, wecom: ProviderApi) -> None:
    fake = FakeWeCom(wecom)
    fake.send_answers = [{**SENT, "invaliduser": "n_wx6_wx", "msgid": ""}]
    notice = wecom_notice(demo, "n_wx6", 906)

    outcome = notice_deliver(notice_id=notice.pk)

    assert outcome.state == NoticeState.FAILED
    assert Notice.objects.get(pk=notice.pk).last_error_code == "invaliduser"


def test_a_provider_error_is_retried_with_its_code(demo: Any, wecom: ProviderApi) -> None:
    fake = FakeWeCom(wecom)
    fake.send_answers = [{"errcode": -1, "errmsg": "system busy"}]
    notice = wecom_notice(demo, "n_wx7", 907)

    outcome = notice_deliver(notice_id=notice.pk)

    assert outcome.state == NoticeState.QUEUED
    stored = Notice.objects.get(pk=notice.pk)
    assert stored.last_error_code == "-1"
    assert "errcode -1: system busy" in stored.last_error
