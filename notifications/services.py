"""Writes on notices: the outbox (DESIGN.md 4.3, 4.4 and section 8).

A notice is written by ``notice_enqueue`` in the transaction of the event that causes it and sent
after that transaction commits by ``notice_deliver_task``. If the process stops between the commit
and the send, ``notice_deliver_pending`` (beat, every minute) sends it. Sending claims the row
first (queued → sending, committed), so a notice is handed to a provider at most once; a retryable
failure puts it back to queued with a later ``next_attempt_at``; the last failure is final.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F, Q
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.template import Context, TemplateSyntaxError
from django.utils import timezone
from django.utils.translation import gettext as _

from hallplatform.accounts.models import RoleAssignment, RoleKind
from hallplatform.audit.services import audit_record
from hallplatform.caching import BROKER_ERRORS, broker_outage
from hallplatform.limits import NOTE_MAX_LENGTH
from hallplatform.workdays.selectors import work_calendars_for
from hallplatform.workdays.worktime import CalendarRangeError, add_working_time, in_office_hours
from notifications.channels import hall_channels_allowed, staff_reach
from notifications.kinds import NoticeKind, notice_kind_get
from notifications.links import NoticeLink, notice_link_url, text_with_link
from notifications.models import Notice, NoticeChannel, NoticeState, NoticeTemplate, StaffContact
from notifications.privacy import InvalidPhoneNumber, personal_data_found, phone_normalise, text_mask
from notifications.providers import ProviderError, app_provider, email_provider, sms_provider
from notifications.resolvers import UnresolvableRecipient, person_phone_resolve
from notifications.scheduling import notice_deliver_schedule_many
from notifications.selectors import notice_list_for_user
from notifications.texts import text_compile, text_render

logger = logging.getLogger(__name__)

_UNIQUE = "notice_once_per_event_recipient_channel"
_CHANNELS = frozenset(NoticeChannel.values)


def notice_enqueue(
    *,
    kind: str | NoticeKind,
    event_key: str,
    channel: str,
    hall: Any = None,
    recipient_user: Any = None,
    recipient_user_id: int | None = None,
    recipient_ref: str | None = None,
    context: dict[str, Any],
    link: NoticeLink | None = None,
) -> Notice | None:
    """Put a notice in the outbox, in the caller's transaction; it is sent after that commits.

    At most one notice per (hall, event, recipient, channel), ever (DESIGN.md 4.3, section 8): if it
    exists already — even one being written by a concurrent transaction that then commits — nothing
    is written and None is returned. The recipient is a staff user (any channel), or, for SMS, a
    person of ``hall`` named by ``recipient_ref`` ("case:123"), whose number is looked up in the
    hall's schema at sending time. ``context`` must already be masked: it and the rendered text are
    stored in the public schema, so an unmasked phone or identity card number is refused. A staff
    recipient may be given by id (``recipient_user_id``), which spares loading the user. ``link``:
    the page of the notice's subject (notifications/links.py), shown with the notice.
    """
    spec, recipient_user_id = _notice_checked(
        kind=kind,
        event_key=event_key,
        channel=channel,
        hall=hall,
        recipient_user=recipient_user,
        recipient_user_id=recipient_user_id,
        recipient_ref=recipient_ref,
        context=context,
    )
    subject, body = notice_text_render(kind=spec, channel=channel, hall=hall, context=context)
    now = timezone.now()
    held = _quiet_hours([(spec, channel, recipient_user_id, getattr(hall, "pk", None))], now=now)[0]
    notice = Notice(
        kind=spec.code,
        hall=hall,
        event_key=event_key,
        channel=channel,
        recipient_user_id=recipient_user_id,
        recipient_ref=recipient_ref or "",
        context=context,
        subject=subject,
        body=body,
        state=NoticeState.QUEUED,
        next_attempt_at=held or now,
        link_path=link.path if link is not None else "",
        link_hall_id=link.hall_id if link is not None else None,
    )
    extras = _extra_channel_drafts(
        [
            NoticeDraft(
                kind=spec,
                event_key=event_key,
                channel=channel,
                context=context,
                hall=hall,
                recipient_user_id=recipient_user_id,
                link=link,
            )
        ]
        if recipient_user_id is not None
        else []
    )
    inserted = _insert_unless_exists(notice)
    if extras:
        notice_enqueue_many(extras)
    if inserted is None:
        return None
    notice.pk, notice.recipient_key = inserted
    if held is None:
        _schedule_on_commit([notice.pk])
    return notice


def _notice_checked(
    *,
    kind: str | NoticeKind,
    event_key: str,
    channel: str,
    hall: Any,
    recipient_user: Any,
    recipient_user_id: int | None,
    recipient_ref: str | None,
    context: dict[str, Any],
) -> tuple[NoticeKind, int | None]:
    """The checks of notice_enqueue; the kind, and the staff recipient's id (None: a person)."""
    spec = notice_kind_get(kind)
    if recipient_user is not None and recipient_user_id is not None:
        raise ValueError("Give the staff recipient as recipient_user or recipient_user_id, not both.")
    if recipient_user is not None:
        recipient_user_id = recipient_user.pk
    if channel not in _CHANNELS:
        raise ValueError(f"Unknown notice channel {channel!r}.")
    if not event_key:
        raise ValueError("A notice needs the key of the event that causes it.")
    if (recipient_user_id is None) == (not recipient_ref):
        raise ValueError("A notice goes either to a staff user or to a person's reference, not both or neither.")
    if recipient_ref and (hall is None or channel != NoticeChannel.SMS):
        raise ValueError("A person known by reference belongs to a hall and is reached by SMS only.")
    found = personal_data_found(context)
    if found is not None:
        raise ValueError(f"The context of a notice holds an unmasked {found}; mask it before enqueueing.")
    return spec, recipient_user_id


@dataclass(frozen=True)
class NoticeDraft:
    """One notice for ``notice_enqueue_many``: the arguments of ``notice_enqueue``."""

    kind: str | NoticeKind
    event_key: str
    channel: str
    context: dict[str, Any]
    hall: Any = None
    recipient_user: Any = None
    recipient_user_id: int | None = None
    recipient_ref: str | None = None
    # The hall whose office hours hold a non-urgent message to staff (None: the notice's hall).
    office_hall_id: int | None = None
    link: NoticeLink | None = None


_Key = tuple[int | None, str, str, str]  # the notice's uniqueness: hall, event, channel, recipient key


def notice_enqueue_many(drafts: Iterable[NoticeDraft]) -> list[int | None]:
    """``notice_enqueue`` for many notices at once, for callers that raise many in one transaction
    (the deadline sweep): the same checks, texts and uniqueness, in a constant number of queries.

    Returns, in the order of ``drafts``, the id of each notice written, or None where one with the
    same (hall, event, recipient, channel) exists already — also when an earlier draft of the same
    call has it. If a draft fails a check of notice_enqueue, ValueError is raised and nothing is
    written. One query loads the templates of all the drafts, one ``INSERT … ON CONFLICT DO
    NOTHING RETURNING`` writes the notices. After the caller's transaction commits, their delivery
    tasks are sent by a worker (``notice_schedule_many_task``): the caller publishes one message, not
    one per notice; should it be lost, ``notice_deliver_pending`` sends the notices.
    """
    drafts = list(drafts)
    wanted = len(drafts)
    drafts += _extra_channel_drafts(drafts)
    checked = [
        _notice_checked(
            kind=draft.kind,
            event_key=draft.event_key,
            channel=draft.channel,
            hall=draft.hall,
            recipient_user=draft.recipient_user,
            recipient_user_id=draft.recipient_user_id,
            recipient_ref=draft.recipient_ref,
            context=draft.context,
        )
        for draft in drafts
    ]
    if not drafts:
        return []
    texts = _TextBook(
        {
            (spec.code, draft.channel, getattr(draft.hall, "pk", None))
            for draft, (spec, _u) in zip(drafts, checked, strict=True)
        }
    )
    now = timezone.now()
    holds = _quiet_hours(
        [
            (spec, draft.channel, recipient_user_id, draft.office_hall_id or getattr(draft.hall, "pk", None))
            for draft, (spec, recipient_user_id) in zip(drafts, checked, strict=True)
        ],
        now=now,
    )
    rows: list[dict[str, Any]] = []
    for draft, (spec, recipient_user_id), held in zip(drafts, checked, holds, strict=True):
        subject, body = texts.render(spec, draft.channel, draft.hall, draft.context)
        rows.append(
            {
                "kind": spec.code,
                "hall_id": getattr(draft.hall, "pk", None),
                "event_key": draft.event_key,
                "channel": draft.channel,
                "recipient_user_id": recipient_user_id,
                "recipient_ref": draft.recipient_ref or "",
                "context": draft.context,
                "subject": subject,
                "body": body,
                "next_attempt_at": held or now,
                "link_path": draft.link.path if draft.link is not None else "",
                "link_hall_id": draft.link.hall_id if draft.link is not None else None,
            }
        )
    written = _insert_many_unless_exist(rows, {"state": NoticeState.QUEUED})
    # pop: of two drafts of the same notice, the first gets the id
    ids = [written.pop(_row_key(row), None) for row in rows]
    # a message held for office hours gets no task now: the pending sweep sends it when it is due
    _schedule_on_commit(
        [notice_id for notice_id, held in zip(ids, holds, strict=True) if notice_id is not None and held is None]
    )
    return ids[:wanted]


def _extra_channel_drafts(drafts: list[NoticeDraft]) -> list[NoticeDraft]:
    """For each in-app notice to staff of an urgent kind, one more per channel the person chose
    and has an address for, that the notice's hall allows and that is configured (docs/
    notifications.md, "What goes where"). Two queries, whatever the number of drafts."""
    urgent = [
        draft
        for draft in drafts
        if draft.channel == NoticeChannel.INBOX
        and (draft.recipient_user_id is not None or draft.recipient_user is not None)
        and notice_kind_get(draft.kind).urgent
    ]
    if not urgent:
        return []
    reach = staff_reach(draft.recipient_user_id or draft.recipient_user.pk for draft in urgent)
    if not reach:
        return []
    allowed = hall_channels_allowed(getattr(draft.hall, "pk", None) for draft in urgent)
    extras: list[NoticeDraft] = []
    for draft in urgent:
        user_id = draft.recipient_user_id or draft.recipient_user.pk
        person = reach.get(user_id)
        if person is None:
            continue
        hall_allows = allowed[getattr(draft.hall, "pk", None)]
        extras.extend(
            NoticeDraft(
                kind=draft.kind,
                event_key=draft.event_key,
                channel=channel,
                context=draft.context,
                hall=draft.hall,
                recipient_user_id=user_id,
                link=draft.link,
            )
            for channel in person.channels
            if channel in hall_allows
        )
    return extras


# Office hours are looked up this far ahead for the next one (a hall closed longer sends at once).
QUIET_HOURS_LOOKAHEAD_DAYS = 40
# No hall: the national calendar with the platform's default office hours (a hall id that names no hall).
_NO_HALL = 0


def _quiet_hours(notices: list[tuple[NoticeKind, str, int | None, int | None]], *, now: Any) -> list[Any]:
    """For each (kind, channel, staff recipient, hall) the time a message must wait for, or None.

    A non-urgent message to staff outside the app, outside the office hours of the hall's working
    calendar, waits until the next office hour (docs/notifications.md, "Quiet hours"). In-app
    notices, urgent ones and SMS to people who reported a case are never held. Calendars of all the
    halls concerned are loaded at once, only if something may be held.
    """
    candidates: list[int | None] = [
        (_NO_HALL if hall_id is None else hall_id)
        if channel != NoticeChannel.INBOX and user_id is not None and not kind.urgent
        else None
        for kind, channel, user_id, hall_id in notices
    ]
    if all(candidate is None for candidate in candidates):
        return [None] * len(notices)
    today = timezone.localdate(now)
    calendars = work_calendars_for(
        hall_ids={c for c in candidates if c is not None},
        first=today,
        last=today + timedelta(days=QUIET_HOURS_LOOKAHEAD_DAYS),
    )
    found: dict[int, Any] = {}
    for hall_id, calendar in calendars.items():
        if in_office_hours(calendar, now):
            found[hall_id] = None
            continue
        try:
            found[hall_id] = add_working_time(calendar, now, timedelta(0)).at
        except CalendarRangeError:
            found[hall_id] = None
    return [None if candidate is None else found[candidate] for candidate in candidates]


def notice_enqueue_inbox(
    *,
    kind: str | NoticeKind,
    event_key: str,
    hall: Any,
    user_ids: Iterable[int],
    context: dict[str, Any],
    link: NoticeLink | None = None,
) -> list[int | None]:
    """One in-app notice to each of ``user_ids`` (each once), in one statement: staff told of an
    event; ``link``: the page of its subject."""
    return notice_enqueue_many(
        NoticeDraft(
            kind=kind,
            event_key=event_key,
            channel=NoticeChannel.INBOX,
            hall=hall,
            recipient_user_id=user_id,
            context=context,
            link=link,
        )
        for user_id in sorted(set(user_ids))
    )


def _row_key(row: dict[str, Any]) -> _Key:
    """The unique key of a notice row; the recipient key as PostgreSQL computes it (see the model)."""
    if row["recipient_user_id"] is not None:
        recipient = f"user:{row['recipient_user_id']}"
    else:
        recipient = f"ref:{row['hall_id']}:{row['recipient_ref']}"
    return (row["hall_id"], row["event_key"], row["channel"], recipient)


def _insert_many_unless_exist(rows: list[dict[str, Any]], same: dict[str, Any]) -> dict[_Key, int]:
    """One ``INSERT … SELECT FROM json_to_recordset(%s) ON CONFLICT DO NOTHING`` for many notices.

    ``rows`` hold what differs from notice to notice (by field name, the same names in every row),
    ``same`` what they share; every other column gets the model's default. The rows travel as one
    JSON document, so the statement costs next to nothing to build whatever their number (a VALUES
    list or arrays would be escaped value by value). Returns the ids of the notices written, by
    unique key."""
    now = timezone.now()
    fields = [f for f in Notice._meta.concrete_fields if not f.primary_key and not f.generated]
    varying = [f for f in fields if f.attname in rows[0]]
    shared = {
        f: same[f.attname]
        if f.attname in same
        else (now if getattr(f, "auto_now_add", False) or getattr(f, "auto_now", False) else f.get_default())
        for f in fields
        if f.attname not in rows[0]
    }
    quote = connection.ops.quote_name
    targets = ", ".join(quote(f.column) for f in [*varying, *shared])
    values = ", ".join([*(f"r.{quote(f.attname)}" for f in varying), *(f"%s::{f.db_type(connection)}" for f in shared)])
    record = ", ".join(f"{quote(f.attname)} {f.db_type(connection)}" for f in varying)
    sql = (
        f"INSERT INTO {quote(Notice._meta.db_table)} ({targets}) "  # noqa: S608 (names from the model, values bound)
        f"SELECT {values} FROM json_to_recordset(%s::json) AS r({record}) "
        f"ON CONFLICT ON CONSTRAINT {quote(_UNIQUE)} DO NOTHING "
        "RETURNING id, hall_id, event_key, channel, recipient_key"
    )
    params = [f.get_db_prep_save(value, connection) for f, value in shared.items()]
    # in the order of the unique key, so that two callers writing the same notices cannot deadlock
    ordered = sorted(rows, key=lambda row: (row["hall_id"] or 0, *_row_key(row)[1:]))
    encoder = Notice._meta.get_field("context").encoder  # how JSONField writes the context
    params.append(json.dumps(ordered, cls=encoder, ensure_ascii=False))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        returned = cursor.fetchall()
    return {(hall_id, event_key, channel, key): pk for pk, hall_id, event_key, channel, key in returned}


class _TextBook:
    """The texts of many notices: their templates loaded in one query, each source compiled once."""

    def __init__(self, keys: set[tuple[str, str, int | None]]) -> None:
        hall_ids = {hall_id for _kind, _channel, hall_id in keys if hall_id is not None}
        templates = NoticeTemplate.objects.filter(
            Q(hall__isnull=True) | Q(hall_id__in=hall_ids),
            kind__in={kind for kind, _channel, _hall in keys},
            channel__in={channel for _kind, channel, _hall in keys},
        )
        self._templates = {(t.kind, t.channel, t.hall_id): t for t in templates}
        self._compiled: dict[str, Any] = {}
        self._values: dict[str, Any] | None = None
        self._context = Context(autoescape=False)

    def _render(self, source: str, values: dict[str, Any]) -> str:
        # notifications.texts.text_render, with the compiled template kept for the next notice and
        # one Context for a notice's subject and body (both rendered from the same values anyway)
        compiled = self._compiled.get(source)
        if compiled is None:
            compiled = self._compiled[source] = text_compile(source)
        if values is not self._values:
            self._values, self._context = values, Context(values, autoescape=False)
        return str(compiled.render(self._context)).strip()

    def render(self, kind: NoticeKind, channel: str, hall: Any, context: dict[str, Any]) -> tuple[str, str]:
        """What notice_text_render gives, without a query per notice."""
        hall_id = getattr(hall, "pk", None)
        template = self._templates.get((kind.code, channel, hall_id)) if hall_id is not None else None
        template = template or self._templates.get((kind.code, channel, None))
        return _text_from(
            kind=kind, channel=channel, hall=hall, context=context, template=template, render=self._render
        )


def _insert_unless_exists(notice: Notice) -> tuple[int, str] | None:
    """INSERT … ON CONFLICT DO NOTHING on the uniqueness of the notice; (id, recipient key) or None."""
    fields = [f for f in Notice._meta.concrete_fields if not f.primary_key and not f.generated]
    values = [f.get_db_prep_save(f.pre_save(notice, add=True), connection) for f in fields]
    quote = connection.ops.quote_name
    sql = (
        f"INSERT INTO {quote(Notice._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "  # noqa: S608 (names from the model, values bound)
        f"VALUES ({', '.join(['%s'] * len(fields))}) "
        f"ON CONFLICT ON CONSTRAINT {quote(_UNIQUE)} DO NOTHING RETURNING id, recipient_key"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        row = cursor.fetchone()
    return (row[0], row[1]) if row else None


def _schedule_on_commit(notice_ids: list[int], *, skip_in_outage: bool = True) -> None:
    """Send the delivery tasks of these notices once the current transaction commits.

    The notices are committed whatever the broker does: when it cannot be reached (or, with
    ``skip_in_outage``, could not a moment ago: ``broker_outage``) they stay queued and
    ``notice_deliver_pending`` sends them when it is back. So a write never fails, nor waits longer
    than the broker's timeouts, for a notice.
    """
    if not notice_ids:
        return

    # A named function, not a functools.partial: Django's robust on_commit logs a failure with the
    # callback's __qualname__, which a partial lacks (the AttributeError became the request's 500).
    def schedule_notices() -> None:
        if skip_in_outage and broker_outage.ongoing():
            logger.info("Broker unreachable: notices %s wait in the outbox for the sweep.", notice_ids)
            return
        try:
            _schedule_many(notice_ids)
        except BROKER_ERRORS as error:
            broker_outage.record(error)
            logger.warning("Broker unreachable: notices %s wait in the outbox for the sweep.", notice_ids)

    transaction.on_commit(schedule_notices, robust=True)


def _schedule_many(notice_ids: list[int]) -> None:
    notice_deliver_schedule_many(notice_ids)


def notice_text_render(*, kind: NoticeKind, channel: str, hall: Any, context: dict[str, Any]) -> tuple[str, str]:
    """(subject, body) of a notice: the hall's own template, else the one for all halls, else the
    default in code. A template that fails to render falls back to the default, so that an edited
    text can never break the transaction of the event."""
    halls = Q(hall__isnull=True) if hall is None else Q(hall=hall) | Q(hall__isnull=True)
    template = (
        NoticeTemplate.objects.filter(halls, kind=kind.code, channel=channel)
        .order_by(F("hall_id").asc(nulls_last=True))
        .first()
    )
    return _text_from(kind=kind, channel=channel, hall=hall, context=context, template=template, render=text_render)


def _text_from(
    *,
    kind: NoticeKind,
    channel: str,
    hall: Any,
    context: dict[str, Any],
    template: NoticeTemplate | None,
    render: Callable[[str, dict[str, Any]], str],
) -> tuple[str, str]:
    """(subject, body) from the chosen template (None: the default in code)."""
    values = {"hall_name": getattr(hall, "name", "") or "", "kind_label": kind.label, **context}
    default_subject, default_body = kind.default_text(channel)
    subject_source, body_source = (template.subject, template.body) if template else (default_subject, default_body)
    try:
        subject, body = render(subject_source, values), render(body_source, values)
    except Exception:
        if template is None:
            raise
        logger.exception("Notice template %s failed to render; using the default text.", template.pk)
        subject, body = render(default_subject, values), render(default_body, values)
    if channel == NoticeChannel.SMS:
        subject = ""
    return subject[:200], body


@dataclass(frozen=True)
class DeliveryOutcome:
    """What one delivery attempt did: ``sent``, ``queued`` (retry in ``retry_in`` seconds),
    ``failed``, or ``skipped`` (already sent, failed, being sent, or missing)."""

    state: str
    retry_in: int | None = None


SKIPPED = DeliveryOutcome("skipped")


def notice_retry_delay(attempts: int) -> int:
    """Seconds before the next attempt after ``attempts`` failed ones: exponential, capped."""
    return int(min(settings.NOTICE_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0), settings.NOTICE_RETRY_MAX_SECONDS))


def notice_deliver(*, notice_id: int) -> DeliveryOutcome:
    """Send one queued notice, at most once (DESIGN.md 4.4).

    The row is locked and claimed (queued → sending) in a short transaction; a notice that is not
    queued (sent, failed, claimed by another worker) is left alone. The provider is called outside
    any transaction, then the outcome is written: sent; queued again with a later attempt time after
    a retryable failure; failed, with the reason, when retrying cannot help or attempts are used up.
    An in-app notice needs no provider: it is delivered by the claim itself.
    """
    with transaction.atomic():
        notice = (
            Notice.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("hall", "recipient_user", "link_hall")
            .filter(pk=notice_id)
            .first()
        )
        if notice is None or notice.state != NoticeState.QUEUED:
            return SKIPPED
        now = timezone.now()
        notice.attempts += 1
        if notice.channel == NoticeChannel.INBOX:
            notice.state, notice.sent_at, notice.provider = NoticeState.SENT, now, "inbox"
            notice.save(update_fields=["state", "attempts", "sent_at", "provider"])
            return DeliveryOutcome(NoticeState.SENT)
        notice.state, notice.claimed_at = NoticeState.SENDING, now
        notice.save(update_fields=["state", "attempts", "claimed_at"])

    provider_name = ""
    try:
        provider_name, message_id = _send(notice)
    except ProviderError as exc:
        error = exc
    except (UnresolvableRecipient, InvalidPhoneNumber) as exc:
        error = ProviderError(str(exc), retryable=False)
    except Exception as exc:
        logger.exception("Sending notice %s failed unexpectedly.", notice.pk)
        error = ProviderError(f"{type(exc).__name__}: {exc}", retryable=True)
    else:
        Notice.objects.filter(pk=notice.pk).update(
            state=NoticeState.SENT,
            sent_at=timezone.now(),
            provider=provider_name,
            provider_message_id=message_id[:100],
        )
        return DeliveryOutcome(NoticeState.SENT)

    reason = text_mask(f"attempt {notice.attempts}: {error.reason}")[:1000]
    logger.warning("Notice %s not sent: %s", notice.pk, reason)
    pending = Notice.objects.filter(pk=notice.pk, state=NoticeState.SENDING)
    now = timezone.now()
    if error.retryable and notice.attempts < settings.NOTICE_MAX_ATTEMPTS:
        delay = notice_retry_delay(notice.attempts)
        pending.update(
            state=NoticeState.QUEUED,
            next_attempt_at=now + timedelta(seconds=delay),
            claimed_at=None,
            last_error=reason,
            last_error_code=error.code[:60],
            provider=provider_name,
        )
        return DeliveryOutcome(NoticeState.QUEUED, retry_in=delay)
    pending.update(
        state=NoticeState.FAILED,
        failed_at=now,
        last_error=reason,
        last_error_code=error.code[:60],
        provider=provider_name,
    )
    return DeliveryOutcome(NoticeState.FAILED)


def notice_link(notice: Notice) -> str:
    """The absolute address of the page a notice is about, or "": the link stored with the notice
    (notifications/links.py), else its context's ``link`` (a path on the hall's host, or an absolute
    http(s) address). Used by e-mail, WeCom and DingTalk; never by SMS."""
    stored = notice_link_url(notice)
    if stored:
        return stored
    link = str(notice.context.get("link") or "")
    if link.startswith("/") and not link.startswith("//"):
        host = f"{notice.hall.code}.{settings.BASE_DOMAIN}" if notice.hall is not None else settings.BASE_DOMAIN
        return f"{settings.NOTICE_LINK_SCHEME}://{host}{link}"
    if link.startswith(("https://", "http://")):
        return link
    return ""


def _has_link(text: str) -> bool:
    return "://" in text or "www." in text.lower()


def _send(notice: Notice) -> tuple[str, str]:
    """Hand the notice to its provider; (provider name, provider's message id)."""
    reference = f"notice:{notice.pk}"
    user = notice.recipient_user
    if user is not None and not user.is_active:
        raise UnresolvableRecipient("the recipient's account is inactive")
    if notice.channel == NoticeChannel.SMS:
        if user is not None:
            if not user.work_phone:
                raise UnresolvableRecipient("the recipient has no work phone number")
            phone = phone_normalise(user.work_phone)
        else:
            phone = phone_normalise(person_phone_resolve(hall=notice.hall, recipient_ref=notice.recipient_ref))
        try:
            names = notice_kind_get(notice.kind).sms_params
        except ValueError:
            names = ()
        params = [str(notice.context.get(key, "")) for key in names]
        # Tencent and Aliyun refuse links in template variables: a link belongs to the filed template.
        if any(_has_link(value) for value in params) or _has_link(notice.body):
            raise ProviderError("an SMS may not carry a link (put it in the provider's template)", retryable=False)
        provider = sms_provider()
        message_id = provider.send_sms(
            phone=phone,
            text=notice.body,
            template_id=settings.SMS_TEMPLATE_IDS.get(notice.kind, ""),
            params=params,
            reference=reference,
            param_names=names,
        )
        return provider.name, message_id
    subject = notice.subject or notice.kind_label
    link = notice_link(notice)
    if notice.channel == NoticeChannel.EMAIL:
        if user is None or not user.email:
            raise UnresolvableRecipient("the recipient has no e-mail address")
        provider = email_provider()
        body = text_with_link(notice.body, link)
        return provider.name, provider.send_email(to=user.email, subject=subject, body=body, reference=reference)
    if notice.channel in (NoticeChannel.WECOM, NoticeChannel.DINGTALK):
        contact = StaffContact.objects.filter(user=user).first() if user is not None else None
        to = ""
        if contact is not None:
            to = contact.wecom_user_id if notice.channel == NoticeChannel.WECOM else contact.dingtalk_user_id
        if not to:
            raise UnresolvableRecipient(f"the recipient has no {notice.channel} user id")
        provider = app_provider(notice.channel)
        message_id = provider.send_app_message(to=to, subject=subject, body=notice.body, url=link, reference=reference)
        return provider.name, message_id
    raise ProviderError(f"no provider for the channel {notice.channel!r}", retryable=False)


def notice_deliver_pending(*, limit: int | None = None) -> dict[str, int]:
    """The beat sweep (DESIGN.md 4.3): send queued notices whose delivery task did not run.

    Picks queued notices due more than NOTICE_PENDING_AFTER_SECONDS ago (a crash between commit and
    send, a lost task, a retry whose task was lost) with ``FOR UPDATE SKIP LOCKED``, so concurrent
    sweeps share the work; pushes their attempt time forward by a lease so the next sweep does not
    send them again while their task waits in the queue; sends a delivery task for each after commit.
    Notices stuck in ``sending`` for NOTICE_SENDING_STALE_SECONDS (the worker died while the provider
    was called) are marked failed, not resent: whether the message went out is unknown, and sending
    it twice is worse than a visible failure an operator can requeue.
    """
    now = timezone.now()
    batch = limit if limit is not None else settings.NOTICE_SWEEP_BATCH
    with transaction.atomic():
        due = list(
            Notice.objects.select_for_update(skip_locked=True)
            .filter(
                state=NoticeState.QUEUED,
                next_attempt_at__lte=now - timedelta(seconds=settings.NOTICE_PENDING_AFTER_SECONDS),
            )
            .order_by("next_attempt_at", "pk")
            .values_list("pk", flat=True)[:batch]
        )
        if due:
            Notice.objects.filter(pk__in=due).update(
                next_attempt_at=now + timedelta(seconds=settings.NOTICE_SWEEP_LEASE_SECONDS)
            )
            # The broker brought this sweep: try it even if this process saw it fail a moment ago.
            for notice_id in due:
                _schedule_on_commit([notice_id], skip_in_outage=False)
        interrupted = Notice.objects.filter(
            state=NoticeState.SENDING,
            claimed_at__lte=now - timedelta(seconds=settings.NOTICE_SENDING_STALE_SECONDS),
        ).update(
            state=NoticeState.FAILED,
            failed_at=now,
            last_error="interrupted while sending: whether it was sent is unknown, so it is not sent again "
            "automatically; requeue it if the recipient did not get it",
        )
    return {"dispatched": len(due), "interrupted": interrupted}


def notice_requeue(*, notice_id: int, actor: Any) -> Notice:
    """An operator sends a failed notice again (after fixing a number, a template, the provider's
    configuration); it gets a full set of attempts. Audited."""
    with transaction.atomic():
        notice = Notice.objects.select_for_update(of=("self",)).select_related("hall").get(pk=notice_id)
        if notice.state != NoticeState.FAILED:
            raise ValueError("Only a failed notice can be requeued.")
        previous = {"attempts": notice.attempts, "last_error": notice.last_error}
        notice.state, notice.attempts, notice.next_attempt_at = NoticeState.QUEUED, 0, timezone.now()
        notice.failed_at = notice.claimed_at = None
        notice.save(update_fields=["state", "attempts", "next_attempt_at", "failed_at", "claimed_at"])
        audit_record(action="notice.requeue", actor=actor, hall=notice.hall, target=notice, changes=previous)
        _schedule_on_commit([notice.pk])
    return notice


@transaction.atomic
def notice_mark_read(*, user: Any, notice_id: int) -> Notice:
    """The recipient has read an in-app notice. Another person's notice is 404, like a missing one."""
    notice = get_object_or_404(notice_list_for_user(user=user).select_for_update(of=("self",)), pk=notice_id)
    if notice.read_at is None:
        notice.read_at = timezone.now()
        notice.save(update_fields=["read_at"])
    return notice


def notice_mark_all_read(*, user: Any) -> int:
    """The recipient has read all their in-app notices; returns how many were unread."""
    return notice_list_for_user(user=user).filter(read_at__isnull=True).update(read_at=timezone.now())


# --- A hall's own wording (the hall lead's settings page, docs/notifications.md) ------------------

# The channels whose wording a hall may set (SMS texts are also bound to the provider's template).
HALL_TEXT_CHANNELS = (NoticeChannel.INBOX, NoticeChannel.EMAIL, NoticeChannel.SMS)


def notice_text_sample(kind: NoticeKind, hall: Any) -> dict[str, Any]:
    """A context to try a text on: each of the kind's variables by its name, the hall's name."""
    values: dict[str, Any] = {name: f"〔{name}〕" for name in kind.variables}
    values["hall_name"] = getattr(hall, "name", "") or values.get("hall_name", "")
    return values


def notice_text_preview(*, kind: NoticeKind, channel: str, hall: Any, subject: str, body: str) -> tuple[str, str]:
    """(subject, body) rendered on a sample context; a text that is empty, too long, or does not
    compile or render is refused, each message naming its field."""
    errors: dict[str, list[str]] = {}
    texts = {"subject": "" if channel == NoticeChannel.SMS else (subject or "").strip(), "body": (body or "").strip()}
    labels = {"subject": _("Subject"), "body": _("Text")}
    rendered: dict[str, str] = {}
    if not texts["body"]:
        errors["body"] = [_("Text: write the text of the notice.")]
    if len(texts["subject"]) > 200:
        errors["subject"] = [_("Subject: at most 200 characters.")]
    if len(texts["body"]) > NOTE_MAX_LENGTH:
        errors["body"] = [_("Text: at most %(limit)d characters.") % {"limit": NOTE_MAX_LENGTH}]
    sample = notice_text_sample(kind, hall)
    for field, source in texts.items():
        if field in errors:
            continue
        try:
            rendered[field] = text_render(source, sample)
        except TemplateSyntaxError as exc:
            errors[field] = [
                _("%(field)s: this text cannot be used: %(error)s") % {"field": labels[field], "error": exc}
            ]
        except Exception as exc:  # a filter failing on the sample values: refused like a syntax error
            errors[field] = [
                _("%(field)s: this text cannot be used: %(error)s") % {"field": labels[field], "error": exc}
            ]
    if errors:
        raise ValidationError(errors)
    return rendered["subject"], rendered["body"]


def _ensure_hall_lead(actor: Any, hall: Any) -> None:
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise Http404
    if not RoleAssignment.objects.filter(user_id=actor.pk, kind=RoleKind.HALL_LEAD, hall_id=hall.pk).exists():
        raise Http404


def _hall_text_checked(kind: str, channel: str) -> NoticeKind:
    try:
        spec = notice_kind_get(kind)
    except ValueError:
        raise Http404 from None
    if channel not in HALL_TEXT_CHANNELS:
        raise Http404
    return spec


@transaction.atomic
def notice_template_set_for_hall(
    *, hall: Any, kind: str, channel: str, subject: str, body: str, actor: Any
) -> NoticeTemplate:
    """The hall lead sets their hall's own wording of a kind of notice on a channel; it must render
    (notice_text_preview), else nothing is saved. Audited with the text before and after."""
    _ensure_hall_lead(actor, hall)
    spec = _hall_text_checked(kind, channel)
    notice_text_preview(kind=spec, channel=channel, hall=hall, subject=subject, body=body)
    subject = "" if channel == NoticeChannel.SMS else (subject or "").strip()
    body = (body or "").strip()
    template = NoticeTemplate.objects.select_for_update().filter(kind=spec.code, channel=channel, hall=hall).first()
    before = {"subject": template.subject, "body": template.body} if template is not None else None
    if template is None:
        template = NoticeTemplate(kind=spec.code, channel=channel, hall=hall)
    template.subject, template.body = subject, body
    template.save()
    audit_record(
        action="notice_template.set",
        actor=actor,
        hall=hall,
        target=template,
        changes={"kind": spec.code, "channel": channel, "before": before, "after": {"subject": subject, "body": body}},
    )
    return template


@transaction.atomic
def notice_template_reset_for_hall(*, hall: Any, kind: str, channel: str, actor: Any) -> bool:
    """The hall goes back to the wording every hall uses; audited. Whether it had its own."""
    _ensure_hall_lead(actor, hall)
    spec = _hall_text_checked(kind, channel)
    template = NoticeTemplate.objects.select_for_update().filter(kind=spec.code, channel=channel, hall=hall).first()
    if template is None:
        return False
    audit_record(
        action="notice_template.reset",
        actor=actor,
        hall=hall,
        target=template,
        changes={"kind": spec.code, "channel": channel, "before": {"subject": template.subject, "body": template.body}},
    )
    template.delete()
    return True


def notice_texts_default(*, kind: NoticeKind, channel: str) -> tuple[str, str]:
    """The wording every hall uses unless it has its own: the operators' template, else the code's."""
    template = NoticeTemplate.objects.filter(kind=kind.code, channel=channel, hall__isnull=True).first()
    return (template.subject, template.body) if template is not None else kind.default_text(channel)
