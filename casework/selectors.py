"""Reads of cases, taking the acting user."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from casework.models import Case
from casework.services import document_index, phone_index


def case_list_earlier_of_person(
    *, phone: str = "", document_type: str = "", document_number: str = ""
) -> QuerySet[Case]:
    """Earlier cases of the same person, found through the keyed blind indexes (repeat reporters)."""
    condition = Q(pk__in=[])
    if phone:
        condition |= Q(phone_index=phone_index(phone))
    if document_type and document_number:
        condition |= Q(document_index=document_index(document_type, document_number))
    return Case.objects.filter(condition).order_by("-registered_at")
