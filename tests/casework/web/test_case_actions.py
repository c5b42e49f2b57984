"""The steps on the case page: each a POST carrying the case's version (casework/web/views.py: case_action)."""

from __future__ import annotations

import re
from typing import Any

from django.test import Client
from django.utils import timezone

from casework.choices import CaseStatus, SlipStatus
from casework.models import Case, CaseEvent, TransferSlip
from casework.services import (
    SlipDraft,
    case_answer_on_spot,
    case_sms_opt_out_set,
    case_transfer,
    slip_reply,
    slip_return,
)
from tenants.models import Hall
from tests.casework.web.conftest import department, in_hall, zh
from tests.conftest import client_for, user


def window() -> Client:
    return client_for("wengyuan_window", "wengyuan")


def post(client: Client, case: Case, action: str, data: dict[str, Any], *, follow: bool = True) -> Any:
    return client.post(f"/cases/{case.pk}/{action}/", {"version": case.version, **data}, follow=follow)


def reload(case: Case, hall: Hall) -> Case:
    in_hall(hall)
    return Case.objects.get(pk=case.pk)


def transferred(case: Case, *codes: str) -> Case:
    case_transfer(
        case=case,
        actor=user("wengyuan_window"),
        category="hard_to_do",
        slips=[SlipDraft(department_id=department(code).pk, request="请核实") for code in codes],
    )
    return Case.objects.get(pk=case.pk)


def test_screen_out(case: Case, wengyuan: Hall) -> None:
    response = post(window(), case, "screen-out", {"reason": "petition", "referral": "县信访局", "confirm": "1"})

    case = reload(case, wengyuan)
    assert case.status == CaseStatus.NOT_ACCEPTED and case.referral == "县信访局"
    assert zh("The case is recorded as not accepted, with the referral.") in response.content.decode()


def test_answer_on_the_spot_then_follow_up_and_close(case: Case, wengyuan: Hall) -> None:
    client = window()
    post(client, case, "answer", {"category": "consultation", "answer": "请携带户口簿到3号窗口办理"})
    case = reload(case, wengyuan)
    assert case.status == CaseStatus.ANSWERED

    post(
        client,
        case,
        "follow-up",
        {"method": "phone", "date": timezone.localdate().isoformat(), "satisfaction": "satisfied"},
    )
    case = reload(case, wengyuan)
    assert case.status == CaseStatus.FOLLOWED_UP and case.satisfaction == "satisfied"

    response = post(client, case, "close", {"note": "归档", "confirm": "1"})
    case = reload(case, wengyuan)
    assert case.status == CaseStatus.CLOSED
    assert zh("The case is closed.") in response.content.decode()

    notice = client.get(f"/cases/{case.pk}/print/notice/").content.decode()
    assert "请携带户口簿到3号窗口办理" in notice and case.number in notice


def test_transfer_to_two_departments_then_feedback_and_reopen(case: Case, wengyuan: Hall) -> None:
    client = window()
    county, city = department("wengyuan/rsj"), department("shaoguan/rsj")

    response = post(
        client,
        case,
        "transfer",
        {
            "category": "hard_to_do",
            "department": [county.pk, city.pk],
            f"request_{county.pk}": "核实参保记录",
            f"complexity_{county.pk}": "ordinary",
            f"request_{city.pk}": "协调跨县转移",
            f"complexity_{city.pk}": "complex",
            f"request_{department('wengyuan/bdc').pk}": "not chosen, ignored",
            "coordination_note": "容缺受理",
        },
    )

    case = reload(case, wengyuan)
    assert case.status == CaseStatus.TRANSFERRED and case.complexity == "complex"
    slips = {s.department_id: s for s in TransferSlip.objects.filter(case=case)}
    assert set(slips) == {county.pk, city.pk}
    assert slips[city.pk].request == "协调跨县转移" and slips[city.pk].complexity == "complex"
    assert zh("The case is transferred.") in response.content.decode()

    slip_reply(slip=slips[county.pk], actor=user("wengyuan_rsj"), result="done", reply="已核实")
    slip_reply(slip=slips[city.pk], actor=user("shaoguan_rsj"), result="done", reply="已协调")
    case = reload(case, wengyuan)
    assert case.status == CaseStatus.REPLIED
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert f'action="/cases/{case.pk}/feedback/"' in page

    post(client, case, "feedback", {"method": "phone", "content": "已电话告知办结", "send_sms": "on"})
    case = reload(case, wengyuan)
    assert case.status == CaseStatus.FED_BACK and case.feedback_content == "已电话告知办结"

    post(
        client,
        case,
        "follow-up",
        {"method": "phone", "date": timezone.localdate().isoformat(), "satisfaction": "dissatisfied"},
    )
    case = reload(case, wengyuan)
    post(client, case, "reopen", {"reason": "群众仍不满意"})
    case = reload(case, wengyuan)
    assert case.status == CaseStatus.REOPENED and case.reopened_count == 1


def test_transfer_refusal_shows_the_error_on_the_department_row(case: Case, wengyuan: Hall) -> None:
    county = department("wengyuan/rsj")

    response = post(window(), case, "transfer", {"category": "hard_to_do", "department": [county.pk]}, follow=False)

    assert response.status_code == 200
    assert "请填写转办事项及要求。" in response.content.decode()
    assert f'id="transfer_department_{county.pk}" checked' in response.content.decode()
    case = reload(case, wengyuan)
    assert case.status == CaseStatus.REGISTERED and not TransferSlip.objects.exists()


def test_reroute_a_returned_slip(case: Case, wengyuan: Hall) -> None:
    case = transferred(case, "shaoguan/rsj")
    slip = TransferSlip.objects.get(case=case)
    slip_return(slip=slip, actor=user("shaoguan_rsj"), reason="属县级事权")
    case = reload(case, wengyuan)
    slip.refresh_from_db()
    client = window()
    assert f'action="/cases/{case.pk}/reroute/"' in client.get(f"/cases/{case.pk}/").content.decode()
    target = department("wengyuan/rsj")

    post(
        client,
        case,
        "reroute",
        {
            "slip": slip.pk,
            "slip_version": slip.version,
            "department": target.pk,
            "request": "请核实",
            "complexity": "ordinary",
        },
    )

    in_hall(wengyuan)
    slip.refresh_from_db()
    assert slip.status == SlipStatus.REROUTED
    assert TransferSlip.objects.get(rerouted_from=slip).department_id == target.pk


def test_materials_received(case: Case, wengyuan: Hall) -> None:
    case = transferred(case, "wengyuan/rsj")
    slip = TransferSlip.objects.get(case=case)
    slip_reply(slip=slip, actor=user("wengyuan_rsj"), result="supplement", reply="缺材料", supplement_note="户口簿")
    case = reload(case, wengyuan)
    assert case.status == CaseStatus.AWAITING_SUPPLEMENT

    post(window(), case, "supplement", {"note": "已补户口簿"})

    case = reload(case, wengyuan)
    assert case.status == CaseStatus.TRANSFERRED


def test_sms_opt_out_toggle(case: Case, wengyuan: Hall) -> None:
    post(window(), case, "sms-opt-out", {"opt_out": "on"})
    assert reload(case, wengyuan).sms_opt_out

    case = reload(case, wengyuan)
    answered = case_answer_on_spot(case=case, actor=user("wengyuan_window"), category="consultation", answer="x")
    assert answered.sms_opt_out


def test_feedback_sms_checkbox_is_disabled_when_the_person_opted_out(case: Case, wengyuan: Hall) -> None:
    case = transferred(case, "wengyuan/rsj")
    case_sms_opt_out_set(case=case, actor=user("wengyuan_window"), opt_out=True)
    slip_reply(slip=TransferSlip.objects.get(case=case), actor=user("wengyuan_rsj"), result="done", reply="ok")

    page = window().get(f"/cases/{case.pk}/").content.decode()

    checkbox = re.search(r'<input type="checkbox" name="send_sms"[^>]*>', page)
    assert checkbox is not None and " disabled" in checkbox.group(0)


def test_a_stale_version_is_a_conflict_and_changes_nothing(case: Case, wengyuan: Hall) -> None:
    stale = case.version
    case_sms_opt_out_set(case=case, actor=user("wengyuan_lead"), opt_out=True)
    events = CaseEvent.objects.count()

    response = window().post(
        f"/cases/{case.pk}/answer/", {"version": stale, "category": "consultation", "answer": "x"}, follow=True
    )

    assert response.redirect_chain == [(f"/cases/{case.pk}/", 302)]
    assert "该案件已被他人修改，请刷新后重试。" in response.content.decode()
    case = reload(case, wengyuan)
    assert case.status == CaseStatus.REGISTERED and case.answer == ""
    assert CaseEvent.objects.count() == events


def test_a_step_impossible_in_the_status_is_refused_and_changes_nothing(case: Case, wengyuan: Hall) -> None:
    events = CaseEvent.objects.count()

    response = post(window(), case, "close", {})

    assert "案件处于“已登记”状态，不能进行此操作。" in response.content.decode()
    case = reload(case, wengyuan)
    assert case.status == CaseStatus.REGISTERED and CaseEvent.objects.count() == events


def test_field_errors_are_shown_next_to_the_fields(case: Case, wengyuan: Hall) -> None:
    response = post(window(), case, "answer", {"category": "cannot_do", "answer": "不能办"}, follow=False)

    assert response.status_code == 200
    content = response.content.decode()
    assert "请记录无法办理的政策依据。" in content
    assert 'value="cannot_do" id="answer_category_1" checked' in content  # what was chosen stays
    assert reload(case, wengyuan).status == CaseStatus.REGISTERED


def test_the_city_supervisor_cannot_post_steps(case: Case, wengyuan: Hall) -> None:
    response = post(
        client_for("shaoguan_supervisor", "wengyuan"), case, "answer", {"category": "consultation", "answer": "x"}
    )

    assert response.status_code == 404
    assert reload(case, wengyuan).status == CaseStatus.REGISTERED
