"""Forms of the window's pages: they parse what staff type; the rules are the services' (casework/services.py).

Fields are optional here on purpose: a refusal comes from the service, names the field, and is shown
next to it (``add_service_errors``), so the page, the API and the services say the same thing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casework.choices import (
    WINDOW_CHANNELS,
    ApplicantKind,
    CaseStatus,
    Channel,
    Complexity,
    ExclusionReason,
    FailureKind,
    FeedbackMethod,
    FollowUpMethod,
    HandlingCategory,
    Satisfaction,
)
from casework.selectors import CaseFilters, CaseSort, DueFilter
from casework.services import Registration, SlipDraft
from hallplatform import limits
from hallplatform.personal import DocumentType
from hallplatform.pickers import picker_keys
from tenants.selectors import GROUP_CITY, GROUP_OTHER, GROUP_OWN

# The transfer form's group headings (transfers across halls, 异地转办, come last).
ROUTE_GROUP_LABELS = {
    GROUP_OWN: _("This hall's departments"),
    GROUP_CITY: _("City-level departments"),
    GROUP_OTHER: _("Other halls of the city (异地转办)"),
}

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _blank(choices: Iterable[tuple[str, Any]], label: Any = "") -> list[tuple[str, Any]]:
    return [("", label or "—"), *choices]


def add_service_errors(form: forms.BaseForm, errors: Mapping[str, list[str]], aliases: Mapping[str, str] = {}) -> None:
    """Show a service's refusal on the form, each message on the field it names (``aliases`` maps a
    service's field name to the form's); anything else goes on top of the form."""
    for field, messages in errors.items():
        name = aliases.get(field, field)
        target = name if name in form.fields else None
        for message in messages:
            form.add_error(target, message)


# --- The case list --------------------------------------------------------------------------------


DUE_CHOICES = [("", _("Any")), (DueFilter.OVERDUE, _("Overdue")), (DueFilter.TODAY, _("Due today"))]
SORT_CHOICES = [
    (CaseSort.NEWEST, _("Newest first")),
    (CaseSort.DEADLINE, _("Deadline, overdue first")),
    (CaseSort.OLDEST, _("Oldest first")),
]


class CaseFilterForm(forms.Form):
    mine = forms.BooleanField(label=_("Mine (registered or handled by me)"), required=False)
    due = forms.ChoiceField(label=_("Deadline"), required=False, choices=DUE_CHOICES)
    sort = forms.ChoiceField(label=_("Sort"), required=False, choices=SORT_CHOICES)
    department = forms.TypedChoiceField(
        label=_("Transferred to"), required=False, coerce=int, empty_value=None, choices=[("", _("All"))]
    )
    number = forms.CharField(label=_("NO"), required=False, max_length=40)
    status = forms.ChoiceField(label=_("Status"), required=False, choices=_blank(CaseStatus.choices, _("All")))
    category = forms.ChoiceField(
        label=_("Handling category"), required=False, choices=_blank(HandlingCategory.choices, _("All"))
    )
    channel = forms.ChoiceField(label=_("Channel"), required=False, choices=_blank(Channel.choices, _("All")))
    matter = forms.CharField(label=_("Matter"), required=False, max_length=200)
    phone = forms.CharField(label=_("Contact phone"), required=False, max_length=30)
    document_type = forms.ChoiceField(
        label=_("Document type"), required=False, choices=_blank(DocumentType.choices, _("All"))
    )
    document_number = forms.CharField(label=_("Document number"), required=False, max_length=60)
    registered_from = forms.DateField(label=_("Registered from"), required=False, widget=DATE_INPUT)
    registered_to = forms.DateField(label=_("Registered to"), required=False, widget=DATE_INPUT)
    flagged = forms.BooleanField(label=_("Flagged for supervision"), required=False)
    open_only = forms.BooleanField(label=_("Open cases only"), required=False)

    def __init__(self, *args: Any, departments: Sequence[Any] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["department"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [("", _("All")), *((d.pk, d.name) for d in departments)]

    def filters(self) -> CaseFilters:
        data = self.cleaned_data
        return CaseFilters(
            mine=data["mine"],
            due=data["due"],
            department_id=data["department"],
            sort=data["sort"],
            status=data["status"],
            category=data["category"],
            channel=data["channel"],
            number=data["number"].strip(),
            phone=data["phone"].strip(),
            document_type=data["document_type"],
            document_number=data["document_number"].strip(),
            matter=data["matter"].strip(),
            registered_from=data["registered_from"],
            registered_to=data["registered_to"],
            flagged=data["flagged"],
            open_only=data["open_only"],
        )


class CaseSearchForm(forms.Form):
    """The header's search box: a NO, a phone or ID number, or words of the matter."""

    q = forms.CharField(
        label=_("Find a case"),
        max_length=60,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("NO, phone, ID number or matter"), "autocomplete": "off"}
        ),
    )


# --- Registration (the 登记表 of the annex) -------------------------------------------------------


class RegistrationForm(forms.Form):
    channel = forms.ChoiceField(
        label=_("Channel"), required=False, choices=WINDOW_CHANNELS, widget=forms.RadioSelect, initial=Channel.ON_SITE
    )
    applicant_kind = forms.ChoiceField(
        label=_("Applicant kind"),
        required=False,
        choices=ApplicantKind.choices,
        widget=forms.RadioSelect,
        initial=ApplicantKind.PERSON,
    )
    applicant_name = forms.CharField(label=_("Applicant"), required=False, max_length=limits.NAME_MAX_LENGTH)
    enterprise_name = forms.CharField(label=_("Enterprise name"), required=False, max_length=200)
    phone = forms.CharField(
        label=_("Contact phone"), required=False, max_length=30, widget=forms.TextInput(attrs={"inputmode": "tel"})
    )
    document_type = forms.ChoiceField(
        label=_("Document type"), required=False, choices=DocumentType.choices, initial=DocumentType.RESIDENT_ID
    )
    document_number = forms.CharField(label=_("Document number"), required=False, max_length=60)
    address = forms.CharField(label=_("Applicant's address"), required=False, max_length=300)
    matter_name = forms.CharField(label=_("Matter name"), required=False, max_length=200)
    problem = forms.CharField(
        max_length=limits.TEXT_MAX_LENGTH,
        label=_("Problem reported"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    acceptance_note = forms.CharField(
        max_length=limits.NOTE_MAX_LENGTH,
        label=_("Acceptance notes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    remarks = forms.CharField(
        max_length=limits.NOTE_MAX_LENGTH, label=_("Remarks"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    sms_opt_out = forms.BooleanField(label=_("The person does not want SMS"), required=False)
    failure_kind = forms.ChoiceField(
        label=_("What failed (art. 4)"), required=False, choices=_blank(FailureKind.choices, _("Not recorded"))
    )

    # what the service refuses when empty: marked on the page (the form has ``novalidate``, so the
    # ``required`` attribute tells screen readers without the browser's own messages replacing ours)
    REQUIRED = ("applicant_name", "phone", "document_number", "matter_name", "problem")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in self.REQUIRED:
            self.fields[name].widget.attrs["required"] = True

    def registration(self) -> Registration:
        data = self.cleaned_data
        return Registration(
            channel=data["channel"],
            applicant_kind=data["applicant_kind"],
            applicant_name=data["applicant_name"],
            phone=data["phone"],
            document_type=data["document_type"],
            document_number=data["document_number"],
            matter_name=data["matter_name"],
            problem=data["problem"],
            address=data["address"],
            enterprise_name=data["enterprise_name"],
            acceptance_note=data["acceptance_note"],
            remarks=data["remarks"],
            sms_opt_out=data["sms_opt_out"],
            failure_kind=data["failure_kind"],
        )


# --- Actions on a case page: each carries the case's version (optimistic locking) -------------------


class ActionForm(forms.Form):
    """A step on the case page. ``version`` is the case's version the page was rendered with; the
    service refuses the step (a conflict) if the case has changed since."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    # service field name -> form field name
    aliases: Mapping[str, str] = {}

    def __init__(self, *args: Any, action: str, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"{action.replace('-', '_')}_%s")
        super().__init__(*args, **kwargs)
        self.action = action

    def add_service_errors(self, errors: Mapping[str, list[str]]) -> None:
        add_service_errors(self, errors, self.aliases)


class ScreenOutForm(ActionForm):
    reason = forms.ChoiceField(
        label=_("Reason not accepted"), required=False, choices=_blank(ExclusionReason.choices, _("Choose…"))
    )
    referral = forms.CharField(
        max_length=limits.NOTE_MAX_LENGTH,
        label=_("Referred to (told to the person)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def reason_label(self) -> str:
        """The chosen reason's label (the confirmation says what will be recorded)."""
        value = self.cleaned_data.get("reason", "") if hasattr(self, "cleaned_data") else ""
        return str(dict(ExclusionReason.choices).get(value, ""))


class AnswerForm(ActionForm):
    ON_SPOT = ((HandlingCategory.CONSULTATION, HandlingCategory.CONSULTATION.label),
               (HandlingCategory.CANNOT_DO, HandlingCategory.CANNOT_DO.label))  # fmt: skip

    category = forms.ChoiceField(
        label=_("Handling category"), required=False, choices=ON_SPOT, widget=forms.RadioSelect
    )
    answer = forms.CharField(
        max_length=limits.TEXT_MAX_LENGTH,
        label=_("Answer given (one-time notice)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    policy_basis = forms.CharField(
        max_length=limits.NOTE_MAX_LENGTH,
        label=_("Policy basis"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class TransferForm(ActionForm):
    """One row per department the hall can transfer to: a checkbox (``department``, the department's
    id), what it is asked (``request_<id>``) and how complex it is (``complexity_<id>``)."""

    category = forms.ChoiceField(
        label=_("Handling category"), required=False, choices=_blank(HandlingCategory.choices, _("Choose…"))
    )
    department = forms.MultipleChoiceField(label=_("Departments"), required=False, widget=forms.CheckboxSelectMultiple)
    coordination_note = forms.CharField(
        max_length=limits.NOTE_MAX_LENGTH,
        label=_("Coordination notes (容缺容承, data sharing)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    meeting_requested = forms.BooleanField(label=_("Ask for a joint meeting"), required=False)
    meeting_request_note = forms.CharField(
        max_length=limits.NOTE_MAX_LENGTH,
        label=_("What the joint meeting should settle"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    aliases = {"slips": "department"}

    def __init__(self, *args: Any, departments: Sequence[Any], **kwargs: Any) -> None:
        super().__init__(*args, action="transfer", **kwargs)
        self.departments = list(departments)
        self.fields["department"].choices = [(str(d.pk), d.name) for d in self.departments]  # type: ignore[attr-defined]
        for d in self.departments:
            self.fields[f"request_{d.pk}"] = forms.CharField(
                max_length=limits.NOTE_MAX_LENGTH,
                label=_("What the department is asked to do"),
                required=False,
                widget=forms.TextInput(attrs={"aria-label": _("What is asked of %(name)s") % {"name": d.name}}),
            )
            self.fields[f"complexity_{d.pk}"] = forms.ChoiceField(
                label=_("Complexity"),
                required=False,
                choices=Complexity.choices,
                initial=Complexity.ORDINARY,
                widget=forms.Select(attrs={"aria-label": _("Complexity for %(name)s") % {"name": d.name}}),
            )

    def chosen_ids(self) -> list[int]:
        chosen = {int(value) for value in self.cleaned_data.get("department") or []}
        return [d.pk for d in self.departments if d.pk in chosen]

    def drafts(self) -> list[SlipDraft]:
        return [
            SlipDraft(
                department_id=pk,
                request=self.cleaned_data.get(f"request_{pk}") or "",
                complexity=self.cleaned_data.get(f"complexity_{pk}") or Complexity.ORDINARY,
            )
            for pk in self.chosen_ids()
        ]

    def add_service_errors(self, errors: Mapping[str, list[str]]) -> None:
        """``slips.<i>.<field>`` names the i-th chosen department's row."""
        chosen = self.chosen_ids() if hasattr(self, "cleaned_data") else []
        rest: dict[str, list[str]] = {}
        for key, messages in errors.items():
            parts = key.split(".")
            if len(parts) == 3 and parts[0] == "slips" and parts[1].isdigit() and int(parts[1]) < len(chosen):
                pk, field = chosen[int(parts[1])], parts[2]
                target = f"{field}_{pk}" if field in ("request", "complexity") else "department"
                for message in messages:
                    self.add_error(target, message)
            else:
                rest[key] = messages
        add_service_errors(self, rest, self.aliases)

    def rows(self) -> list[dict[str, Any]]:
        chosen = {str(v) for v in (self["department"].value() or [])}
        rows = []
        previous = None
        for d in self.departments:
            # the routable departments come grouped (tenants.selectors.department_list_routable_from):
            # own hall, city level, other counties (异地转办); a heading row opens each group
            group = getattr(d, "route_group", None)
            rows.append(
                {
                    "department": d,
                    "keys": picker_keys(d.name),  # what the picker's filter box matches (pinyin initials)
                    "checked": str(d.pk) in chosen,
                    "request": self[f"request_{d.pk}"],
                    "complexity": self[f"complexity_{d.pk}"],
                    "group": ROUTE_GROUP_LABELS.get(group) if group is not None and group != previous else None,
                }
            )
            previous = group
        return rows


class RerouteForm(ActionForm):
    """Send a returned slip (``slip``) to another department; ``slip_version`` locks the slip."""

    slip = forms.IntegerField(widget=forms.HiddenInput)
    slip_version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    department = forms.ChoiceField(label=_("Department"), required=False)
    request = forms.CharField(
        max_length=limits.NOTE_MAX_LENGTH,
        label=_("What the department is asked to do"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    complexity = forms.ChoiceField(label=_("Complexity"), required=False, choices=Complexity.choices)

    aliases = {
        "reroute.0.department": "department",
        "reroute.0.request": "request",
        "reroute.0.complexity": "complexity",
    }

    def __init__(self, *args: Any, slip_id: int, departments: Sequence[Any], **kwargs: Any) -> None:
        super().__init__(*args, action=f"reroute-{slip_id}", **kwargs)
        self.slip_id = slip_id
        self.fields["department"].choices = _blank([(str(d.pk), d.name) for d in departments], _("Choose…"))  # type: ignore[attr-defined]

    def clean_department(self) -> int:
        value = self.cleaned_data.get("department")
        return int(value) if value else 0


class WithdrawForm(ActionForm):
    """Withdraw a returned slip (``slip``) that no other department needs to take over."""

    slip = forms.IntegerField(widget=forms.HiddenInput)
    slip_version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    reason = forms.CharField(
        max_length=limits.NOTE_MAX_LENGTH,
        label=_("Why no other department is needed"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, slip_id: int, **kwargs: Any) -> None:
        super().__init__(*args, action=f"withdraw-{slip_id}", **kwargs)
        self.slip_id = slip_id


class SupplementForm(ActionForm):
    note = forms.CharField(
        max_length=limits.NOTE_MAX_LENGTH,
        label=_("Materials received"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class FeedbackForm(ActionForm):
    method = forms.ChoiceField(
        label=_("How the person was told"), required=False, choices=_blank(FeedbackMethod.choices, _("Choose…"))
    )
    content = forms.CharField(
        max_length=limits.TEXT_MAX_LENGTH,
        label=_("What the person was told"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    send_sms = forms.BooleanField(label=_("Also send the result by SMS"), required=False)

    def __init__(self, *args: Any, sms_opt_out: bool = False, landline: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, action="feedback", **kwargs)
        if landline:  # SMS is offered only for mobiles
            del self.fields["send_sms"]
        elif sms_opt_out:
            self.fields["send_sms"].disabled = True
            self.fields["send_sms"].help_text = _("The person asked not to receive SMS.")


class FollowUpForm(ActionForm):
    method = forms.ChoiceField(
        label=_("Follow-up method"), required=False, choices=_blank(FollowUpMethod.choices, _("Choose…"))
    )
    date = forms.DateField(label=_("Follow-up date"), required=False, widget=DATE_INPUT)
    satisfaction = forms.ChoiceField(
        label=_("Satisfaction"), required=False, choices=Satisfaction.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        max_length=limits.NOTE_MAX_LENGTH,
        label=_("Follow-up notes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, action="follow-up", **kwargs)
        self.fields["date"].initial = timezone.localdate()


class ReopenForm(ActionForm):
    reason = forms.CharField(
        max_length=limits.NOTE_MAX_LENGTH,
        label=_("Why it is reopened"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class CloseForm(ActionForm):
    note = forms.CharField(
        max_length=limits.NOTE_MAX_LENGTH,
        label=_("Closing note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class UndoForm(ActionForm):
    """Take back 办结归档 or 不予受理 shortly after it (a recorded reversal): why."""

    reason = forms.CharField(
        max_length=limits.NOTE_MAX_LENGTH,
        label=_("Why it is taken back"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ExtensionDecisionForm(forms.Form):
    """The hall's lead decides a department's request for more time on ``slip`` (延期)."""

    DECISIONS = (("grant", _("Give more time")), ("refuse", _("Refuse")))

    slip = forms.IntegerField(widget=forms.HiddenInput)
    slip_version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    decision = forms.ChoiceField(label=_("Decision"), choices=DECISIONS, widget=forms.RadioSelect, initial="grant")
    days = forms.IntegerField(label=_("Working days more"), required=False, min_value=1, max_value=10)
    reason = forms.CharField(
        max_length=limits.NOTE_MAX_LENGTH,
        label=_("Reason (required to refuse)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, slip_id: int, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"extension_{slip_id}_%s")
        super().__init__(*args, **kwargs)
        self.slip_id = slip_id
        self.action = f"extension-{slip_id}"


def mark_first_error(form: forms.BaseForm) -> str | None:
    """Mark a refused form's invalid fields (``aria-invalid``) and give the first one ``autofocus``, so
    that the page opens at it even without JavaScript (hallplatform/static/hallplatform/forms.js does
    the rest). Returns the first invalid field's name, None if the errors are the form's own."""
    first = None
    for name, field in form.fields.items():
        if name in form.errors and not field.widget.is_hidden:
            field.widget.attrs["aria-invalid"] = "true"
            if first is None:
                first = name
                field.widget.attrs["autofocus"] = True
    return first


class SmsOptOutForm(ActionForm):
    opt_out = forms.BooleanField(label=_("The person does not want SMS"), required=False)


class AmendForm(ActionForm):
    """更正登记: what to correct, and why. The choices start at the case's values; a text left empty
    keeps what was registered (the page shows personal data masked, so it is never prefilled)."""

    channel = forms.ChoiceField(label=_("Channel"), required=False, choices=Channel.choices)
    applicant_kind = forms.ChoiceField(label=_("Applicant kind"), required=False, choices=ApplicantKind.choices)
    applicant_name = forms.CharField(label=_("Applicant"), required=False, max_length=limits.NAME_MAX_LENGTH)
    enterprise_name = forms.CharField(label=_("Enterprise name"), required=False, max_length=200)
    phone = forms.CharField(
        label=_("Contact phone"),
        required=False,
        max_length=limits.PHONE_MAX_LENGTH,
        widget=forms.TextInput(attrs={"inputmode": "tel"}),
    )
    document_type = forms.ChoiceField(label=_("Document type"), required=False, choices=DocumentType.choices)
    document_number = forms.CharField(
        label=_("Document number"), required=False, max_length=limits.DOCUMENT_NUMBER_MAX_LENGTH
    )
    address = forms.CharField(label=_("Applicant's address"), required=False, max_length=limits.ADDRESS_MAX_LENGTH)
    matter_name = forms.CharField(label=_("Matter name"), required=False, max_length=200)
    problem = forms.CharField(
        label=_("Problem reported"),
        required=False,
        max_length=limits.TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    failure_kind = forms.ChoiceField(
        label=_("What failed (art. 4)"), required=False, choices=_blank(FailureKind.choices, _("Not recorded"))
    )
    reason = forms.CharField(
        label=_("Why it is corrected"),
        required=False,
        max_length=limits.NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    CHOICES = ("channel", "applicant_kind", "document_type", "failure_kind")
    TEXTS = ("applicant_name", "enterprise_name", "phone", "document_number", "address", "matter_name", "problem")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, action="amend", **kwargs)
        self.fields["reason"].widget.attrs["required"] = True

    @classmethod
    def initial_of(cls, case: Any) -> dict[str, Any]:
        """The case's values the form starts from: its choices and its (not personal) names."""
        return {
            "version": case.version,
            **{name: getattr(case, name) for name in cls.CHOICES},
            "matter_name": case.matter_name,
            "enterprise_name": case.enterprise_name,
        }

    def changes(self, case: Any) -> dict[str, Any]:
        """What differs from the case: a changed choice or name, a text typed in."""
        data = self.cleaned_data
        changes: dict[str, Any] = {}
        for name in self.CHOICES:
            if data[name] != (getattr(case, name) or ""):
                changes[name] = data[name]
        for name in self.TEXTS:
            value = (data[name] or "").strip()
            if value and value != (getattr(case, name) or ""):
                changes[name] = value
        return changes


class NoteForm(forms.Form):
    """An internal note (内部备注): on the case page, optionally about one of its slips."""

    text = forms.CharField(
        label=_("Internal note"),
        required=False,
        max_length=limits.NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    slip = forms.TypedChoiceField(label=_("About the slip"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args: Any, slips: Sequence[Any] = (), **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "note_%s")
        super().__init__(*args, **kwargs)
        field = self.fields["slip"]
        assert isinstance(field, forms.TypedChoiceField)
        if slips:
            field.choices = [("", _("The case as a whole")), *((slip.pk, slip.number) for slip in slips)]
        else:
            del self.fields["slip"]


class ReassignForm(ActionForm):
    """Another 经办人 for the case: one of the hall's window staff or leads (the service checks)."""

    handler = forms.TypedChoiceField(label=_("New handler"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args: Any, handlers: Sequence[Any], **kwargs: Any) -> None:
        super().__init__(*args, action="reassign", **kwargs)
        self.handlers = list(handlers)
        field = self.fields["handler"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [("", _("Choose…")), *((person.pk, str(person)) for person in handlers)]


def version_error(errors: Mapping[str, list[str]]) -> list[str]:
    """The messages of a conflict or an impossible step (shown on top of the page, nothing changed)."""
    return [*errors.get("version", []), *errors.get("status", [])]


class MeetingDeclineForm(forms.Form):
    """The hall lead declines a request for a joint meeting: why."""

    reason = forms.CharField(label=_("Why the joint meeting is declined"), max_length=limits.NOTE_MAX_LENGTH)
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)


class SupplementRequestForm(ActionForm):
    """The window's own 补正 (casework.services.case_supplement_request): what is missing and by when."""

    note = forms.CharField(
        max_length=limits.NOTE_MAX_LENGTH,
        label=_("Materials to supplement"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    due = forms.DateField(label=_("To be brought by"), required=False, widget=DATE_INPUT)


class RetentionHoldForm(ActionForm):
    """Set or lift the retention hold of a case (casework.retention.case_retention_hold_set)."""

    # the state asked for: set when not held, lift when held (the page sends the opposite of now)
    hold = forms.BooleanField(required=False, widget=forms.HiddenInput)
    reason = forms.CharField(
        max_length=limits.NOTE_MAX_LENGTH,
        label=_("Reason"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class RectificationForm(forms.Form):
    """After a dissatisfied rating by the person: what was rectified and the follow-up call (回访)."""

    note = forms.CharField(
        label=_("What was rectified"), max_length=limits.NOTE_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 3})
    )
    method = forms.ChoiceField(label=_("Follow-up method"), choices=FollowUpMethod.choices)
    satisfaction = forms.ChoiceField(
        label=_("The person's satisfaction at that follow-up"), choices=Satisfaction.choices
    )


class RatingAppealForm(forms.Form):
    """The hall lead sends the person's rating for review (申诉复核)."""

    reason = forms.CharField(
        label=_("Why a review is asked"), max_length=limits.NOTE_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 2})
    )
