from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from hallplatform.accounts.access import request_roles


def hall(request: HttpRequest) -> dict[str, Any]:
    """The hall of the host (None on the city portal) and the user's roles there, for templates."""
    user = getattr(request, "user", None)
    roles = request_roles(request) if user is not None and user.is_authenticated else frozenset()
    return {
        "current_hall": getattr(request, "tenant", None) if getattr(request, "hall_route", None) else None,
        "host_roles": roles,
        "base_domain": settings.BASE_DOMAIN,
    }
