"""What the corporate messaging apps (WeCom / 政务微信, DingTalk / 浙政钉) have in common: an access
token got from the app's credentials and kept until shortly before it expires, JSON calls answered
with ``errcode``/``errmsg``, and a token refreshed once when the API says it is invalid or expired.

Calls use ``requests`` with short timeouts (``NOTICE_HTTP_TIMEOUT_SECONDS``). Errors become
``ProviderError`` with the provider's ``errcode`` as the code: operators see it on the notice, and
the delivery is retried with backoff unless retrying cannot help (an unknown user, a malformed
message). Credentials errors are retried too: an operator may fix the secret meanwhile.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

import requests
from django.conf import settings
from django.core.cache import cache

from hallplatform.caching import cache_outage, database_key
from notifications.privacy import text_mask
from notifications.providers.base import Provider, ProviderError

logger = logging.getLogger(__name__)

# A token is kept this many seconds less than the provider says it lives.
TOKEN_MARGIN_SECONDS = 300


def utf8_cut(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` bytes of UTF-8, on a character boundary (the providers
    count bytes)."""
    data = text.encode()
    if len(data) <= limit:
        return text
    return data[:limit].decode(errors="ignore")


class CorpAppProvider(Provider):
    """A provider whose API needs an access token. Subclasses say how to get one and which codes mean
    that the token is invalid or expired (refreshed once) or that retrying cannot help."""

    api_base: str
    timeout: float
    token_invalid_codes: frozenset[int] = frozenset()
    final_codes: frozenset[int] = frozenset()

    def token_identity(self) -> str:
        """What tells this app's tokens apart (API base, app id): part of the cache key."""
        raise NotImplementedError

    def fetch_token(self) -> tuple[str, int]:
        """A new access token and its lifetime in seconds."""
        raise NotImplementedError

    def _cache_key(self) -> str:
        digest = hashlib.sha256(self.token_identity().encode()).hexdigest()[:24]
        return database_key("notices:token:", f"{self.name}:{digest}")

    def access_token(self, *, fresh: bool = False) -> str:
        """The kept token, or a new one (``fresh``: always a new one)."""
        key = self._cache_key()
        if not fresh and not cache_outage.ongoing():
            try:
                token = cache.get(key)
            except Exception as error:  # the cache is a convenience: without it, ask for a token
                cache_outage.record(error)
                token = None
            if token:
                return str(token)
        token, expires_in = self.fetch_token()
        if not cache_outage.ongoing():
            try:
                cache.set(key, token, timeout=max(int(expires_in) - TOKEN_MARGIN_SECONDS, 60))
            except Exception as error:
                cache_outage.record(error)
        return token

    def request_json(self, method: str, path: str, *, params: dict[str, Any], body: Any = None) -> dict[str, Any]:
        """One HTTP call; the decoded answer. Network errors, HTTP errors and answers that are not a
        JSON object are retryable ProviderErrors."""
        url = self.api_base.rstrip("/") + path
        try:
            response = requests.request(method, url, params=params, json=body, timeout=self.timeout)
        except requests.RequestException as exc:
            raise ProviderError(f"{self.name}: {type(exc).__name__}", retryable=True, code="network") from exc
        if response.status_code != 200:
            raise ProviderError(
                f"{self.name}: HTTP {response.status_code}", retryable=True, code=f"HTTP {response.status_code}"
            )
        try:
            answer = response.json()
        except ValueError as exc:
            raise ProviderError(f"{self.name}: the answer is not JSON", retryable=True, code="invalid answer") from exc
        if not isinstance(answer, dict):
            raise ProviderError(f"{self.name}: the answer is not a JSON object", retryable=True, code="invalid answer")
        return answer

    def checked(self, answer: dict[str, Any], what: str) -> dict[str, Any]:
        """``answer`` if its errcode is 0; else the ProviderError saying the provider's code and message."""
        code = answer.get("errcode", 0)
        if code in (0, "0", None):
            return answer
        raise self.error(code, str(answer.get("errmsg", "")), what)

    def error(self, code: Any, message: str, what: str) -> ProviderError:
        try:
            number = int(code)
        except (TypeError, ValueError):
            number = None
        reason = text_mask(f"{what}: errcode {code}: {message}")[:500]
        return ProviderError(reason, retryable=number not in self.final_codes, code=str(code))

    def call_with_token(self, method: str, path: str, *, body: Any, what: str) -> dict[str, Any]:
        """A call authorised by the access token; an invalid or expired token is refreshed once."""
        answer = self.request_json(method, path, params={"access_token": self.access_token()}, body=body)
        if self._token_invalid(answer):
            logger.info(
                "%s: the access token was refused (errcode %s); getting a new one", self.name, answer["errcode"]
            )
            token = self.access_token(fresh=True)
            answer = self.request_json(method, path, params={"access_token": token}, body=body)
        return self.checked(answer, what)

    def _token_invalid(self, answer: dict[str, Any]) -> bool:
        try:
            return int(answer.get("errcode", 0)) in self.token_invalid_codes
        except (TypeError, ValueError):
            return False


def require_settings(provider: str, names: tuple[str, ...]) -> None:
    """ProviderError (final) naming the settings that are missing."""
    missing = [name for name in names if not str(getattr(settings, name, "") or "").strip()]
    if missing:
        raise ProviderError(f"{provider} is not configured: {', '.join(missing)} missing", retryable=False)
