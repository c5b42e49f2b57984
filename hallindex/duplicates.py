"""Duplicates across halls, read over the public index (issue 17 item 7): the window length, and the
city's linked and likely duplicate cases that the supervisor's portal lists (coordination). The
cases are matched by the keyed blind indexes casework writes into the index rows (digests, never
values); a window's own view and the linking are casework's (casework/duplicates.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from hallindex.models import CaseIndex, CaseLink

DUPLICATE_WINDOW_DAYS = 90


@dataclass
class DuplicateGroup:
    """Cases of one person (one blind index) in two or more halls of the city; ``linked`` when every
    case of the group is linked to another of it."""

    cases: list[CaseIndex]
    linked_pairs: set[frozenset[tuple[int, int]]]

    @property
    def halls(self) -> int:
        return len({row.hall_id for row in self.cases})

    def is_linked(self, row: CaseIndex) -> bool:
        return any((row.hall_id, row.case_id) in pair for pair in self.linked_pairs)

    @property
    def linked(self) -> bool:
        return all(self.is_linked(row) for row in self.cases)


GROUPS_SHOWN = 50


def duplicate_groups_for_city(*, city_ids: list[int], now: datetime | None = None) -> list[DuplicateGroup]:
    """Likely duplicates across the halls of ``city_ids``: the blind indexes (phone or document) that
    appear in two or more halls among the cases of the last ``DUPLICATE_WINDOW_DAYS`` days, newest
    first, with their links. Three queries, whatever the number of halls."""
    if not city_ids:
        return []
    since = (now or timezone.now()) - timedelta(days=DUPLICATE_WINDOW_DAYS)
    in_city = Q(hall_id__in=city_ids) | Q(hall__parent_id__in=city_ids)
    scope = CaseIndex.objects.filter(in_city, registered_at__gte=since)
    keys: list[tuple[str, str]] = []
    for column in ("phone_index", "document_index"):
        values = (
            scope.exclude(**{column: ""})
            .values(column)
            .annotate(halls=Count("hall_id", distinct=True))
            .filter(halls__gt=1)
            .order_by(column)
            .values_list(column, flat=True)[:GROUPS_SHOWN]
        )
        keys.extend((column, value) for value in values)
    if not keys:
        return []
    condition = Q(pk__in=[])
    for column, value in keys:
        condition |= Q(**{column: value})
    rows = list(scope.filter(condition).select_related("hall").order_by("-registered_at", "pk"))
    pairs = _linked_pairs(rows)
    groups: dict[tuple[str, str], list[CaseIndex]] = {key: [] for key in keys}
    for row in rows:
        for column, value in keys:
            if getattr(row, column) == value:
                groups[(column, value)].append(row)
    seen: set[frozenset[int]] = set()
    result = []
    for members in groups.values():
        ids = frozenset(row.pk for row in members)
        if len({row.hall_id for row in members}) < 2 or ids in seen:
            continue  # the same cases matched by phone and by document: one group
        seen.add(ids)
        keys_of = {(row.hall_id, row.case_id) for row in members}
        result.append(DuplicateGroup(cases=members, linked_pairs={p for p in pairs if p <= keys_of}))
    result.sort(key=lambda group: max(row.registered_at for row in group.cases), reverse=True)
    return result


def _linked_pairs(rows: list[CaseIndex]) -> set[frozenset[tuple[int, int]]]:
    if not rows:
        return set()
    halls = {row.hall_id for row in rows}
    cases = {row.case_id for row in rows}
    links = CaseLink.objects.filter(hall_id__in=halls, case_id__in=cases, other_hall_id__in=halls).values_list(
        "hall_id", "case_id", "other_hall_id", "other_case_id"
    )
    return {frozenset({(a, b), (c, d)}) for a, b, c, d in links}


def case_link_list_for_city(*, city_ids: list[int]) -> QuerySet[CaseLink]:
    """Every link between cases of the halls of ``city_ids``, newest first."""
    return (
        CaseLink.objects.filter(Q(hall_id__in=city_ids) | Q(hall__parent_id__in=city_ids))
        .select_related("hall", "other_hall")
        .order_by("-linked_at", "-pk")
    )
