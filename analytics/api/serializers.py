"""Statistics API serializers: the figures of a period (analytics.selectors.Figures.as_dict), the
recurring problems, and improvement suggestions with the departments' answers.

Inputs check types only; every rule is the services' (a refusal names the same fields: ``department``,
``finding``, ``suggestion``, ``answer``). Outputs are public-schema facts: counts, rates, working
minutes, departments and halls; nothing that identifies a person.
"""

from __future__ import annotations

from rest_framework import serializers

from analytics.models import ImprovementSuggestion
from hallplatform import limits

# --- Query ----------------------------------------------------------------------------------------


class PeriodQuerySerializer(serializers.Serializer):
    month = serializers.CharField(required=False, max_length=7, help_text="A calendar month, YYYY-MM.")
    first = serializers.DateField(required=False, help_text="First day of a range (a range wins over a month).")
    last = serializers.DateField(required=False, help_text="Last day of the range, inclusive.")
    city = serializers.IntegerField(
        required=False, help_text="On the base domain, for a supervisor of several cities: the city's id."
    )
    refresh = serializers.ChoiceField(
        choices=["1"],
        required=False,
        help_text="1: count the figures now instead of using those counted in the last STATS_MAX_AGE_SECONDS.",
    )


class ProblemsQuerySerializer(PeriodQuerySerializer):
    limit = serializers.IntegerField(required=False, min_value=1, max_value=50, default=10)


# --- Figures --------------------------------------------------------------------------------------


class PeriodSerializer(serializers.Serializer):
    first = serializers.DateField()
    last = serializers.DateField(help_text="Inclusive.")


class ScopeSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="hall or city")
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()


class MatterSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="The matter's grouped spelling (hallindex.matters.matter_key).")
    name = serializers.CharField(help_text="Its most common spelling.")
    cases = serializers.IntegerField()
    transferred = serializers.IntegerField(help_text="Not done on the spot (transferred).")
    flagged = serializers.IntegerField(help_text="Flagged for supervision (不给办).")
    unsatisfied = serializers.IntegerField(help_text="Dissatisfied or very dissatisfied at follow-up.")


class DepartmentFiguresSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    hall = serializers.CharField(help_text="Name of the hall it is stationed in.")
    slips = serializers.IntegerField(help_text="Transfer slips sent to it in the period.")
    replied = serializers.IntegerField()
    returned = serializers.IntegerField(help_text="Returned as not its business (and re-routed).")
    on_time = serializers.IntegerField()
    late = serializers.IntegerField(help_text="Replied late, overdue now, or paused when already late.")
    flagged = serializers.IntegerField()
    on_time_rate = serializers.FloatField(allow_null=True, help_text="Percent of on time among on time and late.")
    band = serializers.CharField(allow_null=True, help_text="good (≥ 95%), middle (≥ 80%), attention, or null.")


class StageSerializer(serializers.Serializer):
    total = serializers.IntegerField(help_text="On time plus late.")
    on_time = serializers.IntegerField()
    late = serializers.IntegerField()
    open_overdue = serializers.IntegerField(help_text="Of those, still open and past due now.")
    on_time_rate = serializers.FloatField(allow_null=True)
    median_minutes = serializers.FloatField(allow_null=True, help_text="Working minutes taken, of the met ones.")
    p90_minutes = serializers.FloatField(allow_null=True, help_text="90th percentile (linear interpolation).")


class HallFiguresSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    cases = serializers.IntegerField()
    on_time_rate = serializers.FloatField(allow_null=True, help_text="Slip replies and feedback, percent.")
    band = serializers.CharField(allow_null=True)


def _counts(help_text: str) -> serializers.DictField:
    return serializers.DictField(child=serializers.IntegerField(), help_text=help_text)


class RatingAppealsSerializer(serializers.Serializer):
    requested = serializers.IntegerField(help_text="Reviews (申诉复核) asked in the period.")
    pending = serializers.IntegerField(help_text="Of those, still waiting for the city supervisor.")
    kept = serializers.IntegerField()
    voided = serializers.IntegerField()


class RectificationFiguresSerializer(serializers.Serializer):
    opened = serializers.IntegerField(help_text="Rectifications (整改) opened in the period.")
    met = serializers.IntegerField()
    on_time = serializers.IntegerField()
    breached = serializers.IntegerField()


class RatingFiguresSerializer(serializers.Serializer):
    """The person's own ratings (好差评 by the person, docs/ratings.md), apart from ``satisfaction``
    (the window's follow-up)."""

    by_level = _counts("Ratings given in the period by level, voided ones left out.")
    by_person = serializers.IntegerField(help_text="Given by the person.")
    by_default = serializers.IntegerField(
        help_text="Given by default (默认好评) 7 natural days after the person was told."
    )
    voided = serializers.IntegerField(help_text="Voided on review.")
    appeals = RatingAppealsSerializer()
    rectifications = RectificationFiguresSerializer()


class FiguresSerializer(serializers.Serializer):
    period = PeriodSerializer()
    cases = serializers.IntegerField(help_text="Cases registered in the period.")
    by_channel = _counts("Cases by channel (on_site, phone, online).")
    by_category = _counts("Cases by handling category.")
    by_failure_kind = _counts(
        "Cases by what failed (art. 4): not_accepted, not_approved, repeated_visits, other (when recorded)."
    )
    by_status = _counts("Cases by their status now.")
    not_accepted = serializers.IntegerField()
    by_exclusion_reason = _counts("Not accepted cases by reason (art. 4).")
    by_result = _counts("Cases by result (done, in_progress, supplement).")
    flagged = serializers.IntegerField()
    repeat_reporters = serializers.IntegerField(help_text="Cases of people who had reported before (a count).")
    reopened = serializers.IntegerField()
    matters = MatterSerializer(many=True)
    departments = DepartmentFiguresSerializer(many=True)
    stages = serializers.DictField(
        child=StageSerializer(), help_text="slip_ordinary, slip_complex, feedback, resolution, order."
    )
    overdue_now = _counts("Deadlines overdue now by kind, whatever their period.")
    follow_up_due = serializers.IntegerField(help_text="Cases told their result (answered or fed back).")
    followed_up = serializers.IntegerField()
    follow_up_rate = serializers.FloatField(allow_null=True)
    satisfaction = _counts("Followed-up cases by their latest rating on the 好差评 scale.")
    ratings = RatingFiguresSerializer(
        help_text="The person's own ratings (好差评), default ratings, reviews and rectifications."
    )
    suggestions_sent = serializers.IntegerField()
    suggestions_answered = serializers.IntegerField()
    halls = HallFiguresSerializer(many=True, help_text="A city's halls (empty for a hall).")


class StatsSerializer(serializers.Serializer):
    scope = ScopeSerializer()
    period = PeriodSerializer()
    previous_period = PeriodSerializer()
    computed_at = serializers.DateTimeField(
        help_text="When these figures were counted: they are kept for STATS_MAX_AGE_SECONDS (default 300)."
    )
    figures = FiguresSerializer()
    previous = FiguresSerializer(help_text="The same figures for the previous period.")


class RecurringMatterSerializer(MatterSerializer):
    previous = serializers.IntegerField(help_text="Cases of the matter in the previous period.")
    trend = serializers.IntegerField(help_text="cases − previous")


class RecurringDepartmentSerializer(DepartmentFiguresSerializer):
    band = None  # type: ignore[assignment]
    failures = serializers.IntegerField(help_text="Late plus returned slips.")
    previous = serializers.IntegerField(help_text="Failures in the previous period.")
    trend = serializers.IntegerField(help_text="failures − previous")


class ProblemsSerializer(serializers.Serializer):
    scope = ScopeSerializer()
    period = PeriodSerializer()
    previous_period = PeriodSerializer()
    computed_at = serializers.DateTimeField(
        help_text="When these figures were counted: they are kept for STATS_MAX_AGE_SECONDS (default 300)."
    )
    matters = RecurringMatterSerializer(many=True)
    departments = RecurringDepartmentSerializer(many=True)


# --- Suggestions ------------------------------------------------------------------------------------


class SuggestionHallSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()


class SuggestionDepartmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    hall = serializers.CharField(source="hall.code", help_text="Code of the hall it is stationed in.")


class SuggestionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    hall = SuggestionHallSerializer(help_text="Sent from this hall (the city hall: from the city).")
    department = SuggestionDepartmentSerializer()
    matter_key = serializers.CharField()
    finding = serializers.CharField()
    suggestion = serializers.CharField()
    status = serializers.CharField(help_text="sent or answered")
    sent_by = serializers.CharField(source="sent_by.display_name")
    sent_at = serializers.DateTimeField()
    answer = serializers.CharField()
    answered_by = serializers.CharField(source="answered_by.display_name", allow_null=True, default=None)
    answered_at = serializers.DateTimeField(allow_null=True)


class SuggestionCreateSerializer(serializers.Serializer):
    department = serializers.IntegerField(required=False, allow_null=True, default=None)
    matter_key = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=limits.max_length_of(ImprovementSuggestion, "matter_key"),
    )
    finding = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        trim_whitespace=False,
        max_length=limits.max_length_of(ImprovementSuggestion, "finding"),
    )
    suggestion = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        trim_whitespace=False,
        max_length=limits.max_length_of(ImprovementSuggestion, "suggestion"),
    )


class SuggestionAnswerSerializer(serializers.Serializer):
    answer = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        trim_whitespace=False,
        max_length=limits.max_length_of(ImprovementSuggestion, "answer"),
    )
