"""The person's online report in the public API (docs/online-reporting.md, "API"): on a hall's host only,
no login; the same checks, limits and answers as the /report/ pages (casework/reports.py).

Stateless: the code request sends a code; the report carries the phone and that code, checked only after
the report itself passed its checks (a refused report does not use up the code)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from casework.choices import ApplicantKind
from casework.progress import progress_link
from casework.reports import (
    ENTERPRISE_MAX_LENGTH,
    MATTER_MAX_LENGTH,
    Photo,
    ReportData,
    report_code_address_refused,
    report_code_blocked_seconds,
    report_code_captcha_required,
    report_code_check,
    report_code_send,
    report_phone_clean,
    report_submit,
    report_submit_check,
)
from hallplatform import limits
from hallplatform.api import ErrorSerializer, parse
from hallplatform.captcha import KEY_MAX_LENGTH, VALUE_MAX_LENGTH, captcha_check, code_request_record
from hallplatform.clientip import client_ip
from hallplatform.throttling import page_address_throttle


class ReportCodeRequestSerializer(serializers.Serializer):
    phone = serializers.CharField(max_length=limits.PHONE_MAX_LENGTH, help_text="The person's mainland mobile.")
    captcha_key = serializers.CharField(
        required=False,
        max_length=KEY_MAX_LENGTH,
        help_text="After an address's first code requests: the key of a picture from "
        "GET /api/v1/public/progress/captcha/.",
    )
    captcha_value = serializers.CharField(
        required=False, max_length=VALUE_MAX_LENGTH, help_text="The characters in that picture."
    )


class ReportCodeSentSerializer(serializers.Serializer):
    message = serializers.CharField(max_length=200)


class OnlineReportSerializer(serializers.Serializer):
    phone = serializers.CharField(max_length=limits.PHONE_MAX_LENGTH)
    code = serializers.CharField(max_length=6, help_text="The 6-digit code sent by SMS (5 minutes, good once).")
    applicant_kind = serializers.ChoiceField(choices=ApplicantKind.choices)
    applicant_name = serializers.CharField(max_length=limits.NAME_MAX_LENGTH, allow_blank=True)
    enterprise_name = serializers.CharField(max_length=ENTERPRISE_MAX_LENGTH, allow_blank=True, required=False)
    matter_name = serializers.CharField(max_length=MATTER_MAX_LENGTH, allow_blank=True)
    problem = serializers.CharField(max_length=limits.TEXT_MAX_LENGTH, allow_blank=True)
    consent = serializers.BooleanField(help_text="Consent to the personal-data notice (个人信息处理告知).")
    id_photo_consent = serializers.BooleanField(
        required=False, default=False, help_text="Separate consent to photos of documents; needed with photos."
    )
    photos = serializers.ListField(
        child=serializers.FileField(max_length=100), required=False, default=list, help_text="JPEG, PNG or PDF."
    )


class ReportReceivedSerializer(serializers.Serializer):
    status = serializers.CharField(max_length=20)
    progress_url = serializers.CharField(max_length=300, help_text="The report's own progress link (keep it).")


ERRORS = {400: ErrorSerializer, 404: ErrorSerializer, 429: ErrorSerializer}


def _hall(request: Request) -> Any:
    if getattr(request._request, "hall_route", None) is None:
        raise Http404
    return request._request.tenant  # type: ignore[attr-defined]


def _too_many(seconds: int) -> Response:
    response = Response(
        {"code": "throttled", "message": _("Too many tries. Please try again later."), "fields": {}},
        status=status.HTTP_429_TOO_MANY_REQUESTS,
    )
    response["Retry-After"] = str(seconds)
    return response


def _throttled(request: Request) -> Response | None:
    wait = page_address_throttle(request._request, scope="report", rate_setting="REPORT_THROTTLE_RATE")
    return _too_many(wait) if wait else None


class PublicView(APIView):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_classes: list[Any] = []


class ReportCodeView(PublicView):
    @extend_schema(
        tags=["public"],
        summary="Send a one-time code to the mobile of a person who wants to report online",
        request=ReportCodeRequestSerializer,
        responses={202: ReportCodeSentSerializer, **ERRORS},
    )
    def post(self, request: Request) -> Response:
        hall = _hall(request)
        if (refused := _throttled(request)) is not None:
            return refused
        data = parse(ReportCodeRequestSerializer, request.data)
        phone = report_phone_clean(data["phone"])
        address = client_ip(request._request)
        if report_code_address_refused(address=address):
            return _too_many(3600)
        if report_code_captcha_required(address=address) and not captcha_check(
            key=data.get("captcha_key", ""), value=data.get("captcha_value", "")
        ):
            message = _("Solve the picture first: get one from the captcha endpoint and send its characters.")
            return Response(
                {"code": "captcha_required", "message": message, "fields": {"captcha_value": [message]}},
                status=status.HTTP_400_BAD_REQUEST,
            )
        code_request_record(address=address, scope="report")
        report_code_send(phone=phone, address=address, hall=hall)
        minutes = max(1, settings.PROGRESS_CODE_SECONDS // 60)
        message = _("If the number can receive SMS, a code has been sent to it. It is valid for %(minutes)d minutes.")
        return Response({"message": message % {"minutes": minutes}}, status=status.HTTP_202_ACCEPTED)


class ReportView(PublicView):
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(
        tags=["public"],
        summary="Send an online report with the SMS code (multipart for photos)",
        request={"multipart/form-data": OnlineReportSerializer, "application/json": OnlineReportSerializer},
        responses={201: ReportReceivedSerializer, **ERRORS},
    )
    def post(self, request: Request) -> Response:
        hall = _hall(request)
        if (refused := _throttled(request)) is not None:
            return refused
        data = parse(OnlineReportSerializer, request.data)
        limit = settings.REPORT_PHOTO_MAX_BYTES + 1
        report_data = ReportData(
            phone=report_phone_clean(data["phone"]),
            applicant_kind=data["applicant_kind"],
            applicant_name=data["applicant_name"],
            enterprise_name=data.get("enterprise_name", ""),
            matter_name=data["matter_name"],
            problem=data["problem"],
            consent=data["consent"],
            id_photo_consent=data["id_photo_consent"],
            photos=[Photo(content=upload.read(limit)) for upload in data["photos"]],
        )
        report_submit_check(data=report_data)
        address = client_ip(request._request)
        if blocked := report_code_blocked_seconds(phone=report_data.phone, address=address):
            return _too_many(blocked)
        if not report_code_check(phone=report_data.phone, code=data["code"], address=address):
            message = _("The code does not match, was used or has expired. Ask for a new one.")
            raise ValidationError({"code": [message]})
        _report, token = report_submit(hall=hall, data=report_data, address=address)
        origin = f"{request.scheme}://{request.get_host()}"
        return Response(
            {"status": "pending", "progress_url": progress_link(origin=origin, token=token)},
            status=status.HTTP_201_CREATED,
        )
