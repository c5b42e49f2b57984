"""The one write path for cases (CONVENTIONS.md): check, change, timeline event, in one transaction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from casework import notices
from casework.access import (
    ensure_may_decide_meeting_request,
    ensure_slip_department,
    is_hall_staff,
    may_amend_registration,
    may_reveal,
)
from casework.choices import (
    OPEN_SLIP_STATES,
    UNSATISFIED,
    WINDOW_CHANNELS,
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
from casework.crypto import blind_index, blind_index_candidates
from casework.freetext import (
    CASE_FREE_TEXT_FIELDS,
    FREE_TEXT,
    SLIP_CASE_FREE_TEXT_FIELDS,
    case_free_texts,
    slip_free_texts,
)
from casework.models import Case, CaseEvent, CaseNote, CaseNumberSequence, TransferSlip
from casework.progress import progress_access_issue, progress_address
from casework.search import matter_search_vector
from hallindex.services import case_index_write, slip_index_write
from hallplatform.accounts.models import HALL_ROLES, RoleAssignment, RoleKind, User
from hallplatform.audit.services import audit_record
from hallplatform.deadlines.models import LIVE_STATES, Deadline, DeadlineKind, DeadlineRule, DeadlineState
from hallplatform.deadlines.services import (
    deadline_cancel,
    deadline_extend,
    deadline_meet,
    deadline_open,
    deadline_pause,
    deadline_resume,
)
from hallplatform.formats import local_minute
from hallplatform.limits import NOTE_MAX_LENGTH
from hallplatform.personal import (
    DocumentType,
    free_text,
    is_mobile,
    mask_address,
    mask_id,
    mask_name,
    mask_phone,
    mask_text,
    normalise_document,
    normalise_phone,
    validate_document,
)
from hallplatform.schemas import current_tenant
from tenants.models import Department
from tenants.selectors import department_list_routable_from


@dataclass(frozen=True)
class Registration:
    """What the window fills in on the 登记表 at registration (art. 5(1))."""

    channel: str
    applicant_kind: str
    applicant_name: str
    phone: str
    document_type: str
    document_number: str
    matter_name: str
    problem: str
    address: str = ""
    enterprise_name: str = ""
    acceptance_note: str = ""
    remarks: str = ""
    sms_opt_out: bool = False
    failure_kind: str = ""  # art. 4: what failed; optional


def phone_index(phone: str) -> str:
    """The blind index of a contact phone: over ``normalise_phone`` (a mobile's 11 digits, as every
    earlier case's index; a landline's ``0751-8888888[-ext]``)."""
    return blind_index("phone", normalise_phone(phone))


def document_index(document_type: str, number: str) -> str:
    return blind_index(f"document:{document_type}", normalise_document(document_type, number))


def phone_indexes(phone: str) -> list[str]:
    """What a search for ``phone`` matches: its index under the current and the other BLIND_INDEX_HASH."""
    return blind_index_candidates("phone", normalise_phone(phone))


def document_indexes(document_type: str, number: str) -> list[str]:
    return blind_index_candidates(f"document:{document_type}", normalise_document(document_type, number))


def case_event_record(
    *,
    case: Case,
    actor: Any,
    kind: str,
    from_status: str = "",
    to_status: str = "",
    changes: dict[str, Any] | None = None,
    slip: TransferSlip | None = None,
    at: datetime | None = None,
) -> CaseEvent:
    """Append an immutable event to the case's timeline (in the caller's transaction), and bring the
    case's public-schema index row (no personal data) up to date in the same transaction."""
    _case_index_write(case)
    return CaseEvent.objects.create(
        case=case,
        slip=slip,
        at=at or timezone.now(),
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        kind=kind,
        from_status=from_status,
        to_status=to_status,
        changes=changes or {},
    )


_CASE_INDEX_FIELDS = (
    "number", "channel", "applicant_kind", "handling_category", "failure_kind", "complexity", "status", "result",
    "exclusion_reason", "flagged_for_supervision", "meeting_requested", "satisfaction", "reopened_count",
    "registered_at", "screened_at", "answered_at", "transferred_at", "replied_at", "fed_back_at",
    "followed_up_at", "closed_at", "phone_index", "document_index",
)  # fmt: skip


def _case_index_write(case: Case) -> None:
    values: dict[str, Any] = {name: getattr(case, name) for name in _CASE_INDEX_FIELDS}
    values["matter_name"] = case.matter_name
    repeat = getattr(case, "_repeat_reporter", None)
    if repeat is not None:  # a case being registered: its row cannot exist yet
        delattr(case, "_repeat_reporter")
    case_index_write(hall_id=current_tenant().pk, case_id=case.pk, values=values, repeat_reporter=repeat)


def _next_number(*, region_code: str, year: int) -> str:
    """Gap-free NO per hall and year: the year's row is locked until the registration commits."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO casework_casenumbersequence (year, last) VALUES (%s, 0) ON CONFLICT (year) DO NOTHING",
            [year],
        )
    sequence = CaseNumberSequence.objects.select_for_update().get(year=year)
    sequence.last += 1
    sequence.save(update_fields=["last"])
    return f"{region_code}-{year}-{sequence.last:05d}"


def _clean(data: Registration, *, online: bool = False) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}

    def need(field: str, value: str, label: str) -> str:
        value = (value or "").strip()
        if not value:
            errors.setdefault(field, []).append(_("%(field)s is required.") % {"field": label})
        return value

    cleaned: dict[str, Any] = {}
    # 网上 only through the screening of an online report (casework/reports.py report_accept)
    if data.channel not in [value for value, _label in WINDOW_CHANNELS] + ([Channel.ONLINE] if online else []):
        errors.setdefault("channel", []).append(_("Choose on site or by phone."))
    if data.applicant_kind not in ApplicantKind.values:
        errors.setdefault("applicant_kind", []).append(_("Choose individual or enterprise."))
    # the fields are named with the words of their labels on the 登记表 (casework/web/forms.py)
    cleaned["applicant_name"] = need("applicant_name", data.applicant_name, _("Applicant"))
    cleaned["matter_name"] = need("matter_name", data.matter_name, _("Matter name"))
    cleaned["problem"] = need("problem", data.problem, _("Problem reported"))
    if data.applicant_kind == ApplicantKind.ENTERPRISE:
        cleaned["enterprise_name"] = need("enterprise_name", data.enterprise_name, _("Enterprise name"))
    else:
        cleaned["enterprise_name"] = (data.enterprise_name or "").strip()
    if need("phone", data.phone, _("Contact phone")):
        try:
            cleaned["phone"] = normalise_phone(data.phone)
        except ValidationError as exc:
            errors.setdefault("phone", []).extend(exc.messages)
    if data.failure_kind and data.failure_kind not in FailureKind.values:
        errors.setdefault("failure_kind", []).append(_("Choose what failed from the list (art. 4)."))
    if data.document_type not in DocumentType.values:
        errors.setdefault("document_type", []).append(_("Choose a document type."))
    elif need("document_number", data.document_number, _("Document number")):
        try:
            cleaned["document_number"] = validate_document(data.document_type, data.document_number).value
        except ValidationError as exc:
            errors.setdefault("document_number", []).extend(exc.messages)
    if errors:
        raise ValidationError(errors)
    return cleaned


@transaction.atomic
def case_register(
    *, hall: Any, actor: Any, data: Registration, at: datetime | None = None, progress_token: str = ""
) -> Case:
    """Register a case on the 登记表 (rule art. 5(1)): a gap-free NO, every field of the form, the
    personal data encrypted, and the first timeline event. Refusals name the field; nothing is kept.
    ``progress_token``: an accepted online report's token (its channel 网上 is allowed only then)."""
    cleaned = _clean(data, online=bool(progress_token))
    at = at or timezone.now()
    year = timezone.localtime(at).year
    earlier = Case.objects.filter(
        Q(phone_index__in=phone_indexes(cleaned["phone"]))
        | Q(document_index__in=document_indexes(data.document_type, cleaned["document_number"]))
    ).exists()
    case = Case.objects.create(
        number=_next_number(region_code=hall.region_code, year=year),
        channel=data.channel,
        applicant_kind=data.applicant_kind,
        applicant_name=cleaned["applicant_name"],
        enterprise_name=cleaned["enterprise_name"],
        phone=cleaned["phone"],
        phone_index=phone_index(cleaned["phone"]),
        document_type=data.document_type,
        document_number=cleaned["document_number"],
        document_index=document_index(data.document_type, cleaned["document_number"]),
        address=(data.address or "").strip(),
        matter_name=cleaned["matter_name"],
        matter_search=matter_search_vector(cleaned["matter_name"]),
        problem=cleaned["problem"],
        acceptance_note=(data.acceptance_note or "").strip(),
        remarks=(data.remarks or "").strip(),
        handler=actor,
        handler_phone=getattr(actor, "printed_phone", ""),
        registered_at=at,
        status=CaseStatus.REGISTERED,
        sms_opt_out=bool(data.sms_opt_out),
        failure_kind=data.failure_kind or "",
    )
    del case.matter_search  # computed by the database from the expression above: deferred, not kept
    setattr(case, "_repeat_reporter", earlier)  # noqa: B010 (a transient mark for the index row)
    case_event_record(
        case=case,
        actor=actor,
        kind="registered",
        to_status=CaseStatus.REGISTERED,
        changes={
            "number": case.number,
            "phone": mask_phone(cleaned["phone"]),
            "document_number": mask_id(cleaned["document_number"]),
        },
    )
    # The progress link's token (printed as a QR code); the SMS carries the hall's fixed address instead.
    progress_access_issue(case=case, at=at, token=progress_token)
    notices.notify_person(
        kind="person_registered",
        event_key=f"case:{case.pk}:registered",
        hall=hall,
        case=case,
        context={
            "case_number": case.number,
            "matter_name": free_text(case.matter_name, revealed=False),
            "hall_name": hall.name,
            "progress_url": progress_address(hall),
        },
    )
    return case


# The states each window step starts from: checked by the step's service (_require_status) and shown
# to the user as the steps they can take (selectors.case_steps_allowed).
CASE_STEP_STATES: dict[str, tuple[str, ...]] = {
    "screen_out": (CaseStatus.REGISTERED,),
    "answer": (CaseStatus.REGISTERED, CaseStatus.REOPENED),
    "transfer": (CaseStatus.REGISTERED, CaseStatus.REOPENED),
    "supplement_received": (CaseStatus.AWAITING_SUPPLEMENT,),
    "feedback": (CaseStatus.REPLIED,),
    "follow_up": (CaseStatus.FED_BACK, CaseStatus.ANSWERED),
    "reopen": (CaseStatus.FOLLOWED_UP, CaseStatus.CLOSED),
    "close": (CaseStatus.ANSWERED, CaseStatus.FED_BACK, CaseStatus.FOLLOWED_UP),
}


def _locked_case(case: Case, expected_version: int | None) -> Case:
    """The case, locked; a stale ``expected_version`` (someone changed it meanwhile) is a conflict."""
    locked = Case.objects.select_for_update().get(pk=case.pk)
    if expected_version is not None and locked.version != expected_version:
        message = _("Someone else changed this case meanwhile; reload it and try again.")
        raise ValidationError({"version": ValidationError(message, code="conflict")})
    return locked


def _require_status(case: Case, *allowed: str) -> None:
    if case.status not in allowed:
        message = _("This step is not possible while the case is “%(status)s”.") % {"status": case.get_status_display()}
        raise ValidationError({"status": ValidationError(message, code="invalid_transition")})


def case_screen_out_check(*, case: Case, reason: str, referral: str) -> None:
    """What ``case_screen_out`` would refuse, without writing anything (the page asks for a
    confirmation only of a step that would be taken): the case's status, the reason, the referral."""
    _require_status(case, *CASE_STEP_STATES["screen_out"])
    errors: dict[str, list[str]] = {}
    if reason not in ExclusionReason.values:
        errors["reason"] = [_("Choose why the case is not accepted.")]
    if not (referral or "").strip():
        errors["referral"] = [_("Say where the person was referred.")]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def case_screen_out(*, case: Case, actor: Any, reason: str, referral: str, expected_version: int | None = None) -> Case:
    """Record that a case is outside the scope of the window (rule art. 4: 涉法涉诉, 信访, 已立案, or
    excluded by law), with the reason and where the person was referred. Never discarded: the case
    stays, not accepted, in the register and the statistics."""
    case = _locked_case(case, expected_version)
    case_screen_out_check(case=case, reason=reason, referral=referral)
    previous = case.status
    case.status = CaseStatus.NOT_ACCEPTED
    case.exclusion_reason = reason
    case.referral = referral.strip()
    case.screened_at = timezone.now()
    case.version += 1
    case.save(update_fields=["status", "exclusion_reason", "referral", "screened_at", "version"])
    case_event_record(
        case=case,
        actor=actor,
        kind="screened_out",
        from_status=previous,
        to_status=case.status,
        changes={"reason": reason, "referral": case.referral},
    )
    return case


@transaction.atomic
def case_answer_on_spot(
    *,
    case: Case,
    actor: Any,
    category: str,
    answer: str,
    policy_basis: str = "",
    expected_version: int | None = None,
) -> Case:
    """Close a case at the window (rule art. 7): a consultation (咨询) answered at once with the
    one-time notice (一次性告知), or a matter that cannot be done (办不了) explained with its policy
    basis."""
    case = _locked_case(case, expected_version)
    _require_status(case, *CASE_STEP_STATES["answer"])
    errors: dict[str, list[str]] = {}
    if category not in (HandlingCategory.CONSULTATION, HandlingCategory.CANNOT_DO):
        errors["category"] = [_("Only a consultation or a matter that cannot be done is answered on the spot.")]
    if not (answer or "").strip():
        errors["answer"] = [_("Record what the person was told.")]
    if category == HandlingCategory.CANNOT_DO and not (policy_basis or "").strip():
        errors["policy_basis"] = [_("Record the policy basis for why it cannot be done.")]
    if errors:
        raise ValidationError(errors)
    previous = case.status
    now = timezone.now()
    case.status = CaseStatus.ANSWERED
    case.handling_category = category
    case.answer = answer.strip()
    case.policy_basis = (policy_basis or "").strip()
    case.result = CaseResult.DONE
    case.screened_at = case.screened_at or now
    case.answered_at = now
    case.version += 1
    case.save(
        update_fields=[
            "status", "handling_category", "answer", "policy_basis", "result", "screened_at", "answered_at", "version",
        ]
    )  # fmt: skip
    case_event_record(
        case=case,
        actor=actor,
        kind="answered",
        from_status=previous,
        to_status=case.status,
        changes={"category": category},
    )
    return case


# --- Transfer (转办, art. 5(2)–(3)) and the departments' replies -------------------------------------


@dataclass(frozen=True)
class SlipDraft:
    """One transfer slip the window writes: to which department, what is asked, how complex."""

    department_id: int
    request: str
    complexity: str = Complexity.ORDINARY


SLIP_DAYS = {Complexity.ORDINARY: 2, Complexity.COMPLEX: 5}


def _hall() -> Any:
    """The hall whose schema the connection is on (services run inside one hall)."""
    return current_tenant()


def _live_deadline(hall: Any, kind: str, subject: Any) -> Deadline | None:
    return (
        Deadline.objects.filter(
            hall_id=hall.pk,
            kind=kind,
            subject_type=subject._meta.label,
            subject_id=str(subject.pk),
            state__in=LIVE_STATES,
        )
        .order_by("-id")
        .first()
    )


def _slip_context(slip: TransferSlip, case: Case, hall: Any, deadline: Deadline | None = None) -> dict[str, Any]:
    return {
        "slip_number": slip.number,
        "case_number": case.number,
        "matter_name": free_text(case.matter_name, revealed=False),
        "department_name": slip.department.name,
        "hall_name": hall.name,
        "due_at": local_minute(deadline.due_at) if deadline else "",
    }


def _index_write(slip: TransferSlip, case: Case, hall: Any, deadline: Deadline | None = None) -> None:
    """The slip's public-schema row (the departments' inbox), in the slip's transaction."""
    values = {
        "case_id": case.pk,
        "slip_number": slip.number,
        "case_number": case.number,
        "department_id": slip.department_id,
        # masked by hallindex: the public schema holds no personal data
        "matter_name": case.matter_name,
        "handling_category": case.handling_category,
        "complexity": slip.complexity,
        "status": slip.status,
        "result": slip.result,
        "flagged_for_supervision": case.flagged_for_supervision,
        "received_by_id": slip.received_by_id,
        "sent_at": slip.sent_at,
        "received_at": slip.received_at,
        "replied_at": slip.replied_at,
        "returned_at": slip.returned_at,
    }
    if deadline is not None:
        values["deadline_id"] = deadline.pk
    slip_index_write(hall_id=hall.pk, slip_id=slip.pk, values=values)


def _clean_slips(hall: Any, drafts: list[SlipDraft], *, prefix: str = "slips") -> dict[int, Department]:
    """The departments of ``drafts``, checked: routable from this hall, each once, with a request."""
    errors: dict[str, list[str]] = {}
    routable = {d.pk: d for d in department_list_routable_from(hall_id=hall.pk, city_id=hall.city_id)}
    seen: set[int] = set()
    for i, draft in enumerate(drafts):
        department = routable.get(draft.department_id)
        if department is None:
            errors[f"{prefix}.{i}.department"] = [_("Choose a department this hall can transfer to.")]
        elif draft.department_id in seen:
            errors[f"{prefix}.{i}.department"] = [_("This department already has a slip for the case.")]
        seen.add(draft.department_id)
        if not (draft.request or "").strip():
            errors[f"{prefix}.{i}.request"] = [_("Say what the department is asked to do.")]
        if draft.complexity not in Complexity.values:
            errors[f"{prefix}.{i}.complexity"] = [_("Choose ordinary or complex.")]
    if errors:
        raise ValidationError(errors)
    return routable


def _slip_send(
    *, case: Case, hall: Any, actor: Any, draft: SlipDraft, department: Department, at: datetime,
    rerouted_from: TransferSlip | None = None,
) -> TransferSlip:  # fmt: skip
    """Write one slip, open its deadline (2 or 5 working days, art. 5(3)), index it, tell the department."""
    sequence = TransferSlip.objects.filter(case=case).count() + 1
    slip = TransferSlip.objects.create(
        case=case,
        number=f"{case.number}-{sequence}",
        department=department,
        request=draft.request.strip(),
        complexity=draft.complexity,
        status=SlipStatus.SENT,
        rerouted_from=rerouted_from,
        sent_at=at,
        sent_by=actor,
    )
    deadline = deadline_open(
        hall=hall,
        kind=DeadlineKind.SLIP_REPLY,
        subject=slip,
        start=at,
        rule=DeadlineRule.WORKING_DAYS,
        amount=SLIP_DAYS[Complexity(draft.complexity)],
        owner_department=department,
        actor=actor,
        subject_number=slip.number,
    )
    _index_write(slip, case, hall, deadline)
    pushed = case.handling_category == HandlingCategory.REFUSED
    notices.notify_staff(
        kind="slip_sent",
        event_key=f"slip:{hall.pk}:{slip.pk}:sent",
        hall=hall,
        user_ids=notices.department_staff_ids(department.pk, leads_too=pushed),
        context={**_slip_context(slip, case, hall, deadline), "pushed": pushed},
        link=notices.slip_link(hall, slip.pk),
    )
    return slip


@transaction.atomic
def case_transfer(
    *,
    case: Case,
    actor: Any,
    category: str,
    slips: list[SlipDraft],
    coordination_note: str = "",
    meeting_requested: bool = False,
    meeting_request_note: str = "",
    expected_version: int | None = None,
) -> Case:
    """Transfer a case the window cannot answer on the spot (rule art. 5(2), art. 7): one slip per
    department, each with a deadline of 2 working days (一般) or 5 (复杂). 很难办 carries the
    coordination notes (容缺容承, data sharing) and may ask for a joint meeting; 不给办 pushes the
    department (its leads are told too) and flags the case for supervision."""
    case = _locked_case(case, expected_version)
    _require_status(case, *CASE_STEP_STATES["transfer"])
    hall = _hall()
    errors: dict[str, list[str]] = {}
    if category not in HandlingCategory.values:
        errors["category"] = [_("Choose the handling category.")]
    if not slips and not meeting_requested:
        errors["slips"] = [_("Transfer to at least one department, or ask for a joint meeting.")]
    if meeting_requested and not (meeting_request_note or "").strip():
        errors["meeting_request_note"] = [_("Say what the joint meeting should settle.")]
    try:
        routable = _clean_slips(hall, slips)
    except ValidationError as exc:
        errors.update(exc.message_dict)
        routable = {}
    if errors:
        raise ValidationError(errors)
    previous = case.status
    now = timezone.now()
    case.status = CaseStatus.TRANSFERRED
    case.handling_category = category
    case.coordination_note = (coordination_note or "").strip()
    case.meeting_requested = bool(meeting_requested)
    case.meeting_request_note = (meeting_request_note or "").strip()
    case.flagged_for_supervision = case.flagged_for_supervision or category == HandlingCategory.REFUSED
    case.complexity = (
        Complexity.COMPLEX if any(d.complexity == Complexity.COMPLEX for d in slips) else Complexity.ORDINARY
    )
    case.result = CaseResult.IN_PROGRESS
    case.screened_at = case.screened_at or now
    case.transferred_at = now
    case.version += 1
    case.save()
    written = [
        _slip_send(case=case, hall=hall, actor=actor, draft=draft, department=routable[draft.department_id], at=now)
        for draft in slips
    ]
    case_event_record(
        case=case,
        actor=actor,
        kind="transferred",
        from_status=previous,
        to_status=case.status,
        changes={
            "category": category,
            "slips": [
                {"number": s.number, "department": s.department.name, "complexity": s.complexity} for s in written
            ],
            "meeting_requested": case.meeting_requested,
            "flagged_for_supervision": case.flagged_for_supervision,
        },
        at=now,
    )
    if case.meeting_requested:
        _meeting_request_announce(case=case, hall=hall, departments=[slip.department for slip in written])
    return case


def _meeting_request_announce(*, case: Case, hall: Any, departments: list[Any]) -> None:
    """The window asks for a joint meeting (rule art. 5(2), 9): the hall's leads are told; when the
    case's departments are not all of this hall (a city-level department, another county's), the
    city's supervisors too, since only they can convene across halls."""
    cross_hall = any(department.hall_id != hall.pk for department in departments)
    context = {
        "case_number": case.number,
        "matter_name": free_text(case.matter_name, revealed=False),
        "hall_name": hall.name,
        "note": free_text(case.meeting_request_note, revealed=False)[:300],
        "departments": "、".join(sorted({department.name for department in departments})),
        "cross_hall": cross_hall,
    }
    event_key = f"case:{hall.pk}:{case.pk}:meeting_request:{case.version}"
    notices.notify_staff(
        kind="meeting_requested",
        event_key=event_key,
        hall=hall,
        user_ids=notices.hall_lead_ids(hall.pk),
        context=context,
        link=notices.case_link(hall, case.pk),
    )
    if cross_hall:
        notices.notify_staff(
            kind="meeting_requested",
            event_key=event_key,
            hall=hall,
            user_ids=notices.city_supervisor_ids(hall.parent_id if hall.parent_id is not None else hall.pk),
            context=context,
            link=notices.MEETING_REQUESTS_LINK,
        )


@transaction.atomic
def case_meeting_request_decline(*, case: Case, actor: Any, reason: str, expected_version: int | None = None) -> Case:
    """The hall's lead, or a supervisor of its city, declines the window's request for a joint meeting
    (rule art. 9), with a reason recorded on the case's timeline; the request is cleared and the window
    told. A case that waited on the meeting alone (no slip open, waiting for materials or returned) is
    back to registered, for the window to transfer or answer it. Audited. Refusals change nothing."""
    hall = _hall()
    ensure_may_decide_meeting_request(actor, hall)
    case = _locked_case(case, expected_version)
    if not case.meeting_requested:
        message = _("No joint meeting is requested for this case (any more).")
        raise ValidationError({"status": ValidationError(message, code="invalid_transition")})
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why the joint meeting is declined.")]})
    if len(reason) > NOTE_MAX_LENGTH:
        raise ValidationError(
            {"reason": [_("The reason is too long (at most %(limit)d characters).") % {"limit": NOTE_MAX_LENGTH}]}
        )
    previous = case.status
    case.meeting_requested = False
    waiting = TransferSlip.objects.filter(case=case, status__in=[*OPEN_SLIP_STATES, SlipStatus.RETURNED]).exists()
    if case.status == CaseStatus.TRANSFERRED and not waiting:
        case.status = CaseStatus.REGISTERED
    case.version += 1
    case.save(update_fields=["meeting_requested", "status", "version"])
    case_event_record(
        case=case,
        actor=actor,
        kind="meeting_request_declined",
        from_status=previous if previous != case.status else "",
        to_status=case.status if previous != case.status else "",
        changes={"reason": reason},
    )
    audit_record(
        action="case.meeting_request_decline",
        actor=actor,
        hall=hall,
        target=case,
        changes={"case": case.number, "status": [previous, case.status]},
    )
    notices.notify_staff(
        kind="meeting_request_declined",
        event_key=f"case:{hall.pk}:{case.pk}:meeting_request_declined:{case.version}",
        hall=hall,
        user_ids=notices.window_staff_ids(hall.pk),
        context={
            "case_number": case.number,
            "matter_name": free_text(case.matter_name, revealed=False),
            "declined_by": getattr(actor, "display_name", "") or str(actor),
            "reason": free_text(reason, revealed=False)[:300],
        },
        link=notices.case_link(hall, case.pk),
    )
    return case


def case_meeting_request_settle(*, case_id: int, actor: Any, meeting_number: str) -> bool:
    """A joint meeting is convened with the case linked: the window's request for one is settled
    (cleared, the timeline says by which meeting). In the case's hall schema and the caller's
    transaction; False if the case is not there or asked for no meeting."""
    case = Case.objects.select_for_update().filter(pk=case_id).first()
    if case is None or not case.meeting_requested:
        return False
    case.meeting_requested = False
    case.version += 1
    case.save(update_fields=["meeting_requested", "version"])
    case_event_record(case=case, actor=actor, kind="meeting_request_settled", changes={"meeting": meeting_number})
    return True


# The states each slip step starts from (as CASE_STEP_STATES).
SLIP_STEP_STATES: dict[str, tuple[str, ...]] = {
    "receive": (SlipStatus.SENT,),
    "reply": (SlipStatus.SENT, SlipStatus.RECEIVED),
    "return": (SlipStatus.SENT, SlipStatus.RECEIVED),
    "reroute": (SlipStatus.RETURNED,),
    "withdraw": (SlipStatus.RETURNED,),
}


def _locked_slip(slip: TransferSlip, expected_version: int | None) -> TransferSlip:
    # The case first, then the slip: every service locks in this order (case_supplement_received
    # locks the case, then its slips), so two concurrent steps cannot deadlock.
    Case.objects.select_for_update().filter(pk=slip.case_id).exists()
    locked = TransferSlip.objects.select_for_update().select_related("department").get(pk=slip.pk)
    if expected_version is not None and locked.version != expected_version:
        message = _("Someone else changed this slip meanwhile; reload it and try again.")
        raise ValidationError({"version": ValidationError(message, code="conflict")})
    return locked


def _require_slip_status(slip: TransferSlip, *allowed: str) -> None:
    if slip.status not in allowed:
        message = _("This step is not possible while the slip is “%(status)s”.") % {"status": slip.get_status_display()}
        raise ValidationError({"status": ValidationError(message, code="invalid_transition")})


@transaction.atomic
def slip_receive(*, slip: TransferSlip, actor: Any, expected_version: int | None = None) -> TransferSlip:
    """The department signs for a slip (签收, art. 5(3)); its clock has been running since it was sent."""
    ensure_slip_department(actor, slip)
    slip = _locked_slip(slip, expected_version)
    _require_slip_status(slip, *SLIP_STEP_STATES["receive"])
    case = Case.objects.select_for_update().get(pk=slip.case_id)
    hall = _hall()
    previous = slip.status
    slip.status = SlipStatus.RECEIVED
    slip.received_at = timezone.now()
    slip.received_by = actor
    slip.version += 1
    slip.save(update_fields=["status", "received_at", "received_by", "version"])
    _index_write(slip, case, hall)
    case_event_record(
        case=case, actor=actor, kind="slip_received", slip=slip, from_status=previous, to_status=slip.status,
        changes={"slip": slip.number, "department": slip.department.name}, at=slip.received_at,
    )  # fmt: skip
    return slip


def _aggregate_result(case: Case) -> str:
    # only this round's answers: a reopened case's earlier slips (sent before its last transfer) are history
    slips = TransferSlip.objects.filter(case=case, status=SlipStatus.REPLIED)
    if case.transferred_at is not None:
        slips = slips.filter(sent_at__gte=case.transferred_at)
    results = set(slips.values_list("result", flat=True))
    return CaseResult.IN_PROGRESS if CaseResult.IN_PROGRESS in results else CaseResult.DONE


def _replied_if_all_answered(*, case: Case, hall: Any, actor: Any, now: datetime) -> Deadline | None:
    """When no slip of the case is open, waiting for materials or returned, the case is replied: its
    result is set and the window's feedback deadline opens (half a working day, art. 5(4))."""
    waiting = TransferSlip.objects.filter(case=case, status__in=[*OPEN_SLIP_STATES, SlipStatus.RETURNED]).exists()
    if waiting or case.status == CaseStatus.REPLIED:
        return None
    case.status = CaseStatus.REPLIED
    case.result = _aggregate_result(case)
    case.replied_at = now
    return deadline_open(
        hall=hall,
        kind=DeadlineKind.FEEDBACK,
        subject=case,
        start=now,
        rule=DeadlineRule.HALF_DAY,
        actor=actor,
        subject_number=case.number,
    )


def case_meeting_closed(*, case_id: int, actor: Any, meeting_number: str) -> Case | None:
    """A joint meeting this case was brought to is closed, every resolution carried out: the case's
    timeline records it, and a case that waited on the meeting alone (transferred with no slip open,
    waiting for materials or returned: a request for a joint meeting without slips, or slips all
    answered before) is replied, as when its last slip is answered — its result done, the window's
    half-day feedback deadline open (rule art. 5(2)–(4)), the window staff told. In the case's hall
    schema, in the caller's transaction; None if the case is not there."""
    case = Case.objects.select_for_update().filter(pk=case_id).first()
    if case is None:
        return None
    hall = _hall()
    now = timezone.now()
    previous = case.status
    feedback_deadline = None
    if case.status == CaseStatus.TRANSFERRED:
        feedback_deadline = _replied_if_all_answered(case=case, hall=hall, actor=actor, now=now)
    settled = feedback_deadline is not None
    if settled:
        case.version += 1
        case.save()
    case_event_record(
        case=case,
        actor=actor,
        kind="meeting_closed",
        from_status=previous if settled else "",
        to_status=case.status if settled else "",
        changes={"meeting": meeting_number, "result": case.result if settled else None},
        at=now,
    )
    if feedback_deadline is not None:
        notices.notify_staff(
            kind="case_meeting_settled",
            event_key=f"case:{hall.pk}:{case.pk}:meeting:{meeting_number}:settled",
            hall=hall,
            user_ids=notices.window_staff_ids(hall.pk),
            context={
                "case_number": case.number,
                "matter_name": free_text(case.matter_name, revealed=False),
                "meeting_number": meeting_number,
                "feedback_due_at": local_minute(feedback_deadline.due_at),
            },
            link=notices.case_link(hall, case.pk),
        )
    return case


@transaction.atomic
def slip_reply(
    *,
    slip: TransferSlip,
    actor: Any,
    result: str,
    reply: str,
    supplement_note: str = "",
    expected_version: int | None = None,
) -> TransferSlip:
    """The department answers a slip (rule art. 5(3)) with the result — 办结, 在办, or 补正材料.

    补正材料 stops the slip's clock while the person supplies the materials (the window is told and
    tells the person). When the case's last open slip is answered, the window's feedback deadline
    opens: half a working day (art. 5(4))."""
    ensure_slip_department(actor, slip)
    slip = _locked_slip(slip, expected_version)
    _require_slip_status(slip, *SLIP_STEP_STATES["reply"])
    case = Case.objects.select_for_update().get(pk=slip.case_id)
    errors: dict[str, list[str]] = {}
    if result not in CaseResult.values:
        errors["result"] = [_("Choose the result: done, in progress, or materials to be supplemented.")]
    if not (reply or "").strip():
        errors["reply"] = [_("Write the department's answer.")]
    if result == CaseResult.SUPPLEMENT and not (supplement_note or "").strip():
        errors["supplement_note"] = [_("Say which materials the person must supplement.")]
    if errors:
        raise ValidationError(errors)
    hall = _hall()
    now = timezone.now()
    previous = slip.status
    if slip.received_at is None:
        slip.received_at, slip.received_by = now, actor
    slip.reply = reply.strip()
    slip.result = result
    slip.replied_by = actor
    slip.version += 1
    deadline = _live_deadline(hall, DeadlineKind.SLIP_REPLY, slip)
    case_previous = case.status
    feedback_deadline = None
    if result == CaseResult.SUPPLEMENT:
        slip.status = SlipStatus.AWAITING_SUPPLEMENT
        slip.supplement_note = supplement_note.strip()
        if deadline is not None and deadline.state in (DeadlineState.OPEN, DeadlineState.BREACHED):
            deadline_pause(deadline=deadline, at=now, actor=actor)
        case.status = CaseStatus.AWAITING_SUPPLEMENT
        case.result = CaseResult.SUPPLEMENT
        case.supplement_note = slip.supplement_note
    else:
        slip.status = SlipStatus.REPLIED
        slip.replied_at = now
        if deadline is not None:
            deadline_meet(deadline=deadline, at=now, actor=actor)
    slip.save()
    awaiting = TransferSlip.objects.filter(case=case, status=SlipStatus.AWAITING_SUPPLEMENT).exists()
    if result != CaseResult.SUPPLEMENT:
        feedback_deadline = _replied_if_all_answered(case=case, hall=hall, actor=actor, now=now)
    if (
        feedback_deadline is None
        and result != CaseResult.SUPPLEMENT
        and case.status == CaseStatus.AWAITING_SUPPLEMENT
        and not awaiting
    ):
        case.status = CaseStatus.TRANSFERRED
        case.result = CaseResult.IN_PROGRESS
    case.version += 1
    case.save()
    _index_write(slip, case, hall)
    case_event_record(
        case=case,
        actor=actor,
        kind="slip_supplement" if result == CaseResult.SUPPLEMENT else "slip_replied",
        slip=slip,
        from_status=previous,
        to_status=slip.status,
        changes={
            "slip": slip.number,
            "department": slip.department.name,
            "result": result,
            "case_status": [case_previous, case.status] if case_previous != case.status else None,
        },
        at=now,
    )
    context = _slip_context(slip, case, hall)
    if result == CaseResult.SUPPLEMENT:
        rounds = case.events.filter(kind="slip_supplement", slip=slip).count()
        notices.notify_staff(
            kind="slip_supplement",
            event_key=f"slip:{hall.pk}:{slip.pk}:supplement:{rounds}",
            hall=hall,
            user_ids=notices.window_staff_ids(hall.pk),
            context=context,
            link=notices.case_link(hall, case.pk),
        )
        notices.notify_person(
            kind="person_supplement",
            event_key=f"case:{case.pk}:supplement:{slip.pk}:{rounds}",
            hall=hall,
            case=case,
            context={"case_number": case.number, "hall_name": hall.name},
        )
    else:
        notices.notify_staff(
            kind="slip_replied",
            event_key=f"slip:{hall.pk}:{slip.pk}:replied",
            hall=hall,
            user_ids=notices.window_staff_ids(hall.pk),
            context={
                **context,
                "result_label": str(CaseResult(result).label),
                "feedback_due_at": (local_minute(feedback_deadline.due_at) if feedback_deadline else ""),
            },
            link=notices.case_link(hall, case.pk),
        )
    return slip


@transaction.atomic
def slip_return(*, slip: TransferSlip, actor: Any, reason: str, expected_version: int | None = None) -> TransferSlip:
    """The department returns a slip that is not its business, with the reason (art. 5(2)); its clock
    stops and the window re-routes it."""
    ensure_slip_department(actor, slip)
    slip = _locked_slip(slip, expected_version)
    _require_slip_status(slip, *SLIP_STEP_STATES["return"])
    if not (reason or "").strip():
        raise ValidationError({"reason": [_("Say why the slip is not this department's business.")]})
    case = Case.objects.select_for_update().get(pk=slip.case_id)
    hall = _hall()
    now = timezone.now()
    previous = slip.status
    slip.status = SlipStatus.RETURNED
    slip.return_reason = reason.strip()
    slip.returned_at = now
    slip.version += 1
    slip.save()
    deadline = _live_deadline(hall, DeadlineKind.SLIP_REPLY, slip)
    if deadline is not None:
        deadline_cancel(deadline=deadline, at=now, actor=actor, reason="returned")
    case.version += 1
    case.save(update_fields=["version"])
    _index_write(slip, case, hall)
    case_event_record(
        case=case, actor=actor, kind="slip_returned", slip=slip, from_status=previous, to_status=slip.status,
        changes={"slip": slip.number, "department": slip.department.name, "reason": slip.return_reason}, at=now,
    )  # fmt: skip
    notices.notify_staff(
        kind="slip_returned",
        event_key=f"slip:{hall.pk}:{slip.pk}:returned",
        hall=hall,
        user_ids=notices.window_staff_ids(hall.pk),
        context=_slip_context(slip, case, hall),
        link=notices.case_link(hall, case.pk),
    )
    return slip


@transaction.atomic
def slip_reroute(
    *,
    slip: TransferSlip,
    actor: Any,
    department_id: int,
    request: str = "",
    complexity: str = "",
    expected_version: int | None = None,
) -> TransferSlip:
    """The window sends a returned slip to the right department (art. 5(2)): a new slip with a fresh
    deadline; the returned one stays on record."""
    slip = _locked_slip(slip, expected_version)
    _require_slip_status(slip, *SLIP_STEP_STATES["reroute"])
    case = Case.objects.select_for_update().get(pk=slip.case_id)
    hall = _hall()
    draft = SlipDraft(
        department_id=department_id, request=request or slip.request, complexity=complexity or slip.complexity
    )
    try:
        routable = _clean_slips(hall, [draft], prefix="reroute")
    except ValidationError as exc:  # the same field names as the form's
        raise ValidationError({key.rpartition(".")[2]: value for key, value in exc.message_dict.items()}) from exc
    errors: dict[str, list[str]] = {}
    if department_id == slip.department_id:
        errors["department"] = [_("The slip was returned by this department; choose another.")]
    elif TransferSlip.objects.filter(case=case, department_id=department_id, status__in=OPEN_SLIP_STATES).exists():
        errors["department"] = [_("This department already has an open slip for the case.")]
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    slip.status = SlipStatus.REROUTED
    slip.version += 1
    slip.save(update_fields=["status", "version"])
    _index_write(slip, case, hall)
    new = _slip_send(
        case=case, hall=hall, actor=actor, draft=draft, department=routable[department_id], at=now, rerouted_from=slip
    )
    if case.status in (CaseStatus.REPLIED,):
        # a re-routed slip means the case is not answered yet
        case.status = CaseStatus.TRANSFERRED
    case.version += 1
    case.save(update_fields=["status", "version"])
    case_event_record(
        case=case, actor=actor, kind="slip_rerouted", slip=new, from_status=SlipStatus.RETURNED,
        to_status=SlipStatus.REROUTED,
        changes={"from_slip": slip.number, "slip": new.number, "department": new.department.name}, at=now,
    )  # fmt: skip
    return new


@transaction.atomic
def slip_withdraw(*, slip: TransferSlip, actor: Any, reason: str, expected_version: int | None = None) -> TransferSlip:
    """The window withdraws a returned slip that needs no other department (the case's other slips
    cover the matter). If nothing else is waiting, the case is replied and its feedback clock opens."""
    slip = _locked_slip(slip, expected_version)
    _require_slip_status(slip, *SLIP_STEP_STATES["withdraw"])
    case = Case.objects.select_for_update().get(pk=slip.case_id)
    others = TransferSlip.objects.filter(case=case, status__in=[*OPEN_SLIP_STATES, SlipStatus.REPLIED]).exclude(
        pk=slip.pk
    )
    if not others.exists():
        message = _("This is the case's only slip: re-route it instead.")
        raise ValidationError({"status": ValidationError(message, code="invalid_transition")})
    if not (reason or "").strip():
        raise ValidationError({"reason": [_("Say why the slip is withdrawn.")]})
    hall = _hall()
    now = timezone.now()
    slip.status = SlipStatus.CANCELLED
    slip.version += 1
    slip.save(update_fields=["status", "version"])
    _index_write(slip, case, hall)
    previous = case.status
    _replied_if_all_answered(case=case, hall=hall, actor=actor, now=now)
    case.version += 1
    case.save()
    case_event_record(
        case=case, actor=actor, kind="slip_withdrawn", slip=slip, from_status=SlipStatus.RETURNED,
        to_status=SlipStatus.CANCELLED,
        changes={"slip": slip.number, "reason": reason.strip(), "case_status": [previous, case.status]}, at=now,
    )  # fmt: skip
    return slip


@transaction.atomic
def case_supplement_received(*, case: Case, actor: Any, note: str = "", expected_version: int | None = None) -> Case:
    """The person has brought the missing materials (补正材料): the paused slip clocks resume with
    the working time they had left, and the departments are told. A department may ask again."""
    case = _locked_case(case, expected_version)
    _require_status(case, *CASE_STEP_STATES["supplement_received"])
    hall = _hall()
    now = timezone.now()
    resumed = []
    for slip in (
        TransferSlip.objects.select_for_update()
        .select_related("department")
        .filter(case=case, status=SlipStatus.AWAITING_SUPPLEMENT)
    ):
        slip.status = SlipStatus.RECEIVED
        slip.version += 1
        slip.save(update_fields=["status", "version"])
        deadline = _live_deadline(hall, DeadlineKind.SLIP_REPLY, slip)
        if deadline is not None and deadline.state == "paused":
            deadline_resume(deadline=deadline, at=now, actor=actor)
        _index_write(slip, case, hall)
        resumed.append(slip)
        rounds = case.events.filter(kind="supplement_received", slip=slip).count()
        notices.notify_staff(
            kind="supplement_received",
            event_key=f"slip:{hall.pk}:{slip.pk}:supplement_received:{rounds}",
            hall=hall,
            user_ids=notices.department_staff_ids(slip.department_id),
            context=_slip_context(slip, case, hall, deadline),
            link=notices.slip_link(hall, slip.pk),
        )
    previous = case.status
    if not resumed:  # the window's own 补正 (case_supplement_request): back where it was asked
        return _window_supplement_received(case=case, actor=actor, note=note, at=now)
    case.status = CaseStatus.TRANSFERRED
    case.result = CaseResult.IN_PROGRESS
    case.version += 1
    case.save(update_fields=["status", "result", "version"])
    for slip in resumed:
        case_event_record(
            case=case, actor=actor, kind="supplement_received", slip=slip, from_status=previous,
            to_status=case.status, changes={"slip": slip.number, "note": (note or "").strip()}, at=now,
        )  # fmt: skip
    return case


# --- Feedback (反馈, art. 5(4)), follow-up (回访, art. 8) and close -------------------------------------


@transaction.atomic
def case_feedback_record(
    *,
    case: Case,
    actor: Any,
    method: str,
    content: str,
    send_sms: bool = False,
    expected_version: int | None = None,
) -> Case:
    """The window tells the person the result and explains it (rule art. 5(4)), within half a working
    day of the last answer: how and what was told; optionally an SMS with the result."""
    case = _locked_case(case, expected_version)
    _require_status(case, *CASE_STEP_STATES["feedback"])
    errors: dict[str, list[str]] = {}
    if method not in FeedbackMethod.values:
        errors["method"] = [_("Choose how the person was told.")]
    if not (content or "").strip():
        errors["content"] = [_("Record what the person was told.")]
    if send_sms and case.sms_opt_out:
        errors["send_sms"] = [_("The person asked not to receive SMS.")]
    elif send_sms and not is_mobile(case.phone or ""):
        errors["send_sms"] = [_("The contact phone is a landline: no SMS can reach it.")]
    if errors:
        raise ValidationError(errors)
    hall = _hall()
    now = timezone.now()
    previous = case.status
    case.status = CaseStatus.FED_BACK
    case.feedback_method = method
    case.feedback_content = content.strip()
    case.fed_back_at = now
    case.version += 1
    case.save()
    deadline = _live_deadline(hall, DeadlineKind.FEEDBACK, case)
    if deadline is not None:
        deadline_meet(deadline=deadline, at=now, actor=actor)
    sms = False
    if send_sms:
        sms = notices.notify_person(
            kind="person_result",
            event_key=f"case:{case.pk}:result:{case.reopened_count}",
            hall=hall,
            case=case,
            context={
                "case_number": case.number,
                "result_label": str(CaseResult(case.result).label) if case.result else "",
                "hall_name": hall.name,
                "progress_url": progress_address(hall),
            },
        )
    case_event_record(
        case=case, actor=actor, kind="fed_back", from_status=previous, to_status=case.status,
        changes={"method": method, "sms": sms}, at=now,
    )  # fmt: skip
    return case


@transaction.atomic
def case_follow_up(
    *,
    case: Case,
    actor: Any,
    method: str,
    date: Any,
    satisfaction: str,
    note: str = "",
    expected_version: int | None = None,
) -> Case:
    """Record the follow-up (回访, rule art. 8): method, date, the person's satisfaction on the five
    levels of the national 好差评 scale, and notes."""
    case = _locked_case(case, expected_version)
    _require_status(case, *CASE_STEP_STATES["follow_up"])
    errors: dict[str, list[str]] = {}
    if method not in FollowUpMethod.values:
        errors["method"] = [_("Choose how the follow-up was made.")]
    if date is None:
        errors["date"] = [_("Give the date of the follow-up.")]
    elif date > timezone.localdate():
        errors["date"] = [_("The follow-up date cannot be in the future.")]
    if satisfaction not in Satisfaction.values:
        errors["satisfaction"] = [_("Choose the person's satisfaction.")]
    if errors:
        raise ValidationError(errors)
    previous = case.status
    case.status = CaseStatus.FOLLOWED_UP
    case.follow_up_method = method
    case.follow_up_date = date
    case.satisfaction = satisfaction
    case.follow_up_note = (note or "").strip()
    case.followed_up_at = timezone.now()
    case.version += 1
    case.save()
    case_event_record(
        case=case, actor=actor, kind="followed_up", from_status=previous, to_status=case.status,
        changes={"method": method, "date": date.isoformat(), "satisfaction": satisfaction}, at=case.followed_up_at,
    )  # fmt: skip
    return case


@transaction.atomic
def case_reopen(*, case: Case, actor: Any, reason: str, expected_version: int | None = None) -> Case:
    """Reopen a case whose person was not satisfied at follow-up (art. 8): the window handles it
    again (transfer or answer); the earlier feedback and follow-up stay in the timeline."""
    case = _locked_case(case, expected_version)
    _require_status(case, *CASE_STEP_STATES["reopen"])
    if case.satisfaction not in UNSATISFIED:
        message = _("Only a case whose person was dissatisfied at follow-up can be reopened.")
        raise ValidationError({"status": ValidationError(message, code="invalid_transition")})
    if not (reason or "").strip():
        raise ValidationError({"reason": [_("Say why the case is reopened.")]})
    previous = case.status
    earlier = {
        "result": case.result,
        "feedback_method": case.feedback_method,
        "satisfaction": case.satisfaction,
        "follow_up_date": case.follow_up_date.isoformat() if case.follow_up_date else None,
    }
    case.status = CaseStatus.REOPENED
    case.result = ""
    case.feedback_method = case.feedback_content = ""
    case.follow_up_method = case.satisfaction = ""
    case.follow_up_date = None
    case.closed_at = None
    case.reopened_count += 1
    case.reopened_at = timezone.now()
    case.version += 1
    case.save()
    case_event_record(
        case=case, actor=actor, kind="reopened", from_status=previous, to_status=case.status,
        changes={"reason": reason.strip(), "earlier": earlier}, at=case.reopened_at,
    )  # fmt: skip
    return case


def case_close_check(*, case: Case) -> None:
    """What ``case_close`` would refuse, without writing anything: the case's status, the result and
    what the person was told."""
    _require_status(case, *CASE_STEP_STATES["close"])
    errors: dict[str, list[str]] = {}
    if not case.result:
        errors["result"] = [_("Record the result before closing.")]
    if not (case.feedback_content or case.answer):
        errors["feedback"] = [_("Record what the person was told before closing.")]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def case_close(*, case: Case, actor: Any, note: str = "", expected_version: int | None = None) -> Case:
    """Close a case (art. 8: registered and filed). Needs the result and the feedback to the person
    recorded: an answer on the spot, or a recorded feedback (and, if made, the follow-up)."""
    case = _locked_case(case, expected_version)
    case_close_check(case=case)
    previous = case.status
    case.status = CaseStatus.CLOSED
    case.closed_at = timezone.now()
    if note and note.strip():
        case.remarks = f"{case.remarks}\n{note.strip()}".strip()
    case.version += 1
    case.save()
    case_event_record(
        case=case, actor=actor, kind="closed", from_status=previous, to_status=case.status,
        changes={"note": (note or "").strip()}, at=case.closed_at,
    )  # fmt: skip
    return case


@transaction.atomic
def case_sms_opt_out_set(*, case: Case, actor: Any, opt_out: bool, expected_version: int | None = None) -> Case:
    """The person asks (not) to receive SMS about the case; respected by every notice to them. Not on
    a case no SMS can reach any more: not accepted, or closed unless it may be reopened."""
    case = _locked_case(case, expected_version)
    if case.status == CaseStatus.NOT_ACCEPTED or (
        case.status == CaseStatus.CLOSED and case.satisfaction not in UNSATISFIED
    ):
        _require_status(case)  # refused: invalid_transition, naming the case's status
    if case.sms_opt_out == opt_out:
        return case
    case.sms_opt_out = opt_out
    case.version += 1
    case.save(update_fields=["sms_opt_out", "version"])
    case_event_record(case=case, actor=actor, kind="sms_opt_out", changes={"sms_opt_out": opt_out})
    return case


# --- Correcting the registration (更正登记) ----------------------------------------------------------------

# The fields of the 登记表 a correction may change (never the NO, never what later steps recorded).
AMENDABLE_FIELDS = (
    "channel", "applicant_kind", "applicant_name", "enterprise_name", "phone", "document_type",
    "document_number", "address", "matter_name", "problem", "failure_kind",
)  # fmt: skip
# How the timeline shows a corrected field's old and new values: masked like everywhere else; the
# problem as told (encrypted at rest) only by its name, so that no copy of it lands in the timeline.
_AMEND_SHOWN: dict[str, Callable[[str], str]] = {
    "applicant_name": mask_name,
    "phone": mask_phone,
    "document_number": mask_id,
    "address": mask_address,
    "enterprise_name": mask_text,
    "matter_name": mask_text,
}


@transaction.atomic
def case_registration_amend(
    *, case: Case, actor: Any, changes: dict[str, Any], reason: str, expected_version: int | None = None
) -> Case:
    """Correct what was registered on the 登记表 (rule art. 5(1)) with a reason: a window clerk or the
    hall lead; after the feedback to the person, only the hall lead. ``changes`` holds only the fields
    to change (AMENDABLE_FIELDS); they are validated as at registration, personal data re-encrypted and
    its blind indexes recomputed, the index row brought up to date. The NO never changes. The timeline
    names the fields changed, with their old and new values masked; audited."""
    hall = _hall()
    if not is_hall_staff(actor, hall.pk):
        raise PermissionDenied(_("Only the hall's window staff and hall lead correct a registration."))
    case = _locked_case(case, expected_version)
    if not may_amend_registration(actor, hall_id=hall.pk, fed_back=case.fed_back_at is not None):
        raise PermissionDenied(_("The person has been told the result: only the hall lead corrects the registration."))
    errors: dict[str, list[str]] = {}
    unknown = sorted(set(changes) - set(AMENDABLE_FIELDS))
    if unknown:
        errors["fields"] = [_("These fields cannot be corrected: %(fields)s.") % {"fields": ", ".join(unknown)}]
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = [_("Say why the registration is corrected.")]
    elif len(reason) > NOTE_MAX_LENGTH:
        errors["reason"] = [_("The reason has at most %(limit)d characters.") % {"limit": NOTE_MAX_LENGTH}]
    wanted = {name: changes[name] for name in AMENDABLE_FIELDS if name in changes}
    values: dict[str, Any] = {
        name: str(wanted[name] or "") if name in wanted else (getattr(case, name) or "") for name in AMENDABLE_FIELDS
    }
    merged = Registration(**values)
    try:
        cleaned = _clean(merged)
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            errors.setdefault(name, []).extend(messages)
        cleaned = {}
    if errors:
        raise ValidationError(errors)
    after = {
        **{name: getattr(merged, name) for name in AMENDABLE_FIELDS},
        **cleaned,
        "address": (merged.address or "").strip(),
    }
    changed = [name for name in AMENDABLE_FIELDS if name in wanted and after[name] != (getattr(case, name) or "")]
    if not changed:
        raise ValidationError({"fields": [_("Nothing to correct: every value is as registered.")]})
    before_shown = {name: _amend_shown(name, getattr(case, name) or "") for name in changed}
    for name in changed:
        setattr(case, name, after[name])
    update = [*changed, "version"]
    if "phone" in changed:
        case.phone_index = phone_index(case.phone)
        update.append("phone_index")
    if {"document_type", "document_number"} & set(changed):
        case.document_index = document_index(case.document_type, case.document_number)
        update.append("document_index")
    case.version += 1
    case.save(update_fields=update)
    if "matter_name" in changed:
        Case.objects.filter(pk=case.pk).update(matter_search=matter_search_vector(case.matter_name))
    case_event_record(
        case=case,
        actor=actor,
        kind="registration_amended",
        changes={
            "fields": changed,
            "before": before_shown,
            "after": {name: _amend_shown(name, after[name]) for name in changed},
            "reason": reason,
        },
    )
    audit_record(
        action="case.registration_amend", actor=actor, hall=hall, target=case,
        changes={"number": case.number, "fields": changed},
    )  # fmt: skip
    return case


def _amend_shown(name: str, value: str) -> str:
    """A corrected field's value as the timeline keeps it: masked, or nothing for the problem."""
    if name == "problem":
        return ""
    shown = _AMEND_SHOWN.get(name)
    return shown(value) if shown is not None and value else value


# --- Internal notes (内部备注) ----------------------------------------------------------------------------


@transaction.atomic
def case_note_add(*, case: Case, actor: Any, text: str, slip: TransferSlip | None = None) -> CaseNote:
    """An internal note on a case, by the hall's window staff or lead, or on one of its slips, by them
    or by the slip's department. Read by the same people only: never printed, never shown to the
    person, never in an export or a notice. Not a step of the case (no version, no timeline event);
    audited without its text."""
    hall = _hall()
    if slip is not None and slip.case_id != case.pk:
        raise Http404
    if not is_hall_staff(actor, hall.pk):
        if slip is None:
            raise Http404
        ensure_slip_department(actor, slip)  # anyone else: 404
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": [_("Write the note.")]})
    if len(text) > NOTE_MAX_LENGTH:
        raise ValidationError({"text": [_("A note has at most %(limit)d characters.") % {"limit": NOTE_MAX_LENGTH}]})
    note = CaseNote.objects.create(case=case, slip=slip, author=actor, text=text, created_at=timezone.now())
    audit_record(
        action="case.note_add", actor=actor, hall=hall, target=case,
        changes={"number": case.number, "slip": slip.number if slip is not None else "", "note": note.pk},
    )  # fmt: skip
    return note


# --- The 经办人 of a case -----------------------------------------------------------------------------


def case_handler_choices(*, hall_id: int) -> list[Any]:
    """Who may be a case's 经办人: the hall's active window staff and hall leads."""
    ids = RoleAssignment.objects.filter(hall_id=hall_id, kind__in=HALL_ROLES).values("user_id")
    return list(User.objects.filter(pk__in=ids, is_active=True).order_by("display_name", "username"))


@transaction.atomic
def case_handler_reassign(*, case: Case, actor: Any, handler: Any, expected_version: int | None = None) -> Case:
    """Give a case to another 经办人 of the hall (a window clerk or the hall lead does it): the
    登记表 then names the new handler and prints their phone (their office phone, else their work
    mobile). Not on a closed or not-accepted case. Timeline event, audit, and an in-app notice to the
    new handler."""
    hall = _hall()
    if not is_hall_staff(actor, hall.pk):
        raise PermissionDenied(_("Only the hall's window staff and hall lead give a case to another handler."))
    case = _locked_case(case, expected_version)
    if case.status in (CaseStatus.CLOSED, CaseStatus.NOT_ACCEPTED):
        _require_status(case)  # refused: invalid_transition, naming the case's status
    handler_id = getattr(handler, "pk", None)
    chosen = next((person for person in case_handler_choices(hall_id=hall.pk) if person.pk == handler_id), None)
    if chosen is None:
        raise ValidationError({"handler": [_("Choose a window clerk or the hall lead of this hall.")]})
    if chosen.pk == case.handler_id:
        raise ValidationError({"handler": [_("The case is already handled by %(name)s.") % {"name": chosen}]})
    previous = case.handler
    case.handler = chosen
    case.handler_phone = chosen.printed_phone
    case.version += 1
    case.save(update_fields=["handler", "handler_phone", "version"])
    case_event_record(
        case=case, actor=actor, kind="handler_reassigned", changes={"from": str(previous), "to": str(chosen)}
    )
    audit_record(
        action="case.handler_reassign", actor=actor, hall=hall, target=case,
        changes={"number": case.number, "from": previous.pk, "to": chosen.pk},
    )  # fmt: skip
    notices.notify_staff(
        kind="case_handler_assigned",
        event_key=f"case:{hall.pk}:{case.pk}:handler:{case.version}",
        hall=hall,
        user_ids=[chosen.pk],
        context={
            "case_number": case.number,
            "matter_name": free_text(case.matter_name, revealed=False),
            "hall_name": hall.name,
            "previous": str(previous),
        },
        link=notices.case_link(hall, case.pk),
    )
    return case


# --- More time for a slip (延期): the department asks, the hall's lead decides -------------------------

EXTENSION_MAX_DAYS = 10


def slip_extension_pending(*, slip: TransferSlip) -> CaseEvent | None:
    """The department's request for more time on ``slip`` not decided yet (its timeline event), or None."""
    last = (
        CaseEvent.objects.filter(slip=slip, kind__in=["slip_extension_requested", "slip_extension_decided"])
        .order_by("-at", "-id")
        .first()
    )
    return last if last is not None and last.kind == "slip_extension_requested" else None


def _extension_days(days: Any) -> int:
    try:
        value = int(days)
    except (TypeError, ValueError):
        value = 0
    if not 1 <= value <= EXTENSION_MAX_DAYS:
        message = _("Give between 1 and %(max)d working days.") % {"max": EXTENSION_MAX_DAYS}
        raise ValidationError({"days": [message]})
    return value


def _note(value: str, field: str, required_message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: [required_message]})
    if len(value) > NOTE_MAX_LENGTH:
        message = _("The reason is too long (at most %(limit)d characters).") % {"limit": NOTE_MAX_LENGTH}
        raise ValidationError({field: [message]})
    return value


@transaction.atomic
def slip_extension_request(
    *, slip: TransferSlip, actor: Any, days: Any, reason: str, expected_version: int | None = None
) -> TransferSlip:
    """The department asks the hall's lead for more time to answer a slip (延期, rule art. 5(3)): how many
    working days (1–10) and why. Recorded on the timeline, the hall's leads told; the deadline runs on
    until the lead decides. One open request at a time; not on a paused slip (waiting for materials,
    补正) or one already answered. Audited; a refusal changes nothing."""
    ensure_slip_department(actor, slip)
    slip = _locked_slip(slip, expected_version)
    _require_slip_status(slip, *SLIP_STEP_STATES["reply"])
    if slip_extension_pending(slip=slip) is not None:
        message = _("A request for more time on this slip is waiting for the hall's lead.")
        raise ValidationError({"status": ValidationError(message, code="invalid_transition")})
    hall = _hall()
    deadline = _live_deadline(hall, DeadlineKind.SLIP_REPLY, slip)
    if deadline is None or deadline.state == DeadlineState.PAUSED:
        message = _("The slip's deadline is not running: there is nothing to extend.")
        raise ValidationError({"status": ValidationError(message, code="invalid_transition")})
    value = _extension_days(days)
    reason = _note(reason, "reason", _("Say why the department needs more time."))
    case = Case.objects.get(pk=slip.case_id)
    slip.version += 1
    slip.save(update_fields=["version"])
    event = case_event_record(
        case=case, actor=actor, kind="slip_extension_requested", slip=slip,
        changes={"slip": slip.number, "department": slip.department.name, "days": value, "reason": reason},
    )  # fmt: skip
    audit_record(
        action="slip.extension_request", actor=actor, hall=hall, target=slip,
        changes={"slip": slip.number, "days": value},
    )  # fmt: skip
    notices.notify_staff(
        kind="slip_extension_requested",
        event_key=f"slip:{hall.pk}:{slip.pk}:extension:{event.pk}",
        hall=hall,
        user_ids=notices.hall_lead_ids(hall.pk),
        context={
            **_slip_context(slip, case, hall, deadline),
            "days": value,
            "reason": free_text(reason, revealed=False)[:300],
        },
        link=notices.case_link(hall, case.pk),
    )
    return slip


@transaction.atomic
def slip_extension_decide(
    *,
    slip: TransferSlip,
    actor: Any,
    grant: bool,
    days: Any = None,
    reason: str = "",
    expected_version: int | None = None,
) -> TransferSlip:
    """The hall's lead decides a department's request for more time: granted, the slip's deadline gets
    ``days`` more working days from its due time (the days asked for unless the lead gives others; the
    working-day calendar of the deadline engine); refused, with the reason. On the timeline, the
    department told, audited. Only the hall's lead; only a request still open on a slip still to be
    answered. A refusal changes nothing."""
    hall = _hall()
    if not RoleAssignment.objects.filter(user_id=actor.pk, kind=RoleKind.HALL_LEAD, hall_id=hall.pk).exists():
        raise PermissionDenied(_("Only the hall's lead decides requests for more time."))
    slip = _locked_slip(slip, expected_version)
    request = slip_extension_pending(slip=slip)
    if request is None:
        message = _("No request for more time is waiting on this slip (any more).")
        raise ValidationError({"status": ValidationError(message, code="invalid_transition")})
    _require_slip_status(slip, *SLIP_STEP_STATES["reply"])
    case = Case.objects.get(pk=slip.case_id)
    deadline = _live_deadline(hall, DeadlineKind.SLIP_REPLY, slip)
    if grant:
        value = _extension_days(days if days not in (None, "") else (request.changes or {}).get("days"))
        reason = (reason or "").strip()[:NOTE_MAX_LENGTH]
        if deadline is None:
            message = _("The slip's deadline is not running: there is nothing to extend.")
            raise ValidationError({"status": ValidationError(message, code="invalid_transition")})
        before = deadline.due_at
        deadline = deadline_extend(deadline=deadline, days=value, actor=actor)
        changes: dict[str, Any] = {
            "slip": slip.number, "granted": True, "days": value, "due_at": local_minute(deadline.due_at),
            "from_due_at": local_minute(before), "reason": reason,
        }  # fmt: skip
    else:
        value = 0
        reason = _note(reason, "reason", _("Say why more time is not given."))
        changes = {"slip": slip.number, "granted": False, "reason": reason}
    slip.version += 1
    slip.save(update_fields=["version"])
    _index_write(slip, case, hall, deadline)
    event = case_event_record(case=case, actor=actor, kind="slip_extension_decided", slip=slip, changes=changes)
    audit_record(
        action="slip.extension_decide", actor=actor, hall=hall, target=slip,
        changes={"slip": slip.number, "granted": grant, "days": value},
    )  # fmt: skip
    notices.notify_staff(
        kind="slip_extension_decided",
        event_key=f"slip:{hall.pk}:{slip.pk}:extension_decided:{event.pk}",
        hall=hall,
        # the department's handlers, and whoever asked (a department lead may have)
        user_ids=sorted({*notices.department_staff_ids(slip.department_id), *filter(None, [request.actor_id])}),
        context={
            **_slip_context(slip, case, hall, deadline),
            "days": value,
            "granted": grant,
            "reason": free_text(reason, revealed=False)[:300],
        },
        link=notices.slip_link(hall, slip.pk),
    )
    return slip


# --- Taking back an irreversible step (a recorded reversal, never a deleted event) ------------------

# The steps that can be taken back, by the kind of their timeline event: (the reversal's event kind,
# the status the step led to).
UNDOABLE_STEPS: dict[str, tuple[str, str]] = {
    "close": ("close_undone", CaseStatus.CLOSED),
    "screen_out": ("screen_out_undone", CaseStatus.NOT_ACCEPTED),
}
_STEP_EVENTS = {"close": "closed", "screen_out": "screened_out"}


def case_undo_minutes() -> int:
    """How long after closing or not accepting a case it can be taken back (settings.CASE_UNDO_MINUTES)."""
    return int(getattr(settings, "CASE_UNDO_MINUTES", 10))


def case_undo_refusal(
    *, case: Case, actor: Any, step: str, now: datetime | None = None
) -> tuple[str, CaseEvent | None]:
    """Why ``actor`` may not take back ``step`` ("close" or "screen_out") on ``case`` now ("" if they
    may), and the step's timeline event. Allowed to whoever took the step and to the hall's lead,
    within ``case_undo_minutes()`` of it, and only while no SMS went to the person since."""
    _event_kind, status = UNDOABLE_STEPS[step]
    if case.status != status:
        return _("This step is not possible while the case is “%(status)s”.") % {
            "status": case.get_status_display()
        }, None
    event = case.events.filter(kind=_STEP_EVENTS[step]).order_by("-at", "-id").first()
    if event is None:
        return _("There is no step to take back."), None
    now = now or timezone.now()
    minutes = case_undo_minutes()
    if now - event.at > timedelta(minutes=minutes):
        return _("It can only be taken back within %(minutes)d minutes; that time is over.") % {
            "minutes": minutes
        }, event
    hall = _hall()
    lead = RoleAssignment.objects.filter(user_id=actor.pk, kind=RoleKind.HALL_LEAD, hall_id=hall.pk).exists()
    if event.actor_id != actor.pk and not lead:
        return _("Only who took the step, or the hall's lead, can take it back."), event
    if notices.person_sms_since(hall=hall, case=case, since=event.at):
        return _("An SMS about it has gone to the person: it can no longer be taken back."), event
    return "", event


def _undo(*, case: Case, actor: Any, step: str, reason: str, expected_version: int | None) -> tuple[Case, CaseEvent]:
    case = _locked_case(case, expected_version)
    refusal, event = case_undo_refusal(case=case, actor=actor, step=step)
    if refusal:
        raise ValidationError({"status": ValidationError(refusal, code="invalid_transition")})
    if not (reason or "").strip():
        raise ValidationError({"reason": [_("Say why the step is taken back.")]})
    if len(reason.strip()) > NOTE_MAX_LENGTH:
        raise ValidationError(
            {"reason": [_("The reason is too long (at most %(limit)d characters).") % {"limit": NOTE_MAX_LENGTH}]}
        )
    assert event is not None
    return case, event


def _undone(*, case: Case, actor: Any, step: str, previous: str, reason: str) -> Case:
    """Save the case put back by a reversal, with its timeline event (``<step>_undone``) and audit."""
    case.version += 1
    case.save()
    case_event_record(
        case=case, actor=actor, kind=f"{step}_undone", from_status=previous, to_status=case.status,
        changes={"reason": reason.strip()},
    )  # fmt: skip
    audit_record(
        action=f"case.{step}_undo", actor=actor, hall=_hall(), target=case,
        changes={"number": case.number, "status": [previous, case.status]},
    )  # fmt: skip
    return case


@transaction.atomic
def case_close_undo(*, case: Case, actor: Any, reason: str, expected_version: int | None = None) -> Case:
    """Take back the closing of a case (撤销办结) shortly after it (rule art. 8; a wrong click on 办结归档):
    the case is back in the status it was closed from, its closing note taken out of the remarks; the
    closing stays on the timeline and a reversal event follows it. Audited. Refused after
    ``case_undo_minutes()``, to anyone but who closed it and the hall's lead, and once an SMS went to
    the person since; a refusal changes nothing."""
    case, event = _undo(case=case, actor=actor, step="close", reason=reason, expected_version=expected_version)
    previous = case.status
    case.status = event.from_status or CaseStatus.FOLLOWED_UP
    case.closed_at = None
    note = str((event.changes or {}).get("note") or "")
    if note and case.remarks.endswith(note):
        case.remarks = case.remarks[: -len(note)].rstrip()
    return _undone(case=case, actor=actor, step="close", previous=previous, reason=reason)


@transaction.atomic
def case_screen_out_undo(*, case: Case, actor: Any, reason: str, expected_version: int | None = None) -> Case:
    """Take back a 不予受理 (撤销不予受理) shortly after it (rule art. 4): the case is registered again,
    for the window to transfer or answer it; the reason and referral are cleared (they stay on the
    timeline). Same limits as ``case_close_undo``. Audited."""
    case, event = _undo(case=case, actor=actor, step="screen_out", reason=reason, expected_version=expected_version)
    previous = case.status
    case.status = event.from_status or CaseStatus.REGISTERED
    case.exclusion_reason = ""
    case.referral = ""
    case.screened_at = None
    return _undone(case=case, actor=actor, step="screen_out", previous=previous, reason=reason)


REVEALABLE_FIELDS = ("applicant_name", "phone", "document_number", "address")


@transaction.atomic
def case_reveal(*, case: Case, actor: Any, field: str) -> str:
    """Show one personal field of a case unmasked (DESIGN.md 5): only to a hall or department role
    granted ``may_reveal_personal_data``; every reveal is a timeline event and an audit event."""
    if field not in REVEALABLE_FIELDS:
        raise ValidationError({"field": [_("This field cannot be revealed.")]})
    _require_not_erased(case)
    hall = _hall()
    departments = set(TransferSlip.objects.filter(case=case).values_list("department_id", flat=True))
    if not may_reveal(actor, hall_id=hall.pk, slip_department_ids=departments):
        raise PermissionDenied(_("You may not see this person's data unmasked."))
    case_event_record(case=case, actor=actor, kind="revealed", changes={"field": field})
    audit_record(action="case.reveal", actor=actor, hall=hall, target=case, changes={"field": field})
    return str(getattr(case, field) or "")


@dataclass(frozen=True)
class FreeTextRevealed:
    """The free texts of a case shown in clear by one audited reveal: the case's (``case``: field →
    text) and its slips' (``slips``: (slip, field → text)), as far as the reader sees them."""

    case: dict[str, str]
    slips: list[tuple[TransferSlip, dict[str, str]]]


@transaction.atomic
def case_reveal_free_text(*, case: Case, actor: Any, slip: TransferSlip | None = None) -> FreeTextRevealed:
    """Show the free texts of a case in clear (DESIGN.md 5, docs/personal-data.md "Masking of free
    text"): the same permission as the personal fields (``may_reveal``), one timeline event and one
    audit event ``case.reveal`` naming the fields shown (``field``: ``free_text``, ``fields``: the
    non-empty ones, a slip's as ``<slip number>.<field>``), never their content.

    The window (``slip`` None) sees every text of the case and of its slips; a department (``slip``:
    its own slip, already checked by the caller) sees what its slip page shows: the problem, the
    coordination notes and that slip's texts."""
    hall = _hall()
    departments = set(TransferSlip.objects.filter(case=case).values_list("department_id", flat=True))
    if not may_reveal(actor, hall_id=hall.pk, slip_department_ids=departments):
        raise PermissionDenied(_("You may not see this person's data unmasked."))
    if slip is not None and slip.case_id != case.pk:
        raise PermissionDenied(_("You may not see this person's data unmasked."))
    _require_not_erased(case)
    fields = SLIP_CASE_FREE_TEXT_FIELDS if slip is not None else CASE_FREE_TEXT_FIELDS
    texts = case_free_texts(case, revealed=True, fields=fields)
    slips = [slip] if slip is not None else list(TransferSlip.objects.filter(case=case).order_by("sent_at", "id"))
    slip_texts = [(s, slip_free_texts(s, revealed=True)) for s in slips]
    shown = [name for name, text in texts.items() if text] + [
        f"{s.number}.{name}" for s, values in slip_texts for name, text in values.items() if text
    ]
    changes = {"field": FREE_TEXT, "fields": shown}
    case_event_record(case=case, actor=actor, kind="revealed", slip=slip, changes=changes)
    audit_record(action="case.reveal", actor=actor, hall=hall, target=case, changes=changes)
    return FreeTextRevealed(case=texts, slips=slip_texts)


def case_supervisor_view_record(*, case: Case, actor: Any) -> bool:
    """A city supervisor or discipline inspector opening a case in a hall (read-only, DESIGN.md 7) is
    audited in that hall;
    the hall's own staff reading their cases are not. True if an audit event was written."""
    hall = _hall()
    city_roles = (RoleKind.CITY_SUPERVISOR, RoleKind.DISCIPLINE_INSPECTOR)
    roles = set(
        RoleAssignment.objects.filter(user_id=actor.pk)
        .filter(Q(kind__in=HALL_ROLES, hall_id=hall.pk) | Q(kind__in=city_roles, hall_id=hall.city_id))
        .values_list("kind", flat=True)
    )
    if not roles & set(city_roles) or roles & set(HALL_ROLES):
        return False
    audit_record(action="case.supervisor_view", actor=actor, hall=hall, target=case, changes={"number": case.number})
    return True


# --- 补正 asked by the window itself (补正通知书, docs/casework.md "Materials to supplement") ----------

# The latest date the window may give the person for the materials, in days from today.
SUPPLEMENT_DUE_MAX_DAYS = 60

CASE_STEP_STATES["supplement_request"] = (CaseStatus.REGISTERED, CaseStatus.REOPENED)


def case_supplement_request_check(*, note: str, due: Any) -> dict[str, list[str]]:
    """What ``case_supplement_request`` refuses in its input: the materials (required, at most
    NOTE_MAX_LENGTH) and the date (required, from today to SUPPLEMENT_DUE_MAX_DAYS ahead)."""
    errors: dict[str, list[str]] = {}
    note = (note or "").strip()
    if not note:
        errors["note"] = [_("Say which materials the person must supplement.")]
    elif len(note) > NOTE_MAX_LENGTH:
        errors["note"] = [_("At most %(limit)d characters.") % {"limit": NOTE_MAX_LENGTH}]
    today = timezone.localdate()
    if due is None:
        errors["due"] = [_("Give the date by which the materials are to be brought.")]
    elif due < today or due > today + timedelta(days=SUPPLEMENT_DUE_MAX_DAYS):
        errors["due"] = [
            _("The date must be between today and %(days)d days from now.") % {"days": SUPPLEMENT_DUE_MAX_DAYS}
        ]
    return errors


@transaction.atomic
def case_supplement_request(
    *, case: Case, actor: Any, note: str, due: Any, expected_version: int | None = None
) -> Case:
    """The window asks the person itself for missing materials (补正, a registration outcome: rule
    art. 3, everything told at once), before any transfer: what is missing and the date by which to
    bring it, printed as the 补正通知书. The case waits (awaiting_supplement) with no clock of the
    rule running (none has started: the rule's clocks start with a transfer); when the materials
    come (``case_supplement_received``) it is back where it was (registered or reopened)."""
    case = _locked_case(case, expected_version)
    _require_status(case, *CASE_STEP_STATES["supplement_request"])
    errors = case_supplement_request_check(note=note, due=due)
    if errors:
        raise ValidationError(errors)
    previous = case.status
    case.status = CaseStatus.AWAITING_SUPPLEMENT
    case.result = CaseResult.SUPPLEMENT
    case.supplement_note = note.strip()
    case.supplement_due = due
    case.version += 1
    case.save(update_fields=["status", "result", "supplement_note", "supplement_due", "version"])
    case_event_record(
        case=case, actor=actor, kind="supplement_requested", from_status=previous, to_status=case.status,
        changes={"note": case.supplement_note, "due": due.isoformat()},
    )  # fmt: skip
    hall = _hall()
    rounds = case.events.filter(kind="supplement_requested").count()
    notices.notify_person(
        kind="person_supplement",
        event_key=f"case:{case.pk}:supplement_requested:{rounds}",
        hall=hall,
        case=case,
        context={"case_number": case.number, "hall_name": hall.name},
    )
    return case


def _window_supplement_received(*, case: Case, actor: Any, note: str, at: datetime) -> Case:
    """The materials of the window's own 补正 are in: the case goes back to the status it was asked
    from (the last ``supplement_requested`` event), its result cleared."""
    asked = case.events.filter(kind="supplement_requested").order_by("-at", "-id").first()
    previous = case.status
    case.status = asked.from_status if asked is not None and asked.from_status else CaseStatus.REGISTERED
    case.result = ""
    case.version += 1
    case.save(update_fields=["status", "result", "version"])
    case_event_record(
        case=case, actor=actor, kind="supplement_received", from_status=previous, to_status=case.status,
        changes={"note": (note or "").strip()}, at=at,
    )  # fmt: skip
    return case


def _require_not_erased(case: Case) -> None:
    """Nothing of an erased case (casework.retention) is left to reveal: refused, not recorded."""
    if case.erased_at is not None:
        message = _("The personal data of this case was erased at the end of its retention period.")
        raise ValidationError({"field": ValidationError(message, code="erased")})


def case_reveal_refused_record(*, case: Case, actor: Any, field: str) -> None:
    """A refused reveal (``case_reveal`` and ``case_reveal_free_text`` raised PermissionDenied and
    rolled back) is itself recorded: audit ``case.reveal_refused`` with the field asked, in its own
    transaction (docs/personal-data.md "Discipline inspection": the read-only roles never reveal,
    and their attempts are on record)."""
    with transaction.atomic():
        audit_record(
            action="case.reveal_refused", actor=actor, hall=_hall(), target=case,
            changes={"number": case.number, "field": field if field in (*REVEALABLE_FIELDS, FREE_TEXT) else "?"},
        )  # fmt: skip
