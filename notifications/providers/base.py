"""The interface every provider implements."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Self


class ProviderError(Exception):
    """A message was not sent. ``retryable``: a later attempt may succeed (network, rate limits,
    the provider's internal errors); otherwise retrying cannot help (a rejected template, a wrong
    number, missing configuration). ``code`` is the provider's own error code, if any."""

    def __init__(self, reason: str, *, retryable: bool = True, code: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable
        self.code = code


class Provider:
    """Sends messages; returns the provider's id for the message. Raises ProviderError.

    ``reference`` ("notice:42") travels with the message where the provider allows it, so that a
    delivery receipt can be matched to its notice. Subclasses implement the channels they serve.
    """

    name = "abstract"

    @classmethod
    def from_settings(cls) -> Self:
        return cls()

    def send_sms(
        self,
        *,
        phone: str,
        text: str,
        template_id: str,
        params: Sequence[str],
        reference: str,
        param_names: Sequence[str] = (),
    ) -> str:
        """``params``: the template's values in order; ``param_names``: their names (the kind's
        ``sms_params``), for providers whose templates name their variables (Aliyun)."""
        raise ProviderError(f"the provider {self.name!r} does not send SMS", retryable=False)

    def send_email(self, *, to: str, subject: str, body: str, reference: str) -> str:
        raise ProviderError(f"the provider {self.name!r} does not send e-mail", retryable=False)

    def send_app_message(self, *, to: str, subject: str, body: str, url: str, reference: str) -> str:
        """A work message in a corporate messaging app (WeCom, DingTalk) to the user id ``to``;
        ``url`` (may be empty) is the page the message links to."""
        raise ProviderError(f"the provider {self.name!r} does not send app messages", retryable=False)
