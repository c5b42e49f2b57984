"""A city supervisor opening a case in a hall is audited there; the hall's staff are not
(casework/services.py: case_supervisor_view_record). A case waiting on a meeting shows it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from casework.services import case_register
from coordination.services import CaseRef, MeetingDraft, meeting_convene
from hallplatform.audit.models import AuditEvent
from hallplatform.schemas import use_hall_schema, use_public_schema
from tenants.models import Department
from tests.casework.test_case_register import form
from tests.conftest import client_for, user


def register(demo: dict[str, Any]) -> Any:
    use_hall_schema(demo["wengyuan"])
    case = case_register(hall=demo["wengyuan"], actor=user("wengyuan_window"), data=form())
    use_public_schema()
    return case


def test_a_supervisor_opening_a_case_is_audited_in_the_hall(demo: dict[str, Any]) -> None:
    case = register(demo)

    page = client_for("shaoguan_supervisor", "wengyuan").get(f"/cases/{case.pk}/")
    api = client_for("shaoguan_supervisor", "wengyuan").get(f"/api/v1/cases/{case.pk}/")

    assert page.status_code == 200 and api.status_code == 200
    events = AuditEvent.objects.filter(action="case.supervisor_view", target_id=str(case.pk))
    assert events.count() == 2
    assert {e.hall_id for e in events} == {demo["wengyuan"].pk}
    assert {e.actor_id for e in events} == {user("shaoguan_supervisor").pk}


def test_the_halls_own_staff_reading_a_case_are_not_audited(demo: dict[str, Any]) -> None:
    case = register(demo)

    assert client_for("wengyuan_window", "wengyuan").get(f"/cases/{case.pk}/").status_code == 200
    assert client_for("wengyuan_lead", "wengyuan").get(f"/cases/{case.pk}/").status_code == 200

    assert not AuditEvent.objects.filter(action="case.supervisor_view").exists()


def test_another_citys_supervisor_cannot_open_it_and_nothing_is_audited(demo: dict[str, Any]) -> None:
    case = register(demo)

    assert client_for("qingyuan_supervisor", "wengyuan").get(f"/cases/{case.pk}/").status_code == 404

    assert not AuditEvent.objects.filter(action="case.supervisor_view").exists()


def test_a_case_waiting_on_a_meeting_shows_it(demo: dict[str, Any]) -> None:
    case = register(demo)
    meeting = meeting_convene(
        actor=user("shaoguan_supervisor"),
        hall=None,
        draft=MeetingDraft(
            subject="社保转移协调",
            starts_at=timezone.now() + timedelta(days=2),
            agenda="议定办理方案",
            lead_department_id=Department.objects.get(hall__code="shaoguan", code="rsj").pk,
            place="市政务服务中心",
            department_ids=[Department.objects.get(hall__code="wengyuan", code="rsj").pk],
            cases=[CaseRef(hall_id=demo["wengyuan"].pk, case_id=case.pk)],
        ),
    )

    page = client_for("wengyuan_window", "wengyuan").get(f"/cases/{case.pk}/")

    assert page.status_code == 200
    assert meeting.number in page.content.decode()
