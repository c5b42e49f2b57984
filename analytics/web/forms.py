"""Forms of the statistics pages: the period picker, an improvement suggestion, a department's answer.

The period is a calendar month (``month=YYYY-MM``) or a range of dates (``first`` and ``last``,
inclusive; a range wins over a month); nothing given, the current month. Whether a suggestion or
an answer may be saved is the services' rule (analytics/services.py): the forms only carry the
input, and the services' refusals are shown on the fields they name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from analytics.selectors import Period
from analytics.web.scope import period_from
from hallplatform import limits
from tenants.models import Department

_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")


def month_of(text: str) -> Period:
    """The calendar month ``YYYY-MM``; a refusal names the field ``month``."""
    match = _MONTH.match(text.strip())
    if match is None or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 2000:
        raise ValidationError({"month": [_("Enter a month as YYYY-MM.")]})
    return Period.month_of(date(int(match.group(1)), int(match.group(2)), 1))


def period_from_params(params: Mapping[str, Any], *, today: date | None = None) -> Period:
    """The period asked for by ``month`` or ``first``/``last`` (default: the current month).
    Raises ValidationError naming the field."""
    month = str(params.get("month") or "").strip()
    has_range = bool(str(params.get("first") or "").strip() or str(params.get("last") or "").strip())
    if month and not has_range:
        return month_of(month)
    return period_from(params, today=today)


class PeriodForm(forms.Form):
    """The period picker (a GET form)."""

    month = forms.CharField(
        label=gettext_lazy("Month"),
        required=False,
        widget=forms.DateInput(attrs={"type": "month", "placeholder": "YYYY-MM"}),
    )
    first = forms.CharField(
        label=gettext_lazy("First day"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    last = forms.CharField(
        label=gettext_lazy("Last day (inclusive)"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, data: Mapping[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        self.period: Period | None = None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        try:
            self.period = period_from_params(cleaned, today=timezone.localdate())
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                for message in messages:
                    self.add_error(field if field in self.fields else None, message)
        return cleaned

    def chosen(self) -> Period:
        """The valid period asked for, or the current month."""
        if self.is_bound and self.is_valid() and self.period is not None:
            return self.period
        return Period.month_of(timezone.localdate())


def _department_label(department: Department) -> str:
    return f"{department.name}（{department.hall.name}）"


class SuggestionForm(forms.Form):
    """An improvement suggestion (优化意见建议) to a department, drafted from a finding."""

    department = forms.TypedChoiceField(label=gettext_lazy("Department"), coerce=int, empty_value=None, required=False)
    matter_key = forms.CharField(label=gettext_lazy("Matter (grouped)"), max_length=200, required=False, strip=True)
    finding = forms.CharField(
        max_length=limits.TEXT_MAX_LENGTH,
        label=gettext_lazy("Finding"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    suggestion = forms.CharField(
        max_length=limits.TEXT_MAX_LENGTH,
        label=gettext_lazy("Suggestion"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
    )

    def __init__(self, *args: Any, departments: Iterable[Department], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["department"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [("", _("Choose a department")), *((d.pk, _department_label(d)) for d in departments)]
        # a department outside the list is refused by the service, with its own message
        field.valid_value = lambda value: True  # type: ignore[method-assign]

    def add_service_errors(self, errors: Mapping[str, list[str]]) -> None:
        for field, messages in errors.items():
            for message in messages:
                self.add_error(field if field in self.fields else None, message)


class AnswerForm(forms.Form):
    """A department's answer to a suggestion."""

    answer = forms.CharField(
        max_length=limits.TEXT_MAX_LENGTH,
        label=gettext_lazy("The department's answer"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def add_service_errors(self, errors: Mapping[str, list[str]]) -> None:
        for field, messages in errors.items():
            for message in messages:
                self.add_error(field if field in self.fields else None, message)
