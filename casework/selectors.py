"""Reads of cases and slips, taking the acting user; lists cost a constant number of queries."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, overload

from django.core.exceptions import EmptyResultSet, ValidationError
from django.db import connection
from django.db.models import Case as Choose
from django.db.models import DateTimeField, F, IntegerField, Q, QuerySet, When
from django.db.models.functions import Cast
from django.http import Http404
from django.utils import timezone

from casework.access import is_hall_staff, may_amend_registration, may_reveal
from casework.choices import UNSATISFIED, CaseStatus, SlipStatus
from casework.models import Case, CaseEvent, CaseNote, TransferSlip
from casework.search import matter_matches
from casework.services import (
    CASE_STEP_STATES,
    SLIP_STEP_STATES,
    UNDOABLE_STEPS,
    case_undo_refusal,
    document_indexes,
    phone_indexes,
)
from hallindex.models import SlipIndex
from hallplatform.accounts.models import DEPARTMENT_ROLES, RoleAssignment, RoleKind
from hallplatform.accounts.selectors import department_ids_of
from hallplatform.deadlines.badges import DeadlineBadge, deadline_badge, worst_badge
from hallplatform.deadlines.models import LIVE_STATES, Deadline, DeadlineKind, DeadlineState
from hallplatform.personal import DocumentType, is_mobile
from hallplatform.schemas import current_tenant
from tenants.models import Hall, HallLevel


def case_list_earlier_of_person(
    *, phone: str = "", document_type: str = "", document_number: str = ""
) -> QuerySet[Case]:
    """Earlier cases of the same person, found through the keyed blind indexes (repeat reporters)."""
    condition = Q(pk__in=[])
    if phone:
        condition |= Q(phone_index__in=phone_indexes(phone))
    if document_type and document_number:
        condition |= Q(document_index__in=document_indexes(document_type, document_number))
    return Case.objects.filter(condition).order_by("-registered_at")


def case_badges(*, hall_id: int, case_ids: list[int]) -> dict[int, DeadlineBadge]:
    """The most urgent live deadline of each case (its slips' replies, its feedback): two queries."""
    if not case_ids:
        return {}
    slip_case = dict(SlipIndex.objects.filter(hall_id=hall_id, case_id__in=case_ids).values_list("slip_id", "case_id"))
    deadlines = Deadline.objects.filter(hall_id=hall_id, state__in=LIVE_STATES).filter(
        Q(
            kind=DeadlineKind.SLIP_REPLY,
            subject_type="casework.TransferSlip",
            subject_id__in=[str(i) for i in slip_case],
        )
        | Q(kind=DeadlineKind.FEEDBACK, subject_type="casework.Case", subject_id__in=[str(i) for i in case_ids])
    )
    now = timezone.now()
    per_case: dict[int, list[DeadlineBadge]] = {}
    for deadline in deadlines:
        subject = int(deadline.subject_id)
        case_id = slip_case.get(subject) if deadline.kind == DeadlineKind.SLIP_REPLY else subject
        if case_id is not None:
            per_case.setdefault(case_id, []).append(deadline_badge(deadline, now))
    return {case_id: badge for case_id, badges in per_case.items() if (badge := worst_badge(badges)) is not None}


# --- The hall's case list ------------------------------------------------------------------------------


class CaseSort:
    NEWEST = ""  # registered, newest first (the default)
    OLDEST = "registered"  # registered, oldest first
    DEADLINE = "deadline"  # the live deadline, overdue first; cases without one after, newest first


class DueFilter:
    OVERDUE = "overdue"  # a running deadline is past due (逾期, red)
    TODAY = "today"  # a running deadline falls due later today (今日到期), not yet overdue


@dataclass(frozen=True)
class CaseFilters:
    mine: bool = False  # cases the actor registered or handles
    due: str = ""  # a DueFilter, or ""
    department_id: int | None = None  # cases with a slip to this department
    sort: str = CaseSort.NEWEST
    status: str = ""
    category: str = ""
    channel: str = ""
    number: str = ""
    phone: str = ""
    document_type: str = ""
    document_number: str = ""
    matter: str = ""
    registered_from: date | None = None
    registered_to: date | None = None
    flagged: bool = False
    open_only: bool = False


CLOSED_STATES = (CaseStatus.CLOSED, CaseStatus.NOT_ACCEPTED)


def case_list_for_staff(*, actor: Any, filters: CaseFilters | None = None) -> QuerySet[Case]:
    """The hall's cases for its window staff, hall lead and city supervisor (the host check has
    admitted them), newest first. Personal data stays encrypted until a field is read, and is
    masked by whoever shows it."""
    filters = filters or CaseFilters()
    cases = Case.objects.all()
    if filters.mine:
        actor_id = getattr(actor, "pk", None)
        registered = CaseEvent.objects.filter(kind="registered", actor_id=actor_id).values("case_id")
        cases = cases.filter(Q(handler_id=actor_id) | Q(pk__in=registered))
    if filters.due == DueFilter.OVERDUE:
        cases = cases.filter(_cases_with(_overdue(_running_deadlines())))
    elif filters.due == DueFilter.TODAY:
        cases = cases.filter(_cases_with(_due_later_today(_running_deadlines())))
    if filters.department_id:
        cases = cases.filter(pk__in=TransferSlip.objects.filter(department_id=filters.department_id).values("case_id"))
    if filters.status:
        cases = cases.filter(status=filters.status)
    if filters.open_only:
        cases = cases.exclude(status__in=CLOSED_STATES)
    if filters.category:
        cases = cases.filter(handling_category=filters.category)
    if filters.channel:
        cases = cases.filter(channel=filters.channel)
    if filters.number:
        cases = cases.filter(number__icontains=filters.number.strip())
    if filters.matter:
        cases = cases.filter(matter_name__icontains=filters.matter.strip())
    if filters.phone:
        try:
            cases = cases.filter(phone_index__in=phone_indexes(filters.phone))
        except ValidationError:  # an unparseable phone matches nothing
            cases = cases.none()
    if filters.document_type and filters.document_number:
        try:
            cases = cases.filter(document_index__in=document_indexes(filters.document_type, filters.document_number))
        except ValidationError:
            cases = cases.none()
    if filters.registered_from:
        cases = cases.filter(registered_at__date__gte=filters.registered_from)
    if filters.registered_to:
        cases = cases.filter(registered_at__date__lte=filters.registered_to)
    if filters.flagged:
        cases = cases.filter(flagged_for_supervision=True)
    cases = cases.select_related("handler")
    if filters.sort == CaseSort.OLDEST:
        return cases.order_by("registered_at", "id")
    return cases.order_by("-registered_at", "-id")  # the deadline order: case_list_ordered_for_staff


def case_list_ordered_for_staff(*, actor: Any, filters: CaseFilters) -> QuerySet[Case] | CasesByDeadline:
    """The case list in the order ``filters.sort`` asks for: a queryset, or for the deadline order a
    ``CasesByDeadline`` (which pages the same way)."""
    cases = case_list_for_staff(actor=actor, filters=filters)
    return CasesByDeadline(cases) if filters.sort == CaseSort.DEADLINE else cases


# --- Deadlines of the hall's cases (public-schema rows, read in the same SQL as the cases) ----------


def _running_deadlines() -> QuerySet[Deadline]:
    """The hall's deadlines whose clock runs (open, or breached and still live): a paused one (补正)
    neither falls due nor sorts."""
    return Deadline.objects.filter(hall_id=_hall_id(), state__in=[DeadlineState.OPEN, DeadlineState.BREACHED])


def _overdue(deadlines: QuerySet[Deadline]) -> QuerySet[Deadline]:
    """Red (逾期): breached, or open and past due (hallplatform.deadlines.badges)."""
    return deadlines.filter(Q(state=DeadlineState.BREACHED) | Q(due_at__lte=timezone.now()))


def _due_later_today(deadlines: QuerySet[Deadline]) -> QuerySet[Deadline]:
    """今日到期: open, due later today (Asia/Shanghai), not yet overdue (hallplatform.todo)."""
    now = timezone.now()
    tomorrow = timezone.make_aware(datetime.combine(timezone.localdate(now) + timedelta(days=1), time.min))
    return deadlines.filter(state=DeadlineState.OPEN, due_at__gt=now, due_at__lt=tomorrow)


def _cases_with(deadlines: QuerySet[Deadline]) -> Q:
    """Cases whose feedback deadline, or the reply deadline of one of whose slips, is among
    ``deadlines``: two uncorrelated sub-selects (hash semi-joins, whatever the number of cases)."""
    feedback = (
        deadlines.filter(kind=DeadlineKind.FEEDBACK, subject_type="casework.Case")
        .annotate(subject=Cast("subject_id", IntegerField()))
        .values("subject")
    )
    slips = (
        deadlines.filter(kind=DeadlineKind.SLIP_REPLY, subject_type="casework.TransferSlip")
        .annotate(subject=Cast("subject_id", IntegerField()))
        .values("subject")
    )
    return Q(pk__in=feedback) | Q(pk__in=TransferSlip.objects.filter(pk__in=slips).values("case_id"))


class CasesByDeadline:
    """Cases in deadline order: the earliest running deadline of each (its feedback, its slips'
    replies), overdue first; cases without one (or with paused ones only) after, newest first.

    For a paginator: ``count()`` and slices. A slice is one statement that joins the filtered cases
    with their earliest running deadline, aggregated once over the hall's running deadlines (a hash
    join, not a look-up per case: at 100,000 cases a correlated sub-select per row took half a second,
    and its cost estimate set PostgreSQL's JIT compiling for seconds more), then the page's rows by id.
    """

    def __init__(self, cases: QuerySet[Case]) -> None:
        self.cases = cases

    def defer(self, *fields: str) -> CasesByDeadline:
        return CasesByDeadline(self.cases.defer(*fields))

    def count(self) -> int:
        return self.cases.count()

    def __len__(self) -> int:
        return self.count()

    def __iter__(self) -> Iterator[Case]:
        return iter(self[0 : self.count()])

    @overload
    def __getitem__(self, index: int) -> Case: ...
    @overload
    def __getitem__(self, index: slice) -> list[Case]: ...
    def __getitem__(self, index: int | slice) -> Case | list[Case]:
        if isinstance(index, int):
            return self[index : index + 1][0]
        start = index.start or 0
        ids = self._ids(offset=start, limit=None if index.stop is None else max(index.stop - start, 0))
        rows = {case.pk: case for case in self.cases.filter(pk__in=ids).order_by()}
        return [rows[pk] for pk in ids if pk in rows]

    def _ids(self, *, offset: int, limit: int | None) -> list[int]:
        if limit == 0:
            return []
        try:
            inner, inner_params = self.cases.order_by().values("id", "registered_at").query.sql_with_params()
        except EmptyResultSet:
            return []
        slip = TransferSlip._meta.db_table
        deadline = Deadline._meta.db_table
        running = [DeadlineState.OPEN.value, DeadlineState.BREACHED.value]
        # The slips' earliest running deadline per case, grouped on the slips' case_id (whose
        # statistics keep the planner's estimate honest: a hash join, not a nested loop); the
        # feedback deadline joined by its unique live row.
        sql = (
            "WITH slip_due AS (SELECT s.case_id, MIN(d.due_at) AS due_at"  # noqa: S608 (model tables; values are parameters)
            f" FROM {deadline} d JOIN {slip} s ON s.id = d.subject_id::integer"
            " WHERE d.hall_id = %s AND d.state = ANY(%s) AND d.kind = %s AND d.subject_type = %s"
            " GROUP BY s.case_id)"
            f" SELECT c.id FROM ({inner}) AS c"
            " LEFT JOIN slip_due ON slip_due.case_id = c.id"
            f" LEFT JOIN {deadline} fb ON fb.subject_type = %s AND fb.subject_id = c.id::text AND fb.kind = %s"
            "  AND fb.hall_id = %s AND fb.state = ANY(%s)"
            " ORDER BY LEAST(slip_due.due_at, fb.due_at) ASC NULLS LAST, c.registered_at DESC, c.id DESC"
            " LIMIT %s OFFSET %s"
        )
        hall_id = _hall_id()
        params = [
            *(hall_id, running, DeadlineKind.SLIP_REPLY.value, "casework.TransferSlip"),
            *inner_params,
            *("casework.Case", DeadlineKind.FEEDBACK.value, hall_id, running),
            limit,
            offset,
        ]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return [row[0] for row in cursor.fetchall()]


# --- The search box (a NO, a phone or ID number through the blind indexes, words of the matter) ----

_NUMBER_LIKE = re.compile(r"^[0-9][0-9-]{2,}$")


def case_search_for_staff(*, actor: Any, text: str) -> CasesByDeadline:
    """The hall's cases found by ``text``: part of their NO; the phone or ID number of the person,
    through the keyed blind indexes (never a clear-text index of an encrypted field); or words of
    the matter (casework.search: Chinese bigrams in a tsvector). Read exactly as the case list
    (``case_list_for_staff``: the host check has admitted the reader), deadline order. Nothing of
    ``text`` is logged or stored."""
    text = (text or "").strip()
    cases = case_list_for_staff(actor=actor)
    if not text:
        return CasesByDeadline(cases.none())
    condition = Q(pk__in=[])
    if _NUMBER_LIKE.match(text):
        condition |= Q(number__icontains=text)
    with suppress(ValidationError):  # not a mobile number
        condition |= Q(phone_index__in=phone_indexes(text))
    if any(ch.isdigit() for ch in text):
        for document_type in DocumentType.values:
            try:
                condition |= Q(document_index__in=document_indexes(document_type, text))
            except ValidationError:
                continue
    words = matter_matches(text)
    if words is not None:
        cases = cases.alias(matter_hit=words)
        condition |= Q(matter_hit=True)
    return CasesByDeadline(cases.filter(condition))


def meeting_request_list_for_hall() -> QuerySet[Case]:
    """The hall's open requests for a joint meeting, oldest first: asked for by the window, neither
    convened nor declined yet, on a case still open (the hall lead's to-do; the city's list reads the
    index, coordination.selectors.meeting_request_list_for)."""
    return (
        Case.objects.filter(meeting_requested=True)
        .exclude(status__in=CLOSED_STATES)
        .only("pk", "number", "matter_name", "meeting_request_note", "transferred_at", "status", "version")
        .order_by("transferred_at", "pk")
    )


def case_get_for_staff(*, actor: Any, case_id: int) -> Case:
    # the person's rating (好差评) with it: one join, no query more for the detail
    case = Case.objects.select_related("handler", "rating").filter(pk=case_id).first()
    if case is None:
        raise Http404
    return case


def case_steps_allowed(*, actor: Any, case: Case, window: bool) -> list[str]:
    """The steps ``actor`` can take on ``case`` now: with ``window`` (the host admitted them as the
    hall's window staff or lead) the window's steps its state allows (CASE_STEP_STATES), and
    "reveal" for whoever may see its personal data unmasked."""
    hall_id = _hall_id()
    steps: list[str] = []
    if window:
        for step, states in CASE_STEP_STATES.items():
            if case.status in states and (step != "reopen" or case.satisfaction in UNSATISFIED):
                steps.append(step)
        # the person's SMS preference, while an SMS may still go to them: not on a case not accepted,
        # nor on a closed one unless it may be reopened; nor for a landline, which no SMS reaches
        if (case.status not in CLOSED_STATES or "reopen" in steps) and is_mobile(case.phone or ""):
            steps.append("sms_opt_out")
        # another 经办人 (casework.services.case_handler_reassign), while the case is not over
        if case.status not in CLOSED_STATES:
            steps.append("reassign")
        # 更正登记 (casework.services.case_registration_amend): after the feedback, the hall lead only
        if may_amend_registration(actor, hall_id=hall_id, fed_back=case.fed_back_at is not None):
            steps.append("amend")
    departments = set(TransferSlip.objects.filter(case=case).values_list("department_id", flat=True))
    if may_reveal(actor, hall_id=hall_id, slip_department_ids=departments):
        steps.append("reveal")
    return steps


def case_undo_step(*, actor: Any, case: Case) -> str:
    """The step ``actor`` can take back on ``case`` now ("close" or "screen_out", see
    casework.services.case_undo_refusal), or ""."""
    for step, (_kind, status) in UNDOABLE_STEPS.items():
        if case.status == status and not case_undo_refusal(case=case, actor=actor, step=step)[0]:
            return step
    return ""


def slip_steps_allowed(*, slip: TransferSlip, for_department: bool) -> list[str]:
    """The steps possible on ``slip`` now: receive, reply and return for its department, re-route
    (of a returned slip) for the window."""
    steps = ("receive", "reply", "return") if for_department else ("reroute", "withdraw")
    return [step for step in steps if slip.status in SLIP_STEP_STATES[step]]


def slip_extension_requests_for_case(*, case: Case) -> dict[int, CaseEvent]:
    """The case's slips with a request for more time still waiting for the hall's lead (slip id → the
    request's event): one query (casework.services.slip_extension_pending, for all slips at once)."""
    last: dict[int, CaseEvent] = {}
    events = CaseEvent.objects.filter(
        case=case, kind__in=["slip_extension_requested", "slip_extension_decided"], slip__isnull=False
    ).order_by("at", "id")
    for event in events.select_related("actor"):
        last[int(event.slip_id)] = event  # type: ignore[arg-type]
    return {
        slip_id: event
        for slip_id, event in last.items()
        if event.kind == "slip_extension_requested"
        and TransferSlip.objects.filter(pk=slip_id, status__in=SLIP_STEP_STATES["reply"]).exists()
    }


def slip_extension_request_list_for_hall() -> list[tuple[TransferSlip, CaseEvent]]:
    """The hall's requests for more time waiting for its lead (the lead's to-do), oldest first: each
    slip still to be answered whose last extension event is a request. Two queries."""
    last: dict[int, CaseEvent] = {}
    events = CaseEvent.objects.filter(
        kind__in=["slip_extension_requested", "slip_extension_decided"], slip__isnull=False
    ).order_by("at", "id")
    for event in events.only("id", "at", "kind", "slip_id", "changes"):
        last[int(event.slip_id)] = event  # type: ignore[arg-type]
    waiting = {slip_id: e for slip_id, e in last.items() if e.kind == "slip_extension_requested"}
    slips = TransferSlip.objects.filter(pk__in=list(waiting), status__in=SLIP_STEP_STATES["reply"]).select_related(
        "case", "department"
    )
    return sorted(((slip, waiting[slip.pk]) for slip in slips), key=lambda pair: (pair[1].at, pair[1].pk))


def case_timeline(*, case: Case) -> QuerySet[CaseEvent]:
    return CaseEvent.objects.filter(case=case).select_related("actor", "slip").order_by("at", "id")


def slip_list_for_case(*, case: Case) -> list[tuple[TransferSlip, DeadlineBadge | None]]:
    """The case's slips with their deadline badges (two queries)."""
    slips = list(TransferSlip.objects.filter(case=case).select_related("department", "department__hall"))
    deadlines = Deadline.objects.filter(
        hall_id=_hall_id(),
        kind=DeadlineKind.SLIP_REPLY,
        subject_type="casework.TransferSlip",
        subject_id__in=[str(s.pk) for s in slips],
        state__in=LIVE_STATES,
    )
    now = timezone.now()
    badges = {int(d.subject_id): deadline_badge(d, now) for d in deadlines}
    return [(slip, badges.get(slip.pk)) for slip in slips]


def feedback_deadline_for_case(*, case: Case) -> Deadline | None:
    return (
        Deadline.objects.filter(
            hall_id=_hall_id(), kind=DeadlineKind.FEEDBACK, subject_type="casework.Case", subject_id=str(case.pk)
        )
        .order_by("-id")
        .first()
    )


def _hall_id() -> int:
    return int(current_tenant().pk)


# --- Department inbox (public schema, every hall at once) -------------------------------------------------


@dataclass(frozen=True)
class InboxFilters:
    status: str = ""  # a SlipStatus, or "" for the open ones
    hall_id: int | None = None
    overdue: bool = False
    due_today: bool = False  # 今日到期: open, due later today, not yet overdue
    include_closed: bool = False
    by_deadline: bool = False  # the live deadline first (overdue first), slips without one after


def slip_inbox_for_department(*, actor: Any, filters: InboxFilters | None = None) -> QuerySet[SlipIndex]:
    """The slips addressed to the actor's departments from every hall that routes to them (rule
    art. 5(2)–(3)): one query over the public-schema index, with hall, department and deadline."""
    filters = filters or InboxFilters()
    rows = SlipIndex.objects.filter(department_id__in=department_ids_of(actor))
    if filters.status:
        rows = rows.filter(status=filters.status)
    elif not filters.include_closed:
        rows = rows.filter(status__in=["sent", "received", "awaiting_supplement"])
    if filters.hall_id:
        rows = rows.filter(hall_id=filters.hall_id)
    if filters.overdue:
        rows = rows.filter(
            Q(deadline__state=DeadlineState.BREACHED)
            | Q(deadline__state=DeadlineState.OPEN, deadline__due_at__lte=timezone.now())
        )
    if filters.due_today:
        rows = rows.filter(deadline__in=_due_later_today(Deadline.objects.all()).values("pk"))
    rows = rows.select_related("hall", "department", "deadline")
    if filters.by_deadline:
        live_due = Choose(
            When(deadline__state__in=[DeadlineState.OPEN, DeadlineState.BREACHED], then=F("deadline__due_at")),
            default=None,
            output_field=DateTimeField(),
        )
        return rows.annotate(live_due=live_due).order_by(F("live_due").asc(nulls_last=True), "-sent_at", "-id")
    return rows.order_by("-sent_at", "-id")


def slip_get_for_staff(*, actor: Any, slip_id: int) -> TransferSlip:
    """A slip of this hall, for its window staff and lead (to re-route a returned one); 404 otherwise."""
    slip = TransferSlip.objects.select_related("case", "department", "department__hall").filter(pk=slip_id).first()
    if slip is None or not is_hall_staff(actor, _hall_id()):
        raise Http404
    return slip


def slip_get_for_department(*, actor: Any, slip_id: int) -> TransferSlip:
    """A slip of this hall, for the staff of the department it is addressed to; 404 for anyone else."""
    slip = (
        TransferSlip.objects.select_related("case", "department", "department__hall")
        .filter(pk=slip_id, department_id__in=department_ids_of(actor))
        .first()
    )
    if slip is None:
        raise Http404
    return slip


def hall_list_for_department_inbox(*, actor: Any) -> QuerySet[Hall]:
    """The halls whose slips reach the actor's departments (the inbox's hall filter): a county
    department's own hall; for a city-level department, the city hall and every county of its city;
    and any other hall that sent them a slip (transfers across halls, 异地转办)."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return Hall.objects.none()
    assigned = RoleAssignment.objects.filter(user_id=actor.pk, kind__in=DEPARTMENT_ROLES, department__is_active=True)
    return Hall.objects.filter(
        Q(pk__in=assigned.values("department__hall_id"))
        | Q(parent_id__in=assigned.filter(department__hall__level=HallLevel.CITY).values("department__hall_id"))
        | Q(pk__in=SlipIndex.objects.filter(department_id__in=assigned.values("department_id")).values("hall_id"))
    ).order_by("level", "region_code")


def slip_get_for_print(*, actor: Any, slip_id: int) -> TransferSlip:
    """A slip of this hall for its printable 转办单: the staff of its department, and the hall's window
    staff and lead, who print it to send it; 404 for anyone else."""
    slip = (
        TransferSlip.objects.select_related("case", "department", "department__hall", "sent_by", "replied_by")
        .filter(pk=slip_id)
        .first()
    )
    if slip is None or not (slip.department_id in department_ids_of(actor) or is_hall_staff(actor, _hall_id())):
        raise Http404
    return slip


def slip_deadline(*, slip: TransferSlip) -> Deadline | None:
    """The slip's reply deadline (art. 5(3)): the live one, else the last one it had."""
    return (
        Deadline.objects.filter(
            hall_id=_hall_id(),
            kind=DeadlineKind.SLIP_REPLY,
            subject_type="casework.TransferSlip",
            subject_id=str(slip.pk),
        )
        .order_by("-id")
        .first()
    )


def slip_timeline(*, slip: TransferSlip) -> QuerySet[CaseEvent]:
    """The events of the case that concern this slip, oldest first."""
    return CaseEvent.objects.filter(slip=slip).select_related("actor").order_by("at", "id")


# --- The to-do of the hall's home page -------------------------------------------------------------------

# The window's open steps by case status (CASE_STEP_STATES): what is waiting on the window.
TO_SCREEN_STATES = (CaseStatus.REGISTERED, CaseStatus.REOPENED)
FEEDBACK_STATES = (CaseStatus.REPLIED,)
FOLLOW_UP_STATES = (CaseStatus.FED_BACK, CaseStatus.ANSWERED)


def case_list_open_for_home() -> QuerySet[Case]:
    """The hall's cases not closed, with only what a to-do row shows: one query."""
    return (
        Case.objects.exclude(status__in=CLOSED_STATES)
        .only("pk", "number", "matter_name", "status", "registered_at", "reopened_at", "replied_at", "fed_back_at")
        .order_by("registered_at", "pk")
    )


def slip_list_returned() -> QuerySet[TransferSlip]:
    """The hall's slips the departments returned, not yet re-routed or withdrawn: the window's to-do."""
    return (
        TransferSlip.objects.filter(status=SlipStatus.RETURNED)
        .select_related("case", "department")
        .only("pk", "number", "returned_at", "case__id", "case__number", "case__matter_name", "department__name")
        .order_by("returned_at", "pk")
    )


# --- Internal notes (内部备注) ----------------------------------------------------------------------------


def case_note_list_for_staff(*, actor: Any, case: Case) -> QuerySet[CaseNote]:
    """Every internal note of a case and of its slips, for the hall's window staff and leads (404 for
    anyone else, the city supervisor included: notes are the hall's own)."""
    if not is_hall_staff(actor, _hall_id()):
        raise Http404
    return CaseNote.objects.filter(case=case).select_related("slip", "author").order_by("created_at", "id")


def slip_note_list_for_department(*, slip: TransferSlip) -> QuerySet[CaseNote]:
    """The internal notes of one slip, for the department it is addressed to (the caller found the
    slip through slip_get_for_department) and the hall's staff."""
    return CaseNote.objects.filter(slip=slip).select_related("slip", "author").order_by("created_at", "id")


def slip_list_routed_to_hall(*, actor: Any, hall_id: int) -> QuerySet[SlipIndex]:
    """Transfers across halls (异地转办) into this hall: slips other halls sent to its departments, for
    its hall lead, read-only, from the public-schema index; 404 for anyone else."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise Http404
    if not RoleAssignment.objects.filter(user_id=actor.pk, kind=RoleKind.HALL_LEAD, hall_id=hall_id).exists():
        raise Http404
    return (
        SlipIndex.objects.filter(department__hall_id=hall_id)
        .exclude(hall_id=hall_id)
        .select_related("hall", "department", "deadline")
        .order_by("-sent_at", "-id")
    )
