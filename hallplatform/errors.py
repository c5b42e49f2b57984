from __future__ import annotations

from django.core.exceptions import ValidationError


def describe_validation_error(exc: ValidationError) -> str:
    """One line naming each field and what is wrong with it, for commands and logs."""
    if hasattr(exc, "error_dict"):
        return "; ".join(f"{field}: {' '.join(messages)}" for field, messages in exc.message_dict.items())
    return " ".join(exc.messages)
