"""A case brought to a joint meeting without slips waits on the meeting; when the meeting closes, its
resolutions done, the case is replied and the window's feedback clock starts (rule art. 5(2)–(4))."""

from __future__ import annotations

from typing import Any

from django.utils import translation

from casework.choices import CaseResult, CaseStatus
from casework.models import Case
from casework.services import SlipDraft, case_feedback_record, case_transfer
from coordination.models import MeetingStatus
from hallindex.models import CaseIndex
from hallplatform.deadlines.models import Deadline, DeadlineKind, DeadlineState
from hallplatform.schemas import in_hall_schema
from notifications.models import Notice
from tests.conftest import client_for
from tests.coordination.support import api, case_events, dept, hall, meeting_body, register, staff


def to_meeting_only(case: Case) -> Case:
    """The window asks for a joint meeting and sends no slip (很难办)."""
    with in_hall_schema(hall("wengyuan")):
        return case_transfer(
            case=case,
            actor=staff("wengyuan_window"),
            category="hard_to_do",
            slips=[],
            meeting_requested=True,
            meeting_request_note="需市级统筹跨部门数据共享",
        )


def hold_and_close(case: Case, *, complete: bool = True) -> dict[str, Any]:
    """The city convenes a meeting on the case, records one resolution for wengyuan's 人社局, the
    department reports it done, the supervisor closes the meeting."""
    supervisor = api("shaoguan_supervisor")
    meeting = supervisor.post(
        "/api/v1/meetings/", meeting_body(cases=[{"hall": hall("wengyuan").pk, "case_id": case.pk}])
    ).json()
    held = supervisor.post(
        f"/api/v1/meetings/{meeting['id']}/minutes/",
        {
            "version": meeting["version"],
            "minutes": "会议议定如下",
            "outcome": "由翁源县人社局核实",
            "resolutions": [{"owner_department": dept("wengyuan/rsj").pk, "action": "核实参保记录", "days": 2}],
        },
    ).json()
    if complete:
        (resolution,) = held["resolutions"]
        done = api("wengyuan_rsj", "wengyuan").post(
            f"/api/v1/resolutions/{resolution['id']}/complete/", {"version": resolution["version"], "report": "已核实"}
        )
        assert done.status_code == 200
    current = supervisor.get(f"/api/v1/meetings/{meeting['id']}/").json()
    return dict(supervisor.post(f"/api/v1/meetings/{meeting['id']}/close/", {"version": current["version"]}).json())


def case_now(case: Case) -> Case:
    with in_hall_schema(hall("wengyuan")):
        return Case.objects.get(pk=case.pk)


def feedback_deadline(case: Case) -> Deadline | None:
    return Deadline.objects.filter(
        hall=hall("wengyuan"), kind=DeadlineKind.FEEDBACK, subject_type="casework.Case", subject_id=str(case.pk)
    ).first()


def test_a_case_waiting_on_the_meeting_alone_is_replied_when_the_meeting_closes(demo: object) -> None:
    case = to_meeting_only(register("wengyuan"))
    assert case.status == CaseStatus.TRANSFERRED and feedback_deadline(case) is None

    closed = hold_and_close(case)

    assert closed["status"] == MeetingStatus.CLOSED
    replied = case_now(case)
    assert (replied.status, replied.result) == (CaseStatus.REPLIED, CaseResult.DONE)
    # one step when the meeting was convened (the window's request settled), one when it closed
    assert replied.replied_at is not None and replied.version == case.version + 2
    deadline = feedback_deadline(case)
    assert deadline is not None and deadline.state == DeadlineState.OPEN
    # the public facts follow in the same transaction
    assert CaseIndex.objects.get(hall=hall("wengyuan"), case_id=case.pk).status == CaseStatus.REPLIED
    # the window is told, once per member of staff
    told = Notice.objects.filter(kind="case_meeting_settled", hall=hall("wengyuan"))
    assert set(told.values_list("recipient_user__username", flat=True)) >= {"wengyuan_window"}
    assert closed["number"] in told.first().subject
    # the timeline says the meeting closed and the case became replied
    assert case_events("wengyuan", case.pk)[-1] == "meeting_closed"

    # and the window can now tell the person, which meets the feedback deadline
    with in_hall_schema(hall("wengyuan")):
        told_person = case_feedback_record(
            case=replied, actor=staff("wengyuan_window"), method="phone", content="会议已协调办结"
        )
    assert told_person.status == CaseStatus.FED_BACK
    deadline.refresh_from_db()
    assert deadline.state == DeadlineState.MET


def test_a_case_with_a_slip_still_open_keeps_waiting_for_the_department(demo: object) -> None:
    case = register("wengyuan")
    with in_hall_schema(hall("wengyuan")):
        case = case_transfer(
            case=case, actor=staff("wengyuan_window"), category="hard_to_do",
            slips=[SlipDraft(department_id=dept("wengyuan/scjgj").pk, request="请核实")],
            meeting_requested=True, meeting_request_note="需要统筹",
        )  # fmt: skip

    hold_and_close(case)

    after = case_now(case)
    # only the window's request was settled, when the meeting was convened
    assert (after.status, after.version, after.meeting_requested) == (CaseStatus.TRANSFERRED, case.version + 1, False)
    assert feedback_deadline(case) is None
    assert not Notice.objects.filter(kind="case_meeting_settled").exists()
    assert case_events("wengyuan", case.pk)[-1] == "meeting_closed"


def test_a_meeting_with_a_resolution_open_cannot_close_and_the_case_is_unchanged(demo: object) -> None:
    case = to_meeting_only(register("wengyuan"))

    refused = hold_and_close(case, complete=False)

    assert refused["code"] == "invalid_transition"
    assert case_now(case).status == CaseStatus.TRANSFERRED and feedback_deadline(case) is None
    assert "meeting_closed" not in case_events("wengyuan", case.pk)


def test_the_case_page_tells_the_meeting_in_words(demo: object) -> None:
    case = to_meeting_only(register("wengyuan"))
    hold_and_close(case)

    with translation.override("zh-hans"):
        page = client_for("wengyuan_window", "wengyuan").get(f"/cases/{case.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    content = page.content.decode()
    assert page.status_code == 200
    for kind in ("meeting_convened", "meeting_held", "resolution_done", "meeting_closed"):
        assert f">{kind}<" not in content, kind
    assert "联席会议已召集" in content and "联席会议已办结" in content
    assert "核实参保记录" in content  # the resolution, in words
