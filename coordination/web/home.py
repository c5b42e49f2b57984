"""The city bureau's portal on the bare base domain (public schema)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from coordination.web.display import overview_rows_html
from coordination.web.todo import city_department_sections, supervisor_sections
from coordination.web.views import overview_rows
from hallplatform.accounts.models import (
    CITY_ROLES,
    DEPARTMENT_ROLES,
    OPERATOR_ROLES,
    SYSTEM_DUTY_ROLES,
    RoleAssignment,
    RoleKind,
)
from hallplatform.todo import todo_summary
from tenants.models import Hall


def portal_home(request: HttpRequest) -> HttpResponse:
    """Start page of the city host: the person's to-do first (a supervisor's: the portal's proposals,
    meeting requests, order responses to accept; a city department's: slips, resolutions, orders),
    with the counts 逾期 / 临期 / 今日到期; then each supervised city's overview (the full portal is
    at /portal/), the halls the person supervises or operates, their departments."""
    assignments = list(
        RoleAssignment.objects.filter(user_id=request.user.pk or 0)
        .select_related("hall", "department__hall")
        .order_by("kind")
    )
    kinds = {a.kind for a in assignments}
    if kinds & set(SYSTEM_DUTY_ROLES):
        halls = list(Hall.objects.select_related("parent").order_by("level", "region_code"))
    else:
        city_ids = [a.hall_id for a in assignments if a.kind in CITY_ROLES]
        halls = list(
            Hall.objects.filter(pk__in=city_ids)
            .union(Hall.objects.filter(parent_id__in=city_ids))
            .order_by("level", "region_code")
        )
    departments = [a.department for a in assignments if a.kind in DEPARTMENT_ROLES]
    supervised = sorted(
        (a.hall for a in assignments if a.kind == RoleKind.CITY_SUPERVISOR and a.hall is not None),
        key=lambda city: city.region_code,
    )
    overviews = [(city, overview_rows_html(overview_rows(request, city))) for city in supervised]
    sections = supervisor_sections(request, supervised) if supervised else []
    if departments:
        sections += city_department_sections(request)
    port = request.get_port()
    suffix = "" if port in ("80", "443") else f":{port}"
    return render(
        request,
        "coordination/portal_home.html",
        {
            "halls": [(hall, f"{request.scheme}://{hall.code}.{settings.BASE_DOMAIN}{suffix}/") for hall in halls],
            "departments": departments,
            "is_operator": bool(kinds & set(SYSTEM_DUTY_ROLES)),
            "may_administer": bool(kinds & set(OPERATOR_ROLES)),
            "overviews": overviews,
            "sections": sections,
            "summary": todo_summary(sections),
            "is_supervisor": bool(supervised),
            "is_inspector": RoleKind.DISCIPLINE_INSPECTOR in kinds,
        },
    )
