"""Account API: who am I on this host."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from hallplatform.accounts.access import request_roles
from hallplatform.api import ErrorSerializer


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    display_name = serializers.CharField()
    hall = serializers.CharField(allow_null=True, help_text="Hall code of this host; null on the city portal.")
    roles = serializers.ListField(child=serializers.CharField())


class MeView(APIView):
    """The authenticated person and the roles they hold on this host."""

    @extend_schema(responses={200: MeSerializer, **{code: ErrorSerializer for code in (400, 401, 404)}})
    def get(self, request: Request) -> Response:
        route = getattr(request._request, "hall_route", None)
        data = {
            "username": request.user.get_username(),
            "display_name": getattr(request.user, "display_name", ""),
            "hall": route.code if route is not None else None,
            "roles": sorted(request_roles(request._request)),
        }
        return Response(MeSerializer(data).data)
