"""Numbers typed into free text are masked for every reader without the reveal, everywhere; the reveal
shows them in clear and is one audit event (CONVENTIONS.md, docs/personal-data.md "Masking of free
text"): casework/freetext.py, hallplatform/personal.py: free_text, casework/services.py:
case_reveal_free_text, and every page, print, API field and export that shows a case's or a slip's text.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from typing import Any

import pytest
from django.db import models
from openpyxl import load_workbook

from casework.choices import CaseResult, FeedbackMethod, FollowUpMethod, Satisfaction
from casework.freetext import (
    CASE_FREE_TEXT_FIELDS,
    SLIP_FREE_TEXT_FIELDS,
    STRUCTURED_PERSONAL_FIELDS,
)
from casework.models import Case, CaseEvent, TransferSlip
from casework.retention import case_retention_hold_set
from casework.services import (
    case_answer_on_spot,
    case_feedback_record,
    case_follow_up,
    case_screen_out,
    case_supplement_received,
    slip_receive,
    slip_reply,
    slip_return,
    slip_withdraw,
)
from hallplatform.accounts.models import RoleAssignment
from hallplatform.accounts.services import staff_create
from hallplatform.audit.models import AuditEvent
from hallplatform.personal import free_text, id_check_digit, mask_text
from hallplatform.schemas import use_hall_schema, use_public_schema
from notifications.models import Notice
from tenants.models import Hall
from tests.casework.support import draft, register, transfer
from tests.conftest import client_for, user

MOBILE = "13812345678"
_FIRST17 = "44022919900101123"
ID_NUMBER = _FIRST17 + id_check_digit(_FIRST17)  # a valid resident ID (GB 11643 check digit)
SECRETS = (MOBILE, ID_NUMBER)
MASKED_MOBILE = "138****5678"


def written(label: str) -> str:
    """What staff type into a field: a label, a mobile and an ID number."""
    return f"{label}：请回电{MOBILE}，身份证{ID_NUMBER}"


def assert_masked(content: str | bytes) -> None:
    text = content.decode() if isinstance(content, bytes) else content
    for secret in SECRETS:
        assert secret not in text
    assert MASKED_MOBILE in text


@pytest.fixture
def hall(demo: dict[str, Hall]) -> Hall:
    use_hall_schema(demo["wengyuan"])
    return demo["wengyuan"]


def in_hall(hall: Hall) -> None:
    use_hall_schema(hall)


@pytest.fixture
def trainee(hall: Hall) -> Any:
    """A window clerk of the hall without the reveal permission."""
    staff, _ = staff_create(
        username="wengyuan_trainee", password="x", kind="window_staff", hall_code="wengyuan", check_password=False
    )
    in_hall(hall)
    return staff


@pytest.fixture
def worked(hall: Hall) -> dict[str, Any]:
    """Cases whose every free text holds a number, written through the services: one transferred,
    answered by the department after materials were supplemented, fed back and followed up (with a
    second slip returned); one not accepted; one answered on the spot."""
    window = user("wengyuan_window")
    staff_create(
        username="wengyuan_ybj", password="x", kind="department_handler", department_code="wengyuan/ybj",
        check_password=False,
    )  # fmt: skip
    in_hall(hall)
    transferred = register(
        hall,
        phone="13900001111",
        problem=written("问题"),
        acceptance_note=written("受理情况"),
        remarks=written("备注"),
    )
    transfer(
        transferred,
        draft("wengyuan/rsj", request=written("转办请求")),
        draft("wengyuan/ybj", request=written("另一请求")),
        coordination_note=written("协调说明"),
        meeting_requested=True,
        meeting_request_note=written("联席会议"),
    )
    answering, returning = TransferSlip.objects.filter(case=transferred).order_by("pk")
    rsj = user("wengyuan_rsj")
    slip_receive(slip=answering, actor=rsj)
    slip_reply(
        slip=TransferSlip.objects.get(pk=answering.pk),
        actor=rsj,
        result=CaseResult.SUPPLEMENT,
        reply=written("需补正"),
        supplement_note=written("补正材料"),
    )
    case_supplement_received(case=Case.objects.get(pk=transferred.pk), actor=window, note=written("已补齐"))
    slip_reply(slip=TransferSlip.objects.get(pk=answering.pk), actor=rsj, result=CaseResult.DONE, reply=written("答复"))
    slip_return(slip=TransferSlip.objects.get(pk=returning.pk), actor=user("wengyuan_ybj"), reason=written("退回理由"))
    slip_withdraw(slip=TransferSlip.objects.get(pk=returning.pk), actor=window, reason=written("撤回"))
    case_feedback_record(
        case=Case.objects.get(pk=transferred.pk),
        actor=window,
        method=FeedbackMethod.PHONE,
        content=written("反馈内容"),
        send_sms=False,
    )
    case_follow_up(
        case=Case.objects.get(pk=transferred.pk),
        actor=window,
        method=FollowUpMethod.PHONE,
        date=date.today(),
        satisfaction=Satisfaction.SATISFIED,
        note=written("回访"),
    )
    refused = register(hall, phone="13900001111", problem="不受理的问题")
    case_screen_out(case=refused, actor=window, reason="litigation", referral=written("引导至"))
    case_retention_hold_set(case=refused, actor=user("wengyuan_lead"), hold=True, reason=written("投诉复核"))
    answered = register(hall, phone="13900001111", problem="当场答复的问题")
    case_answer_on_spot(
        case=answered, actor=window, category="consultation", answer=written("答复"), policy_basis=written("依据")
    )
    return {
        "transferred": Case.objects.get(pk=transferred.pk),
        "refused": Case.objects.get(pk=refused.pk),
        "answered": Case.objects.get(pk=answered.pk),
        "slip": TransferSlip.objects.get(pk=answering.pk),
        "returned": TransferSlip.objects.get(pk=returning.pk),
    }


def get(client: Any, path: str, hall: Hall) -> Any:
    response = client.get(path)
    in_hall(hall)  # the request left the connection on its own schema
    return response


def post(client: Any, path: str, data: dict[str, Any], hall: Hall, **extra: Any) -> Any:
    response = client.post(path, data, **extra)
    in_hall(hall)
    return response


def reveals() -> tuple[int, int]:
    return CaseEvent.objects.filter(kind="revealed").count(), AuditEvent.objects.filter(action="case.reveal").count()


# --- Every free text is listed --------------------------------------------------------------------


def _text_fields(model: type[models.Model]) -> set[str]:
    return {f.name for f in model._meta.get_fields() if isinstance(f, models.TextField)}


def test_every_text_field_of_a_case_or_slip_is_free_text_or_a_structured_personal_field() -> None:
    # A new TextField must be added to casework/freetext.py (masked everywhere) or, if it is structured
    # personal data with its own mask and reveal, to STRUCTURED_PERSONAL_FIELDS.
    assert set(CASE_FREE_TEXT_FIELDS) == _text_fields(Case) - set(STRUCTURED_PERSONAL_FIELDS)
    assert set(SLIP_FREE_TEXT_FIELDS) == _text_fields(TransferSlip)
    assert len(CASE_FREE_TEXT_FIELDS) == len(set(CASE_FREE_TEXT_FIELDS))


def test_the_services_wrote_a_number_into_every_free_text(worked: dict[str, Any]) -> None:
    cases = [worked["transferred"], worked["refused"], worked["answered"]]
    for name in CASE_FREE_TEXT_FIELDS:
        if name == "problem":
            continue  # the problems of the two other cases are plain on purpose
        assert any(MOBILE in getattr(case, name) for case in cases), name
    slips = [worked["slip"], worked["returned"]]
    for name in SLIP_FREE_TEXT_FIELDS:
        assert any(MOBILE in getattr(slip, name) for slip in slips), name


# --- The one function -----------------------------------------------------------------------------


def test_free_text_masks_unless_revealed() -> None:
    text = written("备注")

    assert free_text(text, revealed=False) == mask_text(text)
    assert MOBILE not in free_text(text, revealed=False) and ID_NUMBER not in free_text(text, revealed=False)
    assert free_text(text, revealed=True) == text
    assert free_text(None, revealed=False) == "" == free_text(None, revealed=True)


_TEMPLATE_DIRS = ("casework/templates", "coordination/templates", "analytics/templates")
_FIELDS = "|".join(sorted({*CASE_FREE_TEXT_FIELDS, *SLIP_FREE_TEXT_FIELDS}))
_RAW = re.compile(r"\{\{[^}]*\b(?:case|slip|c)\.(" + _FIELDS + r")\b(?!\|free_text)[^}]*\}\}")


def test_no_template_prints_a_free_text_of_a_case_or_slip_without_the_filter() -> None:
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    offenders = [
        f"{path.relative_to(root)}: {match.group(0)}"
        for folder in _TEMPLATE_DIRS
        for path in (root / folder).rglob("*.html")
        for match in _RAW.finditer(path.read_text())
    ]
    assert offenders == []


# --- Readers without the reveal: masked everywhere ---------------------------------------------------


@pytest.mark.parametrize("username", ["wengyuan_trainee", "shaoguan_supervisor"])
def test_the_case_page_and_prints_mask_for_readers_without_the_reveal(
    hall: Hall, trainee: Any, worked: dict[str, Any], username: str
) -> None:
    client = client_for(username, "wengyuan")
    for key in ("transferred", "refused", "answered"):
        case = worked[key]
        for path in (f"/cases/{case.pk}/", f"/cases/{case.pk}/print/registration/", f"/cases/{case.pk}/print/notice/"):
            response = get(client, path, hall)
            assert response.status_code == 200, path
            assert_masked(response.content)


def test_the_window_with_the_permission_also_reads_masked_until_it_reveals(hall: Hall, worked: dict[str, Any]) -> None:
    client = client_for("wengyuan_window", "wengyuan")
    case = worked["transferred"]

    page = get(client, f"/cases/{case.pk}/", hall).content.decode()
    printed = get(client, f"/cases/{case.pk}/print/registration/", hall).content.decode()

    assert_masked(page)
    assert_masked(printed)
    assert 'id="free-text-reveal"' in page
    assert reveals() == (0, 0)


@pytest.mark.parametrize("username", ["wengyuan_trainee", "shaoguan_supervisor", "wengyuan_window"])
def test_the_api_case_detail_and_timeline_mask_for_every_reader(
    hall: Hall, trainee: Any, worked: dict[str, Any], username: str
) -> None:
    client = client_for(username, "wengyuan")
    for key in ("transferred", "refused", "answered"):
        case = worked[key]
        detail = get(client, f"/api/v1/cases/{case.pk}/", hall)
        timeline = get(client, f"/api/v1/cases/{case.pk}/timeline/", hall)
        assert detail.status_code == 200 and timeline.status_code == 200
        for secret in SECRETS:
            assert secret not in detail.content.decode() + timeline.content.decode()
        data = detail.json()
        for name in CASE_FREE_TEXT_FIELDS:
            assert data[name] == mask_text(getattr(case, name)), name
        for slip in data["slips"]:
            for name in SLIP_FREE_TEXT_FIELDS:
                assert slip[name] == mask_text(getattr(TransferSlip.objects.get(pk=slip["id"]), name)), name
    assert reveals() == (0, 0)


def test_the_department_reads_its_slip_masked_its_own_answer_included(hall: Hall, worked: dict[str, Any]) -> None:
    client = client_for("wengyuan_rsj", "wengyuan")
    slip = worked["slip"]

    page = get(client, f"/slips/{slip.pk}/", hall)
    printed = get(client, f"/slips/{slip.pk}/print/", hall)
    detail = get(client, f"/api/v1/slips/{slip.pk}/", hall)

    assert_masked(page.content)
    assert_masked(printed.content)
    assert_masked(detail.content)
    assert 'id="free-text-reveal"' not in page.content.decode()  # not granted the reveal
    data = detail.json()
    assert data["reply"] == mask_text(slip.reply)
    assert data["case"]["coordination_note"] == mask_text(worked["transferred"].coordination_note)
    assert data["case"]["problem"] == mask_text(worked["transferred"].problem)
    returned = get(client_for("wengyuan_ybj", "wengyuan"), f"/slips/{worked['returned'].pk}/", hall)
    assert_masked(returned.content)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_register_export_masks_the_free_text(hall: Hall, worked: dict[str, Any], fmt: str) -> None:
    response = get(client_for("wengyuan_window", "wengyuan"), f"/exports/cases.{fmt}", hall)

    assert response.status_code == 200
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if fmt == "csv":
        text = content.decode("utf-8-sig")
        assert list(csv.reader(io.StringIO(text)))
    else:
        sheet = load_workbook(io.BytesIO(content)).active
        text = "\n".join(str(cell) for row in sheet.iter_rows(values_only=True) for cell in row if cell is not None)
    assert_masked(text)


def test_the_notices_created_carry_no_number(hall: Hall, worked: dict[str, Any]) -> None:
    use_public_schema()
    notices = list(Notice.objects.all())

    assert notices
    for notice in notices:
        assert all(secret not in f"{notice.context} {notice.__dict__}" for secret in SECRETS)


# --- The reveal -----------------------------------------------------------------------------------


def test_the_window_reveals_the_free_text_on_the_case_page_with_one_audit_event(
    hall: Hall, worked: dict[str, Any]
) -> None:
    case = worked["transferred"]

    response = post(
        client_for("wengyuan_window", "wengyuan"), f"/cases/{case.pk}/reveal/", {"field": "free_text"}, hall
    )

    content = response.content.decode()
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    for name in CASE_FREE_TEXT_FIELDS:
        assert (getattr(case, name) or "") in content, name
    assert worked["slip"].reply in content and worked["returned"].return_reason in content
    assert 'id="free-text-revealed"' in content
    assert reveals() == (1, 1)
    audit = AuditEvent.objects.get(action="case.reveal")
    assert audit.actor == user("wengyuan_window") and audit.target_id == str(case.pk)
    assert audit.changes["field"] == "free_text"
    assert {"problem", "acceptance_note", "remarks", "coordination_note", f"{worked['slip'].number}.reply"} <= set(
        audit.changes["fields"]
    )
    assert MOBILE not in str(audit.changes)  # the trail names the fields, never their content


def test_the_api_reveal_of_the_free_text_shows_it_in_clear_with_one_audit_event(
    hall: Hall, worked: dict[str, Any]
) -> None:
    case = worked["transferred"]

    response = post(
        client_for("wengyuan_lead", "wengyuan"),
        f"/api/v1/cases/{case.pk}/reveal/",
        {"field": "free_text"},
        hall,
        content_type="application/json",
    )

    assert response.status_code == 200
    data = response.json()
    assert data["field"] == "free_text"
    assert data["texts"] == {name: getattr(case, name) for name in CASE_FREE_TEXT_FIELDS}
    slips = {slip["id"]: slip for slip in data["slips"]}
    assert slips[worked["slip"].pk]["reply"] == worked["slip"].reply
    assert slips[worked["returned"].pk]["return_reason"] == worked["returned"].return_reason
    assert reveals() == (1, 1)


def test_the_registration_form_prints_the_free_text_in_clear_only_with_the_audited_reveal(
    hall: Hall, worked: dict[str, Any]
) -> None:
    case = worked["transferred"]

    printed = get(client_for("wengyuan_window", "wengyuan"), f"/cases/{case.pk}/print/registration/?reveal=1", hall)

    content = printed.content.decode()
    assert case.remarks in content and case.acceptance_note in content and case.problem in content
    assert AuditEvent.objects.filter(action="case.reveal", changes__field="free_text").count() == 1


def test_a_granted_department_reveals_its_slip_and_nothing_of_other_slips(hall: Hall, worked: dict[str, Any]) -> None:
    RoleAssignment.objects.filter(user__username="wengyuan_rsj").update(may_reveal_personal_data=True)
    slip = worked["slip"]
    client = client_for("wengyuan_rsj", "wengyuan")
    assert 'id="free-text-reveal"' in get(client, f"/slips/{slip.pk}/", hall).content.decode()

    page = post(client, f"/slips/{slip.pk}/reveal/", {}, hall)
    answer = post(
        client, f"/api/v1/slips/{slip.pk}/reveal/", {"field": "free_text"}, hall, content_type="application/json"
    )

    content = page.content.decode()
    assert page.status_code == 200
    assert slip.reply in content and slip.request in content and worked["transferred"].coordination_note in content
    assert worked["returned"].return_reason not in content  # another department's slip
    data = answer.json()
    assert set(data["texts"]) == {"problem", "coordination_note"}
    assert [s["id"] for s in data["slips"]] == [slip.pk]
    assert reveals() == (2, 2)
    assert CaseEvent.objects.filter(kind="revealed", slip=slip).count() == 2


@pytest.mark.parametrize("username", ["wengyuan_trainee", "shaoguan_supervisor"])
def test_the_reveal_is_refused_without_the_permission_and_nothing_is_recorded(
    hall: Hall, trainee: Any, worked: dict[str, Any], username: str
) -> None:
    case = worked["transferred"]
    client = client_for(username, "wengyuan")

    api_answer = post(
        client, f"/api/v1/cases/{case.pk}/reveal/", {"field": "free_text"}, hall, content_type="application/json"
    )
    printed = get(client, f"/cases/{case.pk}/print/registration/?reveal=1", hall)

    assert api_answer.status_code == 403 and printed.status_code == 403
    for secret in SECRETS:
        assert secret not in api_answer.content.decode() + printed.content.decode()
    assert reveals() == (0, 0)


def test_a_department_without_the_permission_is_refused_on_its_slip(hall: Hall, worked: dict[str, Any]) -> None:
    slip = worked["slip"]

    page = post(client_for("wengyuan_rsj", "wengyuan"), f"/slips/{slip.pk}/reveal/", {}, hall)

    assert page.status_code == 403
    assert_masked(page.content)
    assert reveals() == (0, 0)
