"""The window's pages (casework/web/views.py): who sees them, the list, the case page."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from casework.choices import HandlingCategory
from casework.models import Case
from casework.services import SlipDraft, case_register, case_transfer
from hallplatform.accounts.services import staff_create
from tenants.models import Hall
from tests.casework.test_case_register import form
from tests.casework.web.conftest import department, in_hall
from tests.conftest import client_for, user

READERS = ["wengyuan_window", "wengyuan_lead", "shaoguan_supervisor"]


def case_paths(case: Case) -> list[str]:
    return [
        f"/cases/{case.pk}/",
        f"/cases/{case.pk}/print/registration/",
        f"/cases/{case.pk}/print/notice/",
    ]


@pytest.mark.parametrize("username", READERS)
def test_hall_roles_and_the_city_supervisor_see_the_pages(case: Case, username: str) -> None:
    client = client_for(username, "wengyuan")

    for path in ["/cases/", *case_paths(case)]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert "张三".encode() not in response.content, path  # the name is masked
        assert b"13812345678" not in response.content, path


def test_registration_page_is_for_the_window_and_the_lead(case: Case) -> None:
    assert client_for("wengyuan_window", "wengyuan").get("/cases/new/").status_code == 200
    assert client_for("wengyuan_lead", "wengyuan").get("/cases/new/").status_code == 200
    assert client_for("shaoguan_supervisor", "wengyuan").get("/cases/new/").status_code == 404


def test_supervisor_reads_but_is_offered_no_steps(case: Case) -> None:
    supervisor = client_for("shaoguan_supervisor", "wengyuan").get(f"/cases/{case.pk}/").content.decode()
    staff = client_for("wengyuan_window", "wengyuan").get(f"/cases/{case.pk}/").content.decode()

    for step in ["transfer", "answer", "screen-out", "reveal"]:
        assert f'action="/cases/{case.pk}/{step}/"' not in supervisor
        assert f'action="/cases/{case.pk}/{step}/"' in staff


def test_staff_of_another_hall_and_department_handlers_get_404(case: Case, demo: dict[str, Hall]) -> None:
    staff_create(
        username="nanxiong_window", password="x", kind="window_staff", hall_code="nanxiong", check_password=False
    )
    every = ["/cases/", "/cases/new/", "/cases/lookup/?phone=13812345678", *case_paths(case)]
    for username, host, paths in [
        ("nanxiong_window", "wengyuan", every),
        ("wengyuan_rsj", "wengyuan", every),
        ("nanxiong_window", "nanxiong", case_paths(case)),  # wengyuan's case id on nanxiong's host
    ]:
        client = client_for(username, host)
        for path in paths:
            assert client.get(path).status_code == 404, (username, host, path)
        for action in ["answer", "transfer", "close", "reveal"]:
            assert client.post(f"/cases/{case.pk}/{action}/", {"version": 1}).status_code == 404


def test_the_list_shows_masked_applicant_status_and_deadline_badge(case: Case, wengyuan: Hall) -> None:
    case_transfer(
        case=case,
        actor=user("wengyuan_window"),
        category=HandlingCategory.HARD_TO_DO,
        slips=[SlipDraft(department_id=department("wengyuan/rsj").pk, request="核实参保记录")],
    )

    response = client_for("wengyuan_window", "wengyuan").get("/cases/")

    content = response.content.decode()
    assert case.number in content
    assert "张*" in content
    assert 'class="dl dl-green"' in content
    assert "社保卡补办" in content


def test_the_list_filters(case: Case, wengyuan: Hall) -> None:
    other = case_register(
        hall=wengyuan, actor=user("wengyuan_window"), data=form(phone="13900001111", matter_name="营业执照变更")
    )
    client = client_for("wengyuan_window", "wengyuan")

    by_phone = client.get("/cases/", {"phone": "139 0000 1111"}).content.decode()
    by_matter = client.get("/cases/", {"matter": "社保"}).content.decode()
    by_status = client.get("/cases/", {"status": "closed"}).content.decode()
    by_number = client.get("/cases/", {"number": other.number}).content.decode()

    assert other.number in by_phone and case.number not in by_phone
    assert case.number in by_matter and other.number not in by_matter
    assert case.number not in by_status and other.number not in by_status
    assert other.number in by_number and case.number not in by_number


def _list_queries(client: object) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/cases/")  # type: ignore[attr-defined]
    assert response.status_code == 200
    return len(queries)


def test_the_list_costs_the_same_number_of_queries_for_3_and_12_cases(wengyuan: Hall) -> None:
    window = user("wengyuan_window")
    rsj = department("wengyuan/rsj").pk

    def add(n: int) -> None:
        for i in range(n):
            case = case_register(hall=wengyuan, actor=window, data=form())
            if i % 2:
                case_transfer(
                    case=case,
                    actor=window,
                    category=HandlingCategory.HARD_TO_DO,
                    slips=[SlipDraft(department_id=rsj, request="核实")],
                )

    client = client_for("wengyuan_window", "wengyuan")
    client.get("/cases/")  # warm up: host route and session caches
    in_hall(wengyuan)
    add(3)
    few = _list_queries(client)
    in_hall(wengyuan)
    add(9)
    many = _list_queries(client)

    assert few == many
    assert client.get("/cases/").content.decode().count('class="dl dl-green"') == 5  # 1 of 3, 4 of 9 transferred


def test_case_page_shows_registration_form_deadlines_and_timeline(case: Case, wengyuan: Hall) -> None:
    case_transfer(
        case=case,
        actor=user("wengyuan_window"),
        category=HandlingCategory.HARD_TO_DO,
        slips=[
            SlipDraft(department_id=department("wengyuan/rsj").pk, request="核实参保记录"),
            SlipDraft(department_id=department("shaoguan/rsj").pk, request="协调", complexity="complex"),
        ],
    )

    content = client_for("wengyuan_window", "wengyuan").get(f"/cases/{case.pk}/").content.decode()

    assert "138****5678" in content
    assert "110***********002X" in content
    assert "翁源县人力资源和社会保障局" in content and "韶关市人力资源和社会保障局" in content
    assert content.count('class="dl dl-green"') == 2
    assert "李敏" in content  # who, in the timeline
    assert "已登记" in content and "已转办" in content  # from → to, with the choices' labels
