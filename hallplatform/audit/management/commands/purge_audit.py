"""Delete the audit events older than AUDIT_RETENTION_DAYS (beat does it daily)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from hallplatform.audit.services import audit_purge_expired
from hallplatform.schemas import use_public_schema


class Command(BaseCommand):
    help = "Delete the audit events older than AUDIT_RETENTION_DAYS (at least 183 days); beat runs it daily."

    def handle(self, *args: Any, **options: Any) -> None:
        use_public_schema()
        deleted = audit_purge_expired()
        self.stdout.write(f"{deleted} audit events deleted.")
