"""The hall's own wording of its notices, on its host (hall lead): the list of kinds and channels,
and one text at a time with a preview on sample values. Audited by the services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from hallplatform.accounts.access import requires_roles
from hallplatform.accounts.models import RoleKind
from hallplatform.limits import NOTE_MAX_LENGTH
from notifications.kinds import NoticeKind, notice_kind_get, notice_kinds
from notifications.models import NoticeChannel, NoticeTemplate
from notifications.services import (
    HALL_TEXT_CHANNELS,
    notice_template_reset_for_hall,
    notice_template_set_for_hall,
    notice_text_preview,
    notice_texts_default,
)

CHANNEL_LABELS = dict(NoticeChannel.choices)


class NoticeTextForm(forms.Form):
    subject = forms.CharField(label=gettext_lazy("Subject"), max_length=200, required=False)
    body = forms.CharField(
        label=gettext_lazy("Text"), max_length=NOTE_MAX_LENGTH, required=False, widget=forms.Textarea(attrs={"rows": 5})
    )


@requires_roles(RoleKind.HALL_LEAD)
@require_GET
def text_list(request: HttpRequest) -> HttpResponse:
    """Every kind of notice and channel: whether this hall words it its own way."""
    hall = request.tenant  # type: ignore[attr-defined]
    own = set(NoticeTemplate.objects.filter(hall=hall).values_list("kind", "channel"))
    rows = [
        {
            "kind": kind,
            "channels": [
                (channel, CHANNEL_LABELS[channel], (kind.code, channel) in own) for channel in HALL_TEXT_CHANNELS
            ],
        }
        for kind in notice_kinds()
    ]
    return render(request, "notifications/text_list.html", {"rows": rows})


def _kind(kind: str, channel: str) -> NoticeKind:
    try:
        spec = notice_kind_get(kind)
    except ValueError:
        raise Http404 from None
    if channel not in HALL_TEXT_CHANNELS:
        raise Http404
    return spec


@requires_roles(RoleKind.HALL_LEAD)
@require_http_methods(["GET", "POST"])
def text_edit(request: HttpRequest, kind: str, channel: str) -> HttpResponse:
    """One text: the hall's own (or the default to start from), the default beside it; ``preview``
    renders it on sample values, ``save`` keeps it if it renders, ``reset`` goes back to the default."""
    hall = request.tenant  # type: ignore[attr-defined]
    spec = _kind(kind, channel)
    own = NoticeTemplate.objects.filter(kind=spec.code, channel=channel, hall=hall).first()
    default_subject, default_body = notice_texts_default(kind=spec, channel=channel)
    preview: tuple[str, str] | None = None
    if request.method == "POST":
        action = request.POST.get("action", "save")
        if action == "reset":
            if notice_template_reset_for_hall(hall=hall, kind=spec.code, channel=channel, actor=request.user):
                messages.success(request, _("This hall uses the default wording again."))
            return redirect("notice_texts:edit", kind=spec.code, channel=channel)
        form = NoticeTextForm(request.POST)
        if form.is_valid():
            data: dict[str, Any] = form.cleaned_data
            try:
                if action == "preview":
                    preview = notice_text_preview(
                        kind=spec, channel=channel, hall=hall, subject=data["subject"], body=data["body"]
                    )
                else:
                    notice_template_set_for_hall(
                        hall=hall,
                        kind=spec.code,
                        channel=channel,
                        subject=data["subject"],
                        body=data["body"],
                        actor=request.user,
                    )
                    messages.success(request, _("The wording is saved."))
                    return redirect("notice_texts:edit", kind=spec.code, channel=channel)
            except ValidationError as exc:
                for field, texts in exc.message_dict.items():
                    for text in texts:
                        form.add_error(field if field in form.fields else None, text)
    else:
        subject, body = (own.subject, own.body) if own is not None else (default_subject, default_body)
        form = NoticeTextForm(initial={"subject": subject, "body": body})
    return render(
        request,
        "notifications/text_edit.html",
        {
            "kind": spec,
            "channel": channel,
            "channel_label": CHANNEL_LABELS[channel],
            "own": own,
            "form": form,
            "preview": preview,
            "default_subject": default_subject,
            "default_body": default_body,
            "variables": ["hall_name", *[name for name in spec.variables if name != "hall_name"]],
        },
    )
