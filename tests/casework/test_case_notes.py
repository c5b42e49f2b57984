"""Internal notes on a case and on a slip (内部备注, issue 17 item 2): the hall's staff and the slip's
department read and write them, masked like any free text; never on a print, the person's progress
page or a notice. Through the service, the API and the pages; refusals change nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import models
from django.http import Http404
from django.test import Client

from casework.freetext import NOTE_FREE_TEXT_FIELDS
from casework.models import Case, CaseNote, TransferSlip
from casework.progress import progress_token_for_print
from casework.services import case_note_add, case_register
from hallplatform.audit.models import AuditEvent
from hallplatform.schemas import use_hall_schema
from notifications.models import Notice
from tests.casework.api.support import api
from tests.casework.support import draft, slips_of, transfer
from tests.casework.test_case_register import form
from tests.conftest import client_for, host_of, user

SECRET = "请回电13912345678，内部掌握"


@pytest.fixture
def wengyuan(demo: dict[str, Any], settings: Any) -> Any:
    settings.PROGRESS_THROTTLE_RATE = "1000/minute"
    use_hall_schema(demo["wengyuan"])
    return demo["wengyuan"]


@pytest.fixture
def transferred(wengyuan: Any) -> tuple[Case, TransferSlip]:
    case = case_register(hall=wengyuan, actor=user("wengyuan_window"), data=form())
    transfer(case, draft("wengyuan/rsj"))
    [slip] = slips_of(case)
    return Case.objects.get(pk=case.pk), slip


def test_every_text_field_of_a_note_is_listed_as_free_text() -> None:
    texts = {f.name for f in CaseNote._meta.get_fields() if isinstance(f, models.TextField)}
    assert texts == set(NOTE_FREE_TEXT_FIELDS)


def test_the_window_and_the_department_write_notes(transferred: tuple[Case, TransferSlip]) -> None:
    case, slip = transferred
    notices = Notice.objects.count()

    on_case = case_note_add(case=case, actor=user("wengyuan_window"), text=SECRET)
    on_slip = case_note_add(case=case, actor=user("wengyuan_rsj"), text="已电话联系", slip=slip)

    assert (on_case.slip_id, on_slip.slip_id) == (None, slip.pk)
    assert Case.objects.get(pk=case.pk).version == case.version  # not a step of the case
    assert Notice.objects.count() == notices  # nobody is told, the person least of all
    assert AuditEvent.objects.filter(action="case.note_add").count() == 2
    assert SECRET not in str(list(AuditEvent.objects.filter(action="case.note_add").values_list("changes")))


def test_refusals_change_nothing(transferred: tuple[Case, TransferSlip]) -> None:
    case, slip = transferred
    count = CaseNote.objects.count()

    with pytest.raises(ValidationError) as empty:
        case_note_add(case=case, actor=user("wengyuan_window"), text="  ")
    with pytest.raises(ValidationError) as long:
        case_note_add(case=case, actor=user("wengyuan_window"), text="x" * 2001)
    with pytest.raises(Http404):  # a department writes only on its own slip
        case_note_add(case=case, actor=user("wengyuan_rsj"), text="x")
    with pytest.raises(Http404):
        case_note_add(case=case, actor=user("shaoguan_rsj"), text="x", slip=slip)

    assert "text" in empty.value.message_dict and "text" in long.value.message_dict
    assert CaseNote.objects.count() == count


# --- Through the pages --------------------------------------------------------------------------------


def test_the_case_page_and_the_slip_page_show_the_notes_masked(transferred: tuple[Case, TransferSlip]) -> None:
    case, slip = transferred
    window = client_for("wengyuan_window", "wengyuan")
    department = client_for("wengyuan_rsj", "wengyuan")

    assert window.post(f"/cases/{case.pk}/notes/", {"text": SECRET}).status_code == 302
    assert department.post(f"/slips/{slip.pk}/notes/", {"text": "部门：已联系 13912345678"}).status_code == 302

    case_page = window.get(f"/cases/{case.pk}/").content.decode()
    slip_page = department.get(f"/slips/{slip.pk}/").content.decode()
    assert 'id="notes"' in case_page and case_page.count('class="note-text"') == 2  # the slip's note too
    assert "139****5678" in case_page and "13912345678" not in case_page
    assert slip_page.count('class="note-text"') == 1 and "内部掌握" not in slip_page  # not the case's own note
    assert "13912345678" not in slip_page


def test_the_pages_refuse_an_empty_note_and_outsiders(transferred: tuple[Case, TransferSlip], wengyuan: Any) -> None:
    case, slip = transferred

    empty = client_for("wengyuan_window", "wengyuan").post(f"/cases/{case.pk}/notes/", {"text": ""})
    other = client_for("shaoguan_rsj", "wengyuan").post(f"/slips/{slip.pk}/notes/", {"text": "x"})
    supervisor = client_for("shaoguan_supervisor", "wengyuan").post(f"/cases/{case.pk}/notes/", {"text": "x"})
    supervisor_page = client_for("shaoguan_supervisor", "wengyuan").get(f"/cases/{case.pk}/").content.decode()

    assert empty.status_code == 400 and 'id="note_text"' in empty.content.decode()
    assert other.status_code == 404 and supervisor.status_code == 404
    assert 'id="notes"' not in supervisor_page
    use_hall_schema(wengyuan)
    assert CaseNote.objects.count() == 0


def test_notes_are_never_printed_nor_shown_to_the_person(transferred: tuple[Case, TransferSlip], wengyuan: Any) -> None:
    case, slip = transferred
    case_note_add(case=case, actor=user("wengyuan_window"), text="内部掌握：勿外传")
    case_note_add(case=case, actor=user("wengyuan_rsj"), text="部门内部：勿外传", slip=slip)
    token = progress_token_for_print(case=case)
    window = client_for("wengyuan_window", "wengyuan")

    pages = [
        window.get(f"/cases/{case.pk}/print/registration/"),
        window.get(f"/slips/{slip.pk}/print/"),
        client_for("wengyuan_rsj", "wengyuan").get(f"/slips/{slip.pk}/print/"),
        Client(HTTP_HOST=host_of("wengyuan"), REMOTE_ADDR="203.0.113.8").post(
            f"/progress/{token}/", {"secret": "5678"}, follow=True
        ),
    ]

    for response in pages:
        assert response.status_code == 200
        assert "勿外传" not in response.content.decode()


# --- Through the API --------------------------------------------------------------------------------


def test_the_api_lists_and_adds_notes_for_the_hall_and_the_department(
    transferred: tuple[Case, TransferSlip], wengyuan: Any
) -> None:
    case, slip = transferred
    window, department = api("wengyuan_window"), api("wengyuan_rsj")

    added = window.post(f"/api/v1/cases/{case.pk}/notes/", {"text": SECRET})
    on_slip = window.post(f"/api/v1/cases/{case.pk}/notes/", {"text": "关于转办单", "slip": slip.pk})
    by_department = department.post(f"/api/v1/slips/{slip.pk}/notes/", {"text": "部门备注"})

    assert added.status_code == on_slip.status_code == by_department.status_code == 201
    assert added.json()["text"] == "请回电139****5678，内部掌握"
    listed = window.get(f"/api/v1/cases/{case.pk}/notes/").json()
    assert [n["text"] for n in listed] == ["请回电139****5678，内部掌握", "关于转办单", "部门备注"]
    assert [n["slip"] for n in listed] == [None, slip.number, slip.number]
    slip_notes = department.get(f"/api/v1/slips/{slip.pk}/notes/").json()
    assert [n["text"] for n in slip_notes] == ["关于转办单", "部门备注"]


def test_the_api_refuses_and_keeps_nothing(transferred: tuple[Case, TransferSlip], wengyuan: Any) -> None:
    case, slip = transferred

    empty = api("wengyuan_window").post(f"/api/v1/cases/{case.pk}/notes/", {"text": ""})
    wrong_slip = api("wengyuan_window").post(f"/api/v1/cases/{case.pk}/notes/", {"text": "x", "slip": 999999})
    supervisor = api("shaoguan_supervisor").get(f"/api/v1/cases/{case.pk}/notes/")
    other_department = api("shaoguan_rsj").post(f"/api/v1/slips/{slip.pk}/notes/", {"text": "x"})

    assert empty.status_code == 400 and "text" in empty.json()["fields"]
    assert wrong_slip.status_code == 400 and "slip" in wrong_slip.json()["fields"]
    assert supervisor.status_code == 404 and other_department.status_code == 404
    use_hall_schema(wengyuan)
    assert CaseNote.objects.count() == 0
