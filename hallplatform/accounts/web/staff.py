"""The staff pages of a hall lead (their hall's host) and of a city supervisor (the city portal): the
people holding roles there, their roles (and the permission to reveal personal data), their logins
when every role of theirs is there, and the departments stationed there (docs/staff-admin.md).

Views parse the form and call one service of hallplatform.accounts.services or tenants.services; the
scope (``staff_scope_for``) decides what exists: anything outside it answers 404.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from hallplatform import limits
from hallplatform.accounts.access import requires_roles
from hallplatform.accounts.models import DEPARTMENT_ROLES, RoleKind, User
from hallplatform.accounts.selectors import (
    StaffScope,
    account_in_scope,
    department_get_for_scope,
    department_list_for_scope,
    department_staff,
    staff_get_for_scope,
    staff_list_for_scope,
    staff_scope_for,
)
from hallplatform.accounts.services import (
    staff_deactivate,
    staff_member_create,
    staff_password_reset,
    staff_reactivate,
    staff_role_add,
    staff_role_reveal_set,
    staff_role_withdraw,
    staff_two_factor_reset,
)
from hallplatform.accounts.two_factor import second_factor_state
from tenants.models import Department, Hall
from tenants.services import department_create, department_set_active, department_update

USERNAME_MAX_LENGTH = 150
DEPARTMENT_CODE_MAX_LENGTH = 40


def scope_of(request: HttpRequest) -> StaffScope:
    """The request's scope; someone who manages nothing on this host is told the page does not exist."""
    scope = staff_scope_for(user=request.user, route=getattr(request, "hall_route", None))
    if scope is None:
        raise Http404
    return scope


def no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    return response


def add_errors(form: forms.Form | None, error: ValidationError, problems: list[str], labels: dict[str, Any]) -> None:
    """A service's refusal: on the form's field when the form has it, else in the page's list, named."""
    for name, messages in error.message_dict.items():
        for message in messages:
            if form is not None and name in form.fields:
                form.add_error(name, message)
            elif name in labels:
                problems.append(f"{labels[name]}: {message}")
            else:
                problems.append(message)


# --- Forms ---------------------------------------------------------------------------------------------


def kind_choices(scope: StaffScope) -> list[tuple[str, Any]]:
    return [(kind, RoleKind(kind).label) for kind in scope.grantable_kinds]


def department_choices(scope: StaffScope) -> list[tuple[str, str]]:
    rows = department_list_for_scope(scope=scope).filter(is_active=True)
    return [("", "—"), *((str(d.pk), d.name) for d in rows)]


class RoleForm(forms.Form):
    # Free text behind a select: a role outside the list reaches the service, which names the refusal.
    kind = forms.CharField(label=_("Role"), max_length=30)
    department = forms.CharField(
        label=_("Department"), required=False, max_length=20, help_text=_("Only for department roles.")
    )
    may_reveal = forms.BooleanField(
        label=_("May reveal personal data"),
        required=False,
        help_text=_("Show unmasked phone, ID number, name and address of cases (every reveal is audited)."),
    )

    def __init__(self, *args: Any, scope: StaffScope, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].widget = forms.Select(choices=kind_choices(scope))
        self.fields["department"].widget = forms.Select(choices=department_choices(scope))


class StaffCreateForm(RoleForm):
    username = forms.CharField(label=_("Username"), max_length=USERNAME_MAX_LENGTH)
    display_name = forms.CharField(label=_("Name"), max_length=50, required=False)
    work_phone = forms.CharField(label=_("Work phone"), max_length=limits.PHONE_MAX_LENGTH, required=False)
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Tell it to the person in private."),
    )

    field_order = ["username", "display_name", "work_phone", "password", "kind", "department", "may_reveal"]


class DepartmentForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=limits.NAME_MAX_LENGTH)
    contact_name = forms.CharField(label=_("Contact person"), max_length=50, required=False)
    contact_phone = forms.CharField(label=_("Contact phone"), max_length=limits.PHONE_MAX_LENGTH, required=False)


class DepartmentCreateForm(DepartmentForm):
    code = forms.CharField(
        label=_("Code"),
        max_length=DEPARTMENT_CODE_MAX_LENGTH,
        help_text=_("Lowercase letters, digits and hyphens, unique in the hall, e.g. rsj. It cannot change later."),
    )
    hall = forms.ChoiceField(label=_("Hall"))

    field_order = ["code", "name", "contact_name", "contact_phone", "hall"]

    def __init__(self, *args: Any, scope: StaffScope, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        halls = Hall.objects.filter(pk__in=scope.hall_ids).order_by("region_code")
        self.fields["hall"].choices = [(h.code, h.name) for h in halls]  # type: ignore[attr-defined]
        if len(self.fields["hall"].choices) == 1:  # type: ignore[attr-defined]
            self.fields["hall"].widget = forms.HiddenInput()
            self.fields["hall"].initial = halls[0].code


ACTION_LABELS = {
    "role": _("Role"),
    "may_reveal": _("May reveal personal data"),
    "is_active": _("Login"),
    "password": _("Password"),
    "two_factor": _("Two-factor login"),
    "kind": _("Role"),
    "department": _("Department"),
}


# --- People ------------------------------------------------------------------------------------------


@requires_roles(RoleKind.HALL_LEAD, RoleKind.CITY_SUPERVISOR)
@require_http_methods(["GET"])
def people(request: HttpRequest) -> HttpResponse:
    """The people holding a role here, with their roles here."""
    scope = scope_of(request)
    context = {"scope": scope, "people": staff_list_for_scope(scope=scope)}
    return render(request, "staffadmin/people.html", context)


@requires_roles(RoleKind.HALL_LEAD, RoleKind.CITY_SUPERVISOR)
@require_http_methods(["GET", "POST"])
def person_new(request: HttpRequest) -> HttpResponse:
    """A new login with its first role here."""
    scope = scope_of(request)
    form = StaffCreateForm(request.POST or None, scope=scope)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                person = staff_member_create(
                    scope=scope,
                    actor=request.user,
                    username=data["username"],
                    password=data["password"],
                    kind=data["kind"],
                    hall_id=scope.home_hall_id,
                    display_name=data["display_name"],
                    work_phone=data["work_phone"],
                    department_id=data["department"],
                    may_reveal=data["may_reveal"],
                )
            except ValidationError as error:
                add_errors(form, error, [], ACTION_LABELS)
            else:
                return HttpResponseRedirect(reverse("staff:person", args=[person.pk]))
    return render(request, "staffadmin/person_new.html", {"scope": scope, "form": form}, status=status)


def _person_context(scope: StaffScope, person: User, request: HttpRequest, **extra: Any) -> dict[str, Any]:
    return {
        "scope": scope,
        "person": person,
        "roles": person.scope_roles,  # type: ignore[attr-defined]
        "account_in_scope": account_in_scope(scope=scope, person=person),
        "is_self": person.pk == request.user.pk,
        "second_factor": second_factor_state(person),
        "department_roles": DEPARTMENT_ROLES,
        **extra,
    }


@requires_roles(RoleKind.HALL_LEAD, RoleKind.CITY_SUPERVISOR)
@require_http_methods(["GET", "POST"])
def person(request: HttpRequest, pk: int) -> HttpResponse:
    """One person: their roles here (withdraw, reveal permission), another role, and their login
    (deactivate, reset the password or the second factor) when every role of theirs is here."""
    scope = scope_of(request)
    target = staff_get_for_scope(scope=scope, user_id=pk)
    action = request.POST.get("action", "")
    grant_form = RoleForm(request.POST if action == "grant" else None, scope=scope)
    problems: list[str] = []
    if request.method == "POST":
        common: dict[str, Any] = {"scope": scope, "actor": request.user, "person": target}
        try:
            if action == "grant":
                if grant_form.is_valid():
                    data = grant_form.cleaned_data
                    staff_role_add(
                        **common,
                        kind=data["kind"],
                        hall_id=scope.home_hall_id,
                        department_id=data["department"],
                        may_reveal=data["may_reveal"],
                    )
                    return _back_to(target)
            elif action == "withdraw":
                staff_role_withdraw(**common, assignment_id=request.POST.get("role"))
                return _back_to(target)
            elif action == "reveal":
                staff_role_reveal_set(
                    **common, assignment_id=request.POST.get("role"), may_reveal=request.POST.get("value") == "1"
                )
                return _back_to(target)
            elif action == "deactivate":
                staff_deactivate(**common)
                return _back_to(target)
            elif action == "activate":
                staff_reactivate(**common)
                return _back_to(target)
            elif action == "password":
                password = staff_password_reset(**common)
                context = {"scope": scope, "person": target, "password": password}
                return no_store(render(request, "staffadmin/password.html", context))
            elif action == "two_factor":
                staff_two_factor_reset(**common)
                return _back_to(target)
            else:
                problems.append(str(_("Unknown action.")))
        except ValidationError as error:
            add_errors(grant_form if action == "grant" else None, error, problems, ACTION_LABELS)
        target = staff_get_for_scope(scope=scope, user_id=pk)
    context = _person_context(scope, target, request, grant_form=grant_form, problems=problems)
    return render(request, "staffadmin/person.html", context, status=400 if request.method == "POST" else 200)


def _back_to(person: User) -> HttpResponse:
    return HttpResponseRedirect(reverse("staff:person", args=[person.pk]))


# --- Departments -------------------------------------------------------------------------------------


@requires_roles(RoleKind.HALL_LEAD, RoleKind.CITY_SUPERVISOR)
@require_http_methods(["GET", "POST"])
def departments(request: HttpRequest) -> HttpResponse:
    """The departments stationed here, and adding one."""
    scope = scope_of(request)
    form = DepartmentCreateForm(request.POST or None, scope=scope)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                department = department_create(
                    hall_code=data["hall"],
                    code=data["code"],
                    name=data["name"],
                    contact_name=data["contact_name"],
                    contact_phone=data["contact_phone"],
                    actor=request.user,
                )
            except ValidationError as error:
                add_errors(form, error, [], ACTION_LABELS)
            else:
                return HttpResponseRedirect(reverse("staff:department", args=[department.pk]))
    context = {"scope": scope, "departments": department_list_for_scope(scope=scope), "form": form}
    return render(request, "staffadmin/departments.html", context, status=status)


@requires_roles(RoleKind.HALL_LEAD, RoleKind.CITY_SUPERVISOR)
@require_http_methods(["GET", "POST"])
def department(request: HttpRequest, pk: int) -> HttpResponse:
    """One department: its name and contact (what windows see when transferring), whether it receives
    transfer slips (active), and who receives them (its handlers and leads)."""
    scope = scope_of(request)
    target: Department = department_get_for_scope(scope=scope, department_id=pk)
    action = request.POST.get("action", "")
    initial = {"name": target.name, "contact_name": target.contact_name, "contact_phone": target.contact_phone}
    form = DepartmentForm(request.POST if action == "update" else None, initial=initial)
    problems: list[str] = []
    if request.method == "POST":
        try:
            if action == "update":
                if form.is_valid():
                    department_update(department=target, actor=request.user, **form.cleaned_data)
                    return HttpResponseRedirect(reverse("staff:department", args=[target.pk]))
            elif action in ("deactivate", "activate"):
                department_set_active(department=target, active=action == "activate", actor=request.user)
                return HttpResponseRedirect(reverse("staff:department", args=[target.pk]))
            else:
                problems.append(str(_("Unknown action.")))
        except ValidationError as error:
            add_errors(form if action == "update" else None, error, problems, {"is_active": _("Active")})
    staff_ids = set(staff_list_for_scope(scope=scope).values_list("pk", flat=True))
    context = {
        "scope": scope,
        "department": target,
        "form": form,
        "problems": problems,
        "staff": department_staff(department=target),
        "staff_ids": staff_ids,
    }
    return render(request, "staffadmin/department.html", context, status=400 if request.method == "POST" else 200)
