"""The purge of the progress pages' old rows (casework/progress.py: progress_purge; casework/tasks.py):
old wrong tries and codes in every hall, expired CAPTCHA pictures and old code requests; the recent
ones kept. On a real worker, on beat's schedule, idempotent."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from captcha.models import CaptchaStore
from django.utils import timezone

from casework.models import ProgressCode, ProgressFailure
from casework.progress import progress_purge
from casework.tasks import progress_purge_task
from config.celery import app
from hallplatform.models import CodeRequest
from hallplatform.schemas import use_hall_schema, use_public_schema
from tenants.models import Hall
from tests.casework.support import Clock, install_clock, register
from tests.casework.test_progress_page import person

KEY = "purge-test"


def hall_schemas() -> list[Hall]:
    use_public_schema()
    return list(Hall.objects.exclude(schema_name="public").order_by("pk"))


def failures_by_hall() -> dict[str, set[str]]:
    found = {}
    for hall in hall_schemas():
        use_hall_schema(hall)
        found[hall.code] = set(ProgressFailure.objects.filter(key__startswith=KEY).values_list("key", flat=True))
    use_public_schema()
    return found


def plant(now: Any) -> None:
    """In every hall: a wrong try just outside the 30-minute window and one just inside; in the public
    schema: an expired and a live picture, an old and a recent code request."""
    for hall in hall_schemas():
        use_hall_schema(hall)
        ProgressFailure.objects.create(key=f"{KEY}-old", address="203.0.113.90", at=now - timedelta(minutes=31))
        ProgressFailure.objects.create(key=f"{KEY}-new", address="203.0.113.90", at=now - timedelta(minutes=29))
    use_public_schema()
    CaptchaStore.objects.create(challenge="OLDX", response="oldx", expiration=now - timedelta(seconds=1))
    CaptchaStore.objects.create(challenge="NEWX", response="newx", expiration=now + timedelta(minutes=4))
    CodeRequest.objects.create(scope=KEY, address="203.0.113.90", at=now - timedelta(minutes=61))
    CodeRequest.objects.create(scope=KEY, address="203.0.113.90", at=now - timedelta(minutes=59))


def remaining() -> tuple[dict[str, set[str]], set[str], set[str]]:
    failures = failures_by_hall()
    pictures = set(CaptchaStore.objects.filter(challenge__in=["OLDX", "NEWX"]).values_list("challenge", flat=True))
    requests = {
        "new" if at > timezone.now() - timedelta(minutes=60) else "old"
        for at in CodeRequest.objects.filter(scope=KEY).values_list("at", flat=True)
    }
    return failures, pictures, requests


def test_old_rows_go_in_every_hall_and_recent_ones_stay(demo: dict[str, Any]) -> None:
    plant(timezone.now())

    counts = progress_purge()

    failures, pictures, requests = remaining()
    assert len(failures) >= 4 and all(keys == {f"{KEY}-new"} for keys in failures.values())
    assert counts["halls"] == len(failures) and counts["failures"] >= len(failures)
    assert (pictures, requests) == ({"NEWX"}, {"new"})
    # idempotent: nothing more to do
    again = progress_purge()
    assert (again["failures"], again["captchas"], again["code_requests"]) == (0, 0, 0)
    assert remaining() == (failures, pictures, requests)


def test_codes_go_a_day_after_they_expired(demo: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    clock: Clock = install_clock(monkeypatch)
    wengyuan = demo["wengyuan"]
    use_hall_schema(wengyuan)
    case = register(wengyuan)
    person(address="203.0.113.91").post("/progress/code/", {"number": case.number})
    use_hall_schema(wengyuan)
    assert ProgressCode.objects.filter(case=case).count() == 1

    clock.advance(days=1)  # expired 23 h 55 min ago: the daily cap may still read it
    assert progress_purge()["codes"] == 0
    clock.advance(minutes=6)
    assert progress_purge()["codes"] == 1

    use_hall_schema(wengyuan)
    assert not ProgressCode.objects.filter(case=case).exists()


def test_beat_runs_the_purge_every_hour() -> None:
    entry = app.conf.beat_schedule["progress-purge"]

    assert entry["task"] == progress_purge_task.name
    assert progress_purge_task.name in app.tasks
    assert entry["schedule"].minute == {41} and len(entry["schedule"].hour) == 24


@pytest.fixture
def committed(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """Rows the worker process can see (committed); removed afterwards."""
    with django_db_blocker.unblock():
        try:
            yield
        finally:
            for hall in hall_schemas():
                use_hall_schema(hall)
                ProgressFailure.objects.filter(key__startswith=KEY).delete()
            use_public_schema()
            CaptchaStore.objects.filter(challenge__in=["OLDX", "NEWX"]).delete()
            CodeRequest.objects.filter(scope=KEY).delete()


@pytest.mark.celery_worker
def test_the_task_purges_every_hall_on_a_real_worker(committed: None, celery_worker_process: str) -> None:
    plant(timezone.now())

    result = progress_purge_task.apply_async(headers={"_schema_name": "public"})
    counts: dict[str, int] = result.get(timeout=120)

    failures, pictures, requests = remaining()
    assert counts["halls"] == len(failures) >= 4
    assert all(keys == {f"{KEY}-new"} for keys in failures.values())
    assert (pictures, requests) == ({"NEWX"}, {"new"})
    # run again: nothing left to delete
    again: dict[str, int] = progress_purge_task.apply_async(headers={"_schema_name": "public"}).get(timeout=120)
    assert (again["failures"], again["captchas"], again["code_requests"]) == (0, 0, 0)
