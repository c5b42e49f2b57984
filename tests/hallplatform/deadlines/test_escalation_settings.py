"""Escalation settings (hallplatform/deadlines/policies.py, web.py): the hall lead sets the hall's chain,
step, who is told at the yellow warning and the warning share, with the city's defaults shown; the
city supervisor sets the city's defaults; the sweep uses the policy in force (hall → city → built-in)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from hallplatform.audit.models import AuditEvent
from hallplatform.deadlines.models import EscalationPolicy, PolicyScope
from hallplatform.deadlines.policies import (
    BUILT_IN,
    city_escalation_defaults_set,
    escalation_settings_set,
    escalations_for,
)
from hallplatform.deadlines.sweep import deadline_sweep
from hallplatform.workdays.models import CityWorkPolicy, HallWorkPolicy
from hallplatform.workdays.selectors import work_calendar_for
from tests.conftest import client_for, user
from tests.coordination.support import staff
from tests.hallplatform.deadlines.test_sweep import notices_of, slip

TZ = ZoneInfo("Asia/Shanghai")
DAY = datetime(2026, 3, 2, tzinfo=TZ).date()

HALL_FORM = {
    "own": "on",
    "chain_1": "handler",
    "chain_2": "hall_lead",
    "chain_3": "",
    "chain_4": "",
    "step_minutes": "60",
    "warning_levels": ["handler", "hall_lead"],
    "warning_share": "0.5",
}


def state() -> tuple[Any, ...]:
    """What a refused change must leave as it was."""
    return (
        sorted(EscalationPolicy.objects.values_list("hall_id", "scope", "chain", "step_minutes", "warning_levels")),
        sorted(HallWorkPolicy.objects.values_list("hall_id", "warning_share")),
        sorted(CityWorkPolicy.objects.values_list("city_id", "warning_share")),
        AuditEvent.objects.count(),
    )


# --- the hall lead's page ------------------------------------------------------------------------


def test_the_hall_lead_sees_the_citys_defaults_beside_the_halls_values(demo: Any) -> None:
    city_escalation_defaults_set(
        city=demo["shaoguan"],
        actor=user("shaoguan_supervisor"),
        chain=["handler", "city_supervisor"],
        step_minutes=120,
        warning_levels=["handler"],
        warning_share=0.6,
    )

    page = client_for("wengyuan_lead", "wengyuan").get("/settings/escalation/")

    assert page.status_code == 200
    assert page.context["default_step"] == 120 and page.context["default_share"] == 0.6
    assert page.context["form"].initial["chain_2"] == "city_supervisor"  # the city's, to start from
    assert page.context["form"].initial["own"] is False


def test_the_hall_lead_saves_the_halls_own_settings_audited(demo: Any) -> None:
    response = client_for("wengyuan_lead", "wengyuan").post("/settings/escalation/", HALL_FORM)

    assert response.status_code == 302
    row = EscalationPolicy.objects.get(hall=demo["wengyuan"], scope=PolicyScope.HALL)
    assert (row.chain, row.step_minutes, row.warning_levels) == (["handler", "hall_lead"], 60, ["hall_lead", "handler"])
    assert HallWorkPolicy.objects.get(hall=demo["wengyuan"]).warning_share == 0.5
    assert work_calendar_for(hall_id=demo["wengyuan"].pk, first=DAY, last=DAY).policy.warning_share == 0.5
    actions = set(AuditEvent.objects.filter(actor=user("wengyuan_lead")).values_list("action", flat=True))
    assert {"escalation_policy.set_hall", "work_policy.warning_share"} <= actions


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"chain_1": "", "chain_2": ""}, "chain_1"),
        ({"chain_2": "handler"}, "chain_1"),  # a level twice
        ({"chain_1": "mayor"}, "chain_1"),
        ({"step_minutes": "5"}, "step_minutes"),
        ({"step_minutes": ""}, "step_minutes"),
        ({"warning_levels": []}, "warning_levels"),
        ({"warning_share": "1.5"}, "warning_share"),
    ],
)
def test_a_refused_setting_names_its_field_and_nothing_is_half_saved(
    demo: Any, changes: dict[str, Any], field: str
) -> None:
    before = state()

    response = client_for("wengyuan_lead", "wengyuan").post("/settings/escalation/", {**HALL_FORM, **changes})

    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert state() == before


def test_the_service_refuses_every_bad_field_at_once_and_saves_nothing(demo: Any) -> None:
    before = state()

    with pytest.raises(ValidationError) as refused:
        escalation_settings_set(
            hall=demo["wengyuan"],
            actor=user("wengyuan_lead"),
            own=True,
            chain=["handler", "handler"],
            step_minutes=0,
            warning_levels=[],
            warning_share=0,
        )

    assert set(refused.value.message_dict) == {"chain", "step_minutes", "warning_levels", "warning_share"}
    assert state() == before


def test_following_the_city_again_removes_the_halls_own_escalation(demo: Any) -> None:
    client = client_for("wengyuan_lead", "wengyuan")
    client.post("/settings/escalation/", HALL_FORM)

    client.post("/settings/escalation/", {**HALL_FORM, "own": "", "warning_share": ""})

    assert not EscalationPolicy.objects.filter(hall=demo["wengyuan"]).exists()
    assert HallWorkPolicy.objects.get(hall=demo["wengyuan"]).warning_share is None
    assert escalations_for([demo["wengyuan"]])[demo["wengyuan"].pk].source == BUILT_IN
    assert AuditEvent.objects.filter(action="escalation_policy.follow_city").count() == 1


@pytest.mark.parametrize("username", ["wengyuan_window", "wengyuan_rsj", "shaoguan_supervisor"])
def test_only_the_halls_lead_may_change_them(demo: Any, username: str) -> None:
    other_lead = staff("nanxiong_lead")  # made before counting: granting its role is audited
    before = state()

    response = client_for(username, "wengyuan").post("/settings/escalation/", HALL_FORM)
    with pytest.raises(Exception) as refused:
        escalation_settings_set(
            hall=demo["wengyuan"],
            actor=other_lead,
            own=True,
            chain=["handler"],
            step_minutes=60,
            warning_levels=["handler"],
            warning_share=None,
        )

    assert response.status_code == 404
    assert type(refused.value).__name__ == "Http404"
    assert state() == before


# --- the city's defaults -------------------------------------------------------------------------


def test_the_supervisor_sets_the_citys_defaults_used_by_halls_without_their_own(demo: Any) -> None:
    response = client_for("shaoguan_supervisor", None).post(
        "/settings/escalation/",
        {**HALL_FORM, "chain_2": "city_supervisor", "step_minutes": "90", "warning_share": "0.6"},
    )

    assert response.status_code == 302
    row = EscalationPolicy.objects.get(hall=demo["shaoguan"], scope=PolicyScope.CITY)
    assert (row.chain, row.step_minutes) == (["handler", "city_supervisor"], 90)
    policies = escalations_for([demo["wengyuan"], demo["nanxiong"]])
    assert {p.source for p in policies.values()} == {PolicyScope.CITY}
    assert work_calendar_for(hall_id=demo["nanxiong"].pk, first=DAY, last=DAY).policy.warning_share == 0.6
    # a hall's own values win over the city's
    HallWorkPolicy.objects.create(hall=demo["wengyuan"], warning_share=0.8)
    assert work_calendar_for(hall_id=demo["wengyuan"].pk, first=DAY, last=DAY).policy.warning_share == 0.8
    assert AuditEvent.objects.filter(action="escalation_policy.set_city", actor=user("shaoguan_supervisor")).exists()


def test_the_citys_defaults_need_a_warning_share_and_hall_staff_get_404(demo: Any) -> None:
    before = state()

    refused = client_for("shaoguan_supervisor", None).post("/settings/escalation/", {**HALL_FORM, "warning_share": ""})
    lead = client_for("wengyuan_lead", None).post("/settings/escalation/", HALL_FORM)

    assert refused.status_code == 200 and "warning_share" in refused.context["form"].errors
    assert lead.status_code == 404
    assert state() == before


# --- the sweep uses the policy in force ----------------------------------------------------------


def test_the_sweep_follows_the_citys_chain_and_warns_the_levels_chosen(demo: Any) -> None:
    city_escalation_defaults_set(
        city=demo["shaoguan"],
        actor=user("shaoguan_supervisor"),
        chain=["handler", "city_supervisor"],
        step_minutes=60,
        warning_levels=["handler", "hall_lead"],
        warning_share=0.75,
    )
    deadline = slip(demo, 41)

    deadline_sweep(now=deadline.warn_at)
    assert notices_of(deadline) == [("warning", "wengyuan_lead"), ("warning", "wengyuan_rsj")]

    deadline_sweep(now=deadline.due_at)
    deadline.refresh_from_db()
    assert deadline.next_escalation_at == datetime(2026, 3, 5, 9, 30, tzinfo=TZ)  # 60 working minutes later
    deadline_sweep(now=deadline.next_escalation_at + timedelta(minutes=1))
    deadline.refresh_from_db()

    assert ("escalation:2", "shaoguan_supervisor") in notices_of(deadline)
    assert deadline.next_escalation_at is None


def test_a_halls_own_chain_wins_over_the_citys(demo: Any) -> None:
    city_escalation_defaults_set(
        city=demo["shaoguan"],
        actor=user("shaoguan_supervisor"),
        chain=["handler", "city_supervisor"],
        step_minutes=60,
        warning_levels=["handler"],
        warning_share=0.75,
    )
    escalation_settings_set(
        hall=demo["wengyuan"],
        actor=user("wengyuan_lead"),
        own=True,
        chain=["handler", "hall_lead"],
        step_minutes=60,
        warning_levels=["handler"],
        warning_share=None,
    )
    deadline = slip(demo, 42)

    deadline_sweep(now=deadline.due_at)
    deadline.refresh_from_db()
    deadline_sweep(now=deadline.next_escalation_at)  # type: ignore[arg-type]

    assert ("escalation:2", "wengyuan_lead") in notices_of(deadline)
    assert not any(user == "shaoguan_supervisor" for _e, user in notices_of(deadline))
