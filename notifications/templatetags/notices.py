"""``{% notice_unread_count as n %}``: the number of the person's unread in-app notices."""

from __future__ import annotations

from typing import Any

from django import template

from notifications.selectors import notice_unread_count_for_user

register = template.Library()


@register.simple_tag(takes_context=True)
def notice_unread_count(context: dict[str, Any]) -> int:
    request = context.get("request")
    return notice_unread_count_for_user(user=getattr(request, "user", None))
