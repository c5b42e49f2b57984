"""GET /api/v1/security-log/: the security log, read-only, paginated."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from hallplatform.accounts.access import request_roles, requires_roles
from hallplatform.api import ErrorSerializer, PageNumberPagination, parse
from hallplatform.securitylog.forms import SecurityLogFilterSerializer, security_log_filter
from hallplatform.securitylog.selectors import SECURITY_LOG_ROLES, security_event_list_for_staff, security_log_rows


class SecurityLogRowSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    at = serializers.DateTimeField()
    action = serializers.CharField()
    actor = serializers.CharField(allow_null=True, help_text="Username of who acted; null for a failed login.")
    hall = serializers.CharField(allow_null=True, help_text="Hall code; null on the city portal.")
    target_type = serializers.CharField()
    target_id = serializers.CharField()
    target = serializers.CharField(help_text="The login concerned (its username), or the object.")
    ip = serializers.CharField(help_text="The client's address.")
    user_agent = serializers.CharField()
    details = serializers.DictField(help_text="What else was recorded (never a secret or a personal value).")


@requires_roles(*SECURITY_LOG_ROLES)
class SecurityLogView(generics.GenericAPIView):
    """The security log, newest first: a hall lead reads their hall's events on its host; the audit
    administrator (and the combined platform operator) read every event on the base domain."""

    pagination_class = PageNumberPagination
    serializer_class = SecurityLogRowSerializer

    @extend_schema(
        summary="Read the security log",
        parameters=[SecurityLogFilterSerializer],
        responses={200: SecurityLogRowSerializer(many=True), **{c: ErrorSerializer for c in (400, 401, 404)}},
    )
    def get(self, request: Request) -> Response:
        query = parse(SecurityLogFilterSerializer, request.query_params)
        events = security_event_list_for_staff(
            roles=request_roles(request._request),
            route=getattr(request._request, "hall_route", None),
            filters=security_log_filter(query),
            user=request.user,
        )
        page = self.paginate_queryset(events) or []
        rows = security_log_rows(list(page))
        return self.get_paginated_response(SecurityLogRowSerializer(rows, many=True).data)
