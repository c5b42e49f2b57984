"""The case page's layout of steps (casework/web/views.py, casework/web/progress.py): the stepper, the
expected next step first and the others folded, a refused form opened and focused, the confirmation of
不予受理 and 办结归档 (nothing written before it), taking them back, and starting a meeting or an order
from the case."""

from __future__ import annotations

import re
from typing import Any

from django.test import Client
from django.utils import timezone

from casework.choices import CaseStatus
from casework.models import Case, CaseEvent
from casework.services import case_answer_on_spot, case_follow_up
from tenants.models import Hall
from tests.casework.web.conftest import in_hall, zh
from tests.conftest import client_for, user


def window() -> Client:
    return client_for("wengyuan_window", "wengyuan")


def post(client: Client, case: Case, action: str, data: dict[str, Any], *, follow: bool = False) -> Any:
    return client.post(f"/cases/{case.pk}/{action}/", {"version": case.version, **data}, follow=follow)


def reload(case: Case, hall: Hall) -> Case:
    in_hall(hall)
    return Case.objects.get(pk=case.pk)


def followed_up(case: Case, hall: Hall) -> Case:
    case_answer_on_spot(case=case, actor=user("wengyuan_window"), category="consultation", answer="请到3号窗口办理")
    case_follow_up(
        case=reload(case, hall), actor=user("wengyuan_window"), method="phone", date=timezone.localdate(),
        satisfaction="satisfied",
    )  # fmt: skip
    return reload(case, hall)


def section(content: str, start: str, end: str) -> str:
    return content[content.index(start) : content.index(end, content.index(start))]


def test_a_registered_case_shows_the_stepper_and_the_transfer_first(case: Case) -> None:
    content = window().get(f"/cases/{case.pk}/").content.decode()

    stepper = section(content, 'id="case-progress"', "</nav>")
    current = re.findall(r'<li class="stage stage-(\w+)"( aria-current="step")?', stepper)
    assert [state for state, _ in current] == ["done", "current", "upcoming", "upcoming", "upcoming", "upcoming"]
    assert [bool(mark) for _, mark in current] == [False, True, False, False, False, False]
    first = section(content, 'class="actions next-step"', "</section>")
    assert f'action="/cases/{case.pk}/transfer/"' in first
    others = section(content, 'id="other-steps"', "</details>")
    assert f'action="/cases/{case.pk}/answer/"' in others and f'action="/cases/{case.pk}/screen-out/"' in others
    assert '<details class="other-steps" id="other-steps">' in content  # closed until needed


def test_a_refused_step_behind_the_fold_opens_it_with_the_first_error_focused(case: Case, wengyuan: Hall) -> None:
    events = CaseEvent.objects.count()

    response = post(window(), case, "answer", {"category": "cannot_do", "answer": ""})

    content = response.content.decode()
    assert response.status_code == 200
    assert '<details class="other-steps" id="other-steps" open>' in content
    # the first invalid field of the refused form carries autofocus (the page opens at it without JS)
    assert re.search(r'<textarea[^>]*name="answer"[^>]*aria-invalid="true"[^>]*autofocus', content) or re.search(
        r'<textarea[^>]*autofocus[^>]*name="answer"', content
    )
    assert content.count("autofocus") == 1
    assert 'class="error-summary"' in content
    assert reload(case, wengyuan).status == CaseStatus.REGISTERED and CaseEvent.objects.count() == events


def test_a_refused_registration_focuses_its_first_error(case: Case) -> None:
    response = client_for("wengyuan_window", "wengyuan").post(
        "/cases/new/", {"channel": "on_site", "applicant_kind": "person", "document_type": "resident_id"}
    )
    content = response.content.decode()
    assert response.status_code == 200
    assert re.search(r'<input[^>]*name="applicant_name"[^>]*autofocus', content), "first error not focused"
    assert content.count("autofocus") == 1


def test_screen_out_asks_for_a_confirmation_and_writes_nothing_before_it(case: Case, wengyuan: Hall) -> None:
    events = CaseEvent.objects.count()

    asked = post(window(), case, "screen-out", {"reason": "petition", "referral": "县信访局"})

    content = asked.content.decode()
    assert asked.status_code == 200
    assert zh("Record the case as not accepted? Please confirm") in content
    panel = section(content, 'class="action confirm-step"', "</section>")
    assert 'name="confirm" value="1"' in panel and 'name="reason" value="petition"' in panel
    assert 'name="referral" value="县信访局"' in panel and f'name="version" value="{case.version}"' in panel
    assert "县信访局" in panel  # says what will be recorded
    case = reload(case, wengyuan)
    assert (case.status, case.referral, case.version) == (CaseStatus.REGISTERED, "", 1)
    assert CaseEvent.objects.count() == events

    confirmed = post(window(), case, "screen-out", {"reason": "petition", "referral": "县信访局", "confirm": "1"})
    assert confirmed.status_code == 302
    assert reload(case, wengyuan).status == CaseStatus.NOT_ACCEPTED


def test_a_screen_out_the_service_would_refuse_shows_the_errors_not_a_confirmation(case: Case, wengyuan: Hall) -> None:
    response = post(window(), case, "screen-out", {"reason": "", "referral": ""})

    content = response.content.decode()
    assert zh("Record the case as not accepted? Please confirm") not in content
    assert zh("Choose why the case is not accepted.") in content and zh("Say where the person was referred.") in content
    assert reload(case, wengyuan).status == CaseStatus.REGISTERED


def test_close_asks_for_a_confirmation_then_can_be_taken_back(case: Case, wengyuan: Hall) -> None:
    case = followed_up(case, wengyuan)
    client = window()
    events = CaseEvent.objects.count()

    asked = post(client, case, "close", {"note": "归档"})

    assert zh("Close the case? Please confirm") in asked.content.decode()
    assert reload(case, wengyuan).status == CaseStatus.FOLLOWED_UP and CaseEvent.objects.count() == events

    post(client, case, "close", {"note": "归档", "confirm": "1"})
    case = reload(case, wengyuan)
    assert case.status == CaseStatus.CLOSED
    page = client.get(f"/cases/{case.pk}/").content.decode()
    first = section(page, 'class="actions next-step"', "</section>")
    assert f'action="/cases/{case.pk}/undo-close/"' in first

    undone = post(client, case, "undo-close", {"reason": "误点办结"}, follow=True)
    assert zh("The closing is taken back; the case is open again.") in undone.content.decode()
    case = reload(case, wengyuan)
    assert case.status == CaseStatus.FOLLOWED_UP
    assert list(CaseEvent.objects.filter(case=case).values_list("kind", flat=True).order_by("-id")[:2]) == [
        "close_undone", "closed",
    ]  # fmt: skip


def test_taking_back_without_a_reason_is_refused_next_to_the_field(case: Case, wengyuan: Hall) -> None:
    case = followed_up(case, wengyuan)
    post(window(), case, "close", {"confirm": "1"})
    case = reload(case, wengyuan)

    refused = post(window(), case, "undo-close", {"reason": ""})

    content = refused.content.decode()
    assert zh("Say why the step is taken back.") in content
    assert re.search(r'<textarea[^>]*name="reason"[^>]*autofocus', content)
    assert reload(case, wengyuan).status == CaseStatus.CLOSED


def test_the_lead_may_start_a_meeting_or_an_order_from_the_case_and_the_window_may_not(case: Case) -> None:
    lead = client_for("wengyuan_lead", "wengyuan")
    page = lead.get(f"/cases/{case.pk}/").content.decode()
    meeting = f'href="/meetings/new/?case={case.number}"'
    order = f'href="/orders/new/?case={case.number}"'
    assert meeting in page and order in page
    staff = window().get(f"/cases/{case.pk}/").content.decode()
    assert meeting not in staff and order not in staff

    convene = lead.get(f"/meetings/new/?case={case.number}").content.decode()
    assert re.search(rf'<textarea[^>]*name="cases"[^>]*>\s*{re.escape(case.number)}', convene), "case not prefilled"
    issue = lead.get(f"/orders/new/?case={case.number}").content.decode()
    assert re.search(rf'name="case_number"[^>]*value="{re.escape(case.number)}"', issue) or re.search(
        rf'value="{re.escape(case.number)}"[^>]*name="case_number"', issue
    )
    assert window().get(f"/meetings/new/?case={case.number}").status_code == 404
