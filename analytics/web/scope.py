"""The scope and period of a statistics request (exports, reports).

The scope comes from the host only: on a hall's host it is that hall; on the base domain it is the
city the supervisor supervises (``?city=<id>`` chooses among several; anyone else's city is 404,
like a city that does not exist). The period is ``?first=YYYY-MM-DD&last=YYYY-MM-DD``, by default
the current month.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from analytics.selectors import Period, Scope
from coordination.selectors import city_for_supervisor
from tenants.models import Hall

# A period longer than this is a mistake, not a question (ten years).
MAX_PERIOD_DAYS = 3660


def _date(value: str, field: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ValidationError({field: [_("Enter a date as YYYY-MM-DD.")]}) from None


def period_from(params: Mapping[str, Any], *, today: date | None = None) -> Period:
    """The period of ``first`` and ``last`` (inclusive); missing ones default to the current month.
    Raises ValidationError naming the field."""
    default = Period.month_of(today or timezone.localdate())
    first_text, last_text = (params.get("first") or "").strip(), (params.get("last") or "").strip()
    first = _date(first_text, "first") if first_text else default.first
    last = _date(last_text, "last") if last_text else default.last
    if last < first:
        raise ValidationError({"last": [_("The end of the period cannot be before its start.")]})
    if (last - first).days >= MAX_PERIOD_DAYS:
        raise ValidationError({"last": [_("A period is at most ten years long.")]})
    return Period(first=first, last=last)


def host_hall(request: HttpRequest) -> Hall | None:
    """The hall of the host, fresh from the database (None on the base domain)."""
    route = getattr(request, "hall_route", None)
    if route is None:
        return None
    return Hall.objects.select_related("parent").get(pk=route.hall_id)


def scope_from(request: HttpRequest) -> Scope:
    """The hall of a hall's host; on the base domain the supervisor's city (404 for anyone else)."""
    hall = host_hall(request)
    if hall is not None:
        return Scope.of_hall(hall)
    city_param = request.GET.get("city") or request.POST.get("city") or ""
    try:
        city_id = int(city_param) if city_param else None
    except ValueError:
        raise Http404 from None
    return Scope.of_city(city_for_supervisor(actor=request.user, city_id=city_id))
