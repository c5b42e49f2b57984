"""Forms for office hours, closures and notice files: they parse what people type; the rules are
checked by the services (``*_errors``), so the web page, the admin and the services agree."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from hallplatform.workdays.hours import DAY_KEYS, DAY_LABELS, Schedule, format_spans, parse_spans, schedule_errors

SPANS_HELP = _("Time ranges separated by commas, e.g. 08:30-12:00, 14:30-17:30.")


class ScheduleFieldsMixin:
    """One text field per working day (Monday–Friday and the make-up working days)."""

    fields: dict[str, forms.Field]
    cleaned_data: dict[str, Any]

    def add_schedule_fields(self) -> None:
        for key in DAY_KEYS:
            self.fields[key] = forms.CharField(
                label=DAY_LABELS[key], required=False, max_length=200, help_text=SPANS_HELP
            )

    def initial_from_schedule(self, schedule: Mapping[str, Any]) -> dict[str, Any]:
        return {key: format_spans(schedule.get(key, ())) for key in DAY_KEYS}

    def parse_schedule(self) -> tuple[Schedule, dict[str, list[str]]]:
        """The parsed schedule, and the fields that do not parse with their errors."""
        schedule: Schedule = {}
        errors: dict[str, list[str]] = {}
        for key in DAY_KEYS:
            try:
                schedule[key] = parse_spans(self.cleaned_data.get(key) or "")
            except ValueError as exc:
                errors[key] = [str(exc)]
        return schedule, errors


class OfficeHoursForm(ScheduleFieldsMixin, forms.Form):
    """A hall's all-year office hours or one seasonal variant (with dates)."""

    effective_from = forms.DateField(
        label=_("Effective from"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    effective_to = forms.DateField(
        label=_("Effective to"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Inclusive. Leave empty for no end."),
    )

    def __init__(self, *args: Any, seasonal: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_schedule_fields()
        self.seasonal = seasonal
        if not seasonal:
            del self.fields["effective_from"]
            del self.fields["effective_to"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.seasonal and not cleaned.get("effective_from") and not cleaned.get("effective_to"):
            self.add_error("effective_from", _("A seasonal variant needs a start or an end date."))
        schedule, errors = self.parse_schedule()
        if errors:
            # Show at once what the service would also refuse in the days that did parse.
            parsed = {key: spans for key, spans in schedule.items() if key not in errors}
            errors.update({key: msgs for key, msgs in schedule_errors(parsed).items() if key in parsed})
            self.add_error(None, ValidationError(errors))
        else:
            cleaned["schedule"] = schedule
        return cleaned

    @property
    def dates(self) -> tuple[date | None, date | None]:
        return self.cleaned_data.get("effective_from"), self.cleaned_data.get("effective_to")


class ClosureForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    reason = forms.CharField(label=_("Reason"), max_length=200)


class NoticeUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Notice transcription"),
        help_text=_("UTF-8 text in the format of docs/calendar.md, e.g. hallplatform/workdays/notices/2026.txt."),
    )


def add_service_errors(form: forms.BaseForm, errors: Mapping[str, list[str]]) -> None:
    """Show a service's refusal on the form, each message on the field it names."""
    for field, messages in errors.items():
        target = field if field in form.fields else None
        for message in messages:
            form.add_error(target, message)
