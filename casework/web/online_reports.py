"""The window's pages for online reports (docs/online-reporting.md): the reports to screen, one report
with its accept and decline forms, its photos (audited), and the printable poster of the /report/ QR."""

from __future__ import annotations

from typing import Any

import segno
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from casework.choices import ReportStatus
from casework.models import OnlineReport, StoredFile
from casework.reports import (
    report_accept,
    report_decline,
    report_file_read,
    report_list_for_hall,
    report_screening_deadline,
)
from hallplatform.accounts.access import requires_roles
from hallplatform.accounts.models import RoleKind
from hallplatform.deadlines.badges import deadline_badge
from hallplatform.personal import DocumentType, free_text, mask_mobile, mask_name
from tenants.models import Hall

WORK_ROLES = (RoleKind.WINDOW_STAFF, RoleKind.HALL_LEAD)
QR_MODULE_MM = 1.6  # a poster: the /report/ address prints about 5 cm wide


def _hall(request: HttpRequest) -> Any:
    return request.tenant  # type: ignore[attr-defined]


@requires_roles(*WORK_ROLES)
@require_GET
def report_list(request: HttpRequest) -> HttpResponse:
    """Pending online reports, oldest first, with their screening deadline; the lead also sees the
    accepted and declined ones (?status=)."""
    status = request.GET.get("status", ReportStatus.PENDING)
    if status not in ReportStatus.values:
        status = ReportStatus.PENDING
    reports = list(report_list_for_hall(actor=request.user, hall=_hall(request), status=status)[:200])
    now = timezone.now()
    rows = []
    for report in reports:
        deadline = report_screening_deadline(hall=_hall(request), report=report)
        rows.append(
            {
                "report": report,
                "badge": deadline_badge(deadline, now) if deadline is not None and deadline.is_live else None,
                "applicant": report.enterprise_name or mask_name(str(report.applicant_name or "")),
            }
        )
    return render(
        request,
        "casework/online/report_list.html",
        {"rows": rows, "status": status, "statuses": ReportStatus.choices},
    )


@requires_roles(*WORK_ROLES)
@require_http_methods(["GET", "POST"])
@never_cache
def report_detail(request: HttpRequest, report_id: int) -> HttpResponse:
    """One online report: what the person wrote (personal data masked), the photos, and the screening:
    accept (the window completes the document; the case gets its NO) or decline with a reason."""
    report = OnlineReport.objects.filter(pk=report_id).first()
    if report is None:
        raise Http404
    errors: dict[str, str] = {}
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "accept":
                case = report_accept(
                    report=report,
                    actor=request.user,
                    hall=_hall(request),
                    document_type=request.POST.get("document_type", ""),
                    document_number=request.POST.get("document_number", "")[:60],
                    address=request.POST.get("address", "")[:300],
                    expected_version=int(request.POST.get("version") or 0) or None,
                )
                messages.success(request, _("Accepted: case %(number)s registered.") % {"number": case.number})
                return redirect("cases:detail", case.pk)
            if action == "decline":
                report_decline(
                    report=report,
                    actor=request.user,
                    hall=_hall(request),
                    reason=request.POST.get("reason", "")[:2001],
                    expected_version=int(request.POST.get("version") or 0) or None,
                )
                messages.success(request, _("The report was not taken; no NO was used."))
                return redirect("cases:online_reports")
        except ValidationError as exc:
            errors = {name: messages_[0] for name, messages_ in exc.message_dict.items()}
    deadline = report_screening_deadline(hall=_hall(request), report=report)
    return render(
        request,
        "casework/online/report_detail.html",
        {
            "report": report,
            "applicant": mask_name(str(report.applicant_name or "")),
            "phone": mask_mobile(str(report.phone or "")),
            "problem": free_text(str(report.problem or ""), revealed=False),
            "files": list(StoredFile.objects.filter(report=report)),
            "deadline": deadline,
            "badge": deadline_badge(deadline, timezone.now()) if deadline is not None and deadline.is_live else None,
            "document_types": DocumentType.choices,
            "errors": errors,
            "post": request.POST if request.method == "POST" else {},
            "pending": report.status == ReportStatus.PENDING,
        },
        status=400 if errors else 200,
    )


@requires_roles(*WORK_ROLES)
@require_GET
@never_cache
def report_file(request: HttpRequest, report_id: int, file_id: int) -> HttpResponse:
    """A photo of a report, for the hall's staff only, audited (``report.file_view``)."""
    stored = StoredFile.objects.filter(pk=file_id, report_id=report_id).select_related("report").first()
    if stored is None or stored.report is None:
        raise Http404
    content = report_file_read(report=stored.report, stored=stored, actor=request.user, hall=_hall(request))
    response = HttpResponse(content, content_type=stored.content_type)
    response["Content-Disposition"] = "inline"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response


@requires_roles(*WORK_ROLES)
@require_GET
def report_poster(request: HttpRequest) -> HttpResponse:
    """An A4 poster for the counters and the entrance: the hall's /report/ address as a QR code."""
    url = f"{request.scheme}://{request.get_host()}{reverse('report:start')}"
    svg = segno.make(url, error="m").svg_inline(
        scale=QR_MODULE_MM, unit="mm", border=2, svgclass="poster-qr-code", title=_("QR code of the report page")
    )
    hall = Hall.objects.filter(pk=_hall(request).pk).values("name", "phone", "address").first() or {}
    return render(
        request,
        "casework/online/poster.html",
        {"url": url, "svg": mark_safe(svg), "hall": hall},  # noqa: S308 (segno's own markup)
    )
