"""Searchable pickers (hallplatform/static/hallplatform/picker.js): what a person may type to find a
department or a hall in a long list, computed here and written into ``data-keys`` attributes.

A name's keys are the pinyin initials of its Chinese characters (翁源县人力资源和社会保障局 → wyxrlzyhshbzj)
and its full pinyin without tones; picker.js matches the typed text as a part of the name, of the
keys, or as letters in order within the initials, so "rsj" finds 人社局 (r·s·j in
…r-l-z-y-h-s-h-b-z-j) as people abbreviate it. Other characters (Latin letters, digits) are kept as
they are, lower-cased.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from pypinyin import Style, lazy_pinyin

# What picker.js says under the filter box while it filters ({shown} and {total} are filled in there).
PICKER_SHOWN = _("{shown} of {total} shown")


@lru_cache(maxsize=4096)
def picker_keys(name: str) -> str:
    """``"<initials> <full pinyin>"`` of ``name``, lower case (e.g. 人社局 → "rsj renshiju")."""
    name = (name or "").strip()
    initials = "".join(lazy_pinyin(name, style=Style.FIRST_LETTER)).lower()
    full = "".join(lazy_pinyin(name)).lower()
    return f"{initials} {full}".strip()


class _PickerOptions:
    """Each option with a value carries its ``data-keys`` for picker.js."""

    def create_option(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        option: dict[str, Any] = super().create_option(*args, **kwargs)  # type: ignore[misc]
        if option["value"] not in ("", None):
            option["attrs"]["data-keys"] = picker_keys(str(option["label"]))
        return option


class PickerSelectMultiple(_PickerOptions, forms.SelectMultiple):
    """A multiple choice picker: the ``<select multiple>`` of old, each option carrying its
    ``data-keys``; picker.js (when it runs) shows it as a filterable list of checkboxes that set the
    same options, so the form posts exactly what it posted before."""

    def __init__(self, attrs: dict[str, Any] | None = None, choices: Any = ()) -> None:
        super().__init__({"data-picker": "multiple", "data-picker-shown": PICKER_SHOWN, **(attrs or {})}, choices)


class PickerSelect(_PickerOptions, forms.Select):
    """A single choice picker: a ``<select>`` whose options picker.js filters by the typed text."""

    def __init__(self, attrs: dict[str, Any] | None = None, choices: Any = ()) -> None:
        super().__init__({"data-picker": "single", "data-picker-shown": PICKER_SHOWN, **(attrs or {})}, choices)
