"""Platform admin (public host, operators only) for halls, domains and departments.

Halls are provisioned with `manage.py create_hall` (schema, migrations, domain in one step); here
an operator can rename a hall or take it out of service, not create or delete one.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from tenants.models import Department, Domain, Hall


class DomainInline(admin.TabularInline):
    model = Domain
    extra = 0
    fields = ["domain", "is_primary"]


@admin.register(Hall)
class HallAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "level", "parent", "region_code", "is_active"]
    list_filter = ["level", "is_active", "parent"]
    search_fields = ["name", "code", "region_code"]
    readonly_fields = ["code", "level", "parent", "region_code", "schema_name", "created_at"]
    fields = ["name", "phone", "address", "rectification_days", "is_active", *readonly_fields]
    inlines = [DomainInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "hall", "contact_name", "contact_phone", "is_active"]
    list_filter = ["is_active", "hall__level", "hall"]
    search_fields = ["name", "code", "hall__name"]
    list_select_related = ["hall"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
