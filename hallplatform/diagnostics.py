"""A hall lead's (or system administrator's) check that a Celery worker runs this hall's tasks in its schema."""

from __future__ import annotations

import logging

from celery.exceptions import TimeoutError as CeleryTimeout
from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from hallplatform.accounts.access import requires_roles
from hallplatform.accounts.models import SYSTEM_DUTY_ROLES, RoleKind
from hallplatform.caching import BROKER_ERRORS
from hallplatform.tasks import schema_probe_task

logger = logging.getLogger(__name__)

PROBE_TIMEOUT_SECONDS = 10


def _error(code: str, message: str, *, status: str) -> JsonResponse:
    """The API's error shape ``{"code", "message", "fields"}`` (hallplatform/api.py), with the
    ``status`` this page has always answered."""
    return JsonResponse({"status": status, "code": code, "message": message, "fields": {}}, status=503)


def _broker_failure(error: BaseException) -> bool:
    """The broker or the result store cannot be reached. Celery's result store gives up reconnecting
    with a RuntimeError raised from the connection error."""
    return isinstance(error, BROKER_ERRORS) or (
        isinstance(error, RuntimeError) and isinstance(error.__cause__, BROKER_ERRORS)
    )


@never_cache
@requires_roles(RoleKind.HALL_LEAD, *SYSTEM_DUTY_ROLES)
def worker_check(request: HttpRequest) -> JsonResponse:
    try:
        answer = schema_probe_task.delay().get(timeout=PROBE_TIMEOUT_SECONDS)
    except CeleryTimeout:
        return _error("worker_timeout", _("No worker answered within 10 seconds."), status="timeout")
    except Exception as error:
        if not _broker_failure(error):
            raise
        logger.warning("worker check: the broker cannot be reached: %s", error.__cause__ or error)
        return _error(
            "broker_unavailable", _("The task queue (Redis) cannot be reached; try again later."), status="unavailable"
        )
    route = getattr(request, "hall_route", None)
    expected = route.schema_name if route is not None else "public"
    return JsonResponse(
        {
            "status": "ok" if answer["schema"] == expected else "wrong_schema",
            "expected_schema": expected,
            "task": answer,
        }
    )
