"""Model fields whose values are encrypted at rest (casework/crypto.py, docs/personal-data.md)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import FieldError
from django.db import models
from django.db.models.lookups import IsNull

from casework import crypto


class EncryptedTextField(models.TextField):
    """Text stored as ``v1:<kid>:…`` (AES-256-GCM), read back as plain text.

    ``purpose`` is part of the associated data, so it must never change once rows exist: it is given
    explicitly rather than derived from the model and field names, which a rename would change.
    None and "" are stored as they are. Each save seals afresh (random nonce), so the column cannot be
    searched: only ``isnull`` is allowed; look people up through a blind index column instead.
    """

    description = "Text encrypted at rest"

    def __init__(self, *args: Any, purpose: str, **kwargs: Any) -> None:
        if not purpose:
            raise ValueError("EncryptedTextField needs a purpose, e.g. purpose='case.phone'")
        if kwargs.get("unique") or kwargs.get("primary_key") or kwargs.get("db_index"):
            raise ValueError("an encrypted field cannot be unique or indexed; index a blind index column instead")
        self.purpose = purpose
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["purpose"] = self.purpose
        return name, path, args, kwargs

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if not value:
            return value
        return crypto.decrypt(value, purpose=self.purpose)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if not value:
            return value
        return crypto.encrypt(value, purpose=self.purpose)

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name != IsNull.lookup_name:
            raise FieldError(
                f"The field {getattr(self, 'name', None) or self.purpose} is encrypted: only __isnull can be "
                f"used in a query, not __{lookup_name}; search a blind index column instead."
            )
        return super().get_lookup(lookup_name)

    def get_transform(self, lookup_name: str) -> Any:
        return None
