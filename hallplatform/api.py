"""API plumbing: the one error shape, ``{"code", "message", "fields"}``."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Render every API error as ``{"code", "message", "fields"}``."""
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail
        fields: dict[str, Any] = {}
        if isinstance(detail, dict):
            fields = {
                key: [str(item) for item in value] if isinstance(value, list) else [str(value)]
                for key, value in detail.items()
            }
            message = _("Some fields are invalid.")
        else:
            message = "; ".join(str(item) for item in detail) if isinstance(detail, list) else str(detail)
        response.data = {"code": "invalid", "message": message, "fields": fields}
        return response
    code = "error"
    if isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else exc.default_code
    elif isinstance(exc, Http404):
        code = "not_found"
    message = response.data.get("detail", "") if isinstance(response.data, dict) else ""
    response.data = {"code": str(code), "message": str(message), "fields": {}}
    return response
