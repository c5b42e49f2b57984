"""Reads of the hall and department directory."""

from __future__ import annotations

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When

from tenants.models import CityRouting, Department, Hall, HallLevel, RoutingScope

# The picker's groups, in its order (department_list_routable_from annotates ``route_group``).
GROUP_OWN, GROUP_CITY, GROUP_OTHER = 0, 1, 2


def city_routing_for(*, city_id: int) -> CityRouting:
    """The city's routing setting; without a row, the default (within the city), unsaved."""
    return CityRouting.objects.filter(city_id=city_id).first() or CityRouting(city_id=city_id)


def hall_ids_routable_from(*, hall_id: int, city_id: int) -> set[int]:
    """The halls whose departments ``hall_id`` may transfer to under its city's routing setting: its
    own and the city level always; then every hall of the city (default), or the listed pairs."""
    allowed = {hall_id, city_id}
    routing = city_routing_for(city_id=city_id)
    if routing.scope == RoutingScope.CITY:
        allowed.update(Hall.objects.filter(Q(pk=city_id) | Q(parent_id=city_id)).values_list("pk", flat=True))
    elif routing.scope == RoutingScope.PAIRS:
        allowed.update(int(to) for source, to in routing.pairs if int(source) == hall_id)
    return allowed


def department_list_routable_from(*, hall_id: int, city_id: int) -> QuerySet[Department]:
    """Departments a hall may transfer to (rule art. 5; 异地转办 under the city's routing setting): its
    own first, then the city level's, then other counties' of the city, each annotated ``route_group``."""
    halls = hall_ids_routable_from(hall_id=hall_id, city_id=city_id)
    return (
        Department.objects.filter(is_active=True, hall__is_active=True, hall_id__in=halls)
        .filter(Q(hall_id=hall_id) | Q(hall_id=city_id, hall__level=HallLevel.CITY) | Q(hall__parent_id=city_id))
        .select_related("hall")
        .annotate(
            route_group=Case(
                When(hall_id=hall_id, then=Value(GROUP_OWN)),
                When(hall__level=HallLevel.CITY, then=Value(GROUP_CITY)),
                default=Value(GROUP_OTHER),
                output_field=IntegerField(),
            )
        )
        .order_by("route_group", "hall__region_code", "code")
    )


def hall_list_for_city(*, city_id: int) -> QuerySet[Hall]:
    """The city hall and its counties, city first, then by region code."""
    return Hall.objects.filter(Q(pk=city_id) | Q(parent_id=city_id)).order_by("level", "region_code")
