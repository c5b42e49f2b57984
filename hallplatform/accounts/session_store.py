"""The session store (``SESSION_ENGINE``): Django's database sessions, which also remember which sessions
each city login opened (``CityLoginSession``), so that logging out ends them all
(hallplatform/accounts/sso.py: ``city_login_end``)."""

from __future__ import annotations

from typing import Any

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore

from hallplatform.accounts.access import SESSION_CITY_LOGIN_KEY
from hallplatform.accounts.models import CityLoginSession


class SessionStore(DatabaseSessionStore):
    def save(self, must_create: bool = False) -> None:
        super().save(must_create=must_create)
        data: dict[str, Any] = getattr(self, "_session_cache", None) or {}
        login_id = data.get(SESSION_CITY_LOGIN_KEY)
        if login_id and self.session_key:
            # A key changes at login and at the second factor (cycle_key): each new key is linked again.
            CityLoginSession.objects.bulk_create(
                [CityLoginSession(login_id=login_id, session_key=self.session_key)],
                update_conflicts=True,
                unique_fields=["session_key"],
                update_fields=["login"],
            )
