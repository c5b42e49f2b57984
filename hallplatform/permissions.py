"""The permission every API view must carry (a system check enforces it)."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from rest_framework import exceptions, permissions
from rest_framework.request import Request

from hallplatform.accounts.access import request_roles
from hallplatform.throttling import anonymous_call_throttle


class HasRoleOnHost(permissions.BasePermission):
    """Deny unless the user holds a role on the request's host (see hallplatform.accounts.access).

    A view may narrow it with ``required_roles``. A user without a role gets 404, like a missing
    object, so that nothing is learnt about another hall.
    """

    def has_permission(self, request: Request, view: Any) -> bool:
        if not request.user or not request.user.is_authenticated:
            anonymous_call_throttle(request, view)
            raise exceptions.NotAuthenticated()
        django_request = request._request
        # Token authentication happens inside DRF: make the roles follow the authenticated user.
        django_request.user = request.user
        if getattr(django_request, "_host_roles_user", None) != request.user.pk:
            django_request._host_roles = None  # type: ignore[attr-defined]
            django_request._host_roles_routed = None  # type: ignore[attr-defined]
            django_request._host_roles_user = request.user.pk  # type: ignore[attr-defined]
        django_request._routed_endpoint = bool(getattr(view, "routed_department_endpoint", False))  # type: ignore[attr-defined]
        roles = request_roles(django_request)
        required = getattr(view, "required_roles", None)
        if not roles or (required is not None and not roles & frozenset(required)):
            raise Http404
        return True


class IsLoggedInOnHost(HasRoleOnHost):
    """Any person logged in on this host, with or without a role here: for what holds no data of
    any hall (the API's schema and its browsable docs). Anonymous calls are 401, throttled as the
    other API calls are."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if not request.user or not request.user.is_authenticated:
            anonymous_call_throttle(request, view)
            raise exceptions.NotAuthenticated()
        return True
