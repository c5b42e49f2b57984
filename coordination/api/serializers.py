"""City-level API serializers: inputs parsed to the services' arguments, outputs from public-schema rows.

Inputs check types only; every rule is the services' (a refusal names the same fields as the input:
``lead_department``, ``resolutions.0.days``, ``target_hall``). Outputs carry numbers, matters, units and
states: nothing that identifies the person. The free texts (subject, agenda, summaries, minutes,
resolutions, orders) cross halls, so mobile and ID numbers typed into them are masked.
"""

from __future__ import annotations

from typing import Any

from django.db.models import TextChoices
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from coordination.models import (
    InvitationResponse,
    JointMeeting,
    MeetingCase,
    MeetingInvitation,
    MeetingLevel,
    MeetingResolution,
    MeetingStatus,
    OrderStatus,
    ResolutionStatus,
    SupervisionOrder,
)
from hallplatform import limits
from hallplatform.deadlines.badges import BADGE_COLOURS, deadline_badge
from hallplatform.deadlines.models import DeadlineState
from hallplatform.personal import free_text


def _enum(choices: type[TextChoices], help_text: str = "") -> serializers.ChoiceField:
    """A read-only choice (its enum named in SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"])."""
    return serializers.ChoiceField(choices=choices.choices, read_only=True, help_text=help_text)


class MaskedText(serializers.CharField):
    """A free text shown across halls: mobile and ID numbers masked."""

    def to_representation(self, value: Any) -> str:
        return free_text(str(value or ""), revealed=False)


# --- Shared pieces ---------------------------------------------------------------------------------


class HallRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    level = serializers.CharField(help_text="county or city")


class DepartmentRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    hall = serializers.CharField(source="hall.code", help_text="Code of the hall it is stationed in.")


class StaffRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    display_name = serializers.CharField()


class DeadlineSerializer(serializers.Serializer):
    """A deadline of the engine (working days on the hall's calendar); badge: its colour now."""

    due_at = serializers.DateTimeField()
    state = _enum(DeadlineState)
    provisional = serializers.BooleanField(help_text="The deadline touches a not yet published holiday year.")
    escalation_level = serializers.IntegerField(help_text="Escalation notices sent after the breach.")
    badge = serializers.SerializerMethodField()

    @extend_schema_field(serializers.ChoiceField(choices=BADGE_COLOURS, allow_null=True))
    def get_badge(self, deadline: Any) -> str | None:
        if not deadline.is_live:
            return None
        return str(deadline_badge(deadline).colour)


class VersionSerializer(serializers.Serializer):
    version = serializers.IntegerField(
        min_value=1, help_text="The version as last read: a stale one is answered 409 conflict."
    )


# --- The portal ------------------------------------------------------------------------------------


class CityQuerySerializer(serializers.Serializer):
    city = serializers.CharField(
        required=False,
        max_length=limits.QUERY_MAX_LENGTH,
        help_text="Code of the city, for a supervisor of several cities (e.g. shaoguan).",
    )


class HallOverviewSerializer(serializers.Serializer):
    hall = HallRefSerializer()
    open_cases = serializers.IntegerField()
    flagged_cases = serializers.IntegerField(help_text="Open cases flagged 不给办 for supervision.")
    open_slips = serializers.IntegerField()
    yellow = serializers.IntegerField(help_text="Deadlines in their warning time (临期).")
    red = serializers.IntegerField(help_text="Deadlines overdue (逾期).")
    escalated = serializers.IntegerField(help_text="Breached deadlines escalated beyond the handler.")
    open_orders = serializers.IntegerField(help_text="Supervision orders addressed to the hall, still open.")


class OverviewSerializer(serializers.Serializer):
    city = HallRefSerializer()
    halls = HallOverviewSerializer(many=True)


class FlaggedCaseSerializer(serializers.Serializer):
    """An open case flagged 不给办 (public-schema index: no personal data)."""

    hall = HallRefSerializer()
    case_id = serializers.IntegerField(help_text="The case's id in its hall (the hall's host opens it).")
    number = serializers.CharField()
    matter_name = serializers.CharField()
    handling_category = serializers.CharField()
    status = serializers.CharField()
    registered_at = serializers.DateTimeField()


class RedSlipSerializer(serializers.Serializer):
    """An overdue transfer slip (public-schema index: no personal data)."""

    id = serializers.IntegerField(help_text="The slip's index id (for an order's ``slip``).")
    slip_id = serializers.IntegerField(help_text="The slip's id in its hall.")
    hall = HallRefSerializer()
    slip_number = serializers.CharField()
    case_number = serializers.CharField()
    case_id = serializers.IntegerField()
    department = DepartmentRefSerializer()
    matter_name = serializers.CharField()
    status = serializers.CharField()
    deadline = DeadlineSerializer(allow_null=True)


class ProposalsSerializer(serializers.Serializer):
    city = HallRefSerializer()
    flagged_cases = FlaggedCaseSerializer(many=True)
    red_slips = RedSlipSerializer(many=True)


class DuplicateCaseSerializer(serializers.Serializer):
    hall = HallRefSerializer()
    case_id = serializers.IntegerField()
    number = serializers.CharField()
    matter_name = serializers.CharField(help_text="As the cross-hall index keeps it (masked).")
    status = serializers.CharField()
    registered_at = serializers.DateTimeField()
    linked = serializers.BooleanField(help_text="Linked by a window to another case of the group.")


class DuplicateGroupSerializer(serializers.Serializer):
    linked = serializers.BooleanField(help_text="Every case of the group is linked.")
    halls = serializers.IntegerField()
    cases = DuplicateCaseSerializer(many=True)


class CaseLinkSerializer(serializers.Serializer):
    hall = HallRefSerializer()
    number = serializers.CharField()
    other_hall = HallRefSerializer()
    other_number = serializers.CharField()
    linked_at = serializers.DateTimeField()


class DuplicatesSerializer(serializers.Serializer):
    city = HallRefSerializer()
    window_days = serializers.IntegerField()
    groups = DuplicateGroupSerializer(many=True)
    links = CaseLinkSerializer(many=True)


# --- Joint meetings --------------------------------------------------------------------------------


class MeetingRowSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    level = _enum(MeetingLevel, "hall (convened by a hall lead) or city (by the city bureau)")
    hall = HallRefSerializer(help_text="The convening hall (the city hall for a city meeting).")
    city = HallRefSerializer()
    subject = MaskedText()
    lead_department = DepartmentRefSerializer(allow_null=True)
    lead_is_hall = serializers.BooleanField(help_text="The convening hall leads (no lead department).")
    starts_at = serializers.DateTimeField()
    place = MaskedText()
    online_link = serializers.CharField()
    status = _enum(MeetingStatus)
    status_label = serializers.CharField(source="get_status_display")
    convened_by = StaffRefSerializer()
    convened_at = serializers.DateTimeField()
    held_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    version = serializers.IntegerField()


class InvitationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    department = DepartmentRefSerializer(allow_null=True)
    hall = HallRefSerializer(allow_null=True)
    response = _enum(InvitationResponse)
    response_note = MaskedText()
    responded_at = serializers.DateTimeField(allow_null=True)
    mine = serializers.SerializerMethodField(help_text="The requesting person answers for this invitation.")

    def get_mine(self, invitation: Any) -> bool:
        rights = self.context.get("rights")
        return rights is not None and invitation.pk in rights.invitation_ids


class MeetingCaseSerializer(serializers.Serializer):
    """A case the meeting is about: its NO, the matter and a summary for the participants; its
    content stays in its hall."""

    hall = HallRefSerializer()
    case_id = serializers.IntegerField()
    case_number = serializers.CharField()
    matter_name = serializers.CharField()
    summary = MaskedText()


class ResolutionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    owner_department = DepartmentRefSerializer()
    action = MaskedText()
    days = serializers.IntegerField()
    deadline = DeadlineSerializer(allow_null=True)
    status = _enum(ResolutionStatus)
    report = MaskedText()
    done_at = serializers.DateTimeField(allow_null=True)
    version = serializers.IntegerField()
    mine = serializers.SerializerMethodField(help_text="Owned by one of the requesting person's departments.")

    def get_mine(self, resolution: Any) -> bool:
        rights = self.context.get("rights")
        return rights is None or resolution.pk in rights.resolution_ids


class ResolutionMeetingSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    level = _enum(MeetingLevel)
    subject = MaskedText()
    hall = HallRefSerializer()


class ResolutionRowSerializer(ResolutionSerializer):
    """A resolution in its owner department's list, with its meeting."""

    meeting = ResolutionMeetingSerializer()


class MeetingDetailSerializer(MeetingRowSerializer):
    agenda = MaskedText()
    minutes = MaskedText()
    outcome = MaskedText()
    invitations = InvitationSerializer(many=True)
    cases = MeetingCaseSerializer(many=True)
    resolutions = ResolutionSerializer(many=True)
    can_manage = serializers.SerializerMethodField(
        help_text="The requesting person records the minutes and closes the meeting."
    )

    def get_can_manage(self, meeting: Any) -> bool:
        rights = self.context.get("rights")
        return rights is not None and rights.manage


class CaseRefInputSerializer(serializers.Serializer):
    hall = serializers.IntegerField(help_text="Id of the case's hall.")
    case_id = serializers.IntegerField(help_text="The case's id in its hall.")
    summary = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=limits.max_length_of(MeetingCase, "summary"),
        help_text="What the participants read: no personal data.",
    )


class MeetingConveneSerializer(serializers.Serializer):
    """A joint meeting (rule art. 5(2), 9): the services check what is required and in scope."""

    subject = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=limits.max_length_of(JointMeeting, "subject")
    )
    starts_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    agenda = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=limits.max_length_of(JointMeeting, "agenda")
    )
    lead_department = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="Id of the lead unit (牵头单位)."
    )
    lead_is_hall = serializers.BooleanField(
        required=False, default=False, help_text="The convening hall leads instead of a department."
    )
    place = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=limits.max_length_of(JointMeeting, "place")
    )
    online_link = serializers.URLField(
        required=False, allow_blank=True, default="", max_length=limits.max_length_of(JointMeeting, "online_link")
    )
    departments = serializers.ListField(
        child=serializers.IntegerField(), required=False, default=list, help_text="Ids of invited departments."
    )
    halls = serializers.ListField(
        child=serializers.IntegerField(), required=False, default=list, help_text="Ids of invited halls."
    )
    cases = CaseRefInputSerializer(many=True, required=False, default=list)


class MeetingRespondSerializer(serializers.Serializer):
    invitation = serializers.IntegerField(help_text="Id of the invitation answered (one of the meeting's).")
    response = serializers.CharField(
        max_length=limits.max_length_of(MeetingInvitation, "response"), help_text="accepted or declined"
    )
    note = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=limits.max_length_of(MeetingInvitation, "response_note"),
        help_text="Why, when declining.",
    )


class ResolutionInputSerializer(serializers.Serializer):
    owner_department = serializers.IntegerField(required=False, allow_null=True, default=None)
    action = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=limits.max_length_of(MeetingResolution, "action")
    )
    days = serializers.IntegerField(required=False, allow_null=True, default=None, help_text="Working days.")


class MinutesSerializer(VersionSerializer):
    minutes = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=limits.max_length_of(JointMeeting, "minutes")
    )
    outcome = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=limits.max_length_of(JointMeeting, "outcome")
    )
    resolutions = ResolutionInputSerializer(many=True, required=False, default=list)


class ResolutionFilterSerializer(serializers.Serializer):
    include_done = serializers.BooleanField(required=False, default=False)


class ReportSerializer(VersionSerializer):
    report = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=limits.max_length_of(MeetingResolution, "report"),
        help_text="What was done.",
    )


# --- Supervision orders ----------------------------------------------------------------------------


class OrderCaseSerializer(serializers.Serializer):
    hall = serializers.CharField(source="case_hall.code")
    case_id = serializers.IntegerField()
    case_number = serializers.CharField()


class OrderSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    city = HallRefSerializer()
    issuing_hall = HallRefSerializer()
    issued_by = StaffRefSerializer()
    issued_at = serializers.DateTimeField()
    target_hall = HallRefSerializer()
    target_department = DepartmentRefSerializer(allow_null=True)
    case = serializers.SerializerMethodField()
    slip_number = serializers.CharField(source="slip.slip_number", allow_null=True, default=None)
    reason = MaskedText()
    required_action = MaskedText()
    days = serializers.IntegerField()
    deadline = DeadlineSerializer(allow_null=True)
    status = _enum(OrderStatus)
    status_label = serializers.CharField(source="get_status_display")
    response = MaskedText()
    responded_at = serializers.DateTimeField(allow_null=True)
    accepted_at = serializers.DateTimeField(allow_null=True)
    version = serializers.IntegerField()

    @extend_schema_field(OrderCaseSerializer(allow_null=True))
    def get_case(self, order: Any) -> dict[str, Any] | None:
        if not order.case_id:
            return None
        return {"hall": order.case_hall.code, "case_id": order.case_id, "case_number": order.case_number}


class OrderDetailSerializer(OrderSerializer):
    can_respond = serializers.SerializerMethodField(help_text="The requesting person answers for the addressee.")
    can_decide = serializers.SerializerMethodField(help_text="The requesting person accepts or sends it back.")

    def get_can_respond(self, order: Any) -> bool:
        return bool(self.context["rights"].respond)

    def get_can_decide(self, order: Any) -> bool:
        return bool(self.context["rights"].decide)


class OrderFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=OrderStatus.choices, required=False, help_text="Only this status.")


class OrderIssueSerializer(serializers.Serializer):
    """A supervision order (督办单): the services check what is required and in the issuer's city."""

    target_hall = serializers.IntegerField(required=False, allow_null=True, default=None)
    target_department = serializers.IntegerField(required=False, allow_null=True, default=None)
    reason = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=limits.max_length_of(SupervisionOrder, "reason")
    )
    required_action = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=limits.max_length_of(SupervisionOrder, "required_action"),
    )
    days = serializers.IntegerField(required=False, allow_null=True, default=None, help_text="Working days.")
    case = CaseRefInputSerializer(required=False, allow_null=True, default=None)
    slip = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="Index id of a transfer slip (a red-card slip)."
    )


class OrderRespondSerializer(VersionSerializer):
    response = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=limits.max_length_of(SupervisionOrder, "response"),
        help_text="What was done.",
    )


class OrderRejectSerializer(VersionSerializer):
    note = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=limits.NOTE_MAX_LENGTH,
        help_text="Why it is not enough.",
    )


# --- Slip assignment -------------------------------------------------------------------------------


class SlipAssignSerializer(serializers.Serializer):
    handler = serializers.IntegerField(help_text="User id of a handler of the slip's department.")


class SlipAssignedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slip_number = serializers.CharField()
    hall = serializers.CharField(source="hall.code")
    department = DepartmentRefSerializer()
    assigned_to = StaffRefSerializer(allow_null=True)
