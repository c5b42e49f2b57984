from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from hallplatform.accounts.models import ApiToken, RoleAssignment, User
from hallplatform.accounts.services import api_token_revoke
from hallplatform.clientip import request_origin


class RoleAssignmentInline(admin.TabularInline):
    model = RoleAssignment
    fk_name = "user"
    extra = 0
    fields = ["kind", "hall", "department", "granted_at"]
    readonly_fields = ["granted_at"]
    autocomplete_fields = ["hall", "department"]


@admin.register(User)
class BanchengUserAdmin(UserAdmin):
    list_display = ["username", "display_name", "work_phone", "is_active", "last_login"]
    search_fields = ["username", "display_name"]
    fieldsets = (
        *(UserAdmin.fieldsets or ()),
        (_("Work"), {"fields": ("display_name", "work_phone")}),
    )
    inlines = [RoleAssignmentInline]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Operators see every token without its secret (only a digest is kept) and revoke them."""

    list_display = ["prefix", "name", "user", "created_at", "expires_at", "last_used_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["user__username", "name", "prefix"]
    fields = ["user", "name", "prefix", "created_at", "expires_at", "last_used_at", "revoked_at", "revoked_by"]
    readonly_fields = ["user", "name", "prefix", "created_at", "expires_at", "last_used_at", "revoked_at", "revoked_by"]
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # made by their owners (My API tokens, /api/v1/tokens/) or create_staff --token

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # revoked, never deleted: the audit trail points at them

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        for token in queryset.filter(revoked_at__isnull=True):
            api_token_revoke(token=token, actor=request.user, origin=request_origin(request))
        self.message_user(request, _("The selected tokens are revoked."))
