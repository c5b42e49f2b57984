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
from casework.models import ApplicantKind, Case, CaseEvent, CaseNumberSequence, CaseStatus, Channel
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
