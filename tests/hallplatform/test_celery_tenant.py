"""Tasks sent from a hall's request run in that hall's schema, on a real worker and broker."""

from __future__ import annotations

import pytest

from hallplatform.accounts.models import RoleKind
from hallplatform.accounts.services import staff_create
from tests.conftest import client_for


@pytest.mark.celery_worker
@pytest.mark.parametrize("code", ["wengyuan", "nanxiong"])
def test_task_sent_from_a_hall_request_runs_in_that_halls_schema(
    demo: object, celery_worker_process: str, code: str
) -> None:
    # given the hall lead of the hall, logged in on its host
    staff_create(username=f"lead_{code}", password="x", kind=RoleKind.HALL_LEAD, hall_code=code, check_password=False)
    client = client_for(f"lead_{code}", code)

    # when the page sends a task to the worker and waits for its answer
    response = client.get("/system/worker-check/")

    # then the worker ran it with the connection on that hall's schema, and said so from the database
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["task"]["schema"] == f"hall_{code}"
    assert body["task"]["database_schema"] == f"hall_{code}"
    assert body["task"]["hall"] == code
    assert body["status"] == "ok"


@pytest.mark.celery_worker
def test_task_sent_from_the_public_host_runs_in_the_public_schema(demo: object, celery_worker_process: str) -> None:
    response = client_for("operator", None).get("/system/worker-check/")

    assert response.status_code == 200, response.content
    assert response.json()["task"]["schema"] == "public"
    assert response.json()["task"]["database_schema"] == "public"


def test_worker_check_is_for_hall_leads_and_operators(demo: object) -> None:
    assert client_for("wengyuan_window", "wengyuan").get("/system/worker-check/").status_code == 404
    assert client_for("shaoguan_supervisor", None).get("/system/worker-check/").status_code == 404
