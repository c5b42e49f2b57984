from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from hallplatform.audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["at", "action", "actor", "hall", "target_type", "target_id"]
    list_filter = ["action", "hall"]
    search_fields = ["action", "target_id"]
    readonly_fields = ["at", "action", "actor", "hall", "target_type", "target_id", "changes"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
