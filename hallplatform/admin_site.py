from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import Http404, HttpRequest
from django.utils.translation import gettext_lazy as _

from hallplatform.accounts.access import request_roles
from hallplatform.accounts.models import OPERATOR_ROLES


class OperatorAdminSite(admin.AdminSite):
    """The admin serves only the public schema, and only platform operators and the system, security
    and audit administrators (each sees only the models of their duty: DutyPermissionBackend);
    others get 404."""

    site_header = _("Bancheng platform administration")
    site_title = _("Bancheng")
    index_title = _("Platform administration")

    def has_permission(self, request: HttpRequest) -> bool:
        return bool(
            getattr(request, "hall_route", "missing") is None
            and request.user.is_active
            and bool(request_roles(request) & set(OPERATOR_ROLES))
        )

    def admin_view(self, view: Any, cacheable: bool = False) -> Any:
        inner = super().admin_view(view, cacheable)

        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            if request.user.is_authenticated and not self.has_permission(request):
                raise Http404
            return inner(request, *args, **kwargs)

        guarded.__dict__.update(getattr(inner, "__dict__", {}))
        return guarded
