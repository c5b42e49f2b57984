"""Platform admin for notices: delivery states for operators, and the texts per kind and hall."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from notifications.kinds import notice_kind_get
from notifications.models import ConsoleMessage, HallChannelPolicy, Notice, NoticeState, NoticeTemplate, StaffContact
from notifications.services import notice_requeue


@admin.register(Notice)
class NoticeAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "kind",
        "channel",
        "recipient_key",
        "hall",
        "state",
        "attempts",
        "last_error_code",
        "short_error",
        "sent_at",
        "read_at",
    ]
    list_filter = ["state", "channel", "kind", "hall", "provider"]
    # the provider's error code (WeCom 40001, Aliyun isv.BUSINESS_LIMIT_CONTROL…) is searchable
    search_fields = ["event_key", "recipient_key", "provider_message_id", "last_error_code"]
    list_select_related = ["hall"]
    date_hierarchy = "created_at"
    actions = ["requeue"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in Notice._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The row is the memory of "sent once": deleting it would allow a second notice.
        return False

    @admin.display(description=_("last error"))
    def short_error(self, obj: Notice) -> str:
        return Truncator(obj.last_error).chars(80)

    @admin.action(description=_("Send the selected failed notices again"))
    def requeue(self, request: HttpRequest, queryset: QuerySet[Notice]) -> None:
        ids = list(queryset.filter(state=NoticeState.FAILED).values_list("pk", flat=True))
        for notice_id in ids:
            notice_requeue(notice_id=notice_id, actor=request.user)
        self.message_user(
            request,
            ngettext("%(count)d notice queued again.", "%(count)d notices queued again.", len(ids))
            % {"count": len(ids)},
            messages.SUCCESS,
        )


@admin.register(NoticeTemplate)
class NoticeTemplateAdmin(admin.ModelAdmin):
    list_display = ["kind", "channel", "hall", "subject", "updated_at"]
    list_filter = ["kind", "channel", "hall"]
    list_select_related = ["hall"]
    autocomplete_fields = ["hall"]

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        initial = super().get_changeform_initial_data(request)
        try:
            kind = notice_kind_get(str(initial.get("kind", "")))
        except ValueError:
            return initial
        subject, body = kind.default_text(str(initial.get("channel", "inbox")))
        return {"subject": subject, "body": body, **initial}


@admin.register(ConsoleMessage)
class ConsoleMessageAdmin(admin.ModelAdmin):
    list_display = ["sent_at", "channel", "to", "subject", "reference", "template_id"]
    list_filter = ["channel"]
    search_fields = ["reference", "message_id"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(StaffContact)
class StaffContactAdmin(admin.ModelAdmin):
    """Read-only for operators: people set their channels on their profile page (audited there)."""

    list_display = ["user", "channels", "digest", "updated_at"]
    list_filter = ["digest"]
    search_fields = ["user__username", "user__display_name"]
    list_select_related = ["user"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(HallChannelPolicy)
class HallChannelPolicyAdmin(admin.ModelAdmin):
    """Read-only for operators: a hall's lead sets it on the hall's host (audited there)."""

    list_display = ["hall", "channels", "updated_at"]
    list_select_related = ["hall"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
