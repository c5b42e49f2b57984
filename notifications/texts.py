"""Rendering notice texts: Django template syntax, plain text, a restricted set of tags.

Texts are edited by operators per hall, so the engine offers only what a message needs (variables,
filters, ``if``/``for``/``with``…) and nothing that reaches outside the context: no ``load``,
``include``, ``extends``, ``url``, ``csrf_token`` or ``debug``. Output is not HTML-escaped (SMS and
e-mail are plain text); the inbox page escapes it when it shows it.
"""

from __future__ import annotations

from typing import Any

from django.template import Context, Engine, Library, defaulttags

register = Library()
_ALLOWED_TAGS = {
    "autoescape",
    "comment",
    "cycle",
    "filter",
    "firstof",
    "for",
    "if",
    "ifchanged",
    "now",
    "regroup",
    "resetcycle",
    "spaceless",
    "templatetag",
    "verbatim",
    "widthratio",
    "with",
}
register.tags.update({name: tag for name, tag in defaulttags.register.tags.items() if name in _ALLOWED_TAGS})


class NoticeTextEngine(Engine):
    default_builtins = ["django.template.defaultfilters", "notifications.texts"]


_engine = NoticeTextEngine(dirs=[], app_dirs=False, libraries={}, autoescape=False, loaders=[])


def text_compile(source: str) -> Any:
    """Compile a text; raises django.template.TemplateSyntaxError for a broken or forbidden one."""
    return _engine.from_string(source)


def text_render(source: str, context: dict[str, Any]) -> str:
    return str(text_compile(source).render(Context(context, autoescape=False))).strip()
