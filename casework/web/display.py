"""How the window's pages show a case: masked personal data and a readable timeline.

Presentation only: which labels and masks to show. What may be done is decided by the services.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, ngettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from casework.choices import (
    ApplicantKind,
    CaseResult,
    CaseStatus,
    Channel,
    Complexity,
    ExclusionReason,
    FailureKind,
    FeedbackMethod,
    FollowUpMethod,
    HandlingCategory,
    Satisfaction,
    SlipStatus,
)
from casework.freetext import FREE_TEXT
from casework.models import Case, CaseEvent, TransferSlip
from hallplatform.formats import local_minute
from hallplatform.personal import DocumentType, free_text, mask_address, mask_id, mask_name, mask_phone

# --- Personal data --------------------------------------------------------------------------------

MASKS: dict[str, Callable[[str], str]] = {
    "applicant_name": mask_name,
    "phone": mask_phone,
    "document_number": mask_id,
    "address": mask_address,
}

FIELD_LABELS: dict[str, Any] = {
    "applicant_name": _("Applicant"),
    "phone": _("Contact phone"),
    "document_number": _("Document number"),
    "address": _("Applicant's address"),
}

# What the timeline calls the reveal of the free texts (casework.freetext.FREE_TEXT).
FREE_TEXT_LABEL = _("Free text (notes, answers, requests)")


# What a personal field of a case shows once the retention erased it (casework.retention).
ERASED_LABEL = _("(erased)")


def masked(case: Case, field: str) -> str:
    if case.erased_at is not None:
        return str(ERASED_LABEL)
    return MASKS[field](str(getattr(case, field) or ""))


@dataclass(frozen=True)
class PersonalField:
    name: str
    label: Any
    masked: str
    revealed: str | None = None

    @property
    def shown(self) -> str:
        return self.masked if self.revealed is None else self.revealed


def personal_fields(case: Case, revealed: dict[str, str] | None = None) -> dict[str, PersonalField]:
    revealed = revealed or {}
    return {
        name: PersonalField(name=name, label=FIELD_LABELS[name], masked=masked(case, name), revealed=revealed.get(name))
        for name in MASKS
    }


def problem_text(case: Case, *, revealed: bool = False) -> str:
    """The problem as told, with any phone or ID number in it masked unless revealed (a free text)."""
    if case.erased_at is not None:
        return str(ERASED_LABEL)
    return free_text(case.problem, revealed=revealed)


def revealed_fields_text(names: list[Any]) -> str:
    """The fields a free-text reveal showed (``case.reveal`` ``fields``), by their labels; a slip's
    as ``<slip number> <label>``."""
    labels = []
    for name in names:
        number, _dot, field = str(name).rpartition(".")
        model = TransferSlip if number else Case
        try:
            label = str(getattr(model._meta.get_field(field), "verbose_name", field))
        except FieldDoesNotExist:
            label = field
        labels.append(f"{number} {label}" if number else label)
    return "、".join(labels)


# --- Timeline -------------------------------------------------------------------------------------

EVENT_LABELS: dict[str, Any] = {
    "registered": _("Registered the case"),
    "screened_out": _("Not accepted (outside the window's scope)"),
    "answered": _("Answered on the spot"),
    "transferred": _("Transferred to departments"),
    "slip_received": _("Department signed for the slip"),
    "slip_replied": _("Department replied"),
    "slip_supplement": _("Department asked for materials"),
    "slip_returned": _("Department returned the slip"),
    "slip_rerouted": _("Slip re-routed"),
    "supplement_received": _("Materials received"),
    "fed_back": _("Result told to the person"),
    "followed_up": _("Followed up"),
    "reopened": _("Reopened"),
    "closed": _("Closed"),
    "close_undone": _("Closing taken back (撤销办结)"),
    "slip_extension_requested": _("Department asked for more time (延期)"),
    "slip_extension_decided": _("Request for more time decided"),
    "screen_out_undone": _("“Not accepted” taken back (撤销不予受理)"),
    "sms_opt_out": _("SMS preference changed"),
    "linked_elsewhere": _("Linked to the same person's case in another hall"),
    "handler_reassigned": _("Handler (经办人) changed"),
    "registration_amended": _("Registration corrected (更正登记)"),
    "slip_handler_reassigned": _("Department handler (经办人) of a slip changed"),
    "revealed": _("Personal data viewed unmasked"),
    # written by the city level (coordination/services.py) into the linked case's timeline
    "meeting_convened": _("Joint meeting convened"),
    "meeting_held": _("Joint meeting held, resolutions recorded"),
    "resolution_done": _("Meeting resolution carried out"),
    "meeting_closed": _("Joint meeting closed"),
    "meeting_request_declined": _("Joint meeting request declined"),
    "meeting_request_settled": _("Joint meeting request settled: meeting convened"),
    "supervision_order": _("Supervision order issued"),
    "supervision_closed": _("Supervision order closed"),
    # the window's own 补正 and retention (casework.retention)
    "supplement_requested": _("Window asked for materials (补正)"),
    "retention_hold": _("Retention hold changed"),
    "personal_data_erased": _("Personal data erased (retention period over)"),
}

# Events whose ``fields`` change is a list of field names.
FIELD_LIST_EVENTS = ("revealed", "personal_data_erased", "registration_amended")

# Events whose from/to are the slip's states (the others are the case's).
SLIP_EVENTS = {"slip_received", "slip_replied", "slip_supplement", "slip_returned", "slip_rerouted"}

CHANGE_LABELS: dict[str, Any] = {
    "number": _("NO"),
    "other_number": _("Other hall's NO"),
    "other_hall": _("Other hall"),
    "phone": _("Contact phone"),
    "document_number": _("Document number"),
    "reason": _("Reason"),
    "referral": _("Referred to"),
    "category": _("Handling category"),
    "slips": _("Transfer slips"),
    "meeting_requested": _("Joint meeting requested"),
    "flagged_for_supervision": _("Flagged for supervision"),
    "slip": _("Transfer slip"),
    "from_slip": _("Re-routed from"),
    "department": _("Department"),
    "result": _("Result"),
    "case_status": _("Case status"),
    "method": _("Method"),
    "sms": _("SMS sent"),
    "date": _("Date"),
    "satisfaction": _("Satisfaction"),
    "note": _("Note"),
    "earlier": _("Before reopening"),
    "field": _("Field"),
    "sms_opt_out": _("No SMS to the person"),
    "meeting": _("Joint meeting"),
    "subject": _("Subject"),
    "starts_at": _("Time"),
    "outcome": _("Outcome"),
    "resolutions": _("Resolutions"),
    "resolution": pgettext_lazy("timeline", "Meeting resolution"),
    "report": pgettext_lazy("timeline", "What was done"),
    "due": _("To be brought by"),
    "hold": _("Held"),
    "on_time": _("On time"),
    "order": pgettext_lazy("timeline", "Supervision order"),
    "days": _("Working days"),
    "response": _("Response"),
    "fields": _("Fields shown"),
    "granted": _("Granted"),
    "due_at": _("New due time"),
    "from_due_at": _("Due before"),
    "from": _("Before"),
    "to": _("After"),
    "before": _("Before"),
    "after": _("After"),
}


def _label(choices: type[models.TextChoices], value: Any) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)


def status_label(value: str, *, slip: bool = False) -> str:
    if not value:
        return ""
    first, second = (SlipStatus, CaseStatus) if slip else (CaseStatus, SlipStatus)
    for choices in (first, second):
        if value in choices.values:
            return str(choices(value).label)
    return value


def _yes_no(value: Any) -> str:
    return str(_("Yes") if value else _("No"))


_AMENDED_CHOICES: dict[str, type[models.TextChoices]] = {
    "channel": Channel,
    "applicant_kind": ApplicantKind,
    "document_type": DocumentType,
    "failure_kind": FailureKind,
}


def _amended_value(name: str, value: Any, *, revealed: bool) -> str:
    """A corrected field's old or new value in the timeline (already masked when it was recorded)."""
    if name in _AMENDED_CHOICES:
        return _label(_AMENDED_CHOICES[name], value) if value else "—"
    if name == "problem":
        return str(_("(changed)"))
    return free_text(str(value), revealed=revealed) if value else "—"


def _value(kind: str, key: str, value: Any, *, revealed: bool = False) -> str:
    if isinstance(value, bool):
        return _yes_no(value)
    if key == "reason" and kind == "screened_out":
        return _label(ExclusionReason, value)
    if key == "category":
        return _label(HandlingCategory, value)
    if key == "result":
        return _label(CaseResult, value)
    if key == "satisfaction":
        return _label(Satisfaction, value)
    if key == "method":
        return _label(FollowUpMethod if kind == "followed_up" else FeedbackMethod, value)
    if key == "complexity":
        return _label(Complexity, value)
    if key == "field":
        return str(FREE_TEXT_LABEL) if value == FREE_TEXT else str(FIELD_LABELS.get(value, value))
    if (
        key == "fields"
        and kind in ("revealed", "personal_data_erased", "registration_amended")
        and isinstance(value, list)
    ):
        return revealed_fields_text(value)
    if key in ("before", "after") and kind == "registration_amended" and isinstance(value, dict):
        return "；".join(
            f"{revealed_fields_text([name])}：{_amended_value(name, text, revealed=revealed)}"
            for name, text in value.items()
        )
    if key == "case_status" and isinstance(value, list | tuple) and len(value) == 2:
        return f"{status_label(value[0])} → {status_label(value[1])}"
    if key == "slips" and isinstance(value, list):
        return "；".join(
            f"{s.get('number', '')} {s.get('department', '')}（{_label(Complexity, s.get('complexity', ''))}）"
            for s in value
            if isinstance(s, dict)
        )
    if key == "earlier" and isinstance(value, dict):
        parts = []
        if value.get("result"):
            parts.append(f"{CHANGE_LABELS['result']}：{_label(CaseResult, value['result'])}")
        if value.get("satisfaction"):
            parts.append(f"{CHANGE_LABELS['satisfaction']}：{_label(Satisfaction, value['satisfaction'])}")
        if value.get("follow_up_date"):
            parts.append(f"{CHANGE_LABELS['date']}：{value['follow_up_date']}")
        return "；".join(parts)
    if key == "starts_at" and isinstance(value, str):
        try:
            return local_minute(datetime.fromisoformat(value))
        except ValueError:
            return value
    if key == "resolutions" and isinstance(value, list):
        return "；".join(
            f"{r.get('number', '')} {r.get('department', '')}：{free_text(str(r.get('action', '')), revealed=revealed)}"
            + (f"（{ngettext('%(days)s working day', '%(days)s working days', r['days']) % {'days': r['days']}}）"
               if isinstance(r.get("days"), int) else "")
            for r in value
            if isinstance(r, dict)
        )  # fmt: skip
    return free_text(str(value), revealed=revealed)


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    actor: str
    label: str
    from_label: str
    to_label: str
    details: list[tuple[str, str]]
    slip_number: str


def timeline_entry(event: CaseEvent, *, revealed: bool = False) -> TimelineEntry:
    """One timeline row; the notes and reasons in it are free text (``revealed``: after the reveal)."""
    slip = event.kind in SLIP_EVENTS
    details = [
        (str(CHANGE_LABELS.get(key, key)), _value(event.kind, key, value, revealed=revealed))
        for key, value in (event.changes or {}).items()
        if value not in (None, "", [], {})
    ]
    return TimelineEntry(
        at=event.at,
        actor=str(event.actor) if event.actor_id is not None else str(_("System")),
        label=str(EVENT_LABELS.get(event.kind, event.kind)),
        from_label=status_label(event.from_status, slip=slip),
        to_label=status_label(event.to_status, slip=slip),
        details=[(label, text) for label, text in details if text],
        slip_number=event.slip.number if event.slip_id is not None and event.slip is not None else "",
    )


def due_html(badge: Any, deadline: Any) -> SafeString:
    """The due cell of an inbox row (what casework/_slip_due.html shows), built in Python."""
    if badge is not None:
        if badge.colour == "paused":
            text = gettext("Paused")
        else:
            text = local_minute(badge.due_at)
            if badge.colour == "yellow":
                text += " · " + gettext("Due soon")
            elif badge.colour == "red":
                text += " · " + gettext("Overdue")
        html = format_html('<span class="due due-{}">{}</span>', badge.colour, text)
        if badge.provisional:
            html += format_html(' <span class="muted small">{}</span>', gettext("Provisional (暂定)"))
        return html
    if deadline is not None:
        return format_html('<span class="due due-closed">{}</span>', deadline.get_state_display())
    return mark_safe('<span class="muted">—</span>')


def inbox_rows_html(rows: Any) -> SafeString:
    """The body rows of the department inbox (casework/inbox.html), built in Python: a city-level
    department's page of fifty slips from a hundred halls costs less this way than through fifty
    template loops (benchmarks/city_portal.py). ``rows``: casework.web.department.InboxRow."""
    view, supervised_tag = escape(gettext("View")), escape(gettext("Supervision attention"))
    # each cell's column name, shown before the value when the rows are cards on a phone (site.css)
    no, case_no, hall_label, matter, complexity, category_label, status, sent_at, due = (
        escape(gettext(text))
        for text in ("Slip NO", "Case NO", "Hall", "Matter", "Complexity", "Category", "Status", "Sent at", "Due")
    )
    parts = []
    for row in rows:
        entry = row.entry
        css = ("supervised" if row.supervised else "") + (f" due-{row.badge.colour}" if row.badge else "")
        hall = escape(entry.hall.name)
        if entry.department.hall_id != entry.hall_id:
            hall += f'<div class="muted small">{escape(entry.department.name)}</div>'
        category = escape(row.category_label)
        if row.supervised:
            category += f' <span class="tag tag-supervised">{supervised_tag}</span>'
        url = escape(row.url)
        sent = local_minute(entry.sent_at)
        parts.append(
            f'<tr class="{escape(css)}"><td data-label="{no}"><a href="{url}">{escape(entry.slip_number)}</a></td>'
            f'<td data-label="{case_no}">{escape(entry.case_number)}</td><td data-label="{hall_label}">{hall}</td>'
            f'<td data-label="{matter}">{escape(entry.matter_name)}</td>'
            f'<td data-label="{complexity}">{escape(row.complexity_label)}</td>'
            f'<td data-label="{category_label}">{category}</td>'
            f'<td data-label="{status}">{escape(row.status_label)}</td>'
            f'<td class="nowrap" data-label="{sent_at}">{sent}</td><td class="nowrap" data-label="{due}">{row.due}</td>'
            f'<td><a class="button small" href="{url}">{view}</a></td></tr>'
        )
    return mark_safe("".join(parts))  # noqa: S308 (every value escaped)
