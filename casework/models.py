"""Cases (办不成事 反映) and their registration form (登记表), in each hall's own schema.

Every field of the annex 登记表 is here; name, phone, ID number, address and the problem as told are
encrypted at rest (casework/fields.py) with keyed blind indexes for finding earlier cases of the same
person. Personal data never leaves the hall's schema.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.utils.translation import gettext_lazy as _

from casework.choices import (
    OPEN_SLIP_STATES,
    ApplicantKind,
    CaseResult,
    CaseStatus,
    Channel,
    Complexity,
    ExclusionReason,
    FailureKind,
    FeedbackMethod,
    FollowUpMethod,
    HandlingCategory,
    ReportStatus,
    Satisfaction,
    SlipStatus,
)
from casework.fields import EncryptedTextField
from hallplatform import limits
from hallplatform.personal import DocumentType


class CaseNumberSequence(models.Model):
    """The last NO given in a year: a row lock makes numbering gap-free under concurrency."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("case number sequence")

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


# Users live in the public schema, cases in each hall's: neither Django's deletion collector nor a
# TRUNCATE of the users' table can see into every hall, so references to users carry no constraint;
# staff are deactivated, never deleted.


class Case(models.Model):
    # NO: <region code>-<year>-<5-digit sequence>
    number = models.CharField(_("NO"), max_length=24, unique=True)
    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices)
    applicant_kind = models.CharField(_("applicant kind"), max_length=12, choices=ApplicantKind.choices)
    applicant_name = EncryptedTextField(
        _("applicant"), purpose="case.applicant_name", max_length=limits.NAME_MAX_LENGTH
    )
    enterprise_name = models.CharField(_("enterprise name"), max_length=200, blank=True)
    phone = EncryptedTextField(_("contact phone"), purpose="case.phone", max_length=limits.PHONE_MAX_LENGTH)
    phone_index = models.CharField(max_length=64, db_index=True, editable=False)
    document_type = models.CharField(_("document type"), max_length=20, choices=DocumentType.choices)
    document_number = EncryptedTextField(
        _("document number"), purpose="case.document_number", max_length=limits.DOCUMENT_NUMBER_MAX_LENGTH
    )
    document_index = models.CharField(max_length=64, db_index=True, editable=False)
    address = EncryptedTextField(_("address"), purpose="case.address", blank=True, max_length=limits.ADDRESS_MAX_LENGTH)
    matter_name = models.CharField(_("matter"), max_length=200)
    # The words of matter_name for the search box (casework/search.py: Chinese bigrams), written with
    # it by the services. Never of an encrypted field.
    matter_search = SearchVectorField(null=True, editable=False)
    problem = EncryptedTextField(_("problem as told"), purpose="case.problem", max_length=limits.TEXT_MAX_LENGTH)
    # Art. 4: what failed (未受理 / 受理后未审批 / 多次跑动仍未办成 / 其他); optional (older cases and
    # integrations that do not send it).
    failure_kind = models.CharField(_("what failed (art. 4)"), max_length=16, choices=FailureKind.choices, blank=True)
    acceptance_note = models.TextField(_("acceptance"), blank=True, max_length=limits.NOTE_MAX_LENGTH)
    result = models.CharField(_("result"), max_length=12, choices=CaseResult.choices, blank=True)
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handled by"),
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
    )
    handler_phone = models.CharField(_("handler's phone"), max_length=30, blank=True)
    follow_up_note = models.TextField(_("follow-up"), blank=True, max_length=limits.NOTE_MAX_LENGTH)
    remarks = models.TextField(_("remarks"), blank=True, max_length=limits.NOTE_MAX_LENGTH)

    handling_category = models.CharField(
        _("handling category"), max_length=16, choices=HandlingCategory.choices, blank=True
    )
    complexity = models.CharField(
        _("complexity"), max_length=10, choices=Complexity.choices, default=Complexity.ORDINARY
    )
    status = models.CharField(_("status"), max_length=20, choices=CaseStatus.choices, default=CaseStatus.REGISTERED)
    exclusion_reason = models.CharField(
        _("reason not accepted"), max_length=16, choices=ExclusionReason.choices, blank=True
    )
    referral = models.TextField(_("referred to"), blank=True, max_length=limits.NOTE_MAX_LENGTH)
    answer = models.TextField(_("answer given (one-time notice)"), blank=True, max_length=limits.TEXT_MAX_LENGTH)
    policy_basis = models.TextField(_("policy basis"), blank=True, max_length=limits.NOTE_MAX_LENGTH)
    flagged_for_supervision = models.BooleanField(_("flagged for supervision"), default=False)
    coordination_note = models.TextField(
        _("coordination notes (容缺容承, data sharing)"), blank=True, max_length=limits.NOTE_MAX_LENGTH
    )
    meeting_requested = models.BooleanField(_("joint meeting requested"), default=False)
    meeting_request_note = models.TextField(_("joint meeting request"), blank=True, max_length=limits.NOTE_MAX_LENGTH)
    supplement_note = models.TextField(_("materials to supplement"), blank=True, max_length=limits.NOTE_MAX_LENGTH)
    # The date by which the person is asked to bring them (补正通知书): set by the window when it asks
    # itself (casework.services.case_supplement_request); none when a department asked.
    supplement_due = models.DateField(_("materials due by"), null=True, blank=True)
    feedback_method = models.CharField(
        _("how the person was told"), max_length=12, choices=FeedbackMethod.choices, blank=True
    )
    feedback_content = models.TextField(_("what the person was told"), blank=True, max_length=limits.TEXT_MAX_LENGTH)
    follow_up_method = models.CharField(
        _("follow-up method"), max_length=12, choices=FollowUpMethod.choices, blank=True
    )
    follow_up_date = models.DateField(_("follow-up date"), null=True, blank=True)
    satisfaction = models.CharField(_("satisfaction"), max_length=20, choices=Satisfaction.choices, blank=True)
    sms_opt_out = models.BooleanField(_("no SMS to the person"), default=False)
    reopened_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)
    # Retention (docs/personal-data.md "Retention"): a hold (e.g. a complaint under review) stops the
    # erasure of the personal data; ``erased_at`` says when it was erased (the case stays, masked).
    retention_hold = models.BooleanField(_("retention hold"), default=False)
    retention_hold_reason = models.TextField(_("reason for the hold"), blank=True, max_length=limits.NOTE_MAX_LENGTH)
    erased_at = models.DateTimeField(_("personal data erased at"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    registered_at = models.DateTimeField(_("registered at"))
    screened_at = models.DateTimeField(_("screened at"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    transferred_at = models.DateTimeField(_("transferred at"), null=True, blank=True)
    replied_at = models.DateTimeField(_("replied at"), null=True, blank=True)
    fed_back_at = models.DateTimeField(_("fed back at"), null=True, blank=True)
    followed_up_at = models.DateTimeField(_("followed up at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    reopened_at = models.DateTimeField(_("reopened at"), null=True, blank=True)

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-registered_at", "-id"]
        indexes = [
            models.Index(fields=["status", "-registered_at"], name="case_status_recent"),
            # The case list's order (Meta.ordering): its first page reads 50 index entries instead of
            # sorting the whole hall (benchmarks/casework.py: 160 ms → under 1 ms at 100,000 cases).
            models.Index(fields=["-registered_at", "-id"], name="case_recent"),
            GinIndex(fields=["matter_search"], name="case_matter_search"),
        ]

    def __str__(self) -> str:
        return self.number


class TransferSlip(models.Model):
    """A transfer slip (转办单, rule art. 5(2)–(3)): what the window asks of one department.

    Lives in the hall's schema (its request may name the person); a row of ``coordination.SlipIndex``
    in the public schema, written in the same transaction, carries what the department's cross-hall
    inbox needs, without personal data.
    """

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="slips")
    number = models.CharField(_("slip number"), max_length=30, unique=True)
    department = models.ForeignKey(
        "tenants.Department",
        verbose_name=_("department"),
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
    )
    request = models.TextField(_("what is asked"), max_length=limits.NOTE_MAX_LENGTH)
    complexity = models.CharField(_("complexity"), max_length=10, choices=Complexity.choices)
    status = models.CharField(_("status"), max_length=20, choices=SlipStatus.choices, default=SlipStatus.SENT)
    result = models.CharField(_("result"), max_length=12, choices=CaseResult.choices, blank=True)
    reply = models.TextField(_("department's answer"), blank=True, max_length=limits.TEXT_MAX_LENGTH)
    supplement_note = models.TextField(_("materials to supplement"), blank=True, max_length=limits.NOTE_MAX_LENGTH)
    return_reason = models.TextField(_("reason returned"), blank=True, max_length=limits.NOTE_MAX_LENGTH)
    rerouted_from = models.OneToOneField(
        "self",
        verbose_name=_("re-routed from"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="rerouted_to",
    )
    sent_at = models.DateTimeField(_("sent at"))
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sent by"),
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
    )
    received_at = models.DateTimeField(_("received at"), null=True, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("received by"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
    )
    replied_at = models.DateTimeField(_("replied at"), null=True, blank=True)
    replied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("replied by"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
    )
    returned_at = models.DateTimeField(_("returned at"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("transfer slip")
        verbose_name_plural = _("transfer slips")
        ordering = ["sent_at", "id"]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_SLIP_STATES


class CaseEvent(models.Model):
    """One step in a case's life (the timeline). Immutable: the database refuses UPDATE and DELETE."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="events")
    at = models.DateTimeField(_("time"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
    )
    kind = models.CharField(_("event"), max_length=40)
    slip = models.ForeignKey(
        TransferSlip,
        verbose_name=_("transfer slip"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="events",
    )
    from_status = models.CharField(_("from"), max_length=20, blank=True)
    to_status = models.CharField(_("to"), max_length=20, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)

    class Meta:
        verbose_name = _("case event")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind}"


class CaseNote(models.Model):
    """An internal note (内部备注) on a case, or on one of its slips: read by the hall's window staff
    and leads, and, on a slip, by the slip's department. Never printed, never on the person's progress
    page, in an export or a notice; masked like every free text (casework/freetext.py)."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="notes")
    slip = models.ForeignKey(
        TransferSlip,
        verbose_name=_("transfer slip"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="notes",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
    )
    text = models.TextField(_("internal note"), max_length=limits.NOTE_MAX_LENGTH)
    created_at = models.DateTimeField(_("time"))

    class Meta:
        verbose_name = _("internal note")
        verbose_name_plural = _("internal notes")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.created_at}"


# --- The person's progress page (docs/progress-page.md) ------------------------------------------------


class CaseProgressAccess(models.Model):
    """The unguessable token of a case's progress link (/progress/<token>/, printed as a QR code).

    The token is stored twice: as a SHA-256 digest to find the case (a 192-bit random token needs no
    slow hash), and sealed like the personal data (casework/crypto.py), so that the print views can
    put it on paper again without changing it. A copy of the database without the field keys gives
    no working link."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="progress_access")
    token_digest = models.CharField(max_length=64, unique=True)
    token = EncryptedTextField(purpose="case.progress_token", max_length=64)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("progress link")

    def __str__(self) -> str:
        return f"{self.case_id}"


class ProgressFailure(models.Model):
    """One wrong try on the progress pages: wrong digits or code, or an unknown NO or token, counted
    per NO/token (``key``: a digest, never the NO itself) and per client address. In the database, not
    Redis, so that the blocking holds while Redis is away."""

    key = models.CharField(max_length=64)
    address = models.CharField(max_length=45)
    at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["key", "at"], name="progress_failure_key"),
            models.Index(fields=["address", "at"], name="progress_failure_address"),
        ]

    def __str__(self) -> str:
        return f"{self.key[:8]} {self.at}"


class ProgressCode(models.Model):
    """A one-time code sent by SMS to a case's registered phone. Only its keyed digest is kept; it is
    good once, for ``PROGRESS_CODE_SECONDS``. ``phone_index`` (the case's blind index) counts codes per
    phone for the daily cap; ``address``, per client address."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    code_digest = models.CharField(max_length=64)
    phone_index = models.CharField(max_length=64)
    address = models.CharField(max_length=45)
    sent_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["phone_index", "sent_at"], name="progress_code_phone"),
            models.Index(fields=["address", "sent_at"], name="progress_code_address"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.sent_at}"


# --- Online reporting (docs/online-reporting.md) ------------------------------------------------------


class OnlineReport(models.Model):
    """What a person reported on the hall's /report/ page, before the window screens it.

    Not a case yet: no NO (numbers stay gap-free for real cases; spam never consumes one), no row in
    the cross-hall index, no statistics. Accepted, it becomes a case (``case``) with channel 网上 and its
    NO; declined, it stays here with the reason. The progress token is kept like a case's (a digest to
    find it, sealed to carry it over to the case at acceptance, so the person's bookmark keeps working)."""

    status = models.CharField(_("status"), max_length=12, choices=ReportStatus.choices, default=ReportStatus.PENDING)
    applicant_kind = models.CharField(_("applicant kind"), max_length=12, choices=ApplicantKind.choices)
    applicant_name = EncryptedTextField(
        _("applicant"), purpose="report.applicant_name", max_length=limits.NAME_MAX_LENGTH
    )
    enterprise_name = models.CharField(_("enterprise name"), max_length=200, blank=True)
    phone = EncryptedTextField(_("contact phone"), purpose="report.phone", max_length=limits.PHONE_MAX_LENGTH)
    phone_index = models.CharField(max_length=64, db_index=True, editable=False)
    matter_name = models.CharField(_("matter"), max_length=200)
    problem = EncryptedTextField(_("what happened"), purpose="report.problem", max_length=limits.TEXT_MAX_LENGTH)
    submitted_at = models.DateTimeField(_("submitted at"))
    submitted_from = models.CharField(_("submitted from (address)"), max_length=45)
    # The personal-data notice (个人信息处理告知, PIPL art. 17) the person consented to, and when.
    consent_version = models.CharField(_("notice version"), max_length=20)
    consent_at = models.DateTimeField(_("consented at"))
    # Separate consent to photos of identity documents (sensitive personal information, arts. 28–29).
    id_photo_consent_at = models.DateTimeField(_("consented to document photos at"), null=True, blank=True)
    token_digest = models.CharField(max_length=64, unique=True)
    token = EncryptedTextField(purpose="report.progress_token", max_length=64)
    case = models.OneToOneField(
        Case, verbose_name=_("case"), null=True, blank=True, on_delete=models.PROTECT, related_name="online_report"
    )
    screened_at = models.DateTimeField(_("screened at"), null=True, blank=True)
    screened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("screened by"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
    )
    decline_reason = models.TextField(_("reason not taken"), blank=True, max_length=limits.NOTE_MAX_LENGTH)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("online report")
        verbose_name_plural = _("online reports")
        ordering = ["-submitted_at", "-id"]
        indexes = [models.Index(fields=["status", "-submitted_at"], name="report_status_recent")]

    def __str__(self) -> str:
        return f"R{self.pk}"


class ReportCode(models.Model):
    """A one-time code sent to a phone that wants to report online (6 digits, ``REPORT_CODE_SECONDS``,
    good once). Only a keyed digest is kept, bound to the phone's blind index; ``address`` counts codes
    per client address."""

    phone_index = models.CharField(max_length=64)
    code_digest = models.CharField(max_length=64)
    address = models.CharField(max_length=45)
    sent_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    failures = models.PositiveSmallIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["phone_index", "sent_at"], name="report_code_phone"),
            models.Index(fields=["address", "sent_at"], name="report_code_address"),
        ]

    def __str__(self) -> str:
        return f"{self.phone_index[:8]} {self.sent_at}"


class StoredFile(models.Model):
    """A file kept encrypted through Django's storage API (casework/attachments.py): the content sealed
    with its own data key, the data key sealed by the field keys (``data_key``: re-sealed by
    rotate_field_keys, the file itself never rewritten). Photos of an online report today; attachments
    of cases later."""

    storage_name = models.CharField(max_length=200, unique=True)
    content_type = models.CharField(max_length=60)
    size = models.PositiveIntegerField()
    data_key = EncryptedTextField(purpose="file.data_key", max_length=200)
    created_at = models.DateTimeField()
    report = models.ForeignKey(OnlineReport, null=True, blank=True, on_delete=models.PROTECT, related_name="files")
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.PROTECT, related_name="files")

    class Meta:
        verbose_name = _("stored file")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.storage_name
