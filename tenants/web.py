"""The city's routing setting (异地转办) on the base domain, for its supervisor (docs/city-guide.md)."""

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
from tenants.models import Hall, RoutingScope
from tenants.selectors import city_routing_for, hall_list_for_city
from tenants.services import city_routing_set


def supervised_city(*, actor: Any, wanted: str) -> tuple[Hall, list[Hall]]:
    """The city the supervisor asked for (``?city=<id>``, else their first), and all of theirs; 404 if none."""
    ids = RoleAssignment.objects.filter(user_id=actor.pk or 0, kind=RoleKind.CITY_SUPERVISOR).values_list(
        "hall_id", flat=True
    )
    cities = list(Hall.objects.filter(pk__in=list(ids)).order_by("region_code"))
    chosen = [city for city in cities if city.pk == int(wanted)] if wanted.isdigit() else cities
    if not chosen:
        raise Http404
    return chosen[0], cities


class CityRoutingForm(forms.Form):
    scope = forms.ChoiceField(label=gettext_lazy("Who may transfer to whom"), choices=RoutingScope.choices)
    pairs = forms.MultipleChoiceField(
        label=gettext_lazy("Allowed pairs (sending hall → receiving hall)"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, halls: list[Hall], **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        field = self.fields["pairs"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = [(f"{a.pk}-{b.pk}", f"{a.name} → {b.name}") for a in halls for b in halls if a.pk != b.pk]

    def pair_ids(self) -> list[tuple[int, int]]:
        return [tuple(int(part) for part in value.split("-")) for value in self.cleaned_data["pairs"]]  # type: ignore[misc]


@requires_roles(RoleKind.CITY_SUPERVISOR)
@require_http_methods(["GET", "POST"])
def city_routing(request: HttpRequest) -> HttpResponse:
    """Which halls of the city may transfer to which halls' departments (city supervisor; audited)."""
    city, cities = supervised_city(actor=request.user, wanted=request.GET.get("city", ""))
    halls = list(hall_list_for_city(city_id=city.pk))
    routing = city_routing_for(city_id=city.pk)
    if request.method == "POST":
        form = CityRoutingForm(request.POST, halls=halls)
        if form.is_valid():
            try:
                changed = city_routing_set(
                    city=city, actor=request.user, scope=form.cleaned_data["scope"], pairs=form.pair_ids()
                )
            except ValidationError as exc:
                for field, texts in exc.message_dict.items():
                    for text in texts:
                        form.add_error(field if field in form.fields else None, text)
            else:
                messages.success(request, _("The routing setting is saved.") if changed else _("Nothing changed."))
                return redirect(f"{request.path}?city={city.pk}")
    else:
        form = CityRoutingForm(
            initial={"scope": routing.scope, "pairs": [f"{a}-{b}" for a, b in routing.pairs]}, halls=halls
        )
    return render(request, "tenants/city_routing.html", {"form": form, "city": city, "cities": cities})
