from __future__ import annotations

from typing import Any

from django.db import models

from hallplatform.audit.models import AuditEvent


def audit_record(
    *,
    action: str,
    actor: Any = None,
    hall: Any = None,
    target: models.Model | None = None,
    changes: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append an audit event; call it inside the transaction of the change it records."""
    return AuditEvent.objects.create(
        action=action,
        actor=actor if actor is not None and getattr(actor, "is_authenticated", False) else None,
        hall=hall,
        target_type=target._meta.label if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        changes=changes or {},
    )
