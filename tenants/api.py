"""GET/PUT /api/v1/city/routing/: the city's routing setting (异地转办), for its supervisor, on the base domain."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from hallplatform.accounts.access import requires_roles
from hallplatform.accounts.models import RoleKind
from hallplatform.api import ErrorSerializer, parse
from tenants.models import CityRouting, Hall, RoutingScope
from tenants.selectors import city_routing_for, hall_list_for_city
from tenants.services import MAX_ROUTING_PAIRS, city_routing_set
from tenants.web import supervised_city


class CityRoutingSerializer(serializers.Serializer):
    city = serializers.CharField(read_only=True, help_text="The city hall's code.")
    scope = serializers.ChoiceField(choices=RoutingScope.choices)
    pairs = serializers.ListField(
        child=serializers.ListField(child=serializers.CharField(max_length=40), min_length=2, max_length=2),
        max_length=MAX_ROUTING_PAIRS,
        required=False,
        default=list,
        help_text="[sending hall code, receiving hall code] pairs; used with scope `pairs`.",
    )


class CityQuerySerializer(serializers.Serializer):
    city = serializers.IntegerField(required=False, help_text="The city hall's id (default: your first city).")


def _body(routing: CityRouting, city: Hall) -> dict[str, Any]:
    codes = dict(hall_list_for_city(city_id=city.pk).values_list("pk", "code"))
    return {
        "city": city.code,
        "scope": routing.scope,
        "pairs": [[codes.get(a, ""), codes.get(b, "")] for a, b in routing.pairs],
    }


@requires_roles(RoleKind.CITY_SUPERVISOR)
class CityRoutingView(APIView):
    """Which halls of the city may transfer to which halls' departments; changing it is audited."""

    def _city(self, request: Request) -> Hall:
        if getattr(request._request, "hall_route", None) is not None:
            raise Http404  # the city's settings live on the base domain
        query = parse(CityQuerySerializer, request.query_params)
        city, _ = supervised_city(actor=request.user, wanted=str(query.get("city") or ""))
        return city

    @extend_schema(
        summary="Read the city's routing setting",
        parameters=[CityQuerySerializer],
        responses={200: CityRoutingSerializer, **{c: ErrorSerializer for c in (401, 404)}},
    )
    def get(self, request: Request) -> Response:
        city = self._city(request)
        return Response(_body(city_routing_for(city_id=city.pk), city))

    @extend_schema(
        summary="Set the city's routing setting",
        parameters=[CityQuerySerializer],
        request=CityRoutingSerializer,
        responses={200: CityRoutingSerializer, **{c: ErrorSerializer for c in (400, 401, 404)}},
    )
    def put(self, request: Request) -> Response:
        city = self._city(request)
        data = parse(CityRoutingSerializer, request.data)
        ids = {code: pk for pk, code in hall_list_for_city(city_id=city.pk).values_list("pk", "code")}
        # An unknown code becomes 0, which the service refuses under ``pairs``.
        pairs = [(ids.get(a, 0), ids.get(b, 0)) for a, b in data.get("pairs") or []]
        city_routing_set(city=city, actor=request.user, scope=data["scope"], pairs=pairs)
        return Response(_body(city_routing_for(city_id=city.pk), city))
