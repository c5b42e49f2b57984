"""Downloads of the statistics (rule art. 8): the case register of a hall and the dashboard's tables,
as Excel (.xlsx) or CSV, for the period ``?month=YYYY-MM`` or ``?first=&last=`` (default: the current
month).

* ``/exports/cases.xlsx|csv`` on a hall's host: the hall's case register, masked; ``?reveal=1``
  unmasks it for a user who may reveal personal data (recorded), else 403.
* ``/exports/stats.xlsx``: every table of the dashboard, a sheet each;
  ``/exports/stats/<section>.xlsx|csv``: one table. A hall lead gets their hall's, a city
  supervisor on the base domain their city's (``?city=`` among several).

The file is written to a spooled temporary file (on disk past a few megabytes) and then sent, so
that the database work, the audit and any refusal happen before the first byte goes out.
"""

from __future__ import annotations

import io
import tempfile
from typing import Any

from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseBase
from django.views.decorators.http import require_GET

from analytics.dashboards import dashboard_figures
from analytics.exports import CSV_CONTENT_TYPE, XLSX_CONTENT_TYPE, csv_write, xlsx_write
from analytics.register import case_register_export
from analytics.tables import SECTION_ALIASES, SECTIONS, section_table, section_tables
from analytics.web.forms import period_from_params
from analytics.web.scope import host_hall, scope_from
from hallplatform.accounts.access import requires_roles
from hallplatform.accounts.models import RoleKind

REGISTER_ROLES = (RoleKind.WINDOW_STAFF, RoleKind.HALL_LEAD, RoleKind.CITY_SUPERVISOR)
STATS_ROLES = (RoleKind.HALL_LEAD, RoleKind.CITY_SUPERVISOR)
SPOOL_BYTES = 8 * 1024 * 1024


def _spool() -> Any:
    return tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)


def _write(fmt: str, write_xlsx: Any, write_csv: Any) -> Any:
    """Run the writer of the format into a spooled file and return it, rewound."""
    spool = _spool()
    if fmt == "xlsx":
        write_xlsx(spool)
    else:
        text = io.TextIOWrapper(spool, encoding="utf-8", newline="")
        write_csv(text)
        text.flush()
        text.detach()
    spool.seek(0)
    return spool


def _send(spool: Any, *, fmt: str, filename: str, private: bool) -> FileResponse:
    response = FileResponse(
        spool,
        as_attachment=True,
        filename=filename,
        content_type=XLSX_CONTENT_TYPE if fmt == "xlsx" else CSV_CONTENT_TYPE,
    )
    response["Cache-Control"] = "no-store" if private else "private, no-cache"
    return response


def _bad_request(error: ValidationError) -> HttpResponse:
    messages = [m for ms in error.message_dict.values() for m in ms] if hasattr(error, "error_dict") else error.messages
    return HttpResponseBadRequest(" ".join(messages), content_type="text/plain; charset=utf-8")


def case_register_file(request: HttpRequest, fmt: str) -> FileResponse:
    """The hall's case register of the period as a file; raises Http404 off a hall's host,
    ValidationError for a period it cannot read, PermissionDenied for a reveal without the grant
    (all before anything is sent). The web's download and the API's (analytics/api/exports.py)."""
    hall = host_hall(request)
    if hall is None:  # the register lives on its hall's host
        raise Http404
    period = period_from_params(request.GET)
    reveal = request.GET.get("reveal") == "1"

    def export(out: Any) -> None:
        case_register_export(actor=request.user, hall=hall, period=period, fmt=fmt, out=out, reveal=reveal)

    spool = _write(fmt, export, export)  # PermissionDenied (403) before anything is sent
    suffix = "-unmasked" if reveal else ""
    filename = f"{hall.code}-cases-{period.first:%Y%m%d}-{period.last:%Y%m%d}{suffix}.{fmt}"
    return _send(spool, fmt=fmt, filename=filename, private=True)


@requires_roles(*REGISTER_ROLES)
@require_GET
def case_register_download(request: HttpRequest, fmt: str) -> HttpResponseBase:
    """The hall's case register (登记备案) for the period: one row per case with the 登记表 fields."""
    try:
        return case_register_file(request, fmt)
    except ValidationError as error:
        return _bad_request(error)


def stats_file(request: HttpRequest, fmt: str, section: str | None) -> FileResponse:
    """The dashboard's tables (``section`` None: all, a sheet each) as a file; raises Http404 for a
    section the scope has not, ValidationError for a period it cannot read."""
    scope = scope_from(request)
    period = period_from_params(request.GET)
    section = SECTION_ALIASES.get(section, section) if section is not None else None
    if section is not None and (section not in SECTIONS or (section == "halls" and not scope.is_city)):
        raise Http404
    # the figures the dashboard shows (kept a few minutes, analytics/dashboards.py)
    figures = dashboard_figures(scope=scope, period=period).figures
    if section is None:
        tables = section_tables(figures, is_city=scope.is_city)
        spool = _write(fmt, lambda out: xlsx_write(out, tables), None)
    else:
        table = section_table(figures, section)
        spool = _write(fmt, lambda out: xlsx_write(out, [table]), lambda out: csv_write(out, table))
    name = f"{scope.hall.code}{'-city' if scope.is_city else ''}-{section or 'stats'}"
    filename = f"{name}-{period.first:%Y%m%d}-{period.last:%Y%m%d}.{fmt}"
    return _send(spool, fmt=fmt, filename=filename, private=False)


def _stats_file(request: HttpRequest, fmt: str, section: str | None) -> HttpResponseBase:
    try:
        return stats_file(request, fmt, section)
    except ValidationError as error:
        return _bad_request(error)


@requires_roles(*STATS_ROLES)
@require_GET
def stats_download(request: HttpRequest) -> HttpResponseBase:
    """Every table of the dashboard in one workbook, a sheet each."""
    return _stats_file(request, "xlsx", None)


@requires_roles(*STATS_ROLES)
@require_GET
def stats_section_download(request: HttpRequest, section: str, fmt: str) -> HttpResponseBase:
    """One table of the dashboard (summary, channel, category, status, results, reasons, matters,
    departments, stages, halls, satisfaction, overdue; the dashboard's own section names too)."""
    return _stats_file(request, fmt, section)
