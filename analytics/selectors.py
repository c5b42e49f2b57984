"""The figures of the hall and city dashboards (rule art. 8), each one query over public-schema facts.

A scope is a hall (its hall lead) or a city (its supervisors: the city hall and its counties). A
period is a range of dates in Asia/Shanghai, ``first`` to ``last`` inclusive; cases count in the
period they were registered in, slips in the period they were sent in, deadlines in the period they
started in. Nothing here reads a hall's schema: the facts are ``coordination.CaseIndex``,
``coordination.SlipIndex``, ``hallplatform.deadlines.Deadline`` (with the working time each took),
supervision orders and suggestions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import Count, F, FilteredRelation, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from analytics.models import ImprovementSuggestion, SuggestionStatus
from coordination.selectors import city_for_supervisor
from hallindex.models import CaseIndex, SlipIndex
from hallplatform.accounts.models import DEPARTMENT_ROLES, RoleAssignment, RoleKind
from hallplatform.deadlines.models import Deadline, DeadlineKind, DeadlineState
from tenants.models import Department, Hall, HallLevel
from tenants.selectors import hall_list_for_city

TZ = ZoneInfo("Asia/Shanghai")
SATISFACTION_LEVELS = ["very_satisfied", "satisfied", "fairly_satisfied", "dissatisfied", "very_dissatisfied"]
STAGES = [
    ("slip_ordinary", DeadlineKind.SLIP_REPLY, 2),
    ("slip_complex", DeadlineKind.SLIP_REPLY, 5),
    ("feedback", DeadlineKind.FEEDBACK, None),
    ("resolution", DeadlineKind.MEETING_RESOLUTION, None),
    ("order", DeadlineKind.SUPERVISION_ORDER, None),
]
MATTER_ROWS = 20  # the matters a dashboard's figures list (matter_figures)


@dataclass(frozen=True)
class Period:
    first: date
    last: date

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time.min, tzinfo=TZ)

    @property
    def end(self) -> datetime:
        """Exclusive end instant."""
        return datetime.combine(self.last + timedelta(days=1), time.min, tzinfo=TZ)

    def previous(self) -> Period:
        """The period of the same length just before (a calendar month gives the month before)."""
        if self.first.day == 1 and (self.last + timedelta(days=1)).day == 1:
            last = self.first - timedelta(days=1)
            return Period(first=last.replace(day=1), last=last)
        length = (self.last - self.first).days + 1
        return Period(first=self.first - timedelta(days=length), last=self.first - timedelta(days=1))

    @classmethod
    def month_of(cls, day: date) -> Period:
        first = day.replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
        return cls(first=first, last=following - timedelta(days=1))


@dataclass(frozen=True)
class Scope:
    """A hall, or a city with its counties."""

    hall: Hall
    is_city: bool

    def hall_ids(self) -> list[int]:
        if not self.is_city:
            return [self.hall.pk]
        # asked by every figure of a dashboard: looked up once per scope
        cached: list[int] | None = self.__dict__.get("_hall_ids")
        if cached is None:
            cached = list(hall_list_for_city(city_id=self.hall.pk).values_list("pk", flat=True))
            object.__setattr__(self, "_hall_ids", cached)
        return list(cached)

    @classmethod
    def of_hall(cls, hall: Hall) -> Scope:
        return cls(hall=hall, is_city=False)

    @classmethod
    def of_city(cls, city: Hall) -> Scope:
        assert city.level == HallLevel.CITY
        return cls(hall=city, is_city=True)


@dataclass
class StageFigures:
    total: int = 0  # finished (met) or overdue
    on_time: int = 0
    late: int = 0
    open_overdue: int = 0
    median_minutes: float | None = None
    p90_minutes: float | None = None

    @property
    def on_time_rate(self) -> float | None:
        return round(100 * self.on_time / self.total, 1) if self.total else None


@dataclass
class Figures:
    period: dict[str, str]
    cases: int = 0
    by_channel: dict[str, int] = field(default_factory=dict)
    by_category: dict[str, int] = field(default_factory=dict)
    by_status: dict[str, int] = field(default_factory=dict)
    not_accepted: int = 0
    by_exclusion_reason: dict[str, int] = field(default_factory=dict)
    # Art. 4: what failed (未受理 / 受理后未审批 / 多次跑动仍未办成 / 其他); cases without it are not counted here.
    by_failure_kind: dict[str, int] = field(default_factory=dict)
    by_result: dict[str, int] = field(default_factory=dict)
    flagged: int = 0
    repeat_reporters: int = 0
    reopened: int = 0
    matters: list[dict[str, Any]] = field(default_factory=list)
    departments: list[dict[str, Any]] = field(default_factory=list)
    stages: dict[str, dict[str, Any]] = field(default_factory=dict)
    overdue_now: dict[str, int] = field(default_factory=dict)
    follow_up_due: int = 0
    followed_up: int = 0
    satisfaction: dict[str, int] = field(default_factory=dict)
    suggestions_sent: int = 0
    suggestions_answered: int = 0
    halls: list[dict[str, Any]] = field(default_factory=list)

    @property
    def follow_up_rate(self) -> float | None:
        return round(100 * self.followed_up / self.follow_up_due, 1) if self.follow_up_due else None

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["follow_up_rate"] = self.follow_up_rate
        for stage in data["stages"].values():
            stage["on_time_rate"] = round(100 * stage["on_time"] / stage["total"], 1) if stage["total"] else None
        return data


def late_condition(now: datetime, *, prefix: str = "") -> Q:
    """A deadline that was not kept: met after it was due, breached, still open past due, or paused
    (waiting for the person) after it was already past due. Its opposite, on time, is met by the due
    time; a deadline still running within its time is neither."""
    return (
        Q(**{f"{prefix}state": DeadlineState.BREACHED})
        | Q(**{f"{prefix}state": DeadlineState.MET, f"{prefix}met_at__gt": F(f"{prefix}due_at")})
        | Q(**{f"{prefix}state": DeadlineState.OPEN, f"{prefix}due_at__lte": now})
        | Q(**{f"{prefix}state": DeadlineState.PAUSED, f"{prefix}paused_at__gt": F(f"{prefix}due_at")})
    )


def _cases(scope: Scope, period: Period) -> Any:
    return CaseIndex.objects.filter(
        hall_id__in=scope.hall_ids(), registered_at__gte=period.start, registered_at__lt=period.end
    )


def case_figures(*, scope: Scope, period: Period, figures: Figures) -> None:
    """Counts by channel, category, status, result and screening; flags; repeat reporters. One query."""
    rows = (
        _cases(scope, period)
        .values("channel", "handling_category", "failure_kind", "status", "result", "exclusion_reason")
        .annotate(
            n=Count("id"),
            flagged=Count("id", filter=Q(flagged_for_supervision=True)),
            repeat=Count("id", filter=Q(repeat_reporter=True)),
            reopened=Count("id", filter=Q(reopened_count__gt=0)),
        )
    )
    for row in rows:
        n = row["n"]
        figures.cases += n
        figures.flagged += row["flagged"]
        figures.repeat_reporters += row["repeat"]
        figures.reopened += row["reopened"]
        for key, bucket in (
            ("channel", figures.by_channel),
            ("handling_category", figures.by_category),
            ("failure_kind", figures.by_failure_kind),
            ("status", figures.by_status),
            ("result", figures.by_result),
        ):
            if row[key]:
                bucket[row[key]] = bucket.get(row[key], 0) + n
        if row["status"] == "not_accepted":
            figures.not_accepted += n
            reason = row["exclusion_reason"] or "unknown"
            figures.by_exclusion_reason[reason] = figures.by_exclusion_reason.get(reason, 0) + n


def matter_figures(*, scope: Scope, period: Period, figures: Figures, limit: int = MATTER_ROWS) -> None:
    """The matters that come back most, grouped by their folded spelling, with the most common
    spelling shown and how many were not done on the spot. One query."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT matter_key,
                   mode() WITHIN GROUP (ORDER BY matter_name) AS name,
                   count(*) AS n,
                   count(*) FILTER (WHERE status IN ('transferred', 'awaiting_supplement', 'replied',
                                                      'fed_back', 'followed_up', 'closed', 'reopened')
                                     AND handling_category <> 'consultation') AS transferred,
                   count(*) FILTER (WHERE flagged_for_supervision) AS flagged,
                   count(*) FILTER (WHERE satisfaction IN ('dissatisfied', 'very_dissatisfied')) AS unsatisfied
              FROM coordination_caseindex
             WHERE hall_id = ANY(%s) AND registered_at >= %s AND registered_at < %s
             GROUP BY matter_key
             ORDER BY n DESC, matter_key
             LIMIT %s
            """,
            [scope.hall_ids(), period.start, period.end, limit],
        )
        figures.matters = [
            {"key": key, "name": name, "cases": n, "transferred": t, "flagged": f, "unsatisfied": u}
            for key, name, n, t, f, u in cursor.fetchall()
        ]


def department_figures(*, scope: Scope, period: Period, figures: Figures) -> None:
    """Slips per department sent in the period: answered, returned, on time, late, still open. One query."""
    now = timezone.now()
    rows = (
        SlipIndex.objects.filter(hall_id__in=scope.hall_ids(), sent_at__gte=period.start, sent_at__lt=period.end)
        # A slip's reply deadline starts when the slip is sent (casework.services): joined on that too,
        # the deadlines are a range of the start_at index (stats_deadline_start) instead of the table.
        .annotate(reply=FilteredRelation("deadline", condition=Q(deadline__start_at__gte=period.start)))
        .values("department_id", "department__name", "department__hall__name")
        .annotate(
            slips=Count("id"),
            replied=Count("id", filter=Q(status="replied")),
            returned=Count("id", filter=Q(status__in=["returned", "rerouted"])),
            on_time=Count("id", filter=Q(reply__state=DeadlineState.MET, reply__met_at__lte=F("reply__due_at"))),
            late=Count("id", filter=late_condition(now, prefix="reply__")),
            flagged=Count("id", filter=Q(flagged_for_supervision=True)),
        )
        .order_by("-slips", "department_id")
    )
    figures.departments = [
        {
            "id": row["department_id"],
            "name": row["department__name"],
            "hall": row["department__hall__name"],
            "slips": row["slips"],
            "replied": row["replied"],
            "returned": row["returned"],
            "on_time": row["on_time"],
            "late": row["late"],
            "flagged": row["flagged"],
            "on_time_rate": round(100 * row["on_time"] / (row["on_time"] + row["late"]), 1)
            if row["on_time"] + row["late"]
            else None,
        }
        for row in rows
    ]


def stage_figures(*, scope: Scope, period: Period, figures: Figures) -> None:
    """On-time rate, median and 90th percentile of working time per stage (slip replies within 2 or 5
    working days, feedback within half a working day, meeting resolutions, supervision orders), for
    the deadlines that started in the period. On time and late as ``late_condition``; open and overdue
    as ``overdue_now`` (a clock paused while waiting for the person is not overdue). One query."""
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT kind,
                   CASE WHEN kind = 'slip_reply' THEN rule_amount ELSE NULL END AS days,
                   count(*) FILTER (WHERE state = 'met' AND met_at <= due_at) AS on_time,
                   count(*) FILTER (WHERE (state = 'met' AND met_at > due_at) OR state = 'breached'
                                    OR (state = 'open' AND due_at <= %s)
                                    OR (state = 'paused' AND paused_at > due_at)) AS late,
                   count(*) FILTER (WHERE state = 'breached' OR (state = 'open' AND due_at <= %s)) AS open_overdue,
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY worked_seconds)
                       FILTER (WHERE state = 'met') AS median_s,
                   percentile_cont(0.9) WITHIN GROUP (ORDER BY worked_seconds)
                       FILTER (WHERE state = 'met') AS p90_s
              FROM deadlines_deadline
             WHERE hall_id = ANY(%s) AND start_at >= %s AND start_at < %s AND state <> 'cancelled'
             GROUP BY 1, 2
            """,
            [now, now, scope.hall_ids(), period.start, period.end],
        )
        found = {(kind, days): rest for kind, days, *rest in cursor.fetchall()}
    for name, kind, days in STAGES:
        key_days = days if kind == DeadlineKind.SLIP_REPLY else None
        on_time, late, open_overdue, median_s, p90_s = found.get((kind, key_days), (0, 0, 0, None, None))
        stage = StageFigures(
            total=on_time + late,
            on_time=on_time,
            late=late,
            open_overdue=open_overdue,
            median_minutes=round(median_s / 60, 1) if median_s is not None else None,
            p90_minutes=round(p90_s / 60, 1) if p90_s is not None else None,
        )
        figures.stages[name] = asdict(stage)


def overdue_now(*, scope: Scope, figures: Figures) -> None:
    """Items overdue right now, whatever their period, by kind. One query."""
    now = timezone.now()
    rows = (
        Deadline.objects.filter(hall_id__in=scope.hall_ids())
        .filter(Q(state=DeadlineState.BREACHED) | Q(state=DeadlineState.OPEN, due_at__lte=now))
        .values("kind")
        .annotate(n=Count("id"))
    )
    figures.overdue_now = {row["kind"]: row["n"] for row in rows}


def follow_up_figures(*, scope: Scope, period: Period, figures: Figures) -> None:
    """Follow-up coverage of the cases told their result (answered or fed back) and the 好差评
    distribution. One query."""
    told = Q(answered_at__isnull=False) | Q(fed_back_at__isnull=False)
    rows = (
        _cases(scope, period)
        .filter(told)
        .values("satisfaction")
        .annotate(n=Count("id"), followed=Count("id", filter=Q(followed_up_at__isnull=False)))
    )
    figures.satisfaction = dict.fromkeys(SATISFACTION_LEVELS, 0)
    for row in rows:
        figures.follow_up_due += row["n"]
        figures.followed_up += row["followed"]
        if row["satisfaction"]:
            figures.satisfaction[row["satisfaction"]] = figures.satisfaction.get(row["satisfaction"], 0) + row["n"]


def suggestion_figures(*, scope: Scope, period: Period, figures: Figures) -> None:
    rows = ImprovementSuggestion.objects.filter(
        hall_id__in=scope.hall_ids(), sent_at__gte=period.start, sent_at__lt=period.end
    ).aggregate(sent=Count("id"), answered=Count("id", filter=Q(status=SuggestionStatus.ANSWERED)))
    figures.suggestions_sent = rows["sent"] or 0
    figures.suggestions_answered = rows["answered"] or 0


BANDS = ("good", "middle", "attention")


def band_of(value: float | None, cuts: tuple[float, float]) -> str | None:
    """Bands instead of a league table: at or above the upper cut 'good', below the lower
    'attention', else 'middle'."""
    if value is None:
        return None
    upper, lower = cuts
    if value >= upper:
        return "good"
    if value < lower:
        return "attention"
    return "middle"


ON_TIME_CUTS = (95.0, 80.0)


def hall_figures(*, scope: Scope, period: Period, figures: Figures) -> None:
    """For a city: each hall's cases, on-time rate of slip replies and feedback, satisfaction, in
    bands. Two queries."""
    if not scope.is_city:
        return
    halls = list(Hall.objects.filter(pk__in=scope.hall_ids()).order_by("level", "region_code"))
    cases = dict(_cases(scope, period).values("hall_id").annotate(n=Count("id")).values_list("hall_id", "n"))
    now = timezone.now()
    rows = (
        Deadline.objects.filter(
            hall_id__in=[h.pk for h in halls],
            start_at__gte=period.start,
            start_at__lt=period.end,
            kind__in=[DeadlineKind.SLIP_REPLY, DeadlineKind.FEEDBACK],
        )
        .exclude(state=DeadlineState.CANCELLED)
        .values("hall_id")
        .annotate(
            on_time=Count("id", filter=Q(state=DeadlineState.MET, met_at__lte=F("due_at"))),
            late=Count("id", filter=late_condition(now)),
        )
    )
    rates = {row["hall_id"]: (row["on_time"], row["late"]) for row in rows}
    figures.halls = []
    for hall in halls:
        on_time, late = rates.get(hall.pk, (0, 0))
        rate = round(100 * on_time / (on_time + late), 1) if on_time + late else None
        figures.halls.append(
            {"id": hall.pk, "code": hall.code, "name": hall.name, "cases": cases.get(hall.pk, 0),
             "on_time_rate": rate, "band": band_of(rate, ON_TIME_CUTS)}
        )  # fmt: skip
    for department in figures.departments:
        department["band"] = band_of(department["on_time_rate"], ON_TIME_CUTS)


def figures_for(*, scope: Scope, period: Period) -> Figures:
    """Every figure of a dashboard for a scope and period."""
    figures = Figures(period={"first": period.first.isoformat(), "last": period.last.isoformat()})
    case_figures(scope=scope, period=period, figures=figures)
    matter_figures(scope=scope, period=period, figures=figures)
    department_figures(scope=scope, period=period, figures=figures)
    stage_figures(scope=scope, period=period, figures=figures)
    overdue_now(scope=scope, figures=figures)
    follow_up_figures(scope=scope, period=period, figures=figures)
    suggestion_figures(scope=scope, period=period, figures=figures)
    hall_figures(scope=scope, period=period, figures=figures)
    if not scope.is_city:
        for department in figures.departments:
            department["band"] = band_of(department["on_time_rate"], ON_TIME_CUTS)
    return figures


def recurring_problems(
    *,
    scope: Scope,
    period: Period,
    limit: int = 10,
    figures: Mapping[str, Any] | None = None,
    previous: Mapping[str, Any] | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """What fails most, with its trend against the previous period: matters (by grouped spelling)
    and departments (by late or returned slips).

    ``figures`` and ``previous`` (``Figures.as_dict()`` of the period and of the one before, as a
    dashboard has them) are reused instead of counting the matters and departments again; the only
    query left is the previous counts of the top matters that the previous figures do not list."""
    if figures is None or limit > MATTER_ROWS:
        current = Figures(period={})
        matter_figures(scope=scope, period=period, figures=current, limit=limit)
        department_figures(scope=scope, period=period, figures=current)
        figures = {"matters": current.matters, "departments": current.departments}
    if previous is None:
        earlier_figures = Figures(period={})
        department_figures(scope=scope, period=period.previous(), figures=earlier_figures)
        previous = {"matters": [], "departments": earlier_figures.departments}
    top = list(figures["matters"])[:limit]
    before = {m["key"]: m["cases"] for m in previous["matters"]}
    # the previous counts of exactly these matters (a matter rare before but frequent now included)
    missing = [m["key"] for m in top if m["key"] not in before]
    if missing:
        before.update(
            _cases(scope, period.previous())
            .filter(matter_key__in=missing)
            .values("matter_key")
            .annotate(n=Count("id"))
            .values_list("matter_key", "n")
        )
    matters = [{**m, "previous": before.get(m["key"], 0), "trend": m["cases"] - before.get(m["key"], 0)} for m in top]
    earlier = {d["id"]: d["late"] + d["returned"] for d in previous["departments"]}
    failing = sorted(
        (d for d in figures["departments"] if d["late"] + d["returned"] > 0),
        key=lambda d: (-(d["late"] + d["returned"]), d["id"]),
    )[:limit]
    departments = [
        {**{k: v for k, v in d.items() if k != "band"}, "failures": d["late"] + d["returned"],
         "previous": earlier.get(d["id"], 0), "trend": d["late"] + d["returned"] - earlier.get(d["id"], 0)}
        for d in failing
    ]  # fmt: skip
    return {"matters": matters, "departments": departments}


def departments_in_scope(scope: Scope) -> list[Department]:
    """Departments a suggestion from this scope may go to: the scope's own and its city's."""
    city_id = scope.hall.pk if scope.is_city else scope.hall.city_id
    condition = Q(hall_id__in=scope.hall_ids()) | Q(hall_id=city_id)
    return list(
        Department.objects.filter(condition, is_active=True)
        .select_related("hall")
        .order_by("hall__region_code", "code")
    )


def suggestion_list_for_scope(*, scope: Scope) -> QuerySet[ImprovementSuggestion]:
    """The improvement suggestions sent from a scope, newest first: a hall's own; for a city, those
    of the city hall and of each of its halls."""
    rows = ImprovementSuggestion.objects.all()
    rows = rows.filter(city_id=scope.hall.pk) if scope.is_city else rows.filter(hall_id=scope.hall.pk)
    return rows.select_related("hall", "department__hall", "sent_by", "answered_by")


def suggestion_list_for_department(*, actor: Any, hall: Hall | None) -> QuerySet[ImprovementSuggestion]:
    """The suggestions addressed to the departments the actor works for, unanswered first. On a hall's
    host only those of the departments the host serves (stationed there, or the city's city-level
    departments); on the base domain all of them."""
    assignments = RoleAssignment.objects.filter(user_id=actor.pk, kind__in=DEPARTMENT_ROLES)
    if hall is not None:
        assignments = assignments.filter(
            Q(department__hall_id=hall.pk) | Q(department__hall_id=hall.city_id, department__hall__level=HallLevel.CITY)
        )
    department_ids = list(assignments.values_list("department_id", flat=True))
    return (
        ImprovementSuggestion.objects.filter(department_id__in=department_ids)
        .select_related("hall", "department__hall", "sent_by", "answered_by")
        .order_by("-status", "-sent_at", "-id")
    )


def sender_scope_for(*, actor: Any, hall: Hall | None, city_id: int | None = None) -> Scope:
    """The scope an improvement suggestion is sent from, by the host: on a hall's host the hall, by its
    lead; on the base domain the city, by one of its supervisors (``city_id`` chooses among several).
    Anyone else, a supervisor on a hall's host included (they send from the city portal): 404."""
    if hall is not None:
        if RoleAssignment.objects.filter(user_id=actor.pk, kind=RoleKind.HALL_LEAD, hall_id=hall.pk).exists():
            return Scope.of_hall(hall)
        raise Http404
    return Scope.of_city(city_for_supervisor(actor=actor, city_id=city_id))
