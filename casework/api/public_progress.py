"""The person's progress as JSON (`/api/v1/public/progress/`), on a hall's host, without a login
(docs/progress-page.md, "The API"; docs/api.md, "Public endpoints").

Stateless: every call proves who the person is, with the NO or the printed link's token plus the last
four digits of the registered phone or a one-time code, checked by the same functions as the page
(casework/progress.py) and counted in the same failure rows under the same keys, so that wrong tries
on the page and in the API add up to one block. The same per-address rate as the pages (scope
"progress"). An unknown NO or token answers exactly like wrong digits. On the city portal (the base
domain) every call is 404.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from casework.choices import CaseResult, CaseStatus
from casework.progress import (
    number_key,
    progress_blocked_seconds,
    progress_case_by_number,
    progress_case_by_token,
    progress_code_address_refused,
    progress_code_send,
    progress_failure_record,
    progress_secret_check,
    progress_summary,
    progress_view_record,
    token_key,
)
from casework.web.person_progress import CODE_SENT, NUMBER_MAX_LENGTH, TOKEN_MAX_LENGTH, WRONG
from hallplatform.api import ErrorSerializer, parse
from hallplatform.captcha import (
    KEY_MAX_LENGTH,
    VALUE_MAX_LENGTH,
    captcha_check,
    captcha_new,
    captcha_required,
    code_request_record,
)
from hallplatform.clientip import client_ip
from hallplatform.throttling import page_address_throttle
from tenants.models import Hall

STEP_STATES = ("done", "current", "todo", "skipped")


# --- Serializers -------------------------------------------------------------------------------------


class ProofSerializer(serializers.Serializer):
    """Who the person is: the NO or the token, and the last four digits or a one-time code."""

    number = serializers.CharField(
        required=False, max_length=NUMBER_MAX_LENGTH, help_text="The case's NO (in the SMS)."
    )
    token = serializers.CharField(
        required=False, max_length=TOKEN_MAX_LENGTH, help_text="The token of the printed QR code's link."
    )
    last_four = serializers.RegexField(
        r"^[0-9]{4}$", required=False, max_length=4, help_text="Last four digits of the registered phone."
    )
    code = serializers.RegexField(r"^[0-9]{6}$", required=False, max_length=6, help_text="A one-time code.")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        errors: dict[str, list[str]] = {}
        if bool(attrs.get("number", "").strip()) == bool(attrs.get("token", "").strip()):
            errors["number"] = [_("Give either the NO or the token of the link.")]
        if bool(attrs.get("last_four")) == bool(attrs.get("code")):
            errors["last_four"] = [_("Give either the last four digits of your phone or a code.")]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class CodeRequestSerializer(serializers.Serializer):
    number = serializers.CharField(max_length=NUMBER_MAX_LENGTH, help_text="The case's NO (in the SMS).")
    captcha_key = serializers.CharField(
        required=False, max_length=KEY_MAX_LENGTH, help_text="The key of a picture from GET captcha/."
    )
    captcha_value = serializers.CharField(
        required=False, max_length=VALUE_MAX_LENGTH, help_text="The characters in that picture."
    )


class StepSerializer(serializers.Serializer):
    key = serializers.ChoiceField(choices=["registered", "transferred", "replied", "told", "followed_up", "closed"])
    # DRF's metaclass takes the field out of the class, so it does not shadow Field.label.
    label = serializers.CharField()  # type: ignore[assignment]
    state = serializers.ChoiceField(choices=STEP_STATES)
    at = serializers.DateTimeField(allow_null=True)
    due_at = serializers.DateTimeField(allow_null=True, help_text="Due date of the step under way.")


class ToldSerializer(serializers.Serializer):
    label = serializers.CharField()  # type: ignore[assignment]
    text = serializers.CharField(help_text="Masked like every text shown to the person.")


class HallContactSerializer(serializers.Serializer):
    name = serializers.CharField()
    phone = serializers.CharField(allow_blank=True)
    address = serializers.CharField(allow_blank=True)


class ProgressSerializer(serializers.Serializer):
    """What the progress page shows: no internal note, no staff name but the 经办人, data masked."""

    number = serializers.CharField()
    matter = serializers.CharField()
    status = serializers.ChoiceField(choices=CaseStatus.choices)
    status_label = serializers.CharField()
    applicant = serializers.CharField(allow_blank=True, help_text="Masked (张*), or the enterprise's name.")
    phone = serializers.CharField(allow_blank=True, help_text="Masked (138****5678).")
    handler = serializers.CharField(allow_blank=True, help_text="The 经办人 of the 登记表.")
    handler_phone = serializers.CharField(allow_blank=True)
    steps = StepSerializer(many=True)
    result = serializers.ChoiceField(choices=CaseResult.choices, allow_blank=True, help_text="Once told.")
    result_label = serializers.CharField(allow_blank=True)
    told = ToldSerializer(many=True, help_text="What the person was told, once told.")
    told_at = serializers.DateTimeField(allow_null=True)
    finished = serializers.BooleanField()
    hall = HallContactSerializer()


class CodeSentSerializer(serializers.Serializer):
    message = serializers.CharField(help_text="The same whether the NO exists or not.")
    captcha_required = serializers.BooleanField(help_text="Whether the next code request needs a picture solved.")


class CaptchaSerializer(serializers.Serializer):
    key = serializers.CharField()
    image_url = serializers.URLField()
    audio_url = serializers.URLField(allow_null=True, help_text="null when the server cannot speak it (no flite).")
    captcha_required = serializers.BooleanField(help_text="Whether this address must solve one before its next code.")


# --- Plumbing ------------------------------------------------------------------------------------------


def _hall(request: Request) -> Any:
    """The hall of the request's host; on the city portal there is no progress: 404."""
    if getattr(request._request, "hall_route", None) is None:
        raise Http404
    return request._request.tenant  # type: ignore[attr-defined]


def _too_many(seconds: int) -> Response:
    minutes = max(1, (seconds + 59) // 60)
    message = _("Too many tries. For your safety, try again in %(minutes)d minutes.") % {"minutes": minutes}
    return Response(
        {"code": "throttled", "message": message, "fields": {}},
        status=status.HTTP_429_TOO_MANY_REQUESTS,
        headers={"Retry-After": str(seconds)},
    )


def _throttled(request: Request, *, scope: str = "progress", rate: str = "PROGRESS_THROTTLE_RATE") -> Response | None:
    wait = page_address_throttle(request._request, scope=scope, rate_setting=rate)
    return _too_many(wait) if wait else None


def _contact(hall: Any) -> dict[str, str]:
    row = Hall.objects.filter(pk=hall.pk).values("name", "phone", "address").first() or {}
    return {"name": row.get("name") or "", "phone": row.get("phone") or "", "address": row.get("address") or ""}


PUBLIC_ERRORS = {
    400: ErrorSerializer,
    404: OpenApiResponse(ErrorSerializer, description="On the city portal (the base domain)."),
    429: OpenApiResponse(ErrorSerializer, description="Too many requests or wrong tries; see Retry-After."),
}


class PublicView(APIView):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_classes: list[Any] = []


# --- Views ---------------------------------------------------------------------------------------------


class ProgressView(PublicView):
    """The progress of the person's case."""

    @extend_schema(
        tags=["public"],
        summary="The progress of my case",
        description=(
            "Give the NO (or the token of the printed link) and the last four digits of the registered "
            "phone (or a one-time code). Wrong details, an unknown NO and an unknown token answer alike "
            "(400) and are counted with the progress page's: after PROGRESS_FAILURE_LIMIT within "
            "PROGRESS_BLOCK_MINUTES, 429 with Retry-After, even for the right details."
        ),
        request=ProofSerializer,
        responses={200: ProgressSerializer, **PUBLIC_ERRORS},
    )
    def post(self, request: Request) -> Response:
        hall = _hall(request)
        if (refused := _throttled(request)) is not None:
            return refused
        proof = parse(ProofSerializer, request.data)
        if proof.get("number"):
            number = proof["number"].strip()
            case, key, via = progress_case_by_number(number), number_key(number), "number"
        else:
            token = proof["token"].strip()
            case, key, via = progress_case_by_token(token), token_key(token), "token"
        address = client_ip(request._request)
        if blocked := progress_blocked_seconds(key=key, address=address):
            progress_failure_record(key=key, address=address)  # hammering keeps it blocked
            return _too_many(blocked)
        secret_field = "last_four" if proof.get("last_four") else "code"
        method = progress_secret_check(case=case, secret=proof[secret_field])
        if not method or case is None:
            progress_failure_record(key=key, address=address)
            if blocked := progress_blocked_seconds(key=key, address=address):
                return _too_many(blocked)
            return Response(
                {"code": "invalid", "message": str(WRONG), "fields": {secret_field: [str(WRONG)]}},
                status=status.HTTP_400_BAD_REQUEST,
            )
        progress_view_record(case=case, hall=hall, address=address, via=via, method=method)
        summary = progress_summary(case=case, hall=hall)
        data = {**summary.__dict__, "steps": [step.__dict__ for step in summary.steps], "hall": _contact(hall)}
        data["told"] = [{"label": label, "text": text} for label, text in summary.told]
        return Response(ProgressSerializer(data).data)


class ProgressCodeView(PublicView):
    """Ask for a one-time code sent to the phone registered with the case."""

    @extend_schema(
        tags=["public"],
        summary="Send me a one-time code",
        description=(
            "The answer is the same whether the NO exists or not. After the address's first "
            "CAPTCHA_AFTER_CODE_REQUESTS requests within CAPTCHA_WINDOW_MINUTES (page and API together), "
            "a picture from GET captcha/ must be solved: without it, or wrong, 400 with code "
            "captcha_required naming captcha_value, and nothing is sent. Over PROGRESS_CODE_ADDRESS_LIMIT "
            "codes an hour: 429."
        ),
        request=CodeRequestSerializer,
        responses={200: CodeSentSerializer, **PUBLIC_ERRORS},
    )
    def post(self, request: Request) -> Response:
        hall = _hall(request)
        if (refused := _throttled(request)) is not None:
            return refused
        data = parse(CodeRequestSerializer, request.data)
        address = client_ip(request._request)
        if progress_code_address_refused(address=address):
            return _too_many(3600)
        if captcha_required(address) and not captcha_check(
            key=data.get("captcha_key", ""), value=data.get("captcha_value", "")
        ):
            message = _("Solve the picture first: get one from the captcha endpoint and send its characters.")
            return Response(
                {"code": "captcha_required", "message": message, "fields": {"captcha_value": [message]}},
                status=status.HTTP_400_BAD_REQUEST,
            )
        code_request_record(address=address, scope="progress")
        progress_code_send(case=progress_case_by_number(data["number"]), address=address, hall=hall)
        minutes = max(1, settings.PROGRESS_CODE_SECONDS // 60)
        return Response(
            {"message": str(CODE_SENT) % {"minutes": minutes}, "captcha_required": captcha_required(address)}
        )


class ProgressCaptchaView(PublicView):
    """A new CAPTCHA picture for the code request."""

    @extend_schema(
        tags=["public"],
        summary="A new CAPTCHA picture",
        description=(
            "A picture of four letters (valid CAPTCHA_TIMEOUT minutes, one try), its spoken letters when "
            "the server has flite, and whether this address must solve one before its next code."
        ),
        responses={200: CaptchaSerializer, **PUBLIC_ERRORS},
    )
    def get(self, request: Request) -> Response:
        _hall(request)
        if (refused := _throttled(request, scope="captcha", rate="CAPTCHA_THROTTLE_RATE")) is not None:
            return refused
        captcha = captcha_new()
        absolute = request.build_absolute_uri
        return Response(
            {
                "key": captcha.key,
                "image_url": absolute(captcha.image_url),
                "audio_url": absolute(captcha.audio_url) if captcha.audio_url else None,
                "captcha_required": captcha_required(client_ip(request._request)),
            }
        )
