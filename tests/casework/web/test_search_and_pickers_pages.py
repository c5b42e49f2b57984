"""The header's search box and its page (/cases/search/), the case list's quick filters, the
inbox's new filters, and the searchable pickers' server side (pinyin keys, the meeting form's case
options): casework/web/views.py, coordination/web/views.py, hallplatform/pickers.py."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from casework.models import Case
from casework.services import case_register
from hallplatform.accounts.services import staff_create
from hallplatform.audit.models import AuditEvent
from hallplatform.pickers import picker_keys
from tenants.models import Hall
from tests.casework.test_case_register import form
from tests.casework.web.conftest import department, in_hall, zh
from tests.conftest import client_for, user

OTHER_ID = "440229199001011235"


@pytest.fixture
def li(wengyuan: Hall) -> Case:
    return case_register(
        hall=wengyuan,
        actor=user("wengyuan_window"),
        data=form(applicant_name="李四", phone="13900000000", document_number=OTHER_ID, matter_name="营业执照变更"),
    )


def search(username: str, text: str, host: str = "wengyuan") -> Any:
    return client_for(username, host).post("/cases/search/", {"q": text})


# --- The search box ----------------------------------------------------------------------------------


def test_the_header_has_the_search_box_for_those_who_read_cases(case: Case) -> None:
    for username in ("wengyuan_window", "wengyuan_lead", "shaoguan_supervisor"):
        page = client_for(username, "wengyuan").get("/cases/").content.decode()
        assert 'class="header-search"' in page and 'action="/cases/search/"' in page, username
        assert 'method="post"' in page.split('class="header-search"')[1][:200]
    # a department's staff on the hall's host reads slips, not cases: no box
    inbox = client_for("wengyuan_rsj", "wengyuan").get("/inbox/")
    assert inbox.status_code == 200
    assert b"header-search" not in inbox.content


@pytest.mark.parametrize("username", ["wengyuan_window", "wengyuan_lead", "shaoguan_supervisor"])
def test_search_by_phone_shows_the_masked_case_only(case: Case, li: Case, username: str) -> None:
    response = search(username, "139 0000 0000")

    page = response.content.decode()
    assert response.status_code == 200
    assert li.number in page and case.number not in page
    assert "李*" in page and "李四" not in page
    # the number typed is not shown back, nor anything else personal
    assert "13900000000" not in page and "139 0000 0000" not in page and OTHER_ID not in page


def test_search_by_id_number_number_and_matter_words(case: Case, li: Case) -> None:
    by_id = search("wengyuan_window", OTHER_ID).content.decode()
    by_number = search("wengyuan_window", li.number).content.decode()
    by_words = search("wengyuan_window", "执照").content.decode()

    assert li.number in by_id and case.number not in by_id and OTHER_ID not in by_id
    assert li.number in by_number and case.number not in by_number
    assert li.number in by_words and case.number not in by_words
    assert 'value="执照"' in by_words  # words of a matter are shown back to refine them


def test_search_without_a_match_says_so(case: Case) -> None:
    page = search("wengyuan_window", "户籍迁移").content.decode()
    assert case.number not in page
    assert 'id="search-results"' in page and zh("No cases match.") in page


def test_search_logs_nothing_in_clear_text(li: Case, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        response = search("wengyuan_window", "13900000000")
        search("wengyuan_window", OTHER_ID)

    assert li.number in response.content.decode()
    logged = caplog.text + "".join(str(record.args) for record in caplog.records)
    assert "13900000000" not in logged and OTHER_ID not in logged


def test_search_is_refused_to_roles_without_cases_and_to_other_halls(li: Case, demo: dict[str, Hall]) -> None:
    staff_create(
        username="nanxiong_window", password="x", kind="window_staff", hall_code="nanxiong", check_password=False
    )
    audited = AuditEvent.objects.count()
    for username, host in [("wengyuan_rsj", "wengyuan"), ("nanxiong_window", "wengyuan"), ("shaoguan_rsj", "wengyuan")]:
        response = search(username, "13900000000", host)
        assert response.status_code == 404, (username, host)
        assert li.number.encode() not in response.content
    # on its own host, another hall's window finds nothing of wengyuan's
    own = search("nanxiong_window", "13900000000", "nanxiong")
    assert own.status_code == 200 and li.number.encode() not in own.content
    assert AuditEvent.objects.count() == audited


def test_the_search_page_without_a_query_shows_the_form_only(case: Case) -> None:
    response = client_for("wengyuan_window", "wengyuan").get("/cases/search/")
    assert response.status_code == 200
    assert b'name="q"' in response.content and b"search-results" not in response.content


# --- The list's quick filters ------------------------------------------------------------------------------


def test_the_list_offers_quick_filters_and_applies_them(case: Case, wengyuan: Hall) -> None:
    staff_create(
        username="wengyuan_window2", password="x", kind="window_staff", hall_code="wengyuan", check_password=False
    )
    in_hall(wengyuan)
    theirs = case_register(hall=wengyuan, actor=user("wengyuan_window2"), data=form())
    client = client_for("wengyuan_window", "wengyuan")

    page = client.get("/cases/").content.decode()
    mine = client.get("/cases/", {"mine": "on", "open_only": "on", "sort": "deadline"}).content.decode()
    overdue = client.get("/cases/", {"due": "overdue"}).content.decode()
    oldest = client.get("/cases/", {"sort": "registered"}).content.decode()

    assert 'class="quick-filters"' in page and "due=overdue" in page and "mine=on" in page
    assert case.number in mine and theirs.number not in mine
    assert 'aria-current="page">' in mine
    assert case.number not in overdue and theirs.number not in overdue
    assert oldest.index(case.number) < oldest.index(theirs.number)
    assert page.index(theirs.number) < page.index(case.number)


def test_the_department_filter_offers_the_routable_departments(case: Case) -> None:
    page = client_for("wengyuan_window", "wengyuan").get("/cases/").content.decode()
    select = page[page.index('name="department"') :]
    select = select[: select.index("</select>")]
    assert department("wengyuan/rsj").name in select and department("shaoguan/rsj").name in select
    assert department("nanxiong/rsj").name in select  # another county of the city (异地转办, by default)
    assert department("qingcheng/rsj").name not in select  # another city: never


def test_the_inbox_offers_due_today_and_the_deadline_order(case: Case) -> None:
    client = client_for("wengyuan_rsj", "wengyuan")
    page = client.get("/inbox/").content.decode()
    sorted_page = client.get("/inbox/", {"due_today": "on", "sort": "deadline"})

    assert 'name="due_today"' in page and 'name="sort"' in page
    assert sorted_page.status_code == 200


# --- Pickers ---------------------------------------------------------------------------------------


def test_pinyin_keys_are_the_initials_and_the_full_pinyin() -> None:
    assert picker_keys("人社局") == "rsj rensheju"
    assert picker_keys("翁源县人力资源和社会保障局").split()[0] == "wyxrlzyhshbzj"
    assert picker_keys("国家税务总局ABC税务局").split()[0] == "gjswzjabcswj"
    assert picker_keys("") == ""


def test_the_transfer_picker_carries_pinyin_keys_own_departments_first(case: Case) -> None:
    page = client_for("wengyuan_window", "wengyuan").get(f"/cases/{case.pk}/").content.decode()

    table = page[page.index('data-picker="table"') :]
    table = table[: table.index("</table>")]
    assert 'data-keys="wyxrlzyhshbzj wengyuanxianrenliziyuanheshehuibaozhangju"' in table
    assert table.index(department("wengyuan/rsj").name) < table.index(department("shaoguan/rsj").name)
    assert "hallplatform/picker.js" in page
    # the field names the form posts are those of before
    assert 'name="department"' in table and f'name="request_{department("wengyuan/rsj").pk}"' in table


def test_the_meeting_form_has_pickers_and_the_halls_own_departments_first(case: Case) -> None:
    page = client_for("wengyuan_lead", "wengyuan").get("/meetings/new/").content.decode()

    chosen = page[page.index('name="departments"') :]
    chosen = chosen[: chosen.index("</select>")]
    assert 'data-picker="multiple"' in page and 'data-picker="single"' in page
    assert f'data-keys="{picker_keys(department("wengyuan/rsj").name)}"' in chosen
    assert chosen.index(department("wengyuan/rsj").name) < chosen.index(department("shaoguan/rsj").name)
    assert 'data-case-picker-url="/meetings/new/cases/"' in page


def test_the_meeting_case_options_are_the_conveners_cases(case: Case, demo: dict[str, Hall]) -> None:
    staff_create(
        username="nanxiong_window", password="x", kind="window_staff", hall_code="nanxiong", check_password=False
    )
    in_hall(demo["nanxiong"])
    theirs = case_register(hall=demo["nanxiong"], actor=user("nanxiong_window"), data=form())

    lead = json.loads(client_for("wengyuan_lead", "wengyuan").get("/meetings/new/cases/", {"q": "社保"}).content)
    supervisor = json.loads(client_for("shaoguan_supervisor", None).get("/meetings/new/cases/", {"q": "社保"}).content)
    by_number = json.loads(
        client_for("wengyuan_lead", "wengyuan").get("/meetings/new/cases/", {"q": case.number[-5:]}).content
    )
    too_short = json.loads(client_for("wengyuan_lead", "wengyuan").get("/meetings/new/cases/", {"q": "社"}).content)

    assert [c["number"] for c in lead["cases"]] == [case.number]
    assert lead["cases"][0]["matter"] == "社保卡补办"
    assert set(lead["cases"][0]) == {"number", "matter", "hall", "status"}
    assert {c["number"] for c in supervisor["cases"]} == {case.number, theirs.number}
    assert case.number in [c["number"] for c in by_number["cases"]]
    assert too_short == {"cases": []}
    for username in ("wengyuan_window", "wengyuan_rsj"):
        assert client_for(username, "wengyuan").get("/meetings/new/cases/", {"q": "社保"}).status_code == 404
