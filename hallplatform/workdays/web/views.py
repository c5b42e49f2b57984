"""Office hours and closures of a hall, on the hall's host; the hall lead edits them."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from hallplatform.accounts.access import requires_roles
from hallplatform.accounts.models import RoleKind
from hallplatform.workdays.forms import ClosureForm, OfficeHoursForm, add_service_errors
from hallplatform.workdays.hours import DAY_KEYS, DAY_LABELS, DEFAULT_SCHEDULE, format_spans, schedule_from_json
from hallplatform.workdays.models import HallClosure, OfficeHoursSeason
from hallplatform.workdays.selectors import closure_list_for_hall, office_hours_list_for_hall
from hallplatform.workdays.services import closure_add, closure_remove, office_hours_remove, office_hours_set

# Closures of the last year are listed with the future ones.
CLOSURES_SHOWN_DAYS = 366


def _rows(schedule: dict[str, tuple]) -> list[tuple[str, str]]:
    return [(str(DAY_LABELS[key]), format_spans(schedule.get(key, ()))) for key in DAY_KEYS]


def _overview(request: HttpRequest, *, hours_form: OfficeHoursForm, closure_form: ClosureForm) -> HttpResponse:
    hall_id = request.hall_route.hall_id  # type: ignore[attr-defined]
    seasons = office_hours_list_for_hall(hall_id=hall_id)
    today = timezone.localdate()
    return render(
        request,
        "workdays/office_hours.html",
        {
            "has_own_base": any(season.is_base for season in seasons),
            "default_rows": _rows(DEFAULT_SCHEDULE),
            "seasons": [(season, _rows(schedule_from_json(season.hours))) for season in seasons if not season.is_base],
            "hours_form": hours_form,
            "closure_form": closure_form,
            "closures": closure_list_for_hall(hall_id=hall_id, since=today - timedelta(days=CLOSURES_SHOWN_DAYS)),
        },
    )


def _season_or_404(hall_id: int, season_id: int) -> OfficeHoursSeason:
    """A seasonal variant of this hall (the all-year hours are edited on the overview)."""
    seasons = OfficeHoursSeason.objects.filter(hall_id=hall_id).exclude(
        effective_from__isnull=True, effective_to__isnull=True
    )
    return get_object_or_404(seasons, pk=season_id)


def _base_form(hall_id: int) -> OfficeHoursForm:
    base = next((season for season in office_hours_list_for_hall(hall_id=hall_id) if season.is_base), None)
    form = OfficeHoursForm()
    form.initial = form.initial_from_schedule(schedule_from_json(base.hours) if base else DEFAULT_SCHEDULE)
    return form


@requires_roles(RoleKind.HALL_LEAD)
@require_http_methods(["GET", "POST"])
def office_hours(request: HttpRequest) -> HttpResponse:
    """The hall's office hours (all year, seasonal variants) and closures; POST sets the all-year hours."""
    hall_id = request.hall_route.hall_id  # type: ignore[attr-defined]
    if request.method == "POST":
        form = OfficeHoursForm(request.POST)
        if form.is_valid():
            try:
                office_hours_set(hall=request.tenant, schedule=form.cleaned_data["schedule"], actor=request.user)  # type: ignore[attr-defined]
            except ValidationError as exc:
                add_service_errors(form, exc.message_dict)
            else:
                messages.success(request, _("The office hours are saved."))
                return redirect("workdays:office_hours")
        return _overview(request, hours_form=form, closure_form=ClosureForm())
    return _overview(request, hours_form=_base_form(hall_id), closure_form=ClosureForm())


@requires_roles(RoleKind.HALL_LEAD)
@require_http_methods(["GET", "POST"])
def season_edit(request: HttpRequest, season_id: int | None = None) -> HttpResponse:
    """Add a seasonal variant of the office hours, or change one."""
    hall_id = request.hall_route.hall_id  # type: ignore[attr-defined]
    season = None
    if season_id is not None:
        season = _season_or_404(hall_id, season_id)
    if request.method == "POST":
        form = OfficeHoursForm(request.POST, seasonal=True)
        if form.is_valid():
            effective_from, effective_to = form.dates
            try:
                office_hours_set(
                    hall=request.tenant,  # type: ignore[attr-defined]
                    schedule=form.cleaned_data["schedule"],
                    effective_from=effective_from,
                    effective_to=effective_to,
                    season=season,
                    actor=request.user,
                )
            except ValidationError as exc:
                add_service_errors(form, exc.message_dict)
            else:
                messages.success(request, _("The office hours are saved."))
                return redirect("workdays:office_hours")
    else:
        form = OfficeHoursForm(seasonal=True)
        schedule = schedule_from_json(season.hours) if season is not None else DEFAULT_SCHEDULE
        form.initial = form.initial_from_schedule(schedule)
        if season is not None:
            form.initial.update(effective_from=season.effective_from, effective_to=season.effective_to)
    return render(request, "workdays/season_form.html", {"form": form, "season": season})


@requires_roles(RoleKind.HALL_LEAD)
@require_POST
def season_remove(request: HttpRequest, season_id: int) -> HttpResponse:
    hall_id = request.hall_route.hall_id  # type: ignore[attr-defined]
    season = _season_or_404(hall_id, season_id)
    office_hours_remove(season=season, actor=request.user)
    messages.success(request, _("The seasonal office hours are removed."))
    return redirect("workdays:office_hours")


@requires_roles(RoleKind.HALL_LEAD)
@require_POST
def closure_create(request: HttpRequest) -> HttpResponse:
    hall_id = request.hall_route.hall_id  # type: ignore[attr-defined]
    form = ClosureForm(request.POST)
    if form.is_valid():
        try:
            closure_add(
                hall=request.tenant,  # type: ignore[attr-defined]
                day=form.cleaned_data["date"],
                reason=form.cleaned_data["reason"],
                actor=request.user,
            )
        except ValidationError as exc:
            add_service_errors(form, exc.message_dict)
        else:
            messages.success(request, _("The closure is added."))
            return redirect("workdays:office_hours")
    return _overview(request, hours_form=_base_form(hall_id), closure_form=form)


@requires_roles(RoleKind.HALL_LEAD)
@require_POST
def closure_delete(request: HttpRequest, closure_id: int) -> HttpResponse:
    hall_id = request.hall_route.hall_id  # type: ignore[attr-defined]
    closure = get_object_or_404(HallClosure, pk=closure_id, hall_id=hall_id)
    closure_remove(closure=closure, actor=request.user)
    messages.success(request, _("The closure is removed."))
    return redirect("workdays:office_hours")
