"""Form widgets of our own."""

from __future__ import annotations

from html import escape
from typing import Any

from django import forms
from django.utils.safestring import SafeString, mark_safe


def _attrs(attrs: dict[str, Any]) -> str:
    """As django/forms/widgets/attrs.html writes them: in order, ``True`` bare, ``False`` left out."""
    return "".join(
        f" {escape(name)}" if value is True else f' {escape(name)}="{escape(str(value))}"'
        for name, value in attrs.items()
        if value is not False
    )


class QuickSelect(forms.Select):
    """A ``<select>`` whose options are written in Python. Django renders every option through a
    template; for a list of a hundred halls that costs more than the rest of the page (the
    department inbox, benchmarks/city_portal.py). The markup is Django's own: same attributes,
    ``selected`` on the chosen option, option groups."""

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        parts = [f'<select name="{escape(widget["name"])}"{_attrs(widget["attrs"])}>']
        for group, options, _index in widget["optgroups"]:
            if group:
                parts.append(f'<optgroup label="{escape(str(group))}">')
            for option in options:
                parts.append(
                    f'<option value="{escape(str(option["value"]))}"{_attrs(option["attrs"])}>'
                    f"{escape(str(option['label']))}</option>"
                )
            if group:
                parts.append("</optgroup>")
        parts.append("</select>")
        return mark_safe("".join(parts))  # noqa: S308 (every value escaped)
