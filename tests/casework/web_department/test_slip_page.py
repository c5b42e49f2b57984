"""The slip page (/slips/<id>/ on the slip's hall host) and its steps: 签收, 答复, 退回."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import translation
from django.utils.html import escape

from casework.choices import CaseStatus, SlipStatus
from casework.models import CaseEvent, TransferSlip
from casework.services import slip_receive, slip_reply
from hallplatform.accounts.services import staff_create
from hallplatform.deadlines.models import Deadline, DeadlineKind, DeadlineState
from hallplatform.schemas import use_hall_schema, use_public_schema
from tenants.models import Hall
from tests.casework.web_department.conftest import ID_NUMBER, PHONE, Slips, case_in_hall, in_hall
from tests.conftest import client_for, user


def zh(message: str) -> str:
    """A message as the page shows it (the Chinese catalogue, HTML-escaped)."""
    with translation.override("zh-hans"):
        return escape(translation.gettext(message))


def events(hall: Hall, slip: TransferSlip) -> list[str]:
    use_hall_schema(hall)
    try:
        return list(CaseEvent.objects.filter(slip_id=slip.pk).order_by("id").values_list("kind", flat=True))
    finally:
        use_public_schema()


def deadline_state(hall: Hall, slip: TransferSlip) -> str:
    return (
        Deadline.objects.filter(
            hall=hall, kind=DeadlineKind.SLIP_REPLY, subject_type="casework.TransferSlip", subject_id=str(slip.pk)
        )
        .get()
        .state
    )


def post(client: Client, slip: TransferSlip, step: str, **data: Any) -> Any:
    return client.post(f"/slips/{slip.pk}/{step}/", data)


# --- Who sees the page --------------------------------------------------------------------------------


def test_department_handler_sees_the_slip_masked(slips: Slips) -> None:
    response = client_for("wengyuan_rsj", "wengyuan").get(f"/slips/{slips.wengyuan_county.pk}/")

    assert response.status_code == 200
    content = response.content.decode()
    assert slips.wengyuan_county.number in content
    assert slips.wengyuan_county.case.number in content
    assert "社保卡补办" in content
    assert "容缺受理" in content  # the case's coordination note
    # personal data masked: the problem text, what is asked, the applicant
    assert PHONE not in content and ID_NUMBER not in content and "张三" not in content
    assert "138****5678" in content and "110***********002X" in content and "张*" in content
    # the steps of a slip just sent: receive, reply, return, each carrying the version
    for step in ("receive", "reply", "return"):
        assert f'action="/slips/{slips.wengyuan_county.pk}/{step}/"' in content
    assert 'name="version" value="1"' in content


def test_city_level_handler_sees_its_slip_on_the_county_host(slips: Slips) -> None:
    client = client_for("shaoguan_rsj", "wengyuan")

    assert client.get(f"/slips/{slips.wengyuan_city.pk}/").status_code == 200
    assert client.get(f"/slips/{slips.wengyuan_county.pk}/").status_code == 404


@pytest.mark.parametrize(
    ("username", "host", "which"),
    [
        ("wengyuan_rsj", "wengyuan", "wengyuan_city"),  # a slip to another department
        ("shaoguan_rsj", "wengyuan", "wengyuan_county"),
        ("wengyuan_window", "wengyuan", "wengyuan_county"),  # window staff see slips on the case page
        ("wengyuan_lead", "wengyuan", "wengyuan_county"),
        ("shaoguan_supervisor", "wengyuan", "wengyuan_county"),
        ("nanxiong_rsj", "wengyuan", "wengyuan_county"),  # no role on wengyuan's host at all
        ("shaoguan_rsj", "nanxiong", "wengyuan_city"),  # another hall's host: another schema
    ],
)
def test_anyone_else_gets_404_on_the_page_and_its_steps(
    slips: Slips, demo: dict[str, Hall], username: str, host: str, which: str
) -> None:
    staff_create(
        username="nanxiong_rsj", password="x", kind="department_handler", department_code="nanxiong/rsj",
        check_password=False,
    )  # fmt: skip
    slip = getattr(slips, which)
    client = client_for(username, host)

    assert client.get(f"/slips/{slip.pk}/").status_code == 404
    assert post(client, slip, "receive", version=1).status_code == 404
    assert post(client, slip, "reply", version=1, result="done", reply="x").status_code == 404
    assert post(client, slip, "return", version=1, reason="x").status_code == 404

    stored = in_hall(demo["wengyuan"], slip)
    assert stored.status == SlipStatus.SENT and stored.version == 1


def test_steps_only_take_post(slips: Slips) -> None:
    client = client_for("wengyuan_rsj", "wengyuan")

    assert client.get(f"/slips/{slips.wengyuan_county.pk}/receive/").status_code == 405


# --- The steps ------------------------------------------------------------------------------------------


def test_receive_then_reply_done(slips: Slips, demo: dict[str, Hall]) -> None:
    wengyuan, slip = demo["wengyuan"], slips.wengyuan_county
    client = client_for("wengyuan_rsj", "wengyuan")

    # when the handler signs for the slip
    response = post(client, slip, "receive", version=1)

    # then it is received, and the page says so
    assert response.status_code == 302 and response["Location"] == f"/slips/{slip.pk}/"
    stored = in_hall(wengyuan, slip)
    assert stored.status == SlipStatus.RECEIVED and stored.received_by_id == user("wengyuan_rsj").pk
    page = client.get(response["Location"]).content.decode()
    assert f'action="/slips/{slip.pk}/receive/"' not in page
    assert 'name="version" value="2"' in page

    # when they answer it, done
    response = post(client, slip, "reply", version=2, result="done", reply="已核实，参保记录已更正", supplement_note="")

    # then it is replied, its clock met, and its history shows both steps
    assert response.status_code == 302
    stored = in_hall(wengyuan, slip)
    assert stored.status == SlipStatus.REPLIED and stored.result == "done" and stored.reply == "已核实，参保记录已更正"
    assert deadline_state(wengyuan, slip) == DeadlineState.MET
    assert events(wengyuan, slip) == ["slip_received", "slip_replied"]
    page = client.get(f"/slips/{slip.pk}/").content.decode()
    assert "已核实，参保记录已更正" in page
    assert f'action="/slips/{slip.pk}/reply/"' not in page


def test_reply_asking_for_materials_pauses_the_clock(slips: Slips, demo: dict[str, Hall]) -> None:
    wengyuan, slip = demo["wengyuan"], slips.wengyuan_county
    client = client_for("wengyuan_rsj", "wengyuan")

    response = post(
        client, slip, "reply", version=1, result="supplement", reply="缺户口簿", supplement_note="户口簿原件"
    )

    assert response.status_code == 302
    stored = in_hall(wengyuan, slip)
    assert stored.status == SlipStatus.AWAITING_SUPPLEMENT and stored.supplement_note == "户口簿原件"
    assert case_in_hall(wengyuan, slip).status == CaseStatus.AWAITING_SUPPLEMENT
    assert deadline_state(wengyuan, slip) == DeadlineState.PAUSED
    page = client.get(f"/slips/{slip.pk}/").content.decode()
    assert "due-paused" in page and "户口簿原件" in page


def test_return_with_reason(slips: Slips, demo: dict[str, Hall]) -> None:
    wengyuan, slip = demo["wengyuan"], slips.wengyuan_city
    client = client_for("shaoguan_rsj", "wengyuan")

    response = post(client, slip, "return", version=1, reason="属县级事权，请转翁源县人社局")

    assert response.status_code == 302
    stored = in_hall(wengyuan, slip)
    assert stored.status == SlipStatus.RETURNED and stored.return_reason == "属县级事权，请转翁源县人社局"
    assert deadline_state(wengyuan, slip) == DeadlineState.CANCELLED
    assert "属县级事权" in client.get(f"/slips/{slip.pk}/").content.decode()


@pytest.mark.parametrize(
    ("step", "data", "field", "message"),
    [
        ("reply", {"result": "done", "reply": "  "}, "reply", "Write the department's answer."),
        ("reply", {"result": "", "reply": "好"}, "result",
         "Choose the result: done, in progress, or materials to be supplemented."),
        ("reply", {"result": "supplement", "reply": "缺材料", "supplement_note": ""}, "supplement_note",
         "Say which materials the person must supplement."),
        ("return", {"reason": ""}, "reason", "Say why the slip is not this department's business."),
    ],
)  # fmt: skip
def test_field_errors_are_shown_next_to_the_field_and_nothing_changes(
    slips: Slips, demo: dict[str, Hall], step: str, data: dict[str, str], field: str, message: str
) -> None:
    slip = slips.wengyuan_county
    client = client_for("wengyuan_rsj", "wengyuan")

    response = post(client, slip, step, version=1, **data)

    assert response.status_code == 400
    content = response.content.decode()
    # the message sits in the field's own block, right after the field
    field_block = content.split(f'name="{field}"', 1)[1].split("</div>", 1)[0] if field != "result" else content
    assert zh(message) in field_block
    assert 'class="errorlist' in content
    stored = in_hall(demo["wengyuan"], slip)
    assert stored.status == SlipStatus.SENT and stored.version == 1 and not stored.reply
    assert events(demo["wengyuan"], slip) == []


def test_stale_version_is_a_conflict_and_changes_nothing(slips: Slips, demo: dict[str, Hall]) -> None:
    wengyuan, slip = demo["wengyuan"], slips.wengyuan_county
    client = client_for("wengyuan_rsj", "wengyuan")
    # given a colleague signed for the slip after the page was loaded (version 1)
    use_hall_schema(wengyuan)
    slip_receive(slip=slip, actor=user("wengyuan_rsj_lead"))
    use_public_schema()

    # when the handler answers from the stale page
    response = post(client, slip, "reply", version=1, result="done", reply="已办结")

    # then they are told, shown the current state (what they typed kept), and nothing changed
    assert response.status_code == 409
    content = response.content.decode()
    assert zh("Someone else changed this slip meanwhile; reload it and try again.") in content
    assert "已办结" in content and 'name="version" value="2"' in content
    stored = in_hall(wengyuan, slip)
    assert stored.status == SlipStatus.RECEIVED and stored.reply == "" and stored.version == 2
    assert events(wengyuan, slip) == ["slip_received"]
    assert deadline_state(wengyuan, slip) == DeadlineState.OPEN


def test_step_not_possible_in_the_state_is_refused(slips: Slips, demo: dict[str, Hall]) -> None:
    wengyuan, slip = demo["wengyuan"], slips.wengyuan_county
    use_hall_schema(wengyuan)
    replied = slip_reply(slip=slip, actor=user("wengyuan_rsj"), result="done", reply="已办结")
    use_public_schema()

    response = post(client_for("wengyuan_rsj", "wengyuan"), slip, "return", version=replied.version, reason="x")

    assert response.status_code == 409
    with translation.override("zh-hans"):
        status_label = str(SlipStatus.REPLIED.label)
    assert escape(status_label) in response.content.decode()
    assert in_hall(wengyuan, slip).status == SlipStatus.REPLIED


@pytest.mark.parametrize("version", ["", "abc", "0"])
def test_missing_or_broken_version_changes_nothing(slips: Slips, demo: dict[str, Hall], version: str) -> None:
    slip = slips.wengyuan_county

    response = post(client_for("wengyuan_rsj", "wengyuan"), slip, "receive", version=version)

    assert response.status_code == 409
    assert in_hall(demo["wengyuan"], slip).status == SlipStatus.SENT
