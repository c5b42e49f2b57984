"""The in-app inbox page, on every host: a person's own notices; the channel pages: a person's
own channels (every host), the hall lead's for the hall's staff and the hall's policy (hall host)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from hallplatform.accounts.access import requires_roles
from hallplatform.accounts.models import RoleKind
from notifications.channels import channels_configured
from notifications.contacts import (
    hall_channel_policy_set,
    hall_channels_policy,
    hall_staff,
    staff_contact_of,
    staff_contact_set,
)
from notifications.forms import HallChannelPolicyForm, StaffContactForm
from notifications.links import notice_link_url
from notifications.selectors import notice_list_for_user, notice_unread_count_for_user
from notifications.services import notice_mark_all_read, notice_mark_read

PAGE_SIZE = 30


def inbox(request: HttpRequest) -> HttpResponse:
    """The person's in-app notices, newest first, unread ones marked, each linking to its subject's
    page on the host that serves it."""
    page = Paginator(notice_list_for_user(user=request.user).select_related("hall", "link_hall"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    for notice in page:
        notice.link_url = notice_link_url(notice, request=request)  # type: ignore[attr-defined]
    return render(
        request,
        "notifications/inbox.html",
        {"page": page, "unread_count": notice_unread_count_for_user(user=request.user)},
    )


def _back(request: HttpRequest) -> HttpResponseRedirect:
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("notices:inbox")
    return HttpResponseRedirect(target)


@require_POST
def mark_read(request: HttpRequest, pk: int) -> HttpResponse:
    notice_mark_read(user=request.user, notice_id=pk)
    return _back(request)


@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    notice_mark_all_read(user=request.user)
    return _back(request)


# --- Channels to staff ----------------------------------------------------------------------------


def _contact_initial(person: Any) -> dict[str, Any]:
    contact = staff_contact_of(person)
    return {
        "work_phone": person.work_phone,
        "office_phone": person.office_phone,
        "email": person.email,
        "wecom_user_id": contact.wecom_user_id if contact else "",
        "dingtalk_user_id": contact.dingtalk_user_id if contact else "",
        "channels": list(contact.channels) if contact else [],
        "digest": contact.digest if contact else False,
    }


def _contact_page(request: HttpRequest, *, person: Any, hall: Any, done_url: str) -> HttpResponse:
    offered = channels_configured()
    initial = _contact_initial(person)
    if request.method == "POST":
        form = StaffContactForm(request.POST, offered=offered)
        if form.is_valid():
            data = {**initial, **form.cleaned_data}
            try:
                staff_contact_set(
                    user=person,
                    actor=request.user,
                    hall=hall,
                    work_phone=data["work_phone"],
                    office_phone=data["office_phone"],
                    email=data["email"],
                    wecom_user_id=data["wecom_user_id"],
                    dingtalk_user_id=data["dingtalk_user_id"],
                    channels=data["channels"],
                    digest=data["digest"],
                )
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("The notice channels are saved."))
                return redirect(done_url)
        status = 400
    else:
        form = StaffContactForm(initial=initial, offered=offered)
        status = 200
    return render(
        request,
        "notifications/channels.html",
        {"form": form, "person": person, "own": person.pk == request.user.pk, "offered": offered},
        status=status,
    )


@require_http_methods(["GET", "POST"])
def channels(request: HttpRequest) -> HttpResponse:
    """The signed-in person's channels and addresses (any host)."""
    hall = getattr(request, "tenant", None) if getattr(request, "hall_route", None) else None
    return _contact_page(request, person=request.user, hall=hall, done_url=reverse("notices:channels"))


@requires_roles(RoleKind.HALL_LEAD)
@require_http_methods(["GET", "POST"])
def staff_channels(request: HttpRequest) -> HttpResponse:
    """The hall lead's view of the hall's staff and their channels; POST sets the hall's policy."""
    hall = request.tenant  # type: ignore[attr-defined]
    offered = channels_configured()
    policy = hall_channels_policy(hall_id=hall.pk)
    if request.method == "POST":
        form = HallChannelPolicyForm(request.POST, offered=offered)
        if form.is_valid():
            try:
                hall_channel_policy_set(hall=hall, actor=request.user, channels=form.cleaned_data["channels"])
            except ValidationError as exc:
                form.add_error("channels", exc.message_dict.get("channels", exc.messages))
            else:
                messages.success(request, _("The hall's channel policy is saved."))
                return redirect("notices:staff_channels")
        status = 400
    else:
        form = HallChannelPolicyForm(initial={"channels": offered if policy is None else policy}, offered=offered)
        status = 200
    people = list(hall_staff(hall_id=hall.pk).select_related("staff_contact"))
    return render(
        request,
        "notifications/staff_channels.html",
        {"form": form, "people": people, "has_policy": policy is not None, "offered": offered},
        status=status,
    )


@requires_roles(RoleKind.HALL_LEAD)
@require_http_methods(["GET", "POST"])
def staff_channel_edit(request: HttpRequest, user_id: int) -> HttpResponse:
    """A hall lead sets the channels of a member of the hall's staff; anyone else is 404."""
    hall = request.tenant  # type: ignore[attr-defined]
    person = get_object_or_404(hall_staff(hall_id=hall.pk), pk=user_id)
    return _contact_page(request, person=person, hall=hall, done_url=reverse("notices:staff_channels"))
