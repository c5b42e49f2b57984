"""City-level API (`/api/v1/`): the supervision portal, joint meetings, their resolutions, supervision
orders and assigning slips (DESIGN.md section 7).

Each view parses its input, calls one service or selector, and renders (CONVENTIONS.md). Everything
here is public-schema rows without personal data. Where a meeting or an order is convened or issued
follows from the host: a hall lead on their hall's host acts for the hall; a city supervisor on the
bare base domain (or any host of their city) for the city. Who sees what:

* the portal (base domain only): the city supervisors;
* meetings: the convener's scope (hall lead, supervisor) and the invited departments and halls;
* resolutions: their owner departments;
* orders: the issuer's scope and the addressed hall or department;
* slip assignment: the staff of the slip's department.

Anything not visible is 404, like a missing object, before any input is read. Refused input is
400 ``invalid`` naming the fields as the services name them; a step the state does not allow is 409
``invalid_transition``; a stale ``version`` is 409 ``conflict`` (hallplatform/api.py).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, prefetch_related_objects
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, permissions, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from coordination import selectors, services
from coordination.api.serializers import (
    CityQuerySerializer,
    DuplicatesSerializer,
    MeetingConveneSerializer,
    MeetingDetailSerializer,
    MeetingRespondSerializer,
    MeetingRowSerializer,
    MinutesSerializer,
    OrderDetailSerializer,
    OrderFilterSerializer,
    OrderIssueSerializer,
    OrderRejectSerializer,
    OrderRespondSerializer,
    OrderSerializer,
    OverviewSerializer,
    ProposalsSerializer,
    ReportSerializer,
    ResolutionFilterSerializer,
    ResolutionRowSerializer,
    SlipAssignedSerializer,
    SlipAssignSerializer,
    VersionSerializer,
)
from coordination.models import JointMeeting, MeetingCase, MeetingInvitation, MeetingResolution, SupervisionOrder
from hallindex.duplicates import DUPLICATE_WINDOW_DAYS, case_link_list_for_city, duplicate_groups_for_city
from hallindex.models import SlipIndex
from hallplatform.accounts.access import requires_roles
from hallplatform.accounts.models import DEPARTMENT_ROLES, User
from hallplatform.accounts.models import RoleKind as R
from hallplatform.api import ErrorSerializer, PageNumberPagination, parse
from hallplatform.permissions import HasRoleOnHost
from tenants.models import Hall

MEETING_ROLES = (R.CITY_SUPERVISOR, R.HALL_LEAD, R.WINDOW_STAFF, *DEPARTMENT_ROLES)
ORDER_ROLES = (R.CITY_SUPERVISOR, R.HALL_LEAD, *DEPARTMENT_ROLES)

ERRORS = {code: ErrorSerializer for code in (400, 401, 404, 409)}
READ_ERRORS = {code: ErrorSerializer for code in (400, 401, 404)}


# --- Helpers ---------------------------------------------------------------------------------------


class OnPortalHost(permissions.BasePermission):
    """The supervision portal lives on the bare base domain; on a hall's host it does not exist."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if getattr(request._request, "hall_route", None) is not None:
            raise Http404
        return True


def hall_of(request: Request) -> Hall | None:
    """The hall of the request's host; None on the base domain (the city portal)."""
    if getattr(request._request, "hall_route", None) is None:
        return None
    return request._request.tenant  # type: ignore[attr-defined]


# --- The portal ------------------------------------------------------------------------------------


def _city(request: Request) -> Hall:
    """The city the supervisor looks at: their only one, or the one named by ``city``."""
    query = parse(CityQuerySerializer, request.query_params)
    cities = selectors.cities_supervised_by(request.user)
    if query.get("city"):
        cities = [city for city in cities if city.code == query["city"]]
    elif len(cities) > 1:
        raise ValidationError({"city": [_("You supervise several cities: choose one.")]})
    if not cities:
        raise Http404
    return cities[0]


@requires_roles(R.CITY_SUPERVISOR)
class PortalOverviewView(APIView):
    """Per hall of the city: open cases, cases flagged 不给办, open slips, yellow and red deadlines,
    escalations, open supervision orders (one query per figure, whatever the number of halls)."""

    permission_classes = [HasRoleOnHost, OnPortalHost]

    @extend_schema(
        summary="The city's halls at a glance",
        parameters=[CityQuerySerializer],
        responses={200: OverviewSerializer, **READ_ERRORS},
    )
    def get(self, request: Request) -> Response:
        city = _city(request)
        rows = selectors.portal_overview(city=city)
        return Response(OverviewSerializer({"city": city, "halls": rows}).data)


@requires_roles(R.CITY_SUPERVISOR)
class PortalProposalsView(APIView):
    """What the portal proposes for supervision: open cases flagged 不给办 and overdue slips that no
    open order covers yet."""

    permission_classes = [HasRoleOnHost, OnPortalHost]

    @extend_schema(
        summary="Proposals for supervision",
        parameters=[CityQuerySerializer],
        responses={200: ProposalsSerializer, **READ_ERRORS},
    )
    def get(self, request: Request) -> Response:
        city = _city(request)
        proposals = selectors.supervision_proposals(city=city)
        return Response(ProposalsSerializer({"city": city, **proposals}).data)


@requires_roles(R.CITY_SUPERVISOR)
class PortalDuplicatesView(APIView):
    """Likely and linked duplicates across the city's halls: the same person (by blind index, never a
    value) in two or more halls in the last 90 days; numbers, halls, matters and states only."""

    permission_classes = [HasRoleOnHost, OnPortalHost]

    @extend_schema(
        summary="Duplicates across halls",
        parameters=[CityQuerySerializer],
        responses={200: DuplicatesSerializer, **READ_ERRORS},
    )
    def get(self, request: Request) -> Response:
        city = _city(request)
        groups = [
            {
                "linked": group.linked,
                "halls": group.halls,
                "cases": [
                    {
                        "hall": row.hall,
                        "case_id": row.case_id,
                        "number": row.number,
                        "matter_name": row.matter_name,
                        "status": row.status,
                        "registered_at": row.registered_at,
                        "linked": group.is_linked(row),
                    }
                    for row in group.cases
                ],
            }
            for group in duplicate_groups_for_city(city_ids=[city.pk])
        ]
        links = list(case_link_list_for_city(city_ids=[city.pk])[:DUPLICATE_LINKS_LISTED])
        data = {"city": city, "window_days": DUPLICATE_WINDOW_DAYS, "groups": groups, "links": links}
        return Response(DuplicatesSerializer(data).data)


DUPLICATE_LINKS_LISTED = 200


# --- Joint meetings --------------------------------------------------------------------------------


def _meeting(request: Request, pk: int, *, on_host: bool = True) -> JointMeeting:
    hall = hall_of(request) if on_host else None
    return selectors.meeting_get_for(actor=request.user, meeting_id=pk, hall=hall)


def meeting_detail_response(
    request: Request, pk: int, *, code: int = status.HTTP_200_OK, on_host: bool = True
) -> Response:
    """The meeting as the person sees it on this host (``on_host`` False: wherever they may see it)."""
    meeting = _meeting(request, pk, on_host=on_host)
    prefetch_related_objects(
        [meeting],
        Prefetch("invitations", MeetingInvitation.objects.select_related("department__hall", "hall").order_by("id")),
        Prefetch("cases", MeetingCase.objects.select_related("hall").order_by("id")),
        Prefetch("resolutions", MeetingResolution.objects.select_related("owner_department__hall", "deadline")),
        "lead_department__hall",
    )
    rights = selectors.meeting_rights_for(actor=request.user, meeting=meeting)
    return Response(MeetingDetailSerializer(meeting, context={"rights": rights}).data, status=code)


@requires_roles(*MEETING_ROLES)
class MeetingListView(generics.GenericAPIView):
    """Joint meetings the person convened in their scope or is invited to, newest first; convening
    one (rule art. 5(2), 9): a hall meeting on a hall's host (its lead), a city meeting on the base
    domain (a city supervisor)."""

    permission_classes = [HasRoleOnHost]
    pagination_class = PageNumberPagination
    serializer_class = MeetingRowSerializer

    @extend_schema(summary="List joint meetings", responses={200: MeetingRowSerializer(many=True), **READ_ERRORS})
    def get(self, request: Request) -> Response:
        rows = selectors.meeting_list_for(actor=request.user, hall=hall_of(request)).select_related(
            "lead_department__hall"
        )
        page = self.paginate_queryset(rows) or []
        return self.get_paginated_response(MeetingRowSerializer(page, many=True).data)

    @extend_schema(
        summary="Convene a joint meeting",
        request=MeetingConveneSerializer,
        responses={201: MeetingDetailSerializer, **ERRORS},
    )
    def post(self, request: Request) -> Response:
        data = parse(MeetingConveneSerializer, request.data)
        meeting = services.meeting_convene(
            actor=request.user,
            hall=hall_of(request),
            draft=services.MeetingDraft(
                subject=data["subject"],
                starts_at=data["starts_at"],
                agenda=data["agenda"],
                lead_department_id=data["lead_department"],
                lead_is_hall=data["lead_is_hall"],
                place=data["place"],
                online_link=data["online_link"],
                department_ids=data["departments"],
                hall_ids=data["halls"],
                cases=[
                    services.CaseRef(hall_id=c["hall"], case_id=c["case_id"], summary=c["summary"])
                    for c in data["cases"]
                ],
            ),
        )
        # a supervisor may convene a city meeting from any host of the city, even one it does not concern
        return meeting_detail_response(request, meeting.pk, code=status.HTTP_201_CREATED, on_host=False)


@requires_roles(*MEETING_ROLES)
class MeetingDetailView(APIView):
    """A joint meeting: agenda, invitations and answers, the cases (numbers and summaries only),
    the minutes and the resolutions with their deadlines."""

    permission_classes = [HasRoleOnHost]

    @extend_schema(summary="A joint meeting", responses={200: MeetingDetailSerializer, **READ_ERRORS})
    def get(self, request: Request, pk: int) -> Response:
        return meeting_detail_response(request, pk)


@requires_roles(*MEETING_ROLES)
class MeetingRespondView(APIView):
    """An invited department or hall accepts or declines (a decline says why)."""

    permission_classes = [HasRoleOnHost]

    @extend_schema(
        summary="Answer an invitation",
        request=MeetingRespondSerializer,
        responses={200: MeetingDetailSerializer, **ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        meeting = _meeting(request, pk)
        data = parse(MeetingRespondSerializer, request.data)
        invitation = MeetingInvitation.objects.filter(pk=data["invitation"], meeting=meeting).first()
        if invitation is None:
            raise Http404
        services.meeting_respond(
            actor=request.user, invitation=invitation, response=data["response"], note=data["note"]
        )
        return meeting_detail_response(request, pk)


@requires_roles(*MEETING_ROLES)
class MeetingMinutesView(APIView):
    """The minutes (纪要), the outcome and the resolutions (owner department, action, working days),
    recorded by the convener's scope; each resolution's deadline starts."""

    permission_classes = [HasRoleOnHost]

    @extend_schema(
        summary="Record the minutes and resolutions",
        request=MinutesSerializer,
        responses={200: MeetingDetailSerializer, **ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        meeting = _meeting(request, pk)
        data = parse(MinutesSerializer, request.data)
        services.meeting_record_minutes(
            actor=request.user,
            meeting=meeting,
            minutes=data["minutes"],
            outcome=data["outcome"],
            resolutions=[
                services.ResolutionDraft(owner_department_id=r["owner_department"], action=r["action"], days=r["days"])
                for r in data["resolutions"]
            ],
            expected_version=data["version"],
        )
        return meeting_detail_response(request, pk)


@requires_roles(*MEETING_ROLES)
class MeetingCloseView(APIView):
    """Close a held meeting once every resolution is done."""

    permission_classes = [HasRoleOnHost]

    @extend_schema(
        summary="Close a meeting", request=VersionSerializer, responses={200: MeetingDetailSerializer, **ERRORS}
    )
    def post(self, request: Request, pk: int) -> Response:
        meeting = _meeting(request, pk)
        data = parse(VersionSerializer, request.data)
        services.meeting_close(actor=request.user, meeting=meeting, expected_version=data["version"])
        return meeting_detail_response(request, pk)


# --- Resolutions -----------------------------------------------------------------------------------


def _resolutions(request: Request, *, open_only: bool) -> Any:
    return selectors.resolution_list_for_department(actor=request.user, open_only=open_only).select_related(
        "owner_department__hall", "meeting__hall"
    )


@requires_roles(*DEPARTMENT_ROLES)
class ResolutionListView(generics.GenericAPIView):
    """Meeting resolutions owned by the person's departments, from every hall and the city, the most
    urgent first (open ones unless ``include_done``)."""

    permission_classes = [HasRoleOnHost]
    pagination_class = PageNumberPagination
    serializer_class = ResolutionRowSerializer

    @extend_schema(
        summary="The department's resolutions",
        parameters=[ResolutionFilterSerializer],
        responses={200: ResolutionRowSerializer(many=True), **READ_ERRORS},
    )
    def get(self, request: Request) -> Response:
        query = parse(ResolutionFilterSerializer, request.query_params)
        page = self.paginate_queryset(_resolutions(request, open_only=not query["include_done"])) or []
        return self.get_paginated_response(ResolutionRowSerializer(page, many=True).data)


@requires_roles(*DEPARTMENT_ROLES)
class ResolutionCompleteView(APIView):
    """The owner department reports a resolution done: its deadline is met (or stays breached on
    record) and the linked cases' timelines say so."""

    permission_classes = [HasRoleOnHost]

    @extend_schema(
        summary="Report a resolution done", request=ReportSerializer, responses={200: ResolutionRowSerializer, **ERRORS}
    )
    def post(self, request: Request, pk: int) -> Response:
        resolution = _resolutions(request, open_only=False).filter(pk=pk).first()
        if resolution is None:
            raise Http404
        data = parse(ReportSerializer, request.data)
        services.resolution_complete(
            actor=request.user, resolution=resolution, report=data["report"], expected_version=data["version"]
        )
        return Response(ResolutionRowSerializer(_resolutions(request, open_only=False).get(pk=pk)).data)


# --- Supervision orders ----------------------------------------------------------------------------


def _city_of_host(request: Request) -> int | None:
    route = getattr(request._request, "hall_route", None)
    return None if route is None else int(route.city_id)


def _order(request: Request, pk: int) -> SupervisionOrder:
    return selectors.order_get_for(actor=request.user, order_id=pk, city_id=_city_of_host(request))


def order_response(request: Request, pk: int, *, code: int = status.HTTP_200_OK) -> Response:
    order = _order(request, pk)
    prefetch_related_objects([order], "target_department__hall", "case_hall")
    rights = selectors.order_rights_for(actor=request.user, order=order)
    return Response(OrderDetailSerializer(order, context={"rights": rights}).data, status=code)


@requires_roles(*ORDER_ROLES)
class OrderListView(generics.GenericAPIView):
    """Supervision orders (督办单) the person issued in their scope or that are addressed to their
    hall or department, newest first; issuing one (rule art. 7 不给办, art. 9): a city supervisor to
    any hall or department of the city (base domain), a hall lead within the hall (its host)."""

    permission_classes = [HasRoleOnHost]
    pagination_class = PageNumberPagination
    serializer_class = OrderSerializer

    @extend_schema(
        summary="List supervision orders",
        parameters=[OrderFilterSerializer],
        responses={200: OrderSerializer(many=True), **READ_ERRORS},
    )
    def get(self, request: Request) -> Response:
        query = parse(OrderFilterSerializer, request.query_params)
        rows = selectors.order_list_for(actor=request.user, city_id=_city_of_host(request)).select_related(
            "target_department__hall", "case_hall"
        )
        if query.get("status"):
            rows = rows.filter(status=query["status"])
        page = self.paginate_queryset(rows) or []
        return self.get_paginated_response(OrderSerializer(page, many=True).data)

    @extend_schema(
        summary="Issue a supervision order",
        request=OrderIssueSerializer,
        responses={201: OrderDetailSerializer, **ERRORS},
    )
    def post(self, request: Request) -> Response:
        data = parse(OrderIssueSerializer, request.data)
        case = data["case"]
        order = services.order_issue(
            actor=request.user,
            hall=hall_of(request),
            draft=services.OrderDraft(
                target_hall_id=data["target_hall"],
                target_department_id=data["target_department"],
                reason=data["reason"],
                required_action=data["required_action"],
                days=data["days"],
                case=services.CaseRef(hall_id=case["hall"], case_id=case["case_id"]) if case else None,
                slip_id=data["slip"],
            ),
        )
        return order_response(request, order.pk, code=status.HTTP_201_CREATED)


@requires_roles(*ORDER_ROLES)
class OrderDetailView(APIView):
    """A supervision order with its deadline."""

    permission_classes = [HasRoleOnHost]

    @extend_schema(summary="A supervision order", responses={200: OrderDetailSerializer, **READ_ERRORS})
    def get(self, request: Request, pk: int) -> Response:
        return order_response(request, pk)


@requires_roles(*ORDER_ROLES)
class OrderRespondView(APIView):
    """The addressee answers what was done; the deadline is met and the issuer decides."""

    permission_classes = [HasRoleOnHost]

    @extend_schema(
        summary="Respond to an order", request=OrderRespondSerializer, responses={200: OrderDetailSerializer, **ERRORS}
    )
    def post(self, request: Request, pk: int) -> Response:
        order = _order(request, pk)
        data = parse(OrderRespondSerializer, request.data)
        services.order_respond(
            actor=request.user, order=order, response=data["response"], expected_version=data["version"]
        )
        return order_response(request, pk)


@requires_roles(*ORDER_ROLES)
class OrderAcceptView(APIView):
    """The issuer accepts the response: the order is closed."""

    permission_classes = [HasRoleOnHost]

    @extend_schema(
        summary="Accept an order's response",
        request=VersionSerializer,
        responses={200: OrderDetailSerializer, **ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        order = _order(request, pk)
        data = parse(VersionSerializer, request.data)
        services.order_accept(actor=request.user, order=order, expected_version=data["version"])
        return order_response(request, pk)


@requires_roles(*ORDER_ROLES)
class OrderRejectView(APIView):
    """The issuer sends the response back: the order is open again with a fresh deadline."""

    permission_classes = [HasRoleOnHost]

    @extend_schema(
        summary="Send an order's response back",
        request=OrderRejectSerializer,
        responses={200: OrderDetailSerializer, **ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        order = _order(request, pk)
        data = parse(OrderRejectSerializer, request.data)
        services.order_reject(actor=request.user, order=order, note=data["note"], expected_version=data["version"])
        return order_response(request, pk)


# --- Assigning a slip within its department --------------------------------------------------------


@requires_roles(*DEPARTMENT_ROLES)
class SlipAssignView(APIView):
    """Give a slip of the department's inbox to another handler of the same department (audited).
    On a hall's host, only that hall's slips."""

    permission_classes = [HasRoleOnHost]

    @extend_schema(
        summary="Assign a slip to a handler",
        request=SlipAssignSerializer,
        responses={200: SlipAssignedSerializer, **ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        slip = selectors.slip_index_get_for_department(actor=request.user, slip_index_id=pk)
        hall = hall_of(request)
        if hall is not None and slip.hall_id != hall.pk:
            raise Http404
        data = parse(SlipAssignSerializer, request.data)
        handler = User.objects.filter(pk=data["handler"], is_active=True).first()
        services.slip_assign(actor=request.user, slip=slip, handler=handler)
        assigned = SlipIndex.objects.select_related("hall", "department__hall", "assigned_to").get(pk=pk)
        return Response(SlipAssignedSerializer(assigned).data)
