"""Casework API serializers: inputs parsed to the services' arguments, outputs with personal data masked.

Inputs check types and choices only; every rule of the casework is the services' (a refusal names
the same fields as the input). Outputs never carry an unmasked name, phone, document number or
address, nor a mobile or ID number typed into a free text: every text field of a case or slip is a
``FreeTextField`` (the model serializers map ``TextField`` to it, so a new one is masked too), and the
timeline's ``changes`` pass through the same function. Revealing is its own audited step
(``/reveal/``; ``free_text`` shows the texts in clear).
"""

from __future__ import annotations

from typing import Any

from django.db import models
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from casework.choices import (
    WINDOW_CHANNELS,
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
    Satisfaction,
    SlipStatus,
)
from casework.freetext import FREE_TEXT, SLIP_FREE_TEXT_FIELDS, changes_free_text
from casework.models import Case, CaseEvent, CaseNote, TransferSlip
from casework.services import REVEALABLE_FIELDS
from hallplatform import limits
from hallplatform.api import ModelSerializer
from hallplatform.deadlines.badges import BADGE_COLOURS, DeadlineBadge
from hallplatform.personal import DocumentType, free_text, mask_address, mask_id, mask_name, mask_phone
from tenants.models import Department

# --- Shared pieces ---------------------------------------------------------------------------------


class FreeTextField(serializers.CharField):
    """A text written by people: mobile and ID numbers in it masked (hallplatform.personal.free_text);
    in clear only when the serializer's context says ``free_text_revealed`` (after the audited reveal)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["read_only"] = True
        kwargs.pop("max_length", None)
        kwargs.pop("allow_blank", None)
        super().__init__(**kwargs)

    def to_representation(self, value: Any) -> str:
        return free_text(str(value or ""), revealed=self.context.get("free_text_revealed") is True)


class CaseworkSerializer(ModelSerializer):
    """Casework's output serializers: every model ``TextField`` shown is a ``FreeTextField``."""

    serializer_field_mapping = {**ModelSerializer.serializer_field_mapping, models.TextField: FreeTextField}


class BadgeSerializer(serializers.Serializer):
    colour = serializers.ChoiceField(
        choices=BADGE_COLOURS, help_text="green in time, yellow 临期, red 逾期, paused 补正"
    )
    due_at = serializers.DateTimeField()
    kind = serializers.CharField(help_text="slip_reply or feedback")
    provisional = serializers.BooleanField(help_text="The deadline touches a not yet published holiday year.")


def badge_data(badge: DeadlineBadge | None) -> dict[str, Any] | None:
    return None if badge is None else BadgeSerializer(badge).data


class DepartmentSerializer(ModelSerializer):
    hall = serializers.CharField(source="hall.code", read_only=True, help_text="Code of the hall it belongs to.")
    hall_name = serializers.CharField(source="hall.name", read_only=True)
    level = serializers.CharField(source="hall.level", read_only=True, help_text="county or city")

    class Meta:
        model = Department
        fields = ["id", "code", "name", "hall", "hall_name", "level"]
        read_only_fields = fields


# --- Case outputs ----------------------------------------------------------------------------------


class CaseRowSerializer(CaseworkSerializer):
    """A case in a list: the register's columns, personal data masked, the most urgent deadline."""

    status_label = serializers.CharField(source="get_status_display", read_only=True)
    applicant_name = serializers.SerializerMethodField()
    phone = serializers.SerializerMethodField()
    document_number = serializers.SerializerMethodField()
    handler = serializers.SerializerMethodField()
    badge = serializers.SerializerMethodField()

    class Meta:
        model = Case
        fields = [
            "id", "number", "status", "status_label", "channel", "applicant_kind", "applicant_name",
            "enterprise_name", "phone", "document_type", "document_number", "matter_name", "handling_category",
            "complexity", "result", "flagged_for_supervision", "registered_at", "handler", "version", "badge",
            "failure_kind",
        ]  # fmt: skip
        read_only_fields = fields

    def get_applicant_name(self, case: Case) -> str:
        return mask_name(case.applicant_name)

    def get_phone(self, case: Case) -> str:
        return mask_phone(case.phone)

    def get_document_number(self, case: Case) -> str:
        return mask_id(case.document_number)

    def get_handler(self, case: Case) -> str:
        return str(case.handler)

    @extend_schema_field(BadgeSerializer(allow_null=True))
    def get_badge(self, case: Case) -> dict[str, Any] | None:
        return badge_data(self.context.get("badges", {}).get(case.pk))


class SlipRowSerializer(CaseworkSerializer):
    """A transfer slip as the window sees it on the case."""

    department = DepartmentSerializer(read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    badge = serializers.SerializerMethodField()
    actions = serializers.SerializerMethodField()

    class Meta:
        model = TransferSlip
        fields = [
            "id", "number", "department", "request", "complexity", "status", "status_label", "result", "reply",
            "supplement_note", "return_reason", "rerouted_from", "sent_at", "received_at", "replied_at",
            "returned_at", "version", "badge", "actions",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(BadgeSerializer(allow_null=True))
    def get_badge(self, slip: TransferSlip) -> dict[str, Any] | None:
        return badge_data(self.context.get("slip_badges", {}).get(slip.pk))

    def get_actions(self, slip: TransferSlip) -> list[str]:
        return list(self.context.get("slip_actions", {}).get(slip.pk, []))


class FeedbackDeadlineSerializer(serializers.Serializer):
    due_at = serializers.DateTimeField()
    state = serializers.CharField()
    provisional = serializers.BooleanField()
    badge = serializers.SerializerMethodField()

    @extend_schema_field(BadgeSerializer(allow_null=True))
    def get_badge(self, deadline: Any) -> dict[str, Any] | None:
        return badge_data(self.context.get("feedback_badge"))


class CaseDetailSerializer(CaseRowSerializer):
    """A case with its whole registration form (personal data masked), its slips and the steps the
    user can take now (the names of the ``/cases/{id}/<step>/`` routes, and ``reveal``)."""

    address = serializers.SerializerMethodField()
    problem = serializers.SerializerMethodField()
    slips = serializers.SerializerMethodField()
    feedback_deadline = serializers.SerializerMethodField()
    actions = serializers.SerializerMethodField()

    class Meta(CaseRowSerializer.Meta):
        fields = [
            *CaseRowSerializer.Meta.fields,
            "address", "problem", "acceptance_note", "handler_phone", "remarks", "exclusion_reason", "referral",
            "answer", "policy_basis", "coordination_note", "meeting_requested", "meeting_request_note",
            "supplement_note", "feedback_method", "feedback_content", "follow_up_method", "follow_up_date",
            "satisfaction", "follow_up_note", "sms_opt_out", "reopened_count", "screened_at", "answered_at",
            "transferred_at", "replied_at", "fed_back_at", "followed_up_at", "closed_at", "reopened_at",
            "slips", "feedback_deadline", "actions", "supplement_due", "retention_hold", "retention_hold_reason",
            "erased_at", "handler_id",
        ]  # fmt: skip
        read_only_fields = fields

    def get_address(self, case: Case) -> str:
        return mask_address(case.address)

    def get_problem(self, case: Case) -> str:
        return free_text(case.problem, revealed=self.context.get("free_text_revealed") is True)

    @extend_schema_field(SlipRowSerializer(many=True))
    def get_slips(self, case: Case) -> list[dict[str, Any]]:
        return list(SlipRowSerializer(self.context.get("slips", []), many=True, context=self.context).data)

    @extend_schema_field(FeedbackDeadlineSerializer(allow_null=True))
    def get_feedback_deadline(self, case: Case) -> dict[str, Any] | None:
        deadline = self.context.get("feedback_deadline")
        return None if deadline is None else FeedbackDeadlineSerializer(deadline, context=self.context).data

    def get_actions(self, case: Case) -> list[str]:
        return list(self.context.get("actions", []))


class EarlierCasesSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    numbers = serializers.ListField(child=serializers.CharField(), help_text="The most recent ones, newest first.")


class RegisteredCaseSerializer(CaseDetailSerializer):
    """The registered case, and the person's earlier cases in this hall (repeat reporters)."""

    earlier_cases = serializers.SerializerMethodField()

    class Meta(CaseDetailSerializer.Meta):
        fields = [*CaseDetailSerializer.Meta.fields, "earlier_cases"]
        read_only_fields = fields

    @extend_schema_field(EarlierCasesSerializer)
    def get_earlier_cases(self, case: Case) -> dict[str, Any]:
        numbers = list(self.context.get("earlier_numbers", []))
        return {"count": self.context.get("earlier_count", len(numbers)), "numbers": numbers}


class EarlierCaseSerializer(CaseworkSerializer):
    status_label = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = Case
        fields = ["id", "number", "status", "status_label", "matter_name", "handling_category", "registered_at"]
        read_only_fields = fields


class LookupResultSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    cases = EarlierCaseSerializer(many=True)


class CaseNoteSerializer(CaseworkSerializer):
    """An internal note (内部备注): for the hall's staff and the slip's department only; its text masked."""

    author = serializers.SerializerMethodField()
    slip = serializers.SerializerMethodField(help_text="The slip's number when the note is about a slip.")

    class Meta:
        model = CaseNote
        fields = ["id", "created_at", "author", "slip", "text"]
        read_only_fields = fields

    def get_author(self, note: CaseNote) -> str:
        return str(note.author)

    def get_slip(self, note: CaseNote) -> str | None:
        return None if note.slip is None else note.slip.number


class CaseNoteCreateSerializer(serializers.Serializer):
    text = serializers.CharField(allow_blank=True, max_length=limits.NOTE_MAX_LENGTH)
    slip = serializers.IntegerField(
        required=False, allow_null=True, help_text="On a case: the id of one of its slips the note is about."
    )


class TimelineEventSerializer(CaseworkSerializer):
    actor = serializers.SerializerMethodField()
    slip = serializers.SerializerMethodField()
    changes = serializers.SerializerMethodField(help_text="The step's details; numbers in its texts masked.")

    class Meta:
        model = CaseEvent
        fields = ["id", "at", "kind", "actor", "slip", "from_status", "to_status", "changes"]
        read_only_fields = fields

    def get_actor(self, event: CaseEvent) -> str | None:
        return None if event.actor is None else str(event.actor)

    def get_slip(self, event: CaseEvent) -> str | None:
        return None if event.slip is None else event.slip.number

    @extend_schema_field(serializers.DictField())
    def get_changes(self, event: CaseEvent) -> dict[str, Any]:
        return dict(changes_free_text(event.changes or {}, revealed=self.context.get("free_text_revealed") is True))


class RevealedSlipTextsSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    request = serializers.CharField()
    reply = serializers.CharField()
    supplement_note = serializers.CharField()
    return_reason = serializers.CharField()


class RevealedSerializer(serializers.Serializer):
    field = serializers.CharField()
    value = serializers.CharField(help_text="The personal field in clear; empty for free_text.")
    texts = serializers.DictField(
        child=serializers.CharField(),
        required=False,
        help_text="free_text: the case's texts in clear, by field (a department: the problem and the "
        "coordination notes).",
    )
    slips = RevealedSlipTextsSerializer(
        many=True, required=False, help_text="free_text: the slips' texts in clear (a department: its own slip)."
    )


def revealed_free_text_data(revealed: Any) -> dict[str, Any]:
    """The answer to a ``free_text`` reveal (casework.services.FreeTextRevealed)."""
    return dict(
        RevealedSerializer(
            {
                "field": FREE_TEXT,
                "value": "",
                "texts": revealed.case,
                "slips": [
                    {"id": slip.pk, "number": slip.number, **{n: texts[n] for n in SLIP_FREE_TEXT_FIELDS}}
                    for slip, texts in revealed.slips
                ],
            }
        ).data
    )


# --- Slip outputs ----------------------------------------------------------------------------------


class SlipCaseSerializer(CaseworkSerializer):
    """What a department sees of the case behind its slip: the matter and the problem, personal data
    masked."""

    applicant_name = serializers.SerializerMethodField()
    phone = serializers.SerializerMethodField()
    problem = serializers.SerializerMethodField()

    class Meta:
        model = Case
        fields = [
            "id", "number", "status", "channel", "applicant_kind", "applicant_name", "enterprise_name", "phone",
            "matter_name", "problem", "handling_category", "coordination_note", "flagged_for_supervision",
            "registered_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_applicant_name(self, case: Case) -> str:
        return mask_name(case.applicant_name)

    def get_phone(self, case: Case) -> str:
        return mask_phone(case.phone)

    def get_problem(self, case: Case) -> str:
        return free_text(case.problem, revealed=self.context.get("free_text_revealed") is True)


class SlipDetailSerializer(SlipRowSerializer):
    """A slip as its department sees it, with the case behind it and the steps it can take now."""

    case = SlipCaseSerializer(read_only=True)
    hall = serializers.SerializerMethodField()

    class Meta(SlipRowSerializer.Meta):
        fields = [*SlipRowSerializer.Meta.fields, "hall", "case"]
        read_only_fields = fields

    def get_hall(self, slip: TransferSlip) -> str:
        return str(self.context.get("hall_code", ""))


# --- Inbox -----------------------------------------------------------------------------------------


class InboxRowSerializer(serializers.Serializer):
    """One slip of the department's cross-hall inbox (public-schema index: no personal data)."""

    slip_id = serializers.IntegerField()
    slip_number = serializers.CharField()
    case_number = serializers.CharField()
    hall = serializers.CharField(source="hall.code")
    hall_name = serializers.CharField(source="hall.name")
    department = serializers.IntegerField(source="department_id")
    department_name = serializers.CharField(source="department.name")
    matter_name = serializers.CharField()
    handling_category = serializers.CharField()
    complexity = serializers.CharField()
    status = serializers.ChoiceField(choices=SlipStatus.choices)
    flagged_for_supervision = serializers.BooleanField()
    sent_at = serializers.DateTimeField()
    received_at = serializers.DateTimeField(allow_null=True)
    due_at = serializers.DateTimeField(source="deadline.due_at", allow_null=True)
    badge = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField(help_text="The slip's page on its hall's host.")
    api_url = serializers.SerializerMethodField(help_text="The slip in the API on its hall's host.")

    @extend_schema_field(serializers.ChoiceField(choices=BADGE_COLOURS, allow_null=True))
    def get_badge(self, row: Any) -> str | None:
        badge = self.context["badges"].get(row.pk)
        return None if badge is None else str(badge.colour)

    def get_url(self, row: Any) -> str:
        return f"{self.context['hall_origin'](row.hall.code)}/slips/{row.slip_id}/"

    def get_api_url(self, row: Any) -> str:
        return f"{self.context['hall_origin'](row.hall.code)}/api/v1/slips/{row.slip_id}/"


# --- Inputs ----------------------------------------------------------------------------------------


class VersionedSerializer(serializers.Serializer):
    version = serializers.IntegerField(
        min_value=1, help_text="The version of the case (slip) as last read: a stale one is answered 409 conflict."
    )


class RegistrationSerializer(serializers.Serializer):
    """The 登记表 (rule art. 5(1)); the services check what is required and valid."""

    channel = serializers.ChoiceField(choices=WINDOW_CHANNELS)
    applicant_kind = serializers.ChoiceField(choices=ApplicantKind.choices)
    applicant_name = serializers.CharField(allow_blank=True, max_length=limits.NAME_MAX_LENGTH)
    enterprise_name = serializers.CharField(
        allow_blank=True, required=False, default="", max_length=limits.max_length_of(Case, "enterprise_name")
    )
    phone = serializers.CharField(
        allow_blank=True,
        max_length=limits.PHONE_MAX_LENGTH,
        help_text=(
            "A mainland mobile number, or a landline with its area code (0751-8888888; an extension "
            "0751-8888888-123), any usual spelling."
        ),
    )
    document_type = serializers.ChoiceField(choices=DocumentType.choices)
    document_number = serializers.CharField(allow_blank=True, max_length=limits.DOCUMENT_NUMBER_MAX_LENGTH)
    address = serializers.CharField(allow_blank=True, required=False, default="", max_length=limits.ADDRESS_MAX_LENGTH)
    matter_name = serializers.CharField(allow_blank=True, max_length=limits.max_length_of(Case, "matter_name"))
    problem = serializers.CharField(allow_blank=True, max_length=limits.TEXT_MAX_LENGTH)
    acceptance_note = serializers.CharField(
        allow_blank=True, required=False, default="", max_length=limits.NOTE_MAX_LENGTH
    )
    remarks = serializers.CharField(allow_blank=True, required=False, default="", max_length=limits.NOTE_MAX_LENGTH)
    sms_opt_out = serializers.BooleanField(required=False, default=False)
    failure_kind = serializers.ChoiceField(
        choices=FailureKind.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text="Art. 4: what failed (optional): not_accepted, not_approved, repeated_visits, other.",
    )


class AmendSerializer(VersionedSerializer):
    """更正登记: only the fields to correct (an omitted field stays as registered), and why."""

    reason = serializers.CharField(
        allow_blank=True, max_length=limits.NOTE_MAX_LENGTH, help_text="Why the registration is corrected (required)."
    )
    channel = serializers.ChoiceField(choices=Channel.choices, required=False)
    applicant_kind = serializers.ChoiceField(choices=ApplicantKind.choices, required=False)
    applicant_name = serializers.CharField(required=False, allow_blank=True, max_length=limits.NAME_MAX_LENGTH)
    enterprise_name = serializers.CharField(
        required=False, allow_blank=True, max_length=limits.max_length_of(Case, "enterprise_name")
    )
    phone = serializers.CharField(required=False, allow_blank=True, max_length=limits.PHONE_MAX_LENGTH)
    document_type = serializers.ChoiceField(choices=DocumentType.choices, required=False)
    document_number = serializers.CharField(
        required=False, allow_blank=True, max_length=limits.DOCUMENT_NUMBER_MAX_LENGTH
    )
    address = serializers.CharField(required=False, allow_blank=True, max_length=limits.ADDRESS_MAX_LENGTH)
    matter_name = serializers.CharField(
        required=False, allow_blank=True, max_length=limits.max_length_of(Case, "matter_name")
    )
    problem = serializers.CharField(required=False, allow_blank=True, max_length=limits.TEXT_MAX_LENGTH)
    failure_kind = serializers.ChoiceField(choices=FailureKind.choices, required=False, allow_blank=True)


class ReassignSerializer(VersionedSerializer):
    handler = serializers.IntegerField(
        help_text="The user id of the new 经办人: a window clerk or the hall lead of the case's hall."
    )


class ScreenOutSerializer(VersionedSerializer):
    reason = serializers.ChoiceField(choices=ExclusionReason.choices)
    referral = serializers.CharField(
        allow_blank=True, max_length=limits.NOTE_MAX_LENGTH, help_text="Where the person was referred."
    )


class AnswerSerializer(VersionedSerializer):
    category = serializers.ChoiceField(
        choices=HandlingCategory.choices, help_text="consultation (咨询) or cannot_do (办不了)."
    )
    answer = serializers.CharField(
        allow_blank=True, max_length=limits.TEXT_MAX_LENGTH, help_text="What the person was told (一次性告知)."
    )
    policy_basis = serializers.CharField(
        allow_blank=True, required=False, default="", max_length=limits.NOTE_MAX_LENGTH
    )


class SlipDraftSerializer(serializers.Serializer):
    department = serializers.IntegerField(help_text="Id of a department this hall can transfer to.")
    request = serializers.CharField(
        allow_blank=True, max_length=limits.NOTE_MAX_LENGTH, help_text="What the department is asked to do."
    )
    complexity = serializers.ChoiceField(choices=Complexity.choices, required=False, default=Complexity.ORDINARY)


class TransferSerializer(VersionedSerializer):
    category = serializers.ChoiceField(choices=HandlingCategory.choices)
    slips = SlipDraftSerializer(many=True, required=False, default=list)
    coordination_note = serializers.CharField(
        allow_blank=True, required=False, default="", max_length=limits.NOTE_MAX_LENGTH
    )
    meeting_requested = serializers.BooleanField(required=False, default=False)
    meeting_request_note = serializers.CharField(
        allow_blank=True, required=False, default="", max_length=limits.NOTE_MAX_LENGTH
    )


class NoteSerializer(VersionedSerializer):
    note = serializers.CharField(allow_blank=True, required=False, default="", max_length=limits.NOTE_MAX_LENGTH)


class SupplementRequestSerializer(VersionedSerializer):
    note = serializers.CharField(
        allow_blank=True, max_length=limits.NOTE_MAX_LENGTH, help_text="The materials the person must bring."
    )
    due = serializers.DateField(allow_null=True, help_text="The date by which to bring them (today to 60 days).")


class RetentionHoldSerializer(serializers.Serializer):
    hold = serializers.BooleanField(help_text="true: keep the personal data past the retention period; false: lift.")
    reason = serializers.CharField(allow_blank=True, max_length=limits.NOTE_MAX_LENGTH)


class FeedbackSerializer(VersionedSerializer):
    method = serializers.ChoiceField(choices=FeedbackMethod.choices)
    content = serializers.CharField(allow_blank=True, max_length=limits.TEXT_MAX_LENGTH)
    send_sms = serializers.BooleanField(required=False, default=False)


class FollowUpSerializer(VersionedSerializer):
    method = serializers.ChoiceField(choices=FollowUpMethod.choices)
    date = serializers.DateField()
    satisfaction = serializers.ChoiceField(choices=Satisfaction.choices)
    note = serializers.CharField(allow_blank=True, required=False, default="", max_length=limits.NOTE_MAX_LENGTH)


class ReasonSerializer(VersionedSerializer):
    reason = serializers.CharField(allow_blank=True, max_length=limits.NOTE_MAX_LENGTH)


class SmsOptOutSerializer(VersionedSerializer):
    opt_out = serializers.BooleanField(required=False, default=True)


class RevealSerializer(serializers.Serializer):
    field = serializers.ChoiceField(
        choices=[*REVEALABLE_FIELDS, FREE_TEXT],
        help_text="A personal field, or free_text: every mobile and ID number typed into the texts shown in clear.",
    )


class SlipReplySerializer(VersionedSerializer):
    result = serializers.ChoiceField(choices=CaseResult.choices, help_text="done, in_progress or supplement.")
    reply = serializers.CharField(allow_blank=True, max_length=limits.TEXT_MAX_LENGTH)
    supplement_note = serializers.CharField(
        allow_blank=True, required=False, default="", max_length=limits.NOTE_MAX_LENGTH
    )


class RerouteSerializer(VersionedSerializer):
    department = serializers.IntegerField(help_text="Id of the department the returned slip goes to.")
    request = serializers.CharField(
        allow_blank=True,
        required=False,
        default="",
        max_length=limits.NOTE_MAX_LENGTH,
        help_text="Blank: the returned slip's request.",
    )
    complexity = serializers.ChoiceField(
        choices=[("", ""), *Complexity.choices], required=False, default="", help_text="Blank: as before."
    )


# --- Query parameters ------------------------------------------------------------------------------


class CaseFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=CaseStatus.choices, required=False)
    category = serializers.ChoiceField(choices=HandlingCategory.choices, required=False)
    channel = serializers.ChoiceField(choices=Channel.choices, required=False)
    number = serializers.CharField(required=False, max_length=limits.QUERY_MAX_LENGTH, help_text="Part of the NO.")
    matter = serializers.CharField(
        required=False, max_length=limits.QUERY_MAX_LENGTH, help_text="Part of the matter's name."
    )
    phone = serializers.CharField(
        required=False, max_length=limits.PHONE_MAX_LENGTH, help_text="The person's mobile number (exact)."
    )
    document_type = serializers.ChoiceField(choices=DocumentType.choices, required=False)
    document_number = serializers.CharField(
        required=False, max_length=limits.DOCUMENT_NUMBER_MAX_LENGTH, help_text="With document_type (exact)."
    )
    registered_from = serializers.DateField(required=False)
    registered_to = serializers.DateField(required=False)
    flagged = serializers.BooleanField(required=False, default=False, help_text="Flagged for supervision only.")
    open = serializers.BooleanField(required=False, default=False, help_text="Not closed or not accepted only.")


class LookupSerializer(serializers.Serializer):
    phone = serializers.CharField(required=False, allow_blank=True, max_length=limits.PHONE_MAX_LENGTH)
    document_type = serializers.ChoiceField(choices=DocumentType.choices, required=False)
    document_number = serializers.CharField(
        required=False, allow_blank=True, max_length=limits.DOCUMENT_NUMBER_MAX_LENGTH
    )


class InboxFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=SlipStatus.choices, required=False, help_text="Default: the open ones.")
    hall = serializers.CharField(required=False, max_length=limits.QUERY_MAX_LENGTH, help_text="Code of one hall.")
    overdue = serializers.BooleanField(required=False, default=False)
    include_closed = serializers.BooleanField(required=False, default=False)
