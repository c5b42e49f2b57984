"""Improvement suggestions (优化意见建议, rule art. 8) through the pages and the API: drafted from a
finding, sent as a notice to the department, answered by it (analytics/services.py: suggestion_send,
suggestion_answer). Every refusal names its field and saves nothing; another city's department, or
another department, gets 404."""

from __future__ import annotations

import re
from typing import Any

import pytest

from analytics.models import ImprovementSuggestion, SuggestionStatus
from analytics.selectors import Scope
from analytics.services import suggestion_send
from casework.services import slip_return
from hallplatform.audit.models import AuditEvent
from hallplatform.schemas import use_hall_schema, use_public_schema
from notifications.models import Notice
from tenants.models import Department, Hall
from tests.casework.api.support import api
from tests.casework.support import dept, draft, register, slips_of, transfer
from tests.conftest import client_for, user


def counts() -> dict[str, int]:
    return {
        "suggestions": ImprovementSuggestion.objects.count(),
        "notices": Notice.objects.count(),
        "audit": AuditEvent.objects.filter(action__startswith="suggestion.").count(),
    }


def state(item: ImprovementSuggestion) -> tuple[Any, ...]:
    fresh = ImprovementSuggestion.objects.get(pk=item.pk)
    return fresh.status, fresh.answer, fresh.answered_by_id, fresh.answered_at


def recipients(kind: str) -> set[str]:
    return {n.recipient_user.username for n in Notice.objects.filter(kind=kind).select_related("recipient_user")}


def sent_by_lead(department: str = "wengyuan/rsj") -> ImprovementSuggestion:
    return suggestion_send(
        actor=user("wengyuan_lead"),
        scope=Scope.of_hall(Hall.objects.get(code="wengyuan")),
        department_id=dept(department).pk,
        finding="社保卡补办反映较多",
        suggestion="优化补办流程",
    )


def form(to: Department | None, **changes: str) -> dict[str, Any]:
    data = {
        "department": str(to.pk) if to else "",
        "matter_key": "社保卡补办",
        "finding": "9月社保卡补办反映4件，较上月增加2件",
        "suggestion": "建议简化补办材料，推行容缺受理",
    }
    data.update(changes)
    return data


# --- Sending, through the pages ---------------------------------------------------------------------


def test_a_hall_lead_drafts_from_a_finding_and_sends(demo: Any) -> None:
    client = client_for("wengyuan_lead", "wengyuan")
    rsj = dept("wengyuan/rsj")
    # the recurring problems link to a form prefilled with the finding
    problems = client.get("/stats/problems/")
    assert problems.status_code == 200
    draft = client.get(f"/stats/suggestions/new/?department={rsj.pk}&matter_key=社保卡补办&finding=反映较多")
    assert draft.status_code == 200
    assert draft.context["form"].initial == {"department": rsj.pk, "matter_key": "社保卡补办", "finding": "反映较多"}
    before = counts()

    response = client.post("/stats/suggestions/new/", form(rsj))

    assert response.status_code == 302 and response["Location"] == "/stats/suggestions/"
    item = ImprovementSuggestion.objects.get()
    assert re.fullmatch(r"YJ-440229-\d{4}-\d{5}", item.number)
    assert (item.hall.code, item.city.code, item.department_id, item.sent_by.username, item.status) == (
        "wengyuan", "shaoguan", rsj.pk, "wengyuan_lead", SuggestionStatus.SENT,
    )  # fmt: skip
    assert (item.matter_key, item.finding, item.suggestion) == (
        "社保卡补办", "9月社保卡补办反映4件，较上月增加2件", "建议简化补办材料，推行容缺受理",
    )  # fmt: skip
    assert recipients("suggestion_sent") == {"wengyuan_rsj", "wengyuan_rsj_lead"}
    assert counts() == {**before, "suggestions": 1, "notices": 2, "audit": 1}
    listed = client.get("/stats/suggestions/")
    assert item.number in listed.content.decode()


def test_the_problems_page_offers_drafts_prefilled_from_its_findings(demo: Any) -> None:
    wengyuan = Hall.objects.get(code="wengyuan")
    use_hall_schema(wengyuan)
    case = transfer(register(wengyuan), draft("wengyuan/rsj"))
    slip_return(slip=slips_of(case)[0], actor=user("wengyuan_rsj"), reason="非本单位职责")
    use_public_schema()
    client = client_for("wengyuan_lead", "wengyuan")

    page = client.get("/stats/problems/")

    hrefs = re.findall(r'href="(/stats/suggestions/new/\?[^"]+)"', page.content.decode())
    links = [href.replace("&amp;", "&") for href in hrefs]
    assert len(links) == 2  # the matter, and the department that returned its slip
    by_department = client.get(next(link for link in links if f"department={dept('wengyuan/rsj').pk}" in link))
    assert by_department.context["form"].initial["department"] == dept("wengyuan/rsj").pk
    assert (
        "returned" in by_department.context["form"].initial["finding"]
        or "退回" in by_department.context["form"].initial["finding"]
    )
    by_matter = client.get(next(link for link in links if "matter_key=" in link))
    assert by_matter.context["form"].initial["matter_key"] == "社保卡补办"
    assert "社保卡补办" in by_matter.context["form"].initial["finding"]


def test_a_supervisor_sends_from_the_city_portal_to_any_department_of_the_city(demo: Any) -> None:
    client = client_for("shaoguan_supervisor", None)
    nanxiong = dept("nanxiong/rsj")

    response = client.post("/stats/suggestions/new/", form(nanxiong))

    assert response.status_code == 302
    item = ImprovementSuggestion.objects.get()
    assert (item.hall.code, item.city.code, item.department_id) == ("shaoguan", "shaoguan", nanxiong.pk)
    assert item.number.startswith("YJ-440200-")


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"department": ""}, {"department"}),
        ({"finding": "  "}, {"finding"}),
        ({"suggestion": ""}, {"suggestion"}),
        ({"department": "", "finding": "", "suggestion": ""}, {"department", "finding", "suggestion"}),
        ({"department": "abc"}, {"department"}),
    ],
)
def test_a_refused_suggestion_names_its_fields_and_saves_nothing(
    demo: Any, changes: dict[str, str], fields: set[str]
) -> None:
    client = client_for("wengyuan_lead", "wengyuan")
    before = counts()

    response = client.post("/stats/suggestions/new/", form(dept("wengyuan/rsj"), **changes))

    assert response.status_code == 400
    assert set(response.context["form"].errors) == fields
    html = response.content.decode()
    for field in fields:
        assert f'id="field-{field}"' in html and "field-invalid" in html
    if changes.get("department") == "":
        assert "请选择本大厅或本市的部门单位。" in html  # the service's message, in Chinese
    assert counts() == before


@pytest.mark.parametrize("department", ["nanxiong/rsj", "qingyuan/rsj", "qingcheng/rsj"])
def test_a_hall_lead_cannot_send_outside_the_hall_and_its_city_departments(demo: Any, department: str) -> None:
    before = counts()

    response = client_for("wengyuan_lead", "wengyuan").post("/stats/suggestions/new/", form(dept(department)))

    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"department"}
    assert counts() == before


def test_a_city_level_department_may_receive_a_hall_leads_suggestion(demo: Any) -> None:
    response = client_for("wengyuan_lead", "wengyuan").post("/stats/suggestions/new/", form(dept("shaoguan/rsj")))

    assert response.status_code == 302
    assert recipients("suggestion_sent") == {"shaoguan_rsj"}


@pytest.mark.parametrize(
    ("username", "code"),
    [
        ("shaoguan_supervisor", "wengyuan"),  # reads the hall's statistics there, sends from the portal
        ("qingyuan_supervisor", None),  # another city's department
        ("wengyuan_window", "wengyuan"),
        ("wengyuan_rsj", "wengyuan"),
        ("wengyuan_rsj", None),
    ],
)
def test_who_may_not_send_gets_404_and_nothing_is_saved(demo: Any, username: str, code: str | None) -> None:
    before = counts()
    department = dept("qingyuan/rsj" if username == "qingyuan_supervisor" else "wengyuan/rsj")
    client = client_for(username, code)

    if username == "qingyuan_supervisor":
        # their own city's departments only: Shaoguan's is refused by name
        response = client.post("/stats/suggestions/new/", form(dept("wengyuan/rsj")))
        assert response.status_code == 400 and set(response.context["form"].errors) == {"department"}
        response = client.post(f"/stats/suggestions/new/?city={Hall.objects.get(code='shaoguan').pk}", form(department))
        assert response.status_code == 404
    else:
        assert client.get("/stats/suggestions/new/").status_code == 404
        assert client.post("/stats/suggestions/new/", form(department)).status_code == 404
    assert counts() == before


def test_texts_are_stored_without_personal_numbers(demo: Any) -> None:
    client_for("wengyuan_lead", "wengyuan").post(
        "/stats/suggestions/new/",
        form(dept("wengyuan/rsj"), finding="群众13812345678多次反映", suggestion="证件11010519491231002X办理"),
    )

    item = ImprovementSuggestion.objects.get()
    assert "13812345678" not in item.finding and "138****5678" in item.finding
    assert "11010519491231002X" not in item.suggestion


# --- Lists -------------------------------------------------------------------------------------------


def test_each_scope_lists_its_own_suggestions(demo: Any) -> None:
    own = sent_by_lead()
    city = suggestion_send(actor=user("shaoguan_supervisor"), scope=Scope.of_city(Hall.objects.get(code="shaoguan")),
                           department_id=dept("nanxiong/rsj").pk, finding="f", suggestion="s")  # fmt: skip
    other = suggestion_send(actor=user("qingyuan_supervisor"), scope=Scope.of_city(Hall.objects.get(code="qingyuan")),
                            department_id=dept("qingyuan/rsj").pk, finding="f", suggestion="s")  # fmt: skip

    def listed(username: str, code: str | None) -> set[str]:
        return {item.number for item in client_for(username, code).get("/stats/suggestions/").context["page"]}

    assert listed("wengyuan_lead", "wengyuan") == {own.number}
    assert listed("shaoguan_supervisor", None) == {own.number, city.number}
    assert listed("qingyuan_supervisor", None) == {other.number}
    assert listed("qingcheng_lead", "qingcheng") == set()


def test_a_department_lists_what_is_addressed_to_it(demo: Any) -> None:
    to_rsj = sent_by_lead("wengyuan/rsj")
    to_city = sent_by_lead("shaoguan/rsj")
    sent_by_lead("wengyuan/scjgj")

    def mine(username: str, code: str | None) -> set[str]:
        response = client_for(username, code).get("/stats/suggestions/mine/")
        assert response.status_code == 200
        return {entry["item"].number for entry in response.context["entries"]}

    assert mine("wengyuan_rsj", "wengyuan") == {to_rsj.number}
    assert mine("wengyuan_rsj", None) == {to_rsj.number}
    assert mine("shaoguan_rsj", "wengyuan") == {to_city.number}
    assert mine("shaoguan_rsj", None) == {to_city.number}
    assert mine("qingyuan_rsj", None) == set()


# --- Answering, through the pages --------------------------------------------------------------------------


def test_the_department_answers_and_the_sender_is_told(demo: Any) -> None:
    item = sent_by_lead()
    client = client_for("wengyuan_rsj", "wengyuan")
    before = counts()

    response = client.post(f"/stats/suggestions/{item.pk}/answer/", {"answer": "  已简化补办材料  "})

    assert response.status_code == 302 and response["Location"] == "/stats/suggestions/mine/"
    status, answer, answered_by, answered_at = state(item)
    assert (status, answer, answered_by) == (SuggestionStatus.ANSWERED, "已简化补办材料", user("wengyuan_rsj").pk)
    assert answered_at is not None
    assert recipients("suggestion_answered") == {"wengyuan_lead"}
    assert counts() == {**before, "notices": before["notices"] + 1, "audit": before["audit"] + 1}
    # the sender sees the answer
    assert "已简化补办材料" in client_for("wengyuan_lead", "wengyuan").get("/stats/suggestions/").content.decode()


def test_a_blank_answer_names_the_field_and_saves_nothing(demo: Any) -> None:
    item = sent_by_lead()
    before, was = counts(), state(item)

    response = client_for("wengyuan_rsj", "wengyuan").post(f"/stats/suggestions/{item.pk}/answer/", {"answer": " "})

    assert response.status_code == 400
    [entry] = [e for e in response.context["entries"] if e["item"].pk == item.pk]
    assert set(entry["form"].errors) == {"answer"}
    assert "请填写部门答复意见。" in response.content.decode()
    assert (counts(), state(item)) == (before, was)


def test_answering_twice_is_refused_and_changes_nothing(demo: Any) -> None:
    item = sent_by_lead()
    client = client_for("wengyuan_rsj_lead", "wengyuan")
    client.post(f"/stats/suggestions/{item.pk}/answer/", {"answer": "第一次答复"})
    before, was = counts(), state(item)

    response = client.post(f"/stats/suggestions/{item.pk}/answer/", {"answer": "第二次答复"})

    assert response.status_code == 409
    assert "该建议已答复。" in response.content.decode()
    assert (counts(), state(item)) == (before, was)


@pytest.mark.parametrize(
    ("username", "code"),
    [
        ("qingyuan_rsj", None),  # a department of another city
        ("wengyuan_rsj", None),  # another department of the same hall (the suggestion is to 市场监管)
        ("wengyuan_rsj", "wengyuan"),
        ("shaoguan_rsj", "wengyuan"),  # a city-level department it is not addressed to
        ("wengyuan_lead", "wengyuan"),  # the sender does not answer
        ("shaoguan_supervisor", None),
    ],
)
def test_who_is_not_the_department_gets_404_and_nothing_changes(demo: Any, username: str, code: str | None) -> None:
    item = sent_by_lead("wengyuan/scjgj")
    before, was = counts(), state(item)

    response = client_for(username, code).post(f"/stats/suggestions/{item.pk}/answer/", {"answer": "答复"})

    assert response.status_code == 404
    assert (counts(), state(item)) == (before, was)


def test_a_department_answers_on_the_base_domain_too(demo: Any) -> None:
    item = sent_by_lead("shaoguan/rsj")

    response = client_for("shaoguan_rsj", None).post(f"/stats/suggestions/{item.pk}/answer/", {"answer": "已推进"})

    assert response.status_code == 302
    assert state(item)[0] == SuggestionStatus.ANSWERED


# --- The same through the API -----------------------------------------------------------------------------


def test_send_and_answer_through_the_api(demo: Any) -> None:
    rsj = dept("wengyuan/rsj")

    created = api("wengyuan_lead").post(
        "/api/v1/stats/suggestions/",
        {"department": rsj.pk, "matter_key": "社保卡补办", "finding": "反映较多", "suggestion": "简化材料"},
    )

    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["department"]["id"], body["hall"]["code"], body["status"], body["answer"]) == (
        rsj.pk, "wengyuan", "sent", "",
    )  # fmt: skip
    listed = api("wengyuan_lead").get("/api/v1/stats/suggestions/").json()
    assert [row["number"] for row in listed["results"]] == [body["number"]]
    mine = api("wengyuan_rsj").get("/api/v1/stats/suggestions/mine/").json()
    assert [row["id"] for row in mine["results"]] == [body["id"]]

    answered = api("wengyuan_rsj").post(f"/api/v1/stats/suggestions/{body['id']}/answer/", {"answer": "已简化"})

    assert answered.status_code == 200
    assert (answered.json()["status"], answered.json()["answer"]) == ("answered", "已简化")
    again = api("wengyuan_rsj").post(f"/api/v1/stats/suggestions/{body['id']}/answer/", {"answer": "再答"})
    assert again.status_code == 409 and again.json()["code"] == "invalid_transition"
    assert ImprovementSuggestion.objects.get().answer == "已简化"


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, {"department", "finding", "suggestion"}),
        ({"department": None, "finding": "f", "suggestion": "s"}, {"department"}),
        ({"department": "x", "finding": "f", "suggestion": "s"}, {"department"}),
        ({"department": "QINGYUAN", "finding": "f", "suggestion": "s"}, {"department"}),
        ({"department": "RSJ", "finding": " ", "suggestion": "s"}, {"finding"}),
    ],
)
def test_api_refusals_name_the_fields_and_save_nothing(demo: Any, body: dict[str, Any], fields: set[str]) -> None:
    body = {**body}
    if body.get("department") == "QINGYUAN":
        body["department"] = dept("qingyuan/rsj").pk
    elif body.get("department") == "RSJ":
        body["department"] = dept("wengyuan/rsj").pk
    before = counts()

    response = api("wengyuan_lead").post("/api/v1/stats/suggestions/", body)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert set(response.json()["fields"]) == fields
    assert counts() == before


def test_api_answers_of_other_departments_are_404(demo: Any) -> None:
    item = sent_by_lead()
    before, was = counts(), state(item)

    for username, code in [("qingyuan_rsj", None), ("wengyuan_window", "wengyuan"), ("shaoguan_rsj", None)]:
        response = api(username, code).post(f"/api/v1/stats/suggestions/{item.pk}/answer/", {"answer": "答复"})
        assert response.status_code == 404
        assert response.json() == {"code": "not_found", "message": response.json()["message"], "fields": {}}
    blank = api("wengyuan_rsj").post(f"/api/v1/stats/suggestions/{item.pk}/answer/", {"answer": ""})
    assert blank.status_code == 400 and set(blank.json()["fields"]) == {"answer"}
    assert (counts(), state(item)) == (before, was)


def test_api_sending_is_for_the_hosts_lead(demo: Any) -> None:
    before = counts()
    body = {"department": dept("wengyuan/rsj").pk, "finding": "f", "suggestion": "s"}

    assert api("shaoguan_supervisor", "wengyuan").post("/api/v1/stats/suggestions/", body).status_code == 404
    assert api("wengyuan_window", "wengyuan").post("/api/v1/stats/suggestions/", body).status_code == 404
    assert api("qingyuan_supervisor", None).post("/api/v1/stats/suggestions/", body).status_code == 400
    assert counts() == before
    assert api("shaoguan_supervisor", None).post("/api/v1/stats/suggestions/", body).status_code == 201
