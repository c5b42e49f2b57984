"""Coordination rows in the public schema (DESIGN.md 4.1–4.2): joint meetings and supervision orders,
without personal data. The case and slip index rows they refer to belong to ``hallindex``."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from hallindex.models import SlipIndex
from hallplatform import limits

# --- Joint meetings (联席会议, rule art. 5(2), 9) ---------------------------------------------------------


class MeetingLevel(models.TextChoices):
    HALL = "hall", _("Hall meeting")
    CITY = "city", _("City meeting")


class MeetingStatus(models.TextChoices):
    CONVENED = "convened", _("Convened")
    HELD = "held", _("Held")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


class InvitationResponse(models.TextChoices):
    PENDING = "pending", _("No answer yet")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")


class ResolutionStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class JointMeeting(models.Model):
    """A joint meeting: convened by a hall lead for their hall, or by a city supervisor across the
    halls and city-level departments of the city. No personal data: the cases are linked by number,
    and their content stays in their halls."""

    number = models.CharField(_("meeting number"), max_length=30, unique=True)
    level = models.CharField(_("level"), max_length=8, choices=MeetingLevel.choices)
    hall = models.ForeignKey(
        "tenants.Hall", verbose_name=_("convening hall"), on_delete=models.PROTECT, related_name="+"
    )
    city = models.ForeignKey("tenants.Hall", verbose_name=_("city"), on_delete=models.PROTECT, related_name="+")
    subject = models.CharField(_("subject"), max_length=200)
    lead_department = models.ForeignKey(
        "tenants.Department",
        verbose_name=_("lead unit (牵头单位)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    lead_is_hall = models.BooleanField(_("the convening hall leads"), default=False)
    starts_at = models.DateTimeField(_("time"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    online_link = models.URLField(_("online link"), blank=True)
    agenda = models.TextField(_("agenda"), max_length=limits.TEXT_MAX_LENGTH)
    minutes = models.TextField(_("minutes (纪要)"), blank=True, max_length=limits.TEXT_MAX_LENGTH)
    outcome = models.TextField(_("outcome"), blank=True, max_length=limits.TEXT_MAX_LENGTH)
    status = models.CharField(_("status"), max_length=12, choices=MeetingStatus.choices, default=MeetingStatus.CONVENED)
    convened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("convened by"), on_delete=models.PROTECT, related_name="+"
    )
    convened_at = models.DateTimeField(_("convened at"))
    held_at = models.DateTimeField(_("minutes recorded at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("joint meeting")
        verbose_name_plural = _("joint meetings")
        ordering = ["-starts_at", "-id"]
        indexes = [models.Index(fields=["city", "-starts_at"], name="meeting_city_recent")]

    def __str__(self) -> str:
        return f"{self.number} {self.subject}"


class MeetingCase(models.Model):
    """A case a meeting is about: its hall, id and NO there, the matter, and a summary without
    personal data that participants from other halls see."""

    meeting = models.ForeignKey(JointMeeting, on_delete=models.CASCADE, related_name="cases")
    hall = models.ForeignKey("tenants.Hall", verbose_name=_("hall"), on_delete=models.PROTECT, related_name="+")
    case_id = models.PositiveIntegerField(_("case id in the hall"))
    case_number = models.CharField(_("NO"), max_length=24)
    matter_name = models.CharField(_("matter"), max_length=200)
    summary = models.TextField(_("summary for the participants"), blank=True, max_length=limits.NOTE_MAX_LENGTH)

    class Meta:
        verbose_name = _("case of a meeting")
        verbose_name_plural = _("cases of meetings")
        constraints = [models.UniqueConstraint(fields=["meeting", "hall", "case_id"], name="meetingcase_once")]
        indexes = [models.Index(fields=["hall", "case_id"], name="meetingcase_case")]

    def __str__(self) -> str:
        return self.case_number


class MeetingInvitation(models.Model):
    """An invited unit: a department (county or city level) or a hall (its window and lead)."""

    meeting = models.ForeignKey(JointMeeting, on_delete=models.CASCADE, related_name="invitations")
    department = models.ForeignKey(
        "tenants.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    hall = models.ForeignKey(
        "tenants.Hall", verbose_name=_("hall"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    response = models.CharField(
        _("answer"), max_length=10, choices=InvitationResponse.choices, default=InvitationResponse.PENDING
    )
    response_note = models.CharField(_("note"), max_length=200, blank=True)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("answered by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    responded_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        constraints = [
            models.CheckConstraint(
                name="invitation_department_or_hall",
                condition=(
                    models.Q(department__isnull=False, hall__isnull=True)
                    | models.Q(department__isnull=True, hall__isnull=False)
                ),
            ),
            models.UniqueConstraint(fields=["meeting", "department"], name="invitation_department_once"),
            models.UniqueConstraint(fields=["meeting", "hall"], name="invitation_hall_once"),
        ]

    def __str__(self) -> str:
        return f"{self.meeting_id}: {self.department_id or self.hall_id}"


class MeetingResolution(models.Model):
    """A resolution (决议): which department must do what, within how many working days; its
    deadline is tracked by the deadline engine (warnings, breach, escalation)."""

    meeting = models.ForeignKey(JointMeeting, on_delete=models.CASCADE, related_name="resolutions")
    number = models.CharField(_("resolution number"), max_length=34, unique=True)
    owner_department = models.ForeignKey(
        "tenants.Department", verbose_name=_("owner department"), on_delete=models.PROTECT, related_name="+"
    )
    action = models.TextField(_("what must be done"), max_length=limits.NOTE_MAX_LENGTH)
    days = models.PositiveSmallIntegerField(_("working days"))
    deadline = models.ForeignKey(
        "deadlines.Deadline",
        verbose_name=_("deadline"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=ResolutionStatus.choices, default=ResolutionStatus.OPEN
    )
    report = models.TextField(_("what was done"), blank=True, max_length=limits.TEXT_MAX_LENGTH)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("done by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("meeting resolution")
        verbose_name_plural = _("meeting resolutions")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["owner_department", "status"], name="resolution_inbox")]

    def __str__(self) -> str:
        return self.number


# --- Supervision orders (督办单, rule art. 7 不给办, art. 9) ------------------------------------------------


class OrderStatus(models.TextChoices):
    ISSUED = "issued", _("Issued")
    RESPONDED = "responded", _("Responded")
    CLOSED = "closed", _("Closed (response accepted)")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class SupervisionOrder(models.Model):
    """A supervision order: a city supervisor (or a hall lead within the hall) requires a hall or a
    department to act on a case or a slip within N working days; it closes when the issuer accepts
    the response. Overdue orders escalate through the deadline engine."""

    number = models.CharField(_("order number"), max_length=30, unique=True)
    city = models.ForeignKey("tenants.Hall", verbose_name=_("city"), on_delete=models.PROTECT, related_name="+")
    issuing_hall = models.ForeignKey(
        "tenants.Hall", verbose_name=_("issued in"), on_delete=models.PROTECT, related_name="+"
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("issued by"), on_delete=models.PROTECT, related_name="+"
    )
    issued_at = models.DateTimeField(_("issued at"))
    target_hall = models.ForeignKey(
        "tenants.Hall", verbose_name=_("addressed to (hall)"), on_delete=models.PROTECT, related_name="+"
    )
    target_department = models.ForeignKey(
        "tenants.Department",
        verbose_name=_("addressed to (department)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    case_hall = models.ForeignKey(
        "tenants.Hall",
        verbose_name=_("hall of the case"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    case_id = models.PositiveIntegerField(_("case id in the hall"), null=True, blank=True)
    case_number = models.CharField(_("NO"), max_length=24, blank=True)
    slip = models.ForeignKey(
        SlipIndex, verbose_name=_("transfer slip"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(_("reason"), max_length=limits.NOTE_MAX_LENGTH)
    required_action = models.TextField(_("required action"), max_length=limits.NOTE_MAX_LENGTH)
    days = models.PositiveSmallIntegerField(_("working days"))
    deadline = models.ForeignKey(
        "deadlines.Deadline",
        verbose_name=_("deadline"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    status = models.CharField(_("status"), max_length=10, choices=OrderStatus.choices, default=OrderStatus.ISSUED)
    response = models.TextField(_("response"), blank=True, max_length=limits.TEXT_MAX_LENGTH)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("responded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    responded_at = models.DateTimeField(_("responded at"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("supervision order")
        verbose_name_plural = _("supervision orders")
        ordering = ["-issued_at", "-id"]
        indexes = [
            models.Index(fields=["city", "status"], name="order_city_status"),
            models.Index(fields=["target_department", "status"], name="order_department_inbox"),
            models.Index(fields=["target_hall", "status"], name="order_hall_inbox"),
        ]

    def __str__(self) -> str:
        return self.number
