from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from hallplatform.accounts.models import RoleAssignment, User


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
