"""The one place that switches the connection between the public schema and a hall's schema."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection


def _tenant_connection() -> Any:
    # django-tenants' DatabaseWrapper adds these methods; the stubs only know Django's own.
    return connection


def use_public_schema() -> None:
    _tenant_connection().set_schema_to_public()


def use_hall_schema(hall: Any) -> None:
    """Point the connection at ``hall``'s schema (public tables stay visible behind it)."""
    _tenant_connection().set_tenant(hall)


def current_schema_name() -> str:
    return str(_tenant_connection().schema_name)


def current_tenant() -> Any:
    return _tenant_connection().tenant


@contextmanager
def in_hall_schema(hall: Any) -> Iterator[None]:
    """Run the block with the connection on ``hall``'s schema, then go back to where it was. Callers
    check access first: cross-hall code reaches a hall's tables only through here."""
    previous_public = current_schema_name() == "public"
    previous = current_tenant()
    use_hall_schema(hall)
    try:
        yield
    finally:
        if previous_public:
            use_public_schema()
        else:
            use_hall_schema(previous)
