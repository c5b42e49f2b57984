"""notifications/web and notifications/api.py: a person's own in-app notices, on every host."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from hallplatform.accounts.services import api_token_for
from notifications.kinds import DEADLINE_BREACH, DEADLINE_WARNING
from notifications.models import Notice, NoticeChannel, NoticeState
from notifications.services import notice_deliver, notice_enqueue
from tests.conftest import client_for, user
from tests.notifications.conftest import BREACH_CONTEXT


def delivered(username: str, number: int, *, hall: Any = None, kind: Any = DEADLINE_BREACH) -> Notice:
    """An in-app notice to ``username``, delivered; its subject names case ``number``."""
    notice = notice_enqueue(
        kind=kind,
        event_key=f"deadline:{number}:{kind.code}",
        channel=NoticeChannel.INBOX,
        hall=hall,
        recipient_user=user(username),
        context={**BREACH_CONTEXT, "subject_label": f"案件 WY-{number:04d}"},
    )
    assert notice is not None
    notice_deliver(notice_id=notice.pk)
    return Notice.objects.get(pk=notice.pk)


# --- the page -------------------------------------------------------------------------------------


def test_the_inbox_shows_own_notices_newest_first_unread_marked(demo: Any) -> None:
    older = delivered("wengyuan_window", 1, hall=demo["wengyuan"])
    newer = delivered("wengyuan_window", 2, hall=demo["wengyuan"], kind=DEADLINE_WARNING)
    delivered("wengyuan_lead", 3)
    Notice.objects.filter(pk=older.pk).update(read_at=older.sent_at)
    notice_enqueue(  # queued, not yet delivered: not in the inbox
        kind=DEADLINE_BREACH, event_key="e:queued", channel="inbox", recipient_user=user("wengyuan_window"), context={}
    )

    response = client_for("wengyuan_window", "wengyuan").get("/notices/")

    assert response.status_code == 200
    page = response.content.decode()
    assert page.index("案件 WY-0002") < page.index("案件 WY-0001")
    assert "案件 WY-0003" not in page
    assert [n.pk for n in response.context["page"]] == [newer.pk, older.pk]
    assert response.context["unread_count"] == 1
    assert f'action="/notices/{newer.pk}/read/"' in page
    assert f'action="/notices/{older.pk}/read/"' not in page
    assert "翁源县政务服务中心" in page
    # the header links to the inbox with the unread count
    assert '<a href="/notices/" data-unread-count-url="/api/v1/notices/unread-count/">' in page
    assert "(<span data-unread-count>1</span>)</a>" in page


def test_marking_a_notice_read_on_the_page(demo: Any) -> None:
    notice = delivered("wengyuan_window", 1)
    client = client_for("wengyuan_window", "wengyuan")

    response = client.post(f"/notices/{notice.pk}/read/", {"next": "/notices/?page=1"})

    assert response.status_code == 302
    assert response["Location"] == "/notices/?page=1"
    assert Notice.objects.get(pk=notice.pk).read_at is not None
    assert client.get("/notices/").context["unread_count"] == 0


def test_mark_read_goes_back_to_the_inbox_never_elsewhere(demo: Any) -> None:
    notice = delivered("wengyuan_window", 1)
    response = client_for("wengyuan_window", "wengyuan").post(
        f"/notices/{notice.pk}/read/", {"next": "https://evil.example.com/"}
    )
    assert response["Location"] == "/notices/"


def test_mark_all_read(demo: Any) -> None:
    for number in (1, 2, 3):
        delivered("wengyuan_window", number)
    other = delivered("wengyuan_lead", 4)

    response = client_for("wengyuan_window", "wengyuan").post("/notices/read-all/")

    assert response.status_code == 302
    assert Notice.objects.filter(recipient_user=user("wengyuan_window"), read_at__isnull=True).count() == 0
    assert Notice.objects.get(pk=other.pk).read_at is None


def test_another_persons_notice_is_404_and_stays_unread(demo: Any) -> None:
    others = delivered("wengyuan_lead", 1)

    response = client_for("wengyuan_window", "wengyuan").post(f"/notices/{others.pk}/read/")

    assert response.status_code == 404
    assert Notice.objects.get(pk=others.pk).read_at is None


def test_mark_read_is_post_only(demo: Any) -> None:
    notice = delivered("wengyuan_window", 1)
    assert client_for("wengyuan_window", "wengyuan").get(f"/notices/{notice.pk}/read/").status_code == 405
    assert Notice.objects.get(pk=notice.pk).read_at is None


def test_the_inbox_is_on_the_city_portal_too(demo: Any) -> None:
    delivered("shaoguan_supervisor", 7)
    response = client_for("shaoguan_supervisor", None).get("/notices/")
    assert response.status_code == 200
    assert "案件 WY-0007" in response.content.decode()


def test_the_inbox_needs_a_login_and_a_role_on_the_host(demo: Any) -> None:
    assert client_for(None, "wengyuan").get("/notices/").status_code == 302
    assert client_for("wengyuan_window", "nanxiong").get("/notices/").status_code == 404
    assert client_for("wengyuan_window", None).get("/notices/").status_code == 404


def test_the_inbox_is_paginated(demo: Any) -> None:
    for number in range(35):
        delivered("wengyuan_window", number)
    client = client_for("wengyuan_window", "wengyuan")
    first, second = client.get("/notices/"), client.get("/notices/?page=2")
    assert len(first.context["page"]) == 30
    assert len(second.context["page"]) == 5
    assert first.context["unread_count"] == 35


# --- the API --------------------------------------------------------------------------------------


def test_api_lists_own_notices_paginated(demo: Any) -> None:
    newer = delivered("wengyuan_window", 2, hall=demo["wengyuan"])
    older = delivered("wengyuan_window", 1)
    Notice.objects.filter(pk=older.pk).update(created_at=newer.created_at.replace(year=2020))
    delivered("wengyuan_lead", 3)

    response = client_for("wengyuan_window", "wengyuan").get("/api/v1/notices/")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [item["id"] for item in body["results"]] == [newer.pk, older.pk]
    first = body["results"][0]
    assert first["kind"] == "deadline_breach"
    assert first["kind_label"] == "逾期"
    assert first["hall"] == "wengyuan"
    assert first["subject"] == "【逾期】案件 WY-0002的部门答复期限已逾期"
    assert first["is_read"] is False
    assert body["results"][1]["hall"] is None


def test_api_list_makes_the_same_number_of_queries_for_any_number_of_notices(demo: Any) -> None:
    client = client_for("wengyuan_window", "wengyuan")
    delivered("wengyuan_window", 1, hall=demo["wengyuan"])
    client.get("/api/v1/notices/")  # warm the host-to-hall cache, so both counts compare like with like
    with CaptureQueriesContext(connection) as one:
        assert client.get("/api/v1/notices/").status_code == 200
    for number in range(2, 12):
        delivered("wengyuan_window", number, hall=demo["nanxiong" if number % 2 else "wengyuan"])
    with CaptureQueriesContext(connection) as eleven:
        assert len(client.get("/api/v1/notices/").json()["results"]) == 11
    assert len(eleven) == len(one)
    # session, user, roles, whether a second factor is due (hallplatform/accounts/two_factor.py),
    # count, page (with halls joined)
    assert len(one) <= 7


def test_api_marks_read_and_counts_unread(demo: Any) -> None:
    notice = delivered("wengyuan_window", 1)
    delivered("wengyuan_window", 2)
    client = client_for("wengyuan_window", "wengyuan")
    assert client.get("/api/v1/notices/unread-count/").json() == {"unread": 2}

    response = client.post(f"/api/v1/notices/{notice.pk}/read/")

    assert response.status_code == 200
    assert response.json()["is_read"] is True
    assert response.json()["read_at"] is not None
    assert client.get("/api/v1/notices/unread-count/").json() == {"unread": 1}
    # reading again changes nothing
    read_at = Notice.objects.get(pk=notice.pk).read_at
    client.post(f"/api/v1/notices/{notice.pk}/read/")
    assert Notice.objects.get(pk=notice.pk).read_at == read_at


@pytest.mark.parametrize("state", [NoticeState.SENT, NoticeState.QUEUED])
def test_api_another_persons_notice_is_404(demo: Any, state: str) -> None:
    others = delivered("wengyuan_lead", 1)
    Notice.objects.filter(pk=others.pk).update(state=state)
    token = api_token_for(user=user("wengyuan_window"))

    response = client_for(None, "wengyuan").post(
        f"/api/v1/notices/{others.pk}/read/", HTTP_AUTHORIZATION=f"Token {token}"
    )

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert Notice.objects.get(pk=others.pk).read_at is None


def test_api_other_channels_and_undelivered_notices_are_not_in_the_inbox(demo: Any) -> None:
    for channel in (NoticeChannel.SMS, NoticeChannel.EMAIL):
        notice_enqueue(
            kind=DEADLINE_BREACH, event_key="e:1", channel=channel, recipient_user=user("wengyuan_window"), context={}
        )
    client = client_for("wengyuan_window", "wengyuan")
    assert client.get("/api/v1/notices/").json()["count"] == 0
    assert client.get("/api/v1/notices/unread-count/").json() == {"unread": 0}


def test_api_needs_a_role_on_the_host(demo: Any) -> None:
    delivered("wengyuan_window", 1)
    assert client_for("wengyuan_window", "nanxiong").get("/api/v1/notices/").status_code == 404
    assert client_for(None, "wengyuan").get("/api/v1/notices/").status_code in (401, 403)
