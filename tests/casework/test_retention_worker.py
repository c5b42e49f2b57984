"""Beat's retention sweep on a real Celery worker: the public task sends one erasure per hall, each
runs in its hall's schema and erases the case past its period. The worker is another process: the
data is committed, and removed afterwards (the timeline's guard is passed by replica mode, as a
database owner would)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from casework.choices import HandlingCategory
from casework.models import Case, CaseNumberSequence
from casework.services import case_answer_on_spot, case_close
from casework.tasks import case_retention_sweep_task
from hallplatform.audit.models import AuditEvent
from hallplatform.schemas import use_hall_schema, use_public_schema
from notifications.models import Notice
from tenants.models import Hall
from tests.casework.support import register
from tests.conftest import user
from tests.notifications.conftest import wait_for

pytestmark = pytest.mark.celery_worker


@pytest.fixture
def committed_hall(django_db_setup: None, django_db_blocker: Any) -> Iterator[Hall]:
    """wengyuan's schema with the test's rows committed, and every row added removed afterwards."""
    with django_db_blocker.unblock():
        hall = Hall.objects.get(code="wengyuan")
        audit_mark = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
        notice_mark = Notice.objects.order_by("-id").values_list("id", flat=True).first() or 0
        use_hall_schema(hall)
        case_mark = Case.objects.order_by("-id").values_list("id", flat=True).first() or 0
        sequences = {s.year: s.last for s in CaseNumberSequence.objects.all()}
        try:
            yield hall
        finally:
            use_hall_schema(hall)
            with connection.cursor() as cursor:
                cursor.execute("SET session_replication_role = replica")
                try:
                    for table in ("casework_caseevent", "casework_caseprogressaccess", "casework_progresscode"):
                        cursor.execute(f"DELETE FROM {table} WHERE case_id > %s", [case_mark])  # noqa: S608
                    cursor.execute("DELETE FROM casework_case WHERE id > %s", [case_mark])
                    cursor.execute(
                        "DELETE FROM public.coordination_caseindex WHERE hall_id = %s AND case_id > %s",
                        [hall.pk, case_mark],
                    )
                    cursor.execute("DELETE FROM public.notifications_notice WHERE id > %s", [notice_mark])
                    cursor.execute("DELETE FROM public.audit_auditevent WHERE id > %s", [audit_mark])
                finally:
                    cursor.execute("SET session_replication_role = DEFAULT")
            CaseNumberSequence.objects.exclude(year__in=sequences).delete()
            for year, last in sequences.items():
                CaseNumberSequence.objects.filter(year=year).update(last=last)
            use_public_schema()


def test_the_beat_task_erases_in_each_hall_on_the_worker(committed_hall: Hall, celery_worker_process: str) -> None:
    # given a case of wengyuan closed longer ago than the city's period, and one closed recently
    window = user("wengyuan_window")
    cases = []
    for days_ago in (1200, 10):
        case = register(committed_hall)
        case = case_answer_on_spot(case=case, actor=window, category=HandlingCategory.CONSULTATION, answer="已答复")
        case = case_close(case=case, actor=window)
        Case.objects.filter(pk=case.pk).update(closed_at=timezone.now() - timedelta(days=days_ago))
        cases.append(case)
    old, recent = cases
    use_public_schema()

    # when beat's daily task runs on the public schema
    halls = case_retention_sweep_task.delay().get(timeout=60)

    # then the worker erased the old case in wengyuan's schema, and only it
    assert halls == Hall.objects.filter(is_active=True).count()
    use_hall_schema(committed_hall)
    wait_for(lambda: Case.objects.get(pk=old.pk).erased_at is not None, what="the erasure", timeout=60)
    assert Case.objects.get(pk=old.pk).phone == ""
    assert Case.objects.get(pk=recent.pk).erased_at is None
    assert Case.objects.get(pk=recent.pk).phone != ""
    use_public_schema()
    wait_for(
        lambda: AuditEvent.objects.filter(action="case.retention_run", hall=committed_hall).exists(),
        what="the run's record",
    )
    run = AuditEvent.objects.filter(action="case.retention_run", hall=committed_hall).latest("id")
    assert run.changes["erased"] == 1
    assert AuditEvent.objects.filter(action="case.retention_erase", target_id=str(old.pk)).exists()
