"""Reports of a period (rule art. 8: 统计分析): for a hall or a city, the dashboard's figures next to
the previous period's, the recurring problems, and the improvement suggestions with their answers;
stored as JSON with a PDF, and announced to the hall lead(s) or the city's supervisors.

Celery beat makes last month's reports on the first working day of each month
(``monthly_reports_make``, national calendar: holidays and make-up working days count); anyone
entitled can make one for any period (``report_make``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from analytics import notices
from analytics.models import ImprovementSuggestion, MonthlyReport, ReportScope
from analytics.report_pdf import report_pdf
from analytics.selectors import Period, Scope, figures_for, recurring_problems
from hallplatform.accounts.models import RoleAssignment, RoleKind
from hallplatform.audit.services import audit_record
from hallplatform.formats import local_minute
from hallplatform.personal import free_text
from hallplatform.workdays import worktime
from hallplatform.workdays.models import CalendarDay, CalendarYear, YearStatus
from hallplatform.workdays.services import calendar_provisional_ensure
from tenants.models import Hall, HallLevel

logger = logging.getLogger(__name__)

REPORT_VERSION = 1


# --- The national calendar: is today the first working day of the month? -----------------------


def national_calendar(*, first: date, last: date) -> worktime.WorkCalendar:
    """The national working calendar over [first, last]: Monday–Friday minus statutory holidays,
    plus make-up working days (provisional years materialised), no hall's closures."""
    years = range(first.year, last.year + 1)
    calendar_provisional_ensure(years=years)
    provisional = CalendarYear.objects.filter(year__in=years, status=YearStatus.PROVISIONAL)
    national = CalendarDay.objects.filter(date__range=(first, last)).values_list("date", "kind")
    return worktime.WorkCalendar(
        first=first,
        last=last,
        national={day: worktime.DayKind(kind) for day, kind in national},
        provisional_years=frozenset(provisional.values_list("year", flat=True)),
    )


def first_working_day_of_month(day: date) -> date:
    """The first national working day of ``day``'s month (e.g. 2026-10-08 after the National Day
    holiday; a make-up Saturday counts)."""
    month = Period.month_of(day)
    calendar = national_calendar(first=month.first, last=month.last)
    current = month.first
    while current <= month.last:
        if calendar.is_working_day(current):
            return current
        current += timedelta(days=1)
    raise ValueError(f"no working day in {month.first:%Y-%m}")  # pragma: no cover - no such month


# --- One report ------------------------------------------------------------------------------------


def scope_name(scope: Scope) -> str:
    return _("%(name)s (whole city)") % {"name": scope.hall.name} if scope.is_city else scope.hall.name


def period_name(period: Period) -> str:
    """``2026年9月`` for a calendar month, else ``2026-09-01 至 2026-09-15``."""
    if Period.month_of(period.first) == period:
        return _("%(year)s-%(month)s") % {"year": period.first.year, "month": f"{period.first.month:02d}"}
    return _("%(first)s to %(last)s") % {"first": period.first.isoformat(), "last": period.last.isoformat()}


def _suggestions(scope: Scope, period: Period) -> list[dict[str, Any]]:
    """The suggestions sent from the scope in the period, with the departments' answers. Texts
    pass through free_text (masked): a report goes to more readers than the suggestion did."""
    rows = (
        ImprovementSuggestion.objects.filter(
            hall_id__in=scope.hall_ids(), sent_at__gte=period.start, sent_at__lt=period.end
        )
        .select_related("department", "department__hall", "hall")
        .order_by("sent_at", "id")
    )
    return [
        {
            "number": s.number,
            "from": s.hall.name,
            "department": s.department.name,
            "department_hall": s.department.hall.name,
            "matter_key": s.matter_key,
            "finding": free_text(s.finding, revealed=False),
            "suggestion": free_text(s.suggestion, revealed=False),
            "status": s.status,
            "sent_at": local_minute(s.sent_at),
            "answer": free_text(s.answer, revealed=False),
            "answered_at": local_minute(s.answered_at) or None,
        }
        for s in rows
    ]


def report_content(*, scope: Scope, period: Period) -> dict[str, Any]:
    """What a report holds, as JSON: every figure of the period and of the previous one, the
    recurring problems and the suggestions with their answers."""
    previous = period.previous()
    return {
        "version": REPORT_VERSION,
        "scope": ReportScope.CITY if scope.is_city else ReportScope.HALL,
        "hall": {"id": scope.hall.pk, "code": scope.hall.code, "name": scope.hall.name},
        "scope_name": scope_name(scope),
        "period": {"first": period.first.isoformat(), "last": period.last.isoformat(), "name": period_name(period)},
        "previous_period": {
            "first": previous.first.isoformat(),
            "last": previous.last.isoformat(),
            "name": period_name(previous),
        },
        "figures": figures_for(scope=scope, period=period).as_dict(),
        "previous": figures_for(scope=scope, period=previous).as_dict(),
        "recurring": recurring_problems(scope=scope, period=period),
        "suggestions": _suggestions(scope, period),
    }


def report_recipients(scope: Scope) -> list[int]:
    """Who is told a report is ready: the hall's leads, or the city's supervisors."""
    kind = RoleKind.CITY_SUPERVISOR if scope.is_city else RoleKind.HALL_LEAD
    return sorted(
        set(
            RoleAssignment.objects.filter(kind=kind, hall_id=scope.hall.pk, user__is_active=True).values_list(
                "user_id", flat=True
            )
        )
    )


def report_make(*, scope: Scope, period: Period, actor: Any = None, refresh: bool = True) -> MonthlyReport:
    """Make the report of ``scope`` for ``period`` (rule art. 8): figures, previous period,
    recurring problems, suggestions and answers, stored as JSON with its PDF; the hall lead(s) or
    the city's supervisors are told. One report per (scope, hall, period): made again, it is
    updated (``refresh``) or left as it is; either way nobody is told twice."""
    kind = ReportScope.CITY if scope.is_city else ReportScope.HALL
    key = {"scope": kind, "hall_id": scope.hall.pk, "period_start": period.first, "period_end": period.last}
    if not refresh:
        existing = MonthlyReport.objects.filter(**key).first()
        if existing is not None:
            return existing
    content = report_content(scope=scope, period=period)
    pdf = report_pdf(content)
    now = timezone.now()
    with transaction.atomic():
        report = MonthlyReport.objects.select_for_update().filter(**key).first()
        if report is not None and not refresh:
            return report
        if report is None:
            try:
                with transaction.atomic():
                    report = MonthlyReport.objects.create(
                        **key, figures=content, pdf=pdf, made_at=now, made_by=actor if _is_user(actor) else None
                    )
            except IntegrityError:  # made at the same moment by another process
                report = MonthlyReport.objects.select_for_update().get(**key)
                if not refresh:
                    return report
                created = False
            else:
                created = True
        else:
            created = False
        if not created:
            report.figures = content
            report.pdf = pdf
            report.made_at = now
            report.made_by = actor if _is_user(actor) else None
            report.save(update_fields=["figures", "pdf", "made_at", "made_by"])
        if _is_user(actor):  # beat's reports are recorded by the report itself (made_by empty)
            audit_record(
                action="report.make" if created else "report.remake",
                actor=actor,
                hall=scope.hall,
                target=report,
                changes={"scope": kind, "first": period.first.isoformat(), "last": period.last.isoformat()},
            )
        # The notice's key is the report: made again, it tells nobody twice.
        notices.report_ready(
            report=report,
            scope_name=content["scope_name"],
            period=content["period"]["name"],
            user_ids=report_recipients(scope),
        )
    return report


def _is_user(actor: Any) -> bool:
    return actor is not None and getattr(actor, "is_authenticated", False)


# --- Beat: last month's reports on the first working day -----------------------------------------


@dataclass
class MonthlyRun:
    today: str
    due: bool
    period: dict[str, str] = field(default_factory=dict)
    made: int = 0
    existing: int = 0
    failed: list[str] = field(default_factory=list)


def monthly_scopes() -> list[Scope]:
    """Every active hall (its own window), then every active city (the city hall and its counties)."""
    halls = list(Hall.objects.filter(is_active=True).exclude(schema_name="public").order_by("region_code"))
    return [Scope.of_hall(h) for h in halls] + [Scope.of_city(h) for h in halls if h.level == HallLevel.CITY]


def monthly_reports_make(*, today: date, force: bool = False) -> MonthlyRun:
    """On the first working day of a month (or with ``force``), make the previous month's report
    of every active hall and city that does not have it yet. Run twice, the second run finds them
    made and tells nobody again; one failing scope does not stop the others."""
    run = MonthlyRun(today=today.isoformat(), due=force or first_working_day_of_month(today) == today)
    if not run.due:
        return run
    period = Period.month_of(today.replace(day=1) - timedelta(days=1))
    run.period = {"first": period.first.isoformat(), "last": period.last.isoformat()}
    kind_of = {False: ReportScope.HALL, True: ReportScope.CITY}
    made = set(
        MonthlyReport.objects.filter(period_start=period.first, period_end=period.last).values_list("scope", "hall_id")
    )
    for scope in monthly_scopes():
        if (kind_of[scope.is_city], scope.hall.pk) in made:
            run.existing += 1
            continue
        try:
            report_make(scope=scope, period=period, refresh=False)
        except Exception:
            logger.exception("monthly report of %s (%s) failed", scope.hall.code, kind_of[scope.is_city])
            run.failed.append(f"{kind_of[scope.is_city]}:{scope.hall.code}")
        else:
            run.made += 1
    return run


# --- Who sees which reports -----------------------------------------------------------------------


def report_list_for(*, scope: Scope) -> QuerySet[MonthlyReport]:
    """The reports a scope's readers see: a hall's own; for a city, the city's and those of its
    halls. The caller has checked that the user reads this scope (host and role)."""
    if scope.is_city:
        condition = Q(scope=ReportScope.CITY, hall_id=scope.hall.pk) | Q(
            scope=ReportScope.HALL, hall_id__in=scope.hall_ids()
        )
    else:
        condition = Q(scope=ReportScope.HALL, hall_id=scope.hall.pk)
    return (
        MonthlyReport.objects.filter(condition)
        .select_related("hall", "made_by")
        .defer("pdf", "figures")
        .order_by("-period_start", "-period_end", "scope", "hall__region_code")
    )


def report_get_for(*, scope: Scope, report_id: int) -> MonthlyReport:
    """A report the scope's readers may see; any other is 404, as if it did not exist."""
    report = report_list_for(scope=scope).defer(None).filter(pk=report_id).first()
    if report is None:
        raise Http404
    return report
