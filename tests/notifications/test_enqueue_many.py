"""notifications/services.py: notice_enqueue_many — notice_enqueue for many notices, in a few queries."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from notifications.kinds import DEADLINE_BREACH, DEADLINE_WARNING
from notifications.models import Notice, NoticeChannel, NoticeState, NoticeTemplate
from notifications.services import NoticeDraft, notice_enqueue, notice_enqueue_many
from tests.conftest import user
from tests.notifications.conftest import BREACH_CONTEXT


def draft(**overrides: Any) -> NoticeDraft:
    arguments: dict[str, Any] = {
        "kind": DEADLINE_BREACH,
        "event_key": "deadline:42:breach",
        "channel": NoticeChannel.INBOX,
        "recipient_user_id": user("wengyuan_window").pk,
        "context": BREACH_CONTEXT,
    }
    arguments.update(overrides)
    return NoticeDraft(**arguments)


def test_many_notices_are_written_like_notice_enqueue_writes_one(
    demo: Any, django_capture_on_commit_callbacks: Any
) -> None:
    # given the row notice_enqueue writes for one event …
    single = notice_enqueue(
        kind=DEADLINE_BREACH,
        event_key="deadline:1:breach",
        channel=NoticeChannel.INBOX,
        hall=demo["wengyuan"],
        recipient_user=user("wengyuan_window"),
        context=BREACH_CONTEXT,
    )
    assert single is not None

    # … when notice_enqueue_many writes the same for other events
    with django_capture_on_commit_callbacks() as callbacks:
        ids = notice_enqueue_many([draft(event_key=f"deadline:{n}:breach", hall=demo["wengyuan"]) for n in range(2, 5)])

    # then the rows are alike but for their event, and one delivery message is scheduled for all
    assert None not in ids and len(set(ids)) == 3
    columns = ["kind", "hall_id", "channel", "recipient_user_id", "recipient_ref", "recipient_key", "context"]
    columns += ["subject", "body", "state", "attempts", "last_error", "provider", "sent_at", "read_at"]
    expected = Notice.objects.values(*columns).get(pk=single.pk)
    for notice_id in ids:
        assert Notice.objects.values(*columns).get(pk=notice_id) == expected
    written = Notice.objects.get(pk=ids[0])
    assert written.state == NoticeState.QUEUED and written.next_attempt_at is not None
    assert written.created_at is not None
    assert len(callbacks) == 1


def test_existing_and_repeated_notices_are_not_written_again(demo: Any) -> None:
    first = notice_enqueue_many([draft()])
    assert first[0] is not None

    # the first draft exists already; the third repeats the second; the fourth differs in channel
    ids = notice_enqueue_many(
        [
            draft(),
            draft(event_key="deadline:43:breach"),
            draft(event_key="deadline:43:breach", context={**BREACH_CONTEXT, "due_at": "another text"}),
            draft(event_key="deadline:43:breach", channel=NoticeChannel.EMAIL),
        ]
    )

    assert ids[0] is None
    assert ids[1] is not None and ids[2] is None
    assert ids[3] is not None and ids[3] != ids[1]
    assert Notice.objects.count() == 3
    assert Notice.objects.get(pk=ids[1]).context == BREACH_CONTEXT  # the first of two drafts wins


def test_one_notice_per_event_and_recipient_whichever_function_wrote_it(demo: Any) -> None:
    notice_enqueue(
        kind=DEADLINE_BREACH,
        event_key="deadline:42:breach",
        channel=NoticeChannel.INBOX,
        recipient_user=user("wengyuan_window"),
        context=BREACH_CONTEXT,
    )
    assert notice_enqueue_many([draft(), draft(recipient_user_id=user("wengyuan_lead").pk)])[0] is None
    assert Notice.objects.count() == 2


def test_person_references_are_unique_within_their_hall(demo: Any) -> None:
    by_ref = {"channel": NoticeChannel.SMS, "recipient_user_id": None, "recipient_ref": "case:123"}
    # case 123 of another hall is another person
    ids = notice_enqueue_many([draft(hall=demo["wengyuan"], **by_ref), draft(hall=demo["nanxiong"], **by_ref)])
    assert None not in ids
    assert Notice.objects.get(pk=ids[0]).recipient_key == f"ref:{demo['wengyuan'].pk}:case:123"
    assert notice_enqueue_many([draft(hall=demo["wengyuan"], **by_ref)]) == [None]


def test_each_hall_gets_its_own_template_in_one_query(demo: Any) -> None:
    NoticeTemplate.objects.create(kind="deadline_breach", channel="inbox", subject="全市", body="全市 {{ due_at }}")
    NoticeTemplate.objects.create(
        kind="deadline_breach", channel="inbox", hall=demo["wengyuan"], subject="翁源", body="翁源 {{ hall_name }}"
    )
    drafts = [
        draft(event_key="deadline:1:breach", hall=demo["wengyuan"]),
        draft(event_key="deadline:2:breach", hall=demo["nanxiong"]),
        draft(event_key="deadline:3:breach"),
        draft(event_key="deadline:4:warning", kind=DEADLINE_WARNING, hall=demo["wengyuan"]),
    ]

    with CaptureQueriesContext(connection) as queries:
        ids = notice_enqueue_many(drafts)

    texts = [Notice.objects.values_list("subject", "body").get(pk=notice_id) for notice_id in ids]
    assert texts[0] == ("翁源", f"翁源 {demo['wengyuan'].name}")
    assert texts[1] == ("全市", "全市 2025年3月3日 17:00")
    assert texts[2] == ("全市", "全市 2025年3月3日 17:00")
    assert texts[3][0].startswith("【临期提醒】")  # no template for warnings: the default text
    # the recipients' chosen channels (urgent kinds fan out; nobody here chose any), the templates, the INSERT
    assert len(queries) == 3


def test_a_template_that_fails_to_render_falls_back_to_the_default(demo: Any) -> None:
    NoticeTemplate.objects.create(
        kind="deadline_breach", channel="inbox", subject="x", body='{% include "base.html" %}'
    )
    (notice_id,) = notice_enqueue_many([draft(hall=demo["wengyuan"])])
    assert Notice.objects.get(pk=notice_id).subject == "【逾期】案件 WY-2025-0012的部门答复期限已逾期"


def test_a_refused_draft_writes_nothing(demo: Any) -> None:
    with pytest.raises(ValueError, match="unmasked mobile phone number"):
        notice_enqueue_many([draft(), draft(event_key="deadline:9:breach", context={"who": "13812345678"})])
    with pytest.raises(ValueError, match="Unknown notice channel"):
        notice_enqueue_many([draft(channel="pigeon")])
    assert Notice.objects.count() == 0


def test_nothing_to_write_queries_nothing(demo: Any, django_capture_on_commit_callbacks: Any) -> None:
    with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks() as callbacks:
        assert notice_enqueue_many([]) == []
    assert len(queries) == 0 and callbacks == []


def test_a_rolled_back_transaction_leaves_no_notice_and_sends_nothing(
    demo: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(RuntimeError), transaction.atomic():
        notice_enqueue_many([draft(), draft(event_key="deadline:43:breach")])
        raise RuntimeError("the event failed")
    assert Notice.objects.count() == 0
    assert callbacks == []


def test_deliveries_go_out_through_one_message_that_schedules_each(
    demo: Any, django_capture_on_commit_callbacks: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from notifications import tasks

    sent: list[tuple[str, list[Any]]] = []
    monkeypatch.setattr(tasks.notice_schedule_many_task, "apply_async", lambda args, **kw: sent.append(("many", args)))
    monkeypatch.setattr(tasks.notice_deliver_task, "apply_async", lambda args, **kw: sent.append(("one", args)))

    with django_capture_on_commit_callbacks(execute=True):
        ids = notice_enqueue_many([draft(event_key=f"deadline:{n}:breach") for n in range(3)])
    assert sent == [("many", [ids])]

    # the worker's task then sends the delivery task of each notice
    sent.clear()
    assert tasks.notice_schedule_many_task.run(ids) == 3
    assert sent == [("one", [notice_id]) for notice_id in ids]

    # a single notice gets its delivery task directly
    sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        (single,) = notice_enqueue_many([draft(event_key="deadline:9:breach")])
    assert sent == [("one", [single])]
