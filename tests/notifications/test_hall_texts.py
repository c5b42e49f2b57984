"""A hall's own wording of its notices (notifications/web/settings.py; services
notice_template_set_for_hall, notice_template_reset_for_hall, notice_text_preview): the hall lead
edits it with a preview on sample values; a text that does not render is refused; audited."""

from __future__ import annotations

from typing import Any

import pytest

from hallplatform.audit.models import AuditEvent
from notifications.kinds import DEADLINE_BREACH
from notifications.models import NoticeChannel, NoticeTemplate
from notifications.services import notice_enqueue
from tests.conftest import client_for, user
from tests.notifications.conftest import BREACH_CONTEXT

URL = "/settings/notice-texts/deadline_breach/inbox/"


def state() -> tuple[Any, ...]:
    return (
        sorted(NoticeTemplate.objects.values_list("kind", "channel", "hall_id", "subject", "body")),
        AuditEvent.objects.count(),
    )


def test_the_list_shows_every_kind_and_which_the_hall_words_its_own_way(demo: Any) -> None:
    NoticeTemplate.objects.create(kind="deadline_breach", channel="inbox", hall=demo["wengyuan"], body="x")

    page = client_for("wengyuan_lead", "wengyuan").get("/settings/notice-texts/")

    assert page.status_code == 200
    row = next(r for r in page.context["rows"] if r["kind"].code == "deadline_breach")
    assert [own for _c, _l, own in row["channels"]] == [True, False, False]
    assert any(r["kind"].code == "meeting_requested" for r in page.context["rows"])


def test_the_preview_renders_on_sample_values_and_saves_nothing(demo: Any) -> None:
    before = state()

    page = client_for("wengyuan_lead", "wengyuan").post(
        URL,
        {"action": "preview", "subject": "【逾期】{{ subject_label }}", "body": "{{ hall_name }}：{{ due_at }}到期"},
    )

    assert page.status_code == 200
    assert page.context["preview"] == ("【逾期】〔subject_label〕", "翁源县政务服务中心：〔due_at〕到期")
    assert state() == before


def test_the_lead_saves_the_halls_wording_which_its_notices_then_use(demo: Any) -> None:
    response = client_for("wengyuan_lead", "wengyuan").post(
        URL, {"action": "save", "subject": "【本厅逾期】{{ subject_label }}", "body": "请立即处理{{ subject_label }}。"}
    )

    assert response.status_code == 302
    template = NoticeTemplate.objects.get(kind="deadline_breach", channel="inbox", hall=demo["wengyuan"])
    assert template.subject == "【本厅逾期】{{ subject_label }}"
    event = AuditEvent.objects.get(action="notice_template.set")
    assert event.actor == user("wengyuan_lead") and event.changes["before"] is None
    notice = notice_enqueue(
        kind=DEADLINE_BREACH,
        event_key="deadline:1:breach",
        channel=NoticeChannel.INBOX,
        hall=demo["wengyuan"],
        recipient_user=user("wengyuan_window"),
        context=BREACH_CONTEXT,
    )
    assert notice is not None and notice.subject.startswith("【本厅逾期】")
    other = notice_enqueue(
        kind=DEADLINE_BREACH,
        event_key="deadline:2:breach",
        channel=NoticeChannel.INBOX,
        hall=demo["nanxiong"],
        recipient_user=user("wengyuan_window"),
        context=BREACH_CONTEXT,
    )
    assert other is not None and not other.subject.startswith("【本厅逾期】")


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"subject": "s", "body": "{% load static %}x"}, "body"),
        ({"subject": "{{ subject_label|nosuchfilter }}", "body": "x"}, "subject"),
        ({"subject": "s", "body": "{% if %}"}, "body"),
        ({"subject": "s", "body": "  "}, "body"),
        ({"subject": "s" * 201, "body": "x"}, "subject"),
    ],
)
def test_a_text_that_does_not_render_is_refused_on_its_field(demo: Any, data: dict[str, str], field: str) -> None:
    before = state()

    page = client_for("wengyuan_lead", "wengyuan").post(URL, {"action": "save", **data})

    assert page.status_code == 200
    assert field in page.context["form"].errors
    assert state() == before


def test_reset_goes_back_to_the_default_audited(demo: Any) -> None:
    NoticeTemplate.objects.create(kind="deadline_breach", channel="inbox", hall=demo["wengyuan"], body="本厅")

    response = client_for("wengyuan_lead", "wengyuan").post(URL, {"action": "reset"})

    assert response.status_code == 302
    assert not NoticeTemplate.objects.filter(hall=demo["wengyuan"]).exists()
    assert AuditEvent.objects.filter(action="notice_template.reset", actor=user("wengyuan_lead")).count() == 1


@pytest.mark.parametrize(
    ("username", "path"),
    [
        ("wengyuan_window", URL),
        ("shaoguan_supervisor", URL),
        ("wengyuan_lead", "/settings/notice-texts/no_such_kind/inbox/"),
        ("wengyuan_lead", "/settings/notice-texts/deadline_breach/fax/"),
    ],
)
def test_others_and_unknown_texts_get_404_and_change_nothing(demo: Any, username: str, path: str) -> None:
    before = state()

    response = client_for(username, "wengyuan").post(path, {"action": "save", "subject": "s", "body": "b"})

    assert response.status_code == 404
    assert state() == before
