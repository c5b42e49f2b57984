"""The cross-hall index (public schema): one row per case and per transfer slip of every hall,
without personal data, written by casework in the same transaction as the hall's change
(hallindex.services), read by the departments' inboxes, the city portal and statistics.

A department's inbox across all the halls that route to it, the portal's figures and the dashboards
are single queries over these rows, not loops over schemas. They hold numbers, the matter's name
(masked), states and times: nothing that identifies the person. The tables keep the names they had
when coordination owned them (``db_table``); moving them here moved no data.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


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
        db_table = "coordination_slipindex"
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
    failure_kind = models.CharField(_("what failed (art. 4)"), max_length=16, blank=True)
    complexity = models.CharField(_("complexity"), max_length=10, blank=True)
    status = models.CharField(_("status"), max_length=20)
    result = models.CharField(_("result"), max_length=12, blank=True)
    exclusion_reason = models.CharField(_("reason not accepted"), max_length=16, blank=True)
    flagged_for_supervision = models.BooleanField(_("flagged for supervision"), default=False)
    meeting_requested = models.BooleanField(_("joint meeting requested"), default=False)
    satisfaction = models.CharField(_("satisfaction"), max_length=20, blank=True)
    repeat_reporter = models.BooleanField(_("the person reported before"), default=False)
    # The case's keyed blind indexes of the phone and the document (casework/crypto.py blind_index):
    # digests, not values, so that a window sees whether the same person reported in another hall of
    # the city without any personal data reaching the public schema.
    phone_index = models.CharField(max_length=64, blank=True, default="", editable=False)
    document_index = models.CharField(max_length=64, blank=True, default="", editable=False)
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
        db_table = "coordination_caseindex"
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
            # The open requests for a joint meeting (the leads' and supervisors' to-do), oldest first.
            models.Index(
                fields=["hall", "transferred_at"],
                condition=Q(meeting_requested=True) & ~Q(status__in=["closed", "not_accepted"]),
                name="caseindex_meeting_requested",
            ),
            # The same person in other halls of the city (duplicates across halls).
            models.Index(fields=["phone_index", "registered_at"], condition=~Q(phone_index=""), name="caseindex_phone"),
            models.Index(
                fields=["document_index", "registered_at"], condition=~Q(document_index=""), name="caseindex_document"
            ),
        ]

    def __str__(self) -> str:
        return self.number


class CaseLink(models.Model):
    """Two cases of the same person in two halls of one city, linked by a window as one matter
    reported twice (duplicates across halls). Numbers and halls only: no personal data."""

    hall = models.ForeignKey("tenants.Hall", verbose_name=_("hall"), on_delete=models.PROTECT, related_name="+")
    case_id = models.PositiveIntegerField(_("case id in the hall"))
    number = models.CharField(_("NO"), max_length=24)
    other_hall = models.ForeignKey(
        "tenants.Hall", verbose_name=_("other hall"), on_delete=models.PROTECT, related_name="+"
    )
    other_case_id = models.PositiveIntegerField(_("case id in the other hall"))
    other_number = models.CharField(_("other NO"), max_length=24)
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("linked by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    linked_at = models.DateTimeField(_("linked at"))

    class Meta:
        verbose_name = _("linked case")
        verbose_name_plural = _("linked cases")
        constraints = [
            models.UniqueConstraint(
                fields=["hall", "case_id", "other_hall", "other_case_id"], name="caselink_once_per_pair"
            ),
        ]
        indexes = [
            models.Index(fields=["hall", "case_id"], name="caselink_case"),
            models.Index(fields=["other_hall", "other_case_id"], name="caselink_other_case"),
        ]

    def __str__(self) -> str:
        return f"{self.number} ↔ {self.other_number}"
