"""The password policy's messages in the people's language.

Django 5.2 words the length rule with ``%d``, and its Chinese catalogue still has only the older
``%(min_length)d`` wording, so the message came out in English: the rule is the same, its message
is ours (hallplatform/locale).
"""

from __future__ import annotations

from django.contrib.auth.password_validation import MinimumLengthValidator
from django.utils.translation import ngettext


class LengthValidator(MinimumLengthValidator):
    """At least ``min_length`` characters (PASSWORD_MIN_LENGTH)."""

    def get_error_message(self) -> str:
        return ngettext(
            "A password must have at least %(count)d character.",
            "A password must have at least %(count)d characters.",
            self.min_length,
        ) % {"count": self.min_length}

    def get_help_text(self) -> str:
        return ngettext(
            "At least %(count)d character.",
            "At least %(count)d characters.",
            self.min_length,
        ) % {"count": self.min_length}
