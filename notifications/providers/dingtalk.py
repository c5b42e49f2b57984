"""DingTalk work notifications (钉钉工作通知; 浙政钉 and other government DingTalk offer the same API).

Documented API (open.dingtalk.com, 企业内部应用): ``GET /gettoken?appkey=…&appsecret=…`` answers
``{"errcode": 0, "access_token": …, "expires_in": 7200}``; ``POST
/topapi/message/corpconversation/asyncsend_v2?access_token=…`` with ``{"agent_id", "userid_list",
"msg"}`` answers ``{"errcode": 0, "task_id": …, "request_id": …}``: the message is accepted and sent
asynchronously. A message with a link is an ``action_card`` (markdown, one button to the link),
without one a ``text``. Configured by ``DINGTALK_APP_KEY``, ``DINGTALK_APP_SECRET``,
``DINGTALK_AGENT_ID`` and ``DINGTALK_API_BASE``.
"""

from __future__ import annotations

from typing import Any, Self

from django.conf import settings

from notifications.providers.base import ProviderError
from notifications.providers.corpapp import CorpAppProvider, require_settings, utf8_cut

REQUIRED = ("DINGTALK_APP_KEY", "DINGTALK_APP_SECRET", "DINGTALK_AGENT_ID")

# 40014 invalid access_token, 42001 access_token expired: get a new token and try once more.
TOKEN_INVALID = frozenset({40014, 42001})
# Retrying cannot help: invalid parameters (40035), e.g. a malformed message or user id list.
FINAL = frozenset({40035})

# The service's limit on a text message (bytes), kept well under.
TEXT_LIMIT = 2000


class DingTalkProvider(CorpAppProvider):
    name = "dingtalk"
    token_invalid_codes = TOKEN_INVALID
    final_codes = FINAL

    def __init__(self, *, app_key: str, app_secret: str, agent_id: int, api_base: str, timeout: float = 10) -> None:
        self.app_key = app_key
        self.app_secret = app_secret
        self.agent_id = agent_id
        self.api_base = api_base
        self.timeout = timeout

    @classmethod
    def from_settings(cls) -> Self:
        require_settings("DingTalk", REQUIRED)
        try:
            agent_id = int(settings.DINGTALK_AGENT_ID)
        except ValueError as exc:
            raise ProviderError("DingTalk: DINGTALK_AGENT_ID is not a number", retryable=False) from exc
        return cls(
            app_key=settings.DINGTALK_APP_KEY,
            app_secret=settings.DINGTALK_APP_SECRET,
            agent_id=agent_id,
            api_base=settings.DINGTALK_API_BASE,
            timeout=settings.NOTICE_HTTP_TIMEOUT_SECONDS,
        )

    def token_identity(self) -> str:
        return f"{self.api_base}|{self.app_key}|{self.agent_id}"

    def fetch_token(self) -> tuple[str, int]:
        answer = self.request_json("GET", "/gettoken", params={"appkey": self.app_key, "appsecret": self.app_secret})
        answer = self.checked(answer, "gettoken")
        token = answer.get("access_token")
        if not token:
            raise ProviderError("DingTalk gettoken answered without a token", retryable=True, code="no token")
        return str(token), int(answer.get("expires_in") or 7200)

    def message(self, *, to: str, subject: str, body: str, url: str) -> dict[str, Any]:
        """The JSON body of asyncsend_v2."""
        if url:
            msg: dict[str, Any] = {
                "msgtype": "action_card",
                "action_card": {
                    "title": utf8_cut(subject or body, 128),
                    "markdown": utf8_cut(f"### {subject}\n\n{body}" if subject else body, TEXT_LIMIT),
                    "single_title": "查看详情",
                    "single_url": url,
                },
            }
        else:
            text = f"{subject}\n{body}" if subject else body
            msg = {"msgtype": "text", "text": {"content": utf8_cut(text, TEXT_LIMIT)}}
        return {"agent_id": self.agent_id, "userid_list": to, "msg": msg}

    def send_app_message(self, *, to: str, subject: str, body: str, url: str, reference: str) -> str:
        answer = self.call_with_token(
            "POST",
            "/topapi/message/corpconversation/asyncsend_v2",
            body=self.message(to=to, subject=subject, body=body, url=url),
            what="asyncsend_v2",
        )
        task_id = answer.get("task_id")
        if task_id in (None, ""):
            raise ProviderError("DingTalk answered without a task id", retryable=True, code="no task_id")
        return str(task_id)
