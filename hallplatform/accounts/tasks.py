"""Housekeeping of the accounts app, run by beat on the public schema."""

from __future__ import annotations

from celery import shared_task

from hallplatform.accounts.sso import city_logins_purge


@shared_task(name="accounts.city_logins_purge_task")
def city_logins_purge_task() -> dict[str, int]:
    """Hourly: expired tickets, ended or expired city logins, expired sessions (hallplatform/accounts/sso.py)."""
    return city_logins_purge()
