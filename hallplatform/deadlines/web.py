"""Escalation settings pages (docs/deadlines.md): the hall lead's for their hall on its host, the city
supervisor's for the city's defaults on the base domain. Views parse, call one service, render."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from hallplatform.accounts.access import requires_roles
from hallplatform.accounts.models import RoleAssignment, RoleKind
from hallplatform.deadlines.models import EscalationLevel
from hallplatform.deadlines.policies import (
    Escalation,
    Settings,
    city_escalation_defaults_set,
    city_settings_for,
    escalation_settings_for,
    escalation_settings_set,
    level_labels,
)
from tenants.models import Hall

CHAIN_STEPS = len(EscalationLevel.values)
_NONE = [("", "—")]


class EscalationForm(forms.Form):
    """The escalation chain as ordered choices (one per step), the step, who is told at the yellow
    warning, and the warning share; the rules are the service's (hallplatform/deadlines/policies.py)."""

    own = forms.BooleanField(label=gettext_lazy("This hall sets its own escalation"), required=False)
    step_minutes = forms.IntegerField(label=gettext_lazy("Working minutes to the next level"), required=False)
    warning_levels = forms.MultipleChoiceField(
        label=gettext_lazy("Told at the yellow warning"),
        choices=EscalationLevel.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    warning_share = forms.FloatField(
        label=gettext_lazy("Share of the working time before the yellow warning"),
        required=False,
        help_text=gettext_lazy("Between 0.01 and 0.99, e.g. 0.75. Empty: the default."),
    )

    def __init__(self, *args: Any, city: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if city:
            del self.fields["own"]
        for step in range(1, CHAIN_STEPS + 1):
            self.fields[f"chain_{step}"] = forms.ChoiceField(
                label=gettext_lazy("Level %(step)d") % {"step": step},
                choices=_NONE + list(EscalationLevel.choices),
                required=False,
            )

    @property
    def chain_fields(self) -> list[forms.BoundField]:
        return [self[f"chain_{step}"] for step in range(1, CHAIN_STEPS + 1)]

    def chain(self) -> list[str]:
        return [
            self.cleaned_data[f"chain_{step}"]
            for step in range(1, CHAIN_STEPS + 1)
            if self.cleaned_data.get(f"chain_{step}")
        ]

    def add_service_errors(self, errors: dict[str, list[str]]) -> None:
        for field, texts in errors.items():
            target = "chain_1" if field == "chain" else field if field in self.fields else None
            for text in texts:
                self.add_error(target, text)


def _initial(escalation: Escalation, warning_share: float | None, *, own: bool | None = None) -> dict[str, Any]:
    initial: dict[str, Any] = {
        "step_minutes": escalation.step_minutes,
        "warning_levels": list(escalation.warning_levels),
        "warning_share": warning_share,
    }
    if own is not None:
        initial["own"] = own
    for step, level in enumerate(escalation.chain, start=1):
        initial[f"chain_{step}"] = level
    return initial


def _context(settings: Settings, form: EscalationForm, **extra: Any) -> dict[str, Any]:
    default = settings.default
    return {
        "form": form,
        "settings": settings,
        "default_chain": level_labels(default.chain),
        "default_warning_levels": level_labels(default.warning_levels),
        "default_step": default.step_minutes,
        "default_share": settings.default_warning_share,
        **extra,
    }


def _save(request: HttpRequest, form: EscalationForm, perform: Any) -> bool:
    if not form.is_valid():
        return False
    try:
        changed = perform(form)
    except ValidationError as exc:
        form.add_service_errors(exc.message_dict)
        return False
    messages.success(request, _("The escalation settings are saved.") if changed else _("Nothing changed."))
    return True


@requires_roles(RoleKind.HALL_LEAD)
@require_http_methods(["GET", "POST"])
def hall_escalation(request: HttpRequest) -> HttpResponse:
    """The hall's escalation chain, step, who is told at the yellow warning, and warning share, with
    the city's defaults beside them (hall lead; audited)."""
    hall: Hall = request.tenant  # type: ignore[attr-defined]
    settings = escalation_settings_for(hall=hall)
    if request.method == "POST":
        form = EscalationForm(request.POST)

        def perform(form: EscalationForm) -> bool:
            data = form.cleaned_data
            return escalation_settings_set(
                hall=hall,
                actor=request.user,
                own=data["own"],
                chain=form.chain(),
                step_minutes=data["step_minutes"],
                warning_levels=list(data["warning_levels"]),
                warning_share=data["warning_share"],
            )

        if _save(request, form, perform):
            return redirect("escalation:hall")
    else:
        form = EscalationForm(
            initial=_initial(settings.own or settings.default, settings.warning_share, own=settings.own is not None)
        )
    return render(request, "deadlines/escalation_settings.html", _context(settings, form, city=None))


def _city(request: HttpRequest) -> tuple[Hall, list[Hall]]:
    ids = RoleAssignment.objects.filter(user_id=request.user.pk or 0, kind=RoleKind.CITY_SUPERVISOR).values_list(
        "hall_id", flat=True
    )
    cities = list(Hall.objects.filter(pk__in=list(ids)).order_by("region_code"))
    wanted = request.GET.get("city", "")
    cities_wanted = [city for city in cities if city.pk == int(wanted)] if wanted.isdigit() else cities
    if not cities_wanted:
        raise Http404
    return cities_wanted[0], cities


@requires_roles(RoleKind.CITY_SUPERVISOR)
@require_http_methods(["GET", "POST"])
def city_escalation(request: HttpRequest) -> HttpResponse:
    """The city's defaults for its halls (city supervisor; audited), the built-in ones beside them."""
    city, cities = _city(request)
    settings = city_settings_for(city=city)
    if request.method == "POST":
        form = EscalationForm(request.POST, city=True)

        def perform(form: EscalationForm) -> bool:
            data = form.cleaned_data
            return city_escalation_defaults_set(
                city=city,
                actor=request.user,
                chain=form.chain(),
                step_minutes=data["step_minutes"],
                warning_levels=list(data["warning_levels"]),
                warning_share=data["warning_share"],
            )

        if _save(request, form, perform):
            return redirect(f"{request.path}?city={city.pk}")
    else:
        current = settings.own or settings.default
        form = EscalationForm(
            initial=_initial(current, settings.warning_share or settings.default_warning_share), city=True
        )
    return render(request, "deadlines/escalation_settings.html", _context(settings, form, city=city, cities=cities))
