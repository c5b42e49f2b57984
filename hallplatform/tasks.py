"""Platform tasks."""

from __future__ import annotations

import socket
from typing import Any

from celery import shared_task
from django.db import connection

from hallplatform.schemas import current_schema_name, current_tenant


@shared_task(name="hallplatform.schema_probe_task")
def schema_probe_task() -> dict[str, Any]:
    """Report which schema this task ran in and where: proves a worker serves this hall."""
    tenant = current_tenant()
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_schema()")
        (current,) = cursor.fetchone()
    return {
        "schema": current_schema_name(),
        "database_schema": current,
        "hall": getattr(tenant, "code", None),
        "worker": socket.gethostname(),
    }
