"""Finding the phone number of a person known only inside a hall, at the moment of sending.

An app that owns people's data registers a resolver for a prefix of references once, at import
time: ``register_person_resolver("case", case_reporter_phone)``. ``case_reporter_phone("123")`` is
then called with the connection on the notice's hall's schema, and returns the phone number or None
(no such person, or no phone). The number goes to the provider and is never stored.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hallplatform.schemas import in_hall_schema

PersonResolver = Callable[[str], str | None]

_RESOLVERS: dict[str, PersonResolver] = {}


class UnresolvableRecipient(LookupError):
    pass


def register_person_resolver(prefix: str, func: PersonResolver) -> None:
    """Resolve references ``"<prefix>:<rest>"`` with ``func(rest)``, in the hall's schema."""
    if not prefix or ":" in prefix:
        raise ValueError("A resolver prefix is a non-empty word without a colon, e.g. 'case'.")
    _RESOLVERS[prefix] = func


def unregister_person_resolver(prefix: str) -> None:
    _RESOLVERS.pop(prefix, None)


def person_phone_resolve(*, hall: Any, recipient_ref: str) -> str:
    """The phone number of the person ``recipient_ref`` of ``hall``; UnresolvableRecipient if none."""
    prefix, sep, rest = recipient_ref.partition(":")
    resolver = _RESOLVERS.get(prefix) if sep else None
    if resolver is None:
        raise UnresolvableRecipient(f"no person resolver for references like {prefix!r}")
    with in_hall_schema(hall):
        phone = resolver(rest)
    if not phone:
        raise UnresolvableRecipient(f"{recipient_ref} has no phone number")
    return phone
