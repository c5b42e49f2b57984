"""Reads of the hall and department directory."""

from __future__ import annotations

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When

from tenants.models import Department, Hall, HallLevel


def department_list_routable_from(*, hall_id: int, city_id: int) -> QuerySet[Department]:
    """Departments a hall may transfer to: its own first, then the city-level ones of its city, each
    group by code."""
    return (
        Department.objects.filter(is_active=True)
        .filter(Q(hall_id=hall_id) | Q(hall_id=city_id, hall__level=HallLevel.CITY))
        .select_related("hall")
        .annotate(own_first=Case(When(hall_id=hall_id, then=Value(0)), default=Value(1), output_field=IntegerField()))
        .order_by("own_first", "hall__level", "code")
    )


def hall_list_for_city(*, city_id: int) -> QuerySet[Hall]:
    """The city hall and its counties, city first, then by region code."""
    return Hall.objects.filter(Q(pk=city_id) | Q(parent_id=city_id)).order_by("level", "region_code")
