"""Statutory deadlines as rows in the public schema (DESIGN.md sections 4.3 and 6).

A deadline belongs to something in a hall (a transfer slip, a feedback, a meeting resolution, a
supervision order), identified by kind and id only: no personal data. Beat sweeps the rows that
come due; nothing waits in the broker.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class DeadlineKind(models.TextChoices):
    SLIP_REPLY = "slip_reply", _("Department reply to a transfer slip")
    FEEDBACK = "feedback", _("Feedback to the person")
    MEETING_RESOLUTION = "meeting_resolution", _("Joint-meeting resolution")
    SUPERVISION_ORDER = "supervision_order", _("Supervision order")
    ONLINE_SCREENING = "online_screening", _("Screening of an online report")
    OTHER = "other", _("Other")


class DeadlineRule(models.TextChoices):
    WORKING_DAYS = "working_days", _("N working days")
    HALF_DAY = "half_day", _("Half a working day")
    WORKING_MINUTES = "working_minutes", _("Working time in minutes")


class DeadlineState(models.TextChoices):
    OPEN = "open", _("Open")
    PAUSED = "paused", _("Paused")
    MET = "met", _("Met")
    BREACHED = "breached", _("Breached")
    CANCELLED = "cancelled", _("Cancelled")


# A deadline still running: its clock counts (or is paused) and it may warn, breach or escalate.
LIVE_STATES = (DeadlineState.OPEN, DeadlineState.PAUSED, DeadlineState.BREACHED)


class EscalationLevel(models.TextChoices):
    HANDLER = "handler", _("Handler")
    DEPARTMENT_LEAD = "department_lead", _("Department lead")
    HALL_LEAD = "hall_lead", _("Hall lead")
    CITY_SUPERVISOR = "city_supervisor", _("City supervisor")


class Deadline(models.Model):
    hall = models.ForeignKey("tenants.Hall", verbose_name=_("hall"), on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=30, choices=DeadlineKind.choices)
    subject_type = models.CharField(_("belongs to (type)"), max_length=60)
    subject_id = models.CharField(_("belongs to (id)"), max_length=60)
    # How notices name the subject (a slip's or a case's number): no personal data.
    subject_number = models.CharField(_("belongs to (number)"), max_length=60, blank=True)
    owner_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handler"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    owner_department = models.ForeignKey(
        "tenants.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    rule = models.CharField(_("rule"), max_length=20, choices=DeadlineRule.choices)
    rule_amount = models.PositiveIntegerField(_("days or minutes"), default=0)

    start_at = models.DateTimeField(_("start"))
    due_at = models.DateTimeField(_("due"))
    warn_at = models.DateTimeField(_("warning at"))
    provisional = models.BooleanField(_("depends on a provisional calendar"), default=False)

    state = models.CharField(_("state"), max_length=12, choices=DeadlineState.choices, default=DeadlineState.OPEN)
    paused_at = models.DateTimeField(_("paused at"), null=True, blank=True)
    remaining_seconds = models.PositiveIntegerField(_("working time left when paused (s)"), null=True, blank=True)
    paused_seconds = models.PositiveIntegerField(_("working time spent paused (s)"), default=0)
    warned_at = models.DateTimeField(_("warned at"), null=True, blank=True)
    breached_at = models.DateTimeField(_("breached at"), null=True, blank=True)
    met_at = models.DateTimeField(_("met at"), null=True, blank=True)
    # Working time from start to met, pauses excluded: what statistics take medians of.
    worked_seconds = models.PositiveIntegerField(_("working time taken (s)"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(_("escalations sent"), default=0)
    next_escalation_at = models.DateTimeField(_("next escalation at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("deadline")
        verbose_name_plural = _("deadlines")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "subject_type", "subject_id", "hall"],
                condition=Q(state__in=[state.value for state in LIVE_STATES]),
                name="deadline_one_live_per_subject",
            ),
        ]
        indexes = [
            # The sweep reads only rows that are due: partial indexes keep its cost proportional to
            # them, not to the number of halls or of open deadlines.
            models.Index(
                fields=["warn_at"], condition=Q(state="open", warned_at__isnull=True), name="deadline_warn_due"
            ),
            models.Index(fields=["due_at"], condition=Q(state="open"), name="deadline_breach_due"),
            models.Index(fields=["next_escalation_at"], condition=Q(state="breached"), name="deadline_escalation_due"),
            models.Index(fields=["subject_type", "subject_id"], name="deadline_subject"),
            models.Index(fields=["hall", "state"], name="deadline_hall_state"),
            # The city portal's yellow, red and escalated figures per hall read the open and breached
            # rows only: an index-only scan of them (benchmarks/city_portal.py).
            models.Index(
                fields=["hall"],
                include=["id", "state", "warn_at", "due_at", "escalation_level"],
                condition=Q(state__in=["open", "breached"]),
                name="deadline_open_by_hall",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.subject_type}:{self.subject_id} → {self.due_at:%Y-%m-%d %H:%M}"

    @property
    def is_live(self) -> bool:
        return self.state in LIVE_STATES


DEFAULT_ESCALATION_CHAIN = [
    EscalationLevel.HANDLER.value,
    EscalationLevel.DEPARTMENT_LEAD.value,
    EscalationLevel.HALL_LEAD.value,
    EscalationLevel.CITY_SUPERVISOR.value,
]
# Working time between two steps of an escalation: half a standard working day by default.
DEFAULT_ESCALATION_STEP_MINUTES = 195


def _default_chain() -> list[str]:
    return list(DEFAULT_ESCALATION_CHAIN)


# Who is told at the yellow warning, unless a policy says otherwise: the handler.
DEFAULT_WARNING_LEVELS = [EscalationLevel.HANDLER.value]


def _default_warning_levels() -> list[str]:
    return list(DEFAULT_WARNING_LEVELS)


class PolicyScope(models.TextChoices):
    HALL = "hall", _("This hall")
    CITY = "city", _("The city's default")


class EscalationPolicy(models.Model):
    """How breached deadlines escalate: who is told at the yellow warning, the order of levels told
    from the breach on, and the working time between steps. A hall's own row (scope hall) wins over
    its city's default (a row of scope city on the city hall), which wins over the built-in chain
    handler → department lead → hall lead → city supervisor (hallplatform/deadlines/policies.py)."""

    hall = models.ForeignKey("tenants.Hall", verbose_name=_("hall"), on_delete=models.CASCADE, related_name="+")
    scope = models.CharField(_("applies to"), max_length=8, choices=PolicyScope.choices, default=PolicyScope.HALL)
    chain = models.JSONField(_("escalation chain"), default=_default_chain)
    step_minutes = models.PositiveIntegerField(
        _("working minutes between steps"), default=DEFAULT_ESCALATION_STEP_MINUTES
    )
    warning_levels = models.JSONField(_("told at the yellow warning"), default=_default_warning_levels)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("escalation policy")
        verbose_name_plural = _("escalation policies")
        constraints = [
            models.UniqueConstraint(fields=["hall", "scope"], name="escalation_policy_once_per_hall_and_scope")
        ]

    def __str__(self) -> str:
        return " → ".join(self.chain)
