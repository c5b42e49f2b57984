"""How long a text people type may be: one source for the models, the forms and the API serializers.

A ``CharField`` is limited by its column too; a ``TextField`` (and an encrypted field, which stores
the longer ciphertext) only by these numbers, which forms and serializers check before anything is
written. A refusal names the field (400 in the API, the field's error on a page). docs/security.md,
"Input limits", lists them.
"""

from __future__ import annotations

from django.db import models

# A person's name (the applicant on the 登记表).
NAME_MAX_LENGTH = 100
# One line: a matter's name, an enterprise's name, a meeting's subject and place, a link, a short note.
LINE_MAX_LENGTH = 200
# A mobile or landline number in any usual spelling.
PHONE_MAX_LENGTH = 30
# An identity document's number (resident ID, passport, unified social credit code …).
DOCUMENT_NUMBER_MAX_LENGTH = 60
# A postal address.
ADDRESS_MAX_LENGTH = 300
# A note, a reason, a referral, a request to a department, remarks.
NOTE_MAX_LENGTH = 2000
# A longer text: the problem as told, an answer, a reply, an agenda, minutes, a finding.
TEXT_MAX_LENGTH = 5000
# The person's comment with a rating (好差评).
RATING_COMMENT_MAX_LENGTH = 500
# A free-text query parameter (part of a number or a matter's name, a code).
QUERY_MAX_LENGTH = 200


def max_length_of(model: type[models.Model], field_name: str) -> int:
    """The most characters a model's text field takes: its column's size, or the limit given to its
    ``TextField``. For serializers and forms that are declared by hand, so they say the same."""
    max_length = getattr(model._meta.get_field(field_name), "max_length", None)
    if max_length is None:
        raise ValueError(f"{model.__name__}.{field_name} has no max_length")
    return int(max_length)
