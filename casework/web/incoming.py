"""Transfers across halls into this hall (异地转办): the list of slips other halls sent to this hall's
departments, for its hall lead, read-only, on the hall's host (docs/casework.md)."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from casework.choices import SlipStatus
from casework.selectors import slip_list_routed_to_hall
from hallplatform.accounts.access import requires_roles
from hallplatform.accounts.models import RoleKind

PAGE_SIZE = 50


@requires_roles(RoleKind.HALL_LEAD)
@require_GET
def incoming_slips(request: HttpRequest) -> HttpResponse:
    """The slips other halls sent to this hall's departments, newest first (read-only)."""
    rows = slip_list_routed_to_hall(actor=request.user, hall_id=request.hall_route.hall_id)  # type: ignore[attr-defined]
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    labels = dict(SlipStatus.choices)
    entries = [(entry, labels.get(entry.status, entry.status)) for entry in page]
    return render(request, "casework/incoming_slips.html", {"page": page, "entries": entries})
