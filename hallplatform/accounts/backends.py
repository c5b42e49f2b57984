"""The platform admin's permissions of the three administrators (separation of duties, 三员分立).

The combined platform operator is a superuser and holds every permission. The system, security and
audit administrators are not superusers: this backend gives each the Django permissions of their
duty only, so the admin shows and lets them change only their part (docs/security.md, "Separation
of duties"). It authenticates nobody.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import BaseBackend
from django.contrib.auth.models import Permission

from hallplatform.accounts.models import RoleAssignment, RoleKind

# The system administrator runs the platform: halls and departments, the calendar and office hours,
# notices and their templates.
SYSTEM_APPS = frozenset({"tenants", "workdays", "notifications"})
# The security administrator manages people, their roles, API tokens and identity provider links (never deletes a login:
# the audit trail points at it). Lockouts are on /accounts/lockouts/.
SECURITY_PERMISSIONS = frozenset(
    {
        "accounts.view_user",
        "accounts.add_user",
        "accounts.change_user",
        "accounts.view_roleassignment",
        "accounts.add_roleassignment",
        "accounts.change_roleassignment",
        "accounts.delete_roleassignment",
        "accounts.view_apitoken",
        # Binding staff to the province's identity provider by its `sub` (hallplatform/accounts/oidc.py).
        "accounts.view_oidcidentity",
        "accounts.add_oidcidentity",
        "accounts.delete_oidcidentity",
    }
)
# The audit administrator reads the audit trail, and changes nothing.
AUDIT_PERMISSIONS = frozenset({"audit.view_auditevent"})

_CACHE = "_bancheng_duty_perms"


def duty_permissions(kinds: set[str]) -> set[str]:
    """The Django permissions (``app_label.codename``) of the duties held."""
    perms: set[str] = set()
    if RoleKind.SYSTEM_ADMIN in kinds:
        rows = Permission.objects.filter(content_type__app_label__in=SYSTEM_APPS).values_list(
            "content_type__app_label", "codename"
        )
        perms |= {f"{app}.{codename}" for app, codename in rows}
    if RoleKind.SECURITY_ADMIN in kinds:
        perms |= SECURITY_PERMISSIONS
    if RoleKind.AUDIT_ADMIN in kinds:
        perms |= AUDIT_PERMISSIONS
    return perms


class DutyPermissionBackend(BaseBackend):
    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        if not user_obj.is_active or user_obj.is_anonymous:
            return set()
        cached = getattr(user_obj, _CACHE, None)
        if cached is None:
            kinds = set(
                RoleAssignment.objects.filter(
                    user_id=user_obj.pk,
                    kind__in=(RoleKind.SYSTEM_ADMIN, RoleKind.SECURITY_ADMIN, RoleKind.AUDIT_ADMIN),
                ).values_list("kind", flat=True)
            )
            cached = duty_permissions(kinds)
            setattr(user_obj, _CACHE, cached)
        return set(cached)

    def has_perm(self, user_obj: Any, perm: str, obj: Any = None) -> bool:
        return perm in self.get_all_permissions(user_obj, obj)

    def has_module_perms(self, user_obj: Any, app_label: str) -> bool:
        return any(perm.startswith(f"{app_label}.") for perm in self.get_all_permissions(user_obj))
