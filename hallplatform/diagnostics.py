"""A hall lead's (or system administrator's) check that a Celery worker runs this hall's tasks in its schema."""

from __future__ import annotations

from celery.exceptions import TimeoutError as CeleryTimeout
from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from hallplatform.accounts.access import requires_roles
from hallplatform.accounts.models import SYSTEM_DUTY_ROLES, RoleKind
from hallplatform.tasks import schema_probe_task

PROBE_TIMEOUT_SECONDS = 10


@never_cache
@requires_roles(RoleKind.HALL_LEAD, *SYSTEM_DUTY_ROLES)
def worker_check(request: HttpRequest) -> JsonResponse:
    result = schema_probe_task.delay()
    try:
        answer = result.get(timeout=PROBE_TIMEOUT_SECONDS)
    except CeleryTimeout:
        return JsonResponse({"status": "timeout", "message": _("No worker answered within 10 seconds.")}, status=503)
    route = getattr(request, "hall_route", None)
    expected = route.schema_name if route is not None else "public"
    return JsonResponse(
        {
            "status": "ok" if answer["schema"] == expected else "wrong_schema",
            "expected_schema": expected,
            "task": answer,
        }
    )
