"""The city level's pages (DESIGN.md section 7): the supervision portal, joint meetings (联席会议),
supervision orders (督办单), the departments' resolutions and orders, slip reassignment, and the print
views (会议通知, 会议纪要, 督办单).

Meetings and orders live in the public schema, so their pages answer on the base domain and on the
hall hosts alike; who sees what is the selectors' rule, what may be done the services'. A case is
never read here: the pages link to its page on its hall's host, which checks and audits the opening.
Views parse, call one service or selector, and render (CONVENTIONS.md). Every step is a POST; the
ones the services version carry ``version``, and a conflict or an impossible step changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q, prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from casework.choices import CaseStatus
from coordination import selectors
from coordination.models import (
    JointMeeting,
    MeetingCase,
    MeetingInvitation,
    MeetingResolution,
    MeetingStatus,
    OrderStatus,
    ResolutionStatus,
    SupervisionOrder,
)
from coordination.services import (
    Scope,
    meeting_close,
    meeting_convene,
    meeting_record_minutes,
    meeting_request_decline,
    meeting_respond,
    order_accept,
    order_issue,
    order_reject,
    order_respond,
    resolution_complete,
    scope_for,
    slip_assign,
)
from coordination.web.display import (
    OverviewRow,
    flagged_rows_html,
    overview_rows_html,
    red_slip_rows_html,
)
from coordination.web.forms import (
    AssignForm,
    ConveneForm,
    MeetingDeclineForm,
    MinutesForm,
    OrderForm,
    OrderRespondForm,
    OrderSendBackForm,
    ResolutionDoneForm,
    RespondForm,
    VersionForm,
    add_service_errors,
    blocking_errors,
)
from hallindex.duplicates import DUPLICATE_WINDOW_DAYS, case_link_list_for_city, duplicate_groups_for_city
from hallplatform.accounts.access import request_roles, requires_roles
from hallplatform.accounts.models import DEPARTMENT_ROLES, RoleKind
from hallplatform.deadlines.badges import DeadlineBadge, deadline_badge
from hallplatform.deadlines.models import Deadline
from hallplatform.personal import free_text
from tenants.models import Hall
from tenants.routing import hall_origin

PAGE_SIZE = 50
MORE_ROWS = 3
SUPERVISOR = RoleKind.CITY_SUPERVISOR
HALL_LEAD = RoleKind.HALL_LEAD
# Who takes part in meetings: conveners, invited halls (window and lead), invited departments.
MEETING_ROLES = (SUPERVISOR, HALL_LEAD, RoleKind.WINDOW_STAFF, *DEPARTMENT_ROLES)
CONVENER_ROLES = (SUPERVISOR, HALL_LEAD)
# Orders: issuers (supervisors, hall leads) and addressees (departments, hall leads).
ORDER_ROLES = (SUPERVISOR, HALL_LEAD, *DEPARTMENT_ROLES)


# --- Small helpers -------------------------------------------------------------------------------


def _hall(request: HttpRequest) -> Hall | None:
    """The hall of the host (None on the base domain)."""
    return request.tenant if getattr(request, "hall_route", None) else None  # type: ignore[attr-defined]


def _host_city_id(request: HttpRequest) -> int | None:
    route = getattr(request, "hall_route", None)
    return route.city_id if route is not None else None


def case_url(request: HttpRequest, *, hall_code: str, case_id: int) -> str:
    """A case's page on its hall's host (read-only for supervisors; the opening is audited there)."""
    return f"{hall_origin(request, hall_code)}/cases/{case_id}/"


def _errors(exc: ValidationError) -> dict[str, list[str]]:
    return exc.message_dict if hasattr(exc, "error_dict") else {"__all__": list(exc.messages)}


def _refused(request: HttpRequest, form: Any, exc: ValidationError) -> bool:
    """Show a service's refusal. A conflict or an impossible step becomes a message and True (go back
    to the page: nothing changed); field errors go onto the form (its own ``add_service_errors`` if it
    has one) and False."""
    errors = _errors(exc)
    blocking = blocking_errors(errors)
    if blocking:
        for text in blocking:
            messages.error(request, text)
        return True
    if hasattr(form, "add_service_errors"):
        form.add_service_errors(errors)
    else:
        add_service_errors(form, errors)
    return False


def _badge(deadline: Deadline | None, now: Any = None) -> DeadlineBadge | None:
    return deadline_badge(deadline, now) if deadline is not None and deadline.is_live else None


def _case_status_label(value: str) -> str:
    return str(CaseStatus(value).label) if value in CaseStatus.values else value


def _page(request: HttpRequest, rows: Any) -> Any:
    return Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))


# --- The supervision portal (base domain) --------------------------------------------------------


def overview_rows(request: HttpRequest, city: Hall) -> list[OverviewRow]:
    """Every hall of the city with its figures: a constant number of queries (portal_overview)."""
    return [
        OverviewRow(hall=row.hall, figures=row, origin=hall_origin(request, row.hall.code))
        for row in selectors.portal_overview(city=city)
    ]


PROPOSALS_ON_PAGE = 20


@requires_roles(SUPERVISOR)
@require_GET
def portal(request: HttpRequest) -> HttpResponse:
    """The city supervisor's portal: every hall of their city with open cases, open slips, yellow and
    red deadlines, cases flagged 不给办, unanswered escalations and open orders; and what is proposed
    for supervision (flagged cases, red-card slips). Public-schema rows only, no loop over halls."""
    cities = selectors.cities_supervised_by(request.user)
    city_id = request.GET.get("city", "")
    city = selectors.city_for_supervisor(
        actor=request.user, city_id=int(city_id) if city_id.isdigit() else None, cities=cities
    )
    # The oldest first, a page's worth; the full lists are in the API (/api/v1/portal/proposals/).
    rows = overview_rows(request, city)
    proposals = selectors.supervision_proposals(
        city=city, limit=PROPOSALS_ON_PAGE, hall_ids=[row.hall.pk for row in rows]
    )
    origins: dict[int, str] = {}

    def origin(hall: Hall) -> str:
        if hall.pk not in origins:
            origins[hall.pk] = hall_origin(request, hall.code)
        return origins[hall.pk]

    now = timezone.now()
    flagged = [
        {"row": row, "origin": origin(row.hall), "status": _case_status_label(row.status)}
        for row in proposals["flagged_cases"]
    ]
    red_slips = [
        {"row": row, "origin": origin(row.hall), "badge": _badge(row.deadline, now)} for row in proposals["red_slips"]
    ]
    requests = selectors.meeting_request_list_for(actor=request.user).filter(
        Q(hall_id=city.pk) | Q(hall__parent_id=city.pk)
    )[:PROPOSALS_ON_PAGE]
    meeting_requests = [_meeting_request_row(request, row, origin(row.hall)) for row in requests]
    order_url = reverse("orders:new")
    return render(
        request,
        "coordination/portal.html",
        {
            "city": city,
            "cities": cities,
            "rows_html": overview_rows_html(rows),
            "flagged": flagged,
            "flagged_html": flagged_rows_html(flagged, order_url),
            "red_slips": red_slips,
            "red_slips_html": red_slip_rows_html(red_slips, order_url),
            "meeting_requests": meeting_requests,
        },
    )


def _meeting_request_row(request: HttpRequest, row: Any, origin: str) -> dict[str, Any]:
    return {
        "row": row,
        "case_url": f"{origin}/cases/{row.case_id}/",
        "convene_url": f"{reverse('meetings:new')}?{urlencode({'cases': row.number})}",
        "decline_url": reverse("portal:meeting_request_decline", args=[row.hall_id, row.case_id]),
    }


@requires_roles(SUPERVISOR)
@require_GET
def meeting_requests(request: HttpRequest) -> HttpResponse:
    """The supervisor's open requests for a joint meeting, from every hall of their cities (the
    public index: one query): convene a meeting with the case linked, or decline with a reason."""
    origins: dict[int, str] = {}
    rows = []
    for row in _page(request, selectors.meeting_request_list_for(actor=request.user)):
        if row.hall_id not in origins:
            origins[row.hall_id] = hall_origin(request, row.hall.code)
        rows.append(_meeting_request_row(request, row, origins[row.hall_id]))
    return render(request, "coordination/meeting_requests.html", {"rows": rows})


@requires_roles(SUPERVISOR)
@require_GET
def duplicates(request: HttpRequest) -> HttpResponse:
    """Linked and likely duplicate cases across the halls of the supervisor's city: the same person
    (by the keyed blind indexes of the public index, never a value) in two or more halls in the last
    90 days. Numbers, halls, matters and states only."""
    cities = selectors.cities_supervised_by(request.user)
    city_id = request.GET.get("city", "")
    city = selectors.city_for_supervisor(
        actor=request.user, city_id=int(city_id) if city_id.isdigit() else None, cities=cities
    )
    origins: dict[int, str] = {}

    def origin(hall: Hall) -> str:
        if hall.pk not in origins:
            origins[hall.pk] = hall_origin(request, hall.code)
        return origins[hall.pk]

    groups = [
        {
            "linked": group.linked,
            "halls": group.halls,
            "cases": [
                {
                    "row": row,
                    "url": f"{origin(row.hall)}/cases/{row.case_id}/",
                    "status": _case_status_label(row.status),
                    "linked": group.is_linked(row),
                }
                for row in group.cases
            ],
        }
        for group in duplicate_groups_for_city(city_ids=[city.pk])
    ]
    links = list(case_link_list_for_city(city_ids=[city.pk])[:PAGE_SIZE])
    return render(
        request,
        "coordination/duplicates.html",
        {"city": city, "cities": cities, "groups": groups, "links": links, "window_days": DUPLICATE_WINDOW_DAYS},
    )


@requires_roles(SUPERVISOR)
@require_POST
def meeting_request_decline_view(request: HttpRequest, hall_id: int, case_id: int) -> HttpResponse:
    """Decline a request with a reason (recorded on the case's timeline, the window told); a request
    the supervisor does not decide is 404. A refusal changes nothing and is shown as a message."""
    form = MeetingDeclineForm(request.POST)
    if form.is_valid():
        try:
            meeting_request_decline(
                actor=request.user, hall_id=hall_id, case_id=case_id, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            for texts in _errors(exc).values():
                for text in texts:
                    messages.error(request, text)
        else:
            messages.success(request, _("The joint meeting request is declined; the window is told."))
    else:
        if not selectors.meeting_request_list_for(actor=request.user).filter(hall_id=hall_id, case_id=case_id).exists():
            raise Http404
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
    return redirect("portal:meeting_requests")


# --- Joint meetings --------------------------------------------------------------------------------


@requires_roles(*MEETING_ROLES)
@require_GET
def meeting_list(request: HttpRequest) -> HttpResponse:
    """Meetings the person convened or is invited to (on a hall's host: those of this hall)."""
    roles = request_roles(request)
    rows = selectors.meeting_list_for(actor=request.user, hall=_hall(request))
    if request.GET.get("open") == "1":
        rows = rows.filter(status__in=[MeetingStatus.CONVENED, MeetingStatus.HELD])
    return render(
        request,
        "coordination/meeting_list.html",
        {
            "page": _page(request, rows),
            "may_convene": bool(roles & {SUPERVISOR, HALL_LEAD}),
            "is_department": bool(roles & set(DEPARTMENT_ROLES)),
            "open_only": request.GET.get("open") == "1",
        },
    )


def _convene_form(scope: Scope, data: Any = None) -> ConveneForm:
    form = ConveneForm(data, departments=scope.departments().values(), halls=scope.halls(), first_hall_id=scope.hall.pk)
    # the case picker (picker.js) asks meeting_case_options; without script the lines are typed
    form.fields["cases"].widget.attrs.update(
        {
            "data-case-picker-url": reverse("meetings:case_options"),
            "data-picker-label": _("Find a case by NO or matter"),
        }
    )
    return form


@requires_roles(*CONVENER_ROLES)
@require_GET
def meeting_case_options(request: HttpRequest) -> JsonResponse:
    """The meeting form's case picker: cases of the convener's scope (a hall lead's hall, a
    supervisor's city) whose NO or matter contains ``q``, from the public index (no personal data)."""
    scope = scope_for(actor=request.user, hall=_hall(request))
    rows = selectors.case_index_options(hall_ids=[hall.pk for hall in scope.halls()], text=request.GET.get("q", ""))
    return JsonResponse(
        {
            "cases": [
                {"number": row.number, "matter": row.matter_name, "hall": row.hall.name, "status": row.status}
                for row in rows
            ]
        }
    )


@requires_roles(*CONVENER_ROLES)
@require_http_methods(["GET", "POST"])
def meeting_new(request: HttpRequest) -> HttpResponse:
    """Convene a joint meeting: a hall lead on their hall's host (their departments and the city's),
    a city supervisor across the halls and departments of the city. Refusals name their field;
    nothing is saved."""
    scope = scope_for(actor=request.user, hall=_hall(request))
    if request.method == "POST":
        form = _convene_form(scope, request.POST)
        if form.is_valid():
            found = selectors.case_index_by_number(
                hall_ids=[hall.pk for hall in scope.halls()], numbers=[line.number for line in form.case_lines()]
            )
            try:
                meeting = meeting_convene(actor=request.user, hall=_hall(request), draft=form.draft(found))
            except ValidationError as exc:
                form.add_service_errors(_errors(exc))
            else:
                messages.success(
                    request, _("Meeting %(number)s is convened; the invitations are sent.") % {"number": meeting.number}
                )
                return redirect("meetings:detail", meeting_id=meeting.pk)
        messages.error(request, _("The meeting was not convened; see the errors below."))
    else:
        form = _convene_form(scope)
        # ?cases=<NO> (one a line) or ?case=<NO>: started from a case page or a meeting request
        form.initial = {"lead_is_hall": False, "cases": request.GET.get("cases", "") or request.GET.get("case", "")}
    return render(request, "coordination/meeting_new.html", {"form": form, "scope": scope})


def _meeting(request: HttpRequest, meeting_id: int) -> JointMeeting:
    """A meeting the person may see; on a hall's host, only one of that host's city."""
    meeting = selectors.meeting_get_for(actor=request.user, meeting_id=meeting_id)
    city_id = _host_city_id(request)
    if city_id is not None and meeting.city_id != city_id:
        raise Http404
    return meeting


@dataclass(frozen=True)
class CaseLink:
    number: str
    hall_name: str
    matter_name: str
    summary: str
    url: str | None  # only for the staff of the owning hall and the city's supervisors


@dataclass(frozen=True)
class ResolutionEntry:
    resolution: MeetingResolution
    badge: DeadlineBadge | None
    mine: bool
    form: ResolutionDoneForm | None


def _meeting_context(
    request: HttpRequest,
    meeting: JointMeeting,
    *,
    bound_respond: RespondForm | None = None,
    bound_done: tuple[int, ResolutionDoneForm] | None = None,
) -> dict[str, Any]:
    prefetch_related_objects(
        [meeting],
        Prefetch(
            "invitations",
            queryset=MeetingInvitation.objects.select_related("department__hall", "hall", "responded_by").order_by(
                "hall_id", "department__hall__level", "department__hall__region_code", "department__code"
            ),
        ),
        Prefetch(
            "resolutions",
            queryset=MeetingResolution.objects.select_related("owner_department", "deadline", "done_by").order_by(
                "created_at", "id"
            ),
        ),
        Prefetch("cases", queryset=MeetingCase.objects.select_related("hall").order_by("id")),
    )
    invitations = list(meeting.invitations.all())
    resolutions = list(meeting.resolutions.all())
    links = list(meeting.cases.all())
    rights = selectors.meeting_rights_for(actor=request.user, meeting=meeting)
    now = timezone.now()
    cases = [
        CaseLink(
            number=link.case_number,
            hall_name=link.hall.name,
            matter_name=link.matter_name,
            # masked for every reader, the case's own hall included (no reveal here: the case page has it)
            summary=free_text(link.summary, revealed=False),
            url=case_url(request, hall_code=link.hall.code, case_id=link.case_id)
            if link.hall_id in rights.case_hall_ids
            else None,
        )
        for link in links
    ]
    entries = []
    for resolution in resolutions:
        mine = resolution.pk in rights.resolution_ids
        form = None
        if mine and resolution.status == ResolutionStatus.OPEN:
            if bound_done is not None and bound_done[0] == resolution.pk:
                form = bound_done[1]
            else:
                form = ResolutionDoneForm(initial={"version": resolution.version}, auto_id=f"done{resolution.pk}_%s")
        entries.append(
            ResolutionEntry(resolution=resolution, badge=_badge(resolution.deadline, now), mine=mine, form=form)
        )
    my_invitations = []
    for invitation in invitations:
        if invitation.pk not in rights.invitation_ids or meeting.status != MeetingStatus.CONVENED:
            continue
        if bound_respond is not None and str(bound_respond.data.get("invitation")) == str(invitation.pk):
            form_r = bound_respond
        else:
            form_r = RespondForm(
                initial={
                    "invitation": invitation.pk,
                    "response": invitation.response,
                    "note": invitation.response_note,
                },
                auto_id=f"inv{invitation.pk}_%s",
            )
        my_invitations.append((invitation, form_r))
    open_resolutions = any(r.status == ResolutionStatus.OPEN for r in resolutions)
    return {
        "meeting": meeting,
        "invitations": invitations,
        "my_invitations": my_invitations,
        "cases": cases,
        "resolutions": entries,
        "rights": rights,
        "may_record": rights.manage and meeting.status == MeetingStatus.CONVENED,
        "may_close": rights.manage and meeting.status == MeetingStatus.HELD and not open_resolutions,
        "close_form": VersionForm(initial={"version": meeting.version}, auto_id="close_%s"),
        "accepted": sum(1 for i in invitations if i.response == "accepted"),
        "declined": sum(1 for i in invitations if i.response == "declined"),
    }


@requires_roles(*MEETING_ROLES)
@require_GET
def meeting_detail(request: HttpRequest, meeting_id: int) -> HttpResponse:
    """A meeting: its data, invitations and answers, cases (numbers and summaries, no personal data),
    minutes and resolutions with their deadlines, and the steps the person may take."""
    meeting = _meeting(request, meeting_id)
    return render(request, "coordination/meeting_detail.html", _meeting_context(request, meeting))


@requires_roles(*MEETING_ROLES)
@require_POST
def meeting_respond_view(request: HttpRequest, meeting_id: int) -> HttpResponse:
    """An invited department or hall accepts or declines (a decline says why)."""
    meeting = _meeting(request, meeting_id)
    form = RespondForm(request.POST)
    if form.is_valid():
        invitation = MeetingInvitation.objects.filter(meeting=meeting, pk=form.cleaned_data["invitation"]).first()
        if invitation is None:
            raise Http404
        try:
            meeting_respond(
                actor=request.user,
                invitation=invitation,
                response=form.cleaned_data["response"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            if _refused(request, form, exc):
                return redirect("meetings:detail", meeting_id=meeting.pk)
        else:
            messages.success(request, _("Your answer is recorded."))
            return redirect("meetings:detail", meeting_id=meeting.pk)
    messages.error(request, _("The answer was not saved; see the errors below."))
    context = _meeting_context(request, meeting, bound_respond=form)
    return render(request, "coordination/meeting_detail.html", context, status=400)


def _minutes_form(meeting: JointMeeting, data: Any = None, rows: int | None = None) -> MinutesForm:
    scope = Scope(level=meeting.level, city=meeting.city, hall=meeting.hall)
    count = rows if rows is not None else MinutesForm.rows_in(data or {})
    return MinutesForm(data, departments=scope.departments().values(), rows=count)


@requires_roles(*CONVENER_ROLES)
@require_http_methods(["GET", "POST"])
def meeting_minutes(request: HttpRequest, meeting_id: int) -> HttpResponse:
    """Record the minutes (纪要), the outcome and the resolutions: owner department, what must be
    done, working days. ``more`` adds rows without saving anything."""
    meeting = _meeting(request, meeting_id)
    # Only the convener's side reaches the form; the service decides again on submission.
    if not selectors.meeting_rights_for(actor=request.user, meeting=meeting).manage:
        raise Http404
    if meeting.status != MeetingStatus.CONVENED:
        messages.info(request, _("The minutes of this meeting are already recorded."))
        return redirect("meetings:detail", meeting_id=meeting.pk)
    if request.method == "GET":
        rows = MinutesForm.rows_in(request.GET)
        form = _minutes_form(meeting, rows=rows)
        form.initial = {"version": meeting.version, "rows": rows}
        return render(request, "coordination/meeting_minutes.html", {"meeting": meeting, "form": form})
    if request.POST.get("more"):
        data = request.POST.copy()
        data["rows"] = str(MinutesForm.rows_in(request.POST) + MORE_ROWS)
        form = _minutes_form(meeting, data)
        form.is_valid()
        form.errors.clear()  # adding rows is not a submission: nothing is checked yet
        return render(request, "coordination/meeting_minutes.html", {"meeting": meeting, "form": form})
    form = _minutes_form(meeting, request.POST)
    if form.is_valid():
        try:
            meeting_record_minutes(
                actor=request.user,
                meeting=meeting,
                minutes=form.cleaned_data["minutes"],
                outcome=form.cleaned_data["outcome"],
                resolutions=form.resolutions(),
                expected_version=form.cleaned_data["version"],
            )
        except ValidationError as exc:
            if _refused(request, form, exc):
                return redirect("meetings:detail", meeting_id=meeting.pk)
        else:
            messages.success(request, _("The minutes and resolutions are recorded; the resolutions are assigned."))
            return redirect("meetings:detail", meeting_id=meeting.pk)
    messages.error(request, _("The minutes were not saved; see the errors below."))
    return render(request, "coordination/meeting_minutes.html", {"meeting": meeting, "form": form}, status=400)


@requires_roles(*DEPARTMENT_ROLES)
@require_POST
def resolution_done_view(request: HttpRequest, resolution_id: int) -> HttpResponse:
    """The owner department reports a resolution done."""
    resolution = (
        selectors.resolution_list_for_department(actor=request.user, open_only=False).filter(pk=resolution_id).first()
    )
    if resolution is None:
        raise Http404
    meeting = _meeting(request, resolution.meeting_id)
    form = ResolutionDoneForm(request.POST, auto_id=f"done{resolution.pk}_%s")
    if form.is_valid():
        try:
            resolution_complete(
                actor=request.user,
                resolution=resolution,
                report=form.cleaned_data["report"],
                expected_version=form.cleaned_data["version"],
            )
        except ValidationError as exc:
            if _refused(request, form, exc):
                return redirect("meetings:detail", meeting_id=meeting.pk)
        else:
            messages.success(request, _("Resolution %(number)s is reported done.") % {"number": resolution.number})
            return redirect("meetings:detail", meeting_id=meeting.pk)
    messages.error(request, _("The report was not saved; see the errors below."))
    context = _meeting_context(request, meeting, bound_done=(resolution.pk, form))
    return render(request, "coordination/meeting_detail.html", context, status=400)


@requires_roles(*CONVENER_ROLES)
@require_POST
def meeting_close_view(request: HttpRequest, meeting_id: int) -> HttpResponse:
    """Close a meeting whose resolutions are all done."""
    meeting = _meeting(request, meeting_id)
    form = VersionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The page was out of date; reload it and try again."))
        return redirect("meetings:detail", meeting_id=meeting.pk)
    try:
        meeting_close(actor=request.user, meeting=meeting, expected_version=form.cleaned_data["version"])
    except ValidationError as exc:
        for texts in _errors(exc).values():
            for text in texts:
                messages.error(request, text)
    else:
        messages.success(request, _("The meeting is closed."))
    return redirect("meetings:detail", meeting_id=meeting.pk)


@requires_roles(*DEPARTMENT_ROLES)
@require_GET
def resolution_list(request: HttpRequest) -> HttpResponse:
    """Resolutions owned by the person's departments, from every hall and the city, soonest due first."""
    show_all = request.GET.get("all") == "1"
    rows = selectors.resolution_list_for_department(actor=request.user, open_only=not show_all)
    page = _page(request, rows)
    now = timezone.now()
    return render(
        request,
        "coordination/resolution_list.html",
        {"page": page, "rows": [(r, _badge(r.deadline, now)) for r in page], "show_all": show_all},
    )


@requires_roles(*MEETING_ROLES)
@require_GET
def print_meeting_notice(request: HttpRequest, meeting_id: int) -> HttpResponse:
    """会议通知 on A4: subject, time and place, lead unit, participants, agenda, cases (no personal data)."""
    meeting = _meeting(request, meeting_id)
    context = _meeting_context(request, meeting)
    context["printed_at"] = timezone.now()
    context["print_cases"] = [
        {
            "number": c.number,
            "hall_name": c.hall_name,
            "matter_name": c.matter_name,
            "summary": free_text(c.summary, revealed=False),
        }
        for c in context["cases"]
    ]
    return render(request, "coordination/print/meeting_notice.html", context)


@requires_roles(*MEETING_ROLES)
@require_GET
def print_meeting_minutes(request: HttpRequest, meeting_id: int) -> HttpResponse:
    """会议纪要 on A4: who attended, the minutes, the outcome and the resolutions with their deadlines."""
    meeting = _meeting(request, meeting_id)
    context = _meeting_context(request, meeting)
    context["printed_at"] = timezone.now()
    context["print_cases"] = [
        {
            "number": c.number,
            "hall_name": c.hall_name,
            "matter_name": c.matter_name,
            "summary": free_text(c.summary, revealed=False),
        }
        for c in context["cases"]
    ]
    return render(request, "coordination/print/meeting_minutes.html", context)


# --- Supervision orders ----------------------------------------------------------------------------


@dataclass(frozen=True)
class OrderRow:
    order: SupervisionOrder
    badge: DeadlineBadge | None


def _order_rows(rows: Any) -> list[OrderRow]:
    now = timezone.now()
    return [OrderRow(order=order, badge=_badge(order.deadline, now)) for order in rows]


@requires_roles(*ORDER_ROLES)
@require_GET
def order_list(request: HttpRequest) -> HttpResponse:
    """Orders the person issued or supervises (supervisors: their city; hall leads: issued in or to
    their hall), and orders addressed to them (their departments; the hall they lead)."""
    roles = request_roles(request)
    hall = _hall(request)
    open_only = request.GET.get("all") != "1"
    issued = SupervisionOrder.objects.none()
    if SUPERVISOR in roles:
        if hall is None:
            city = selectors.city_for_supervisor(
                actor=request.user, city_id=int(request.GET["city"]) if request.GET.get("city", "").isdigit() else None
            )
            issued = selectors.order_list_for_issuer(actor=request.user, city=city)
        else:
            issued = selectors.order_list_for_issuer(actor=request.user, hall=hall)
    elif HALL_LEAD in roles and hall is not None:
        issued = selectors.order_list_for_issuer(actor=request.user, hall=hall)
    if open_only:
        issued = issued.filter(status__in=[OrderStatus.ISSUED, OrderStatus.RESPONDED])
    addressed = selectors.order_list_for_addressee(actor=request.user, open_only=open_only)
    city_id = _host_city_id(request)
    if city_id is not None:
        addressed = addressed.filter(city_id=city_id)
    page = _page(request, issued.select_related("slip").order_by("-issued_at", "-id"))
    return render(
        request,
        "coordination/order_list.html",
        {
            "page": page,
            "issued": _order_rows(page),
            "addressed": _order_rows(addressed.select_related("slip")[:PAGE_SIZE]),
            "may_issue": bool(roles & {SUPERVISOR, HALL_LEAD}),
            "is_issuer": bool(roles & {SUPERVISOR, HALL_LEAD}),
            "is_addressee": bool(roles & {HALL_LEAD, *DEPARTMENT_ROLES}),
            "open_only": open_only,
        },
    )


def _order_form(scope: Scope, data: Any = None) -> OrderForm:
    return OrderForm(data, departments=scope.departments().values(), halls=scope.halls())


@requires_roles(SUPERVISOR, HALL_LEAD)
@require_http_methods(["GET", "POST"])
def order_new(request: HttpRequest) -> HttpResponse:
    """Issue a supervision order (督办单) on a case or a slip to a hall or department: reason, required
    action, working days. The portal's proposals prefill it (``?hall=&department=&case=&slip=``)."""
    scope = scope_for(actor=request.user, hall=_hall(request))
    if request.method == "POST":
        form = _order_form(scope, request.POST)
        if form.is_valid():
            hall_ids = [hall.pk for hall in scope.halls()]
            case_number = form.cleaned_data["case_number"].strip()
            slip_number = form.cleaned_data["slip_number"].strip()
            case = (
                selectors.case_index_by_number(hall_ids=hall_ids, numbers=[case_number]).get(case_number)
                if case_number
                else None
            )
            slip = selectors.slip_index_by_number(hall_ids=hall_ids, number=slip_number) if slip_number else None
            try:
                order = order_issue(actor=request.user, hall=_hall(request), draft=form.draft(case=case, slip=slip))
            except ValidationError as exc:
                form.add_service_errors(_errors(exc))
            else:
                messages.success(request, _("Supervision order %(number)s is issued.") % {"number": order.number})
                return redirect("orders:detail", order_id=order.pk)
        messages.error(request, _("The order was not issued; see the errors below."))
        status = 400
    else:
        query = request.GET
        form = _order_form(scope)
        form.initial = {
            "target_hall": query.get("hall", ""),
            "target_department": query.get("department", ""),
            "case_number": query.get("case", ""),
            "slip_number": query.get("slip", ""),
            "reason": query.get("reason", ""),
        }
        status = 200
    return render(request, "coordination/order_new.html", {"form": form, "scope": scope}, status=status)


def _order(request: HttpRequest, order_id: int) -> SupervisionOrder:
    return selectors.order_get_for(actor=request.user, order_id=order_id, city_id=_host_city_id(request))


def _order_context(
    request: HttpRequest,
    order: SupervisionOrder,
    *,
    respond_form: OrderRespondForm | None = None,
    send_back_form: OrderSendBackForm | None = None,
) -> dict[str, Any]:
    rights = selectors.order_rights_for(actor=request.user, order=order)
    initial = {"version": order.version}
    hall = _hall(request)
    leads_case_hall = HALL_LEAD in request_roles(request) and hall is not None and hall.pk == order.case_hall_id
    case_link = None
    if order.case_hall is not None and order.case_id and (rights.decide or leads_case_hall):
        # read-only for supervisors; the case page checks the role and audits the opening
        case_link = case_url(request, hall_code=order.case_hall.code, case_id=order.case_id)
    slip_link = None
    if order.slip is not None and rights.respond and order.target_department_id is not None:
        slip_link = f"{hall_origin(request, order.slip.hall.code)}/slips/{order.slip.slip_id}/"
    return {
        "order": order,
        "badge": _badge(order.deadline),
        "rights": rights,
        "case_link": case_link,
        "slip_link": slip_link,
        "may_respond": rights.respond and order.status == OrderStatus.ISSUED,
        "may_decide": rights.decide and order.status == OrderStatus.RESPONDED,
        "respond_form": respond_form or OrderRespondForm(initial=initial, auto_id="respond_%s"),
        "accept_form": VersionForm(initial=initial, auto_id="accept_%s"),
        "send_back_form": send_back_form or OrderSendBackForm(initial=initial, auto_id="sendback_%s"),
    }


@requires_roles(*ORDER_ROLES)
@require_GET
def order_detail(request: HttpRequest, order_id: int) -> HttpResponse:
    """An order: who issued it to whom, on which case or slip, why, what and by when; the response;
    the steps the person may take."""
    order = _order(request, order_id)
    return render(request, "coordination/order_detail.html", _order_context(request, order))


OrderStep = Callable[[SupervisionOrder, Any, Any], str]


def _order_step(request: HttpRequest, order_id: int, form: Any, perform: OrderStep, bound: str | None) -> HttpResponse:
    order = _order(request, order_id)
    if form.is_valid():
        try:
            message = perform(order, request.user, form.cleaned_data)
        except ValidationError as exc:
            if _refused(request, form, exc):
                return redirect("orders:detail", order_id=order.pk)
        else:
            messages.success(request, message)
            return redirect("orders:detail", order_id=order.pk)
    messages.error(request, _("The step was not saved; see the errors below."))
    context = _order_context(request, order, **({bound: form} if bound else {}))
    return render(request, "coordination/order_detail.html", context, status=400)


@requires_roles(HALL_LEAD, *DEPARTMENT_ROLES)
@require_POST
def order_respond_view(request: HttpRequest, order_id: int) -> HttpResponse:
    """The addressee answers: what was done."""

    def perform(order: SupervisionOrder, actor: Any, data: dict[str, Any]) -> str:
        order_respond(actor=actor, order=order, response=data["response"], expected_version=data["version"])
        return _("Your response is sent to the issuer.")

    form = OrderRespondForm(request.POST, auto_id="respond_%s")
    return _order_step(request, order_id, form, perform, "respond_form")


@requires_roles(SUPERVISOR, HALL_LEAD)
@require_POST
def order_accept_view(request: HttpRequest, order_id: int) -> HttpResponse:
    """The issuer accepts the response: the order is closed."""

    def perform(order: SupervisionOrder, actor: Any, data: dict[str, Any]) -> str:
        order_accept(actor=actor, order=order, expected_version=data["version"])
        return _("The response is accepted; the order is closed.")

    form = VersionForm(request.POST)
    if request.POST.get("confirm") != "1" and form.is_valid():
        # the first submit says what accepting does and asks for a confirmation; nothing is written.
        # A stale version or an order not (any more) to decide goes on to the service's refusal.
        order = _order(request, order_id)
        context = _order_context(request, order)
        if context["may_decide"] and form.cleaned_data["version"] == order.version:
            context["confirm_accept"] = True
            return render(request, "coordination/order_detail.html", context)
    return _order_step(request, order_id, form, perform, None)


@requires_roles(SUPERVISOR, HALL_LEAD)
@require_POST
def order_send_back_view(request: HttpRequest, order_id: int) -> HttpResponse:
    """The issuer does not accept the response: the order runs again with a fresh deadline."""

    def perform(order: SupervisionOrder, actor: Any, data: dict[str, Any]) -> str:
        order_reject(actor=actor, order=order, note=data["note"], expected_version=data["version"])
        return _("The response is sent back; the order runs again with a new deadline.")

    form = OrderSendBackForm(request.POST, auto_id="sendback_%s")
    return _order_step(request, order_id, form, perform, "send_back_form")


@requires_roles(*ORDER_ROLES)
@require_GET
def print_order(request: HttpRequest, order_id: int) -> HttpResponse:
    """督办单 on A4."""
    order = _order(request, order_id)
    return render(
        request,
        "coordination/print/supervision_order.html",
        {"order": order, "printed_at": timezone.now(), "blank_lines": range(5)},
    )


# --- The departments' work: orders, resolutions and slips in one place ----------------------------


@requires_roles(HALL_LEAD, *DEPARTMENT_ROLES)
@require_GET
def my_work(request: HttpRequest) -> HttpResponse:
    """Open supervision orders and resolutions addressed to the person's departments (or the hall
    they lead), from every hall; and their departments' open slips, to reassign."""
    roles = request_roles(request)
    city_id = _host_city_id(request)
    orders = selectors.order_list_for_addressee(actor=request.user)
    if city_id is not None:
        orders = orders.filter(city_id=city_id)
    now = timezone.now()
    resolutions = list(selectors.resolution_list_for_department(actor=request.user)[:PAGE_SIZE])
    slips = list(selectors.slip_index_list_for_department(actor=request.user)[:PAGE_SIZE])
    return render(
        request,
        "coordination/my_work.html",
        {
            "orders": _order_rows(orders.select_related("slip")[:PAGE_SIZE]),
            "resolutions": [(r, _badge(r.deadline, now)) for r in resolutions],
            "slips": [(s, _badge(s.deadline, now)) for s in slips],
            "led_department_ids": selectors.department_ids_led_by(request.user),
            "is_department": bool(roles & set(DEPARTMENT_ROLES)),
        },
    )


@requires_roles(*DEPARTMENT_ROLES)
@require_http_methods(["GET", "POST"])
def slip_assign_view(request: HttpRequest, slip_index_id: int) -> HttpResponse:
    """Give a slip to another handler of the same department (audited by the service)."""
    slip = selectors.slip_index_get_for_department(actor=request.user, slip_index_id=slip_index_id)
    handlers = list(selectors.department_handlers(department_id=slip.department_id))
    if request.method == "POST":
        form = AssignForm(request.POST, handlers=handlers)
        if form.is_valid():
            chosen = next((h for h in handlers if h.pk == form.cleaned_data["handler"]), None)
            try:
                slip_assign(actor=request.user, slip=slip, handler=chosen)
            except ValidationError as exc:
                add_service_errors(form, _errors(exc))
            else:
                messages.success(
                    request,
                    _("Slip %(number)s is assigned to %(handler)s.") % {"number": slip.slip_number, "handler": chosen},
                )
                return redirect(reverse("orders:mine"))
        status = 400
    else:
        form = AssignForm(initial={"handler": slip.assigned_to_id or ""}, handlers=handlers)
        status = 200
    return render(
        request,
        "coordination/slip_assign.html",
        {"slip": slip, "form": form, "slip_url": f"{hall_origin(request, slip.hall.code)}/slips/{slip.slip_id}/"},
        status=status,
    )
