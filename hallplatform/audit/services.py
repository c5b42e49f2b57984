"""Writing the audit trail, the request it came from, and its retention purge."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, models, transaction

from hallplatform.audit.models import AuditEvent

# 网络安全法 art. 21: network logs are kept for at least six months. The database refuses a purge
# that would delete anything younger (migration audit.0003), whatever the setting says.
AUDIT_RETENTION_MIN_DAYS = 183
# The transaction-local setting through which the purge tells the database's guard its cutoff.
PURGE_SETTING = "bancheng.audit_purge_before"

# Actions of the security log (docs/security.md, "Security log"): logins and lockouts, API tokens,
# second factors, roles and logins changed, reveals and exports of personal data, the trail's purge.
SECURITY_ACTION_PREFIXES = ("login.", "api_token.", "otp.", "two_factor.", "oidc.", "role.", "user.", "audit.")
SECURITY_ACTIONS = frozenset(
    {
        "case.reveal",
        "case.reveal_refused",
        "case.export",
        "case.export_reveal",
        "case.supervisor_view",
        "case.supervisor_export",
    }
)

# The request being answered: its address and user agent, and its host's hall (None: the portal).
_request: ContextVar[tuple[dict[str, str], Any] | None] = ContextVar("bancheng_audit_request", default=None)


def is_security_action(action: str) -> bool:
    return action in SECURITY_ACTIONS or action.startswith(SECURITY_ACTION_PREFIXES)


@contextmanager
def audit_request(*, origin: dict[str, str], hall: Any) -> Iterator[None]:
    """While answering a request (AuditRequestMiddleware): security events written meanwhile carry its
    address and user agent, and its host's hall when they name none."""
    token = _request.set((origin, hall))
    try:
        yield
    finally:
        _request.reset(token)


def audit_record(
    *,
    action: str,
    actor: Any = None,
    hall: Any = None,
    target: models.Model | None = None,
    changes: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append an audit event; call it inside the transaction of the change it records. A security
    event (``is_security_action``) written while answering a request gets the request's ``ip`` and
    ``user_agent`` in ``changes`` (unless given) and, if it names no hall, the hall of the host."""
    changes = dict(changes or {})
    context = _request.get()
    if context is not None and is_security_action(action):
        origin, request_hall = context
        for key, value in origin.items():
            changes.setdefault(key, value)
        if hall is None:
            hall = request_hall
    return AuditEvent.objects.create(
        action=action,
        actor=actor if actor is not None and getattr(actor, "is_authenticated", False) else None,
        hall=hall,
        target_type=target._meta.label if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        changes=changes,
    )


def audit_retention_days() -> int:
    """AUDIT_RETENTION_DAYS, refused below six months (ImproperlyConfigured)."""
    days = int(settings.AUDIT_RETENTION_DAYS)
    if days < AUDIT_RETENTION_MIN_DAYS:
        raise ImproperlyConfigured(
            f"AUDIT_RETENTION_DAYS is {days}: the audit trail is kept at least {AUDIT_RETENTION_MIN_DAYS} days "
            "(网络安全法 art. 21)."
        )
    return days


@transaction.atomic
def audit_purge_expired() -> int:
    """Delete the audit events older than AUDIT_RETENTION_DAYS (at least 183 days: 网络安全法 art. 21);
    the only deletion the database allows on the trail. The cutoff reaches the database's guard as a
    transaction-local setting, and the guard itself refuses rows younger than 183 days. Records the
    purge as ``audit.purge``; returns the number of events deleted."""
    days = audit_retention_days()
    with connection.cursor() as cursor:
        # The database's clock (the transaction's start), the one its guard measures the cutoff with.
        cursor.execute("SELECT now() - make_interval(days => %s)", [days])
        (cutoff,) = cursor.fetchone()
        cursor.execute("SELECT set_config(%s, %s, true)", [PURGE_SETTING, cutoff.isoformat()])
    deleted, _by_model = AuditEvent.objects.filter(at__lt=cutoff).delete()
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config(%s, '', true)", [PURGE_SETTING])
    audit_record(action="audit.purge", changes={"before": cutoff.isoformat(), "days": days, "deleted": deleted})
    return deleted
