"""The tenant-aware Celery app: a task sent while a hall's schema is active runs in that schema.

tenant-schemas-celery puts the current schema name in the task's headers when it is sent and
switches the worker's connection to it before the task runs. A task that should run on the public
schema is sent from public-schema code (or says so with ``_schema_name="public"``).
"""

from __future__ import annotations

import os

from celery.signals import task_prerun
from tenant_schemas_celery.app import CeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = CeleryApp("bancheng")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
def _tag_task_with_hall(task_id: str | None = None, task: object = None, **_: object) -> None:
    # Imported when a task runs: this module is imported with the config package, before the settings
    # these modules read are loaded.
    from hallplatform import observability  # noqa: PLC0415
    from hallplatform.schemas import current_schema_name, current_tenant  # noqa: PLC0415

    public = current_schema_name() == "public"
    observability.set_hall_tag(None if public else getattr(current_tenant(), "code", None))
