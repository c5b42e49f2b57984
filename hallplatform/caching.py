"""Helpers for the keys this project keeps in the shared cache (Redis)."""

from __future__ import annotations

from typing import Any, cast

from django.core.cache import cache
from django.db import connection


def database_key(prefix: str, rest: str) -> str:
    """``prefix`` + this database's name + ``rest``: deployments, checkouts and test runs that share
    one Redis keep apart by their database."""
    return f"{prefix}{connection.settings_dict['NAME']}:{rest}"


def delete_database_keys(prefix: str) -> int:
    """Drop every key ``database_key(prefix, …)`` of this database; returns how many were dropped."""
    pattern = cache.make_key(database_key(prefix, "*"))
    client = cast(Any, cache)._cache.get_client(write=True)  # Django's RedisCache: a redis.Redis
    keys = list(client.scan_iter(match=pattern, count=1000))
    if keys:
        client.delete(*keys)
    return len(keys)
