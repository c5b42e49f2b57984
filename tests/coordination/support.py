"""Helpers of the city-level tests: logins the demo lacks, cases in a hall, JSON clients, row counts."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.test import Client
from django.utils import timezone

from casework.models import Case, CaseEvent
from casework.services import SlipDraft, case_register, case_transfer
from coordination.models import JointMeeting, MeetingCase, MeetingInvitation, MeetingResolution, SupervisionOrder
from hallindex.models import SlipIndex
from hallplatform.accounts.services import staff_create
from hallplatform.deadlines.models import Deadline
from hallplatform.deadlines.sweep import deadline_sweep
from hallplatform.schemas import use_hall_schema, use_public_schema
from notifications.models import Notice
from tenants.models import Department, Hall
from tests.casework.test_case_register import form
from tests.conftest import client_for, user

ID_NUMBER = "11010519491231002X"  # the example of GB 11643 itself
PERSON_NAME = "张三丰"
MOBILE = "13812345678"


def dept(code: str) -> Department:
    """A department by ``hall/code``, e.g. ``nanxiong/rsj``."""
    hall, _, department = code.partition("/")
    return Department.objects.get(hall__code=hall, code=department)


def hall(code: str) -> Hall:
    return Hall.objects.get(code=code)


# Logins the demo lacks: nanxiong's window, lead and 人社局 handler and lead.
EXTRA_STAFF = {
    "nanxiong_window": ("window_staff", "nanxiong", None),
    "nanxiong_lead": ("hall_lead", "nanxiong", None),
    "nanxiong_rsj": ("department_handler", None, "nanxiong/rsj"),
    "nanxiong_rsj_lead": ("department_lead", None, "nanxiong/rsj"),
    "shaoguan_rsj_lead": ("department_lead", None, "shaoguan/rsj"),
    "shaoguan_lead": ("hall_lead", "shaoguan", None),
}


def staff(username: str) -> Any:
    """A demo login, or one of EXTRA_STAFF created on first use (rolled back with the test)."""
    if username in EXTRA_STAFF:
        kind, hall_code, department_code = EXTRA_STAFF[username]
        staff_create(
            username=username, password="x", kind=kind, display_name=username, hall_code=hall_code,
            department_code=department_code, check_password=False,
        )  # fmt: skip
    return user(username)


def register(hall_code: str, *, refused: bool = False, **changes: Any) -> Case:
    """A case registered at a hall by its window (transferred as 不给办 to the hall's 人社局 when
    ``refused``); the connection is back on the public schema."""
    window = staff(f"{hall_code}_window")
    use_hall_schema(hall(hall_code))
    try:
        case = case_register(hall=hall(hall_code), actor=window, data=form(**changes))
        if refused:
            case = case_transfer(
                case=case,
                actor=window,
                category="refused",
                slips=[SlipDraft(department_id=dept(f"{hall_code}/rsj").pk, request="督促办理")],
            )
        return case
    finally:
        use_public_schema()


def case_events(hall_code: str, case_id: int) -> list[str]:
    use_hall_schema(hall(hall_code))
    try:
        return list(CaseEvent.objects.filter(case_id=case_id).order_by("id").values_list("kind", flat=True))
    finally:
        use_public_schema()


def slip_index_of(hall_code: str, case_id: int) -> SlipIndex:
    return SlipIndex.objects.get(hall__code=hall_code, case_id=case_id)


class Api:
    """A logged-in JSON client on one host (None: the city portal on the base domain)."""

    def __init__(self, username: str | None, code: str | None) -> None:
        if username is not None:
            staff(username)
        self.client: Client = client_for(username, code)

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(path, params)

    def post(self, path: str, data: dict[str, Any] | None = None) -> Any:
        return self.client.post(path, data or {}, content_type="application/json")


def api(username: str | None, code: str | None = None) -> Api:
    return Api(username, code)


def counts() -> dict[str, int]:
    """Rows of everything a city-level step writes."""
    return {
        "meeting": JointMeeting.objects.count(),
        "invitation": MeetingInvitation.objects.count(),
        "meeting_case": MeetingCase.objects.count(),
        "resolution": MeetingResolution.objects.count(),
        "order": SupervisionOrder.objects.count(),
        "deadline": Deadline.objects.count(),
        "notice": Notice.objects.count(),
    }


def tomorrow() -> str:
    return (timezone.now() + timedelta(days=1)).isoformat()


def meeting_body(**changes: Any) -> dict[str, Any]:
    """A city meeting on the social-insurance transfer between wengyuan and nanxiong."""
    body: dict[str, Any] = {
        "subject": "跨县社保转移接续协调",
        "starts_at": tomorrow(),
        "agenda": "一、情况通报；二、议定事项",
        "lead_department": dept("shaoguan/rsj").pk,
        "place": "市政务服务中心三楼会议室",
        "departments": [dept("wengyuan/rsj").pk, dept("nanxiong/rsj").pk],
        "halls": [hall("wengyuan").pk, hall("nanxiong").pk],
    }
    body.update(changes)
    return body


def escalate_fully(deadline_id: int) -> list[tuple[str, str]]:
    """Sweep past a deadline's due time, then past each next escalation time until none is left;
    the (event, recipient) of every notice sent about it."""
    deadline = Deadline.objects.get(pk=deadline_id)
    deadline_sweep(now=deadline.due_at + timedelta(minutes=1))
    for _step in range(5):
        deadline.refresh_from_db()
        if deadline.next_escalation_at is None:
            break
        deadline_sweep(now=deadline.next_escalation_at + timedelta(minutes=1))
    return notices_of(deadline_id)


def notices_of(deadline_id: int) -> list[tuple[str, str]]:
    rows = Notice.objects.filter(event_key__startswith=f"deadline:{deadline_id}:").select_related("recipient_user")
    return sorted((row.event_key.split(":", 2)[2], row.recipient_user.username) for row in rows)


def at(instant: datetime) -> str:
    return instant.isoformat()
