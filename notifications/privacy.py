"""Keeping personal data out of the public schema: phone numbers are normalised for sending and
masked wherever they would be written down (console records, error reasons, logs)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

# Mobile and ID numbers inside a text are found with the platform's masking patterns.
from hallplatform.personal import ID_NUMBER_IN_TEXT, MOBILE_IN_TEXT

# Any long run of digits, as it may appear in a provider's error message.
_DIGIT_RUN = re.compile(r"\+?\d{7,}")


class InvalidPhoneNumber(ValueError):
    pass


def phone_normalise(raw: str) -> str:
    """E.164 form of a phone number for an SMS: a mainland mobile becomes ``+86…``.

    Spaces, hyphens and brackets are ignored. Numbers given with a ``+`` and a country code are kept
    (international SMS); anything else (a landline, an extension) raises InvalidPhoneNumber.
    """
    digits = re.sub(r"[\s\-()]", "", raw or "")
    if digits.startswith("0086"):
        digits = "+86" + digits[4:]
    if re.fullmatch(r"1[3-9]\d{9}", digits):
        return "+86" + digits
    if re.fullmatch(r"861[3-9]\d{9}", digits):
        return "+" + digits
    if re.fullmatch(r"\+861[3-9]\d{9}", digits):
        return digits
    if re.fullmatch(r"\+(?!86)[1-9]\d{6,14}", digits):
        return digits
    raise InvalidPhoneNumber("not a mobile phone number")


def phone_mask(phone: str) -> str:
    """``+8613812345678`` → ``+86138****5678``: enough to recognise, not enough to call."""
    if len(phone) <= 7:
        return "*" * len(phone)
    return phone[:-8] + "****" + phone[-4:]


def text_mask(text: str) -> str:
    """Mask every run of seven or more digits in a free text (error messages from providers)."""
    return _DIGIT_RUN.sub(lambda m: phone_mask(m.group(0)), text)


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def personal_data_found(value: Any) -> str | None:
    """The kind of unmasked personal data found in the strings of ``value``, or None."""
    for text in _strings(value):
        if ID_NUMBER_IN_TEXT.search(text):
            return "identity card number"
        if MOBILE_IN_TEXT.search(text):
            return "mobile phone number"
    return None
