"""The statistics' downloads and reports in the API (`/api/v1/stats/exports/…`, `/api/v1/stats/reports/…`):
what the web offers at /exports/ and /reports/ (analytics/web/exports.py, analytics/web/reports.py),
for a token as for a session, with the same roles, scopes and refusals.

* ``stats/exports/cases.<csv|xlsx>`` on a hall's host: the case register of the period, masked
  (``?reveal=1``: unmasked for a user granted it, audited; 403 otherwise); window staff, hall lead, the
  city's supervisor.
* ``stats/exports/stats.xlsx`` and ``stats/exports/stats/<section>.<csv|xlsx>``: the dashboard's
  tables; hall lead on the hall's host, city supervisor (the hall's host, or the city on the base domain).
* ``stats/reports/`` (list; POST makes one now), ``stats/reports/<id>/`` (its stored figures and
  tables as JSON), ``…/pdf/`` (the PDF the web offers) and ``…/xlsx/`` (its tables, a sheet each).

A period that cannot be read is 400 naming ``month``, ``first`` or ``last``; anything out of the
caller's scope is 404 before any work; errors are JSON in the one error shape.
"""

from __future__ import annotations

import io
from typing import Any

from django.http import Http404, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from analytics.api.serializers import PeriodQuerySerializer
from analytics.exports import CSV_CONTENT_TYPE, XLSX_CONTENT_TYPE, xlsx_write
from analytics.models import MonthlyReport
from analytics.report_pdf import cell_text, report_tables, report_title
from analytics.reports import report_list_for, report_make
from analytics.web.exports import REGISTER_ROLES, STATS_ROLES, case_register_file, stats_file
from analytics.web.forms import period_from_params
from analytics.web.reports import READ_ROLES, may_make_report, report_for_request
from analytics.web.scope import period_from, scope_from
from hallplatform.accounts.access import requires_roles
from hallplatform.api import ErrorSerializer, PageNumberPagination, parse
from hallplatform.permissions import HasRoleOnHost

PDF_CONTENT_TYPE = "application/pdf"
CSV_TYPE = CSV_CONTENT_TYPE.split(";")[0]
ERROR_CODES = (400, 401, 403, 404)


def file_responses(*media_types: str) -> dict[Any, Any]:
    """A file answer of the given media types, errors in the one JSON shape."""
    responses: dict[Any, Any] = {(200, media): OpenApiTypes.BINARY for media in media_types}
    responses.update({(code, "application/json"): ErrorSerializer for code in ERROR_CODES})
    return responses


class AnyAcceptNegotiation(BaseContentNegotiation):
    """Files are sent whatever the client's ``Accept`` says (``text/csv`` would otherwise be 406);
    errors are JSON."""

    def select_renderer(self, request: Any, renderers: Any, format_suffix: Any = None) -> Any:
        return (renderers[0], renderers[0].media_type)

    def select_parser(self, request: Any, parsers: Any) -> Any:
        return parsers[0] if parsers else None


class FileView(APIView):
    permission_classes = [HasRoleOnHost]
    renderer_classes = [JSONRenderer]
    content_negotiation_class = AnyAcceptNegotiation


class ExportQuerySerializer(PeriodQuerySerializer):
    reveal = serializers.ChoiceField(
        choices=["1"], required=False, help_text="1: unmasked, for a user granted it (audited); 403 otherwise."
    )


FMT = OpenApiParameter("fmt", str, OpenApiParameter.PATH, enum=["csv", "xlsx"], description="csv or xlsx")


def _period_checked(request: Request) -> None:
    """400 naming the field for a period that cannot be read (before any file is written)."""
    parse(PeriodQuerySerializer, request.query_params)
    period_from_params(request.query_params)


@requires_roles(*REGISTER_ROLES)
class CaseRegisterExportView(FileView):
    """The hall's case register (登记备案) of the period, one row per case, masked."""

    @extend_schema(
        summary="Download the case register",
        parameters=[ExportQuerySerializer, FMT],
        responses=file_responses(CSV_TYPE, XLSX_CONTENT_TYPE),
    )
    def get(self, request: Request, fmt: str) -> Any:
        parse(ExportQuerySerializer, request.query_params)
        _period_checked(request)
        return case_register_file(request._request, fmt)


@requires_roles(*STATS_ROLES)
class StatsWorkbookView(FileView):
    """Every table of the dashboard in one workbook, a sheet each."""

    @extend_schema(
        summary="Download the dashboard (xlsx)",
        parameters=[PeriodQuerySerializer],
        responses=file_responses(XLSX_CONTENT_TYPE),
    )
    def get(self, request: Request) -> Any:
        scope_from(request._request)  # 404 out of scope, before the period is read
        _period_checked(request)
        return stats_file(request._request, "xlsx", None)


@requires_roles(*STATS_ROLES)
class StatsSectionExportView(FileView):
    """One table of the dashboard: summary, channel, category, status, results, reasons, matters,
    departments, stages, halls (a city), satisfaction, overdue (the dashboard's section names too)."""

    @extend_schema(
        summary="Download one table of the dashboard",
        parameters=[PeriodQuerySerializer, FMT],
        responses=file_responses(CSV_TYPE, XLSX_CONTENT_TYPE),
    )
    def get(self, request: Request, section: str, fmt: str) -> Any:
        scope_from(request._request)
        _period_checked(request)
        return stats_file(request._request, fmt, section)


# --- Reports ---------------------------------------------------------------------------------------


class StatsReportSerializer(serializers.ModelSerializer):
    hall = serializers.CharField(source="hall.code", help_text="Code of the hall, or of the city for a city report.")
    hall_name = serializers.CharField(source="hall.name")
    made_by = serializers.SerializerMethodField()

    class Meta:
        model = MonthlyReport
        fields = ["id", "scope", "hall", "hall_name", "period_start", "period_end", "made_at", "made_by"]
        read_only_fields = fields

    def get_made_by(self, report: MonthlyReport) -> str | None:
        return None if report.made_by is None else str(report.made_by)


class StatsReportTableSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    header = serializers.ListField(child=serializers.CharField())
    rows = serializers.ListField(child=serializers.ListField(child=serializers.CharField()))


class StatsReportDetailSerializer(StatsReportSerializer):
    title = serializers.SerializerMethodField()
    content = serializers.SerializerMethodField(
        help_text="What the report holds as stored when made: figures of the period and of the previous one, "
        "recurring problems, suggestions with their answers (texts masked)."
    )
    tables = serializers.SerializerMethodField(help_text="The tables of the printable page and the PDF.")

    class Meta(StatsReportSerializer.Meta):
        fields = [*StatsReportSerializer.Meta.fields, "title", "content", "tables"]
        read_only_fields = fields

    def get_title(self, report: MonthlyReport) -> str:
        return str(report_title(report.figures))

    @extend_schema_field(serializers.DictField())
    def get_content(self, report: MonthlyReport) -> dict[str, Any]:
        return dict(report.figures)

    @extend_schema_field(StatsReportTableSerializer(many=True))
    def get_tables(self, report: MonthlyReport) -> list[dict[str, Any]]:
        return [
            {
                "key": t.key,
                "title": str(t.title),
                "header": [str(h) for h in t.header],
                "rows": [[cell_text(v) for v in row] for row in t.rows],
            }
            for t in report_tables(report.figures)
        ]


class StatsReportMakeSerializer(serializers.Serializer):
    first = serializers.DateField(help_text="First day of the period.")
    last = serializers.DateField(help_text="Last day of the period, inclusive.")
    city = serializers.IntegerField(
        required=False, help_text="On the base domain, for a supervisor of several cities: the city's id."
    )


def _reports(rows: Any) -> Any:
    return rows.select_related("hall", "made_by")


@requires_roles(*READ_ROLES)
class ReportListView(generics.GenericAPIView):
    """The reports of the host's hall, or of the supervisor's city and its halls, newest first; POST
    makes (or makes again) the report of a period now: a hall lead on the hall's host, a city supervisor
    on the base domain (anyone else: 404)."""

    permission_classes = [HasRoleOnHost]
    pagination_class = PageNumberPagination
    serializer_class = StatsReportSerializer

    @extend_schema(
        summary="List the reports",
        responses={200: StatsReportSerializer(many=True), **{c: ErrorSerializer for c in (400, 401, 404)}},
    )
    def get(self, request: Request) -> Response:
        scope = scope_from(request._request)
        page = self.paginate_queryset(_reports(report_list_for(scope=scope))) or []
        return self.get_paginated_response(StatsReportSerializer(page, many=True).data)

    @extend_schema(
        summary="Make the report of a period now",
        request=StatsReportMakeSerializer,
        responses={201: StatsReportDetailSerializer, **{c: ErrorSerializer for c in ERROR_CODES}},
    )
    def post(self, request: Request) -> Response:
        if not may_make_report(request._request):
            raise Http404
        scope = scope_from(request._request)
        data = parse(StatsReportMakeSerializer, request.data)
        period = period_from({"first": data["first"].isoformat(), "last": data["last"].isoformat()})
        report = report_make(scope=scope, period=period, actor=request.user)
        report = _reports(MonthlyReport.objects.filter(pk=report.pk)).get()
        return Response(StatsReportDetailSerializer(report).data, status=status.HTTP_201_CREATED)


@requires_roles(*READ_ROLES)
class ReportDetailView(APIView):
    """A report as stored when it was made: its figures and the tables of its printable page."""

    permission_classes = [HasRoleOnHost]

    @extend_schema(
        summary="A report",
        responses={200: StatsReportDetailSerializer, **{c: ErrorSerializer for c in (400, 401, 404)}},
    )
    def get(self, request: Request, pk: int) -> Response:
        report = report_for_request(request._request, pk)
        return Response(StatsReportDetailSerializer(_reports(MonthlyReport.objects.filter(pk=report.pk)).get()).data)


def _report_filename(report: MonthlyReport, suffix: str) -> str:
    city = "-city" if report.scope == "city" else ""
    return f"{report.hall.code}{city}-report-{report.period_start:%Y%m%d}-{report.period_end:%Y%m%d}.{suffix}"


@requires_roles(*READ_ROLES)
class ReportPdfView(FileView):
    """The report's PDF, as the web's download."""

    @extend_schema(summary="A report's PDF", responses=file_responses(PDF_CONTENT_TYPE))
    def get(self, request: Request, pk: int) -> HttpResponse:
        report = report_for_request(request._request, pk)
        response = HttpResponse(bytes(report.pdf), content_type=PDF_CONTENT_TYPE)
        response["Content-Disposition"] = f'attachment; filename="{_report_filename(report, "pdf")}"'
        response["Cache-Control"] = "private, no-cache"
        return response


@requires_roles(*READ_ROLES)
class ReportWorkbookView(FileView):
    """The report's tables as a workbook, a sheet each (the tables of the PDF)."""

    @extend_schema(summary="A report's tables (xlsx)", responses=file_responses(XLSX_CONTENT_TYPE))
    def get(self, request: Request, pk: int) -> HttpResponse:
        report = report_for_request(request._request, pk)
        out = io.BytesIO()
        xlsx_write(out, report_tables(report.figures))
        response = HttpResponse(out.getvalue(), content_type=XLSX_CONTENT_TYPE)
        response["Content-Disposition"] = f'attachment; filename="{_report_filename(report, "xlsx")}"'
        response["Cache-Control"] = "private, no-cache"
        return response
