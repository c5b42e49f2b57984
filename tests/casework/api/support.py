"""Helpers of the casework API tests: JSON clients on a host, the registration form, row counts."""

from __future__ import annotations

from typing import Any

from django.test import Client

from casework.models import Case, CaseEvent, TransferSlip
from hallindex.models import SlipIndex
from hallplatform.deadlines.models import Deadline
from hallplatform.schemas import use_hall_schema, use_public_schema
from notifications.models import Notice
from tenants.models import Department, Hall
from tests.conftest import client_for

ID_NUMBER = "11010519491231002X"  # the example of GB 11643 itself


class Api:
    """A logged-in JSON client on one host."""

    def __init__(self, username: str | None, code: str | None) -> None:
        self.client: Client = client_for(username, code)

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(path, params)

    def post(self, path: str, data: dict[str, Any] | None = None) -> Any:
        return self.client.post(path, data or {}, content_type="application/json")


def api(username: str | None, code: str | None = "wengyuan") -> Api:
    return Api(username, code)


def registration(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "channel": "on_site",
        "applicant_kind": "person",
        "applicant_name": "张三丰",
        "phone": "+86 138 1234 5678",
        "document_type": "resident_id",
        "document_number": ID_NUMBER.lower(),
        "address": "广东省韶关市翁源县龙仙镇建设路1号",
        "matter_name": "社保卡补办",
        "problem": "多次到窗口补办社保卡未成功，联系电话13812345678",
    }
    data.update(changes)
    return data


def dept(code: str) -> Department:
    """A department by ``hall/code``, e.g. ``wengyuan/rsj``."""
    hall, _, department = code.partition("/")
    return Department.objects.get(hall__code=hall, code=department)


def counts(hall_code: str = "wengyuan") -> dict[str, int]:
    """Rows of everything a casework step writes: the hall's and the public schema's."""
    use_hall_schema(Hall.objects.get(code=hall_code))
    try:
        return {
            "case": Case.objects.count(),
            "slip": TransferSlip.objects.count(),
            "event": CaseEvent.objects.count(),
            "slip_index": SlipIndex.objects.count(),
            "deadline": Deadline.objects.count(),
            "notice": Notice.objects.count(),
        }
    finally:
        use_public_schema()


def register(client: Api | None = None, **changes: Any) -> dict[str, Any]:
    """Register a case through the API as wengyuan's window; its detail."""
    response = (client or api("wengyuan_window")).post("/api/v1/cases/", registration(**changes))
    assert response.status_code == 201, response.content.decode()
    return dict(response.json())


def case_row(case_id: int, hall_code: str = "wengyuan") -> Case:
    use_hall_schema(Hall.objects.get(code=hall_code))
    try:
        return Case.objects.get(pk=case_id)
    finally:
        use_public_schema()
