"""Duplicates across halls in the API (issue 17 item 7): a case's counterparts in the city's other
halls (numbers, halls, matters, states: no personal data) and linking one of them."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from casework import selectors
from casework.api.views import ERRORS, READ_ERRORS, CaseView
from casework.choices import CaseStatus
from casework.duplicates import case_duplicate_link, case_links_of, case_list_elsewhere_of_case
from hallindex.models import CaseIndex
from hallplatform.accounts.access import requires_roles
from hallplatform.accounts.models import RoleKind
from hallplatform.api import parse
from hallplatform.schemas import current_tenant

ELSEWHERE_LISTED = 50


class ElsewhereCaseSerializer(serializers.Serializer):
    hall = serializers.CharField(source="hall.code", help_text="The other hall's code.")
    hall_name = serializers.CharField(source="hall.name")
    number = serializers.CharField()
    matter_name = serializers.CharField(help_text="As the cross-hall index keeps it (masked).")
    status = serializers.ChoiceField(choices=CaseStatus.choices)
    registered_at = serializers.DateTimeField()


class LinkedCaseSerializer(serializers.Serializer):
    hall = serializers.CharField(source="hall.code")
    hall_name = serializers.CharField(source="hall.name")
    number = serializers.CharField()
    linked_at = serializers.DateTimeField()


class ElsewhereSerializer(serializers.Serializer):
    cases = ElsewhereCaseSerializer(many=True, help_text="The same person's cases in other halls, ±90 days.")
    linked = LinkedCaseSerializer(many=True)


class LinkRequestSerializer(serializers.Serializer):
    hall = serializers.CharField(max_length=30, help_text="The other hall's code.")
    number = serializers.CharField(max_length=24, help_text="The other case's NO.")


def _elsewhere(case: Any) -> dict[str, Any]:
    hall = current_tenant()
    return {
        "cases": list(case_list_elsewhere_of_case(case=case, hall=hall)[:ELSEWHERE_LISTED]),
        "linked": case_links_of(hall=hall, case_id=case.pk),
    }


@requires_roles(RoleKind.WINDOW_STAFF, RoleKind.HALL_LEAD, RoleKind.CITY_SUPERVISOR)
class CaseElsewhereView(CaseView):
    """The same person's cases in the other halls of the city (by the keyed blind indexes of the
    cross-hall index; no personal data), and the cases linked to this one."""

    @extend_schema(summary="The same person in other halls", responses={200: ElsewhereSerializer, **READ_ERRORS})
    def get(self, request: Request, pk: int) -> Response:
        case = selectors.case_get_for_staff(actor=request.user, case_id=pk)
        return Response(ElsewhereSerializer(_elsewhere(case)).data)


@requires_roles(RoleKind.WINDOW_STAFF, RoleKind.HALL_LEAD)
class CaseLinkElsewhereView(CaseView):
    """Link the case to the same person's case in another hall of the city (one matter reported
    twice). Refused (400 ``other_case``, nothing written) for any other case or a second link."""

    @extend_schema(
        summary="Link a duplicate in another hall",
        request=LinkRequestSerializer,
        responses={201: ElsewhereSerializer, **ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        case = selectors.case_get_for_staff(actor=request.user, case_id=pk)
        data = parse(LinkRequestSerializer, request.data)
        other = CaseIndex.objects.select_related("hall").filter(hall__code=data["hall"], number=data["number"]).first()
        case_duplicate_link(case=case, hall=current_tenant(), actor=request.user, other=other)
        return Response(ElsewhereSerializer(_elsewhere(case)).data, status=status.HTTP_201_CREATED)
