"""notifications/admin.py: operators see delivery states and send failed notices again."""

from __future__ import annotations

from typing import Any

from notifications.models import Notice, NoticeState, NoticeTemplate
from notifications.services import notice_deliver, notice_enqueue
from tests.conftest import client_for
from tests.notifications.conftest import staff
from tests.notifications.fakes import Script


def failed_notice() -> Notice:
    notice = notice_enqueue(
        kind="deadline_breach",
        event_key="deadline:9:breach",
        channel="sms",
        recipient_user=staff("n_admin"),
        context={},
    )
    assert notice is not None
    notice_deliver(notice_id=notice.pk)
    return Notice.objects.get(pk=notice.pk)


def test_operators_see_state_attempts_and_reason(demo: Any, scripted: Script) -> None:
    scripted.failures, scripted.retryable, scripted.reason = 1, False, "template rejected (test)"
    notice = failed_notice()

    response = client_for("operator", None).get("/admin/notifications/notice/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "attempt 1: template rejected (test)" in page
    assert f"user:{notice.recipient_user_id}" in page
    assert client_for("operator", None).get(f"/admin/notifications/notice/{notice.pk}/change/").status_code == 200


def test_operators_requeue_failed_notices(demo: Any, scripted: Script, django_capture_on_commit_callbacks: Any) -> None:
    scripted.failures, scripted.retryable = 1, False
    notice = failed_notice()
    assert notice.state == NoticeState.FAILED

    with django_capture_on_commit_callbacks() as callbacks:
        response = client_for("operator", None).post(
            "/admin/notifications/notice/", {"action": "requeue", "_selected_action": [notice.pk]}
        )

    assert response.status_code == 302
    assert Notice.objects.get(pk=notice.pk).state == NoticeState.QUEUED
    assert len(callbacks) == 1


def test_notices_cannot_be_deleted_or_added_in_the_admin(demo: Any, scripted: Script) -> None:
    notice = failed_notice()
    client = client_for("operator", None)
    assert client.get(f"/admin/notifications/notice/{notice.pk}/delete/").status_code == 403
    assert client.get("/admin/notifications/notice/add/").status_code == 403


def test_a_new_template_starts_from_the_default_text(demo: Any) -> None:
    response = client_for("operator", None).get(
        "/admin/notifications/noticetemplate/add/?kind=deadline_warning&channel=sms"
    )
    assert response.status_code == 200
    assert "将于{{ due_at }}到期，请及时办理。" in response.content.decode()


def test_an_operator_saves_a_hall_template(demo: Any) -> None:
    response = client_for("operator", None).post(
        "/admin/notifications/noticetemplate/add/",
        {
            "kind": "deadline_breach",
            "channel": "inbox",
            "hall": demo["wengyuan"].pk,
            "subject": "逾期",
            "body": "{% debug %}",
        },
    )
    assert response.status_code == 200  # the form again, with the error
    assert not NoticeTemplate.objects.exists()
