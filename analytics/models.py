"""Statistics (rule art. 8: 登记备案、统计分析、优化意见建议), in the public schema, without personal data.

The facts themselves are the coordination indexes written with every case change (``CaseIndex``,
``SlipIndex``) and the deadline rows (``Deadline``, with the working time each took). Here live what
the analysis produces: improvement suggestions to departments and their answers, and the monthly
reports.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from hallplatform import limits


class SuggestionStatus(models.TextChoices):
    SENT = "sent", _("Sent")
    ANSWERED = "answered", _("Answered")


class ImprovementSuggestion(models.Model):
    """An improvement suggestion (优化意见建议) to a department, drafted from a finding (a matter or a
    department that keeps failing), sent as a notice; the department's answer is recorded."""

    number = models.CharField(_("suggestion number"), max_length=30, unique=True)
    hall = models.ForeignKey(
        "tenants.Hall", verbose_name=_("from (hall or city)"), on_delete=models.PROTECT, related_name="+"
    )
    city = models.ForeignKey("tenants.Hall", verbose_name=_("city"), on_delete=models.PROTECT, related_name="+")
    department = models.ForeignKey(
        "tenants.Department", verbose_name=_("department"), on_delete=models.PROTECT, related_name="+"
    )
    matter_key = models.CharField(_("matter (grouped)"), max_length=200, blank=True)
    finding = models.TextField(_("finding"), max_length=limits.TEXT_MAX_LENGTH)
    suggestion = models.TextField(_("suggestion"), max_length=limits.TEXT_MAX_LENGTH)
    status = models.CharField(
        _("status"), max_length=10, choices=SuggestionStatus.choices, default=SuggestionStatus.SENT
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("sent by"), on_delete=models.PROTECT, related_name="+"
    )
    sent_at = models.DateTimeField(_("sent at"))
    answer = models.TextField(_("department's answer"), blank=True, max_length=limits.TEXT_MAX_LENGTH)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("answered by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("improvement suggestion")
        verbose_name_plural = _("improvement suggestions")
        ordering = ["-sent_at", "-id"]
        indexes = [
            models.Index(fields=["hall", "-sent_at"], name="suggestion_hall_recent"),
            models.Index(fields=["department", "status"], name="suggestion_department"),
        ]

    def __str__(self) -> str:
        return self.number


class ReportScope(models.TextChoices):
    HALL = "hall", _("Hall")
    CITY = "city", _("City")


class MonthlyReport(models.Model):
    """A report of a period for a hall or a city: the figures as they were when it was made (JSON),
    and its PDF. Made by Celery beat on the first working day of each month, or on demand."""

    scope = models.CharField(_("scope"), max_length=8, choices=ReportScope.choices)
    hall = models.ForeignKey("tenants.Hall", verbose_name=_("hall or city"), on_delete=models.PROTECT, related_name="+")
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to (inclusive)"))
    figures = models.JSONField(_("figures"), default=dict)
    pdf = models.BinaryField(_("PDF"), blank=True)
    made_at = models.DateTimeField(_("made at"))
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("made by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        ordering = ["-period_start", "scope", "hall_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["scope", "hall", "period_start", "period_end"], name="report_once_per_period"
            )
        ]

    def __str__(self) -> str:
        return f"{self.hall_id} {self.period_start}–{self.period_end}"
