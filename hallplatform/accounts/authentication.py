"""`Authorization: Token <secret>` against the hashed API tokens (hallplatform/accounts/services.py)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.request import Request

from hallplatform.accounts.services import api_token_authenticate
from hallplatform.throttling import anonymous_call_throttle


class HashedTokenAuthentication(TokenAuthentication):
    """DRF's token header, checked against the SHA-256 digests of the tokens: unknown, expired and
    revoked tokens are refused alike, and each refusal counts against the caller's address
    (API_THROTTLE_ANON_RATE), so that guessing tokens is throttled."""

    keyword = "Token"

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        try:
            return super().authenticate(request)
        except exceptions.AuthenticationFailed:
            anonymous_call_throttle(request)
            raise

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        token = api_token_authenticate(secret=key)
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        return token.user, token
