"""Every figure of the dashboards (analytics/selectors.py: figures_for, recurring_problems), checked
against a data set computed by hand.

The data set is made through the real services (register, screen out, answer, transfer with ordinary
and complex slips, replies on time and late, a returned and re-routed slip, feedback, follow-up,
reopen, supervision orders, suggestions) under a settable clock. Office hours are the default
08:30–12:00 and 14:30–17:30: a working day has 390 minutes, half a working day 195.

2026 calendar used: 中秋 holiday 25–27 September (Fri–Sun); 20 September (Sunday) and 10 October
(Saturday) are make-up working days (调休上班日); 国庆 1–7 October. August and November have no
holidays.

Hall W = 翁源 (its 人社局 R, 市场监管局 M), hall U = 武江, C = the city-level 人社局 of 韶关. The main
period is September 2026, compared with August. "Now", when the figures are read, is Monday
2026-10-12 09:00.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from django.db.models import Q

from analytics.selectors import Period, Scope, band_of, figures_for, recurring_problems
from analytics.services import suggestion_answer, suggestion_send
from casework.choices import HandlingCategory
from casework.models import Case, TransferSlip
from casework.services import (
    SlipDraft,
    case_answer_on_spot,
    case_feedback_record,
    case_follow_up,
    case_register,
    case_reopen,
    case_screen_out,
    case_transfer,
    slip_reply,
    slip_reroute,
    slip_return,
)
from coordination.services import OrderDraft, order_issue, order_respond
from hallindex.models import SlipIndex
from hallplatform.accounts.models import RoleKind
from hallplatform.accounts.services import staff_create
from hallplatform.deadlines.models import Deadline, DeadlineState
from hallplatform.deadlines.sweep import deadline_sweep
from hallplatform.personal import id_check_digit
from hallplatform.schemas import use_hall_schema, use_public_schema
from tenants.models import Department, Hall
from tests.casework.support import Clock, at, dept, install_clock
from tests.casework.test_case_register import form
from tests.conftest import user

SEPTEMBER = Period(first=date(2026, 9, 1), last=date(2026, 9, 30))
AUGUST = Period(first=date(2026, 8, 1), last=date(2026, 8, 31))
NOW = "2026-10-12T09:00"


def person(n: int) -> dict[str, str]:
    """A distinct person (mobile and resident ID number) for ``n``."""
    first17 = f"11010519800101{n:03d}"
    return {"phone": f"1390000{n:04d}", "document_number": first17 + id_check_digit(first17)}


@dataclass
class World:
    clock: Clock
    W: Hall
    U: Hall
    S: Hall
    R: Department
    M: Department
    C: Department


class Steps:
    """The window's and the departments' steps, each at a time on the clock."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    def register(self, hall: Hall, when: str, matter: str, who: int, channel: str = "on_site") -> Case:
        self.clock.set(when)
        use_hall_schema(hall)
        actor = user(f"{hall.code}_window")
        return case_register(hall=hall, actor=actor, data=form(matter_name=matter, channel=channel, **person(who)))

    def transfer(self, case: Case, when: str, *slips: tuple[Department, str], category: str = "hard_to_do") -> None:
        self.clock.set(when)
        drafts = [SlipDraft(department_id=d.pk, request="请核实办理", complexity=c) for d, c in slips]
        case_transfer(case=case, actor=self.window(case), category=category, slips=drafts)

    def window(self, case: Case) -> Any:
        return user("wujiang_window" if case.number.startswith("440203") else "wengyuan_window")

    def slip(self, case: Case, department: Department) -> TransferSlip:
        return TransferSlip.objects.filter(case=case, department=department).latest("pk")

    def reply(self, case: Case, department: Department, when: str, actor: str, result: str = "done") -> None:
        self.clock.set(when)
        slip_reply(
            slip=self.slip(case, department),
            actor=user(actor),
            result=result,
            reply="已办理",
            supplement_note="补充材料",
        )

    def feedback(self, case: Case, when: str) -> None:
        self.clock.set(when)
        case_feedback_record(case=case, actor=self.window(case), method="phone", content="已电话告知结果")

    def follow_up(self, case: Case, when: str, satisfaction: str) -> None:
        self.clock.set(when)
        day = self.clock.now.date()
        case_follow_up(case=case, actor=self.window(case), method="phone", date=day, satisfaction=satisfaction)

    def answer(self, case: Case, when: str, category: str) -> None:
        self.clock.set(when)
        case_answer_on_spot(
            case=case, actor=self.window(case), category=category, answer="一次性告知", policy_basis="政策依据"
        )

    def screen_out(self, case: Case, when: str, reason: str) -> None:
        self.clock.set(when)
        case_screen_out(case=case, actor=self.window(case), reason=reason, referral="引导至相关部门")


def build(demo: dict[str, Hall], clock: Clock) -> World:
    """The data set. Comments give each deadline's due time and the working minutes each one took."""
    W, U, S = demo["wengyuan"], demo["wujiang"], demo["shaoguan"]
    staff_create(
        username="wengyuan_scjgj",
        password="-",
        kind=RoleKind.DEPARTMENT_HANDLER,
        department_code="wengyuan/scjgj",
        check_password=False,
    )
    staff_create(
        username="wujiang_window", password="-", kind=RoleKind.WINDOW_STAFF, hall_code="wujiang", check_password=False
    )
    R, M, C = dept("wengyuan/rsj"), dept("wengyuan/scjgj"), dept("shaoguan/rsj")
    go = Steps(clock)

    # --- August (the previous period), hall W ---------------------------------------------------
    a1 = go.register(W, "2026-08-03T09:00", "社保卡补办", 10)
    go.answer(a1, "2026-08-03T09:05", HandlingCategory.CONSULTATION)
    go.follow_up(a1, "2026-08-04T10:00", "satisfied")
    a2 = go.register(W, "2026-08-04T09:00", "社保卡补办", 11)
    go.transfer(a2, "2026-08-04T09:00", (R, "ordinary"))  # due Thu 08-06 17:30
    go.reply(a2, R, "2026-08-07T09:00", "wengyuan_rsj")  # late; 360 + 390 + 390 + 30 = 1170 min
    go.feedback(a2, "2026-08-07T10:00")  # feedback due 14:45; on time, 60 min
    a3 = go.register(W, "2026-08-05T09:00", "户籍迁移", 12, channel="phone")
    go.screen_out(a3, "2026-08-05T09:10", "filed")

    # --- September, hall W ------------------------------------------------------------------------
    c1 = go.register(W, "2026-09-01T09:00", "社保卡补办", 1)
    go.answer(c1, "2026-09-01T09:10", HandlingCategory.CONSULTATION)
    go.follow_up(c1, "2026-09-02T10:00", "very_satisfied")

    c2 = go.register(W, "2026-09-01T09:30", "社保卡 补办", 2, channel="phone")
    go.screen_out(c2, "2026-09-01T09:40", "litigation")

    c3 = go.register(W, "2026-09-02T10:00", "营业执照变更", 3)
    go.screen_out(c3, "2026-09-02T10:10", "petition")

    # C4: person 1 again (a repeat reporter); dissatisfied, reopened, transferred again.
    c4 = go.register(W, "2026-09-03T09:00", "社保卡补办业务", 1)
    go.transfer(c4, "2026-09-03T09:00", (R, "ordinary"))  # due Mon 09-07 17:30
    go.reply(c4, R, "2026-09-04T10:00", "wengyuan_rsj")  # on time; 360 + 90 = 450 min
    go.feedback(c4, "2026-09-04T15:45")  # due 15:45 across the lunch break: met exactly on time, 195 min
    go.follow_up(c4, "2026-09-07T09:00", "dissatisfied")
    clock.set("2026-09-07T10:00")
    case_reopen(case=c4, actor=user("wengyuan_window"), reason="群众不满意")
    go.transfer(c4, "2026-09-07T10:30", (M, "ordinary"))  # due Wed 09-09 17:30 (close of office)
    go.reply(c4, M, "2026-09-09T17:31", "wengyuan_scjgj")  # one minute late; 270 + 390 + 390 = 1050 min
    # its feedback opens at 17:31 (after hours): due Thu 09-10 11:45, never given: overdue now

    # C5: two slips; R returns its slip, re-routed to M; the complex slip to C.
    c5 = go.register(W, "2026-09-07T09:00", "不动产登记", 4, channel="phone")
    go.transfer(c5, "2026-09-07T09:00", (R, "ordinary"), (C, "complex"))  # C: due Mon 09-14 17:30
    clock.set("2026-09-07T11:00")
    slip_return(slip=go.slip(c5, R), actor=user("wengyuan_rsj"), reason="非本单位职责")  # its deadline cancelled
    clock.set("2026-09-07T14:30")
    slip_reroute(slip=go.slip(c5, R), actor=user("wengyuan_window"), department_id=M.pk)  # due Wed 09-09 17:30
    go.reply(c5, M, "2026-09-08T14:30", "wengyuan_scjgj")  # on time; 180 + 210 = 390 min
    go.reply(c5, C, "2026-09-11T16:00", "shaoguan_rsj")  # on time; 360 + 3 × 390 + 300 = 1830 min
    go.feedback(c5, "2026-09-14T10:00")  # Fri 16:00 + 195 min across the weekend: due Mon 10:15; 90 + 90 = 180
    go.follow_up(c5, "2026-09-15T10:00", "satisfied")

    # C6: 不给办 (flagged); the slip is never answered: overdue now. A supervision order on it.
    c6 = go.register(W, "2026-09-14T09:00", "社保卡补办", 5)
    go.transfer(c6, "2026-09-14T09:00", (R, "ordinary"), category=HandlingCategory.REFUSED)  # due Wed 09-16 17:30
    use_public_schema()
    clock.set("2026-09-17T09:00")
    order = order_issue(
        actor=user("shaoguan_supervisor"),
        hall=None,
        draft=OrderDraft(
            target_hall_id=W.pk,
            reason="逾期未答复",
            required_action="立即办理",
            days=2,
            target_department_id=R.pk,
            slip_id=SlipIndex.objects.get(hall=W, case_id=c6.pk).pk,
        ),
    )
    # due: Fri 09-18 is day 1, Sun 09-20 (make-up working day) day 2 → 09-20 17:30
    clock.set("2026-09-20T10:00")
    order_respond(actor=user("wengyuan_rsj"), order=order, response="已办理")  # on time; 360 + 390 + 90 = 840 min

    # C7: slip answered on a make-up working day (Sunday 09-20).
    c7 = go.register(W, "2026-09-18T10:00", "医保报销", 6)
    go.transfer(c7, "2026-09-18T10:00", (R, "ordinary"))  # day 1 Sun 09-20 (make-up), day 2 Mon 09-21 17:30
    go.reply(c7, R, "2026-09-20T10:00", "wengyuan_rsj")  # on time; 300 + 90 = 390 min
    go.feedback(c7, "2026-09-21T09:00")  # due Sun 09-20 15:45: late; 300 + 30 = 330 min
    go.follow_up(c7, "2026-09-22T10:00", "fairly_satisfied")

    # C8: sent the day before the 中秋 holiday, answered on the first working day after it.
    c8 = go.register(W, "2026-09-24T09:00", "营业执照 变更。", 7, channel="phone")
    go.transfer(c8, "2026-09-24T09:00", (M, "ordinary"))  # day 1 Mon 09-28, day 2 Tue 09-29 17:30
    go.reply(c8, M, "2026-09-28T09:00", "wengyuan_scjgj")  # on time; 360 + 30 = 390 min
    go.feedback(c8, "2026-09-28T14:45")  # due 14:45; on time, 180 + 15 = 195 min
    go.follow_up(c8, "2026-09-29T10:00", "very_dissatisfied")

    # A supervision order of the hall lead, due after the holiday, never answered: overdue now.
    use_public_schema()
    clock.set("2026-09-24T09:00")
    order_issue(
        actor=user("wengyuan_lead"),
        hall=W,
        draft=OrderDraft(target_hall_id=W.pk, reason="窗口协调", required_action="报告进展", days=1),
    )  # due: 09-25..27 holiday → day 1 Mon 09-28 17:30

    # C9: complex, over the 国庆 holiday: due 10-12 17:30, still running now (not counted yet).
    c9 = go.register(W, "2026-09-29T10:00", "营业执照变更", 8)
    go.transfer(c9, "2026-09-29T10:00", (C, "complex"))  # 09-30, 10-08, 10-09, 10-10 (make-up), 10-12

    c10 = go.register(W, "2026-09-30T10:00", "医保报销", 9)
    go.answer(c10, "2026-09-30T10:10", HandlingCategory.CANNOT_DO)

    # --- September, hall U (all on time) --------------------------------------------------------------
    u1 = go.register(U, "2026-09-08T09:00", "社保卡补办", 13)
    go.transfer(u1, "2026-09-08T09:00", (C, "ordinary"))  # due Thu 09-10 17:30
    go.reply(u1, C, "2026-09-10T09:00", "shaoguan_rsj")  # 360 + 390 + 30 = 780 min
    go.feedback(u1, "2026-09-10T09:30")  # 30 min
    go.follow_up(u1, "2026-09-11T10:00", "very_satisfied")
    u2 = go.register(U, "2026-09-08T10:00", "社保卡补办", 14, channel="phone")
    go.transfer(u2, "2026-09-08T10:00", (C, "ordinary"))
    go.reply(u2, C, "2026-09-09T10:00", "shaoguan_rsj")  # 300 + 90 = 390 min
    go.feedback(u2, "2026-09-09T11:00")  # 60 min; not followed up

    # --- Suggestions -----------------------------------------------------------------------------------
    use_public_schema()
    clock.set("2026-09-15T10:00")
    s1 = suggestion_send(
        actor=user("wengyuan_lead"), scope=Scope.of_hall(W), department_id=R.pk, finding="逾期", suggestion="加强人员"
    )
    clock.set("2026-09-16T10:00")
    suggestion_answer(actor=user("wengyuan_rsj"), suggestion=s1, answer="已增派人员")
    clock.set("2026-09-22T10:00")
    suggestion_send(
        actor=user("wengyuan_lead"), scope=Scope.of_hall(W), department_id=M.pk, finding="退回", suggestion="明确职责"
    )
    clock.set("2026-09-21T10:00")
    s3 = suggestion_send(
        actor=user("shaoguan_supervisor"),
        scope=Scope.of_city(S),
        department_id=C.pk,
        finding="复杂件多",
        suggestion="数据共享",
    )
    clock.set("2026-09-23T10:00")
    suggestion_answer(actor=user("shaoguan_rsj"), suggestion=s3, answer="推进共享")

    use_public_schema()
    clock.set(NOW)
    return World(clock=clock, W=W, U=U, S=S, R=R, M=M, C=C)


@pytest.fixture
def world(demo: dict[str, Hall], monkeypatch: pytest.MonkeyPatch) -> World:
    return build(demo, install_clock(monkeypatch, at(NOW)))


def stage(
    total: int, on_time: int, late: int, overdue: int, median: float | None, p90: float | None, rate: float | None
) -> dict[str, Any]:
    return {
        "total": total,
        "on_time": on_time,
        "late": late,
        "open_overdue": overdue,
        "median_minutes": median,
        "p90_minutes": p90,
        "on_time_rate": rate,
    }


NO_STAGE = stage(0, 0, 0, 0, None, None, None)
SATISFACTION_ZERO = dict.fromkeys(
    ["very_satisfied", "satisfied", "fairly_satisfied", "dissatisfied", "very_dissatisfied"], 0
)


def department(d: Department, **values: Any) -> dict[str, Any]:
    return {"id": d.pk, "name": d.name, "hall": d.hall.name, **values}


def matter(key: str, cases: int, transferred: int, flagged: int, unsatisfied: int) -> dict[str, Any]:
    return {
        "key": key,
        "name": key,
        "cases": cases,
        "transferred": transferred,
        "flagged": flagged,
        "unsatisfied": unsatisfied,
    }


# No rating by the person in this world (docs/ratings.md; tests/casework/test_ratings.py counts them).
NO_RATINGS = {
    "by_level": {
        level: 0 for level in ("very_satisfied", "satisfied", "fairly_satisfied", "dissatisfied", "very_dissatisfied")
    },
    "by_person": 0,
    "by_default": 0,
    "voided": 0,
    "appeals": {"requested": 0, "pending": 0, "kept": 0, "voided": 0},
    "rectifications": {"opened": 0, "met": 0, "on_time": 0, "breached": 0},
}


def test_hall_figures_of_the_month(world: World) -> None:
    w = world
    figures = figures_for(scope=Scope.of_hall(w.W), period=SEPTEMBER).as_dict()

    assert figures == {
        "period": {"first": "2026-09-01", "last": "2026-09-30"},
        "cases": 10,  # C1–C10
        "by_channel": {"on_site": 7, "phone": 3},  # by phone: C2, C5, C8
        "by_category": {"consultation": 1, "hard_to_do": 5, "refused": 1, "cannot_do": 1},  # C2, C3: none
        "by_failure_kind": {},
        "ratings": NO_RATINGS,
        "by_status": {"followed_up": 4, "not_accepted": 2, "replied": 1, "transferred": 2, "answered": 1},
        "not_accepted": 2,
        "by_exclusion_reason": {"litigation": 1, "petition": 1},
        "by_result": {"done": 6, "in_progress": 2},  # C6, C9 in progress
        "flagged": 1,  # C6 (不给办)
        "repeat_reporters": 1,  # C4: person 1 reported C1 before
        "reopened": 1,  # C4
        "matters": [
            # C1, C2 "社保卡 补办", C4 "社保卡补办业务", C6; not done on the spot: C4, C6
            matter("社保卡补办", 4, 2, 1, 0),
            # C3, C8 "营业执照 变更。", C9; C8 very dissatisfied
            matter("营业执照变更", 3, 2, 0, 1),
            matter("医保报销", 2, 1, 0, 0),  # C7 transferred, C10 answered (cannot be done)
            matter("不动产登记", 1, 1, 0, 0),
        ],
        "departments": [
            # C4 (on time), C5 (returned, re-routed), C6 (overdue, flagged), C7 (on time, make-up day)
            department(
                w.R, slips=4, replied=2, returned=1, on_time=2, late=1, flagged=1, on_time_rate=66.7, band="attention"
            ),
            # C4 again (a minute late), C5 re-routed (on time), C8 (on time after the holiday)
            department(
                w.M, slips=3, replied=3, returned=0, on_time=2, late=1, flagged=0, on_time_rate=66.7, band="attention"
            ),
            # C5 complex (on time), C9 complex (still running)
            department(
                w.C, slips=2, replied=1, returned=0, on_time=1, late=0, flagged=0, on_time_rate=100.0, band="good"
            ),
        ],
        "stages": {
            # met: 450, 1050, 390, 390, 390 → sorted 390 390 390 450 1050; median 390;
            # p90 at 0.9 × 4 = 3.6: 450 + 0.6 × (1050 − 450) = 810. Late: C4 (17:31) and C6 (overdue).
            "slip_ordinary": stage(6, 4, 2, 1, 390.0, 810.0, 66.7),
            "slip_complex": stage(1, 1, 0, 0, 1830.0, 1830.0, 100.0),  # C9 still running: not counted
            # met: 195 (C4), 180 (C5), 330 (C7, late), 195 (C8) → 180 195 195 330; median 195;
            # p90 at 2.7: 195 + 0.7 × 135 = 289.5. Late: C7, and C4's second feedback (overdue).
            "feedback": stage(5, 3, 2, 1, 195.0, 289.5, 60.0),
            "resolution": NO_STAGE,
            "order": stage(2, 1, 1, 1, 840.0, 840.0, 50.0),
        },
        "overdue_now": {"slip_reply": 1, "feedback": 1, "supervision_order": 1},
        "follow_up_due": 6,  # told: C1, C4, C5, C7, C8, C10
        "followed_up": 5,  # all but C10; C4's follow-up stays on record after its reopening
        "follow_up_rate": 83.3,
        # C4's rating was cleared when it was reopened
        "satisfaction": {
            **SATISFACTION_ZERO,
            "very_satisfied": 1,
            "satisfied": 1,
            "fairly_satisfied": 1,
            "very_dissatisfied": 1,
        },
        "suggestions_sent": 2,  # the hall lead's two; the city's one is not the hall's
        "suggestions_answered": 1,
        "halls": [],
    }


def test_hall_figures_of_the_previous_month(world: World) -> None:
    w = world
    previous = SEPTEMBER.previous()
    assert previous == AUGUST

    figures = figures_for(scope=Scope.of_hall(w.W), period=previous).as_dict()

    assert figures == {
        "period": {"first": "2026-08-01", "last": "2026-08-31"},
        "cases": 3,
        "by_channel": {"on_site": 2, "phone": 1},
        "by_category": {"consultation": 1, "hard_to_do": 1},
        "by_failure_kind": {},
        "ratings": NO_RATINGS,
        "by_status": {"followed_up": 1, "fed_back": 1, "not_accepted": 1},
        "not_accepted": 1,
        "by_exclusion_reason": {"filed": 1},
        "by_result": {"done": 2},
        "flagged": 0,
        "repeat_reporters": 0,
        "reopened": 0,
        "matters": [matter("社保卡补办", 2, 1, 0, 0), matter("户籍迁移", 1, 0, 0, 0)],
        "departments": [
            department(
                w.R, slips=1, replied=1, returned=0, on_time=0, late=1, flagged=0, on_time_rate=0.0, band="attention"
            ),
        ],
        "stages": {
            "slip_ordinary": stage(1, 0, 1, 0, 1170.0, 1170.0, 0.0),
            "slip_complex": NO_STAGE,
            "feedback": stage(1, 1, 0, 0, 60.0, 60.0, 100.0),
            "resolution": NO_STAGE,
            "order": NO_STAGE,
        },
        "overdue_now": {"slip_reply": 1, "feedback": 1, "supervision_order": 1},  # now, whatever the period
        "follow_up_due": 2,
        "followed_up": 1,
        "follow_up_rate": 50.0,
        "satisfaction": {**SATISFACTION_ZERO, "satisfied": 1},
        "suggestions_sent": 0,
        "suggestions_answered": 0,
        "halls": [],
    }


def test_city_figures_and_bands(world: World) -> None:
    w = world
    figures = figures_for(scope=Scope.of_city(w.S), period=SEPTEMBER).as_dict()

    departments = sorted(
        [
            department(
                w.R, slips=4, replied=2, returned=1, on_time=2, late=1, flagged=1, on_time_rate=66.7, band="attention"
            ),
            department(
                w.M, slips=3, replied=3, returned=0, on_time=2, late=1, flagged=0, on_time_rate=66.7, band="attention"
            ),
            # C5, C9 from W; U1, U2 from U
            department(
                w.C, slips=4, replied=3, returned=0, on_time=3, late=0, flagged=0, on_time_rate=100.0, band="good"
            ),
        ],
        key=lambda d: (-d["slips"], d["id"]),
    )
    rates = {
        # slip replies and feedback started in September: W 5 + 3 on time, 2 + 2 late; U all four on time
        "wengyuan": (10, 66.7, "attention"),
        "wujiang": (2, 100.0, "good"),
    }
    halls = [
        {
            "id": h.pk,
            "code": h.code,
            "name": h.name,
            "cases": rates.get(h.code, (0, None, None))[0],
            "on_time_rate": rates.get(h.code, (0, None, None))[1],
            "band": rates.get(h.code, (0, None, None))[2],
        }
        for h in Hall.objects.filter(Q(pk=w.S.pk) | Q(parent=w.S)).order_by("level", "region_code")
    ]
    assert [h["code"] for h in halls][:2] == ["shaoguan", "wujiang"]
    assert figures == {
        "period": {"first": "2026-09-01", "last": "2026-09-30"},
        "cases": 12,
        "by_channel": {"on_site": 8, "phone": 4},
        "by_category": {"consultation": 1, "hard_to_do": 7, "refused": 1, "cannot_do": 1},
        "by_failure_kind": {},
        "ratings": NO_RATINGS,
        "by_status": {
            "followed_up": 5,
            "not_accepted": 2,
            "replied": 1,
            "fed_back": 1,
            "transferred": 2,
            "answered": 1,
        },
        "not_accepted": 2,
        "by_exclusion_reason": {"litigation": 1, "petition": 1},
        "by_result": {"done": 8, "in_progress": 2},
        "flagged": 1,
        "repeat_reporters": 1,
        "reopened": 1,
        "matters": [
            matter("社保卡补办", 6, 4, 1, 0),
            matter("营业执照变更", 3, 2, 0, 1),
            matter("医保报销", 2, 1, 0, 0),
            matter("不动产登记", 1, 1, 0, 0),
        ],
        "departments": departments,
        "stages": {
            # met: W 450 1050 390 390 390, U 780 390 → 390 390 390 390 450 780 1050; median 390;
            # p90 at 0.9 × 6 = 5.4: 780 + 0.4 × 270 = 888
            "slip_ordinary": stage(8, 6, 2, 1, 390.0, 888.0, 75.0),
            "slip_complex": stage(1, 1, 0, 0, 1830.0, 1830.0, 100.0),
            # met: 30 60 180 195 195 330; median (180 + 195) / 2 = 187.5; p90 at 4.5: 195 + 0.5 × 135 = 262.5
            "feedback": stage(7, 5, 2, 1, 187.5, 262.5, 71.4),
            "resolution": NO_STAGE,
            "order": stage(2, 1, 1, 1, 840.0, 840.0, 50.0),
        },
        "overdue_now": {"slip_reply": 1, "feedback": 1, "supervision_order": 1},
        "follow_up_due": 8,
        "followed_up": 6,
        "follow_up_rate": 75.0,
        "satisfaction": {
            **SATISFACTION_ZERO,
            "very_satisfied": 2,
            "satisfied": 1,
            "fairly_satisfied": 1,
            "very_dissatisfied": 1,
        },
        "suggestions_sent": 3,
        "suggestions_answered": 2,
        "halls": halls,
    }


def test_the_deadline_sweep_changes_no_figure(world: World) -> None:
    """Breached rows (what the sweep makes of overdue ones) count exactly as open rows past due."""
    before = {
        name: figures_for(scope=scope, period=SEPTEMBER).as_dict()
        for name, scope in (("hall", Scope.of_hall(world.W)), ("city", Scope.of_city(world.S)))
    }

    result = deadline_sweep(now=world.clock.now)

    assert result.breached == 3
    assert Deadline.objects.filter(state=DeadlineState.BREACHED).count() == 3
    assert figures_for(scope=Scope.of_hall(world.W), period=SEPTEMBER).as_dict() == before["hall"]
    assert figures_for(scope=Scope.of_city(world.S), period=SEPTEMBER).as_dict() == before["city"]


def test_recurring_problems_with_their_trend(world: World) -> None:
    w = world
    found = recurring_problems(scope=Scope.of_hall(w.W), period=SEPTEMBER)

    assert [(m["key"], m["cases"], m["previous"], m["trend"]) for m in found["matters"]] == [
        ("社保卡补办", 4, 2, 2),  # August: A1, A2
        ("营业执照变更", 3, 0, 3),
        ("医保报销", 2, 0, 2),
        ("不动产登记", 1, 0, 1),
    ]
    # late or returned: R 1 + 1 (August: 1 late), M 1 (August: none); C none
    failing = [
        (d["id"], d["failures"], d["late"], d["returned"], d["previous"], d["trend"]) for d in found["departments"]
    ]
    assert failing == [
        (w.R.pk, 2, 1, 1, 1, 1),
        (w.M.pk, 1, 1, 0, 0, 1),
    ]


def test_the_previous_count_of_a_matter_is_exact_beyond_the_previous_top_list(world: World) -> None:
    """A matter rare before and frequent now gets its exact previous count."""
    found = recurring_problems(scope=Scope.of_hall(world.W), period=SEPTEMBER, limit=1)

    assert [(m["key"], m["previous"]) for m in found["matters"]] == [("社保卡补办", 2)]


# --- Paused clocks (补正材料) ----------------------------------------------------------------------------


def test_a_paused_clock_is_neither_overdue_nor_late_unless_it_was_late_when_paused(
    demo: dict[str, Hall], monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = install_clock(monkeypatch, at("2026-11-02T09:00"))
    staff_create(
        username="wengyuan_scjgj",
        password="-",
        kind=RoleKind.DEPARTMENT_HANDLER,
        department_code="wengyuan/scjgj",
        check_password=False,
    )
    W, R, M = demo["wengyuan"], dept("wengyuan/rsj"), dept("wengyuan/scjgj")
    go = Steps(clock)
    in_time = go.register(W, "2026-11-02T09:00", "社保卡补办", 20)
    go.transfer(in_time, "2026-11-02T09:00", (R, "ordinary"))  # due Wed 11-04 17:30
    go.reply(in_time, R, "2026-11-03T09:00", "wengyuan_rsj", result="supplement")  # paused in time
    late = go.register(W, "2026-11-02T09:00", "医保报销", 21)
    go.transfer(late, "2026-11-02T09:00", (M, "ordinary"))  # due Wed 11-04 17:30
    go.reply(late, M, "2026-11-05T09:00", "wengyuan_scjgj", result="supplement")  # paused when already late
    use_public_schema()
    clock.set("2026-11-09T09:00")  # both original due times have passed

    figures = figures_for(scope=Scope.of_hall(W), period=Period.month_of(date(2026, 11, 1))).as_dict()

    assert Deadline.objects.filter(state=DeadlineState.PAUSED).count() == 2
    assert figures["stages"]["slip_ordinary"] == stage(1, 0, 1, 0, None, None, 0.0)
    assert figures["overdue_now"] == {}
    assert {d["id"]: (d["on_time"], d["late"], d["band"]) for d in figures["departments"]} == {
        R.pk: (0, 0, None),
        M.pk: (0, 1, "attention"),
    }
    assert figures["by_status"] == {"awaiting_supplement": 2}


# --- Periods and bands -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("period", "previous"),
    [
        (Period(date(2026, 3, 1), date(2026, 3, 31)), Period(date(2026, 2, 1), date(2026, 2, 28))),
        (Period(date(2026, 1, 1), date(2026, 1, 31)), Period(date(2025, 12, 1), date(2025, 12, 31))),
        (Period(date(2026, 9, 10), date(2026, 9, 19)), Period(date(2026, 8, 31), date(2026, 9, 9))),
        (Period(date(2026, 9, 1), date(2026, 9, 1)), Period(date(2026, 8, 31), date(2026, 8, 31))),
    ],
)
def test_the_previous_period(period: Period, previous: Period) -> None:
    assert period.previous() == previous


@pytest.mark.parametrize(
    ("rate", "band"),
    [
        (100.0, "good"),
        (95.0, "good"),
        (94.9, "middle"),
        (80.0, "middle"),
        (79.9, "attention"),
        (0.0, "attention"),
        (None, None),
    ],
)
def test_bands_of_an_on_time_rate(rate: float | None, band: str | None) -> None:
    assert band_of(rate, (95.0, 80.0)) == band
