"""Account API: who am I on this host; my API tokens."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from hallplatform.accounts.access import request_roles
from hallplatform.accounts.models import API_TOKEN_NAME_MAX_LENGTH, ApiToken
from hallplatform.accounts.selectors import api_token_list_for_user
from hallplatform.accounts.services import api_token_create, api_token_revoke
from hallplatform.accounts.two_factor import may_make_api_tokens
from hallplatform.api import ErrorSerializer
from hallplatform.clientip import request_origin

# What every operation here may answer besides success, in the one error shape.
ERRORS = {code: ErrorSerializer for code in (400, 401, 403, 404)}


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    display_name = serializers.CharField()
    hall = serializers.CharField(allow_null=True, help_text="Hall code of this host; null on the city portal.")
    roles = serializers.ListField(child=serializers.CharField())


class MeView(APIView):
    """The authenticated person and the roles they hold on this host."""

    @extend_schema(responses={200: MeSerializer, **ERRORS})
    def get(self, request: Request) -> Response:
        route = getattr(request._request, "hall_route", None)
        data = {
            "username": request.user.get_username(),
            "display_name": getattr(request.user, "display_name", ""),
            "hall": route.code if route is not None else None,
            "roles": sorted(request_roles(request._request)),
        }
        return Response(MeSerializer(data).data)


class TwoFactorRequired(exceptions.APIException):
    status_code = status.HTTP_403_FORBIDDEN
    default_code = "two_factor_required"
    default_detail = _(
        "API tokens are made only from a login that gave its second factor: log in on a page, then make the token."
    )


class ApiTokenSerializer(serializers.ModelSerializer):
    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "created_at", "expires_at", "last_used_at", "revoked_at"]
        read_only_fields = fields


class ApiTokenCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=API_TOKEN_NAME_MAX_LENGTH)
    days = serializers.IntegerField(required=False, min_value=1, help_text="Days until it expires (default 90).")


class ApiTokenCreatedSerializer(ApiTokenSerializer):
    key = serializers.CharField(help_text="The token's secret: shown in this answer only, never again.")

    class Meta(ApiTokenSerializer.Meta):
        fields = [*ApiTokenSerializer.Meta.fields, "key"]
        read_only_fields = fields


class ApiTokenListView(APIView):
    """The caller's own API tokens (without secrets), and making a new one."""

    @extend_schema(responses={200: ApiTokenSerializer(many=True), **ERRORS})
    def get(self, request: Request) -> Response:
        return Response(ApiTokenSerializer(api_token_list_for_user(user=request.user), many=True).data)

    @extend_schema(
        request=ApiTokenCreateSerializer,
        responses={201: ApiTokenCreatedSerializer, **ERRORS},
        description="With TWO_FACTOR_REQUIRED, only a session that gave its second factor makes a token "
        "(403 `two_factor_required` otherwise, also for a call with a token).",
    )
    def post(self, request: Request) -> Response:
        if not may_make_api_tokens(request.user):
            raise TwoFactorRequired()
        serializer = ApiTokenCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token, secret = api_token_create(
            user=request.user,  # type: ignore[arg-type]
            name=serializer.validated_data["name"],
            days=serializer.validated_data.get("days"),
            origin=request_origin(request),
        )
        token.key = secret  # type: ignore[attr-defined]
        response = Response(ApiTokenCreatedSerializer(token).data, status=status.HTTP_201_CREATED)
        response["Cache-Control"] = "no-store"
        return response


class ApiTokenDetailView(APIView):
    """Revoke one of the caller's own tokens (it stays listed, marked revoked)."""

    @extend_schema(responses={204: None, **ERRORS})
    def delete(self, request: Request, pk: int) -> Response:
        token = get_object_or_404(api_token_list_for_user(user=request.user), pk=pk)
        api_token_revoke(token=token, actor=request.user, origin=request_origin(request))
        return Response(status=status.HTTP_204_NO_CONTENT)
