"""The security log page (/security-log/): hall leads on their hall's host, the audit administrator
(and the combined platform operator) on the base domain."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from hallplatform.accounts.access import request_roles, requires_roles
from hallplatform.securitylog.forms import SecurityLogFilterForm, security_log_filter
from hallplatform.securitylog.selectors import (
    SECURITY_LOG_ROLES,
    SecurityLogFilter,
    security_event_list_for_staff,
    security_log_rows,
)

PAGE_SIZE = 50
ACTION_GROUPS = ("login", "api_token", "two_factor", "otp", "role", "user", "case.reveal", "case.export", "audit")


@never_cache
@requires_roles(*SECURITY_LOG_ROLES)
@require_GET
def security_log(request: HttpRequest) -> HttpResponse:
    form = SecurityLogFilterForm(request.GET or None)
    filters = security_log_filter(form.cleaned_data) if form.is_valid() else SecurityLogFilter()
    status = 400 if form.is_bound and not form.is_valid() else 200
    events = security_event_list_for_staff(
        roles=request_roles(request), route=getattr(request, "hall_route", None), filters=filters, user=request.user
    )
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "securitylog/security_log.html",
        {
            "form": form,
            "page": page,
            "rows": security_log_rows(list(page.object_list)),
            "query": query.urlencode(),
            "action_groups": ACTION_GROUPS,
            "all_halls": getattr(request, "hall_route", None) is None,
        },
        status=status,
    )
