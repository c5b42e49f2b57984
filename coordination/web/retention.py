"""The city's retention period for the personal data of closed cases, set by its supervisor on the
city portal (tenants.services.city_case_retention_set; docs/personal-data.md "Retention")."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from hallplatform.accounts.access import requires_roles
from hallplatform.accounts.models import RoleAssignment, RoleKind
from tenants.models import Hall
from tenants.services import CASE_RETENTION_MAX_DAYS, CASE_RETENTION_MIN_DAYS, city_case_retention_set


class RetentionForm(forms.Form):
    city = forms.IntegerField(widget=forms.HiddenInput)
    days = forms.IntegerField(label=gettext_lazy("Days personal data is kept after closing"), required=False)


def _cities(request: HttpRequest) -> list[Hall]:
    ids = RoleAssignment.objects.filter(user_id=request.user.pk or 0, kind=RoleKind.CITY_SUPERVISOR).values("hall_id")
    return list(Hall.objects.filter(pk__in=ids).order_by("region_code"))


@requires_roles(RoleKind.CITY_SUPERVISOR)
@require_http_methods(["GET", "POST"])
def retention_settings(request: HttpRequest) -> HttpResponse:
    """Each of the supervisor's cities with its period; a POST sets one city's (refused: the page
    again with the error, nothing changed)."""
    cities = _cities(request)
    bound = None
    status = 200
    if request.method == "POST":
        bound = RetentionForm(request.POST)
        if bound.is_valid():
            city = next((c for c in cities if c.pk == bound.cleaned_data["city"]), None)
            try:
                if city is None:
                    raise PermissionDenied(_("Only the city's supervisor may set its retention period."))
                city_case_retention_set(city=city, actor=request.user, days=bound.cleaned_data["days"])
            except PermissionDenied:
                status = 404
                messages.error(request, _("Not found."))
            except ValidationError as exc:
                for field, texts in exc.message_dict.items():
                    for text in texts:
                        bound.add_error(field if field in bound.fields else None, text)
                status = 400
            else:
                messages.success(request, _("The retention period is saved."))
                return redirect("portal:retention")
        else:
            status = 400
    rows = [
        (
            city,
            bound
            if bound is not None and bound.data.get("city") == str(city.pk)
            else RetentionForm(initial={"city": city.pk, "days": city.case_retention_days}, auto_id=f"c{city.pk}_%s"),
        )
        for city in cities
    ]
    context = {"rows": rows, "low": CASE_RETENTION_MIN_DAYS, "high": CASE_RETENTION_MAX_DAYS}
    return render(request, "coordination/retention.html", context, status=status)
