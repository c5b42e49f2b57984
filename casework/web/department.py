"""The department handler's pages (rule art. 5(2)–(3)): the cross-hall inbox, the slip page with its
steps (签收, 答复, 退回) and the printable transfer slip (转办单).

The inbox reads the public-schema index only (one query for every hall); a slip itself is opened on
its hall's host, where the slip and its case live. Views parse, call one selector or service, render.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from casework.choices import CaseResult, Complexity, HandlingCategory, SlipStatus
from casework.freetext import slip_free_texts
from casework.models import TransferSlip
from casework.selectors import (
    DeadlineBadge,
    InboxFilters,
    case_steps_allowed,
    deadline_badge,
    hall_list_for_department_inbox,
    slip_deadline,
    slip_get_for_department,
    slip_get_for_print,
    slip_inbox_for_department,
    slip_note_list_for_department,
    slip_steps_allowed,
    slip_timeline,
)
from casework.services import (
    EXTENSION_MAX_DAYS,
    case_note_add,
    case_reveal_free_text,
    slip_extension_pending,
    slip_extension_request,
    slip_receive,
    slip_reply,
    slip_return,
)
from casework.web.display import due_html, inbox_rows_html, revealed_fields_text
from casework.web.forms import NoteForm, add_service_errors
from hallindex.models import SlipIndex
from hallplatform.accounts.access import requires_roles, routed_department_endpoint
from hallplatform.accounts.models import DEPARTMENT_ROLES, HALL_ROLES
from hallplatform.personal import free_text, mask_name
from hallplatform.widgets import QuickSelect
from tenants.routing import hall_origin

PAGE_SIZE = 50

# --- Links to a hall's host ------------------------------------------------------------------------


def slip_url(request: HttpRequest, *, hall_code: str, slip_id: int) -> str:
    """The slip's page on its hall's host (the slip lives in that hall's schema)."""
    return f"{hall_origin(request, hall_code)}/slips/{slip_id}/"


# --- The inbox (any host) --------------------------------------------------------------------------

ALL = "all"
STATUS_FILTERS = [
    ("", gettext_lazy("To be answered")),
    (SlipStatus.SENT.value, SlipStatus.SENT.label),
    (SlipStatus.RECEIVED.value, SlipStatus.RECEIVED.label),
    (SlipStatus.AWAITING_SUPPLEMENT.value, SlipStatus.AWAITING_SUPPLEMENT.label),
    (SlipStatus.REPLIED.value, SlipStatus.REPLIED.label),
    (SlipStatus.RETURNED.value, SlipStatus.RETURNED.label),
    (ALL, gettext_lazy("All")),
]


class InboxFilterForm(forms.Form):
    status = forms.ChoiceField(label=gettext_lazy("Status"), required=False, choices=STATUS_FILTERS)
    # a city-level department's inbox lists every hall of the city: options written in Python
    hall = forms.TypedChoiceField(
        label=gettext_lazy("Hall"), required=False, coerce=int, empty_value=None, widget=QuickSelect
    )
    overdue = forms.BooleanField(label=gettext_lazy("Overdue only"), required=False)
    due_today = forms.BooleanField(label=gettext_lazy("Due today"), required=False)
    sort = forms.ChoiceField(
        label=gettext_lazy("Sort"),
        required=False,
        choices=[("", gettext_lazy("Newest first")), ("deadline", gettext_lazy("Deadline, overdue first"))],
    )

    def __init__(self, *args: Any, halls: list[Any], **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        hall_field = self.fields["hall"]
        assert isinstance(hall_field, forms.TypedChoiceField)
        hall_field.choices = [("", _("All halls")), *((h.pk, h.name) for h in halls)]

    def filters(self) -> InboxFilters:
        """The valid filters; a value that is not one of the choices is ignored."""
        self.is_valid()
        data = self.cleaned_data
        status = data.get("status") or ""
        return InboxFilters(
            status="" if status == ALL else status,
            include_closed=status == ALL,
            hall_id=data.get("hall"),
            overdue=bool(data.get("overdue")),
            due_today=bool(data.get("due_today")),
            by_deadline=data.get("sort") == "deadline",
        )


@dataclass(frozen=True)
class InboxRow:
    entry: SlipIndex
    url: str
    badge: DeadlineBadge | None
    due: str  # the due cell's HTML (casework.web.display.due_html)
    status_label: str
    complexity_label: str
    category_label: str
    supervised: bool  # 不给办, flagged for supervision (督办关注)


def _label(choices: Any, value: str) -> str:
    return str(choices(value).label) if value in choices.values else value


def _inbox_row(request: HttpRequest, entry: SlipIndex, now: Any) -> InboxRow:
    deadline = entry.deadline
    badge = deadline_badge(deadline, now) if deadline is not None and deadline.is_live else None
    return InboxRow(
        entry=entry,
        url=slip_url(request, hall_code=entry.hall.code, slip_id=entry.slip_id),
        badge=badge,
        due=due_html(badge, deadline),
        status_label=_label(SlipStatus, entry.status),
        complexity_label=_label(Complexity, entry.complexity),
        category_label=_label(HandlingCategory, entry.handling_category) if entry.handling_category else "",
        supervised=entry.flagged_for_supervision and entry.handling_category == HandlingCategory.REFUSED,
    )


# The columns the inbox page shows (the index rows carry a dozen timestamps, their deadlines more).
INBOX_FIELDS = (
    *("id", "slip_id", "slip_number", "case_number", "matter_name", "complexity", "handling_category"),
    *("status", "sent_at", "flagged_for_supervision", "hall_id", "department_id", "deadline_id"),
    *("hall__id", "hall__code", "hall__name", "department__id", "department__name", "department__hall_id"),
    *(f"deadline__{name}" for name in ("id", "kind", "state", "due_at", "warn_at", "warned_at", "provisional")),
)


@requires_roles(*DEPARTMENT_ROLES)
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    """The slips addressed to the user's departments, from every hall that routes to them."""
    form = InboxFilterForm(request.GET, halls=list(hall_list_for_department_inbox(actor=request.user)))
    rows = slip_inbox_for_department(actor=request.user, filters=form.filters()).only(*INBOX_FIELDS)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    now = timezone.now()
    query = request.GET.copy()
    query.pop("page", None)
    inbox_rows = [_inbox_row(request, entry, now) for entry in page]
    return render(
        request,
        "casework/inbox.html",
        {
            "form": form,
            "page": page,
            "rows": inbox_rows,
            "rows_html": inbox_rows_html(inbox_rows),
            "query": query.urlencode(),
        },
    )


# --- The slip page and its steps (the slip's hall host) --------------------------------------------


class StepForm(forms.Form):
    """The slip's version as the page showed it: a step on a slip changed meanwhile is refused."""

    step = ""
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"{self.step}_%s")  # three forms on one page: distinct ids
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class ReceiveForm(StepForm):
    step = "receive"


class ReplyForm(StepForm):
    step = "reply"
    # What is required is the service's rule (slip_reply); the form only carries the input.
    result = forms.CharField(
        label=gettext_lazy("Result"), required=False, widget=forms.RadioSelect(choices=CaseResult.choices)
    )
    reply = forms.CharField(
        label=gettext_lazy("The department's answer"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    supplement_note = forms.CharField(
        label=gettext_lazy("Materials the person must supplement"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ReturnForm(StepForm):
    step = "return"
    reason = forms.CharField(
        label=gettext_lazy("Why it is not this department's business"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ExtensionForm(StepForm):
    """Ask the hall's lead for more time (延期): how many working days, and why."""

    step = "extension"
    # what is allowed (1–10 working days, a reason) is the service's rule, which names the field
    days = forms.CharField(
        label=gettext_lazy("Working days more"),
        required=False,
        max_length=3,
        widget=forms.NumberInput(attrs={"min": 1, "max": EXTENSION_MAX_DAYS}),
    )
    reason = forms.CharField(
        label=gettext_lazy("Why the department needs more time"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


STEP_FORMS: dict[str, type[StepForm]] = {
    "receive": ReceiveForm,
    "reply": ReplyForm,
    "return": ReturnForm,
    "extension": ExtensionForm,
}

EVENT_LABELS = {
    "slip_received": gettext_lazy("Received (签收)"),
    "slip_replied": gettext_lazy("Replied"),
    "slip_supplement": gettext_lazy("Asked for materials (补正材料)"),
    "slip_returned": gettext_lazy("Returned"),
    "slip_rerouted": gettext_lazy("Re-routed here from another department"),
    "supplement_received": gettext_lazy("Materials supplied; clock resumed"),
    "revealed": gettext_lazy("Texts viewed unmasked"),
    "slip_extension_requested": gettext_lazy("Asked for more time (延期)"),
    "slip_extension_decided": gettext_lazy("Request for more time decided"),
}


def _history(slip: TransferSlip, *, revealed: bool = False) -> list[dict[str, Any]]:
    """The slip's own steps, its sending first; the reasons and notes in it are free text."""
    items: list[dict[str, Any]] = [{"at": slip.sent_at, "actor": slip.sent_by, "label": _("Sent"), "detail": ""}]
    for event in slip_timeline(slip=slip):
        changes = event.changes or {}
        if event.kind == "slip_returned":
            detail = changes.get("reason", "")
        elif event.kind in ("slip_replied", "slip_supplement"):
            detail = _label(CaseResult, changes.get("result", ""))
        elif event.kind == "supplement_received":
            detail = changes.get("note", "")
        elif event.kind == "slip_rerouted":
            detail = changes.get("from_slip", "")
        elif event.kind == "revealed":
            detail = revealed_fields_text(changes.get("fields") or [])
        elif event.kind == "slip_extension_requested":
            detail = _("%(days)s working days: %(reason)s") % {
                "days": changes.get("days"),
                "reason": changes.get("reason"),
            }
        elif event.kind == "slip_extension_decided":
            if changes.get("granted"):
                detail = _("Granted: due %(due)s") % {"due": changes.get("due_at", "")}
            else:
                detail = _("Refused: %(reason)s") % {"reason": changes.get("reason", "")}
        else:
            detail = ""
        items.append(
            {
                "at": event.at,
                "actor": event.actor,
                "label": EVENT_LABELS.get(event.kind, event.kind),
                "detail": free_text(str(detail), revealed=revealed),
            }
        )
    return items


def _deadline_context(slip: TransferSlip) -> dict[str, Any]:
    deadline = slip_deadline(slip=slip)
    return {
        "deadline": deadline,
        "badge": deadline_badge(deadline) if deadline is not None and deadline.is_live else None,
    }


def _render_slip(
    request: HttpRequest,
    slip: TransferSlip,
    *,
    bound: dict[str, StepForm] | None = None,
    problem: str = "",
    status: int = 200,
    free_text_revealed: bool = False,
    note_form: NoteForm | None = None,
) -> HttpResponse:
    """The slip page. Its free texts (the problem, the request, the coordination notes, the answer)
    have their numbers masked unless ``free_text_revealed``, set only after the audited reveal."""
    case = slip.case
    steps = slip_steps_allowed(slip=slip, for_department=True)
    step_forms = {
        step: (bound or {}).get(step) or STEP_FORMS[step](initial={"version": slip.version}) for step in steps
    }
    # more time (延期): while the slip is to be answered and its clock runs, one request at a time
    extension_pending = slip_extension_pending(slip=slip) if "reply" in steps else None
    deadline_context = _deadline_context(slip)
    running = deadline_context["deadline"] is not None and deadline_context["deadline"].state in ("open", "breached")
    if "reply" in steps and extension_pending is None and running:
        step_forms["extension"] = (bound or {}).get("extension") or ExtensionForm(initial={"version": slip.version})
    applicant = mask_name(case.applicant_name)
    if case.enterprise_name:
        applicant = f"{case.enterprise_name}（{applicant}）"
    return render(
        request,
        "casework/slip_detail.html",
        {
            "slip": slip,
            "case": case,
            "hall_name": request.hall_route.name,  # type: ignore[attr-defined]
            "applicant": applicant,
            "problem_text": free_text(case.problem, revealed=free_text_revealed),
            "request_text": free_text(slip.request, revealed=free_text_revealed),
            "coordination_note": free_text(case.coordination_note, revealed=free_text_revealed),
            "texts": slip_free_texts(slip, revealed=free_text_revealed),
            "free_text_revealed": free_text_revealed,
            "may_reveal": "reveal" in case_steps_allowed(actor=request.user, case=case, window=False),
            "supervised": case.flagged_for_supervision,
            "refused": case.handling_category == HandlingCategory.REFUSED,
            "forms": step_forms,
            "problem": problem,
            "history": _history(slip, revealed=free_text_revealed),
            "extension_pending": extension_pending.changes if extension_pending is not None else None,
            # internal notes (内部备注) on this slip: the department's and the hall's, never printed
            "notes": list(slip_note_list_for_department(slip=slip)),
            "note_form": note_form or NoteForm(),
            "notes_url": reverse("slips:notes", args=[slip.pk]),
            **deadline_context,
        },
        status=status,
    )


@routed_department_endpoint  # a department of another hall of the city opens its slip here
@requires_roles(*DEPARTMENT_ROLES)
@require_GET
def slip_detail(request: HttpRequest, slip_id: int) -> HttpResponse:
    """A slip for the staff of the department it is addressed to (404 for anyone else)."""
    slip = slip_get_for_department(actor=request.user, slip_id=slip_id)
    return _render_slip(request, slip)


# Service errors under these keys are about the slip as a whole, not a field of the form.
_CONFLICTS = ("version", "status")


def _step(
    request: HttpRequest, slip_id: int, step: str, run: Callable[[TransferSlip, dict[str, Any]], Any]
) -> HttpResponse | None:
    """Run one step through its service; on refusal show the slip again with the reason, unchanged."""
    slip = slip_get_for_department(actor=request.user, slip_id=slip_id)
    form = STEP_FORMS[step](request.POST)
    if not form.is_valid():
        # Only the hidden version can be invalid: the page was not one we served for this slip.
        return _conflict(request, slip, step, _("Someone else changed this slip meanwhile; reload it and try again."))
    try:
        run(slip, form.cleaned_data)
    except ValidationError as exc:
        errors = exc.message_dict
        slip = slip_get_for_department(actor=request.user, slip_id=slip_id)
        general = [message for key in _CONFLICTS for message in errors.pop(key, [])]
        if general:
            return _conflict(request, slip, step, " ".join(general))
        for field, field_messages in errors.items():
            for message in field_messages:
                form.add_error(field if field in form.fields else None, message)
        return _render_slip(request, slip, bound={step: form}, problem=_("Check the fields marked below."), status=400)
    return None


def _conflict(request: HttpRequest, slip: TransferSlip, step: str, message: str) -> HttpResponse:
    """The slip as it is now, the refusal on top; what was typed is kept, with the current version."""
    slip = slip_get_for_department(actor=request.user, slip_id=slip.pk)
    form_class = STEP_FORMS[step]
    typed = {name: request.POST.get(name, "") for name in form_class.base_fields if name != "version"}
    bound = {step: form_class(initial={**typed, "version": slip.version})}
    return _render_slip(request, slip, bound=bound, problem=message, status=409)


def _done(request: HttpRequest, slip_id: int, message: str) -> HttpResponseRedirect:
    messages.success(request, message)
    return redirect(reverse("slips:detail", args=[slip_id]))


@routed_department_endpoint  # a department of another hall of the city opens its slip here
@requires_roles(*DEPARTMENT_ROLES)
@require_POST
def slip_receive_view(request: HttpRequest, slip_id: int) -> HttpResponse:
    """签收: the department signs for the slip."""
    refused = _step(
        request,
        slip_id,
        "receive",
        lambda slip, data: slip_receive(slip=slip, actor=request.user, expected_version=data["version"]),
    )
    return refused or _done(request, slip_id, _("You have signed for the slip."))


@routed_department_endpoint  # a department of another hall of the city opens its slip here
@requires_roles(*DEPARTMENT_ROLES)
@require_POST
def slip_reply_view(request: HttpRequest, slip_id: int) -> HttpResponse:
    """答复: the department's answer, with the result (办结, 在办, 补正材料)."""
    refused = _step(
        request,
        slip_id,
        "reply",
        lambda slip, data: slip_reply(
            slip=slip,
            actor=request.user,
            result=data["result"],
            reply=data["reply"],
            supplement_note=data["supplement_note"],
            expected_version=data["version"],
        ),
    )
    if refused:
        return refused
    if request.POST.get("result") == CaseResult.SUPPLEMENT:
        return _done(request, slip_id, _("The window is asked to get the materials; the clock is paused."))
    return _done(request, slip_id, _("Your answer has been sent to the window."))


@routed_department_endpoint  # a department of another hall of the city opens its slip here
@requires_roles(*DEPARTMENT_ROLES)
@require_POST
def slip_return_view(request: HttpRequest, slip_id: int) -> HttpResponse:
    """退回: the slip is not this department's business; the window re-routes it."""
    refused = _step(
        request,
        slip_id,
        "return",
        lambda slip, data: slip_return(
            slip=slip, actor=request.user, reason=data["reason"], expected_version=data["version"]
        ),
    )
    return refused or _done(request, slip_id, _("The slip has been returned to the window."))


@routed_department_endpoint  # a department of another hall of the city opens its slip here
@requires_roles(*DEPARTMENT_ROLES)
@require_POST
@never_cache
def slip_reveal_view(request: HttpRequest, slip_id: int) -> HttpResponse:
    """The slip page with its free texts in clear, for a department granted the reveal (one audited
    reveal: casework.services.case_reveal_free_text); 403 with the page masked for anyone else."""
    slip = slip_get_for_department(actor=request.user, slip_id=slip_id)
    try:
        case_reveal_free_text(case=slip.case, actor=request.user, slip=slip)
    except PermissionDenied as exc:
        return _render_slip(request, slip, problem=str(exc), status=403)
    return _render_slip(request, slip, free_text_revealed=True)


@routed_department_endpoint  # a department of another hall of the city opens its slip here
@requires_roles(*DEPARTMENT_ROLES)
@require_POST
def slip_extension_request_view(request: HttpRequest, slip_id: int) -> HttpResponse:
    """延期: the department asks the hall's lead for more working days, with the reason."""
    refused = _step(
        request,
        slip_id,
        "extension",
        lambda slip, data: slip_extension_request(
            slip=slip, actor=request.user, days=data["days"], reason=data["reason"], expected_version=data["version"]
        ),
    )
    return refused or _done(request, slip_id, _("Your request for more time is sent to the hall's lead."))


# --- The printable transfer slip (转办单) ----------------------------------------------------------


@routed_department_endpoint  # a department of another hall of the city opens its slip here
@requires_roles(*DEPARTMENT_ROLES)
@require_POST
def slip_note_view(request: HttpRequest, slip_id: int) -> HttpResponse:
    """Add an internal note on the slip (casework.services.case_note_add)."""
    slip = slip_get_for_department(actor=request.user, slip_id=slip_id)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            case_note_add(case=slip.case, actor=request.user, text=form.cleaned_data["text"], slip=slip)
        except ValidationError as exc:
            add_service_errors(form, exc.message_dict)
        else:
            messages.success(request, _("The note is added."))
            return HttpResponseRedirect(reverse("slips:detail", args=[slip.pk]) + "#notes")
    return _render_slip(request, slip, note_form=form, problem=_("The note was not saved."), status=400)


@routed_department_endpoint  # a department of another hall of the city opens its slip here
@requires_roles(*DEPARTMENT_ROLES, *HALL_ROLES)
@require_GET
def slip_print(request: HttpRequest, slip_id: int) -> HttpResponse:
    """The 转办单 on A4, for the slip's department and for the hall's window staff and lead; its
    free texts masked (the print has no reveal)."""
    slip = slip_get_for_print(actor=request.user, slip_id=slip_id)
    answered = slip.status == SlipStatus.REPLIED or bool(slip.reply)
    texts = slip_free_texts(slip, revealed=False)
    # the department's 经办人: the handler the slip was assigned to, else who signed for it
    index = (
        SlipIndex.objects.filter(hall_id=request.hall_route.hall_id, slip_id=slip.pk)  # type: ignore[attr-defined]
        .select_related("assigned_to")
        .first()
    )
    department_handler = index.assigned_to if index is not None and index.assigned_to_id else slip.received_by
    return render(
        request,
        "casework/print/transfer_slip.html",
        {
            "slip": slip,
            "case": slip.case,
            "department_handler": department_handler,
            "hall_name": request.hall_route.name,  # type: ignore[attr-defined]
            "request_text": texts["request"],
            "reply_text": texts["reply"] if answered else "",
            "supplement_text": texts["supplement_note"],
            "result_label": _label(CaseResult, slip.result) if slip.result else "",
            "answered": answered,
            "blank_lines": range(6),
            "printed_at": timezone.now(),
            **_deadline_context(slip),
        },
    )
