"""The request an audit event is written for: its address, user agent and host's hall."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from hallplatform.audit.services import audit_request
from hallplatform.clientip import request_origin


class AuditRequestMiddleware:
    """Security events written while answering a request carry where it came from (after
    HallRoutingMiddleware, which names the host's hall)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        hall = getattr(request, "tenant", None) if getattr(request, "hall_route", None) else None
        with audit_request(origin=request_origin(request), hall=hall):
            return self.get_response(request)
