"""The person's public rating endpoint (好差评, issue 16 item 7): ``POST /api/v1/public/rating/`` on a
hall's host. Stateless: every call proves the person with the token or the NO plus the last four digits
or a one-time code, checked and counted exactly as the progress pages do (casework/progress.py), under
the same per-address page throttle. Unknown NOs and tokens answer like wrong digits."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from casework.choices import Satisfaction
from casework.models import CaseRating
from casework.progress import (
    number_key,
    progress_blocked_seconds,
    progress_case_by_number,
    progress_case_by_token,
    progress_failure_record,
    progress_secret_check,
    token_key,
)
from casework.ratings import rating_for_person, rating_give
from hallplatform import limits
from hallplatform.api import ErrorSerializer, validation_error_response
from hallplatform.clientip import client_ip
from hallplatform.throttling import page_address_throttle

TOKEN_MAX_LENGTH = 64
NUMBER_MAX_LENGTH = 24
SECRET_MAX_LENGTH = 6


class PublicRatingRequestSerializer(serializers.Serializer):
    token = serializers.CharField(required=False, allow_blank=True, max_length=TOKEN_MAX_LENGTH)
    number = serializers.CharField(required=False, allow_blank=True, max_length=NUMBER_MAX_LENGTH)
    last_four = serializers.CharField(required=False, allow_blank=True, max_length=4)
    code = serializers.CharField(required=False, allow_blank=True, max_length=SECRET_MAX_LENGTH)
    level = serializers.ChoiceField(choices=Satisfaction.choices)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=limits.RATING_COMMENT_MAX_LENGTH)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not (attrs.get("token") or attrs.get("number")):
            raise serializers.ValidationError({"number": [_("Enter the NO of your case.")]})
        if not (attrs.get("last_four") or attrs.get("code")):
            raise serializers.ValidationError(
                {"last_four": [_("Enter the last four digits of your phone or the code you received.")]}
            )
        return attrs


class PublicRatingSerializer(serializers.Serializer):
    number = serializers.CharField(max_length=24)
    level = serializers.ChoiceField(choices=Satisfaction.choices)
    level_label = serializers.CharField(max_length=40)
    comment = serializers.CharField(max_length=limits.RATING_COMMENT_MAX_LENGTH, help_text="Masked like all free text.")
    default = serializers.BooleanField(help_text="Given by default (默认好评) after 7 natural days.")
    rated_at = serializers.DateTimeField()
    change_until = serializers.DateTimeField(allow_null=True, help_text="Until when the person may change it.")


def _too_many(seconds: int) -> Response:
    minutes = max(1, (seconds + 59) // 60)
    message = _("Too many tries. Please try again in %(minutes)d minutes.") % {"minutes": minutes}
    response = Response({"code": "throttled", "message": message, "fields": {}}, status=429)
    response["Retry-After"] = str(seconds)
    return response


def _wrong() -> Response:
    message = _("The details do not match. Check the NO and the digits, or ask for a code.")
    return Response({"code": "invalid", "message": message, "fields": {"last_four": [message]}}, status=400)


class PublicRatingView(APIView):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_classes: list[Any] = []

    @extend_schema(
        tags=["public"],
        summary="Rate the handling of my case (好差评), or change the rating within 7 days",
        request=PublicRatingRequestSerializer,
        responses={
            200: PublicRatingSerializer,
            201: PublicRatingSerializer,
            **{c: ErrorSerializer for c in (400, 404, 429)},
        },
    )
    def post(self, request: Request) -> Response:
        django_request = request._request
        if getattr(django_request, "hall_route", None) is None:
            raise Http404
        if wait := page_address_throttle(django_request, scope="progress", rate_setting="PROGRESS_THROTTLE_RATE"):
            return _too_many(wait)
        serializer = PublicRatingRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        address = client_ip(django_request)
        if data.get("token"):
            key, case = token_key(data["token"]), progress_case_by_token(data["token"])
        else:
            key, case = number_key(data["number"]), progress_case_by_number(data["number"])
        if blocked := progress_blocked_seconds(key=key, address=address):
            progress_failure_record(key=key, address=address)
            return _too_many(blocked)
        method = progress_secret_check(case=case, secret=data.get("last_four") or data.get("code") or "")
        if not method or case is None:
            progress_failure_record(key=key, address=address)
            if blocked := progress_blocked_seconds(key=key, address=address):
                return _too_many(blocked)
            return _wrong()
        first = not CaseRating.objects.filter(case=case).exists()
        try:
            rating_give(case=case, level=data["level"], comment=data.get("comment", ""), via="api")
        except ValidationError as error:
            return validation_error_response(error)
        shown = rating_for_person(case=case)
        body = {
            "number": case.number,
            "level": shown.level,
            "level_label": shown.level_label,
            "comment": shown.comment,
            "default": shown.is_default,
            "rated_at": shown.rated_at,
            "change_until": shown.change_until,
        }
        return Response(PublicRatingSerializer(body).data, status=status.HTTP_201_CREATED if first else 200)
