"""Request guards in front of every view: the size of a request's body, and JSON errors under ``/api/``.

* ``RequestBodyLimitMiddleware`` answers 413 to a body larger than ``REQUEST_BODY_MAX_BYTES``
  (``UPLOAD_BODY_MAX_BYTES`` for a ``multipart/form-data`` upload) before anything reads it. Under
  WSGI a body is read no further than its ``Content-Length`` (a body without one reads as empty), so
  the declared length is the length that can be read. Django's own ``DATA_UPLOAD_MAX_MEMORY_SIZE``
  (a form's fields) raising ``RequestDataTooBig`` is answered 413 the same way.
* ``ApiErrorMiddleware`` renders any answer under ``/api/`` that is not already JSON (Django's 404
  for an unknown path or a malformed id, its 400, 413 and 500 pages) in the API's error shape
  ``{"code", "message", "fields"}`` (hallplatform/api.py), so an API client never gets HTML.

docs/security.md ("Input limits", "API conformance") describes both.
"""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

API_PREFIX = "/api/"

# Codes of the error shape for the statuses Django answers itself under /api/.
STATUS_CODES = {
    400: "invalid",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "request_too_large",
    429: "throttled",
    500: "server_error",
}


def is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith(API_PREFIX)


def body_limit(request: HttpRequest) -> int:
    """The most bytes this request's body may have."""
    if request.content_type == "multipart/form-data":
        return int(settings.UPLOAD_BODY_MAX_BYTES)
    return int(settings.REQUEST_BODY_MAX_BYTES)


def error_response(request: HttpRequest, status: int, message: str) -> HttpResponse:
    """An error in the API's shape under /api/, a short plain page elsewhere."""
    if is_api(request):
        code = STATUS_CODES.get(status, "error")
        return JsonResponse({"code": code, "message": message, "fields": {}}, status=status)
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


def too_large_response(request: HttpRequest) -> HttpResponse:
    limit = body_limit(request)
    message = _("The request body is larger than %(limit)s bytes.") % {"limit": limit}
    return error_response(request, HTTPStatus.REQUEST_ENTITY_TOO_LARGE, message)


class RequestBodyLimitMiddleware:
    """413 for a body over the limit, before any middleware or view reads it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return error_response(request, HTTPStatus.BAD_REQUEST, _("The Content-Length header is not a number."))
        if length > body_limit(request):
            return too_large_response(request)
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, RequestDataTooBig):
            return too_large_response(request)
        return None


def is_json(response: HttpResponse) -> bool:
    return str(response.get("Content-Type", "")).split(";")[0].strip().endswith("json")


class ApiErrorMiddleware:
    """Every error under /api/ in the API's error shape, whoever answered it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not is_api(request) or response.status_code < 400 or is_json(response) or response.streaming:
            return response
        status = response.status_code
        if status == HTTPStatus.REQUEST_ENTITY_TOO_LARGE:
            return too_large_response(request)
        data = getattr(response, "data", None)
        if isinstance(data, dict) and {"code", "message", "fields"} <= data.keys():
            # a DRF view rendering its error (already in the shape) with a renderer of its own (the
            # schema's YAML, the docs' HTML)
            replacement: HttpResponse = JsonResponse(
                {"code": data["code"], "message": data["message"], "fields": data["fields"]}, status=status
            )
        else:
            messages = {
                400: _("Bad request."),
                401: _("Log in or send an API token."),
                403: _("Forbidden."),
                404: _("Not found."),
                405: _("This method is not allowed here."),
            }
            replacement = error_response(request, status, messages.get(status, _("A server error occurred.")))
        # keep what the answer said besides its body: Allow, WWW-Authenticate, Retry-After, and the
        # headers the outer middleware set (Content-Security-Policy, Cache-Control, …)
        for header, value in response.items():
            if header.lower() not in ("content-type", "content-length"):
                replacement[header] = value
        return replacement
