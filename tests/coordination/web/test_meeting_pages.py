"""Joint meetings through their pages (coordination/web/views.py): convene, answer, minutes with
resolutions, report done, close, print; refusals show on their fields and save nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from casework.models import CaseEvent
from coordination.models import JointMeeting, MeetingCase, MeetingInvitation, MeetingResolution, MeetingStatus
from hallplatform.accounts.services import staff_create
from hallplatform.schemas import use_hall_schema, use_public_schema
from notifications.models import Notice
from tenants.models import Hall
from tests.conftest import client_for
from tests.coordination.web.conftest import dept, hall, no_personal_data, register, zh

WHEN = (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%dT09:30")


def convene_data(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "subject": "跨县社保转移接续协调",
        "starts_at": WHEN,
        "place": "市政务服务中心三楼会议室",
        "online_link": "",
        "lead_department": str(dept("shaoguan/rsj").pk),
        "departments": [str(dept("wengyuan/rsj").pk), str(dept("nanxiong/rsj").pk)],
        "halls": [str(hall("wengyuan").pk), str(hall("nanxiong").pk)],
        "cases": "",
        "agenda": "一、情况通报；二、议定事项",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def has_error(content: str, field: str) -> bool:
    """Whether the field's block on the page (coordination/_field.html) shows an error."""
    start = content.index(f'id="field-{field}"')
    return 'class="errorlist"' in content[start : content.index("</div>", start)]


def counts() -> tuple[int, int, int, int]:
    return (
        JointMeeting.objects.count(),
        MeetingInvitation.objects.count(),
        MeetingCase.objects.count(),
        Notice.objects.filter(kind="meeting_invitation").count(),
    )


def convene_city_meeting(cases: str = "") -> JointMeeting:
    response = client_for("shaoguan_supervisor", None).post("/meetings/new/", convene_data(cases=cases))
    assert response.status_code == 302, response.content.decode()[:3000]
    return JointMeeting.objects.get(pk=int(response["Location"].rstrip("/").split("/")[-1]))


def test_supervisor_convenes_a_cross_hall_meeting_through_the_form(demo: dict[str, Hall]) -> None:
    wengyuan_case = register("wengyuan", transfer_to="wengyuan/rsj")
    nanxiong_case = register("nanxiong")
    assert client_for("shaoguan_supervisor", None).get("/meetings/new/").status_code == 200

    meeting = convene_city_meeting(f"{wengyuan_case.number} | 参保记录跨县不一致\n\n{nanxiong_case.number}\n")

    assert meeting.level == "city" and meeting.hall.code == "shaoguan"
    assert meeting.lead_department == dept("shaoguan/rsj")
    assert meeting.invitations.count() == 5  # three departments (the lead unit too) and two halls
    assert {(c.hall.code, c.case_number, c.summary) for c in meeting.cases.all()} == {
        ("wengyuan", wengyuan_case.number, "参保记录跨县不一致"),
        ("nanxiong", nanxiong_case.number, ""),
    }
    assert timezone.localtime(meeting.starts_at).strftime("%Y-%m-%dT%H:%M") == WHEN
    use_hall_schema(hall("wengyuan"))
    assert CaseEvent.objects.filter(case_id=wengyuan_case.pk, kind="meeting_convened").exists()
    use_public_schema()

    page = client_for("shaoguan_supervisor", None).get(f"/meetings/{meeting.pk}/")
    content = page.content.decode()
    assert page.status_code == 200
    assert "参保记录跨县不一致" in content and nanxiong_case.number in content
    # the supervisor opens the cases read-only on their halls' hosts
    assert f'href="http://wengyuan.localhost/cases/{wengyuan_case.pk}/"' in content
    assert no_personal_data(page.content)


def test_participants_of_another_hall_see_the_summary_but_no_link_to_the_case(demo: dict[str, Hall]) -> None:
    wengyuan_case = register("wengyuan")
    meeting = convene_city_meeting(f"{wengyuan_case.number} | 请致电 13812345678 核实")
    staff_create(username="nanxiong_lead", password="x", kind="hall_lead", hall_code="nanxiong", check_password=False)

    own = client_for("wengyuan_lead", "wengyuan").get(f"/meetings/{meeting.pk}/")
    other = client_for("nanxiong_lead", "nanxiong").get(f"/meetings/{meeting.pk}/")

    assert f"/cases/{wengyuan_case.pk}/" in own.content.decode()
    assert other.status_code == 200
    assert wengyuan_case.number in other.content.decode()
    assert f"/cases/{wengyuan_case.pk}/" not in other.content.decode()
    assert b"13812345678" not in other.content  # the summary is masked outside the owning hall


def test_hall_lead_convenes_with_own_and_city_departments_only(demo: dict[str, Hall]) -> None:
    client = client_for("wengyuan_lead", "wengyuan")
    form_page = client.get("/meetings/new/").content.decode()
    assert "翁源县人力资源和社会保障局" in form_page and "韶关市人力资源和社会保障局" in form_page
    assert "南雄市人力资源和社会保障局" not in form_page
    before = counts()

    refused = client.post(
        "/meetings/new/",
        convene_data(
            lead_department=None,
            lead_is_hall="on",
            departments=[str(dept("wengyuan/rsj").pk), str(dept("nanxiong/rsj").pk)],
            halls=[str(hall("wengyuan").pk)],
        ),
    )

    assert refused.status_code == 200
    assert zh("Some departments are outside the scope of this meeting.") in refused.content.decode()
    assert has_error(refused.content.decode(), "departments")
    assert counts() == before

    accepted = client.post(
        "/meetings/new/",
        convene_data(
            lead_department=None,
            lead_is_hall="on",
            departments=[str(dept("wengyuan/rsj").pk), str(dept("shaoguan/rsj").pk)],
            halls=[str(hall("wengyuan").pk)],
        ),
    )
    assert accepted.status_code == 302
    meeting = JointMeeting.objects.latest("id")
    assert (meeting.level, meeting.hall.code, meeting.lead_is_hall) == ("hall", "wengyuan", True)


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"lead_department": None}, ["lead_department"]),
        ({"departments": None, "halls": None}, ["departments"]),
        (
            {"lead_department": None, "departments": None, "halls": None, "subject": ""},
            ["lead_department", "departments", "subject"],
        ),
        ({"place": "", "online_link": ""}, ["place"]),
        ({"cases": "440229-2099-99999 | 无此案件"}, ["cases"]),
        ({"halls": ["QINGCHENG"]}, ["halls"]),
    ],
)
def test_bad_meeting_input_names_the_field_and_saves_nothing(
    demo: dict[str, Hall], changes: dict[str, Any], fields: list[str]
) -> None:
    if changes.get("halls") == ["QINGCHENG"]:
        changes = {"halls": [str(hall("qingcheng").pk)]}  # a hall of another city
    before = counts()

    response = client_for("shaoguan_supervisor", None).post("/meetings/new/", convene_data(**changes))

    content = response.content.decode()
    assert response.status_code == 200
    assert zh("The meeting was not convened; see the errors below.") in content
    for field in fields:
        assert has_error(content, field), field
    assert counts() == before


def test_an_unknown_case_number_is_named_with_its_line(demo: dict[str, Hall]) -> None:
    case = register("wengyuan")
    before = counts()

    response = client_for("shaoguan_supervisor", None).post(
        "/meetings/new/", convene_data(cases=f"{case.number}\n440229-2099-99999 | x", lead_department=None)
    )

    content = response.content.decode()
    message = zh("No such case in the halls of this meeting.")
    assert zh("Line %(line)d (%(number)s): %(message)s", line=2, number="440229-2099-99999", message=message) in content
    assert has_error(content, "cases") and has_error(content, "lead_department")
    assert counts() == before


def test_invited_department_accepts_and_declines_through_the_page(demo: dict[str, Hall]) -> None:
    meeting = convene_city_meeting()
    invitation = meeting.invitations.get(department=dept("wengyuan/rsj"))
    client = client_for("wengyuan_rsj", "wengyuan")
    page = client.get(f"/meetings/{meeting.pk}/").content.decode()
    assert f'name="invitation" value="{invitation.pk}"' in page

    refused = client.post(f"/meetings/{meeting.pk}/respond/", {"invitation": invitation.pk, "response": "declined"})
    assert refused.status_code == 400
    assert zh("Say why you decline.") in refused.content.decode()
    invitation.refresh_from_db()
    assert invitation.response == "pending"

    accepted = client.post(f"/meetings/{meeting.pk}/respond/", {"invitation": invitation.pk, "response": "accepted"})
    assert accepted.status_code == 302
    invitation.refresh_from_db()
    assert invitation.response == "accepted"

    # another department's invitation is not theirs: 404, nothing changed
    other = meeting.invitations.get(department=dept("nanxiong/rsj"))
    assert (
        client.post(f"/meetings/{meeting.pk}/respond/", {"invitation": other.pk, "response": "accepted"}).status_code
        == 404
    )
    other.refresh_from_db()
    assert other.response == "pending"


def minutes_data(meeting: JointMeeting, **rows: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "version": meeting.version,
        "rows": 3,
        "minutes": "会议议定如下",
        "outcome": "由两县人社局分别核实，市人社局统筹",
    }
    data.update(rows)
    return data


def test_minutes_with_resolutions_then_done_then_closed(demo: dict[str, Hall]) -> None:
    case = register("wengyuan")
    meeting = convene_city_meeting(case.number)
    supervisor = client_for("shaoguan_supervisor", None)
    form_page = supervisor.get(f"/meetings/{meeting.pk}/minutes/").content.decode()
    assert 'name="resolutions-2-days"' in form_page
    more = supervisor.post(f"/meetings/{meeting.pk}/minutes/", {**minutes_data(meeting), "more": "1"})
    assert 'name="resolutions-5-days"' in more.content.decode()
    assert 'class="errorlist"' not in more.content.decode()

    response = supervisor.post(
        f"/meetings/{meeting.pk}/minutes/",
        minutes_data(
            meeting,
            **{
                "resolutions-0-owner_department": dept("wengyuan/rsj").pk,
                "resolutions-0-action": "核实参保记录",
                "resolutions-0-days": "2",
                "resolutions-2-owner_department": dept("shaoguan/rsj").pk,
                "resolutions-2-action": "统筹出具转移证明",
                "resolutions-2-days": "5",
            },
        ),
    )

    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.HELD
    first, second = meeting.resolutions.order_by("number")
    assert (first.owner_department, first.days, second.owner_department, second.days) == (
        dept("wengyuan/rsj"), 2, dept("shaoguan/rsj"), 5,
    )  # fmt: skip
    detail = supervisor.get(f"/meetings/{meeting.pk}/").content.decode()
    assert "dl dl-green" in detail and first.number in detail
    assert f'action="/meetings/{meeting.pk}/close/"' not in detail  # resolutions still open

    handler = client_for("wengyuan_rsj", "wengyuan")
    assert (
        f'action="/meetings/resolutions/{first.pk}/done/"' in handler.get(f"/meetings/{meeting.pk}/").content.decode()
    )
    assert first.number in handler.get("/meetings/resolutions/").content.decode()
    empty = handler.post(f"/meetings/resolutions/{first.pk}/done/", {"version": first.version, "report": ""})
    assert empty.status_code == 400 and zh("Say what was done.") in empty.content.decode()
    assert handler.post(f"/meetings/resolutions/{second.pk}/done/", {"version": 1, "report": "x"}).status_code == 404
    assert (
        handler.post(
            f"/meetings/resolutions/{first.pk}/done/", {"version": first.version, "report": "已核实并更正"}
        ).status_code
        == 302
    )
    city = client_for("shaoguan_rsj", None)
    assert city.post(f"/meetings/resolutions/{second.pk}/done/", {"version": 1, "report": "已出具"}).status_code == 302

    closed = supervisor.post(f"/meetings/{meeting.pk}/close/", {"version": meeting.version})
    assert closed.status_code == 302
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.CLOSED
    use_hall_schema(hall("wengyuan"))
    kinds = set(CaseEvent.objects.filter(case_id=case.pk).values_list("kind", flat=True))
    use_public_schema()
    assert {"meeting_convened", "meeting_held", "resolution_done", "meeting_closed"} <= kinds


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ({"resolutions-1-action": "核实", "resolutions-1-days": "2"}, "resolutions-1-owner_department"),
        ({"resolutions-1-owner_department": "OWNER", "resolutions-1-action": "核实"}, "resolutions-1-days"),
        (
            {"resolutions-1-owner_department": "OWNER", "resolutions-1-action": "核实", "resolutions-1-days": "99"},
            "resolutions-1-days",
        ),
        (
            {"resolutions-1-owner_department": "OTHER", "resolutions-1-action": "核实", "resolutions-1-days": "2"},
            "resolutions-1-owner_department",
        ),
    ],
)
def test_bad_resolution_is_shown_on_its_row_and_nothing_is_saved(
    demo: dict[str, Hall], row: dict[str, str], field: str
) -> None:
    meeting = convene_city_meeting()
    ids = {"OWNER": str(dept("wengyuan/rsj").pk), "OTHER": str(dept("qingyuan/rsj").pk)}
    row = {key: ids.get(value, value) for key, value in row.items()}

    response = client_for("shaoguan_supervisor", None).post(
        f"/meetings/{meeting.pk}/minutes/", minutes_data(meeting, **row)
    )

    content = response.content.decode()
    assert response.status_code == 400
    cell = content[content.index(f'name="{field}"') :]
    assert 'class="errorlist"' in cell[: cell.index("</td>")]
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.CONVENED and meeting.minutes == ""
    assert MeetingResolution.objects.filter(meeting=meeting).count() == 0


def test_a_stale_version_changes_nothing(demo: dict[str, Hall]) -> None:
    meeting = convene_city_meeting()
    data = minutes_data(meeting, **{"resolutions-0-owner_department": dept("wengyuan/rsj").pk,
                                    "resolutions-0-action": "核实", "resolutions-0-days": "2"})  # fmt: skip
    data["version"] = meeting.version + 1

    response = client_for("shaoguan_supervisor", None).post(f"/meetings/{meeting.pk}/minutes/", data, follow=True)

    assert zh("Someone else changed this %(noun)s meanwhile; reload it and try again.", noun=zh("meeting")) in (
        response.content.decode()
    )
    assert MeetingResolution.objects.filter(meeting=meeting).count() == 0


def test_print_views_render_without_navigation_or_personal_data(demo: dict[str, Hall]) -> None:
    case = register("wengyuan")
    meeting = convene_city_meeting(f"{case.number} | 跨县参保")
    client = client_for("shaoguan_supervisor", None)
    client.post(
        f"/meetings/{meeting.pk}/minutes/",
        minutes_data(meeting, **{"resolutions-0-owner_department": dept("wengyuan/rsj").pk,
                                 "resolutions-0-action": "核实", "resolutions-0-days": "2"}),
    )  # fmt: skip

    for path in [f"/meetings/{meeting.pk}/print/notice/", f"/meetings/{meeting.pk}/print/minutes/"]:
        response = client.get(path)
        content = response.content.decode()
        assert response.status_code == 200, path
        assert "city-print" in content and 'class="top"' not in content
        assert meeting.number in content and case.number in content
        assert no_personal_data(response.content)
    assert "核实" in client.get(f"/meetings/{meeting.pk}/print/minutes/").content.decode()


def test_meetings_of_one_city_are_invisible_to_another(demo: dict[str, Hall]) -> None:
    meeting = convene_city_meeting()
    paths = [
        f"/meetings/{meeting.pk}/",
        f"/meetings/{meeting.pk}/minutes/",
        f"/meetings/{meeting.pk}/print/notice/",
        f"/meetings/{meeting.pk}/print/minutes/",
    ]
    for username, code in [("qingyuan_supervisor", None), ("qingyuan_rsj", None), ("qingcheng_lead", "qingcheng")]:
        client = client_for(username, code)
        for path in paths:
            assert client.get(path).status_code == 404, (username, path)
        assert client.post(f"/meetings/{meeting.pk}/close/", {"version": 1}).status_code == 404
        assert meeting.number not in client.get("/meetings/").content.decode()
    # a hall lead of Shaoguan whose hall is not involved sees nothing of it either
    staff_create(username="lechang_lead", password="x", kind="hall_lead", hall_code="lechang", check_password=False)
    assert client_for("lechang_lead", "lechang").get(f"/meetings/{meeting.pk}/").status_code == 404


def test_window_staff_cannot_convene_and_departments_cannot_record_minutes(demo: dict[str, Hall]) -> None:
    meeting = convene_city_meeting()
    assert client_for("wengyuan_window", "wengyuan").get("/meetings/new/").status_code == 404
    assert client_for("wengyuan_rsj", "wengyuan").get("/meetings/new/").status_code == 404
    assert client_for("wengyuan_rsj", "wengyuan").get(f"/meetings/{meeting.pk}/minutes/").status_code == 404
    # a hall lead may not record the minutes of a city meeting
    assert client_for("wengyuan_lead", "wengyuan").get(f"/meetings/{meeting.pk}/minutes/").status_code == 404


def test_minutes_print_answers_every_reader_when_departments_and_halls_answered(demo: dict[str, Hall]) -> None:
    """An accepted department invitation (no hall) and a declined hall invitation (no department)
    both show on the 会议纪要, for every role that may read it."""
    meeting = convene_city_meeting()
    meeting.invitations.filter(department=dept("wengyuan/rsj")).update(response="accepted")
    meeting.invitations.filter(hall=hall("nanxiong")).update(response="declined", response_note="另有会议")
    readers = [
        ("shaoguan_supervisor", None),
        ("shaoguan_rsj", None),
        ("wengyuan_rsj", "wengyuan"),
        ("wengyuan_lead", "wengyuan"),
        ("wengyuan_window", "wengyuan"),
    ]
    for username, code in readers:
        response = client_for(username, code).get(f"/meetings/{meeting.pk}/print/minutes/")
        content = response.content.decode()
        assert response.status_code == 200, (username, response.content[:2000])
        assert dept("wengyuan/rsj").name in content and hall("nanxiong").name in content, username
        assert "另有会议" in content
