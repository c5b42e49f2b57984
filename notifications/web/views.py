"""The in-app inbox page, on every host: a person's own notices."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

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
