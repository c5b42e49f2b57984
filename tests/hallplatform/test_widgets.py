"""QuickSelect writes the markup Django's Select writes, escaped the same way."""

from __future__ import annotations

import re

import pytest
from django import forms

from hallplatform.widgets import QuickSelect

CHOICES = [("", "All halls"), (1, '韶关 <市> "总"'), (2, "翁源&县")]
GROUPED = [("", "—"), ("城区 <A>", [(3, "浈江"), (4, "武江")]), (5, "乐昌")]


def squeeze(html: str) -> str:
    return re.sub(r">\s+<", "><", html.strip())


@pytest.mark.parametrize("choices", [CHOICES, GROUPED])
@pytest.mark.parametrize("value", ["", None, "2", 1, 4, "nonsense"])
def test_the_markup_is_djangos(choices: list, value: object) -> None:
    attrs = {"id": "id_hall", "class": "wide"}
    ours = str(QuickSelect(choices=choices).render("hall", value, attrs))
    theirs = str(forms.Select(choices=choices).render("hall", value, attrs))
    assert ours == squeeze(theirs)


def test_text_is_escaped_and_the_choice_marked() -> None:
    html = str(QuickSelect(choices=CHOICES).render("hall", "1"))
    assert "<市>" not in html and "韶关 &lt;市&gt; &quot;总&quot;" in html
    assert '<option value="1" selected>' in html and html.count("selected") == 1


def test_a_form_field_renders_with_it() -> None:
    class Filter(forms.Form):
        hall = forms.TypedChoiceField(choices=CHOICES, required=False, coerce=int, widget=QuickSelect)

    html = str(Filter({"hall": "2"})["hall"])
    assert html.startswith('<select name="hall" id="id_hall">') and '<option value="2" selected>' in html
