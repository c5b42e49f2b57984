"""The one write path for the working calendar: national years and days, each hall's office
hours, closures and deadline policy (DESIGN.md section 6).

Every service runs in one transaction, appends an audit event, and announces the dates it changed
with ``on_calendar_changed`` so that open deadlines are recomputed after commit. Refusals raise
ValidationError naming the field (NoticeFormatError naming the line and field of an imported file)
and change nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import chinese_calendar
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from hallplatform.audit.services import audit_record
from hallplatform.workdays.hours import Span, schedule_errors, schedule_to_json
from hallplatform.workdays.models import (
    CalendarDay,
    CalendarDayKind,
    CalendarYear,
    CityWorkPolicy,
    DaySource,
    HallClosure,
    HallWorkPolicy,
    OfficeHoursSeason,
    YearStatus,
)
from hallplatform.workdays.notice import parse_notice
from hallplatform.workdays.provisional import provisional_holidays
from hallplatform.workdays.signals import OPEN_END, OPEN_START, on_calendar_changed
from tenants.models import Hall

# chinesecalendar names its holidays in English; the notices use these names.
PACKAGE_HOLIDAY_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "Mid-autumn Festival": "中秋节",
    "National Day": "国庆节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}


@dataclass(frozen=True)
class DayRow:
    """One national calendar day as a year is written: date, kind, holiday name."""

    day: date
    kind: str
    name: str


def _day_text(row: DayRow | CalendarDay) -> str:
    day = row.day if isinstance(row, DayRow) else row.date
    return f"{day.isoformat()} {row.kind} {row.name}"


# --- National calendar -------------------------------------------------------------------------


def _calendar_year_replace(
    *,
    year: int,
    source: str,
    notice_ref: str,
    rows: Sequence[DayRow],
    actor: Any,
    action: str,
) -> CalendarYear:
    """Replace the days of ``year`` (and any other row on the dates ``rows`` name) by ``rows``."""
    status = YearStatus.PROVISIONAL if source == DaySource.PROVISIONAL else YearStatus.OFFICIAL
    now = timezone.now()
    calendar_year, created = CalendarYear.objects.select_for_update().get_or_create(
        year=year,
        defaults={"status": status, "source": source, "notice_ref": notice_ref, "imported_at": now},
    )
    dates = [row.day for row in rows]
    replaced = list(CalendarDay.objects.select_for_update().filter(Q(calendar_year=calendar_year) | Q(date__in=dates)))
    before = {_day_text(day) for day in replaced}
    after = {_day_text(row) for row in rows}
    CalendarDay.objects.filter(pk__in=[day.pk for day in replaced]).delete()
    CalendarDay.objects.bulk_create(
        CalendarDay(calendar_year=calendar_year, date=row.day, kind=row.kind, name=row.name, source=source)
        for row in rows
    )
    previous = {"status": calendar_year.status, "source": calendar_year.source, "notice": calendar_year.notice_ref}
    calendar_year.status = status
    calendar_year.source = source
    calendar_year.notice_ref = notice_ref
    calendar_year.imported_at = now
    calendar_year.imported_by = actor if getattr(actor, "is_authenticated", False) else None
    calendar_year.save()
    audit_record(
        action=action,
        actor=actor,
        target=calendar_year,
        changes={
            "year": year,
            "source": source,
            "notice": notice_ref,
            "before": None if created else previous,
            "added": sorted(after - before),
            "removed": sorted(before - after),
        },
    )
    touched = [*dates, *(day.date for day in replaced)]
    on_calendar_changed(hall_id=None, first=min([date(year, 1, 1), *touched]), last=max([date(year, 12, 31), *touched]))
    return calendar_year


@transaction.atomic
def calendar_import_year(*, text: str, actor: Any = None) -> CalendarYear:
    """Import one year of the national calendar from the transcription of the State Council notice
    (docs/calendar.md). The year's rows are replaced as a whole and the year becomes official.

    A malformed file raises NoticeFormatError (line and field) before anything is written."""
    notice = parse_notice(text)
    return _calendar_year_replace(
        year=notice.year,
        source=DaySource.NOTICE,
        notice_ref=notice.reference,
        rows=[DayRow(day=d.day, kind=str(d.kind), name=d.name) for d in notice.days],
        actor=actor,
        action="calendar.year_import",
    )


def package_calendar() -> dict[int, list[DayRow]]:
    """The national calendar as the installed chinesecalendar package has it, by notice year.

    December days of the 元旦 holiday belong to the next year's notice (e.g. 2018-12-29..31 are in
    the notice for 2019), so they are filed under that year.
    """
    years: dict[int, list[DayRow]] = {}
    sources = (
        (chinese_calendar.holidays, CalendarDayKind.HOLIDAY),
        (chinese_calendar.workdays, CalendarDayKind.MAKEUP_WORKDAY),
    )
    for days, kind in sources:
        for day, english in days.items():
            name = PACKAGE_HOLIDAY_NAMES.get(english, english)
            year = day.year + 1 if day.month == 12 and english == "New Year's Day" else day.year
            years.setdefault(year, []).append(DayRow(day=day, kind=str(kind), name=name))
    return {year: sorted(rows, key=lambda row: row.day) for year, rows in sorted(years.items())}


@transaction.atomic
def calendar_seed_from_package(*, actor: Any = None, refresh: bool = False) -> list[int]:
    """Seed the national calendar for every year the chinesecalendar package covers (2004–2026 at
    1.11.0). Idempotent: a year already official is left alone (with ``refresh``, a package year
    whose data differ from the installed package is replaced); a provisional year is replaced.
    A year imported from a notice is never overwritten. Returns the years written."""
    package = package_calendar()
    reference = f"chinesecalendar {chinese_calendar.__version__}"
    existing = {year.year: year for year in CalendarYear.objects.filter(year__in=package)}
    stored: dict[int, set[str]] = {}
    if refresh:
        package_years = [year.pk for year in existing.values() if year.source == DaySource.PACKAGE]
        for day in CalendarDay.objects.filter(calendar_year_id__in=package_years).select_related("calendar_year"):
            stored.setdefault(day.calendar_year.year, set()).add(f"{_day_text(day)} {day.source}")
    written = []
    for year, rows in package.items():
        current = existing.get(year)
        if current is not None and not current.is_provisional:
            wanted = {f"{_day_text(row)} {DaySource.PACKAGE}" for row in rows}
            if not (refresh and current.source == DaySource.PACKAGE and stored.get(year, set()) != wanted):
                continue
        _calendar_year_replace(
            year=year,
            source=DaySource.PACKAGE,
            notice_ref=reference,
            rows=rows,
            actor=actor,
            action="calendar.year_seed",
        )
        written.append(year)
    return written


@transaction.atomic
def calendar_provisional_ensure(*, years: Iterable[int]) -> list[int]:
    """Materialise the provisional calendar (provisional.py) of every year in ``years`` that has no
    data yet, so that a year not yet published never breaks a computation. Idempotent and safe
    against a concurrent call (the year's unique row decides who writes). Returns the years written."""
    wanted = sorted(set(years))
    known = set(CalendarYear.objects.filter(year__in=wanted).values_list("year", flat=True))
    written = []
    for year in wanted:
        if year in known:
            continue
        calendar_year, created = CalendarYear.objects.get_or_create(
            year=year,
            defaults={
                "status": YearStatus.PROVISIONAL,
                "source": DaySource.PROVISIONAL,
                "notice_ref": "",
                "imported_at": timezone.now(),
            },
        )
        if not created:
            continue
        holidays = provisional_holidays(year)
        CalendarDay.objects.bulk_create(
            CalendarDay(
                calendar_year=calendar_year,
                date=holiday.day,
                kind=CalendarDayKind.HOLIDAY,
                name=holiday.name,
                source=DaySource.PROVISIONAL,
            )
            for holiday in holidays
        )
        audit_record(
            action="calendar.year_provisional",
            target=calendar_year,
            changes={"year": year, "added": [f"{h.day.isoformat()} holiday {h.name}" for h in holidays]},
        )
        written.append(year)
    return written


def calendar_day_errors(*, day: date, kind: str, name: str) -> dict[str, list[str]]:
    """What is wrong with a manual national calendar day, by field (empty: nothing)."""
    name = (name or "").strip()
    errors: dict[str, list[str]] = {}
    if kind not in CalendarDayKind.values:
        errors["kind"] = [_("Choose holiday or make-up working day.")]
    elif kind == CalendarDayKind.MAKEUP_WORKDAY and day.weekday() < 5:
        errors["kind"] = [
            _("A make-up working day is a Saturday or Sunday; %(day)s is a weekday.") % {"day": day.isoformat()}
        ]
    if not name:
        errors["name"] = [_("Name the holiday.")]
    elif len(name) > CalendarDay._meta.get_field("name").max_length:  # type: ignore[operator]
        errors["name"] = [_("The name is too long.")]
    return errors


@transaction.atomic
def calendar_day_set(*, day: date, kind: str, name: str, actor: Any = None) -> CalendarDay:
    """Correct one national calendar day by hand (source: manual), e.g. an extra day off announced
    after the notice. The year keeps its status; a year without data gets its provisional calendar
    first."""
    errors = calendar_day_errors(day=day, kind=kind, name=name)
    if errors:
        raise ValidationError(errors)
    name = name.strip()
    calendar_provisional_ensure(years=[day.year])
    row = CalendarDay.objects.select_for_update().filter(date=day).first()
    before = _day_text(row) if row is not None else None
    if row is None:
        row = CalendarDay(calendar_year=CalendarYear.objects.get(year=day.year), date=day)
    row.kind, row.name, row.source = kind, name, DaySource.MANUAL
    row.save()
    audit_record(
        action="calendar.day_set", actor=actor, target=row, changes={"before": before, "after": _day_text(row)}
    )
    on_calendar_changed(hall_id=None, first=day, last=day)
    return row


@transaction.atomic
def calendar_day_remove(*, day: CalendarDay, actor: Any = None) -> None:
    """Remove one national calendar day by hand: the date becomes a plain weekday or weekend day."""
    text, target_date = _day_text(day), day.date
    audit_record(action="calendar.day_remove", actor=actor, target=day, changes={"before": text})
    day.delete()
    on_calendar_changed(hall_id=None, first=target_date, last=target_date)


# --- A hall's office hours, closures and policy -------------------------------------------------


def _lock_hall(hall: Hall) -> None:
    """Serialise changes to one hall's calendar settings (checks span several rows)."""
    Hall.objects.select_for_update().filter(pk=hall.pk).values_list("pk", flat=True).first()


def _season_text(season: OfficeHoursSeason) -> dict[str, Any]:
    return {
        "effective_from": season.effective_from.isoformat() if season.effective_from else None,
        "effective_to": season.effective_to.isoformat() if season.effective_to else None,
        "hours": season.hours,
    }


def office_hours_errors(
    *,
    hall: Hall,
    schedule: Mapping[str, Sequence[Span]],
    effective_from: date | None = None,
    effective_to: date | None = None,
    season: OfficeHoursSeason | None = None,
) -> dict[str, list[str]]:
    """What is wrong with setting these office hours, by field (empty: nothing). See office_hours_set."""
    errors = schedule_errors(schedule)
    if effective_from and effective_to and effective_to < effective_from:
        errors.setdefault("effective_to", []).append(_("The end date is before the start date."))
    others = OfficeHoursSeason.objects.filter(hall=hall)
    if season is not None:
        if season.hall_id != hall.pk:
            errors.setdefault("season", []).append(_("These office hours belong to another hall."))
        others = others.exclude(pk=season.pk)
    base = Q(effective_from__isnull=True, effective_to__isnull=True)
    if effective_from is None and effective_to is None:
        if season is not None and others.filter(base).exists():
            errors.setdefault("effective_from", []).append(_("This hall already has all-year office hours."))
    elif others.exclude(base).filter(effective_from=effective_from).exists():
        errors.setdefault("effective_from", []).append(
            _("Another season of this hall starts on the same day; change that one instead.")
        )
    return errors


@transaction.atomic
def office_hours_set(
    *,
    hall: Hall,
    schedule: Mapping[str, Sequence[Span]],
    effective_from: date | None = None,
    effective_to: date | None = None,
    season: OfficeHoursSeason | None = None,
    actor: Any = None,
) -> OfficeHoursSeason:
    """Set a hall's office hours (DESIGN.md section 6): its all-year hours (no dates; replaces the
    current ones) or a seasonal variant (dates); ``season`` changes an existing one. On a day several
    seasons cover, the one that started last applies.

    Refused, naming the field: a working weekday (Monday–Friday) or the make-up working days without
    hours, an interval that does not end after it starts, overlapping intervals, dates out of order,
    a second season starting on the same day as another."""
    _lock_hall(hall)
    errors = office_hours_errors(
        hall=hall, schedule=schedule, effective_from=effective_from, effective_to=effective_to, season=season
    )
    if errors:
        raise ValidationError(errors)
    if season is None and effective_from is None and effective_to is None:
        season = OfficeHoursSeason.objects.filter(
            hall=hall, effective_from__isnull=True, effective_to__isnull=True
        ).first()
    hours = schedule_to_json(schedule)
    if season is not None and (season.effective_from, season.effective_to, season.hours) == (
        effective_from,
        effective_to,
        hours,
    ):
        return season  # nothing changes: no audit event, no recomputation
    before = _season_text(season) if season is not None else None
    bounds_from = [effective_from] if season is None else [effective_from, season.effective_from]
    bounds_to = [effective_to] if season is None else [effective_to, season.effective_to]
    if season is None:
        season = OfficeHoursSeason(hall=hall)
    season.effective_from = effective_from
    season.effective_to = effective_to
    season.hours = hours
    season.updated_by = actor if getattr(actor, "is_authenticated", False) else None
    season.save()
    audit_record(
        action="office_hours.set",
        actor=actor,
        hall=hall,
        target=season,
        changes={"before": before, "after": _season_text(season)},
    )
    on_calendar_changed(
        hall_id=hall.pk,
        first=min((d or OPEN_START) for d in bounds_from),
        last=max((d or OPEN_END) for d in bounds_to),
    )
    return season


@transaction.atomic
def office_hours_remove(*, season: OfficeHoursSeason, actor: Any = None) -> None:
    """Remove a seasonal variant of a hall's office hours (or its all-year hours: the platform
    default applies again)."""
    hall = season.hall
    _lock_hall(hall)
    before = _season_text(season)
    audit_record(action="office_hours.remove", actor=actor, hall=hall, target=season, changes={"before": before})
    first, last = season.effective_from or OPEN_START, season.effective_to or OPEN_END
    season.delete()
    on_calendar_changed(hall_id=hall.pk, first=first, last=last)


def closure_errors(*, hall: Hall, day: date, reason: str) -> dict[str, list[str]]:
    """What is wrong with closing ``hall`` on ``day``, by field (empty: nothing)."""
    reason = (reason or "").strip()
    errors: dict[str, list[str]] = {}
    if not reason:
        errors["reason"] = [_("Give the reason for the closure.")]
    elif len(reason) > HallClosure._meta.get_field("reason").max_length:  # type: ignore[operator]
        errors["reason"] = [_("The reason is too long.")]
    if HallClosure.objects.filter(hall=hall, date=day).exists():
        errors["date"] = [_("The hall is already closed on %(day)s.") % {"day": day.isoformat()}]
    return errors


@transaction.atomic
def closure_add(*, hall: Hall, day: date, reason: str, actor: Any = None) -> HallClosure:
    """Close a hall for a day (e.g. a typhoon): the day stops being a working day for its deadlines."""
    _lock_hall(hall)
    errors = closure_errors(hall=hall, day=day, reason=reason)
    if errors:
        raise ValidationError(errors)
    reason = reason.strip()
    closure = HallClosure.objects.create(
        hall=hall, date=day, reason=reason, created_by=actor if getattr(actor, "is_authenticated", False) else None
    )
    audit_record(
        action="closure.add",
        actor=actor,
        hall=hall,
        target=closure,
        changes={"date": day.isoformat(), "reason": reason},
    )
    on_calendar_changed(hall_id=hall.pk, first=day, last=day)
    return closure


@transaction.atomic
def closure_remove(*, closure: HallClosure, actor: Any = None) -> None:
    """Reopen a day a hall had closed."""
    hall, day = closure.hall, closure.date
    audit_record(
        action="closure.remove",
        actor=actor,
        hall=hall,
        target=closure,
        changes={"date": day.isoformat(), "reason": closure.reason},
    )
    closure.delete()
    on_calendar_changed(hall_id=hall.pk, first=day, last=day)


def work_policy_errors(*, half_day_minutes: int | None, warning_share: float | None) -> dict[str, list[str]]:
    """What is wrong with a deadline policy, by field (empty: nothing). An empty warning share is
    the city's default."""
    errors: dict[str, list[str]] = {}
    if half_day_minutes is not None and not 1 <= half_day_minutes <= 720:
        errors["half_day_minutes"] = [_("Give between 1 and 720 minutes, or leave it empty.")]
    if warning_share is not None and not 0 < warning_share < 1:
        errors["warning_share"] = [_("Give a share between 0 and 1, e.g. 0.75.")]
    return errors


@transaction.atomic
def work_policy_set(
    *,
    hall: Hall,
    count_receipt_day: bool,
    half_day_minutes: int | None,
    warning_share: float | None,
    actor: Any = None,
) -> HallWorkPolicy:
    """Set how a hall counts its deadlines (DESIGN.md section 6: hall policy, with the defaults of
    民法典 art. 201 and half of a standard day)."""
    errors = work_policy_errors(half_day_minutes=half_day_minutes, warning_share=warning_share)
    if errors:
        raise ValidationError(errors)
    policy = HallWorkPolicy.objects.select_for_update().filter(hall=hall).first()
    before = (
        None
        if policy is None
        else {
            "count_receipt_day": policy.count_receipt_day,
            "half_day_minutes": policy.half_day_minutes,
            "warning_share": policy.warning_share,
        }
    )
    if policy is None:
        policy = HallWorkPolicy(hall=hall)
    policy.count_receipt_day = count_receipt_day
    policy.half_day_minutes = half_day_minutes
    policy.warning_share = warning_share
    policy.updated_by = actor if getattr(actor, "is_authenticated", False) else None
    policy.save()
    audit_record(
        action="work_policy.set",
        actor=actor,
        hall=hall,
        target=policy,
        changes={
            "before": before,
            "after": {
                "count_receipt_day": count_receipt_day,
                "half_day_minutes": half_day_minutes,
                "warning_share": warning_share,
            },
        },
    )
    on_calendar_changed(hall_id=hall.pk, first=OPEN_START, last=OPEN_END)
    return policy


def warning_share_errors(warning_share: float | None, *, required: bool = False) -> dict[str, list[str]]:
    """What is wrong with a warning share, by field (empty: nothing; None: the city's default)."""
    error = {"warning_share": [_("Warning share: give a share between 0.01 and 0.99, e.g. 0.75.")]}
    if warning_share is None:
        return error if required else {}
    return error if not 0.01 <= warning_share <= 0.99 else {}


@transaction.atomic
def warning_share_set(*, hall: Hall, warning_share: float | None, actor: Any = None) -> bool:
    """The hall lead sets the share of a deadline's working time after which the yellow warning
    (临期) comes, for their hall; None: the city's default. Open deadlines are recomputed; audited.
    Returns whether anything changed."""
    errors = warning_share_errors(warning_share)
    if errors:
        raise ValidationError(errors)
    policy = HallWorkPolicy.objects.select_for_update().filter(hall=hall).first()
    before = policy.warning_share if policy is not None else None
    if before == warning_share:
        return False
    if policy is None:
        policy = HallWorkPolicy(hall=hall)
    policy.warning_share = warning_share
    policy.updated_by = actor if getattr(actor, "is_authenticated", False) else None
    policy.save()
    audit_record(
        action="work_policy.warning_share",
        actor=actor,
        hall=hall,
        target=policy,
        changes={"warning_share": [before, warning_share]},
    )
    on_calendar_changed(hall_id=hall.pk, first=OPEN_START, last=OPEN_END)
    return True


@transaction.atomic
def city_warning_share_set(*, city: Hall, warning_share: float, actor: Any = None) -> bool:
    """The city supervisor sets the city's default warning share, used by each hall of the city
    without its own. The open deadlines of those halls are recomputed; audited. Whether it changed."""
    errors = warning_share_errors(warning_share, required=True)
    if errors:
        raise ValidationError(errors)
    policy = CityWorkPolicy.objects.select_for_update().filter(city=city).first()
    before = policy.warning_share if policy is not None else None
    if before == warning_share:
        return False
    if policy is None:
        policy = CityWorkPolicy(city=city)
    policy.warning_share = warning_share
    policy.updated_by = actor if getattr(actor, "is_authenticated", False) else None
    policy.save()
    audit_record(
        action="city_work_policy.warning_share",
        actor=actor,
        hall=city,
        target=policy,
        changes={"warning_share": [before, warning_share]},
    )
    for hall_id in Hall.objects.filter(Q(pk=city.pk) | Q(parent_id=city.pk)).values_list("pk", flat=True):
        on_calendar_changed(hall_id=hall_id, first=OPEN_START, last=OPEN_END)
    return True
