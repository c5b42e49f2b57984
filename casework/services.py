"""The one write path for cases (CONVENTIONS.md): check, change, timeline event, in one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from casework.crypto import blind_index
from casework.models import (
    ApplicantKind,
    Case,
    CaseEvent,
    CaseNumberSequence,
    CaseResult,
    CaseStatus,
    Channel,
    ExclusionReason,
    HandlingCategory,
)
from casework.personal import (
    DocumentType,
    mask_id,
    mask_mobile,
    normalise_document,
    normalise_mobile,
    validate_document,
)


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


def phone_index(phone: str) -> str:
    return blind_index("phone", normalise_mobile(phone))


def document_index(document_type: str, number: str) -> str:
    return blind_index(f"document:{document_type}", normalise_document(document_type, number))


def case_event_record(
    *,
    case: Case,
    actor: Any,
    kind: str,
    from_status: str = "",
    to_status: str = "",
    changes: dict[str, Any] | None = None,
) -> CaseEvent:
    """Append an immutable event to the case's timeline (in the caller's transaction)."""
    return CaseEvent.objects.create(
        case=case,
        at=timezone.now(),
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        kind=kind,
        from_status=from_status,
        to_status=to_status,
        changes=changes or {},
    )


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


def _clean(data: Registration) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}

    def need(field: str, value: str, label: str) -> str:
        value = (value or "").strip()
        if not value:
            errors.setdefault(field, []).append(_("%(field)s is required.") % {"field": label})
        return value

    cleaned: dict[str, Any] = {}
    if data.channel not in Channel.values:
        errors.setdefault("channel", []).append(_("Choose on site or by phone."))
    if data.applicant_kind not in ApplicantKind.values:
        errors.setdefault("applicant_kind", []).append(_("Choose individual or enterprise."))
    cleaned["applicant_name"] = need("applicant_name", data.applicant_name, _("The applicant"))
    cleaned["matter_name"] = need("matter_name", data.matter_name, _("The matter"))
    cleaned["problem"] = need("problem", data.problem, _("The problem"))
    if data.applicant_kind == ApplicantKind.ENTERPRISE:
        cleaned["enterprise_name"] = need("enterprise_name", data.enterprise_name, _("The enterprise name"))
    else:
        cleaned["enterprise_name"] = (data.enterprise_name or "").strip()
    try:
        cleaned["phone"] = normalise_mobile(data.phone)
    except ValidationError as exc:
        errors.setdefault("phone", []).extend(exc.messages)
    if data.document_type not in DocumentType.values:
        errors.setdefault("document_type", []).append(_("Choose a document type."))
    else:
        try:
            cleaned["document_number"] = validate_document(data.document_type, data.document_number).value
        except ValidationError as exc:
            errors.setdefault("document_number", []).extend(exc.messages)
    if errors:
        raise ValidationError(errors)
    return cleaned


@transaction.atomic
def case_register(*, hall: Any, actor: Any, data: Registration, at: datetime | None = None) -> Case:
    """Register a case on the 登记表 (rule art. 5(1)): a gap-free NO, every field of the form, the
    personal data encrypted, and the first timeline event. Refusals name the field; nothing is kept."""
    cleaned = _clean(data)
    at = at or timezone.now()
    year = timezone.localtime(at).year
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
        problem=cleaned["problem"],
        acceptance_note=(data.acceptance_note or "").strip(),
        remarks=(data.remarks or "").strip(),
        handler=actor,
        handler_phone=getattr(actor, "work_phone", ""),
        registered_at=at,
        status=CaseStatus.REGISTERED,
    )
    case_event_record(
        case=case,
        actor=actor,
        kind="registered",
        to_status=CaseStatus.REGISTERED,
        changes={
            "number": case.number,
            "phone": mask_mobile(cleaned["phone"]),
            "document_number": mask_id(cleaned["document_number"]),
        },
    )
    return case


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


@transaction.atomic
def case_screen_out(*, case: Case, actor: Any, reason: str, referral: str, expected_version: int | None = None) -> Case:
    """Record that a case is outside the scope of the window (rule art. 4: 涉法涉诉, 信访, 已立案, or
    excluded by law), with the reason and where the person was referred. Never discarded: the case
    stays, not accepted, in the register and the statistics."""
    case = _locked_case(case, expected_version)
    _require_status(case, CaseStatus.REGISTERED)
    errors: dict[str, list[str]] = {}
    if reason not in ExclusionReason.values:
        errors["reason"] = [_("Choose why the case is not accepted.")]
    if not (referral or "").strip():
        errors["referral"] = [_("Say where the person was referred.")]
    if errors:
        raise ValidationError(errors)
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
    _require_status(case, CaseStatus.REGISTERED)
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
