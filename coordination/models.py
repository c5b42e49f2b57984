"""Coordination rows in the public schema (DESIGN.md 4.1–4.2): what crosses halls, without personal data.

``SlipIndex`` mirrors each transfer slip of every hall, written in the same transaction as the slip,
so a department's inbox across all the halls that route to it is one query, not a loop over schemas.
It holds numbers, the matter's name, states and times: nothing that identifies the person.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from hallplatform import limits


class SlipIndex(models.Model):
    hall = models.ForeignKey("tenants.Hall", verbose_name=_("hall"), on_delete=models.PROTECT, related_name="+")
    slip_id = models.PositiveIntegerField(_("slip id in the hall"))
    case_id = models.PositiveIntegerField(_("case id in the hall"))
    slip_number = models.CharField(_("slip number"), max_length=30)
    case_number = models.CharField(_("NO"), max_length=24)
    department = models.ForeignKey(
        "tenants.Department", verbose_name=_("department"), on_delete=models.PROTECT, related_name="+"
    )
    matter_name = models.CharField(_("matter"), max_length=200)
    handling_category = models.CharField(_("handling category"), max_length=16, blank=True)
    complexity = models.CharField(_("complexity"), max_length=10)
    status = models.CharField(_("status"), max_length=20)
    result = models.CharField(_("result"), max_length=12, blank=True)
    flagged_for_supervision = models.BooleanField(_("flagged for supervision"), default=False)
    deadline = models.ForeignKey(
        "deadlines.Deadline",
        verbose_name=_("deadline"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("received by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    sent_at = models.DateTimeField(_("sent at"))
    received_at = models.DateTimeField(_("received at"), null=True, blank=True)
    replied_at = models.DateTimeField(_("replied at"), null=True, blank=True)
    returned_at = models.DateTimeField(_("returned at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("transfer slip (index)")
        verbose_name_plural = _("transfer slips (index)")
        constraints = [models.UniqueConstraint(fields=["hall", "slip_id"], name="slipindex_one_per_slip")]
        indexes = [
            models.Index(fields=["department", "status", "-sent_at"], name="slipindex_inbox"),
            models.Index(fields=["department", "-sent_at"], name="slipindex_inbox_all"),
            models.Index(fields=["hall", "case_id"], name="slipindex_case"),
            # The portal counts open slips per hall and picks the overdue ones: index-only scans of the
            # open ones (id for COUNT, deadline to join).
            models.Index(
                fields=["hall"],
                include=["id", "deadline"],
                condition=Q(status__in=["sent", "received", "awaiting_supplement"]),
                name="slipindex_open_by_hall",
            ),
        ]

    def __str__(self) -> str:
        return self.slip_number


class CaseIndex(models.Model):
    """One row per case of every hall, without personal data, written in the same transaction as each
    change of the case (every timeline event): what city-level overviews and statistics count."""

    hall = models.ForeignKey("tenants.Hall", verbose_name=_("hall"), on_delete=models.PROTECT, related_name="+")
    case_id = models.PositiveIntegerField(_("case id in the hall"))
    number = models.CharField(_("NO"), max_length=24)
    channel = models.CharField(_("channel"), max_length=12)
    applicant_kind = models.CharField(_("applicant kind"), max_length=12)
    matter_name = models.CharField(_("matter"), max_length=200)
    matter_key = models.CharField(_("matter (grouped)"), max_length=200, blank=True, db_index=True)
    handling_category = models.CharField(_("handling category"), max_length=16, blank=True)
    complexity = models.CharField(_("complexity"), max_length=10, blank=True)
    status = models.CharField(_("status"), max_length=20)
    result = models.CharField(_("result"), max_length=12, blank=True)
    exclusion_reason = models.CharField(_("reason not accepted"), max_length=16, blank=True)
    flagged_for_supervision = models.BooleanField(_("flagged for supervision"), default=False)
    meeting_requested = models.BooleanField(_("joint meeting requested"), default=False)
    satisfaction = models.CharField(_("satisfaction"), max_length=20, blank=True)
    repeat_reporter = models.BooleanField(_("the person reported before"), default=False)
    reopened_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)
    registered_at = models.DateTimeField(_("registered at"))
    screened_at = models.DateTimeField(_("screened at"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    transferred_at = models.DateTimeField(_("transferred at"), null=True, blank=True)
    replied_at = models.DateTimeField(_("replied at"), null=True, blank=True)
    fed_back_at = models.DateTimeField(_("fed back at"), null=True, blank=True)
    followed_up_at = models.DateTimeField(_("followed up at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("case (index)")
        verbose_name_plural = _("cases (index)")
        constraints = [models.UniqueConstraint(fields=["hall", "case_id"], name="caseindex_one_per_case")]
        indexes = [
            models.Index(fields=["hall", "status"], name="caseindex_hall_status"),
            models.Index(fields=["hall", "registered_at"], name="caseindex_hall_registered"),
            models.Index(fields=["registered_at"], name="caseindex_registered"),
            # The portal's figures read the open cases only, a few per cent of the rows: per hall, an
            # index-only scan (id and the flag: COUNT and its filter); the cases flagged 不给办 that it
            # proposes for supervision, oldest first.
            models.Index(
                fields=["hall"],
                include=["id", "flagged_for_supervision"],
                condition=~Q(status__in=["closed", "not_accepted"]),
                name="caseindex_open_by_hall",
            ),
            models.Index(
                fields=["registered_at"],
                condition=Q(flagged_for_supervision=True) & ~Q(status__in=["closed", "not_accepted"]),
                name="caseindex_flagged_open",
            ),
        ]

    def __str__(self) -> str:
        return self.number


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
