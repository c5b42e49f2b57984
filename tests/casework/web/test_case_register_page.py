"""Registration on the 登记表 page, and finding earlier cases of the same person."""

from __future__ import annotations

from typing import Any

from casework.choices import CaseStatus
from casework.models import Case, CaseEvent, CaseNumberSequence
from tenants.models import Hall
from tests.casework.api.test_errors import PHONE_MESSAGE
from tests.casework.test_case_register import ID_NUMBER
from tests.casework.web.conftest import in_hall, zh
from tests.conftest import client_for


def filled(**changes: Any) -> dict[str, Any]:
    data = {
        "channel": "on_site",
        "applicant_kind": "person",
        "applicant_name": "王五",
        "phone": "139 2222 3333",
        "document_type": "resident_id",
        "document_number": ID_NUMBER,
        "address": "翁源县龙仙镇建设路2号",
        "matter_name": "不动产登记",
        "problem": "材料齐全但未受理",
        "acceptance_note": "现场登记",
        "remarks": "",
    }
    data.update(changes)
    return data


def test_registration_saves_the_case_and_opens_its_page(wengyuan: Hall) -> None:
    client = client_for("wengyuan_window", "wengyuan")

    response = client.post("/cases/new/", filled(sms_opt_out="on"), follow=True)

    in_hall(wengyuan)
    case = Case.objects.get()
    assert response.redirect_chain == [(f"/cases/{case.pk}/", 302)]
    assert case.status == CaseStatus.REGISTERED
    assert case.applicant_name == "王五" and case.phone == "13922223333" and case.sms_opt_out
    content = response.content.decode()
    assert zh("Case %(number)s is registered.", number=case.number) in content
    assert "139****3333" in content and "13922223333" not in content


def test_a_refused_registration_shows_the_errors_in_chinese_and_saves_nothing(wengyuan: Hall) -> None:
    client = client_for("wengyuan_window", "wengyuan")

    response = client.post(
        "/cases/new/", filled(applicant_name="", phone="12345", document_number="110105194912310021")
    )

    assert response.status_code == 200
    content = response.content.decode()
    assert "申请人为必填项。" in content  # the words of the field's label
    assert zh(PHONE_MESSAGE) in content
    assert "校验码（最后一位）不符，请核对号码。" in content
    assert 'value="不动产登记"' in content  # what was typed stays
    in_hall(wengyuan)
    assert Case.objects.count() == 0
    assert CaseEvent.objects.count() == 0
    assert not CaseNumberSequence.objects.filter(last__gt=0).exists()


def cell_of(content: str, name: str) -> str:
    """The table cell holding the input ``name`` on the 登记表, with its errors."""
    start = content.rindex("<td", 0, content.index(f'name="{name}"'))
    return content[start : content.index("</td>", start)]


def test_empty_required_fields_are_named_with_the_words_of_their_labels(wengyuan: Hall) -> None:
    response = client_for("wengyuan_window", "wengyuan").post(
        "/cases/new/", filled(applicant_name="", phone="", document_number="", matter_name="", problem=" ")
    )

    content = response.content.decode()
    assert response.status_code == 200
    assert "申请人为必填项。" in cell_of(content, "applicant_name")
    assert "联系电话为必填项。" in cell_of(content, "phone")
    assert "证件号码为必填项。" in cell_of(content, "document_number")
    assert "事项名称为必填项。" in cell_of(content, "matter_name")
    assert "问题反馈为必填项。" in cell_of(content, "problem")
    # an empty number is missing, not a number of the wrong length
    errors = "".join(part.split("</ul>")[0] for part in content.split('class="errorlist"')[1:])
    assert "当前为0位" not in errors and "办事人" not in errors and "办理事项" not in errors
    in_hall(wengyuan)
    assert Case.objects.count() == 0


def test_an_enterprise_needs_its_name(wengyuan: Hall) -> None:
    response = client_for("wengyuan_lead", "wengyuan").post("/cases/new/", filled(applicant_kind="enterprise"))

    assert zh("%(field)s is required.") % {"field": zh("Enterprise name")} in response.content.decode()
    in_hall(wengyuan)
    assert Case.objects.count() == 0


def test_lookup_finds_earlier_cases_of_the_same_person_masked(case: Case) -> None:
    client = client_for("wengyuan_window", "wengyuan")

    by_phone = client.get("/cases/lookup/", {"phone": "138-1234-5678"}, HTTP_HX_REQUEST="true")
    by_document = client.get(
        "/cases/lookup/", {"phone": "", "document_type": "resident_id", "document_number": ID_NUMBER}
    )
    nobody = client.get("/cases/lookup/", {"phone": "13700000000"})
    nothing_typed = client.get("/cases/lookup/", {"phone": "138"})

    for response in (by_phone, by_document):
        content = response.content.decode()
        assert case.number in content
        assert zh("Earlier cases of this person: %(total)s", total=1) in content
        assert "张*" in content and "张三" not in content and "13812345678" not in content
        assert "<html" not in content  # a partial
    assert case.number not in nobody.content.decode()
    assert zh("No earlier cases of this person.") in nobody.content.decode()
    assert nothing_typed.content.decode().strip() == ""


def test_case_page_shows_earlier_cases_of_the_person(case: Case, wengyuan: Hall) -> None:
    client = client_for("wengyuan_window", "wengyuan")
    client.post("/cases/new/", filled(phone="13812345678"))
    in_hall(wengyuan)
    second = Case.objects.exclude(pk=case.pk).get()

    content = client.get(f"/cases/{second.pk}/").content.decode()

    assert zh("Earlier cases of this person: %(total)s", total=1) in content
    assert f'href="/cases/{case.pk}/"' in content


def test_required_fields_are_marked_for_eyes_and_for_screen_readers(wengyuan: Hall) -> None:
    content = client_for("wengyuan_window", "wengyuan").get("/cases/new/").content.decode()

    for name in ["applicant_name", "phone", "document_number", "matter_name", "problem"]:
        tag = content[content.index(f'name="{name}"') :]
        assert " required" in tag[: tag.index(">")], name  # announced by screen readers
        label = content[content.rindex("<th", 0, content.index(f'name="{name}"')) :]
        assert 'class="req"' in label[: label.index("</th>")], name  # the visible mark
    for name in ["address", "acceptance_note", "remarks"]:
        tag = content[content.index(f'name="{name}"') :]
        assert " required" not in tag[: tag.index(">")], name
    assert zh("Fields marked * are required.") in content
    # the page still shows the service's refusals instead of the browser's
    assert "novalidate" in content
