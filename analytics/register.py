"""The case register (登记备案, rule art. 8): one row per case of a hall with the fields of the 登记表,
exported to Excel or CSV from the hall's own host.

Personal data is masked (docs/personal-data.md) unless the exporting user may reveal it
(casework.interface.may_reveal) and asks to: such an export is one audit event naming how many cases
it unmasked. Cases are read in chunks (``iterator``), so the export's memory does not grow with
the hall.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Prefetch, Q
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from analytics.exports import Table, csv_write, xlsx_write
from analytics.selectors import TZ, Period
from casework.choices import (
    ApplicantKind,
    CaseResult,
    CaseStatus,
    Channel,
    Complexity,
    ExclusionReason,
    FollowUpMethod,
    HandlingCategory,
    Satisfaction,
)
from casework.interface import Case, TransferSlip, may_reveal
from hallplatform.accounts.models import HALL_ROLES, RoleAssignment, RoleKind
from hallplatform.audit.services import audit_record
from hallplatform.personal import DocumentType, free_text, mask_address, mask_id, mask_mobile, mask_name
from hallplatform.schemas import current_schema_name

CHUNK = 1000
FORMATS = ("xlsx", "csv")
STEP_TIMES = (
    "screened_at",
    "answered_at",
    "transferred_at",
    "replied_at",
    "fed_back_at",
    "followed_up_at",
    "closed_at",
)


def _label(choices: Any, value: str) -> str:
    return str(choices(value).label) if value in choices.values else value


def _local(at: datetime | None) -> datetime | None:
    """Excel has no time zones: the wall-clock time in Asia/Shanghai."""
    return at.astimezone(TZ).replace(tzinfo=None) if at is not None else None


def _field_label(name: str) -> str:
    return capfirst(str(getattr(Case._meta.get_field(name), "verbose_name", name)))


@dataclass(frozen=True)
class Column:
    key: str  # the Case field shown, or a name for a derived value
    label: str
    value: Callable[[Case], Any]


def register_columns(*, reveal: bool) -> list[Column]:
    """The register's columns: the 登记表 fields in the annex's order, then what the software adds
    (category, status, departments, follow-up details, the time of every step)."""

    def field(name: str) -> Callable[[Case], Any]:
        return lambda case: getattr(case, name)

    def choice(name: str, choices: Any) -> Callable[[Case], Any]:
        return lambda case: _label(choices, getattr(case, name))

    def personal(name: str, mask: Callable[[str], str]) -> Callable[[Case], Any]:
        if reveal:
            return lambda case: getattr(case, name) or ""
        return lambda case: mask(getattr(case, name) or "")

    def text(name: str) -> Callable[[Case], Any]:
        # a free text: the one rule (hallplatform.personal.free_text), clear only in the recorded export
        return lambda case: free_text(getattr(case, name), revealed=reveal)

    def handler(case: Case) -> str:
        user = case.handler
        return (user.display_name or user.username) if user is not None else ""

    def departments(case: Case) -> str:
        names: list[str] = []
        for slip in case.slips.all():
            if slip.department.name not in names:
                names.append(slip.department.name)
        return "、".join(names)

    def time_of(name: str) -> Callable[[Case], Any]:
        return lambda case: _local(getattr(case, name))

    columns = [
        Column("number", _field_label("number"), field("number")),
        Column("registered_at", _("Registered at"), time_of("registered_at")),
        Column("channel", _("Channel"), choice("channel", Channel)),
        Column("applicant_kind", _("Applicant kind"), choice("applicant_kind", ApplicantKind)),
        Column("applicant_name", _("Applicant"), personal("applicant_name", mask_name)),
        Column("enterprise_name", _("Enterprise name"), field("enterprise_name")),
        Column("phone", _("Contact phone"), personal("phone", mask_mobile)),
        Column("document_type", _("Document type"), choice("document_type", DocumentType)),
        Column("document_number", _("Document number"), personal("document_number", mask_id)),
        Column("address", _("Applicant's address"), personal("address", mask_address)),
        Column("matter_name", _("Matter name"), field("matter_name")),
        Column("problem", _("Problem reported"), text("problem")),
        Column("acceptance_note", _("Acceptance notes"), text("acceptance_note")),
        Column("handling_category", _("Handling category"), choice("handling_category", HandlingCategory)),
        Column("complexity", _("Complexity"), choice("complexity", Complexity)),
        Column("status", _("Status"), choice("status", CaseStatus)),
        Column("exclusion_reason", _("Reason not accepted"), choice("exclusion_reason", ExclusionReason)),
        Column("answer", _("Answer given (one-time notice)"), text("answer")),
        Column("departments", _("Transferred to"), departments),
        Column("result", _("Result"), choice("result", CaseResult)),
        Column("handler", _("Handled by"), handler),
        Column("handler_phone", _("Handler's phone"), field("handler_phone")),
        Column("follow_up_note", _("Follow-up"), text("follow_up_note")),
        Column("follow_up_method", _("Follow-up method"), choice("follow_up_method", FollowUpMethod)),
        Column("follow_up_date", _("Follow-up date"), field("follow_up_date")),
        Column("satisfaction", _("Satisfaction"), choice("satisfaction", Satisfaction)),
        Column("remarks", _("Remarks"), text("remarks")),
        Column(
            "flagged_for_supervision",
            _("Flagged for supervision"),
            lambda case: _("Yes") if case.flagged_for_supervision else "",
        ),
    ]
    return columns + [Column(name, _field_label(name), time_of(name)) for name in STEP_TIMES]


def case_register_queryset(*, period: Period) -> Any:
    """The hall's cases registered in the period, oldest first, with their handler and the
    departments they were transferred to. The connection is on the hall's schema."""
    slips = (
        TransferSlip.objects.select_related("department").only("case_id", "department__name").order_by("sent_at", "id")
    )
    return (
        Case.objects.filter(registered_at__gte=period.start, registered_at__lt=period.end)
        .select_related("handler")
        .prefetch_related(Prefetch("slips", queryset=slips))
        .order_by("registered_at", "id")
    )


def case_register_table(*, period: Period, reveal: bool) -> Table:
    columns = register_columns(reveal=reveal)

    def rows() -> Iterator[list[Any]]:
        for case in case_register_queryset(period=period).iterator(chunk_size=CHUNK):
            yield [column.value(case) for column in columns]

    return Table(
        key="cases",
        title=_("Case register %(first)s to %(last)s") % {"first": period.first, "last": period.last},
        header=[column.label for column in columns],
        rows=rows(),
    )


def case_register_export(*, actor: Any, hall: Any, period: Period, fmt: str, out: IO[Any], reveal: bool = False) -> int:
    """Write the case register of ``hall`` (the connection's schema) for ``period`` to ``out`` (a
    binary stream for xlsx, text for csv); returns the number of cases. Masked; with ``reveal``,
    unmasked for a user who may reveal personal data (else PermissionDenied, nothing recorded), and
    recorded as one audit event ``case.export_reveal`` with the count (rule art. 8, DESIGN.md 5). A
    city supervisor's (masked) export is recorded too, as ``case.supervisor_export``, and the hall
    staff's masked one as ``case.export`` (the security log)."""
    if fmt not in FORMATS:
        raise ValueError(fmt)
    if current_schema_name() != hall.schema_name:
        raise RuntimeError("the case register is read on its hall's schema")
    if reveal and not may_reveal(actor, hall_id=hall.pk, slip_department_ids=set()):
        raise PermissionDenied(_("You may not see personal data unmasked."))
    with transaction.atomic():
        table = case_register_table(period=period, reveal=reveal)
        written = xlsx_write(out, [table]) if fmt == "xlsx" else csv_write(out, table)
        changes = {"count": written, "first": period.first.isoformat(), "last": period.last.isoformat(), "format": fmt}
        if reveal:
            audit_record(action="case.export_reveal", actor=actor, hall=hall, changes=changes)
        elif _reads_as_supervisor(actor, hall):
            # Like opening one of the hall's cases (casework.services.case_supervisor_view_record).
            audit_record(action="case.supervisor_export", actor=actor, hall=hall, changes=changes)
        else:
            # A masked export by the hall's own staff: still a copy of the register leaving the
            # system, in the security log (docs/security.md).
            audit_record(action="case.export", actor=actor, hall=hall, changes=changes)
    return written


def _reads_as_supervisor(actor: Any, hall: Any) -> bool:
    """A city supervisor of the hall's city who holds no role in the hall itself."""
    roles = set(
        RoleAssignment.objects.filter(user_id=actor.pk)
        .filter(Q(kind__in=HALL_ROLES, hall_id=hall.pk) | Q(kind=RoleKind.CITY_SUPERVISOR, hall_id=hall.city_id))
        .values_list("kind", flat=True)
    )
    return RoleKind.CITY_SUPERVISOR in roles and not roles & set(HALL_ROLES)
