"""WeCom application messages (企业微信; 政务微信 and 粤政易 offer the same API on their own host).

Documented API (developer.work.weixin.qq.com): ``GET /cgi-bin/gettoken?corpid=…&corpsecret=…``
answers ``{"errcode": 0, "access_token": …, "expires_in": 7200}``; ``POST
/cgi-bin/message/send?access_token=…`` with ``{"touser", "msgtype", "agentid", …}`` answers
``{"errcode": 0, "errmsg": "ok", "invaliduser": "", "msgid": …}``. A message with a link is a
``textcard`` (title ≤ 128 bytes, description ≤ 512 bytes, url, button text), without one a ``text``
(content ≤ 2048 bytes). Configured by ``WECOM_CORP_ID``, ``WECOM_AGENT_ID``, ``WECOM_SECRET`` and
``WECOM_API_BASE`` (private deployments of 政务微信 have their own host).
"""

from __future__ import annotations

from typing import Any, Self

from django.conf import settings

from notifications.providers.base import ProviderError
from notifications.providers.corpapp import CorpAppProvider, require_settings, utf8_cut

REQUIRED = ("WECOM_CORP_ID", "WECOM_AGENT_ID", "WECOM_SECRET")

# 40014 invalid access_token, 42001 access_token expired: get a new token and try once more.
TOKEN_INVALID = frozenset({40014, 42001})
# Retrying cannot help: invalid user id (40003), all recipients invalid or not allowed (81013),
# no recipient (82001), empty content (44004), invalid message type or parameters (40008, 40058).
FINAL = frozenset({40003, 81013, 82001, 44004, 40008, 40058})


class WeComProvider(CorpAppProvider):
    name = "wecom"
    token_invalid_codes = TOKEN_INVALID
    final_codes = FINAL

    def __init__(self, *, corp_id: str, agent_id: int, secret: str, api_base: str, timeout: float = 10) -> None:
        self.corp_id = corp_id
        self.agent_id = agent_id
        self.secret = secret
        self.api_base = api_base
        self.timeout = timeout

    @classmethod
    def from_settings(cls) -> Self:
        require_settings("WeCom", REQUIRED)
        try:
            agent_id = int(settings.WECOM_AGENT_ID)
        except ValueError as exc:
            raise ProviderError("WeCom: WECOM_AGENT_ID is not a number", retryable=False) from exc
        return cls(
            corp_id=settings.WECOM_CORP_ID,
            agent_id=agent_id,
            secret=settings.WECOM_SECRET,
            api_base=settings.WECOM_API_BASE,
            timeout=settings.NOTICE_HTTP_TIMEOUT_SECONDS,
        )

    def token_identity(self) -> str:
        return f"{self.api_base}|{self.corp_id}|{self.agent_id}"

    def fetch_token(self) -> tuple[str, int]:
        answer = self.request_json(
            "GET", "/cgi-bin/gettoken", params={"corpid": self.corp_id, "corpsecret": self.secret}
        )
        answer = self.checked(answer, "gettoken")
        token = answer.get("access_token")
        if not token:
            raise ProviderError("WeCom gettoken answered without a token", retryable=True, code="no token")
        return str(token), int(answer.get("expires_in") or 7200)

    def message(self, *, to: str, subject: str, body: str, url: str) -> dict[str, Any]:
        """The JSON body of message/send."""
        message: dict[str, Any] = {"touser": to, "agentid": self.agent_id}
        if url:
            message["msgtype"] = "textcard"
            message["textcard"] = {
                "title": utf8_cut(subject or body, 128),
                "description": utf8_cut(body, 512),
                "url": url,
                "btntxt": "详情",
            }
        else:
            text = f"{subject}\n{body}" if subject else body
            message["msgtype"] = "text"
            message["text"] = {"content": utf8_cut(text, 2048)}
        message.update({"safe": 0, "enable_id_trans": 0, "enable_duplicate_check": 0})
        return message

    def send_app_message(self, *, to: str, subject: str, body: str, url: str, reference: str) -> str:
        answer = self.call_with_token(
            "POST", "/cgi-bin/message/send", body=self.message(to=to, subject=subject, body=body, url=url), what="send"
        )
        invalid = str(answer.get("invaliduser") or "")
        if to in invalid.split("|"):
            raise ProviderError(
                "WeCom: the user id is unknown or not in the app's visible range",
                retryable=False,
                code="invaliduser",
            )
        return str(answer.get("msgid") or "")
