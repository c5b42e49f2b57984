"""notifications/links.py: every notice links to its subject on the host that serves it; the header's
unread count refreshes without reloading the page (hallplatform/static/hallplatform/notices.js)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core import mail

from casework.models import TransferSlip
from hallplatform.schemas import use_hall_schema, use_public_schema
from notifications.kinds import DEADLINE_BREACH
from notifications.links import NoticeLink, link_url, notice_link_url
from notifications.models import Notice, NoticeChannel
from notifications.services import notice_deliver, notice_enqueue
from tests.casework.support import draft, register, transfer
from tests.conftest import client_for, user
from tests.notifications.conftest import BREACH_CONTEXT, staff


def linked(recipient: Any, link: NoticeLink | None, channel: str = NoticeChannel.INBOX, key: str = "1") -> Notice:
    notice = notice_enqueue(
        kind=DEADLINE_BREACH,
        event_key=f"deadline:{key}:breach",
        channel=channel,
        recipient_user=recipient,
        context=BREACH_CONTEXT,
        link=link,
    )
    assert notice is not None
    notice_deliver(notice_id=notice.pk)
    return Notice.objects.select_related("link_hall").get(pk=notice.pk)


def test_a_link_is_stored_as_a_path_and_the_hall_whose_host_serves_it(demo: Any, settings: Any) -> None:
    settings.NOTICE_LINK_SCHEME, settings.NOTICE_LINK_PORT = "https", ""
    hall_notice = linked(user("wengyuan_window"), NoticeLink("/cases/7/", hall=demo["wengyuan"]))
    city_notice = linked(user("shaoguan_supervisor"), NoticeLink("/portal/meeting-requests/"), key="2")
    bare = linked(user("wengyuan_lead"), None, key="3")

    assert (hall_notice.link_path, hall_notice.link_hall) == ("/cases/7/", demo["wengyuan"])
    assert notice_link_url(hall_notice) == f"https://wengyuan.{settings.BASE_DOMAIN}/cases/7/"
    assert notice_link_url(city_notice) == f"https://{settings.BASE_DOMAIN}/portal/meeting-requests/"
    assert notice_link_url(bare) == ""


def test_a_message_without_a_request_uses_the_configured_scheme_and_port(demo: Any, settings: Any) -> None:
    settings.NOTICE_LINK_SCHEME, settings.NOTICE_LINK_PORT = "http", "8000"
    link = NoticeLink("/slips/3/", hall=demo["nanxiong"])
    assert link_url(link) == f"http://nanxiong.{settings.BASE_DOMAIN}:8000/slips/3/"


@pytest.mark.parametrize("path", ["cases/1/", "//evil.example.com/x", "https://evil.example.com/", "/" + "x" * 300])
def test_a_link_is_a_path_of_this_site_only(path: str) -> None:
    with pytest.raises(ValueError, match="path of this site"):
        NoticeLink(path)


def test_an_email_carries_the_link_of_its_subject(demo: Any, settings: Any) -> None:
    settings.NOTICE_LINK_SCHEME, settings.NOTICE_LINK_PORT = "https", ""
    recipient = staff("n_link_mail", email="li.min@example.org")

    linked(recipient, NoticeLink("/orders/5/"), channel=NoticeChannel.EMAIL)

    (message,) = mail.outbox
    assert message.body.endswith(f"\n\nhttps://{settings.BASE_DOMAIN}/orders/5/")


def test_the_inbox_links_each_notice_with_the_scheme_and_port_of_the_request(demo: Any, settings: Any) -> None:
    linked(user("wengyuan_window"), NoticeLink("/cases/7/", hall=demo["wengyuan"]))
    linked(user("wengyuan_window"), NoticeLink("/meetings/3/"), key="2")

    page = client_for("wengyuan_window", "wengyuan").get("/notices/", SERVER_PORT="8443").content.decode()
    api = client_for("wengyuan_window", "wengyuan").get("/api/v1/notices/").json()

    assert f'href="http://wengyuan.{settings.BASE_DOMAIN}/cases/7/"' in page
    assert f'href="http://{settings.BASE_DOMAIN}/meetings/3/"' in page
    assert {row["link"] for row in api["results"]} == {
        f"http://wengyuan.{settings.BASE_DOMAIN}/cases/7/",
        f"http://{settings.BASE_DOMAIN}/meetings/3/",
    }


def test_a_slip_sent_to_a_department_links_to_the_slip_on_its_halls_host(demo: Any) -> None:
    use_hall_schema(demo["wengyuan"])
    case = transfer(register(demo["wengyuan"]), draft("wengyuan/rsj"))
    slip = TransferSlip.objects.get(case=case)
    use_public_schema()

    notices = Notice.objects.filter(kind="slip_sent").select_related("link_hall")

    assert notices and {(n.link_path, n.link_hall_id) for n in notices} == {(f"/slips/{slip.pk}/", demo["wengyuan"].pk)}


def test_the_header_count_is_refreshed_by_a_static_script_polling_the_api(demo: Any) -> None:
    page = client_for("wengyuan_window", "wengyuan").get("/").content.decode()

    assert 'data-unread-count-url="/api/v1/notices/unread-count/"' in page
    assert "<span data-unread-count>0</span>" in page
    assert "/static/hallplatform/notices.js" in page
    script = Path(__file__).resolve().parents[2] / "hallplatform/static/hallplatform/notices.js"
    source = script.read_text()
    assert "data-unread-count-url" in source and "60000" in source and "fetch" in source
