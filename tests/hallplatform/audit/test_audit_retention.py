"""The audit trail is immutable in the database (migration audit.0003) except for the retention
purge (`hallplatform/audit/services.py: audit_purge_expired`), which deletes only rows older than
AUDIT_RETENTION_DAYS and never anything younger than 183 days."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.test import override_settings

from hallplatform.audit.models import AuditEvent
from hallplatform.audit.services import PURGE_SETTING, audit_purge_expired, audit_record
from hallplatform.audit.tasks import audit_purge_expired_task

pytestmark = pytest.mark.django_db


def event_aged(days: int, action: str = "login.success") -> int:
    """An audit event written ``days`` ago (INSERT is allowed; its time cannot be changed afterwards)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO audit_auditevent (at, action, target_type, target_id, changes) "
            "VALUES (now() - %s * interval '1 day', %s, '', '', '{}') RETURNING id",
            [days, action],
        )
        return cursor.fetchone()[0]


def refused(sql: str, params: list[object] | None = None) -> None:
    with pytest.raises(DatabaseError, match="immutable"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params or [])


def test_update_is_refused_by_the_database() -> None:
    event = audit_record(action="login.success", changes={"ip": "10.0.0.1"})

    refused("UPDATE audit_auditevent SET changes = '{}' WHERE id = %s", [event.pk])
    with pytest.raises(DatabaseError, match="immutable"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action="login.failure")

    event.refresh_from_db()
    assert (event.action, event.changes) == ("login.success", {"ip": "10.0.0.1"})


def test_delete_and_truncate_are_refused_even_for_old_rows() -> None:
    old = event_aged(1000)
    recent = audit_record(action="role.grant").pk

    refused("DELETE FROM audit_auditevent WHERE id = %s", [old])
    refused("DELETE FROM audit_auditevent WHERE id = %s", [recent])
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # else TRUNCATE stops at the pending FK checks
    refused("TRUNCATE audit_auditevent CASCADE")

    assert AuditEvent.objects.filter(pk__in=[old, recent]).count() == 2


def test_a_cutoff_younger_than_six_months_deletes_nothing() -> None:
    # given a row a month old and another 170 days old
    month, almost = event_aged(30), event_aged(170)

    # when someone sets the purge's setting to a cutoff only ten days back and deletes
    with pytest.raises(DatabaseError, match="immutable"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT set_config(%s, (now() - interval '10 days')::text, true)", [PURGE_SETTING])
        cursor.execute("DELETE FROM audit_auditevent WHERE id IN (%s, %s)", [month, almost])

    # then the database refuses: the guard itself keeps six months, whatever the setting
    assert AuditEvent.objects.filter(pk__in=[month, almost]).count() == 2


def test_the_cutoff_allows_only_older_rows() -> None:
    older, younger = event_aged(300), event_aged(250)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT set_config(%s, (now() - interval '280 days')::text, true)", [PURGE_SETTING])
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [older])
        assert cursor.rowcount == 1
    refused_younger = younger
    with pytest.raises(DatabaseError, match="immutable"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT set_config(%s, (now() - interval '280 days')::text, true)", [PURGE_SETTING])
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [refused_younger])
    assert AuditEvent.objects.filter(pk=younger).exists() and not AuditEvent.objects.filter(pk=older).exists()


@override_settings(AUDIT_RETENTION_DAYS=400)
def test_the_purge_deletes_what_is_older_than_the_retention_and_records_itself() -> None:
    # given events 500, 401, 399 and 10 days old
    gone = [event_aged(500), event_aged(401, "case.reveal")]
    kept = [event_aged(399), event_aged(10)]

    # when beat's purge runs
    deleted = audit_purge_expired_task()

    # then the two older than 400 days are gone, the others stay, and the purge is on the trail
    assert deleted == 2
    assert not AuditEvent.objects.filter(pk__in=gone).exists()
    assert AuditEvent.objects.filter(pk__in=kept).count() == 2
    purge = AuditEvent.objects.filter(action="audit.purge").latest("pk")
    assert purge.changes["deleted"] == 2 and purge.changes["days"] == 400
    # and the permission ended with the purge: the same transaction cannot delete again
    refused("DELETE FROM audit_auditevent WHERE id = %s", [kept[0]])


@override_settings(AUDIT_RETENTION_DAYS=100)
def test_a_retention_under_six_months_is_refused_and_deletes_nothing() -> None:
    old = [event_aged(150), event_aged(500)]
    purges = AuditEvent.objects.filter(action="audit.purge").count()

    with pytest.raises(ImproperlyConfigured, match="183"):
        audit_purge_expired()

    assert AuditEvent.objects.filter(pk__in=old).count() == 2
    assert AuditEvent.objects.filter(action="audit.purge").count() == purges


@override_settings(AUDIT_RETENTION_DAYS=183)
def test_the_command_purges_too(capsys: pytest.CaptureFixture[str]) -> None:
    gone, kept = event_aged(190), event_aged(180)

    call_command("purge_audit")

    assert "1 audit events deleted." in capsys.readouterr().out
    assert not AuditEvent.objects.filter(pk=gone).exists() and AuditEvent.objects.filter(pk=kept).exists()


def test_beat_purges_daily() -> None:
    entry = settings.CELERY_BEAT_SCHEDULE["audit-purge-expired"]
    assert entry["task"] == "audit.audit_purge_expired_task"
    assert settings.AUDIT_RETENTION_DAYS >= 183


@pytest.mark.parametrize(("value", "starts"), [("182", False), ("183", True)])
def test_the_setting_below_six_months_stops_the_start(value: str, starts: bool) -> None:
    env = {**os.environ, "AUDIT_RETENTION_DAYS": value, "BANCHENG_INSECURE_DEV_KEY": "1"}
    result = subprocess.run(
        [sys.executable, "-c", "import config.settings"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (result.returncode == 0) is starts, result.stderr[-2000:]
    if not starts:
        assert "AUDIT_RETENTION_DAYS=182" in result.stderr
