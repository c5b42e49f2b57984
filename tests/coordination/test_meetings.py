"""Joint meetings (联席会议, rule art. 5(2), 9) through the API: convene across two counties and the city,
answer, minutes and resolutions, one met and one breached and escalated, close; refusals."""

from __future__ import annotations

from typing import Any

from coordination.models import InvitationResponse, JointMeeting, MeetingLevel, MeetingResolution, MeetingStatus
from coordination.selectors import meetings_of_case
from hallplatform.deadlines.models import Deadline, DeadlineKind, DeadlineState
from notifications.models import Notice
from tests.coordination.support import (
    ID_NUMBER,
    MOBILE,
    PERSON_NAME,
    api,
    case_events,
    counts,
    dept,
    escalate_fully,
    hall,
    meeting_body,
    register,
    staff,
)


def convene_city_meeting(**changes: Any) -> dict[str, Any]:
    response = api("shaoguan_supervisor").post("/api/v1/meetings/", meeting_body(**changes))
    assert response.status_code == 201, response.content.decode()
    return dict(response.json())


def invitation_of(meeting: dict[str, Any], department_code: str) -> int:
    department = dept(department_code)
    return next(i["id"] for i in meeting["invitations"] if i["department"] and i["department"]["id"] == department.pk)


def test_cross_hall_meeting_through_resolutions_met_and_breached_and_escalated(demo: object) -> None:
    # given a case at wengyuan and one at nanxiong about the same transfer of social insurance
    wengyuan_case = register("wengyuan")
    nanxiong_case = register("nanxiong")
    for username in ("nanxiong_rsj", "nanxiong_rsj_lead", "nanxiong_lead"):
        staff(username)

    # when the city bureau convenes a city meeting of both counties' 人社局, led by the city's
    meeting = convene_city_meeting(
        cases=[
            {"hall": hall("wengyuan").pk, "case_id": wengyuan_case.pk, "summary": "参保记录跨县不一致"},
            {"hall": hall("nanxiong").pk, "case_id": nanxiong_case.pk},
        ]
    )

    # then it is a city meeting of the city hall; three departments (the lead too) and two halls invited
    assert meeting["level"] == MeetingLevel.CITY
    assert meeting["hall"]["code"] == "shaoguan" and meeting["status"] == MeetingStatus.CONVENED
    assert meeting["lead_department"]["code"] == "rsj" and meeting["lead_department"]["hall"] == "shaoguan"
    invited = {
        (i["department"] or {}).get("hall", "") + "/" + (i["hall"] or {}).get("code", "")
        for i in meeting["invitations"]
    }
    assert invited == {"shaoguan/", "wengyuan/", "nanxiong/", "/wengyuan", "/nanxiong"}
    assert [c["case_number"] for c in meeting["cases"]] == [wengyuan_case.number, nanxiong_case.number]
    invited_users = set(
        Notice.objects.filter(kind="meeting_invitation", event_key=f"meeting:{meeting['id']}:invitation").values_list(
            "recipient_user__username", flat=True
        )
    )
    assert {"wengyuan_rsj", "nanxiong_rsj", "shaoguan_rsj", "wengyuan_lead", "nanxiong_lead"} <= invited_users

    # and each county's 人社局 sees it on its own host, with its own invitation marked
    county = api("wengyuan_rsj", "wengyuan")
    assert meeting["id"] in [row["id"] for row in county.get("/api/v1/meetings/").json()["results"]]
    detail = county.get(f"/api/v1/meetings/{meeting['id']}/").json()
    mine = [i["id"] for i in detail["invitations"] if i["mine"]]
    assert mine == [invitation_of(meeting, "wengyuan/rsj")]
    assert detail["can_manage"] is False

    # when wengyuan accepts and nanxiong declines (a decline must say why)
    accepted = county.post(
        f"/api/v1/meetings/{meeting['id']}/respond/", {"invitation": mine[0], "response": "accepted"}
    )
    assert accepted.status_code == 200
    nanxiong = api("nanxiong_rsj", "nanxiong")
    nanxiong_invitation = invitation_of(meeting, "nanxiong/rsj")
    silent = nanxiong.post(
        f"/api/v1/meetings/{meeting['id']}/respond/", {"invitation": nanxiong_invitation, "response": "declined"}
    )
    assert silent.status_code == 400 and set(silent.json()["fields"]) == {"note"}
    nanxiong.post(
        f"/api/v1/meetings/{meeting['id']}/respond/",
        {"invitation": nanxiong_invitation, "response": "declined", "note": "当日另有会议，书面反馈意见"},
    )
    answers = {i["id"]: i["response"] for i in county.get(f"/api/v1/meetings/{meeting['id']}/").json()["invitations"]}
    assert answers[mine[0]] == InvitationResponse.ACCEPTED
    assert answers[nanxiong_invitation] == InvitationResponse.DECLINED

    # when the supervisor records the minutes with two resolutions
    supervisor = api("shaoguan_supervisor")
    held = supervisor.post(
        f"/api/v1/meetings/{meeting['id']}/minutes/",
        {
            "version": meeting["version"],
            "minutes": "会议议定如下",
            "outcome": "由两县人社局分别核实，市人社局统筹",
            "resolutions": [
                {"owner_department": dept("wengyuan/rsj").pk, "action": "核实参保记录", "days": 2},
                {"owner_department": dept("nanxiong/rsj").pk, "action": "出具转移证明", "days": 3},
            ],
        },
    )

    # then the meeting is held and each resolution has its deadline in working days
    assert held.status_code == 200, held.content.decode()
    assert held.json()["status"] == MeetingStatus.HELD
    first, second = held.json()["resolutions"]
    assert (first["days"], second["days"]) == (2, 3)
    assert first["deadline"]["state"] == DeadlineState.OPEN and first["deadline"]["badge"] == "green"
    second_row = MeetingResolution.objects.get(pk=second["id"])
    assert Deadline.objects.get(pk=second_row.deadline_id).kind == DeadlineKind.MEETING_RESOLUTION
    assert Notice.objects.filter(kind="resolution_assigned", recipient_user=staff("nanxiong_rsj")).exists()

    # when wengyuan's 人社局 reports its resolution done, from its list of resolutions
    listed = county.get("/api/v1/resolutions/").json()["results"]
    assert [r["number"] for r in listed] == [first["number"]]
    assert listed[0]["meeting"]["number"] == meeting["number"]
    done = county.post(
        f"/api/v1/resolutions/{first['id']}/complete/", {"version": first["version"], "report": "已核实并更正"}
    )
    assert done.status_code == 200
    assert done.json()["status"] == "done" and done.json()["deadline"]["state"] == DeadlineState.MET
    assert county.get("/api/v1/resolutions/").json()["results"] == []

    # when nanxiong's resolution is not done in time and the sweep runs past its due time and each escalation
    sent = escalate_fully(second_row.deadline_id)

    # then it is breached and the handler, then the department lead, the hall lead and the city supervisor hear
    assert Deadline.objects.get(pk=second_row.deadline_id).state == DeadlineState.BREACHED
    assert sent == [
        ("breach", "nanxiong_rsj"),
        ("escalation:2", "nanxiong_rsj_lead"),
        ("escalation:3", "nanxiong_lead"),
        ("escalation:4", "shaoguan_supervisor"),
        ("warning", "nanxiong_rsj"),  # the yellow warning (临期) came first, in the same sweep
    ]
    breach = Notice.objects.get(event_key=f"deadline:{second_row.deadline_id}:breach")
    assert second["number"] in breach.subject

    # and the meeting cannot close while a resolution is open
    current = supervisor.get(f"/api/v1/meetings/{meeting['id']}/").json()
    refused = supervisor.post(f"/api/v1/meetings/{meeting['id']}/close/", {"version": current["version"]})
    assert refused.status_code == 409 and refused.json()["code"] == "invalid_transition"

    # when nanxiong reports late, the meeting closes
    late = nanxiong.post(
        f"/api/v1/resolutions/{second['id']}/complete/", {"version": second["version"], "report": "已出具"}
    )
    assert late.status_code == 200 and late.json()["deadline"]["state"] == DeadlineState.MET
    closed = supervisor.post(f"/api/v1/meetings/{meeting['id']}/close/", {"version": current["version"]})
    assert closed.status_code == 200 and closed.json()["status"] == MeetingStatus.CLOSED

    # and both cases' timelines, in their halls, tell the meeting's story
    for code, case in (("wengyuan", wengyuan_case), ("nanxiong", nanxiong_case)):
        events = case_events(code, case.pk)
        assert [e for e in events if e.startswith(("meeting_", "resolution_"))] == [
            "meeting_convened",
            "meeting_held",
            "resolution_done",
            "resolution_done",
            "meeting_closed",
        ]


def test_case_timeline_through_the_casework_api_shows_the_meeting(demo: object) -> None:
    case = register("wengyuan")
    meeting = convene_city_meeting(cases=[{"hall": hall("wengyuan").pk, "case_id": case.pk}])

    timeline = api("wengyuan_window", "wengyuan").get(f"/api/v1/cases/{case.pk}/timeline/")

    assert timeline.status_code == 200
    assert "meeting_convened" in [event["kind"] for event in timeline.json()]
    assert meeting["number"] in timeline.content.decode()


def test_a_case_waiting_on_a_meeting_lists_it(demo: object) -> None:
    waiting, other = register("wengyuan"), register("wengyuan")
    meeting = convene_city_meeting(cases=[{"hall": hall("wengyuan").pk, "case_id": waiting.pk}])

    assert [m.number for m in meetings_of_case(hall_id=hall("wengyuan").pk, case_id=waiting.pk)] == [meeting["number"]]
    assert list(meetings_of_case(hall_id=hall("wengyuan").pk, case_id=other.pk)) == []
    assert list(meetings_of_case(hall_id=hall("nanxiong").pk, case_id=waiting.pk)) == []


def test_participant_from_another_hall_sees_the_summary_but_no_personal_data(demo: object) -> None:
    # given a wengyuan case of a named person, and a summary that mentions the phone by mistake
    case = register("wengyuan", applicant_name=PERSON_NAME, phone=MOBILE, document_number=ID_NUMBER)
    meeting = convene_city_meeting(
        cases=[{"hall": hall("wengyuan").pk, "case_id": case.pk, "summary": f"参保记录跨县不一致，回电{MOBILE}"}],
        agenda=f"核对身份证{ID_NUMBER}的参保记录",
    )

    # when nanxiong's 人社局, a participant from another county, reads the meeting
    response = api("nanxiong_rsj", "nanxiong").get(f"/api/v1/meetings/{meeting['id']}/")

    # then it sees the case's NO, matter and summary, and nothing that identifies the person
    assert response.status_code == 200
    linked = response.json()["cases"][0]
    assert linked["case_number"] == case.number and linked["matter_name"] == "社保卡补办"
    assert linked["summary"].startswith("参保记录跨县不一致")
    body = response.content.decode()
    for secret in (PERSON_NAME, MOBILE, ID_NUMBER, ID_NUMBER.lower(), "建设路"):
        assert secret not in body
    assert set(linked) == {"hall", "case_id", "case_number", "matter_name", "summary"}
    # and it cannot open the case itself: the case lives in wengyuan's schema, behind wengyuan's host
    assert api("nanxiong_rsj", "wengyuan").get(f"/api/v1/cases/{case.pk}/").status_code == 404


def test_a_hall_lead_convenes_a_hall_meeting_on_the_halls_host(demo: object) -> None:
    lead = api("wengyuan_lead", "wengyuan")
    body = meeting_body(lead_department=dept("wengyuan/rsj").pk, departments=[dept("shaoguan/rsj").pk], halls=[])

    response = lead.post("/api/v1/meetings/", body)

    assert response.status_code == 201, response.content.decode()
    assert response.json()["level"] == MeetingLevel.HALL and response.json()["hall"]["code"] == "wengyuan"
    assert response.json()["can_manage"] is True
    # another county's department is outside a hall meeting's scope
    before = counts()
    outside = lead.post("/api/v1/meetings/", {**body, "departments": [dept("nanxiong/rsj").pk]})
    assert outside.status_code == 400 and set(outside.json()["fields"]) == {"departments"}
    assert counts() == before
    # the window staff may not convene
    assert api("wengyuan_window", "wengyuan").post("/api/v1/meetings/", body).status_code == 404
    assert counts() == before


def test_meeting_without_lead_unit_or_participants_is_refused_and_nothing_saved(demo: object) -> None:
    before = counts()

    response = api("shaoguan_supervisor").post(
        "/api/v1/meetings/", meeting_body(lead_department=None, departments=[], halls=[])
    )

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert set(body["fields"]) == {"lead_department", "departments"}
    assert all(body["fields"][name] for name in ("lead_department", "departments"))
    assert counts() == before


def test_meeting_with_a_case_of_another_city_is_refused(demo: object) -> None:
    case = register("qingcheng")
    before = counts()

    response = api("shaoguan_supervisor").post(
        "/api/v1/meetings/", meeting_body(cases=[{"hall": hall("qingcheng").pk, "case_id": case.pk}])
    )

    assert response.status_code == 400 and set(response.json()["fields"]) == {"cases.0"}
    assert counts() == before
    assert "meeting_convened" not in case_events("qingcheng", case.pk)


def test_resolution_without_owner_or_days_is_refused_and_nothing_saved(demo: object) -> None:
    meeting = convene_city_meeting()
    before = counts()

    response = api("shaoguan_supervisor").post(
        f"/api/v1/meetings/{meeting['id']}/minutes/",
        {
            "version": meeting["version"],
            "minutes": "会议议定如下",
            "outcome": "分头落实",
            "resolutions": [
                {"action": "核实参保记录", "days": 2},
                {"owner_department": dept("nanxiong/rsj").pk, "action": "出具转移证明"},
                {"owner_department": dept("qingyuan/rsj").pk, "action": "不该出现", "days": 99},
            ],
        },
    )

    assert response.status_code == 400
    assert set(response.json()["fields"]) == {
        "resolutions.0.owner_department",
        "resolutions.1.days",
        "resolutions.2.owner_department",
        "resolutions.2.days",
    }
    assert counts() == before
    stored = JointMeeting.objects.get(pk=meeting["id"])
    assert stored.status == MeetingStatus.CONVENED and stored.version == meeting["version"]


def test_minutes_of_a_stale_version_are_409_and_twice_is_invalid(demo: object) -> None:
    meeting = convene_city_meeting()
    supervisor = api("shaoguan_supervisor")
    body = {"version": meeting["version"], "minutes": "纪要", "outcome": "结论", "resolutions": []}

    assert supervisor.post(f"/api/v1/meetings/{meeting['id']}/minutes/", body).status_code == 200
    before = counts()
    stale = supervisor.post(f"/api/v1/meetings/{meeting['id']}/minutes/", body)
    assert stale.status_code == 409 and stale.json()["code"] == "conflict"
    again = supervisor.post(f"/api/v1/meetings/{meeting['id']}/minutes/", {**body, "version": meeting["version"] + 1})
    assert again.status_code == 409 and again.json()["code"] == "invalid_transition"
    assert counts() == before


def test_only_the_invited_answer_and_only_the_convener_records_minutes(demo: object) -> None:
    meeting = convene_city_meeting()
    invitation = invitation_of(meeting, "nanxiong/rsj")
    path = f"/api/v1/meetings/{meeting['id']}"

    # wengyuan's 人社局 sees the meeting but answers only for itself
    county = api("wengyuan_rsj", "wengyuan")
    assert county.post(f"{path}/respond/", {"invitation": invitation, "response": "accepted"}).status_code == 404
    # a participant cannot record the minutes
    minutes = {"version": meeting["version"], "minutes": "纪要", "outcome": "结论", "resolutions": []}
    assert county.post(f"{path}/minutes/", minutes).status_code == 404
    assert JointMeeting.objects.get(pk=meeting["id"]).status == MeetingStatus.CONVENED

    # after the minutes, answering is too late
    api("shaoguan_supervisor").post(f"{path}/minutes/", minutes)
    own = invitation_of(meeting, "wengyuan/rsj")
    late = county.post(f"{path}/respond/", {"invitation": own, "response": "accepted"})
    assert late.status_code == 409 and late.json()["code"] == "invalid_transition"


def test_an_invited_department_sees_the_meeting_on_its_own_halls_host(demo: object) -> None:
    # given a city meeting that invites wengyuan's 人社局, but neither wengyuan's hall nor a wengyuan case
    meeting = convene_city_meeting(departments=[dept("wengyuan/rsj").pk], halls=[])
    county = api("wengyuan_rsj", "wengyuan")

    # when the department looks on its hall's host, then it finds the meeting and answers
    assert [row["id"] for row in county.get("/api/v1/meetings/").json()["results"]] == [meeting["id"]]
    invitation = invitation_of(meeting, "wengyuan/rsj")
    answered = county.post(
        f"/api/v1/meetings/{meeting['id']}/respond/", {"invitation": invitation, "response": "accepted"}
    )
    assert answered.status_code == 200
    # and wengyuan's window, whose hall is not invited, does not see it
    assert api("wengyuan_window", "wengyuan").get(f"/api/v1/meetings/{meeting['id']}/").status_code == 404


def test_a_supervisor_on_a_county_host_convenes_for_the_city(demo: object) -> None:
    response = api("shaoguan_supervisor", "nanxiong").post(
        "/api/v1/meetings/", meeting_body(departments=[dept("wengyuan/rsj").pk], halls=[hall("wengyuan").pk])
    )

    assert response.status_code == 201, response.content.decode()
    assert response.json()["level"] == MeetingLevel.CITY and response.json()["hall"]["code"] == "shaoguan"
    # on nanxiong's host it lists only what concerns nanxiong; on the portal, everything of the city
    assert api("shaoguan_supervisor", "nanxiong").get("/api/v1/meetings/").json()["results"] == []
    assert [m["id"] for m in api("shaoguan_supervisor").get("/api/v1/meetings/").json()["results"]] == [
        response.json()["id"]
    ]
    # another city's supervisor cannot convene on a Shaoguan host
    assert api("qingyuan_supervisor", "nanxiong").post("/api/v1/meetings/", meeting_body()).status_code == 404
