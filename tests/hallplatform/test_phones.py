"""Contact phones (hallplatform/personal.py): mobiles, landlines with their area code, extensions."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from hallplatform.personal import is_mobile, mask_phone, normalise_mobile, normalise_phone, phone_last_four


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("+86 138-1234-5678", "13812345678"),  # a mobile: exactly as before (existing blind indexes)
        ("１３８１２３４５６７８", "13812345678"),
        ("0751-8888888", "0751-8888888"),
        ("(0751) 888 8888", "0751-8888888"),
        ("０７５１－８８８８８８８", "0751-8888888"),
        ("010-88888888", "010-88888888"),
        ("020 8765 4321", "020-87654321"),
        ("+86 751 8888888", "0751-8888888"),
        ("0751-8888888-123", "0751-8888888-123"),
        ("0751-8888888 转 123", "0751-8888888-123"),
        ("0751 8888888 ext. 45", "0751-8888888-45"),
        ("07518888888#6", "0751-8888888-6"),
    ],
)
def test_phones_are_normalised_mobiles_unchanged(typed: str, stored: str) -> None:
    assert normalise_phone(typed) == stored


def test_a_mobile_normalises_as_normalise_mobile_did() -> None:
    for typed in ("13812345678", "008613812345678", "8613812345678", "138 1234 5678"):
        assert normalise_phone(typed) == normalise_mobile(typed)


@pytest.mark.parametrize(
    "typed",
    ["8888888", "751-8888888", "0751-0888888", "0751-88888", "0751-888888888", "0751-8888888-1234567", "12812345678",
     "0751-8888888 转 abc", "电话"],
)  # fmt: skip
def test_anything_else_is_refused(typed: str) -> None:
    with pytest.raises(ValidationError) as refused:
        normalise_phone(typed)
    assert refused.value.code == "invalid_phone"


def test_masking_sms_and_the_last_four_digits() -> None:
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("0751-8888123") == "0751-***8123"
    assert mask_phone("010-87654321-99") == "010-****4321-99"
    assert "8888123" not in mask_phone("0751-8888123")
    assert is_mobile("13812345678") and not is_mobile("0751-8888888") and not is_mobile("")
    assert phone_last_four("13812345678") == "5678"
    assert phone_last_four("0751-8881234-56") == "1234"  # the number's, not the extension's
