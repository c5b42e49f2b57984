"""The window's pages on a hall's host: the workbench, the case list, registration (登记表), the case
page with its steps, and the print views (登记表, 一次性告知单).

Views parse, call one service or selector, and render (CONVENTIONS.md). Every step is a POST carrying
the case's ``version``; a conflict or an impossible step changes nothing and says so on the page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from casework.choices import (
    UNSATISFIED,
    ApplicantKind,
    CaseResult,
    CaseStatus,
    Channel,
    HandlingCategory,
    SlipStatus,
)
from casework.duplicates import (
    ELSEWHERE_SHOWN,
    case_duplicate_link,
    case_index_list_elsewhere,
    case_links_of,
    case_list_elsewhere_of_case,
)
from casework.freetext import FREE_TEXT
from casework.interface import case_page_extras, home_sections
from casework.models import Case, CaseRating, TransferSlip
from casework.ratings import rating_appeal_request, rating_rectification_record
from casework.retention import case_retention_hold_set, may_hold
from casework.selectors import (
    CaseFilters,
    case_badges,
    case_get_for_staff,
    case_list_earlier_of_person,
    case_list_ordered_for_staff,
    case_note_list_for_staff,
    case_search_for_staff,
    case_steps_allowed,
    case_timeline,
    case_undo_step,
    deadline_badge,
    feedback_deadline_for_case,
    meeting_request_list_for_hall,
    slip_extension_requests_for_case,
    slip_list_for_case,
    slip_steps_allowed,
)
from casework.services import (
    REVEALABLE_FIELDS,
    case_answer_on_spot,
    case_close,
    case_close_check,
    case_close_undo,
    case_feedback_record,
    case_follow_up,
    case_handler_choices,
    case_handler_reassign,
    case_meeting_request_decline,
    case_note_add,
    case_register,
    case_registration_amend,
    case_reopen,
    case_reveal,
    case_reveal_free_text,
    case_reveal_refused_record,
    case_screen_out,
    case_screen_out_check,
    case_screen_out_undo,
    case_sms_opt_out_set,
    case_supervisor_view_record,
    case_supplement_received,
    case_supplement_request,
    case_transfer,
    case_undo_minutes,
    document_indexes,
    phone_indexes,
    slip_extension_decide,
    slip_reroute,
    slip_withdraw,
)
from casework.web.display import personal_fields, problem_text, timeline_entry
from casework.web.forms import (
    ActionForm,
    AmendForm,
    AnswerForm,
    CaseFilterForm,
    CaseSearchForm,
    CloseForm,
    ExtensionDecisionForm,
    FeedbackForm,
    FollowUpForm,
    MeetingDeclineForm,
    NoteForm,
    RatingAppealForm,
    ReassignForm,
    RectificationForm,
    RegistrationForm,
    ReopenForm,
    RerouteForm,
    RetentionHoldForm,
    ScreenOutForm,
    SmsOptOutForm,
    SupplementForm,
    SupplementRequestForm,
    TransferForm,
    UndoForm,
    WithdrawForm,
    add_service_errors,
    mark_first_error,
    version_error,
)
from casework.web.person_progress import progress_qr
from casework.web.progress import case_progress, ordered_steps, primary_step
from casework.web.todo import home_todo_sections
from hallindex.models import CaseIndex
from hallplatform.accounts.access import request_roles, requires_roles
from hallplatform.accounts.models import RoleKind
from hallplatform.deadlines.badges import badge_html, worst_badge
from hallplatform.personal import DocumentType, free_text, is_mobile, mask_name, normalise_phone
from hallplatform.todo import todo_summary
from tenants.models import Hall
from tenants.selectors import department_list_routable_from

# Who reads the hall's cases, and who works them (the city supervisor reads only).
READ_ROLES = (RoleKind.WINDOW_STAFF, RoleKind.HALL_LEAD, RoleKind.CITY_SUPERVISOR, RoleKind.DISCIPLINE_INSPECTOR)
WORK_ROLES = (RoleKind.WINDOW_STAFF, RoleKind.HALL_LEAD)
PAGE_SIZE = 50
EARLIER_SHOWN = 10
MEETING_REQUESTS_SHOWN = 50


def hall_home(request: HttpRequest) -> HttpResponse:
    """The hall's start page: the person's to-do here, one section per kind of work of each of their
    roles, most urgent first, with the counts 逾期 / 临期 / 今日到期; then where this hall can transfer
    to. A constant number of queries whatever the number of items."""
    route = request.hall_route  # type: ignore[attr-defined]
    roles = request_roles(request)
    departments = list(department_list_routable_from(hall_id=route.hall_id, city_id=route.city_id))
    lead = RoleKind.HALL_LEAD in roles
    meeting_requests = list(meeting_request_list_for_hall()[:MEETING_REQUESTS_SHOWN]) if lead else None
    sections = home_todo_sections(request, roles=roles, meeting_requests=meeting_requests)
    sections += home_sections(request)
    return render(
        request,
        "casework/hall_home.html",
        {
            "route": route,
            "sections": sections,
            "summary": todo_summary(sections),
            # the hall lead's open joint-meeting requests: convene one, or decline with a reason
            "meeting_requests": meeting_requests,
            "role_labels": [RoleKind(kind).label for kind in sorted(roles)],
            "own_departments": [d for d in departments if d.hall_id == route.hall_id],
            "city_departments": [d for d in departments if d.hall_id != route.hall_id],
        },
    )


def _hall(request: HttpRequest) -> Any:
    return request.tenant  # type: ignore[attr-defined]


def _errors(exc: ValidationError) -> dict[str, list[str]]:
    return exc.message_dict if hasattr(exc, "error_dict") else {"__all__": list(exc.messages)}


def _routable(request: HttpRequest) -> list[Any]:
    """Departments the hall can transfer to, its own first, then the city-level ones, then other
    halls' of the city (异地转办, as the city's routing setting allows)."""
    hall = _hall(request)
    departments = department_list_routable_from(hall_id=hall.pk, city_id=hall.city_id)
    return sorted(departments, key=lambda d: d.hall_id != hall.pk)


def _works(request: HttpRequest) -> bool:
    return bool(request_roles(request) & set(WORK_ROLES))


# --- The case list --------------------------------------------------------------------------------


@requires_roles(*READ_ROLES)
@require_GET
def case_list(request: HttpRequest) -> HttpResponse:
    """The hall's cases, filtered, 50 a page, each with its most urgent deadline: a constant number
    of queries whatever the number of rows."""
    form = CaseFilterForm(request.GET, departments=_routable(request))
    filters = form.filters() if form.is_valid() else CaseFilters()
    cases = case_list_ordered_for_staff(actor=request.user, filters=filters).defer(*_NOT_LISTED)
    page = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "casework/case_list.html",
        {
            "form": form,
            "page": page,
            "rows": _case_rows(request, list(page.object_list)),
            "can_register": _works(request),
            "quick": _quick_filters(request),
        },
    )


# What a list row never reads (personal data stays encrypted and unread; the search vector is big).
_NOT_LISTED = (
    "phone", "document_number", "address", "problem", "acceptance_note", "remarks", "answer", "feedback_content",
    "matter_search",
)  # fmt: skip


def _quick_filters(request: HttpRequest) -> list[dict[str, Any]]:
    """The links above the case list: one click to what is urgent or one's own (rule art. 5(3))."""
    current = {key: value for key, value in request.GET.items() if key != "page" and value}
    links = [
        (_("Open, by deadline"), {"open_only": "on", "sort": "deadline"}),
        (_("Mine"), {"mine": "on", "open_only": "on", "sort": "deadline"}),
        (_("Overdue"), {"due": "overdue", "sort": "deadline"}),
        (_("Due today"), {"due": "today", "sort": "deadline"}),
        (_("Flagged for supervision"), {"flagged": "on", "open_only": "on", "sort": "deadline"}),
    ]
    return [{"label": label, "query": urlencode(query), "current": current == query} for label, query in links]


def _case_rows(request: HttpRequest, rows: list[Case]) -> list[dict[str, Any]]:
    """The rows of a case list, masked, each with its most urgent deadline: two queries for any number."""
    badges = case_badges(hall_id=_hall(request).pk, case_ids=[case.pk for case in rows])
    # Each label translated once per page, not once per row (get_FOO_display rebuilds its choices).
    labels = {
        name: {value: str(label) for value, label in choices}
        for name, choices in (
            ("channel", Channel.choices),
            ("category", HandlingCategory.choices),
            ("status", CaseStatus.choices),
            ("result", CaseResult.choices),
        )
    }
    return [
        {
            "case": case,
            "name": mask_name(case.applicant_name),
            "badge": badge_html(badges.get(case.pk)),
            "channel": labels["channel"].get(case.channel, case.channel),
            "category": labels["category"].get(case.handling_category, ""),
            "status": labels["status"].get(case.status, case.status),
            "result": labels["result"].get(case.result, ""),
        }
        for case in rows
    ]


SEARCH_SHOWN = 50


@requires_roles(*READ_ROLES)
@require_http_methods(["GET", "POST"])
@never_cache
def case_search(request: HttpRequest) -> HttpResponse:
    """The header's search box: a case by its NO, the person's phone or ID number (blind indexes) or
    words of the matter. POST, so that a phone or ID number typed never sits in a URL (history,
    access logs); the answer is the masked list, deadline order, at most 50 rows."""
    form = CaseSearchForm(request.POST if request.method == "POST" else None)
    rows: list[dict[str, Any]] = []
    total = None
    if form.is_bound and form.is_valid():
        cases = case_search_for_staff(actor=request.user, text=form.cleaned_data["q"]).defer(*_NOT_LISTED)
        found = list(cases[: SEARCH_SHOWN + 1])
        total = len(found)
        rows = _case_rows(request, found[:SEARCH_SHOWN])
        if any(ch.isdigit() for ch in form.cleaned_data["q"]):
            form = CaseSearchForm()  # a phone or ID number typed is not shown back on the page
    return render(
        request,
        "casework/case_search.html",
        {"form": form, "rows": rows, "total": total, "more": total is not None and total > SEARCH_SHOWN},
    )


# --- Registration ---------------------------------------------------------------------------------


def _earlier(
    *,
    phone: str = "",
    document_type: str = "",
    document_number: str = "",
    exclude: int | None = None,
    hall: Hall | None = None,
) -> dict[str, Any] | None:
    """Earlier cases of the same person (repeat reporters), by phone or document; masked."""
    try:
        phone = normalise_phone(phone) if (phone or "").strip() else ""
    except ValidationError:
        phone = ""
    number = (document_number or "").strip()
    if document_type not in DocumentType.values or not number:
        document_type = number = ""
    if not phone and not number:
        return None
    cases = case_list_earlier_of_person(phone=phone, document_type=document_type, document_number=number)
    if exclude is not None:
        cases = cases.exclude(pk=exclude)
    count = cases.count()
    shown = list(cases.only("id", "number", "registered_at", "status", "matter_name", "applicant_name")[:EARLIER_SHOWN])
    cases_shown = [{"case": c, "name": mask_name(c.applicant_name)} for c in shown]
    result: dict[str, Any] = {"count": count, "cases": cases_shown}
    if hall is not None:  # the registration form: the same person in the city's other halls too
        result["elsewhere"] = _elsewhere_rows(
            case_index_list_elsewhere(
                hall=hall,
                phone_indexes=phone_indexes(phone) if phone else [],
                document_indexes=document_indexes(document_type, number) if number else [],
            )
        )
    return result


def _elsewhere_rows(rows: Any) -> list[dict[str, Any]]:
    """Other halls' cases of the person (the public index: NO, hall, matter masked, status; nothing
    that identifies the person), with their status label."""
    labels = dict(CaseStatus.choices)
    return [{"row": row, "status_label": labels.get(row.status, row.status)} for row in rows[:ELSEWHERE_SHOWN]]


@requires_roles(*WORK_ROLES)
@require_http_methods(["GET", "POST"])
def case_new(request: HttpRequest) -> HttpResponse:
    """Register a case on the 登记表 (rule art. 5(1)); refusals are shown next to their fields."""
    earlier = None
    if request.method == "POST":
        form = RegistrationForm(request.POST)
        if form.is_valid():
            try:
                case = case_register(hall=_hall(request), actor=request.user, data=form.registration())
            except ValidationError as exc:
                add_service_errors(form, _errors(exc))
            else:
                messages.success(request, _("Case %(number)s is registered.") % {"number": case.number})
                return redirect("cases:detail", case_id=case.pk)
        earlier = _earlier(
            phone=request.POST.get("phone", ""),
            document_type=request.POST.get("document_type", ""),
            document_number=request.POST.get("document_number", ""),
            hall=_hall(request),
        )
        mark_first_error(form)
    else:
        form = RegistrationForm()
    return render(request, "casework/case_register.html", {"form": form, "earlier": earlier})


@requires_roles(*WORK_ROLES)
@require_GET
def person_lookup(request: HttpRequest) -> HttpResponse:
    """The partial under the registration form: earlier cases of the phone or document typed."""
    earlier = _earlier(
        phone=request.GET.get("phone", ""),
        document_type=request.GET.get("document_type", ""),
        document_number=request.GET.get("document_number", ""),
        hall=_hall(request),
    )
    return render(request, "casework/case/_earlier_cases.html", {"earlier": earlier})


# --- The case page --------------------------------------------------------------------------------


# The page's steps (URL slugs) and their names in casework.selectors.case_steps_allowed.
STEP_NAMES = {
    "screen-out": "screen_out",
    "answer": "answer",
    "transfer": "transfer",
    "supplement": "supplement_received",
    "supplement-request": "supplement_request",
    "feedback": "feedback",
    "follow-up": "follow_up",
    "reopen": "reopen",
    "close": "close",
    "sms-opt-out": "sms_opt_out",
    "reassign": "reassign",
    "amend": "amend",
}


def _action_forms(
    request: HttpRequest, case: Case, slips: list[TransferSlip], steps: set[str], bound: ActionForm | None
) -> tuple[dict[str, ActionForm], list[tuple[TransferSlip, ActionForm]]]:
    """The steps the selector allows now, as forms (``bound``: the one just refused, with its errors)."""
    initial = {"version": case.version}
    departments: list[Any] | None = None

    def routable() -> list[Any]:
        nonlocal departments
        if departments is None:
            departments = _routable(request)
        return departments

    makers: dict[str, Callable[[], ActionForm]] = {
        "screen-out": lambda: ScreenOutForm(initial=initial, action="screen-out"),
        "answer": lambda: AnswerForm(initial=initial, action="answer"),
        "transfer": lambda: TransferForm(initial=initial, departments=routable()),
        "supplement": lambda: SupplementForm(initial=initial, action="supplement"),
        "supplement-request": lambda: SupplementRequestForm(initial=initial, action="supplement-request"),
        "feedback": lambda: FeedbackForm(
            initial=initial, sms_opt_out=case.sms_opt_out, landline=not is_mobile(case.phone or "")
        ),
        "follow-up": lambda: FollowUpForm(initial=initial),
        "reopen": lambda: ReopenForm(initial=initial, action="reopen"),
        "close": lambda: CloseForm(initial=initial, action="close"),
        "sms-opt-out": lambda: SmsOptOutForm(initial={**initial, "opt_out": case.sms_opt_out}, action="sms-opt-out"),
        "reassign": lambda: ReassignForm(initial=initial, handlers=_handlers(request, case)),
        "amend": lambda: AmendForm(initial=AmendForm.initial_of(case)),
    }
    forms: dict[str, ActionForm] = {}
    for action, make in makers.items():
        if STEP_NAMES[action] in steps:
            forms[action.replace("-", "_")] = bound if bound is not None and bound.action == action else make()
    undo = case_undo_step(actor=request.user, case=case)
    if undo:
        action = "undo-" + undo.replace("_", "-")
        same = bound is not None and bound.action == action
        forms["undo"] = bound if same and bound is not None else UndoForm(initial=initial, action=action)
    reroutes: list[tuple[TransferSlip, ActionForm]] = []
    for slip in slips:
        if "reroute" not in slip_steps_allowed(slip=slip, for_department=False):
            continue
        if isinstance(bound, RerouteForm) and bound.action == f"reroute-{slip.pk}":
            reroutes.append((slip, bound))
            continue
        form = RerouteForm(
            initial={
                **initial,
                "slip": slip.pk,
                "slip_version": slip.version,
                # not prefilled: the request may hold numbers the reader sees masked; blank sends
                # the returned slip's request as it was (casework.services.slip_reroute)
                "complexity": slip.complexity,
            },
            slip_id=slip.pk,
            departments=[d for d in routable() if d.pk != slip.department_id],
        )
        reroutes.append((slip, form))
        if "withdraw" in slip_steps_allowed(slip=slip, for_department=False):
            withdraw = (
                bound
                if isinstance(bound, WithdrawForm) and bound.action == f"withdraw-{slip.pk}"
                else WithdrawForm(initial={**initial, "slip": slip.pk, "slip_version": slip.version}, slip_id=slip.pk)
            )
            reroutes.append((slip, withdraw))
    return forms, reroutes


def _step_of(action: str) -> str:
    """The step (as the page orders them) a form's action belongs to."""
    if action.startswith(("reroute-", "withdraw-")):
        return "reroute"
    if action.startswith("undo-"):
        return "undo"
    return STEP_NAMES.get(action, action)


def _steps_shown(
    case: Case, forms: dict[str, ActionForm], reroutes: list[tuple[TransferSlip, ActionForm]], bound: ActionForm | None
) -> dict[str, Any]:
    """Which step the page shows first (the one the rule expects next, casework.web.progress) and
    which behind "其他操作"; those open when the form just refused is among them."""
    offered = [step for action, step in STEP_NAMES.items() if action.replace("-", "_") in forms]
    satisfied = case.satisfaction not in UNSATISFIED
    steps = ordered_steps(status=case.status, allowed=offered, satisfied=satisfied)
    if reroutes:
        steps.insert(0, "reroute")
    primary = primary_step(status=case.status, allowed=offered, satisfied=satisfied, returned_slips=bool(reroutes))
    if "undo" in forms:  # just closed or not accepted: taking it back is what may be wanted now
        steps.insert(0, "undo")
        primary = "undo"
    first = [step for step in steps if step == primary]
    others = [step for step in steps if step != primary]
    return {
        "primary_steps": first,
        "other_steps": others,
        "others_open": bound is not None and _step_of(bound.action) in others,
    }


def _told(case: Case) -> list[tuple[str, str]]:
    """What the person was told, for the one-time notice: the feedback, the answer on the spot, or
    why the case is not accepted and where they were referred (the free texts unmasked: the caller
    passes them through ``free_text``)."""
    if case.feedback_content:
        told = [(_("Our answer"), case.feedback_content)]
        if case.result:
            told.insert(0, (_("Result"), str(case.get_result_display())))
        return told
    if case.answer:
        told = [(_("Our answer"), case.answer)]
        if case.policy_basis:
            told.append((_("Policy basis"), case.policy_basis))
        return told
    if case.status == CaseStatus.NOT_ACCEPTED:
        return [
            (_("Reason not accepted"), str(case.get_exclusion_reason_display())),
            (_("Where to go instead"), case.referral),
        ]
    return []


def _case_context(
    request: HttpRequest,
    case: Case,
    *,
    bound: ActionForm | None = None,
    revealed: dict[str, str] | None = None,
    free_text_revealed: bool = False,
    hold_form: ActionForm | None = None,
    note_form: NoteForm | None = None,
) -> dict[str, Any]:
    """The case page's context. ``revealed``: personal fields shown in clear, ``free_text_revealed``:
    the free texts shown in clear, both only after the audited reveal (casework.services)."""
    hall = _hall(request)
    works = _works(request)
    slips = slip_list_for_case(case=case)
    feedback = feedback_deadline_for_case(case=case)
    steps = set(case_steps_allowed(actor=request.user, case=case, window=works)) if works else set()
    forms, reroutes = (
        _action_forms(request, case, [slip for slip, _badge in slips], steps, bound) if works else ({}, [])
    )
    if bound is not None and bound.errors:
        mark_first_error(bound)
    feedback_badge = deadline_badge(feedback) if feedback is not None and feedback.is_live else None
    reply_badge = worst_badge([badge for _slip, badge in slips if badge is not None])
    return {
        "progress": case_progress(case, reply_badge=reply_badge, feedback_badge=feedback_badge),
        **(_steps_shown(case, forms, reroutes, bound) if works else {}),
        "undo_minutes": case_undo_minutes(),
        "case": case,
        "hall": hall,
        "personal": personal_fields(case, revealed),
        "problem": problem_text(case, revealed=free_text_revealed),
        "free_text_revealed": free_text_revealed,
        "free_text_field": FREE_TEXT,
        "may_reveal": "reveal" in steps,
        "works": works,
        "slips": slips,
        "feedback_deadline": feedback,
        "feedback_badge": feedback_badge,
        "timeline": [timeline_entry(event, revealed=free_text_revealed) for event in case_timeline(case=case)],
        "earlier": _earlier(
            phone=case.phone,
            document_type=case.document_type,
            document_number=case.document_number,
            exclude=case.pk,
        ),
        # the same person's cases in the city's other halls, and the links made (duplicates across halls)
        "elsewhere": _elsewhere_rows(case_list_elsewhere_of_case(case=case, hall=hall)),
        "linked_elsewhere": case_links_of(hall=hall, case_id=case.pk),
        "forms": forms,
        "reroutes": reroutes,
        # meetings and supervision orders about the case, from the apps that register them
        "meetings": [],
        "orders": [],
        **case_page_extras(hall_id=hall.pk, case_id=case.pk),
        "has_notice": bool(_told(case)),
        "has_supplement_notice": bool(_supplement_asked(case)),
        # retention (casework.retention): erased or held, and the hold's form for the lead or supervisor
        "may_hold": may_hold(request.user, hall),
        "hold_form": hold_form
        or RetentionHoldForm(
            initial={"version": case.version, "hold": not case.retention_hold}, action="retention-hold"
        ),
        # the hall lead decides the window's request for a joint meeting: convene, or decline
        "may_decide_meeting": case.meeting_requested and RoleKind.HALL_LEAD in request_roles(request),
        # who may start a joint meeting or a supervision order from the case (the links, ``start_links``,
        # come from the app that owns them, through casework.interface.register_case_page_extra)
        "may_coordinate": bool(request_roles(request) & {RoleKind.HALL_LEAD, RoleKind.CITY_SUPERVISOR}),
        # the departments' requests for more time (延期) waiting for the hall's lead
        "extension_requests": _extension_requests(request, case, [slip for slip, _badge in slips], bound),
        # internal notes (内部备注): the hall's staff only, never on a print
        "notes": list(case_note_list_for_staff(actor=request.user, case=case)) if works else [],
        "note_form": (note_form or NoteForm(slips=[slip for slip, _badge in slips])) if works else None,
        "notes_url": reverse("cases:notes", args=[case.pk]),
        **_rating_context(request, case, works),
    }


def _rating_context(request: HttpRequest, case: Case, works: bool) -> dict[str, Any]:
    """The person's rating card (docs/ratings.md): the rating, the rectification form for the window
    while one is under way, the review request for the hall lead."""
    try:
        rating = case.rating
    except CaseRating.DoesNotExist:
        return {"person_rating": None}
    is_lead = RoleKind.HALL_LEAD in request_roles(request)
    return {
        "person_rating": rating,
        "person_rating_comment": free_text(rating.comment, revealed=False),
        "rectification_form": RectificationForm() if works and rating.rectification_state == "open" else None,
        "appeal_form": (
            RatingAppealForm()
            if is_lead and rating.source == "person" and rating.state == "active" and not rating.appeal_state
            else None
        ),
    }


def _extension_requests(
    request: HttpRequest, case: Case, slips: list[TransferSlip], bound: Any
) -> list[dict[str, Any]]:
    """Each waiting request for more time: the slip, the request (days, reason) and, for the hall's
    lead, the form to decide it (``bound``: the one just refused)."""
    pending = slip_extension_requests_for_case(case=case)
    if not pending:
        return []
    lead = RoleKind.HALL_LEAD in request_roles(request)
    rows = []
    for slip in slips:
        event = pending.get(slip.pk)
        if event is None:
            continue
        form = None
        if lead:
            same = isinstance(bound, ExtensionDecisionForm) and bound.slip_id == slip.pk
            form = bound if same else ExtensionDecisionForm(
                initial={"slip": slip.pk, "slip_version": slip.version, "days": (event.changes or {}).get("days")},
                slip_id=slip.pk,
            )  # fmt: skip
        rows.append({"slip": slip, "event": event, "changes": event.changes or {}, "form": form})
    return rows


@requires_roles(RoleKind.HALL_LEAD)
@require_POST
def case_extension_decide_view(request: HttpRequest, case_id: int) -> HttpResponse:
    """The hall's lead grants (with the working days) or refuses (with a reason) a department's request
    for more time on one of the case's slips. A refusal: the page again with the error, nothing changed."""
    case = case_get_for_staff(actor=request.user, case_id=case_id)
    slip_id = int(request.POST["slip"]) if request.POST.get("slip", "").isdigit() else 0
    slip = TransferSlip.objects.filter(case=case, pk=slip_id).select_related("department").first()
    if slip is None:
        raise Http404
    form = ExtensionDecisionForm(request.POST, slip_id=slip.pk)
    if form.is_valid():
        data = form.cleaned_data
        grant = data["decision"] == "grant"
        try:
            slip_extension_decide(
                slip=slip, actor=request.user, grant=grant, days=data["days"], reason=data["reason"],
                expected_version=data["slip_version"],
            )  # fmt: skip
        except ValidationError as exc:
            errors = _errors(exc)
            blocking = version_error(errors)
            if blocking:
                for text in blocking:
                    messages.error(request, text)
                return redirect("cases:detail", case_id=case.pk)
            add_service_errors(form, errors)
        except PermissionDenied as exc:
            messages.error(request, str(exc))
            return redirect("cases:detail", case_id=case.pk)
        else:
            if grant:
                messages.success(request, _("More time is given; the department is told."))
            else:
                messages.success(request, _("The request for more time is refused; the department is told."))
            return redirect("cases:detail", case_id=case.pk)
    messages.error(request, _("The step was not saved; see the errors below."))
    return render(request, "casework/case_detail.html", _case_context(request, case, bound=form))  # type: ignore[arg-type]


@requires_roles(*READ_ROLES)
@require_GET
def case_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    """The case page: the 登记表 (masked), deadlines, timeline and the steps possible now."""
    case = case_get_for_staff(actor=request.user, case_id=case_id)
    case_supervisor_view_record(case=case, actor=request.user)
    return render(request, "casework/case_detail.html", _case_context(request, case))


# --- Steps on a case: one POST each ----------------------------------------------------------------


@requires_roles(RoleKind.HALL_LEAD)
@require_POST
def case_meeting_decline_view(request: HttpRequest, case_id: int) -> HttpResponse:
    """The hall lead declines the window's request for a joint meeting, with a reason (recorded on
    the timeline, the window told). A refusal is shown as a message and changes nothing."""
    case = case_get_for_staff(actor=request.user, case_id=case_id)
    form = MeetingDeclineForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect("cases:detail", case_id=case.pk)
    try:
        case_meeting_request_decline(
            case=case,
            actor=request.user,
            reason=form.cleaned_data["reason"],
            expected_version=form.cleaned_data["version"],
        )
    except ValidationError as exc:
        for texts in _errors(exc).values():
            for text in texts:
                messages.error(request, text)
    else:
        messages.success(request, _("The joint meeting request is declined; the window is told."))
    return redirect("cases:detail", case_id=case.pk)


@requires_roles(*WORK_ROLES)
@require_POST
def case_link_elsewhere_view(request: HttpRequest, case_id: int) -> HttpResponse:
    """Link the case to the same person's case in another hall of the city (duplicates across halls).
    A refusal is shown as a message and changes nothing."""
    case = case_get_for_staff(actor=request.user, case_id=case_id)
    other_id = request.POST.get("other", "")
    other = CaseIndex.objects.select_related("hall").filter(pk=int(other_id)).first() if other_id.isdigit() else None
    try:
        link = case_duplicate_link(case=case, hall=_hall(request), actor=request.user, other=other)
    except ValidationError as exc:
        for texts in _errors(exc).values():
            for text in texts:
                messages.error(request, text)
    else:
        messages.success(request, _("Linked to %(number)s.") % {"number": link.other_number})
    return redirect("cases:detail", case_id=case.pk)


def _rating_step(request: HttpRequest, case: Case, form: Any, perform: Callable[[], Any], done: str) -> HttpResponse:
    """Run a rating step from the case page: form errors and refusals as messages, nothing changed."""
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect("cases:detail", case_id=case.pk)
    try:
        perform()
    except ValidationError as exc:
        for texts in _errors(exc).values():
            for text in texts:
                messages.error(request, text)
    else:
        messages.success(request, done)
    return redirect("cases:detail", case_id=case.pk)


@requires_roles(*WORK_ROLES)
@require_POST
def rating_rectification_view(request: HttpRequest, case_id: int) -> HttpResponse:
    """The window records what was rectified after a dissatisfied rating by the person and its
    follow-up call (casework.ratings.rating_rectification_record)."""
    case = case_get_for_staff(actor=request.user, case_id=case_id)
    form = RectificationForm(request.POST)

    def perform() -> Any:
        data = form.cleaned_data
        return rating_rectification_record(
            case=case, actor=request.user, note=data["note"], method=data["method"], satisfaction=data["satisfaction"]
        )

    return _rating_step(request, case, form, perform, _("The rectification and its follow-up are recorded."))


@requires_roles(RoleKind.HALL_LEAD)
@require_POST
def rating_appeal_view(request: HttpRequest, case_id: int) -> HttpResponse:
    """The hall lead sends the person's rating for review (casework.ratings.rating_appeal_request)."""
    case = case_get_for_staff(actor=request.user, case_id=case_id)
    form = RatingAppealForm(request.POST)

    def perform() -> Any:
        return rating_appeal_request(case=case, actor=request.user, reason=form.cleaned_data["reason"])

    return _rating_step(request, case, form, perform, _("The rating is sent to the city supervisor for review."))


Perform = Callable[[Case, Any, Any], str]


def _screen_out(case: Case, actor: Any, form: Any) -> str:
    data = form.cleaned_data
    case_screen_out(
        case=case, actor=actor, reason=data["reason"], referral=data["referral"], expected_version=data["version"]
    )
    return _("The case is recorded as not accepted, with the referral.")


def _answer(case: Case, actor: Any, form: Any) -> str:
    data = form.cleaned_data
    case_answer_on_spot(
        case=case,
        actor=actor,
        category=data["category"],
        answer=data["answer"],
        policy_basis=data["policy_basis"],
        expected_version=data["version"],
    )
    return _("The answer on the spot is recorded.")


def _transfer(case: Case, actor: Any, form: Any) -> str:
    data = form.cleaned_data
    case_transfer(
        case=case,
        actor=actor,
        category=data["category"],
        slips=form.drafts(),
        coordination_note=data["coordination_note"],
        meeting_requested=data["meeting_requested"],
        meeting_request_note=data["meeting_request_note"],
        expected_version=data["version"],
    )
    return _("The case is transferred.")


def _reroute(case: Case, actor: Any, form: Any) -> str:
    data = form.cleaned_data
    slip = TransferSlip.objects.filter(case=case, pk=data["slip"]).first()
    if slip is None:
        raise Http404
    new = slip_reroute(
        slip=slip,
        actor=actor,
        department_id=data["department"],
        request=data["request"],
        complexity=data["complexity"],
        expected_version=data["slip_version"],
    )
    return _("The slip is re-routed to %(department)s.") % {"department": new.department.name}


def _withdraw(case: Case, actor: Any, form: Any) -> str:
    data = form.cleaned_data
    slip = TransferSlip.objects.filter(case=case, pk=data["slip"]).first()
    if slip is None:
        raise Http404
    slip_withdraw(slip=slip, actor=actor, reason=data["reason"], expected_version=data["slip_version"])
    return _("The returned slip %(number)s is withdrawn.") % {"number": slip.number}


def _supplement(case: Case, actor: Any, form: Any) -> str:
    data = form.cleaned_data
    case_supplement_received(case=case, actor=actor, note=data["note"], expected_version=data["version"])
    return _("The materials are recorded as received; the departments' deadlines run again.")


def _supplement_request(case: Case, actor: Any, form: Any) -> str:
    data = form.cleaned_data
    case_supplement_request(
        case=case, actor=actor, note=data["note"], due=data["due"], expected_version=data["version"]
    )
    return _("The materials to supplement are recorded; print the notice for the person.")


def _feedback(case: Case, actor: Any, form: Any) -> str:
    data = form.cleaned_data
    case_feedback_record(
        case=case,
        actor=actor,
        method=data["method"],
        content=data["content"],
        send_sms=data.get("send_sms", False),
        expected_version=data["version"],
    )
    return _("The feedback to the person is recorded.")


def _follow_up(case: Case, actor: Any, form: Any) -> str:
    data = form.cleaned_data
    case_follow_up(
        case=case,
        actor=actor,
        method=data["method"],
        date=data["date"],
        satisfaction=data["satisfaction"],
        note=data["note"],
        expected_version=data["version"],
    )
    return _("The follow-up is recorded.")


def _reopen(case: Case, actor: Any, form: Any) -> str:
    data = form.cleaned_data
    case_reopen(case=case, actor=actor, reason=data["reason"], expected_version=data["version"])
    return _("The case is reopened.")


def _close(case: Case, actor: Any, form: Any) -> str:
    data = form.cleaned_data
    case_close(case=case, actor=actor, note=data["note"], expected_version=data["version"])
    return _("The case is closed.")


def _undo_close(case: Case, actor: Any, form: Any) -> str:
    data = form.cleaned_data
    case_close_undo(case=case, actor=actor, reason=data["reason"], expected_version=data["version"])
    return _("The closing is taken back; the case is open again.")


def _undo_screen_out(case: Case, actor: Any, form: Any) -> str:
    data = form.cleaned_data
    case_screen_out_undo(case=case, actor=actor, reason=data["reason"], expected_version=data["version"])
    return _("“Not accepted” is taken back; the case is registered again.")


def _handlers(request: HttpRequest, case: Case) -> list[Any]:
    """The people the case may be given to: the hall's window staff and leads but its handler."""
    return [person for person in case_handler_choices(hall_id=_hall(request).pk) if person.pk != case.handler_id]


def _reassign(case: Case, actor: Any, form: Any) -> str:
    data = form.cleaned_data
    handler = next((p for p in form.handlers if p.pk == data["handler"]), None)
    case = case_handler_reassign(case=case, actor=actor, handler=handler, expected_version=data["version"])
    return _("The case is now handled by %(name)s.") % {"name": case.handler}


def _amend(case: Case, actor: Any, form: Any) -> str:
    data = form.cleaned_data
    case_registration_amend(
        case=case, actor=actor, changes=form.changes(case), reason=data["reason"], expected_version=data["version"]
    )
    return _("The registration is corrected.")


def _sms_opt_out(case: Case, actor: Any, form: Any) -> str:
    case_sms_opt_out_set(case=case, actor=actor, opt_out=form.cleaned_data["opt_out"])
    return _("The SMS preference is saved.")


def _bind(request: HttpRequest, case: Case, action: str) -> tuple[ActionForm, Perform]:
    data = request.POST
    if action == "transfer":
        return TransferForm(data, departments=_routable(request)), _transfer
    if action == "reroute":
        slip_id = int(data["slip"]) if data.get("slip", "").isdigit() else 0
        slip = TransferSlip.objects.filter(case=case, pk=slip_id).first()
        if slip is None:
            raise Http404
        departments = [d for d in _routable(request) if d.pk != slip.department_id]
        return RerouteForm(data, slip_id=slip.pk, departments=departments), _reroute
    if action == "withdraw":
        slip_id = int(data["slip"]) if data.get("slip", "").isdigit() else 0
        if not TransferSlip.objects.filter(case=case, pk=slip_id).exists():
            raise Http404
        return WithdrawForm(data, slip_id=slip_id), _withdraw
    if action == "feedback":
        return FeedbackForm(data, sms_opt_out=case.sms_opt_out, landline=not is_mobile(case.phone or "")), _feedback
    if action == "follow-up":
        return FollowUpForm(data), _follow_up
    if action == "reassign":
        return ReassignForm(data, handlers=_handlers(request, case)), _reassign
    if action == "amend":
        return AmendForm(data), _amend
    simple: dict[str, tuple[type[ActionForm], Perform]] = {
        "screen-out": (ScreenOutForm, _screen_out),
        "answer": (AnswerForm, _answer),
        "supplement": (SupplementForm, _supplement),
        "supplement-request": (SupplementRequestForm, _supplement_request),
        "reopen": (ReopenForm, _reopen),
        "close": (CloseForm, _close),
        "sms-opt-out": (SmsOptOutForm, _sms_opt_out),
        "undo-close": (UndoForm, _undo_close),
        "undo-screen-out": (UndoForm, _undo_screen_out),
    }
    if action not in simple:
        raise Http404
    form_class, perform = simple[action]
    return form_class(data, action=action), perform


ACTIONS = (*STEP_NAMES, "reroute", "withdraw", "undo-close", "undo-screen-out")

# Steps that cannot simply be done again: the first submit shows what will happen and asks for a
# confirmation (``confirm=1``); nothing is written before it.
CONFIRMED_STEPS: dict[str, Callable[[Case, Any], None]] = {
    "screen-out": lambda case, data: case_screen_out_check(case=case, reason=data["reason"], referral=data["referral"]),
    "close": lambda case, data: case_close_check(case=case),
}


@requires_roles(*WORK_ROLES)
@require_POST
def case_action(request: HttpRequest, case_id: int, action: str) -> HttpResponse:
    """One step on a case. Success: back to the case page with a message. A conflict (someone changed
    the case meanwhile) or a step impossible in the case's status: back with the message, nothing
    changed. Field errors: the page again, with the errors next to the fields."""
    case = case_get_for_staff(actor=request.user, case_id=case_id)
    form, perform = _bind(request, case, action)
    if form.is_valid():
        try:
            check = CONFIRMED_STEPS.get(action)
            asked = request.POST.get("confirm") != "1" and form.cleaned_data["version"] == case.version
            if check is not None and asked:
                check(case, form.cleaned_data)  # refusals as the step's own; nothing written
                context = _case_context(request, case)
                context["confirm"] = {"action": action, "form": form, "step": STEP_NAMES[action]}
                return render(request, "casework/case_detail.html", context)
            message = perform(case, request.user, form)
        except ValidationError as exc:
            errors = _errors(exc)
            blocking = version_error(errors)
            if blocking:
                for text in blocking:
                    messages.error(request, text)
                return redirect("cases:detail", case_id=case.pk)
            form.add_service_errors(errors)
        else:
            messages.success(request, message)
            return redirect("cases:detail", case_id=case.pk)
    messages.error(request, _("The step was not saved; see the errors below."))
    return render(request, "casework/case_detail.html", _case_context(request, case, bound=form))


@requires_roles(*WORK_ROLES)
@require_POST
def case_note_view(request: HttpRequest, case_id: int) -> HttpResponse:
    """Add an internal note to the case, or about one of its slips (casework.services.case_note_add)."""
    case = case_get_for_staff(actor=request.user, case_id=case_id)
    slips = [slip for slip, _badge in slip_list_for_case(case=case)]
    form = NoteForm(request.POST, slips=slips)
    if form.is_valid():
        slip = next((s for s in slips if s.pk == form.cleaned_data.get("slip")), None)
        try:
            case_note_add(case=case, actor=request.user, text=form.cleaned_data["text"], slip=slip)
        except ValidationError as exc:
            add_service_errors(form, _errors(exc))
        else:
            messages.success(request, _("The note is added."))
            return HttpResponseRedirect(reverse("cases:detail", args=[case.pk]) + "#notes")
    messages.error(request, _("The note was not saved; see the errors below."))
    return render(request, "casework/case_detail.html", _case_context(request, case, note_form=form), status=400)


@requires_roles(*WORK_ROLES, RoleKind.DISCIPLINE_INSPECTOR)
@require_POST
@never_cache
def case_reveal_view(request: HttpRequest, case_id: int) -> HttpResponse:
    """Show one personal field unmasked (audited by the service). With htmx: just the value.
    ``field=free_text``: the case page again with every free text of the case and its slips in clear
    (one audited reveal, casework.services.case_reveal_free_text)."""
    case = case_get_for_staff(actor=request.user, case_id=case_id)
    field = request.POST.get("field", "")
    htmx = request.headers.get("HX-Request") == "true"
    if field == FREE_TEXT:
        try:
            case_reveal_free_text(case=case, actor=request.user)
        except PermissionDenied as exc:
            case_reveal_refused_record(case=case, actor=request.user, field=field)
            messages.error(request, str(exc))
            return render(request, "casework/case_detail.html", _case_context(request, case), status=403)
        except ValidationError as exc:  # erased (casework.retention)
            messages.error(request, " ".join(" ".join(m) for m in _errors(exc).values()))
            return render(request, "casework/case_detail.html", _case_context(request, case), status=400)
        return render(request, "casework/case_detail.html", _case_context(request, case, free_text_revealed=True))
    try:
        value = case_reveal(case=case, actor=request.user, field=field)
    except PermissionDenied as exc:
        case_reveal_refused_record(case=case, actor=request.user, field=field)
        if htmx:
            return render(request, "casework/case/_revealed.html", {"refused": str(exc)}, status=403)
        messages.error(request, str(exc))
        return render(request, "casework/case_detail.html", _case_context(request, case), status=403)
    except ValidationError as exc:
        text = " ".join(" ".join(m) for m in _errors(exc).values())
        return render(request, "casework/case/_revealed.html", {"refused": text}, status=400)
    if htmx:
        return render(request, "casework/case/_revealed.html", {"value": value, "field": field})
    return render(request, "casework/case_detail.html", _case_context(request, case, revealed={field: value}))


@requires_roles(RoleKind.HALL_LEAD, RoleKind.CITY_SUPERVISOR)
@require_POST
def case_retention_hold_view(request: HttpRequest, case_id: int) -> HttpResponse:
    """Set or lift the case's retention hold (casework.retention.case_retention_hold_set): the hall's
    lead or the city's supervisor. Refused: the page again with the errors, nothing changed."""
    case = case_get_for_staff(actor=request.user, case_id=case_id)
    form = RetentionHoldForm(request.POST, action="retention-hold")
    if form.is_valid():
        data = form.cleaned_data
        try:
            case_retention_hold_set(
                case=case,
                actor=request.user,
                hold=data["hold"],
                reason=data["reason"],
                expected_version=data["version"],
            )
        except PermissionDenied as exc:
            messages.error(request, str(exc))
            return render(request, "casework/case_detail.html", _case_context(request, case), status=403)
        except ValidationError as exc:
            form.add_service_errors(_errors(exc))
        else:
            messages.success(request, _("The retention hold is saved."))
            return redirect("cases:detail", case_id=case.pk)
    messages.error(request, _("The step was not saved; see the errors below."))
    context = _case_context(request, case, hold_form=form)
    return render(request, "casework/case_detail.html", context, status=400)


# --- Print views ----------------------------------------------------------------------------------


@requires_roles(*READ_ROLES)
@require_GET
@never_cache
def print_registration(request: HttpRequest, case_id: int) -> HttpResponse:
    """The 登记表 of the annex, for A4. Personal data and the numbers in its free texts masked;
    ``?reveal=1`` prints it unmasked for whoever may see it, each personal field and the free texts
    revealed (and audited) by the service."""
    case = case_get_for_staff(actor=request.user, case_id=case_id)
    revealed: dict[str, str] = {}
    free_text_revealed = False
    if request.GET.get("reveal") == "1" and case.erased_at is None:
        try:
            for field in REVEALABLE_FIELDS:
                revealed[field] = case_reveal(case=case, actor=request.user, field=field)
            case_reveal_free_text(case=case, actor=request.user)
        except PermissionDenied:  # 403, and on record
            case_reveal_refused_record(case=case, actor=request.user, field=REVEALABLE_FIELDS[0])
            raise
        free_text_revealed = True
    return render(
        request,
        "casework/print/registration_form.html",
        {
            "case": case,
            "hall": _hall(request),
            "personal": personal_fields(case, revealed),
            "problem": problem_text(case, revealed=free_text_revealed),
            "free_text_revealed": free_text_revealed,
            "revealed": bool(revealed),
            "printed_at": timezone.now(),
            "progress_qr": progress_qr(request, case),
        },
    )


def _supplement_asked(case: Case) -> list[tuple[str, str]]:
    """What the person is asked to bring, for the 补正通知书: each department waiting for materials
    (its slip's note), else the window's own request (the case's note); the texts unmasked (the
    caller passes them through ``free_text``). Empty when nothing is asked now."""
    if case.status != CaseStatus.AWAITING_SUPPLEMENT or case.erased_at is not None:
        return []
    waiting = [
        (slip.department.name, slip.supplement_note)
        for slip in TransferSlip.objects.filter(case=case, status=SlipStatus.AWAITING_SUPPLEMENT)
        .select_related("department")
        .order_by("sent_at", "id")
        if slip.supplement_note
    ]
    if waiting:
        return waiting
    return [("", case.supplement_note)] if case.supplement_note else []


@requires_roles(*READ_ROLES)
@require_GET
def print_supplement(request: HttpRequest, case_id: int) -> HttpResponse:
    """The 补正通知书: what is missing, by when, how to hand it in, the hall's contact, a seal box and
    the progress QR code, on one A4 page. The texts masked as on every print (the person holds it);
    404 when nothing is asked of the person now."""
    case = case_get_for_staff(actor=request.user, case_id=case_id)
    asked = _supplement_asked(case)
    if not asked:
        raise Http404
    hall = _hall(request)
    return render(
        request,
        "casework/print/supplement_notice.html",
        {
            "case": case,
            "hall": hall,
            "contact": Hall.objects.filter(pk=hall.pk).values("phone", "address").first() or {},
            "addressee": case.enterprise_name if case.applicant_kind == ApplicantKind.ENTERPRISE else "",
            "asked": [(department, free_text(text, revealed=False)) for department, text in asked],
            "due": case.supplement_due,
            "printed_at": timezone.now(),
            "progress_qr": progress_qr(request, case),
        },
    )


@requires_roles(*READ_ROLES)
@require_GET
def print_notice(request: HttpRequest, case_id: int) -> HttpResponse:
    """The one-time notice (一次性告知单, rule art. 3): what the person was told, on one page."""
    case = case_get_for_staff(actor=request.user, case_id=case_id)
    told = [(label, free_text(text, revealed=False)) for label, text in _told(case)]
    told_at = case.fed_back_at if case.feedback_content else (case.answered_at or case.screened_at)
    hall = _hall(request)
    return render(
        request,
        "casework/print/one_time_notice.html",
        {
            "case": case,
            "hall": hall,
            # the hall's phone and address (not in the cached route request.tenant is built from)
            "contact": Hall.objects.filter(pk=hall.pk).values("phone", "address").first() or {},
            # an enterprise by its name; a person not by name (they hold the notice themselves)
            "addressee": case.enterprise_name if case.applicant_kind == ApplicantKind.ENTERPRISE else "",
            "told": told,
            "told_at": told_at or timezone.now(),
            "progress_qr": progress_qr(request, case),
        },
    )
