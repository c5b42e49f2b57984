"""Reports of a period (rule art. 8), at /reports/: the list, the printable page, its PDF, and
"make a report now" for any period.

On a hall's host a hall lead reads and makes the hall's reports; the city supervisor reads them.
On the base domain a city supervisor reads and makes their city's reports and reads those of the
city's halls. A report of anyone else is 404, as if it did not exist.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from analytics.models import MonthlyReport
from analytics.report_pdf import cell_text, report_tables, report_title
from analytics.reports import report_get_for, report_list_for, report_make
from analytics.selectors import Period, Scope
from analytics.web.scope import host_hall, period_from, scope_from
from coordination.selectors import cities_supervised_by
from hallplatform.accounts.access import request_roles, requires_roles
from hallplatform.accounts.models import RoleKind

READ_ROLES = (RoleKind.HALL_LEAD, RoleKind.CITY_SUPERVISOR)
PAGE_SIZE = 50


def may_make_report(request: HttpRequest) -> bool:
    """A hall lead on their hall's host; a city supervisor on the base domain."""
    on_hall_host = getattr(request, "hall_route", None) is not None
    maker = RoleKind.HALL_LEAD if on_hall_host else RoleKind.CITY_SUPERVISOR
    return maker in request_roles(request)


def reader_scopes(request: HttpRequest) -> list[Scope]:
    hall = host_hall(request)
    if hall is not None:
        return [Scope.of_hall(hall)]
    return [Scope.of_city(city) for city in cities_supervised_by(request.user)]


def report_for_request(request: HttpRequest, report_id: int) -> MonthlyReport:
    for scope in reader_scopes(request):
        try:
            return report_get_for(scope=scope, report_id=report_id)
        except Http404:
            continue
    raise Http404


@requires_roles(*READ_ROLES)
@require_GET
def report_list(request: HttpRequest) -> HttpResponse:
    """The reports of the host's hall, or of the supervisor's city and its halls, newest first."""
    scope = scope_from(request)
    page = Paginator(report_list_for(scope=scope), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "analytics/report_list.html",
        {
            "scope": scope,
            "page": page,
            "may_make": may_make_report(request),
            "city_param": "" if not scope.is_city else f"?city={scope.hall.pk}",
        },
    )


@requires_roles(*READ_ROLES)
@require_http_methods(["GET", "POST"])
def report_new(request: HttpRequest) -> HttpResponse:
    """Make (or make again) the report of any period now."""
    if not may_make_report(request):
        raise Http404
    scope = scope_from(request)
    last_month = Period.month_of(timezone.localdate().replace(day=1) - timedelta(days=1))
    values = {"first": last_month.first.isoformat(), "last": last_month.last.isoformat()}
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        values = {"first": request.POST.get("first", ""), "last": request.POST.get("last", "")}
        try:
            period = period_from(values)
        except ValidationError as error:
            errors = error.message_dict
        else:
            report = report_make(scope=scope, period=period, actor=request.user)
            return redirect("reports:detail", report_id=report.pk)
    return render(
        request,
        "analytics/report_new.html",
        {"scope": scope, "values": values, "errors": errors},
        status=400 if errors else 200,
    )


def _rows(table: Any) -> list[list[str]]:
    return [[cell_text(value) for value in row] for row in table.rows]


@requires_roles(*READ_ROLES)
@require_GET
def report_detail(request: HttpRequest, report_id: int) -> HttpResponse:
    """The report as a printable page (A4), from the figures stored when it was made."""
    report = report_for_request(request, report_id)
    content = report.figures
    tables = [{"key": t.key, "title": t.title, "header": t.header, "rows": _rows(t)} for t in report_tables(content)]
    return render(
        request,
        "analytics/report_detail.html",
        {"report": report, "content": content, "title": report_title(content), "tables": tables},
    )


@requires_roles(*READ_ROLES)
@require_GET
def report_pdf_download(request: HttpRequest, report_id: int) -> HttpResponse:
    report = report_for_request(request, report_id)
    response = HttpResponse(bytes(report.pdf), content_type="application/pdf")
    city = "-city" if report.scope == "city" else ""
    filename = f"{report.hall.code}{city}-report-{report.period_start:%Y%m%d}-{report.period_end:%Y%m%d}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-cache"
    return response
