"""Duplicates across halls (issue 17 item 7): the same person reported in another hall of the city.

The cross-hall index (hallindex) carries each case's keyed blind indexes of the phone and the
document — digests, never values — so a window sees, while registering or on the case page, the
other halls' cases of the same person in the last ``DUPLICATE_WINDOW_DAYS`` days: their NO, hall,
matter (masked as in the index), date and status, no personal data. A window links its case to one
of them (one matter reported twice); the city supervisor lists linked and likely duplicates.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from casework.models import Case
from casework.services import case_event_record
from hallindex.duplicates import DUPLICATE_WINDOW_DAYS
from hallindex.models import CaseIndex, CaseLink
from hallplatform.audit.services import audit_record
from tenants.models import Hall

# How many other-hall cases the registration form and the case page show.
ELSEWHERE_SHOWN = 10


def _city_halls(city_id: int) -> Q:
    return Q(hall_id=city_id) | Q(hall__parent_id=city_id)


def case_index_list_elsewhere(
    *,
    hall: Hall,
    phone_indexes: Iterable[str] = (),
    document_indexes: Iterable[str] = (),
    around: datetime | None = None,
) -> QuerySet[CaseIndex]:
    """Cases of the same person (by blind index) in the other halls of ``hall``'s city, registered
    within ``DUPLICATE_WINDOW_DAYS`` days of ``around`` (now by default), newest first. One query on
    the public index; nothing of another city."""
    phones = [value for value in phone_indexes if value]
    documents = [value for value in document_indexes if value]
    if not phones and not documents:
        return CaseIndex.objects.none()
    around = around or timezone.now()
    window = timedelta(days=DUPLICATE_WINDOW_DAYS)
    person = Q(pk__in=[])
    if phones:
        person |= Q(phone_index__in=phones)
    if documents:
        person |= Q(document_index__in=documents)
    return (
        CaseIndex.objects.filter(person, _city_halls(hall.city_id))
        .exclude(hall_id=hall.pk)
        .filter(registered_at__gte=around - window, registered_at__lte=around + window)
        .select_related("hall")
        .order_by("-registered_at", "-pk")
    )


def case_list_elsewhere_of_case(*, case: Case, hall: Hall) -> QuerySet[CaseIndex]:
    """The other halls' cases of ``case``'s person around its registration."""
    return case_index_list_elsewhere(
        hall=hall,
        phone_indexes=[case.phone_index],
        document_indexes=[case.document_index],
        around=case.registered_at,
    )


def case_link_list(*, hall: Hall, case_id: int) -> QuerySet[CaseLink]:
    """The links of a case, whichever side it is on."""
    return (
        CaseLink.objects.filter(Q(hall_id=hall.pk, case_id=case_id) | Q(other_hall_id=hall.pk, other_case_id=case_id))
        .select_related("hall", "other_hall")
        .order_by("linked_at", "pk")
    )


@dataclass(frozen=True)
class LinkedCase:
    """One case linked to the case being shown: the other side of a link."""

    hall: Hall
    case_id: int
    number: str
    linked_at: datetime


def case_links_of(*, hall: Hall, case_id: int) -> list[LinkedCase]:
    result = []
    for link in case_link_list(hall=hall, case_id=case_id):
        if link.hall_id == hall.pk and link.case_id == case_id:
            result.append(LinkedCase(link.other_hall, link.other_case_id, link.other_number, link.linked_at))
        else:
            result.append(LinkedCase(link.hall, link.case_id, link.number, link.linked_at))
    return result


@transaction.atomic
def case_duplicate_link(*, case: Case, hall: Hall, actor: Any, other: CaseIndex | None) -> CaseLink:
    """Link ``case`` to ``other``, a case of the same person in another hall of the city (one matter
    reported twice): recorded on the case's timeline and audited. Refused — nothing written — when
    ``other`` is not among the case's duplicates across halls, or the two are already linked."""
    candidates = case_list_elsewhere_of_case(case=case, hall=hall)
    if other is None or not candidates.filter(pk=other.pk).exists():
        raise ValidationError(
            {"other_case": _("Not a case of the same person in another hall of the city in the last 90 days.")}
        )
    if (
        case_link_list(hall=hall, case_id=case.pk)
        .filter(
            Q(other_hall_id=other.hall_id, other_case_id=other.case_id)
            | Q(hall_id=other.hall_id, case_id=other.case_id)
        )
        .exists()
    ):
        raise ValidationError({"other_case": _("The two cases are already linked.")})
    link = CaseLink.objects.create(
        hall=hall,
        case_id=case.pk,
        number=case.number,
        other_hall_id=other.hall_id,
        other_case_id=other.case_id,
        other_number=other.number,
        linked_by=actor,
        linked_at=timezone.now(),
    )
    case_event_record(
        case=case,
        actor=actor,
        kind="linked_elsewhere",
        changes={"other_number": other.number, "other_hall": other.hall.code},
    )
    audit_record(
        action="case.link_elsewhere",
        actor=actor,
        hall=hall,
        target=case,
        changes={"other_number": other.number, "other_hall": other.hall.code},
    )
    return link
