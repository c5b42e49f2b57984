"""Retention of the personal data of finished cases (PIPL art. 19: kept no longer than needed;
docs/personal-data.md "Retention").

A case closed (or not accepted) longer ago than its city's period (``Hall.case_retention_days`` of
the city) has its personal values erased everywhere the hall keeps them: the case's personal fields,
their blind indexes and every free text, its slips' texts, the values in its timeline's changes,
and the person's progress access (the link's token, the SMS codes). The case, its timeline events,
its slips and every status, time and category stay, so the statistics do not move. A hold on the
case (a complaint under review) stops it. Each erasure is an audit event naming what was erased,
never a value.

The audit trail holds no personal value of a case (hallplatform/audit/models.py: reveals and views
name the field and the NO only), so it keeps its rows; the public schema's index holds none either.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import CharField, Q, QuerySet, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone
from django.utils.translation import gettext as _

from casework.attachments import files_discard
from casework.choices import CaseStatus
from casework.freetext import CASE_FREE_TEXT_FIELDS, SLIP_FREE_TEXT_FIELDS, STRUCTURED_PERSONAL_FIELDS
from casework.models import (
    Case,
    CaseEvent,
    CaseNote,
    CaseProgressAccess,
    OnlineReport,
    ProgressCode,
    StoredFile,
    TransferSlip,
)
from casework.services import case_event_record
from hallplatform.accounts.models import RoleAssignment, RoleKind
from hallplatform.audit.services import audit_record
from hallplatform.limits import NOTE_MAX_LENGTH
from hallplatform.schemas import current_tenant
from tenants.models import Hall

# The transaction-local setting through which the erasure tells the timeline's guard (migration
# casework 0009) the one case whose events' ``changes`` it may rewrite.
ERASE_SETTING = "bancheng.case_erase"

# Keys of a timeline event's ``changes`` that say what happened, never who or what they said: kept.
# Every other key's text is erased (an unknown key included: erasing too much is the safe side).
STRUCTURAL_CHANGE_KEYS = frozenset(
    {
        "number", "slip", "from_slip", "department", "meeting", "order", "days", "method", "status", "result",
        "case_status", "field", "fields", "category", "satisfaction", "granted", "due", "date", "via", "level",
        "on_time", "sms_opt_out", "first", "last", "to", "from", "target_hall", "scope", "outcome", "starts_at",
        "earlier", "case", "hold", "step", "previous",
    }
)  # fmt: skip

# The statuses after which a case's retention period runs, and the time it runs from.
FINISHED = {CaseStatus.CLOSED: "closed_at", CaseStatus.NOT_ACCEPTED: "screened_at"}

# Who sets or lifts a hold: the hall's lead, the city's supervisor.
HOLD_ROLES = (RoleKind.HALL_LEAD, RoleKind.CITY_SUPERVISOR)


def city_retention_days(hall: Any) -> int:
    """The retention period of ``hall``'s city, in days after closing."""
    days = Hall.objects.filter(pk=hall.city_id).values_list("case_retention_days", flat=True).first()
    return int(days if days is not None else Hall._meta.get_field("case_retention_days").default)


def case_list_due_for_erasure(*, days: int, now: datetime | None = None) -> QuerySet[Case]:
    """The cases of this hall whose personal data is due for erasure: finished more than ``days``
    ago, not held, not erased yet."""
    cutoff = (now or timezone.now()) - timedelta(days=days)
    finished = Q()
    for status, field in FINISHED.items():
        finished |= Q(status=status, **{f"{field}__lt": cutoff})
    return Case.objects.filter(finished, erased_at__isnull=True, retention_hold=False).order_by("pk")


def _erased_changes(value: Any, key: str | None = None) -> Any:
    """A timeline event's ``changes`` with the text of every non-structural key erased."""
    if isinstance(value, dict):
        return {k: (v if k in STRUCTURAL_CHANGE_KEYS else _erased_changes(v, k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_erased_changes(item, key) for item in value]
    if isinstance(value, str):
        return ""
    return value


@transaction.atomic
def case_personal_data_erase(*, case: Case, days: int, at: datetime | None = None) -> dict[str, Any] | None:
    """Erase the personal values of one case whose retention period (``days`` after it finished) is
    over, and record it (audit ``case.retention_erase``: the NO and the names of what was erased).
    Checked again under the case's lock: a case held, reopened or already erased meanwhile is left
    as it is (None)."""
    at = at or timezone.now()
    locked = case_list_due_for_erasure(days=days, now=at).select_for_update().filter(pk=case.pk).first()
    if locked is None:
        return None
    case = locked
    fields = [name for name in (*STRUCTURED_PERSONAL_FIELDS, *CASE_FREE_TEXT_FIELDS) if getattr(case, name)]
    for name in (*STRUCTURED_PERSONAL_FIELDS, *CASE_FREE_TEXT_FIELDS):
        setattr(case, name, "")
    case.phone_index = ""
    case.document_index = ""
    case.erased_at = at
    case.version += 1
    case.save()
    slips = 0
    for slip in TransferSlip.objects.select_for_update().filter(case=case):
        if any(getattr(slip, name) for name in SLIP_FREE_TEXT_FIELDS):
            slips += 1
        for name in SLIP_FREE_TEXT_FIELDS:
            setattr(slip, name, "")
        slip.save(update_fields=list(SLIP_FREE_TEXT_FIELDS))
    events = 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config(%s, %s, true)", [ERASE_SETTING, str(case.pk)])
    for event in CaseEvent.objects.filter(case=case).only("pk", "changes"):
        erased = _erased_changes(event.changes)
        if erased != event.changes:
            CaseEvent.objects.filter(pk=event.pk).update(changes=erased)
            events += 1
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config(%s, '', true)", [ERASE_SETTING])
    notes = CaseNote.objects.filter(case=case).exclude(text="").update(text="")
    # the photos of the online report it came from: the data keys go with the rows, the files after commit
    stored = list(StoredFile.objects.filter(case=case).values_list("storage_name", flat=True))
    StoredFile.objects.filter(case=case).delete()
    if stored:

        def discard_files() -> None:
            files_discard(stored)

        transaction.on_commit(discard_files)
    # the online report it came from keeps its own copy of the person's data and a progress token
    reports = OnlineReport.objects.filter(case=case).update(
        applicant_name="",
        phone="",
        phone_index="",
        problem="",
        submitted_from="",
        token_digest=Concat(Value("erased:"), Cast("pk", output_field=CharField())),
        token="",
    )
    progress_links, _by_model = CaseProgressAccess.objects.filter(case=case).delete()
    progress_codes, _by_model = ProgressCode.objects.filter(case=case).delete()
    record = {
        "number": case.number,
        "fields": fields,
        "slips": slips,
        "events": events,
        "notes": notes,
        "reports": reports,
        "files": len(stored),
        "progress_links": progress_links,
        "progress_codes": progress_codes,
        "days": days,
    }
    case_event_record(case=case, actor=None, kind="personal_data_erased", changes={"fields": fields, "days": days})
    audit_record(action="case.retention_erase", hall=current_tenant(), target=case, changes=record)
    return record


def case_retention_erase_due(*, now: datetime | None = None) -> dict[str, Any]:
    """Erase every case of this hall (the connection's schema) whose retention period is over, each
    in its own transaction; the run is recorded (audit ``case.retention_run``) with the count."""
    hall = current_tenant()
    days = city_retention_days(hall)
    now = now or timezone.now()
    erased = []
    for case in case_list_due_for_erasure(days=days, now=now).only("pk"):
        if case_personal_data_erase(case=case, days=days, at=now) is not None:
            erased.append(case.pk)
    held = Case.objects.filter(retention_hold=True, erased_at__isnull=True).count()
    audit_record(action="case.retention_run", hall=hall, changes={"days": days, "erased": len(erased), "held": held})
    return {"hall": hall.code, "days": days, "erased": len(erased), "held": held}


def may_hold(actor: Any, hall: Any) -> bool:
    """Whether ``actor`` may set or lift a retention hold in ``hall``: its lead, its city's supervisor."""
    if actor is None or not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return False
    return RoleAssignment.objects.filter(
        Q(kind=RoleKind.HALL_LEAD, hall_id=hall.pk) | Q(kind=RoleKind.CITY_SUPERVISOR, hall_id=hall.city_id),
        user_id=actor.pk,
    ).exists()


@transaction.atomic
def case_retention_hold_set(
    *, case: Case, actor: Any, hold: bool, reason: str, expected_version: int | None = None
) -> Case:
    """Set (``hold``) or lift a retention hold on a case (PIPL art. 19 read with the duty to keep
    what a complaint or review under way needs): the hall's lead or the city's supervisor, with a
    reason; a timeline event and an audit event ``case.retention_hold`` (the NO and the new state,
    not the reason). A case already erased cannot be held; setting the state it has is refused."""
    hall = current_tenant()
    if not may_hold(actor, hall):
        raise PermissionDenied(_("Only the hall's lead or the city's supervisor may hold a case's data."))
    locked = Case.objects.select_for_update().get(pk=case.pk)
    if expected_version is not None and locked.version != expected_version:
        message = _("Someone else changed this case meanwhile; reload it and try again.")
        raise ValidationError({"version": ValidationError(message, code="conflict")})
    case = locked
    errors: dict[str, list[str]] = {}
    reason = (reason or "").strip()
    if case.erased_at is not None:
        errors["hold"] = [_("The personal data of this case is already erased.")]
    elif bool(hold) == case.retention_hold:
        errors["hold"] = [_("The case is already held.") if hold else _("The case is not held.")]
    if not reason:
        errors["reason"] = [_("Say why.")]
    elif len(reason) > NOTE_MAX_LENGTH:
        errors["reason"] = [_("At most %(limit)d characters.") % {"limit": NOTE_MAX_LENGTH}]
    if errors:
        raise ValidationError(errors)
    case.retention_hold = bool(hold)
    case.retention_hold_reason = reason if hold else ""
    case.version += 1
    case.save(update_fields=["retention_hold", "retention_hold_reason", "version"])
    case_event_record(case=case, actor=actor, kind="retention_hold", changes={"hold": bool(hold), "reason": reason})
    audit_record(
        action="case.retention_hold", actor=actor, hall=hall, target=case,
        changes={"number": case.number, "hold": bool(hold)},
    )  # fmt: skip
    return case
