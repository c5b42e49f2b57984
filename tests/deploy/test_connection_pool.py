"""DATABASE_POOL=1 with django-tenants: a connection back in the pool never carries a hall's schema
into the next user of it.

django-tenants sets ``search_path`` with a session-level ``SET`` and remembers, per Django connection
object, that it did; Django's pool hands the same PostgreSQL session to another thread later. The
leak would be a connection object that set the public path on an earlier session, skips the ``SET``
and runs on the session a hall's request left behind. The pool holds one connection here, so every
step shares one session; the control test shows that the scenario does expose a backend that
remembered its path across ``close()``.
"""

from __future__ import annotations

import json
import os
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.db import connection

from tests.deploy.support import production_env, run_python

SCRIPT = """
import json, os, threading
import django
django.setup()
from django.db import connection

if os.environ.get("SIMULATE_FORGETFUL_BACKEND"):
    # a backend that remembered its search_path across close(), as django-tenants must not
    from django_tenants.postgresql_backend.base import DatabaseWrapper, original_backend
    def close(self):
        original_backend.DatabaseWrapper.close(self)
    DatabaseWrapper.close = close

def state():
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('search_path'), pg_backend_pid(), current_schema()")
        path, pid, schema = cursor.fetchone()
    return {"path": path, "pid": pid, "schema": schema}

seen = {}

def public_request(label):
    connection.set_schema_to_public()       # what HallRoutingMiddleware does first, every request
    seen[label] = state()
    connection.close()                      # request_finished: the session goes back to the pool

def hall_request(label):
    connection.set_schema_to_public()
    connection.set_schema("hall_wengyuan")  # the hall chosen from the host
    seen[label] = state()
    connection.close()

def public_thread():
    public_request("public_before")
    hall_done.wait()
    # the same thread again, its connection object still on the public schema (a public-schema task,
    # a command): nothing calls set_schema_*, the first cursor on the reused session must re-set it
    seen["public_after"] = state()
    connection.close()

def hall_thread():
    hall_request("hall")

hall_done = threading.Event()
first = threading.Thread(target=public_thread)
first.start()
while "public_before" not in seen:
    pass
second = threading.Thread(target=hall_thread)
second.start()
second.join()
hall_done.set()
first.join()

# in one thread too: a hall's request, then a task or command that only asks for the public schema
hall_request("hall_again")
connection.set_schema_to_public()
seen["public_same_thread"] = state()
connection.close()
print(json.dumps({"pool": connection.pool is not None, "seen": seen}))
"""


def run_script(**extra: str) -> dict[str, Any]:
    # the pytest database, where the demo halls' schemas exist (committed once per session)
    parts = urlsplit(os.environ.get("DATABASE_URL", settings.DATABASE_URL))
    url = urlunsplit(parts._replace(path="/" + connection.settings_dict["NAME"]))
    env = production_env(
        DATABASE_URL=url, DATABASE_POOL="1", DATABASE_POOL_MIN_SIZE="1", DATABASE_POOL_MAX_SIZE="1", **extra
    )
    result = run_python(SCRIPT, env)
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def test_a_pooled_session_never_keeps_a_halls_search_path(demo: object) -> None:
    report = run_script()

    seen = report["seen"]
    assert report["pool"] is True
    # one PostgreSQL session served every request: the pool really handed it on
    assert len({entry["pid"] for entry in seen.values()}) == 1, seen
    assert seen["hall"]["path"] == "hall_wengyuan, public"
    assert seen["hall"]["schema"] == "hall_wengyuan"
    # after the hall's request, the public requests ran on the public schema only
    for label in ("public_before", "public_after", "public_same_thread"):
        assert seen[label]["path"] == "public", (label, seen)
        assert seen[label]["schema"] == "public", (label, seen)


def test_the_scenario_would_show_a_leak(demo: object) -> None:
    # control: with a backend that forgot to re-set the path on a new session, the public thread's
    # second request would run on the session the hall's request left behind
    seen = run_script(SIMULATE_FORGETFUL_BACKEND="1")["seen"]

    assert seen["public_after"]["path"] == "hall_wengyuan, public", seen
