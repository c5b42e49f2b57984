"""Helpers of the casework workflow tests: a settable clock, departments, transfers, snapshots."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from casework.choices import HandlingCategory
from casework.models import Case, CaseEvent, TransferSlip
from casework.services import SlipDraft, case_register, case_transfer
from hallindex.models import SlipIndex
from hallplatform.audit.models import AuditEvent
from hallplatform.deadlines.models import Deadline
from notifications.models import Notice
from tenants.models import Department
from tests.casework.test_case_register import form
from tests.conftest import user

TZ = ZoneInfo("Asia/Shanghai")
# A Monday of an ordinary working week (no holiday from 2 to 13 March 2026).
MONDAY_9 = datetime(2026, 3, 2, 9, 0, tzinfo=TZ)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


class Clock:
    """What ``timezone.now()`` answers while installed (services, deadlines and auto_now fields)."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def set(self, now: datetime | str) -> None:
        self.now = at(now) if isinstance(now, str) else now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def install_clock(monkeypatch: pytest.MonkeyPatch, now: datetime = MONDAY_9) -> Clock:
    clock = Clock(now)
    monkeypatch.setattr(timezone, "now", clock)
    return clock


def dept(code: str) -> Department:
    """A department by ``hall/code``, e.g. ``wengyuan/rsj``."""
    hall, _, department = code.partition("/")
    return Department.objects.get(hall__code=hall, code=department)


def register(hall: Any, actor: str = "wengyuan_window", **changes: Any) -> Case:
    return case_register(hall=hall, actor=user(actor), data=form(**changes))


def draft(code: str, request: str = "请核实并办理", complexity: str = "ordinary") -> SlipDraft:
    return SlipDraft(department_id=dept(code).pk, request=request, complexity=complexity)


def transfer(case: Case, *drafts: SlipDraft, category: str = HandlingCategory.HARD_TO_DO, **extra: Any) -> Case:
    return case_transfer(case=case, actor=user("wengyuan_window"), category=category, slips=list(drafts), **extra)


def slips_of(case: Case) -> list[TransferSlip]:
    return list(TransferSlip.objects.filter(case=case).select_related("department").order_by("pk"))


def world(case: Case | None = None) -> dict[str, Any]:
    """Everything a refused step must leave as it was: row counts, the case, its slips and deadlines."""
    state: dict[str, Any] = {
        "cases": Case.objects.count(),
        "slips": TransferSlip.objects.count(),
        "index": SlipIndex.objects.count(),
        "deadlines": Deadline.objects.count(),
        "notices": Notice.objects.count(),
        "events": CaseEvent.objects.count(),
        "audit": AuditEvent.objects.count(),
    }
    if case is not None:
        fresh = Case.objects.get(pk=case.pk)
        state["case"] = (
            fresh.status, fresh.version, fresh.result, fresh.handling_category, fresh.flagged_for_supervision,
            fresh.meeting_requested, fresh.satisfaction, fresh.feedback_content, fresh.reopened_count,
        )  # fmt: skip
        state["slip_rows"] = list(
            TransferSlip.objects.filter(case=case).order_by("pk").values_list("pk", "status", "version", "result")
        )
        state["index_rows"] = list(
            SlipIndex.objects.filter(case_id=case.pk).order_by("pk").values_list("slip_id", "status", "deadline_id")
        )
        state["deadline_rows"] = list(
            Deadline.objects.order_by("pk").values_list("pk", "state", "due_at", "remaining_seconds")
        )
    return state


def refused_fields(excinfo: pytest.ExceptionInfo[Any]) -> set[str]:
    return set(excinfo.value.message_dict)


def code_of(excinfo: pytest.ExceptionInfo[Any], field: str) -> str | None:
    code: str | None = excinfo.value.error_dict[field][0].code
    return code


def notices_to(kind: str, **filters: Any) -> list[Notice]:
    return list(Notice.objects.filter(kind=kind, **filters).order_by("pk"))


def recipients(kind: str, **filters: Any) -> set[str]:
    """Usernames of the staff a notice of ``kind`` went to."""
    return {n.recipient_user.username for n in Notice.objects.filter(kind=kind, **filters).select_related(
        "recipient_user") if n.recipient_user is not None}  # fmt: skip
