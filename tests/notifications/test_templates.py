"""notifications/services.py: notice_text_render — per-hall texts win over all-hall texts over defaults."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError

from notifications.kinds import DEADLINE_BREACH, DEADLINE_MOVED, NoticeKind, notice_kind_get, notice_kind_register
from notifications.models import NoticeChannel, NoticeTemplate
from notifications.services import notice_enqueue, notice_text_render
from tests.conftest import user
from tests.notifications.conftest import BREACH_CONTEXT


def render(hall: Any, channel: str = NoticeChannel.INBOX, context: dict[str, Any] | None = None) -> tuple[str, str]:
    return notice_text_render(kind=DEADLINE_BREACH, channel=channel, hall=hall, context=context or BREACH_CONTEXT)


def test_without_templates_the_default_texts_are_used(demo: Any) -> None:
    assert render(demo["wengyuan"]) == (
        "【逾期】案件 WY-2025-0012的部门答复期限已逾期",
        "案件 WY-2025-0012的部门答复期限已于2025年3月3日 17:00到期，目前仍未办结，请尽快办理并说明情况。",
    )
    # an SMS has no subject and its own, shorter text
    assert render(demo["wengyuan"], NoticeChannel.SMS) == (
        "",
        "案件 WY-2025-0012的部门答复期限已于2025年3月3日 17:00逾期，请尽快办理。",
    )


def test_a_template_for_all_halls_overrides_the_default(demo: Any) -> None:
    NoticeTemplate.objects.create(
        kind="deadline_breach",
        channel="inbox",
        subject="逾期：{{ subject_label }}",
        body="请尽快处理（{{ hall_name }}）",
    )

    assert render(demo["wengyuan"]) == ("逾期：案件 WY-2025-0012", "请尽快处理（翁源县政务服务中心）")
    assert render(None) == ("逾期：案件 WY-2025-0012", "请尽快处理（）")
    # other channels keep their defaults
    assert render(demo["wengyuan"], NoticeChannel.SMS)[1].startswith("案件 WY-2025-0012的部门答复期限")


def test_a_halls_own_template_wins_for_that_hall_only(demo: Any) -> None:
    NoticeTemplate.objects.create(kind="deadline_breach", channel="inbox", subject="全市", body="全市文本")
    NoticeTemplate.objects.create(
        kind="deadline_breach", channel="inbox", hall=demo["wengyuan"], subject="翁源", body="翁源：{{ due_at }}"
    )

    assert render(demo["wengyuan"]) == ("翁源", "翁源：2025年3月3日 17:00")
    assert render(demo["nanxiong"]) == ("全市", "全市文本")


def test_the_rendered_text_is_stored_on_the_notice(demo: Any) -> None:
    NoticeTemplate.objects.create(
        kind="deadline_breach", channel="inbox", hall=demo["wengyuan"], subject="翁源", body="{{ subject_label }}逾期"
    )
    notice = notice_enqueue(
        kind="deadline_breach",
        event_key="deadline:1:breach",
        channel="inbox",
        hall=demo["wengyuan"],
        recipient_user=user("wengyuan_window"),
        context=BREACH_CONTEXT,
    )
    assert notice is not None
    assert (notice.subject, notice.body) == ("翁源", "案件 WY-2025-0012逾期")


def test_the_callers_context_wins_over_the_built_in_variables(demo: Any) -> None:
    NoticeTemplate.objects.create(
        kind="deadline_breach", channel="inbox", subject="{{ kind_label }}", body="{{ hall_name }}"
    )
    assert render(demo["wengyuan"]) == ("逾期", "翁源县政务服务中心")
    assert render(demo["wengyuan"], context={"kind_label": "部门答复期限", "hall_name": "翁源"}) == (
        "部门答复期限",
        "翁源",
    )


def test_texts_are_plain_text_not_html(demo: Any) -> None:
    assert render(demo["wengyuan"], context={**BREACH_CONTEXT, "subject_label": "A&B <x>"})[0].startswith(
        "【逾期】A&B <x>"
    )


def test_optional_parts_of_a_default_text(demo: Any) -> None:
    context = {
        "subject_label": "案件 WY-1",
        "deadline_label": "办结期限",
        "old_due_at": "3月3日",
        "new_due_at": "3月10日",
    }
    _, without_reason = notice_text_render(kind=DEADLINE_MOVED, channel="inbox", hall=None, context=context)
    _, with_reason = notice_text_render(
        kind=DEADLINE_MOVED, channel="inbox", hall=None, context={**context, "reason": "法定节假日顺延"}
    )
    assert without_reason == "案件 WY-1的办结期限已由3月3日调整为3月10日。"
    assert with_reason == "案件 WY-1的办结期限已由3月3日调整为3月10日，原因：法定节假日顺延。"


def test_a_template_that_fails_to_render_falls_back_to_the_default(demo: Any) -> None:
    # saved without validation (e.g. by SQL): the event must not fail because of it
    NoticeTemplate.objects.create(
        kind="deadline_breach", channel="inbox", subject="x", body='{% include "base.html" %}'
    )

    assert render(demo["wengyuan"])[0] == "【逾期】案件 WY-2025-0012的部门答复期限已逾期"


@pytest.mark.parametrize(
    "body",
    [
        "{% load static %}{% static 'x' %}",
        "{% debug %}",
        '{% include "base.html" %}',
        '{% extends "base.html" %}',
        "{% url 'home' %}",
        "{% csrf_token %}",
        "{{ due_at|no_such_filter }}",
        "{% if %}",
    ],
)
def test_a_template_using_more_than_a_text_needs_is_refused(db: None, body: str) -> None:
    template = NoticeTemplate(kind="deadline_breach", channel="inbox", subject="s", body=body)
    with pytest.raises(ValidationError) as error:
        template.full_clean()
    assert "body" in error.value.message_dict


def test_a_valid_template_passes_validation(db: None) -> None:
    NoticeTemplate(
        kind="deadline_breach",
        channel="sms",
        body="{% if reason %}{{ reason|truncatechars:20 }}{% endif %}{{ due_at|default:'—' }}",
    ).full_clean()


def test_a_template_per_kind_channel_and_hall_is_unique(demo: Any) -> None:
    NoticeTemplate.objects.create(kind="deadline_breach", channel="inbox", body="a")
    with pytest.raises(ValidationError):
        NoticeTemplate(kind="deadline_breach", channel="inbox", body="b").full_clean()
    NoticeTemplate(kind="deadline_breach", channel="inbox", hall=demo["wengyuan"], body="b").full_clean()


def test_kinds_are_registered_once_and_later_apps_add_their_own(db: None) -> None:
    assert notice_kind_get("deadline_warning").label == "临期提醒"
    assert {notice_kind_get(code).label for code in ("deadline_breach", "deadline_escalation", "deadline_moved")} == {
        "逾期",
        "升级",
        "期限变更",
    }
    kind = NoticeKind(code="test_slip_replied", label="部门已答复", subject="{{ x }}", body="{{ x }}")
    assert notice_kind_register(kind) is kind
    assert notice_kind_register(kind) is kind  # the same registration again is harmless
    with pytest.raises(Exception, match="registered twice"):
        notice_kind_register(NoticeKind(code="test_slip_replied", label="其他", subject="", body=""))
    with pytest.raises(ValueError, match="Unknown notice kind"):
        notice_kind_get("nope")
