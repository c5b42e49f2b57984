"""The window's workbench on a hall's host."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from hallplatform.access import request_roles
from hallplatform.accounts.models import RoleKind
from tenants.selectors import department_list_routable_from


def hall_home(request: HttpRequest) -> HttpResponse:
    """The hall's start page: who you are here and where this hall can transfer to."""
    route = request.hall_route  # type: ignore[attr-defined]
    departments = list(department_list_routable_from(hall_id=route.hall_id, city_id=route.city_id))
    return render(
        request,
        "casework/hall_home.html",
        {
            "route": route,
            "role_labels": [RoleKind(kind).label for kind in sorted(request_roles(request))],
            "own_departments": [d for d in departments if d.hall_id == route.hall_id],
            "city_departments": [d for d in departments if d.hall_id != route.hall_id],
        },
    )
