"""Statistics API (`/api/v1/stats/`): the figures of a period with those of the previous period, the
recurring problems, improvement suggestions (优化意见建议) and the departments' answers (rule art. 8).

The scope follows the host (analytics/web/scope.py): on a hall's host the hall (its lead; the
supervisors of its city may read), on the base domain the supervisor's city (``?city=<id>`` among
several). A suggestion is sent from the host's scope by whoever leads it (the hall lead on the hall's
host, a supervisor on the base domain); a department answers the suggestions addressed to it. Anyone
else gets 404. Refused input is 400 ``invalid`` naming the fields as the services name them; answering
twice is 409 ``invalid_transition`` (hallplatform/api.py).
"""

from __future__ import annotations

from typing import Any

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from analytics.api.serializers import (
    PeriodQuerySerializer,
    ProblemsQuerySerializer,
    ProblemsSerializer,
    StatsSerializer,
    SuggestionAnswerSerializer,
    SuggestionCreateSerializer,
    SuggestionSerializer,
)
from analytics.dashboards import PROBLEM_ROWS, dashboard_figures
from analytics.models import ImprovementSuggestion
from analytics.selectors import (
    Period,
    Scope,
    recurring_problems,
    sender_scope_for,
    suggestion_list_for_department,
    suggestion_list_for_scope,
)
from analytics.services import suggestion_answer, suggestion_send
from analytics.web.forms import period_from_params
from analytics.web.scope import host_hall, scope_from
from hallplatform.accounts.access import requires_roles
from hallplatform.accounts.models import DEPARTMENT_ROLES
from hallplatform.accounts.models import RoleKind as R
from hallplatform.api import ErrorSerializer, PageNumberPagination, parse
from hallplatform.permissions import HasRoleOnHost

READERS = (R.HALL_LEAD, R.CITY_SUPERVISOR)
ERRORS = {code: ErrorSerializer for code in (400, 401, 404, 409)}
READ_ERRORS = {code: ErrorSerializer for code in (400, 401, 404)}


def _scope(request: Request) -> Scope:
    return scope_from(request._request)


def _period(period: Period) -> dict[str, Any]:
    return {"first": period.first, "last": period.last}


def _scope_data(scope: Scope) -> dict[str, Any]:
    hall = scope.hall
    return {"kind": "city" if scope.is_city else "hall", "id": hall.pk, "code": hall.code, "name": hall.name}


def _refresh(request: Request) -> bool:
    """``?refresh=1``: count now (400 naming ``refresh`` for any other value)."""
    return parse(PeriodQuerySerializer, request.query_params).get("refresh") == "1"


def _city_id(request: Request) -> int | None:
    text = str(request.query_params.get("city") or "")
    return int(text) if text.isdigit() else None


@requires_roles(*READERS)
class StatsView(APIView):
    """Every figure of the dashboard for a period (default: the current month) and for the period
    before it: cases by channel, category, status, result and reason not accepted; matters (similar
    spellings grouped); departments with their on-time rate and band; on time, median and 90th
    percentile of working time per stage; overdue now; follow-up and 好差评; repeat reporters;
    suggestions; for a city, its halls in bands. A constant number of queries."""

    permission_classes = [HasRoleOnHost]

    @extend_schema(
        summary="Statistics of a period",
        parameters=[PeriodQuerySerializer],
        responses={200: StatsSerializer, **READ_ERRORS},
    )
    def get(self, request: Request) -> Response:
        scope = _scope(request)
        period = period_from_params(request.query_params)
        counted = dashboard_figures(scope=scope, period=period, refresh=_refresh(request))
        data = {
            "scope": _scope_data(scope),
            "period": _period(period),
            "previous_period": _period(period.previous()),
            "computed_at": counted.computed_at,
            "figures": counted.figures,
            "previous": counted.previous,
        }
        return Response(StatsSerializer(data).data)


@requires_roles(*READERS)
class ProblemsView(APIView):
    """The matters and the departments that fail most in the period, with their trend."""

    permission_classes = [HasRoleOnHost]

    @extend_schema(
        summary="Recurring problems",
        parameters=[ProblemsQuerySerializer],
        responses={200: ProblemsSerializer, **READ_ERRORS},
    )
    def get(self, request: Request) -> Response:
        scope = _scope(request)
        period = period_from_params(request.query_params)
        limit = parse(ProblemsQuerySerializer, request.query_params)["limit"]
        counted = dashboard_figures(scope=scope, period=period, refresh=_refresh(request))
        if limit <= PROBLEM_ROWS:
            found = {key: rows[:limit] for key, rows in counted.recurring.items()}
        else:  # more than the dashboard keeps: from the kept figures, and the matters counted again
            found = recurring_problems(
                scope=scope, period=period, limit=limit, figures=counted.figures, previous=counted.previous
            )
        data = {
            "scope": _scope_data(scope),
            "period": _period(period),
            "previous_period": _period(period.previous()),
            "computed_at": counted.computed_at,
            **found,
        }
        return Response(ProblemsSerializer(data).data)


def _suggestions(rows: Any) -> Any:
    return rows.select_related("hall", "department__hall", "sent_by", "answered_by")


@requires_roles(*READERS)
class SuggestionListView(generics.GenericAPIView):
    """Improvement suggestions sent from the scope, newest first (a city: its own and its halls');
    sending one to a department of the scope (the department is told by a notice)."""

    permission_classes = [HasRoleOnHost]
    pagination_class = PageNumberPagination
    serializer_class = SuggestionSerializer

    @extend_schema(
        summary="List improvement suggestions", responses={200: SuggestionSerializer(many=True), **READ_ERRORS}
    )
    def get(self, request: Request) -> Response:
        rows = suggestion_list_for_scope(scope=_scope(request))
        page = self.paginate_queryset(rows) or []
        return self.get_paginated_response(SuggestionSerializer(page, many=True).data)

    @extend_schema(
        summary="Send an improvement suggestion",
        request=SuggestionCreateSerializer,
        responses={201: SuggestionSerializer, **ERRORS},
    )
    def post(self, request: Request) -> Response:
        scope = sender_scope_for(actor=request.user, hall=host_hall(request._request), city_id=_city_id(request))
        data = parse(SuggestionCreateSerializer, request.data)
        item = suggestion_send(
            actor=request.user,
            scope=scope,
            department_id=data["department"],
            finding=data["finding"],
            suggestion=data["suggestion"],
            matter_key=data["matter_key"],
        )
        item = _suggestions(ImprovementSuggestion.objects.filter(pk=item.pk)).get()
        return Response(SuggestionSerializer(item).data, status=status.HTTP_201_CREATED)


@requires_roles(*DEPARTMENT_ROLES)
class MySuggestionListView(generics.GenericAPIView):
    """The suggestions addressed to the person's departments (on a hall's host: those the host
    serves), unanswered first."""

    permission_classes = [HasRoleOnHost]
    pagination_class = PageNumberPagination
    serializer_class = SuggestionSerializer

    @extend_schema(
        summary="Suggestions to my departments", responses={200: SuggestionSerializer(many=True), **READ_ERRORS}
    )
    def get(self, request: Request) -> Response:
        rows = suggestion_list_for_department(actor=request.user, hall=host_hall(request._request))
        page = self.paginate_queryset(rows) or []
        return self.get_paginated_response(SuggestionSerializer(page, many=True).data)


@requires_roles(*DEPARTMENT_ROLES)
class SuggestionAnswerView(APIView):
    """The department records its answer; the sender is told. Answering twice is 409."""

    permission_classes = [HasRoleOnHost]

    @extend_schema(
        summary="Answer an improvement suggestion",
        request=SuggestionAnswerSerializer,
        responses={200: SuggestionSerializer, **ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        rows = suggestion_list_for_department(actor=request.user, hall=host_hall(request._request))
        item = rows.filter(pk=pk).first()
        if item is None:
            raise Http404
        data = parse(SuggestionAnswerSerializer, request.data)
        suggestion_answer(actor=request.user, suggestion=item, answer=data["answer"])
        item = _suggestions(ImprovementSuggestion.objects.filter(pk=pk)).get()
        return Response(SuggestionSerializer(item).data)
