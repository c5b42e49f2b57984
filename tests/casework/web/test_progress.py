"""The case page's stepper and its next step (casework/web/progress.py): pure, table-driven."""

from __future__ import annotations

from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from casework.choices import CaseStatus
from casework.web.progress import NEXT_STEPS, case_progress, ordered_steps, primary_step

T0 = datetime(2026, 3, 2, 9, 0)


def case_in(status: str, **dates: Any) -> Any:
    fields = ("registered_at", "transferred_at", "replied_at", "fed_back_at", "followed_up_at", "closed_at")
    values = {name: None for name in fields}
    values.update(registered_at=T0, answered_at=None, screened_at=None)
    values.update(dates)
    return SimpleNamespace(status=status, **values)


def states(case: Any) -> list[str]:
    return [stage.state for stage in case_progress(case)]


@pytest.mark.parametrize(
    ("status", "allowed", "expected"),
    [
        (CaseStatus.REGISTERED, ["screen_out", "answer", "transfer", "sms_opt_out"], "transfer"),
        (CaseStatus.REOPENED, ["answer", "transfer", "sms_opt_out"], "transfer"),
        (CaseStatus.TRANSFERRED, ["sms_opt_out"], ""),
        (CaseStatus.AWAITING_SUPPLEMENT, ["supplement_received", "sms_opt_out"], "supplement_received"),
        (CaseStatus.REPLIED, ["feedback", "sms_opt_out"], "feedback"),
        (CaseStatus.FED_BACK, ["follow_up", "close", "sms_opt_out"], "follow_up"),
        (CaseStatus.ANSWERED, ["follow_up", "close", "sms_opt_out"], "follow_up"),
        (CaseStatus.FOLLOWED_UP, ["close", "sms_opt_out"], "close"),
        (CaseStatus.CLOSED, [], ""),
        (CaseStatus.NOT_ACCEPTED, [], ""),
        # the services did not allow the expected step (e.g. no transfer possible): nothing is "next"
        (CaseStatus.REGISTERED, ["sms_opt_out"], ""),
    ],
)
def test_the_next_step_follows_the_status(status: str, allowed: list[str], expected: str) -> None:
    assert primary_step(status=status, allowed=allowed) == expected


def test_a_dissatisfied_person_makes_reopening_the_next_step() -> None:
    allowed = ["reopen", "close", "sms_opt_out"]
    assert primary_step(status=CaseStatus.FOLLOWED_UP, allowed=allowed, satisfied=False) == "reopen"
    assert primary_step(status=CaseStatus.FOLLOWED_UP, allowed=allowed, satisfied=True) == "close"
    assert primary_step(status=CaseStatus.CLOSED, allowed=["reopen", "sms_opt_out"], satisfied=False) == "reopen"


def test_a_returned_slip_comes_before_anything_else() -> None:
    assert primary_step(status=CaseStatus.TRANSFERRED, allowed=["sms_opt_out"], returned_slips=True) == "reroute"


def test_the_other_steps_keep_the_rules_order_and_only_what_is_allowed() -> None:
    steps = ordered_steps(status=CaseStatus.REGISTERED, allowed=["sms_opt_out", "screen_out", "answer", "transfer"])
    assert steps == ["transfer", "answer", "screen_out", "sms_opt_out"]
    assert ordered_steps(status=CaseStatus.REPLIED, allowed=["sms_opt_out"]) == ["sms_opt_out"]


def test_every_status_has_its_next_steps() -> None:
    assert set(NEXT_STEPS) == set(CaseStatus.values)


def test_a_transferred_case_is_at_the_replies_with_their_deadline_badge() -> None:
    case = case_in(CaseStatus.TRANSFERRED, transferred_at=T0 + timedelta(hours=1))
    badge = SimpleNamespace(colour="yellow")

    stages = case_progress(case, reply_badge=badge, feedback_badge=SimpleNamespace(colour="green"))

    assert [s.key for s in stages] == ["register", "transfer", "reply", "feedback", "follow_up", "close"]
    assert [s.state for s in stages] == ["done", "done", "current", "upcoming", "upcoming", "upcoming"]
    assert [s.at for s in stages[:2]] == [T0, T0 + timedelta(hours=1)]
    assert stages[2].badge is badge and all(s.badge is None for s in stages if s.key != "reply")


def test_a_replied_case_shows_the_feedback_deadline() -> None:
    badge = SimpleNamespace(colour="red")
    stages = case_progress(case_in(CaseStatus.REPLIED, transferred_at=T0, replied_at=T0), feedback_badge=badge)
    assert [s.state for s in stages] == ["done", "done", "done", "current", "upcoming", "upcoming"]
    assert stages[3].badge is badge


def test_an_answer_on_the_spot_skips_transfer_and_replies() -> None:
    told = T0 + timedelta(minutes=20)
    case = case_in(CaseStatus.ANSWERED, answered_at=told)
    stages = case_progress(case)
    assert [s.state for s in stages] == ["done", "skipped", "skipped", "done", "current", "upcoming"]
    assert stages[3].at == told
    closed = case_in(CaseStatus.CLOSED, answered_at=told, followed_up_at=told, closed_at=told)
    assert states(closed) == ["done", "skipped", "skipped", "done", "done", "done"]


def test_a_case_not_accepted_stops_after_registration() -> None:
    case = case_in(CaseStatus.NOT_ACCEPTED, screened_at=T0)
    assert states(case) == ["done", "skipped", "skipped", "skipped", "skipped", "skipped"]


def test_a_reopened_case_is_back_at_the_transfer_and_hides_the_earlier_rounds_dates() -> None:
    case = case_in(CaseStatus.REOPENED, transferred_at=T0, replied_at=T0, fed_back_at=T0, followed_up_at=T0)
    stages = case_progress(case)
    assert [s.state for s in stages] == ["done", "current", "upcoming", "upcoming", "upcoming", "upcoming"]
    assert [s.at for s in stages[1:]] == [None] * 5


def test_a_closed_case_has_every_stage_done() -> None:
    dates = {f: T0 for f in ("transferred_at", "replied_at", "fed_back_at", "followed_up_at", "closed_at")}
    assert states(case_in(CaseStatus.CLOSED, **dates)) == ["done"] * 6
