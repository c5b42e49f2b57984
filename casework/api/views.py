"""Casework API (`/api/v1/`): the window's cases, the departments' slips and their cross-hall inbox.

Each view parses its input, calls one service or selector, and renders (CONVENTIONS.md). Who may
call what:

* cases (a hall's host only): read by the hall's window staff, hall lead and the city supervisor;
  changed by window staff and hall lead only (403 for the supervisor); anyone else gets 404;
* slips (the slip's hall host): the staff of the slip's department; anyone else gets 404. The
  window re-routes a returned slip;
* the inbox (every host, also the city portal): department staff, over the public-schema index.

Every change takes the ``version`` last read; a stale one is 409 ``conflict``, a step the state does
not allow is 409 ``invalid_transition``, refused input is 400 ``invalid`` naming the fields
(hallplatform/api.py).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import generics, permissions, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from casework import ratings, retention, selectors, services
from casework.api.serializers import (
    AmendSerializer,
    AnswerSerializer,
    AppealRequestSerializer,
    CaseDetailSerializer,
    CaseFilterSerializer,
    CaseNoteCreateSerializer,
    CaseNoteSerializer,
    CaseRowSerializer,
    DepartmentSerializer,
    FeedbackSerializer,
    FollowUpSerializer,
    InboxFilterSerializer,
    InboxRowSerializer,
    LookupResultSerializer,
    LookupSerializer,
    NoteSerializer,
    ReasonSerializer,
    ReassignSerializer,
    RectificationSerializer,
    RegisteredCaseSerializer,
    RegistrationSerializer,
    ReroutedCaseSerializer,
    RerouteSerializer,
    RetentionHoldSerializer,
    RevealedSerializer,
    RevealSerializer,
    ScreenOutSerializer,
    SlipDetailSerializer,
    SlipReplySerializer,
    SmsOptOutSerializer,
    SupplementRequestSerializer,
    TimelineEventSerializer,
    TransferSerializer,
    VersionedSerializer,
    revealed_free_text_data,
)
from casework.freetext import FREE_TEXT
from casework.models import Case, TransferSlip
from casework.rounds import case_rounds
from hallindex.models import SlipIndex
from hallplatform.accounts.access import request_roles, requires_roles, routed_department_endpoint
from hallplatform.accounts.models import DEPARTMENT_ROLES, HALL_ROLES, RoleKind, User
from hallplatform.api import ErrorSerializer, PageNumberPagination, parse
from hallplatform.deadlines.models import LIVE_STATES
from hallplatform.permissions import HasRoleOnHost
from tenants.models import Hall
from tenants.routing import hall_origin
from tenants.selectors import department_list_routable_from

CASE_ROLES = (RoleKind.WINDOW_STAFF, RoleKind.HALL_LEAD, RoleKind.CITY_SUPERVISOR, RoleKind.DISCIPLINE_INSPECTOR)
EARLIER_NUMBERS_SHOWN = 20


# --- Permissions -----------------------------------------------------------------------------------


class OnHallHost(permissions.BasePermission):
    """Cases and slips live in a hall's schema: on the city portal (the public schema) they do not exist."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if getattr(request._request, "hall_route", None) is None:
            raise Http404
        return True


class WindowWrites(permissions.BasePermission):
    """Reads for every role the view admits; changes for the hall's window staff and lead only."""

    message = gettext_lazy("Only the hall's window staff and lead may change cases.")

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.method in permissions.SAFE_METHODS or getattr(view, "open_to_readers", False):
            return True
        return bool(request_roles(request._request) & frozenset(HALL_ROLES))


CASE_PERMISSIONS = [HasRoleOnHost, OnHallHost, WindowWrites]
SLIP_PERMISSIONS = [HasRoleOnHost, OnHallHost]

ERRORS = {code: ErrorSerializer for code in (400, 401, 403, 404, 409)}
READ_ERRORS = {code: ErrorSerializer for code in (400, 401, 404)}


# --- Helpers ---------------------------------------------------------------------------------------


def hall_of(request: Request) -> Hall:
    """The hall of the request's host (built from the cached route, read-only)."""
    return request._request.tenant  # type: ignore[attr-defined]


def is_window(request: Request) -> bool:
    """Whether the host admitted the user as the hall's window staff or lead."""
    return bool(request_roles(request._request) & frozenset(HALL_ROLES))


def case_detail_context(request: Request, case: Case) -> dict[str, Any]:
    """What a case's detail shows besides its own fields: slips with badges, the feedback deadline,
    the most urgent badge and the steps the user can take now."""
    window = is_window(request)
    slips = selectors.slip_list_for_case(case=case)
    feedback = selectors.feedback_deadline_for_case(case=case)
    return {
        "badges": selectors.case_badges(hall_id=hall_of(request).pk, case_ids=[case.pk]),
        "slips": [slip for slip, _badge in slips],
        "slip_badges": {slip.pk: badge for slip, badge in slips if badge is not None},
        "slip_actions": {
            slip.pk: selectors.slip_steps_allowed(slip=slip, for_department=False) if window else []
            for slip, _ in slips
        },
        "feedback_deadline": feedback,
        "feedback_badge": selectors.deadline_badge(feedback) if feedback and feedback.state in LIVE_STATES else None,
        "actions": [
            step.replace("_", "-")
            for step in selectors.case_steps_allowed(actor=request.user, case=case, window=window)
        ],
        "rounds": case_rounds(case=case),
    }


def case_detail_response(request: Request, case_id: int, *, code: int = status.HTTP_200_OK) -> Response:
    case = selectors.case_get_for_staff(actor=request.user, case_id=case_id)
    return Response(CaseDetailSerializer(case, context=case_detail_context(request, case)).data, status=code)


def slip_detail_response(request: Request, slip_id: int) -> Response:
    slip = selectors.slip_get_for_department(actor=request.user, slip_id=slip_id)
    badges = {s.pk: badge for s, badge in selectors.slip_list_for_case(case=slip.case) if badge is not None}
    context = {
        "slip_badges": badges,
        "slip_actions": {slip.pk: selectors.slip_steps_allowed(slip=slip, for_department=True)},
        "hall_code": hall_of(request).code,
    }
    return Response(SlipDetailSerializer(slip, context=context).data)


# --- Cases -----------------------------------------------------------------------------------------


class CaseView(APIView):
    permission_classes = CASE_PERMISSIONS


@requires_roles(*CASE_ROLES)
class CaseListView(generics.GenericAPIView):
    """The hall's register of cases (newest first), and registration of a new case (登记, art. 5(1))."""

    permission_classes = CASE_PERMISSIONS
    pagination_class = PageNumberPagination
    serializer_class = CaseRowSerializer

    @extend_schema(
        summary="List the hall's cases",
        parameters=[CaseFilterSerializer],
        responses={200: CaseRowSerializer(many=True), **READ_ERRORS},
    )
    def get(self, request: Request) -> Response:
        query = parse(CaseFilterSerializer, request.query_params)
        filters = selectors.CaseFilters(
            status=query.get("status", ""),
            category=query.get("category", ""),
            channel=query.get("channel", ""),
            number=query.get("number", ""),
            phone=query.get("phone", ""),
            document_type=query.get("document_type", ""),
            document_number=query.get("document_number", ""),
            matter=query.get("matter", ""),
            registered_from=query.get("registered_from"),
            registered_to=query.get("registered_to"),
            flagged=query.get("flagged", False),
            open_only=query.get("open", False),
        )
        page = self.paginate_queryset(selectors.case_list_for_staff(actor=request.user, filters=filters)) or []
        badges = selectors.case_badges(hall_id=hall_of(request).pk, case_ids=[case.pk for case in page])
        return self.get_paginated_response(CaseRowSerializer(page, many=True, context={"badges": badges}).data)

    @extend_schema(
        summary="Register a case (登记表)",
        request=RegistrationSerializer,
        responses={201: RegisteredCaseSerializer, **ERRORS},
    )
    def post(self, request: Request) -> Response:
        data = parse(RegistrationSerializer, request.data)
        case = services.case_register(hall=hall_of(request), actor=request.user, data=services.Registration(**data))
        earlier = selectors.case_list_earlier_of_person(
            phone=case.phone, document_type=case.document_type, document_number=case.document_number
        ).exclude(pk=case.pk)
        case = selectors.case_get_for_staff(actor=request.user, case_id=case.pk)
        context = {
            **case_detail_context(request, case),
            "earlier_count": earlier.count(),
            "earlier_numbers": list(earlier.values_list("number", flat=True)[:EARLIER_NUMBERS_SHOWN]),
        }
        return Response(RegisteredCaseSerializer(case, context=context).data, status=status.HTTP_201_CREATED)


@requires_roles(*CASE_ROLES)
class CaseLookupView(CaseView):
    """Earlier cases of a person, by mobile number or document (repeat reporters, for the
    registration form): numbers, states and matters only."""

    @extend_schema(
        summary="Find a person's earlier cases",
        parameters=[LookupSerializer],
        responses={200: LookupResultSerializer, **READ_ERRORS},
    )
    def get(self, request: Request) -> Response:
        query = parse(LookupSerializer, request.query_params)
        phone = query.get("phone", "")
        document_type, document_number = query.get("document_type", ""), query.get("document_number", "")
        if not phone and not (document_type and document_number):
            message = _("Give a mobile number, or a document type and number.")
            raise ValidationError({"phone": [message]})
        try:
            cases = selectors.case_list_earlier_of_person(
                phone=phone, document_type=document_type, document_number=document_number
            )
        except ValidationError as exc:  # only a mobile number can be unreadable
            raise ValidationError({"phone": exc.messages}) from exc
        rows = list(cases[:EARLIER_NUMBERS_SHOWN])
        count = len(rows) if len(rows) < EARLIER_NUMBERS_SHOWN else cases.count()
        return Response(LookupResultSerializer({"count": count, "cases": rows}).data)


@requires_roles(*CASE_ROLES)
class CaseDetailView(CaseView):
    """A case: the registration form (personal data masked), slips, deadlines, the steps possible now."""

    @extend_schema(summary="A case", responses={200: CaseDetailSerializer, **READ_ERRORS})
    def get(self, request: Request, pk: int) -> Response:
        case = selectors.case_get_for_staff(actor=request.user, case_id=pk)
        services.case_supervisor_view_record(case=case, actor=request.user)
        return case_detail_response(request, pk)


@requires_roles(*CASE_ROLES)
class CaseTimelineView(CaseView):
    """Every step of a case, oldest first (the immutable audit trail)."""

    @extend_schema(summary="A case's timeline", responses={200: TimelineEventSerializer(many=True), **READ_ERRORS})
    def get(self, request: Request, pk: int) -> Response:
        case = selectors.case_get_for_staff(actor=request.user, case_id=pk)
        return Response(TimelineEventSerializer(selectors.case_timeline(case=case), many=True).data)


def _case(request: Request, pk: int) -> Case:
    return selectors.case_get_for_staff(actor=request.user, case_id=pk)


@requires_roles(*CASE_ROLES)
class CaseScreenOutView(CaseView):
    """Not accepted (art. 4: 涉法涉诉, 信访, 已立案, excluded by law): the reason and the referral."""

    @extend_schema(
        summary="Screen a case out", request=ScreenOutSerializer, responses={200: CaseDetailSerializer, **ERRORS}
    )
    def post(self, request: Request, pk: int) -> Response:
        case = _case(request, pk)
        data = parse(ScreenOutSerializer, request.data)
        services.case_screen_out(
            case=case, actor=request.user, reason=data["reason"], referral=data["referral"],
            expected_version=data["version"],
        )  # fmt: skip
        return case_detail_response(request, pk)


@requires_roles(*CASE_ROLES)
class CaseAnswerView(CaseView):
    """Answered on the spot (art. 7): a consultation (咨询), or 办不了 with its policy basis."""

    @extend_schema(
        summary="Answer on the spot", request=AnswerSerializer, responses={200: CaseDetailSerializer, **ERRORS}
    )
    def post(self, request: Request, pk: int) -> Response:
        case = _case(request, pk)
        data = parse(AnswerSerializer, request.data)
        services.case_answer_on_spot(
            case=case, actor=request.user, category=data["category"], answer=data["answer"],
            policy_basis=data["policy_basis"], expected_version=data["version"],
        )  # fmt: skip
        return case_detail_response(request, pk)


@requires_roles(*CASE_ROLES)
class CaseTransferView(CaseView):
    """Transfer (转办, art. 5(2)): one slip per department (2 or 5 working days), 很难办's coordination
    notes and joint-meeting request, 不给办 flagged for supervision."""

    @extend_schema(
        summary="Transfer a case", request=TransferSerializer, responses={200: CaseDetailSerializer, **ERRORS}
    )
    def post(self, request: Request, pk: int) -> Response:
        case = _case(request, pk)
        data = parse(TransferSerializer, request.data)
        services.case_transfer(
            case=case,
            actor=request.user,
            category=data["category"],
            slips=[
                services.SlipDraft(department_id=s["department"], request=s["request"], complexity=s["complexity"])
                for s in data["slips"]
            ],
            coordination_note=data["coordination_note"],
            meeting_requested=data["meeting_requested"],
            meeting_request_note=data["meeting_request_note"],
            expected_version=data["version"],
        )
        return case_detail_response(request, pk)


@requires_roles(*CASE_ROLES)
class CaseSupplementReceivedView(CaseView):
    """The person brought the missing materials (补正材料): the paused slip clocks resume."""

    @extend_schema(
        summary="Materials supplemented", request=NoteSerializer, responses={200: CaseDetailSerializer, **ERRORS}
    )
    def post(self, request: Request, pk: int) -> Response:
        case = _case(request, pk)
        data = parse(NoteSerializer, request.data)
        services.case_supplement_received(
            case=case, actor=request.user, note=data["note"], expected_version=data["version"]
        )
        return case_detail_response(request, pk)


@requires_roles(*CASE_ROLES)
class CaseSupplementRequestView(CaseView):
    """The window asks the person itself for missing materials (补正, a registration outcome): what
    and by when; the case waits for them (awaiting_supplement)."""

    @extend_schema(
        summary="Ask for materials",
        request=SupplementRequestSerializer,
        responses={200: CaseDetailSerializer, **ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        case = _case(request, pk)
        data = parse(SupplementRequestSerializer, request.data)
        services.case_supplement_request(
            case=case, actor=request.user, note=data["note"], due=data["due"], expected_version=data["version"]
        )
        return case_detail_response(request, pk)


@requires_roles(RoleKind.HALL_LEAD, RoleKind.CITY_SUPERVISOR)
class CaseRetentionHoldView(CaseView):
    """Set or lift a case's retention hold (the hall's lead or the city's supervisor, with a reason):
    a held case keeps its personal data past the city's retention period."""

    permission_classes = [HasRoleOnHost, OnHallHost]

    @extend_schema(
        summary="Hold a case's personal data",
        request=RetentionHoldSerializer,
        responses={200: CaseDetailSerializer, **ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        case = _case(request, pk)
        data = parse(RetentionHoldSerializer, request.data)
        retention.case_retention_hold_set(case=case, actor=request.user, hold=data["hold"], reason=data["reason"])
        return case_detail_response(request, pk)


@requires_roles(*CASE_ROLES)
class CaseFeedbackView(CaseView):
    """Feedback (反馈, art. 5(4)): how and what the person was told, optionally by SMS."""

    @extend_schema(
        summary="Record the feedback", request=FeedbackSerializer, responses={200: CaseDetailSerializer, **ERRORS}
    )
    def post(self, request: Request, pk: int) -> Response:
        case = _case(request, pk)
        data = parse(FeedbackSerializer, request.data)
        services.case_feedback_record(
            case=case, actor=request.user, method=data["method"], content=data["content"],
            send_sms=data["send_sms"], expected_version=data["version"],
        )  # fmt: skip
        return case_detail_response(request, pk)


@requires_roles(*CASE_ROLES)
class CaseFollowUpView(CaseView):
    """Follow-up (回访, art. 8): method, date, the person's satisfaction."""

    @extend_schema(
        summary="Record the follow-up", request=FollowUpSerializer, responses={200: CaseDetailSerializer, **ERRORS}
    )
    def post(self, request: Request, pk: int) -> Response:
        case = _case(request, pk)
        data = parse(FollowUpSerializer, request.data)
        services.case_follow_up(
            case=case, actor=request.user, method=data["method"], date=data["date"],
            satisfaction=data["satisfaction"], note=data["note"], expected_version=data["version"],
        )  # fmt: skip
        return case_detail_response(request, pk)


@requires_roles(*CASE_ROLES)
class CaseRectificationView(CaseView):
    """After a dissatisfied rating by the person: what was rectified and the follow-up call (回访)."""

    @extend_schema(
        summary="Record the rectification after a dissatisfied rating",
        request=RectificationSerializer,
        responses={200: CaseDetailSerializer, **ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        case = _case(request, pk)
        data = parse(RectificationSerializer, request.data)
        ratings.rating_rectification_record(
            case=case, actor=request.user, note=data["note"], method=data["method"], satisfaction=data["satisfaction"]
        )
        return case_detail_response(request, pk)


@requires_roles(*CASE_ROLES)
class CaseRatingAppealView(CaseView):
    """The hall lead sends the person's rating for review (申诉复核) to the city supervisor."""

    @extend_schema(
        summary="Send the person's rating for review",
        request=AppealRequestSerializer,
        responses={200: CaseDetailSerializer, **ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        case = _case(request, pk)
        data = parse(AppealRequestSerializer, request.data)
        ratings.rating_appeal_request(case=case, actor=request.user, reason=data["reason"])
        return case_detail_response(request, pk)


@requires_roles(*CASE_ROLES)
class CaseReopenView(CaseView):
    """Reopen a case whose person was dissatisfied at follow-up."""

    @extend_schema(summary="Reopen a case", request=ReasonSerializer, responses={200: CaseDetailSerializer, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        case = _case(request, pk)
        data = parse(ReasonSerializer, request.data)
        services.case_reopen(case=case, actor=request.user, reason=data["reason"], expected_version=data["version"])
        return case_detail_response(request, pk)


@requires_roles(*CASE_ROLES)
class CaseCloseView(CaseView):
    """Close a case (art. 8: registered and filed)."""

    @extend_schema(summary="Close a case", request=NoteSerializer, responses={200: CaseDetailSerializer, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        case = _case(request, pk)
        data = parse(NoteSerializer, request.data)
        services.case_close(case=case, actor=request.user, note=data["note"], expected_version=data["version"])
        return case_detail_response(request, pk)


@requires_roles(*CASE_ROLES)
class CaseSmsOptOutView(CaseView):
    """The person asks (not) to receive SMS about the case."""

    @extend_schema(
        summary="Set the person's SMS opt-out",
        request=SmsOptOutSerializer,
        responses={200: CaseDetailSerializer, **ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        case = _case(request, pk)
        data = parse(SmsOptOutSerializer, request.data)
        services.case_sms_opt_out_set(
            case=case, actor=request.user, opt_out=data["opt_out"], expected_version=data["version"]
        )
        return case_detail_response(request, pk)


@requires_roles(*CASE_ROLES)
class CaseNotesView(CaseView):
    """The case's internal notes (内部备注), its slips' included: the hall's window staff and lead only
    (404 for the city supervisor); never printed or shown to the person."""

    @extend_schema(
        summary="List the case's internal notes", responses={200: CaseNoteSerializer(many=True), **READ_ERRORS}
    )
    def get(self, request: Request, pk: int) -> Response:
        case = _case(request, pk)
        notes = selectors.case_note_list_for_staff(actor=request.user, case=case)
        return Response(CaseNoteSerializer(notes, many=True).data)

    @extend_schema(
        summary="Add an internal note", request=CaseNoteCreateSerializer, responses={201: CaseNoteSerializer, **ERRORS}
    )
    def post(self, request: Request, pk: int) -> Response:
        case = _case(request, pk)
        data = parse(CaseNoteCreateSerializer, request.data)
        slip = None
        if data.get("slip") is not None:
            slip = TransferSlip.objects.filter(case=case, pk=data["slip"]).first()
            if slip is None:
                raise ValidationError({"slip": [_("Choose one of the case's slips.")]})
        note = services.case_note_add(case=case, actor=request.user, text=data["text"], slip=slip)
        return Response(CaseNoteSerializer(note).data, status=status.HTTP_201_CREATED)


@requires_roles(*CASE_ROLES)
class CaseAmendView(CaseView):
    """更正登记: correct registration fields with a reason (the window; after the feedback, the hall
    lead only). The timeline lists the fields changed, their values masked; the NO never changes."""

    @extend_schema(
        summary="Correct the registration", request=AmendSerializer, responses={200: CaseDetailSerializer, **ERRORS}
    )
    def post(self, request: Request, pk: int) -> Response:
        case = _case(request, pk)
        data = parse(AmendSerializer, request.data)
        changes = {name: data[name] for name in services.AMENDABLE_FIELDS if name in data}
        services.case_registration_amend(
            case=case, actor=request.user, changes=changes, reason=data["reason"], expected_version=data["version"]
        )
        return case_detail_response(request, pk)


@requires_roles(*CASE_ROLES)
class CaseReassignView(CaseView):
    """Give the case to another 经办人 of the hall (a window clerk or the hall lead); audited, the new
    handler is told in-app."""

    @extend_schema(
        summary="Give the case to another handler",
        request=ReassignSerializer,
        responses={200: CaseDetailSerializer, **ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        case = _case(request, pk)
        data = parse(ReassignSerializer, request.data)
        handler = User.objects.filter(pk=data["handler"], is_active=True).first()
        services.case_handler_reassign(case=case, actor=request.user, handler=handler, expected_version=data["version"])
        return case_detail_response(request, pk)


@requires_roles(*CASE_ROLES)
class CaseRevealView(CaseView):
    """One personal field unmasked, or (``free_text``) every free text of the case and its slips in
    clear, for whoever was granted it; every reveal is audited. Not a change of the case: no version;
    the supervisor may ask (the service refuses unless granted)."""

    open_to_readers = True

    @extend_schema(
        summary="Reveal a personal field", request=RevealSerializer, responses={200: RevealedSerializer, **ERRORS}
    )
    def post(self, request: Request, pk: int) -> Response:
        case = _case(request, pk)
        data = parse(RevealSerializer, request.data)
        try:
            if data["field"] == FREE_TEXT:
                return Response(revealed_free_text_data(services.case_reveal_free_text(case=case, actor=request.user)))
            value = services.case_reveal(case=case, actor=request.user, field=data["field"])
        except DjangoPermissionDenied:  # 403, and on record
            services.case_reveal_refused_record(case=case, actor=request.user, field=data["field"])
            raise
        return Response(RevealedSerializer({"field": data["field"], "value": value}).data)


@requires_roles(*CASE_ROLES)
class DepartmentListView(CaseView):
    """The departments this hall can transfer to: its own and its city's city-level bureaus."""

    @extend_schema(
        summary="Departments to transfer to", responses={200: DepartmentSerializer(many=True), **READ_ERRORS}
    )
    def get(self, request: Request) -> Response:
        route = request._request.hall_route  # type: ignore[attr-defined]
        departments = department_list_routable_from(hall_id=route.hall_id, city_id=route.city_id)
        return Response(DepartmentSerializer(departments, many=True).data)


# --- Slips -----------------------------------------------------------------------------------------


@routed_department_endpoint  # a department of another hall of the city opens its slip here
@requires_roles(*DEPARTMENT_ROLES)
class SlipView(APIView):
    permission_classes = SLIP_PERMISSIONS


def _slip(request: Request, pk: int) -> TransferSlip:
    return selectors.slip_get_for_department(actor=request.user, slip_id=pk)


class SlipDetailView(SlipView):
    """A slip addressed to one of the user's departments, with the case behind it."""

    @extend_schema(summary="A transfer slip", responses={200: SlipDetailSerializer, **READ_ERRORS})
    def get(self, request: Request, pk: int) -> Response:
        return slip_detail_response(request, pk)


class SlipNotesView(SlipView):
    """The slip's internal notes (内部备注): the department's and the hall's; never printed or shown to
    the person."""

    @extend_schema(
        summary="List the slip's internal notes", responses={200: CaseNoteSerializer(many=True), **READ_ERRORS}
    )
    def get(self, request: Request, pk: int) -> Response:
        slip = _slip(request, pk)
        return Response(CaseNoteSerializer(selectors.slip_note_list_for_department(slip=slip), many=True).data)

    @extend_schema(
        summary="Add an internal note on the slip",
        request=CaseNoteCreateSerializer,
        responses={201: CaseNoteSerializer, **ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        slip = _slip(request, pk)
        data = parse(CaseNoteCreateSerializer, request.data)
        note = services.case_note_add(case=slip.case, actor=request.user, text=data["text"], slip=slip)
        return Response(CaseNoteSerializer(note).data, status=status.HTTP_201_CREATED)


class SlipReceiveView(SlipView):
    """The department signs for the slip (签收)."""

    @extend_schema(
        summary="Receive a slip", request=VersionedSerializer, responses={200: SlipDetailSerializer, **ERRORS}
    )
    def post(self, request: Request, pk: int) -> Response:
        slip = _slip(request, pk)
        data = parse(VersionedSerializer, request.data)
        services.slip_receive(slip=slip, actor=request.user, expected_version=data["version"])
        return slip_detail_response(request, pk)


class SlipReplyView(SlipView):
    """The department answers (art. 5(3)): done, in progress, or materials to supplement (clock paused)."""

    @extend_schema(
        summary="Reply to a slip", request=SlipReplySerializer, responses={200: SlipDetailSerializer, **ERRORS}
    )
    def post(self, request: Request, pk: int) -> Response:
        slip = _slip(request, pk)
        data = parse(SlipReplySerializer, request.data)
        services.slip_reply(
            slip=slip, actor=request.user, result=data["result"], reply=data["reply"],
            supplement_note=data["supplement_note"], expected_version=data["version"],
        )  # fmt: skip
        return slip_detail_response(request, pk)


class SlipReturnView(SlipView):
    """The department returns a slip that is not its business, with the reason."""

    @extend_schema(summary="Return a slip", request=ReasonSerializer, responses={200: SlipDetailSerializer, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        slip = _slip(request, pk)
        data = parse(ReasonSerializer, request.data)
        services.slip_return(slip=slip, actor=request.user, reason=data["reason"], expected_version=data["version"])
        return slip_detail_response(request, pk)


class SlipRevealView(SlipView):
    """One personal field of the slip's case unmasked, or (``free_text``) the texts the slip shows in
    clear (the problem, the coordination notes, the slip's own), for a department granted it; audited."""

    @extend_schema(
        summary="Reveal a personal field of the slip's case",
        request=RevealSerializer,
        responses={200: RevealedSerializer, **ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        slip = _slip(request, pk)
        data = parse(RevealSerializer, request.data)
        if data["field"] == FREE_TEXT:
            revealed = services.case_reveal_free_text(case=slip.case, actor=request.user, slip=slip)
            return Response(revealed_free_text_data(revealed))
        value = services.case_reveal(case=slip.case, actor=request.user, field=data["field"])
        return Response(RevealedSerializer({"field": data["field"], "value": value}).data)


@requires_roles(*CASE_ROLES)
class SlipRerouteView(CaseView):
    """The window sends a returned slip to the right department: a new slip, a fresh deadline."""

    @extend_schema(
        summary="Re-route a returned slip",
        request=RerouteSerializer,
        responses={200: ReroutedCaseSerializer, **ERRORS},
        description="The case as `GET cases/{id}/` shows it, and `new_slip`: the slip just sent.",
    )
    def post(self, request: Request, pk: int) -> Response:
        slip = selectors.slip_get_for_staff(actor=request.user, slip_id=pk)
        data = parse(RerouteSerializer, request.data)
        new = services.slip_reroute(
            slip=slip, actor=request.user, department_id=data["department"], request=data["request"],
            complexity=data["complexity"], expected_version=data["version"],
        )  # fmt: skip
        case = selectors.case_get_for_staff(actor=request.user, case_id=slip.case_id)
        context = case_detail_context(request, case)
        fresh = next(s for s in context["slips"] if s.pk == new.pk)
        return Response(ReroutedCaseSerializer(case, context={**context, "new_slip": fresh}).data)


@requires_roles(*CASE_ROLES)
class SlipWithdrawView(CaseView):
    """The window withdraws a returned slip no other department needs to take (the case's other slips
    cover the matter)."""

    @extend_schema(
        summary="Withdraw a returned slip", request=ReasonSerializer, responses={200: CaseDetailSerializer, **ERRORS}
    )
    def post(self, request: Request, pk: int) -> Response:
        slip = selectors.slip_get_for_staff(actor=request.user, slip_id=pk)
        data = parse(ReasonSerializer, request.data)
        services.slip_withdraw(slip=slip, actor=request.user, reason=data["reason"], expected_version=data["version"])
        return case_detail_response(request, slip.case_id)


# --- The department's inbox (every host) ----------------------------------------------------------


@requires_roles(*DEPARTMENT_ROLES)
class InboxView(generics.GenericAPIView):
    """The slips addressed to the user's departments from every hall that routes to them, newest first;
    each links to the slip on its hall's host."""

    permission_classes = [HasRoleOnHost]
    pagination_class = PageNumberPagination
    serializer_class = InboxRowSerializer

    @extend_schema(
        summary="The department's inbox",
        parameters=[InboxFilterSerializer],
        responses={200: InboxRowSerializer(many=True), **READ_ERRORS},
    )
    def get(self, request: Request) -> Response:
        query = parse(InboxFilterSerializer, request.query_params)
        hall_id = None
        if query.get("hall"):
            hall_id = Hall.objects.filter(code=query["hall"]).values_list("pk", flat=True).first()
        rows: QuerySet[SlipIndex] = selectors.slip_inbox_for_department(
            actor=request.user,
            filters=selectors.InboxFilters(
                status=query.get("status", ""),
                hall_id=hall_id,
                overdue=query["overdue"],
                include_closed=query["include_closed"],
            ),
        )
        if query.get("hall") and hall_id is None:
            rows = rows.none()
        page = self.paginate_queryset(rows) or []
        now = timezone.now()
        badges = {
            row.pk: selectors.deadline_badge(row.deadline, now)
            for row in page
            if row.deadline is not None and row.deadline.state in LIVE_STATES
        }
        context = {"badges": badges, "hall_origin": lambda code: hall_origin(request._request, code)}
        return self.get_paginated_response(InboxRowSerializer(page, many=True, context=context).data)


@requires_roles(RoleKind.HALL_LEAD)
class IncomingSlipListView(generics.GenericAPIView):
    """Transfers across halls into this hall (异地转办): the slips other halls sent to its departments,
    for its hall lead, read-only, newest first; each links to the slip on the sending hall's host."""

    permission_classes = [HasRoleOnHost]
    pagination_class = PageNumberPagination
    serializer_class = InboxRowSerializer

    @extend_schema(summary="Slips from other halls", responses={200: InboxRowSerializer(many=True), **READ_ERRORS})
    def get(self, request: Request) -> Response:
        route = request._request.hall_route  # type: ignore[attr-defined]
        if route is None:
            raise Http404
        rows = selectors.slip_list_routed_to_hall(actor=request.user, hall_id=route.hall_id)
        page = self.paginate_queryset(rows) or []
        now = timezone.now()
        badges = {
            row.pk: selectors.deadline_badge(row.deadline, now)
            for row in page
            if row.deadline is not None and row.deadline.state in LIVE_STATES
        }
        context = {"badges": badges, "hall_origin": lambda code: hall_origin(request._request, code)}
        return self.get_paginated_response(InboxRowSerializer(page, many=True, context=context).data)
