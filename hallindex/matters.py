"""Grouping the matters (事项名称) that window staff type in different spellings.

A matter's key folds what varies between spellings of the same thing: full-width and half-width
forms (NFKC), spaces and punctuation, letter case, and a trailing generic word (事项 / 业务 / 手续 /
问题). "社保卡 补办"、"社保卡补办。" and "社保卡补办业务" share the key "社保卡补办".
"""

from __future__ import annotations

import re
import unicodedata

_NOISE = re.compile(r"[\s\W_]+", re.UNICODE)
_GENERIC_SUFFIXES = ("事项", "业务", "手续", "问题", "办理")


def matter_key(name: str) -> str:
    text = _NOISE.sub("", unicodedata.normalize("NFKC", name or "")).lower()
    changed = True
    while changed and text:
        changed = False
        for suffix in _GENERIC_SUFFIXES:
            if text.endswith(suffix) and len(text) > len(suffix) + 1:
                text = text[: -len(suffix)]
                changed = True
    return text[:200]
