"""Statistics pages (rule art. 8: 统计分析、优化意见建议): the hall and city dashboards, the recurring
problems, improvement suggestions to departments and the departments' answers.

Where a page stands comes from the host (analytics/web/scope.py): on a hall's host the hall (its
lead; the supervisors of its city may look), on the bare base domain the supervisor's city. Anyone
else gets 404. A suggestion is sent from the host's scope by whoever leads it: the hall lead on the
hall's host, a city supervisor on the base domain. The departments answer on their hall's host or
on the base domain. Views parse, call one selector or service, and render (CONVENTIONS.md); every
figure is a public-schema query whose count does not grow with the data (docs/statistics.md).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from analytics.dashboards import DashboardFigures, dashboard_figures, max_age
from analytics.models import ImprovementSuggestion, SuggestionStatus
from analytics.selectors import (
    Period,
    Scope,
    departments_in_scope,
    sender_scope_for,
    suggestion_list_for_department,
    suggestion_list_for_scope,
)
from analytics.services import suggestion_answer, suggestion_send
from analytics.tables import SECTION_ALIASES, SECTIONS
from analytics.web.dashboard import Section, charts_of, dashboard_sections
from analytics.web.forms import AnswerForm, PeriodForm, SuggestionForm
from analytics.web.scope import host_hall, scope_from
from coordination.selectors import cities_supervised_by
from hallplatform.accounts.access import request_roles, requires_roles
from hallplatform.accounts.models import DEPARTMENT_ROLES, RoleKind

HALL_LEAD = RoleKind.HALL_LEAD
SUPERVISOR = RoleKind.CITY_SUPERVISOR
READERS = (HALL_LEAD, SUPERVISOR)
PAGE_SIZE = 50
# The departments a dashboard page lists (those with most transfer slips); the export lists all.
DEPARTMENT_ROWS = 50


# --- Helpers ---------------------------------------------------------------------------------------


def _city_id(request: HttpRequest) -> int | None:
    text = str(request.GET.get("city") or request.POST.get("city") or "")
    return int(text) if text.isdigit() else None


def sender_scope(request: HttpRequest) -> Scope | None:
    """The scope the person sends suggestions from on this host (analytics.selectors.sender_scope_for);
    None for a reader who does not send here (a supervisor on a hall's host)."""
    try:
        return sender_scope_for(actor=request.user, hall=host_hall(request), city_id=_city_id(request))
    except Http404:
        return None


def _city_params(request: HttpRequest, scope: Scope) -> dict[str, Any]:
    """``city`` kept in links and forms of the base domain, for a supervisor of several cities."""
    return {"city": scope.hall.pk} if scope.is_city and request.GET.get("city", request.POST.get("city")) else {}


def _url(name: str, **params: Any) -> str:
    query = urlencode({key: value for key, value in params.items() if value not in (None, "")})
    return reverse(name) + (f"?{query}" if query else "")


def _period_form(request: HttpRequest) -> PeriodForm:
    if any(request.GET.get(name) for name in ("month", "first", "last")):
        return PeriodForm(request.GET)
    return PeriodForm(initial={"month": timezone.localdate().strftime("%Y-%m")})


def _period_links(request: HttpRequest, name: str, period: Period, scope: Scope) -> dict[str, str]:
    """Quick links: the month before and after the period's month, and the current month."""
    month = Period.month_of(period.first)
    before = Period.month_of(month.first - timedelta(days=1))
    after = Period.month_of(month.last + timedelta(days=1))
    city = _city_params(request, scope)
    return {
        "previous": _url(name, month=before.first.strftime("%Y-%m"), **city),
        "next": _url(name, month=after.first.strftime("%Y-%m"), **city),
        "current": _url(name, **city),
    }


def _navigation(request: HttpRequest) -> dict[str, bool]:
    roles = request_roles(request)
    return {"is_reader": bool(roles & set(READERS)), "is_department": bool(roles & set(DEPARTMENT_ROLES))}


def _scope_context(request: HttpRequest, scope: Scope) -> dict[str, Any]:
    cities = cities_supervised_by(request.user) if scope.is_city else []
    return {
        "scope": scope,
        "cities": cities if len(cities) > 1 else [],
        "city_params": _city_params(request, scope),
        "city_query": urlencode(_city_params(request, scope)),
        "nav": _navigation(request),
    }


def _downloads(request: HttpRequest, scope: Scope, period: Period, sections: list[Section]) -> dict[str, Any]:
    """Links to the exports of what the page shows (analytics/web/exports.py), for the same period:
    every table in one workbook, each section's table as Excel and CSV (its ``extra``), and on a
    hall's host the case register."""
    query = urlencode(
        {"first": period.first.isoformat(), "last": period.last.isoformat(), **_city_params(request, scope)}
    )
    for section in sections:
        name = SECTION_ALIASES.get(section.key, section.key)
        if name in SECTIONS:
            section.extra["xlsx"] = reverse("exports:stats_section", args=[name, "xlsx"]) + f"?{query}"
            section.extra["csv"] = reverse("exports:stats_section", args=[name, "csv"]) + f"?{query}"
    links = {"workbook": reverse("exports:stats") + f"?{query}"}
    if not scope.is_city:
        links["register_xlsx"] = reverse("exports:cases", args=["xlsx"]) + f"?{query}"
        links["register_csv"] = reverse("exports:cases", args=["csv"]) + f"?{query}"
    return links


def _refresh(request: HttpRequest) -> bool:
    return request.GET.get("refresh") == "1"


def _freshness(request: HttpRequest, counted: DashboardFigures) -> dict[str, Any]:
    """When the figures shown were counted, how long they are kept, and the link to count now."""
    params = request.GET.copy()
    params["refresh"] = "1"
    return {
        "computed_at": counted.computed_at,
        "max_age_minutes": max(round(max_age() / 60), 1) if max_age() > 0 else 0,
        "refresh_url": f"{request.path}?{params.urlencode()}",
    }


def _period_text(period: Period) -> str:
    return f"{period.first.isoformat()} – {period.last.isoformat()}"


# --- Dashboards ------------------------------------------------------------------------------------


@requires_roles(*READERS)
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    """The hall dashboard (a hall's host) or the city dashboard (the base domain) for a period, each
    figure beside the previous period's; every section a chart and a table of the same numbers."""
    scope = scope_from(request)
    form = _period_form(request)
    period = form.chosen()
    counted = dashboard_figures(scope=scope, period=period, refresh=_refresh(request))
    sections = dashboard_sections(
        counted.figures, counted.previous, counted.recurring, is_city=scope.is_city, department_rows=DEPARTMENT_ROWS
    )
    downloads = _downloads(request, scope, period, sections)
    context = {
        **_scope_context(request, scope),
        "form": form,
        "period": period,
        "period_text": _period_text(period),
        "previous_text": _period_text(period.previous()),
        "links": _period_links(request, "stats:dashboard", period, scope),
        "sections": sections,
        "charts": charts_of(sections),
        "may_send": sender_scope(request) is not None,
        **_freshness(request, counted),
        "downloads": downloads,
    }
    return render(request, "analytics/dashboard.html", context, status=400 if form.errors else 200)


# --- Recurring problems ----------------------------------------------------------------------------


def _matter_finding(period: Period, matter: dict[str, Any]) -> str:
    return _(
        "%(first)s to %(last)s: the matter “%(name)s” was reported %(cases)d times (previous period: "
        "%(previous)d); %(transferred)d not done on the spot, %(flagged)d flagged for supervision, "
        "%(unsatisfied)d dissatisfied at follow-up."
    ) % {"first": period.first, "last": period.last, **matter}


def _department_finding(period: Period, department: dict[str, Any]) -> str:
    return _(
        "%(first)s to %(last)s: of %(slips)d transfer slips sent to %(name)s (%(hall)s), %(late)d were replied "
        "late or are overdue and %(returned)d were returned (previous period: %(previous)d late or returned)."
    ) % {"first": period.first, "last": period.last, **department}


def _trend(value: int) -> str:
    return "up" if value > 0 else "down" if value < 0 else "same"


@requires_roles(*READERS)
@require_GET
def problems(request: HttpRequest) -> HttpResponse:
    """The matters and the departments that fail most in the period, with their trend against the
    previous period, each with a link to draft an improvement suggestion from it."""
    scope = scope_from(request)
    form = _period_form(request)
    period = form.chosen()
    counted = dashboard_figures(scope=scope, period=period, refresh=_refresh(request))
    found = counted.recurring
    may_send = sender_scope(request) is not None
    city = _city_params(request, scope)
    matters = [
        {**m, "direction": _trend(m["trend"]),
         "draft": _url("stats:suggestion_new", matter_key=m["key"], finding=_matter_finding(period, m), **city)}
        for m in found["matters"]
    ]  # fmt: skip
    departments = [
        {**d, "direction": _trend(d["trend"]),
         "draft": _url("stats:suggestion_new", department=d["id"], finding=_department_finding(period, d), **city)}
        for d in found["departments"]
    ]  # fmt: skip
    context = {
        **_scope_context(request, scope),
        "form": form,
        "period": period,
        "period_text": _period_text(period),
        "previous_text": _period_text(period.previous()),
        "links": _period_links(request, "stats:problems", period, scope),
        "matters": matters,
        "departments": departments,
        "may_send": may_send,
        **_freshness(request, counted),
    }
    return render(request, "analytics/problems.html", context, status=400 if form.errors else 200)


# --- Improvement suggestions -----------------------------------------------------------------------


@requires_roles(*READERS)
@require_http_methods(["GET", "POST"])
def suggestion_new(request: HttpRequest) -> HttpResponse:
    """Draft and send an improvement suggestion (优化意见建议) to a department of the scope, prefilled
    from a finding; the department is told by a notice. Refusals name their field; nothing is saved."""
    scope = sender_scope(request)
    if scope is None:
        raise Http404
    departments = departments_in_scope(scope)
    if request.method == "POST":
        form = SuggestionForm(request.POST, departments=departments)
        if form.is_valid():
            data = form.cleaned_data
            try:
                item = suggestion_send(
                    actor=request.user,
                    scope=scope,
                    department_id=data["department"],
                    finding=data["finding"],
                    suggestion=data["suggestion"],
                    matter_key=data["matter_key"],
                )
            except ValidationError as exc:
                form.add_service_errors(exc.message_dict)
            else:
                messages.success(
                    request,
                    _("Suggestion %(number)s is sent to %(department)s.")
                    % {"number": item.number, "department": item.department.name},
                )
                return redirect(_url("stats:suggestions", **_city_params(request, scope)))
        messages.error(request, _("The suggestion was not sent; see the errors below."))
        status = 400
    else:
        department = request.GET.get("department", "")
        form = SuggestionForm(
            initial={
                "department": int(department) if department.isdigit() else None,
                "matter_key": request.GET.get("matter_key", "")[:200],
                "finding": request.GET.get("finding", ""),
            },
            departments=departments,
        )
        status = 200
    context = {**_scope_context(request, scope), "form": form}
    return render(request, "analytics/suggestion_new.html", context, status=status)


@requires_roles(*READERS)
@require_GET
def suggestion_list(request: HttpRequest) -> HttpResponse:
    """The suggestions sent from the scope (a hall's; a city's and its halls'), with the answers."""
    scope = scope_from(request)
    page = Paginator(suggestion_list_for_scope(scope=scope), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {**_scope_context(request, scope), "page": page, "may_send": sender_scope(request) is not None}
    return render(request, "analytics/suggestion_list.html", context)


def _mine_context(
    request: HttpRequest, bound: tuple[int, AnswerForm] | None = None, problem: str = ""
) -> dict[str, Any]:
    rows = suggestion_list_for_department(actor=request.user, hall=host_hall(request))
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    entries = []
    for item in page:
        form = None
        if item.status == SuggestionStatus.SENT:
            form = bound[1] if bound and bound[0] == item.pk else AnswerForm(auto_id=f"answer{item.pk}_%s")
        entries.append({"item": item, "form": form})
    return {"page": page, "entries": entries, "problem": problem, "nav": _navigation(request)}


@requires_roles(*DEPARTMENT_ROLES)
@require_GET
def suggestions_mine(request: HttpRequest) -> HttpResponse:
    """The suggestions addressed to the person's departments, unanswered first, with a form to answer."""
    return render(request, "analytics/suggestions_mine.html", _mine_context(request))


def _mine_suggestion(request: HttpRequest, suggestion_id: int) -> ImprovementSuggestion:
    item = suggestion_list_for_department(actor=request.user, hall=host_hall(request)).filter(pk=suggestion_id).first()
    if item is None:
        raise Http404
    return item


@requires_roles(*DEPARTMENT_ROLES)
@require_POST
def suggestion_answer_view(request: HttpRequest, suggestion_id: int) -> HttpResponse:
    """The department records its answer to a suggestion; the sender is told."""
    item = _mine_suggestion(request, suggestion_id)
    form = AnswerForm(request.POST, auto_id=f"answer{item.pk}_%s")
    if form.is_valid():
        try:
            suggestion_answer(actor=request.user, suggestion=item, answer=form.cleaned_data["answer"])
        except ValidationError as exc:
            errors = exc.message_dict
            if "status" in errors:
                context = _mine_context(request, problem=" ".join(errors["status"]))
                return render(request, "analytics/suggestions_mine.html", context, status=409)
            form.add_service_errors(errors)
        else:
            messages.success(request, _("Your answer to %(number)s is recorded.") % {"number": item.number})
            return redirect("stats:suggestions_mine")
    context = _mine_context(
        request, bound=(item.pk, form), problem=_("The answer was not saved; see the errors below.")
    )
    return render(request, "analytics/suggestions_mine.html", context, status=400)
