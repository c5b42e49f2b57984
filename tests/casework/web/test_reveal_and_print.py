"""Showing personal data unmasked (audited) and the print views (登记表, 一次性告知单)."""

from __future__ import annotations

from casework.models import Case, CaseEvent
from casework.services import case_answer_on_spot, case_register
from hallplatform.accounts.services import staff_create
from hallplatform.audit.models import AuditEvent
from tenants.models import Hall
from tests.casework.test_case_register import form
from tests.casework.web.conftest import in_hall, zh
from tests.conftest import client_for, user


def reveals(case: Case) -> list[str]:
    return list(CaseEvent.objects.filter(case=case, kind="revealed").values_list("changes__field", flat=True))


def test_reveal_shows_the_value_and_is_recorded(case: Case, wengyuan: Hall) -> None:
    client = client_for("wengyuan_window", "wengyuan")
    page = client.get(f"/cases/{case.pk}/").content.decode()
    # name, phone, ID number, address, and the free texts (notes, answers, requests)
    assert page.count(f'action="/cases/{case.pk}/reveal/"') == 5

    response = client.post(f"/cases/{case.pk}/reveal/", {"field": "phone"}, HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert "13812345678" in response.content.decode() and "<html" not in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    in_hall(wengyuan)
    assert reveals(case) == ["phone"]
    audit = AuditEvent.objects.get(action="case.reveal")
    assert audit.actor == user("wengyuan_window") and audit.target_id == str(case.pk)
    assert audit.changes == {"field": "phone", "ip": "127.0.0.1", "user_agent": ""}  # and where from


def test_reveal_without_htmx_shows_the_case_page_with_the_value(case: Case, wengyuan: Hall) -> None:
    response = client_for("wengyuan_lead", "wengyuan").post(f"/cases/{case.pk}/reveal/", {"field": "document_number"})

    content = response.content.decode()
    assert "11010519491231002X" in content and "13812345678" not in content
    in_hall(wengyuan)
    assert reveals(case) == ["document_number"]


def test_staff_without_the_permission_are_not_offered_reveal_and_are_refused(case: Case, wengyuan: Hall) -> None:
    staff_create(
        username="wengyuan_trainee", password="x", kind="window_staff", hall_code="wengyuan", check_password=False
    )
    client = client_for("wengyuan_trainee", "wengyuan")
    assert f'action="/cases/{case.pk}/reveal/"' not in client.get(f"/cases/{case.pk}/").content.decode()

    response = client.post(f"/cases/{case.pk}/reveal/", {"field": "phone"}, HTTP_HX_REQUEST="true")
    page = client.post(f"/cases/{case.pk}/reveal/", {"field": "phone"})

    assert response.status_code == 403 and page.status_code == 403
    assert "13812345678" not in response.content.decode() + page.content.decode()
    assert "您无权查看该办事人的个人信息明文。" in page.content.decode()
    in_hall(wengyuan)
    assert reveals(case) == []
    assert not AuditEvent.objects.filter(action="case.reveal").exists()


def test_an_unknown_field_is_refused(case: Case, wengyuan: Hall) -> None:
    response = client_for("wengyuan_window", "wengyuan").post(f"/cases/{case.pk}/reveal/", {"field": "problem"})

    assert response.status_code == 400
    in_hall(wengyuan)
    assert reveals(case) == []


def test_the_registration_form_prints_masked(case: Case, wengyuan: Hall) -> None:
    response = client_for("wengyuan_window", "wengyuan").get(f"/cases/{case.pk}/print/registration/")

    content = response.content.decode()
    assert "翁源县政务服务中心" in content and case.number in content
    assert "张*" in content and "138****5678" in content and "110***********002X" in content
    assert "张三" not in content and "13812345678" not in content
    assert 'class="top"' not in content  # no navigation on the print page
    in_hall(wengyuan)
    assert reveals(case) == []


def test_the_registration_form_prints_unmasked_only_for_who_may_and_records_each_field(
    case: Case, wengyuan: Hall
) -> None:
    response = client_for("wengyuan_window", "wengyuan").get(f"/cases/{case.pk}/print/registration/?reveal=1")
    refused = client_for("shaoguan_supervisor", "wengyuan").get(f"/cases/{case.pk}/print/registration/?reveal=1")

    content = response.content.decode()
    assert "张三" in content and "13812345678" in content and "11010519491231002X" in content
    assert refused.status_code == 403 and "13812345678" not in refused.content.decode()
    in_hall(wengyuan)
    # each personal field, and the free texts in one reveal
    assert sorted(reveals(case)) == sorted(["applicant_name", "phone", "document_number", "address", "free_text"])
    assert AuditEvent.objects.filter(action="case.reveal").count() == 5


def test_the_one_time_notice(case: Case, wengyuan: Hall) -> None:
    case_answer_on_spot(
        case=case,
        actor=user("wengyuan_window"),
        category="cannot_do",
        answer="该事项须本人办理",
        policy_basis="《社会保障卡管理办法》",
    )

    content = client_for("wengyuan_lead", "wengyuan").get(f"/cases/{case.pk}/print/notice/").content.decode()

    assert "翁源县政务服务中心" in content and case.number in content and "社保卡补办" in content
    assert "该事项须本人办理" in content and "《社会保障卡管理办法》" in content
    assert "张三" not in content and "张*" not in content  # the person holds it: no name, even masked
    assert zh("To the applicant:") in content
    assert zh("One-time notice") in content
    assert 'class="seal-box"' in content and zh("(hall seal)") in content
    assert zh("Hall phone") not in content  # the hall has none set yet


def test_the_one_time_notice_gives_the_halls_phone_and_address(case: Case, wengyuan: Hall) -> None:
    Hall.objects.filter(pk=wengyuan.pk).update(phone="0751-2812345", address="翁源县龙仙镇建设一路8号")

    content = client_for("wengyuan_window", "wengyuan").get(f"/cases/{case.pk}/print/notice/").content.decode()

    assert zh("Hall phone") in content and "0751-2812345" in content
    assert "翁源县龙仙镇建设一路8号" in content


def test_the_one_time_notice_of_an_enterprise_is_addressed_to_it(wengyuan: Hall) -> None:
    case = case_register(
        hall=wengyuan,
        actor=user("wengyuan_window"),
        data=form(applicant_kind="enterprise", enterprise_name="翁源县华南建材有限公司"),
    )

    content = client_for("wengyuan_window", "wengyuan").get(f"/cases/{case.pk}/print/notice/").content.decode()

    assert zh("To %(name)s:", name="翁源县华南建材有限公司") in content
    assert "张三" not in content and "张*" not in content
