"""延期 through the pages: the department asks from the slip page, the hall's lead decides on the case page."""

from __future__ import annotations

from casework.models import Case, CaseEvent, TransferSlip
from casework.services import SlipDraft, case_transfer
from hallplatform.deadlines.models import Deadline, DeadlineKind
from tenants.models import Hall
from tests.casework.web.conftest import department, in_hall, zh
from tests.conftest import client_for, user


def transferred(case: Case) -> TransferSlip:
    case_transfer(
        case=case,
        actor=user("wengyuan_window"),
        category="hard_to_do",
        slips=[SlipDraft(department_id=department("wengyuan/rsj").pk, request="请核实")],
    )
    return TransferSlip.objects.get(case=case)


def test_the_department_asks_for_more_time_and_the_lead_grants_it(case: Case, wengyuan: Hall) -> None:
    slip = transferred(case)
    handler = client_for("wengyuan_rsj", "wengyuan")
    page = handler.get(f"/slips/{slip.pk}/").content.decode()
    assert f'action="/slips/{slip.pk}/extension/"' in page

    refused = handler.post(f"/slips/{slip.pk}/extension/", {"version": slip.version, "days": "0", "reason": ""})
    assert refused.status_code == 400
    assert zh("Give between 1 and %(max)d working days.", max=10) in refused.content.decode()
    in_hall(wengyuan)
    assert not CaseEvent.objects.filter(slip=slip, kind="slip_extension_requested").exists()

    sent = handler.post(f"/slips/{slip.pk}/extension/", {"version": slip.version, "days": "3", "reason": "需调档"})
    assert sent.status_code == 302
    page = handler.get(f"/slips/{slip.pk}/").content.decode()
    assert f'action="/slips/{slip.pk}/extension/"' not in page and "extension-pending" in page

    in_hall(wengyuan)
    slip = TransferSlip.objects.get(pk=slip.pk)
    window_page = client_for("wengyuan_window", "wengyuan").get(f"/cases/{case.pk}/").content.decode()
    assert 'id="extensions"' in window_page and f'action="/cases/{case.pk}/extension/"' not in window_page
    lead = client_for("wengyuan_lead", "wengyuan")
    assert f'action="/cases/{case.pk}/extension/"' in lead.get(f"/cases/{case.pk}/").content.decode()
    home = lead.get("/").content.decode()  # the lead's to-do lists the request
    assert 'id="todo-extension_requests"' in home and f"/cases/{case.pk}/#extensions" in home
    assert (
        client_for("wengyuan_window", "wengyuan")
        .post(f"/cases/{case.pk}/extension/", {"slip": slip.pk, "slip_version": slip.version, "decision": "grant"})
        .status_code
        == 404
    )

    in_hall(wengyuan)
    due = Deadline.objects.filter(kind=DeadlineKind.SLIP_REPLY, subject_id=str(slip.pk)).latest("pk").due_at
    no_reason = lead.post(
        f"/cases/{case.pk}/extension/", {"slip": slip.pk, "slip_version": slip.version, "decision": "refuse"}
    )
    assert no_reason.status_code == 200 and zh("Say why more time is not given.") in no_reason.content.decode()
    granted = lead.post(
        f"/cases/{case.pk}/extension/",
        {"slip": slip.pk, "slip_version": slip.version, "decision": "grant", "days": "3"},
        follow=True,
    )
    assert zh("More time is given; the department is told.") in granted.content.decode()
    in_hall(wengyuan)
    assert Deadline.objects.filter(kind=DeadlineKind.SLIP_REPLY, subject_id=str(slip.pk)).latest("pk").due_at > due
    assert 'id="extensions"' not in lead.get(f"/cases/{case.pk}/").content.decode()
    assert f"/cases/{case.pk}/#extensions" not in lead.get("/").content.decode()
