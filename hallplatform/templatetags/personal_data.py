"""``{{ case.remarks|free_text:free_text_revealed }}``: a free text as the reader may see it.

The filter is ``hallplatform.personal.free_text``: numbers masked unless the argument is true, which a
view sets only after the reader's audited reveal. A missing argument counts as not revealed.
"""

from __future__ import annotations

from typing import Any

from django import template

from hallplatform import personal
from hallplatform.personal import free_text as _free_text

register = template.Library()


@register.filter(name="free_text")
def free_text(value: Any, revealed: Any = False) -> str:
    return _free_text("" if value is None else str(value), revealed=revealed is True)


@register.filter(name="is_mobile")
def is_mobile(value: Any) -> bool:
    """Whether a stored contact phone is a mobile (SMS is offered only for mobiles)."""
    return personal.is_mobile(str(value or ""))
