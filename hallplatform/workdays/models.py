"""Working days (public schema): the national holiday calendar, and each hall's office hours,
closures and deadline policy. The arithmetic on them lives in the pure module ``worktime``.

National data is per year: a CalendarYear says where the year's data came from, and its
CalendarDay rows are the dates that differ from the plain week — holidays (放假) and make-up
working days (调休上班). Weekends are not stored.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class DaySource(models.TextChoices):
    NOTICE = "notice", _("State Council notice (国务院办公厅通知)")
    PACKAGE = "package", _("chinesecalendar package seed")
    PROVISIONAL = "provisional", _("Provisional (computed from the statutory rule)")
    MANUAL = "manual", _("Manual correction")


class YearStatus(models.TextChoices):
    OFFICIAL = "official", _("Official (正式)")
    PROVISIONAL = "provisional", _("Provisional (暂定)")


class CalendarDayKind(models.TextChoices):
    """Values match worktime.DayKind."""

    HOLIDAY = "holiday", _("Holiday (放假)")
    MAKEUP_WORKDAY = "makeup_workday", _("Make-up working day (调休上班)")


class CalendarYear(models.Model):
    """One year of the national calendar: official (from the notice, or the package that
    transcribes it) or provisional (computed until the notice is imported)."""

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    status = models.CharField(_("status"), max_length=12, choices=YearStatus.choices)
    source = models.CharField(_("source"), max_length=12, choices=DaySource.choices)
    notice_ref = models.CharField(_("notice reference"), max_length=100, blank=True)
    imported_at = models.DateTimeField(_("imported at"))
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("imported by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("calendar year")
        verbose_name_plural = _("calendar years")
        ordering = ["-year"]
        constraints = [
            models.CheckConstraint(
                name="calendar_year_status_matches_source",
                condition=(
                    Q(status="official", source__in=["notice", "package"])
                    | Q(status="provisional", source="provisional")
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} ({self.get_status_display()})"

    @property
    def is_provisional(self) -> bool:
        return self.status == YearStatus.PROVISIONAL


class CalendarDay(models.Model):
    """A date that is a national holiday or a make-up working day, with the holiday's name.

    ``calendar_year`` is the year whose notice defines the date: usually the date's own year, but
    a notice may start the 元旦 holiday in the December before.
    """

    calendar_year = models.ForeignKey(
        CalendarYear, verbose_name=_("calendar year"), on_delete=models.CASCADE, related_name="days"
    )
    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=CalendarDayKind.choices)
    name = models.CharField(_("holiday"), max_length=100)
    source = models.CharField(_("source"), max_length=12, choices=DaySource.choices)

    class Meta:
        verbose_name = _("national calendar day")
        verbose_name_plural = _("national calendar days")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date.isoformat()} {self.name} {self.get_kind_display()}"


class OfficeHoursSeason(models.Model):
    """A hall's weekly office hours, valid from ``effective_from`` to ``effective_to`` (inclusive;
    empty means open-ended). A season with neither date is the hall's all-year base; without one
    the platform default (08:30–12:00 and 14:30–17:30) applies. ``hours`` is a schedule as in
    ``hallplatform.workdays.hours``."""

    hall = models.ForeignKey(
        "tenants.Hall", verbose_name=_("hall"), on_delete=models.CASCADE, related_name="office_hours_seasons"
    )
    effective_from = models.DateField(_("effective from"), null=True, blank=True)
    effective_to = models.DateField(_("effective to"), null=True, blank=True)
    hours = models.JSONField(_("office hours"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("office hours")
        verbose_name_plural = _("office hours")
        ordering = ["hall", "effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["hall"],
                condition=Q(effective_from__isnull=True, effective_to__isnull=True),
                name="office_hours_one_base_per_hall",
            ),
            models.CheckConstraint(
                name="office_hours_season_in_order",
                condition=Q(effective_from__isnull=True)
                | Q(effective_to__isnull=True)
                | Q(effective_from__lte=models.F("effective_to")),
            ),
        ]

    def __str__(self) -> str:
        if self.is_base:
            return str(_("All year"))
        first = self.effective_from.isoformat() if self.effective_from else "…"
        last = self.effective_to.isoformat() if self.effective_to else "…"
        return f"{first} – {last}"

    @property
    def is_base(self) -> bool:
        return self.effective_from is None and self.effective_to is None


class HallClosure(models.Model):
    """A day a hall is closed although it would be a working day (e.g. a typhoon day)."""

    hall = models.ForeignKey("tenants.Hall", verbose_name=_("hall"), on_delete=models.CASCADE, related_name="closures")
    date = models.DateField(_("date"))
    reason = models.CharField(_("reason"), max_length=200)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("closure")
        verbose_name_plural = _("closures")
        ordering = ["hall", "date"]
        constraints = [models.UniqueConstraint(fields=["hall", "date"], name="closure_one_per_hall_and_date")]

    def __str__(self) -> str:
        return f"{self.date.isoformat()} {self.reason}"


class HallWorkPolicy(models.Model):
    """How a hall counts its deadlines (DESIGN.md section 6). Without a row the defaults apply:
    the day of receipt is not counted (民法典 art. 201), half a working day is half of a standard
    day's office minutes, and the yellow warning comes at 75% of the working time."""

    hall = models.OneToOneField(
        "tenants.Hall", verbose_name=_("hall"), on_delete=models.CASCADE, related_name="work_policy"
    )
    count_receipt_day = models.BooleanField(_("count the day of receipt"), default=False)
    half_day_minutes = models.PositiveSmallIntegerField(
        _("minutes in half a working day"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(720)],
        help_text=_("Empty: half of a standard day's office minutes."),
    )
    warning_share = models.FloatField(
        _("share of the working time used before the yellow warning"),
        default=0.75,
        null=True,
        blank=True,
        validators=[MinValueValidator(0.01), MaxValueValidator(0.99)],
        help_text=_("Empty: the city's default (CityWorkPolicy), else 0.75."),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("deadline policy")
        verbose_name_plural = _("deadline policies")
        constraints = [
            models.CheckConstraint(
                name="work_policy_warning_share_between_0_and_1",
                condition=Q(warning_share__gt=0, warning_share__lt=1),
            ),
            models.CheckConstraint(
                name="work_policy_half_day_minutes_positive",
                condition=Q(half_day_minutes__isnull=True) | Q(half_day_minutes__gte=1, half_day_minutes__lte=720),
            ),
        ]

    def __str__(self) -> str:
        return str(self.hall)


class CityWorkPolicy(models.Model):
    """A city's defaults for its halls' deadlines, set by its city supervisor: the share of the working
    time used before the yellow warning, for every hall of the city without its own."""

    city = models.OneToOneField(
        "tenants.Hall", verbose_name=_("city"), on_delete=models.CASCADE, related_name="city_work_policy"
    )
    warning_share = models.FloatField(
        _("share of the working time used before the yellow warning"),
        default=0.75,
        validators=[MinValueValidator(0.01), MaxValueValidator(0.99)],
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("city deadline policy")
        verbose_name_plural = _("city deadline policies")
        constraints = [
            models.CheckConstraint(
                name="city_work_policy_warning_share_between_0_and_1",
                condition=Q(warning_share__gt=0, warning_share__lt=1),
            ),
        ]

    def __str__(self) -> str:
        return str(self.city)
