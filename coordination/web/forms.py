"""Forms of the city-level pages: they parse what people type; the rules are the services'
(coordination/services.py).

Fields are optional here on purpose: a refusal comes from the service, names the field, and is shown
next to it (``add_service_errors``), so the pages, the API and the services say the same thing. The
selects of departments and halls accept any id for the same reason: "outside the scope of this
meeting" is the service's answer, not a generic "invalid choice".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from coordination.models import InvitationResponse
from coordination.services import CaseRef, MeetingDraft, OrderDraft, ResolutionDraft
from hallindex.models import CaseIndex, SlipIndex
from hallplatform import limits
from hallplatform.pickers import PickerSelect, PickerSelectMultiple
from tenants.models import Department, Hall

DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]
DEFAULT_ROWS = 3
MAX_ROWS = 30


def _int_or_none(value: Any) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isdigit() else None


def _id(value: Any) -> int:
    return int(str(value).strip())


class IdChoiceField(forms.TypedChoiceField):
    """A select of ids. Any id is accepted here; whether it may be chosen is the service's rule."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(coerce=_id, empty_value=None, required=False, **kwargs)

    def valid_value(self, value: Any) -> bool:
        return True


class IdMultipleChoiceField(forms.TypedMultipleChoiceField):
    """A multi-select of ids; as ``IdChoiceField``, the service decides which are allowed."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(coerce=_id, required=False, **kwargs)

    def valid_value(self, value: Any) -> bool:
        return True


def department_choices(
    departments: Iterable[Department], first_hall_id: int | None = None
) -> list[tuple[str, list[tuple[int, str]]]]:
    """Departments grouped by hall (<optgroup>): ``first_hall_id``'s first (the convening hall's own),
    then the city's, then the counties'."""
    groups: dict[int, tuple[Hall, list[tuple[int, str]]]] = {}
    for department in departments:
        hall = department.hall
        groups.setdefault(hall.pk, (hall, []))[1].append((department.pk, department.name))
    ordered = sorted(
        groups.values(), key=lambda item: (item[0].pk != first_hall_id, item[0].level != "city", item[0].region_code)
    )
    return [(hall.name, sorted(rows, key=lambda row: row[1])) for hall, rows in ordered]


def add_service_errors(form: forms.BaseForm, errors: Mapping[str, list[str]], aliases: Mapping[str, str] = {}) -> None:
    """Show a service's refusal on the form, each message on the field it names; the rest on top."""
    for field, messages in errors.items():
        name = aliases.get(field, field)
        target = name if name in form.fields else None
        for message in messages:
            form.add_error(target, message)


def blocking_errors(errors: Mapping[str, list[str]]) -> list[str]:
    """A conflict (someone changed it meanwhile) or an impossible step: shown on top, nothing changed."""
    return [*errors.get("version", []), *errors.get("status", [])]


# --- Joint meetings --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseLine:
    line: int  # 1-based, as the person sees it
    number: str
    summary: str


def parse_case_lines(text: str) -> list[CaseLine]:
    """``NO`` or ``NO | summary``, one a line; blank lines are skipped."""
    lines = []
    for i, raw in enumerate((text or "").splitlines(), start=1):
        number, _sep, summary = raw.partition("|")
        if number.strip():
            lines.append(CaseLine(line=i, number=number.strip(), summary=summary.strip()))
    return lines


PICKER_LABEL = _("Find a department (name or pinyin initials, e.g. rsj)")


class ConveneForm(forms.Form):
    subject = forms.CharField(label=_("Subject"), required=False, max_length=200)
    starts_at = forms.DateTimeField(
        label=_("Time"), required=False, widget=DATETIME_INPUT, input_formats=DATETIME_FORMATS
    )
    place = forms.CharField(label=_("Place"), required=False, max_length=200)
    online_link = forms.URLField(
        label=_("Online link"), required=False, max_length=200, assume_scheme="https", widget=forms.URLInput
    )
    lead_department = IdChoiceField(
        label=_("Lead unit (牵头单位)"), widget=PickerSelect(attrs={"data-picker-label": PICKER_LABEL})
    )
    lead_is_hall = forms.BooleanField(label=_("The convening hall leads"), required=False)
    departments = IdMultipleChoiceField(
        label=_("Participating departments"),
        widget=PickerSelectMultiple(attrs={"size": 12, "data-picker-label": PICKER_LABEL}),
    )
    halls = IdMultipleChoiceField(
        label=_("Participating halls"),
        widget=PickerSelectMultiple(attrs={"size": 6, "data-picker-label": _("Find a hall (name or pinyin initials)")}),
    )
    cases = forms.CharField(
        label=_("Cases (one NO a line; optionally “| summary without personal data”)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "440229-2026-00017 | 参保记录跨县不一致"}),
    )
    agenda = forms.CharField(
        max_length=limits.TEXT_MAX_LENGTH, label=_("Agenda"), required=False, widget=forms.Textarea(attrs={"rows": 5})
    )

    def __init__(
        self,
        *args: Any,
        departments: Iterable[Department],
        halls: Sequence[Hall],
        first_hall_id: int | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        grouped = department_choices(departments, first_hall_id)
        lead = self.fields["lead_department"]
        assert isinstance(lead, forms.ChoiceField)
        lead.choices = [("", gettext("Choose…")), *grouped]
        chosen = self.fields["departments"]
        assert isinstance(chosen, forms.ChoiceField)
        chosen.choices = grouped
        hall_field = self.fields["halls"]
        assert isinstance(hall_field, forms.ChoiceField)
        hall_field.choices = [(hall.pk, hall.name) for hall in halls]

    def case_lines(self) -> list[CaseLine]:
        return parse_case_lines(self.cleaned_data.get("cases") or "")

    def draft(self, found: Mapping[str, CaseIndex]) -> MeetingDraft:
        """The meeting as typed. A NO not found among the scope's cases goes to the service as an
        impossible reference, so its refusal comes with every other one, and nothing is saved."""
        data = self.cleaned_data
        refs = []
        for line in self.case_lines():
            row = found.get(line.number)
            refs.append(
                CaseRef(hall_id=row.hall_id, case_id=row.case_id, summary=line.summary)
                if row is not None
                else CaseRef(hall_id=0, case_id=0, summary=line.summary)
            )
        return MeetingDraft(
            subject=data["subject"],
            starts_at=data["starts_at"],
            agenda=data["agenda"],
            lead_department_id=data["lead_department"],
            lead_is_hall=data["lead_is_hall"],
            place=data["place"],
            online_link=data["online_link"],
            department_ids=list(data["departments"]),
            hall_ids=list(data["halls"]),
            cases=refs,
        )

    def add_service_errors(self, errors: Mapping[str, list[str]]) -> None:
        """``cases.<i>`` names the i-th case line: the message says which line and NO."""
        lines = self.case_lines() if hasattr(self, "cleaned_data") else []
        rest: dict[str, list[str]] = {}
        for key, messages in errors.items():
            head, _sep, index = key.partition(".")
            if head == "cases" and index.isdigit() and int(index) < len(lines):
                line = lines[int(index)]
                for message in messages:
                    self.add_error(
                        "cases",
                        gettext("Line %(line)d (%(number)s): %(message)s")
                        % {"line": line.line, "number": line.number, "message": message},
                    )
            else:
                rest[key] = messages
        add_service_errors(self, rest)


class RespondForm(forms.Form):
    invitation = forms.IntegerField(widget=forms.HiddenInput)
    response = forms.ChoiceField(
        label=_("Answer"),
        required=False,
        choices=[(InvitationResponse.ACCEPTED, _("Accept")), (InvitationResponse.DECLINED, _("Decline"))],
    )
    note = forms.CharField(label=_("Note (why you decline)"), required=False, max_length=200)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


@dataclass
class ResolutionRow:
    index: int
    owner_department: forms.BoundField
    action: forms.BoundField
    days: forms.BoundField


class MinutesForm(forms.Form):
    """The minutes, the outcome, and resolutions in rows ``resolutions-<i>-owner_department``,
    ``resolutions-<i>-action``, ``resolutions-<i>-days``; a row left blank is no resolution."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    rows = forms.CharField(widget=forms.HiddenInput, required=False)  # how many rows the page shows
    minutes = forms.CharField(
        max_length=limits.TEXT_MAX_LENGTH,
        label=_("Minutes (纪要)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
    )
    outcome = forms.CharField(
        max_length=limits.TEXT_MAX_LENGTH, label=_("Outcome"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, departments: Iterable[Department], rows: int = DEFAULT_ROWS, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.row_count = max(1, min(rows, MAX_ROWS))
        self.fields["rows"].initial = self.row_count
        grouped = department_choices(departments)
        for i in range(self.row_count):
            self.fields[f"resolutions-{i}-owner_department"] = IdChoiceField(
                label=_("Owner department"), choices=[("", gettext("Choose…")), *grouped]
            )
            self.fields[f"resolutions-{i}-action"] = forms.CharField(
                max_length=limits.NOTE_MAX_LENGTH,
                label=_("What must be done"),
                required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
            self.fields[f"resolutions-{i}-days"] = forms.CharField(
                label=_("Working days"),
                required=False,
                max_length=4,
                widget=forms.NumberInput(attrs={"min": 1, "max": 60, "step": 1}),
            )

    @staticmethod
    def rows_in(data: Mapping[str, Any], default: int = DEFAULT_ROWS) -> int:
        """How many rows the submitted (or asked-for) form has."""
        count = _int_or_none(data.get("rows"))
        return max(1, min(count if count is not None else default, MAX_ROWS))

    def row_fields(self) -> list[ResolutionRow]:
        return [
            ResolutionRow(
                index=i,
                owner_department=self[f"resolutions-{i}-owner_department"],
                action=self[f"resolutions-{i}-action"],
                days=self[f"resolutions-{i}-days"],
            )
            for i in range(self.row_count)
        ]

    def _filled_rows(self) -> list[int]:
        data = self.cleaned_data
        return [
            i
            for i in range(self.row_count)
            if data.get(f"resolutions-{i}-owner_department") is not None
            or (data.get(f"resolutions-{i}-action") or "").strip()
            or (data.get(f"resolutions-{i}-days") or "").strip()
        ]

    def resolutions(self) -> list[ResolutionDraft]:
        data = self.cleaned_data
        drafts = []
        for i in self._filled_rows():
            days_text = (data.get(f"resolutions-{i}-days") or "").strip()
            drafts.append(
                ResolutionDraft(
                    owner_department_id=data.get(f"resolutions-{i}-owner_department"),
                    action=data.get(f"resolutions-{i}-action") or "",
                    days=int(days_text) if days_text.isdigit() else None,
                )
            )
        return drafts

    def add_service_errors(self, errors: Mapping[str, list[str]]) -> None:
        """``resolutions.<k>.<field>`` names the k-th filled row: shown on that row's field."""
        filled = self._filled_rows() if hasattr(self, "cleaned_data") else []
        rest: dict[str, list[str]] = {}
        for key, messages in errors.items():
            parts = key.split(".")
            if len(parts) == 3 and parts[0] == "resolutions" and parts[1].isdigit() and int(parts[1]) < len(filled):
                name = f"resolutions-{filled[int(parts[1])]}-{parts[2]}"
                for message in messages:
                    self.add_error(name if name in self.fields else None, message)
            else:
                rest[key] = messages
        add_service_errors(self, rest)


class ResolutionDoneForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    report = forms.CharField(
        max_length=limits.TEXT_MAX_LENGTH,
        label=_("What was done"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class VersionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


# --- Supervision orders ----------------------------------------------------------------------------


class OrderForm(forms.Form):
    target_hall = IdChoiceField(label=_("Addressed to (hall)"))
    target_department = IdChoiceField(label=_("Addressed to (department, optional)"))
    case_number = forms.CharField(label=_("Case NO (optional)"), required=False, max_length=40)
    slip_number = forms.CharField(label=_("Transfer slip NO (optional)"), required=False, max_length=40)
    reason = forms.CharField(
        max_length=limits.NOTE_MAX_LENGTH,
        label=_("Reason for the order"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    required_action = forms.CharField(
        max_length=limits.NOTE_MAX_LENGTH,
        label=_("Required action"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    days = forms.CharField(
        label=_("Deadline (working days)"),
        required=False,
        max_length=4,
        widget=forms.NumberInput(attrs={"min": 1, "max": 60, "step": 1}),
    )

    aliases = {"case": "case_number", "slip": "slip_number"}

    def __init__(self, *args: Any, departments: Iterable[Department], halls: Sequence[Hall], **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        hall_field = self.fields["target_hall"]
        assert isinstance(hall_field, forms.ChoiceField)
        hall_field.choices = [("", gettext("Choose…")), *((hall.pk, hall.name) for hall in halls)]
        department_field = self.fields["target_department"]
        assert isinstance(department_field, forms.ChoiceField)
        department_field.choices = [("", gettext("— the hall itself (its lead) —")), *department_choices(departments)]

    def draft(self, *, case: CaseIndex | None, slip: SlipIndex | None) -> OrderDraft:
        """The order as typed; a NO typed but not found goes to the service as an impossible
        reference (its refusal names the field, with every other one)."""
        data = self.cleaned_data
        case_ref = None
        if data["case_number"].strip():
            case_ref = CaseRef(hall_id=case.hall_id, case_id=case.case_id) if case else CaseRef(hall_id=0, case_id=0)
        slip_id = None
        if data["slip_number"].strip():
            slip_id = slip.pk if slip is not None else 0
        return OrderDraft(
            target_hall_id=data["target_hall"],
            target_department_id=data["target_department"],
            reason=data["reason"],
            required_action=data["required_action"],
            days=_int_or_none(data["days"]),
            case=case_ref,
            slip_id=slip_id,
        )

    def add_service_errors(self, errors: Mapping[str, list[str]]) -> None:
        add_service_errors(self, errors, self.aliases)


class OrderRespondForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    response = forms.CharField(
        max_length=limits.TEXT_MAX_LENGTH, label=_("Response"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class OrderSendBackForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    note = forms.CharField(
        max_length=limits.NOTE_MAX_LENGTH,
        label=_("Why the response is not enough"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class AssignForm(forms.Form):
    handler = IdChoiceField(label=_("Handler"))

    def __init__(self, *args: Any, handlers: Iterable[Any], **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        field = self.fields["handler"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", gettext("Choose…")), *((user.pk, str(user)) for user in handlers)]


class MeetingDeclineForm(forms.Form):
    """A supervisor declines a request for a joint meeting: why."""

    reason = forms.CharField(label=_("Why the joint meeting is declined"), max_length=limits.NOTE_MAX_LENGTH)


class RatingAppealDecisionForm(forms.Form):
    """The city supervisor's decision on a rating sent for review (申诉复核)."""

    decision = forms.ChoiceField(
        label=_("Decision"), choices=[("keep", _("Keep the rating")), ("void", _("Void the rating"))]
    )
    reason = forms.CharField(label=_("Reason of the decision"), max_length=limits.NOTE_MAX_LENGTH)
