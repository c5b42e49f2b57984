"""API plumbing: the one error shape, ``{"code", "message", "fields"}``.

Services refuse with Django's ``ValidationError`` naming the fields (``{"phone": [...]}``,
``{"slips.0.department": [...]}``). A refusal whose code is ``invalid_transition`` (the step is not
possible in the object's state) or ``conflict`` (someone changed it meanwhile: a stale version) is
answered 409 with that code; any other is 400 ``invalid``. Django's ``PermissionDenied`` is 403
``permission_denied``; ``Http404`` is 404 ``not_found``.

Input plumbing of every API view: ``DepthLimitedJSONParser`` (JSON nested too deep is 400, not a
``RecursionError``) and ``PageNumberPagination`` (a page number that is not a number is 400 naming
``page``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, pagination, parsers, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback


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


class ModelSerializer(serializers.ModelSerializer):
    """DRF's model serializer whose read-only choice fields keep the model's ``blank``: a value not
    chosen yet is "" and the schema's enum says so (DRF drops ``allow_blank`` from read-only fields)."""

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        model: Any = self.Meta.model
        names = {field.name for field in model._meta.get_fields()}
        for name, field in fields.items():
            source = field.source if field.source and field.source != "*" else name
            if isinstance(field, serializers.ChoiceField) and source in names:
                model_field = model._meta.get_field(source)
                if getattr(model_field, "blank", False) and getattr(model_field, "choices", None):
                    field.allow_blank = True
        return fields


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
                fields.setdefault(prefix, []).append(error_message(item))
        return fields
    return {prefix: [error_message(detail)]}


def error_message(detail: Any) -> str:
    """A field's message; DRF's for a null character reads "empty string not allowed" in Chinese."""
    if getattr(detail, "code", None) == "null_characters_not_allowed":
        return _("Text may not contain a null character (\\0).")
    return str(detail)


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


# --- Parsing ----------------------------------------------------------------------------------------


def json_depth_exceeds(data: Any, max_depth: int) -> bool:
    """Whether ``data`` nests lists and objects deeper than ``max_depth`` (counted without recursion)."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children: Any = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > max_depth:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


class DepthLimitedJSONParser(parsers.JSONParser):
    """DRF's JSON parser, refusing (400) a body nested deeper than ``API_JSON_MAX_DEPTH`` lists and
    objects: no input of the API nests more than a few levels, and a deep one must not reach the
    serializers (or exhaust the parser's recursion)."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Mapping[str, Any] | None = None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise exceptions.ParseError(self.too_deep_message()) from exc
        if json_depth_exceeds(data, int(settings.API_JSON_MAX_DEPTH)):
            raise exceptions.ParseError(self.too_deep_message())
        return data

    @staticmethod
    def too_deep_message() -> str:
        return _("The JSON body is nested deeper than %(depth)s levels.") % {"depth": settings.API_JSON_MAX_DEPTH}


# --- Pagination -------------------------------------------------------------------------------------


class PageNumberPagination(pagination.PageNumberPagination):
    """Pages of 50 (``page_size`` up to 200); ``page`` and ``page_size`` that are not whole numbers
    from 1 are 400 naming the parameter (DRF answers 404 for them)."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> list[Any] | None:
        errors: dict[str, list[str]] = {}
        for name in (self.page_query_param, self.page_size_query_param):
            value = request.query_params.get(name)
            if value is None or (name == self.page_query_param and value in self.last_page_strings):
                continue
            if not (value.isascii() and value.isdigit() and int(value) >= 1):
                errors[name] = [_("Give a whole number from 1.")]
        if errors:
            raise exceptions.ValidationError(errors)
        return super().paginate_queryset(queryset, request, view)


def parse(serializer_class: type[serializers.Serializer], data: Any) -> dict[str, Any]:
    """The validated input, or 400 naming the fields."""
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)
