"""API plumbing shared by every app: the one error shape, ``{"code", "message", "fields"}``, its
serializer for the schema, the page size of lists, and parsing a request's input.

Services refuse with Django's ``ValidationError`` naming the fields (``{"phone": [...]}``,
``{"slips.0.department": [...]}``). A refusal whose code is ``invalid_transition`` (the step is not
possible in the object's state) or ``conflict`` (someone changed it meanwhile: a stale version) is
answered 409 with that code; any other is 400 ``invalid``. Django's ``PermissionDenied`` is 403
``permission_denied``; ``Http404`` is 404 ``not_found``.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

# Codes of a service refusal that are about the object's state, not the input: 409 Conflict.
CONFLICT_CODES = ("conflict", "invalid_transition")


def flatten_fields(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """Nested serializer errors as dotted field names: ``{"slips": [{}, {"request": [m]}]}`` becomes
    ``{"slips.1.request": [m]}``, the names services use."""
    if isinstance(detail, dict):
        fields: dict[str, list[str]] = {}
        for key, value in detail.items():
            for name, messages in flatten_fields(value, f"{prefix}.{key}" if prefix else str(key)).items():
                fields.setdefault(name, []).extend(messages)
        return fields
    if isinstance(detail, list):
        fields = {}
        for index, item in enumerate(detail):
            if isinstance(item, dict | list):
                for name, messages in flatten_fields(item, f"{prefix}.{index}" if prefix else str(index)).items():
                    fields.setdefault(name, []).extend(messages)
            elif str(item):
                fields.setdefault(prefix, []).append(str(item))
        return fields
    return {prefix: [str(detail)]}


def validation_error_response(exc: DjangoValidationError) -> Response:
    """A service's refusal in the API's error shape (409 for a state conflict, else 400)."""
    errors = list(exc.error_dict.items()) if hasattr(exc, "error_dict") else [("", exc.error_list)]
    for field, field_errors in errors:
        for error in field_errors:
            if error.code in CONFLICT_CODES:
                message = "; ".join(error.messages)
                return Response(
                    {"code": error.code, "message": message, "fields": {field: [message]} if field else {}},
                    status=status.HTTP_409_CONFLICT,
                )
    if hasattr(exc, "error_dict"):
        fields = {field: list(messages) for field, messages in exc.message_dict.items()}
        message = _("Some fields are invalid.")
    else:
        fields = {}
        message = "; ".join(exc.messages)
    return Response({"code": "invalid", "message": message, "fields": fields}, status=status.HTTP_400_BAD_REQUEST)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Render every API error as ``{"code", "message", "fields"}``."""
    if isinstance(exc, DjangoValidationError):
        set_rollback()
        return validation_error_response(exc)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail
        fields: dict[str, Any] = {}
        if isinstance(detail, dict):
            fields = flatten_fields(detail)
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
    elif isinstance(exc, DjangoPermissionDenied):
        code = "permission_denied"
    message = response.data.get("detail", "") if isinstance(response.data, dict) else ""
    response.data = {"code": str(code), "message": str(message), "fields": {}}
    return response


class ErrorSerializer(serializers.Serializer):
    """The one error shape of the API."""

    code = serializers.CharField(
        help_text="invalid, invalid_transition, conflict, not_found, permission_denied, not_authenticated, …"
    )
    message = serializers.CharField()
    # DRF's metaclass takes the field out of the class, so it does not shadow Serializer.fields.
    fields = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()),
        help_text='Messages by field, nested fields dotted ("slips.0.department").',
    )


class Pagination(PageNumberPagination):
    """Every list of the API: 50 a page, ``page_size`` up to 200."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


def parse(serializer_class: type[serializers.Serializer], data: Any) -> dict[str, Any]:
    """The validated input, or 400 naming the fields."""
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)
