"""System checks that keep authorisation deny-by-default as the code grows."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.core.checks import Error, register
from django.urls import URLPattern, URLResolver, get_resolver

from hallplatform.permissions import HasRoleOnHost


def iter_views(urlconf: str) -> Iterator[tuple[str, Any]]:
    """(route, view callable) for every pattern of a URL conf, nested includes flattened."""

    def walk(patterns: list[Any], prefix: str) -> Iterator[tuple[str, Any]]:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                yield prefix + str(pattern.pattern), pattern.callback

    yield from walk(get_resolver(urlconf).url_patterns, "")


@register()
def api_views_check_host_roles(app_configs: Any, **kwargs: Any) -> list[Error]:
    """Every DRF view must keep HasRoleOnHost among its permission classes (or be public)."""
    errors = []
    for urlconf in (settings.ROOT_URLCONF, settings.PUBLIC_SCHEMA_URLCONF):
        for route, view in iter_views(urlconf):
            cls = getattr(view, "cls", None)
            if cls is None or not hasattr(cls, "permission_classes") or getattr(view, "public_endpoint", False):
                continue
            if not any(issubclass(p, HasRoleOnHost) for p in cls.permission_classes):
                errors.append(
                    Error(
                        f"API view {cls.__name__} at {route!r} ({urlconf}) does not use HasRoleOnHost.",
                        hint="Keep hallplatform.permissions.HasRoleOnHost in permission_classes.",
                        id="bancheng.E001",
                    )
                )
    return errors
