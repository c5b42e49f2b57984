"""What failed (rule art. 4: 未受理 / 受理后未审批 / 多次跑动仍未办成 / 其他), issue 17 item 8: recorded at
registration through the service, the API and the page, printed, indexed and counted."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError

from analytics.report_pdf import report_tables
from analytics.selectors import Period, Scope, figures_for
from analytics.tables import section_table
from casework.choices import FailureKind
from casework.models import Case, CaseEvent
from casework.services import case_register
from hallindex.models import CaseIndex
from hallplatform.schemas import use_hall_schema
from tests.casework.api.support import api, registration
from tests.casework.test_case_register import form
from tests.casework.web.conftest import zh
from tests.conftest import client_for, user


@pytest.fixture
def wengyuan(demo: dict[str, Any]) -> Any:
    use_hall_schema(demo["wengyuan"])
    return demo["wengyuan"]


def test_the_kind_is_kept_indexed_and_optional(wengyuan: Any) -> None:
    kind = case_register(hall=wengyuan, actor=user("wengyuan_window"), data=form(failure_kind="repeated_visits"))
    none = case_register(hall=wengyuan, actor=user("wengyuan_window"), data=form())

    assert Case.objects.get(pk=kind.pk).failure_kind == FailureKind.REPEATED_VISITS
    assert Case.objects.get(pk=none.pk).failure_kind == ""
    rows = dict(CaseIndex.objects.filter(hall=wengyuan).values_list("case_id", "failure_kind"))
    assert rows == {kind.pk: "repeated_visits", none.pk: ""}


def test_an_unknown_kind_is_refused_and_nothing_is_kept(wengyuan: Any) -> None:
    before = (Case.objects.count(), CaseEvent.objects.count(), CaseIndex.objects.count())

    with pytest.raises(ValidationError) as refused:
        case_register(hall=wengyuan, actor=user("wengyuan_window"), data=form(failure_kind="bad_weather"))

    assert "failure_kind" in refused.value.message_dict
    assert (Case.objects.count(), CaseEvent.objects.count(), CaseIndex.objects.count()) == before


def test_statistics_and_the_monthly_report_count_the_kinds(wengyuan: Any) -> None:
    for kind in ("not_accepted", "not_approved", "not_approved", ""):
        case_register(hall=wengyuan, actor=user("wengyuan_window"), data=form(failure_kind=kind))
    today = Case.objects.latest("registered_at").registered_at.date()

    figures = figures_for(scope=Scope.of_hall(wengyuan), period=Period.month_of(today)).as_dict()

    assert figures["by_failure_kind"] == {"not_accepted": 1, "not_approved": 2}
    content = {"figures": figures, "scope": "hall", "scope_name": "x", "period": {"name": "x"}}
    [table] = [t for t in report_tables(content) if t.key == "failure"]
    assert len(table.rows) >= 2


def test_a_report_made_before_the_kinds_were_counted_still_renders() -> None:
    table = section_table({"cases": 3, "period": {"first": "2026-01-01", "last": "2026-01-31"}}, "failure")
    assert table.key == "failure"


# --- Through the API and the pages -----------------------------------------------------------------------


def test_the_api_takes_the_kind_and_works_without_it(wengyuan: Any) -> None:
    window = api("wengyuan_window")

    with_kind = window.post("/api/v1/cases/", registration(failure_kind="not_approved"))
    without = window.post("/api/v1/cases/", registration())

    assert with_kind.status_code == without.status_code == 201
    assert with_kind.json()["failure_kind"] == "not_approved"
    assert without.json()["failure_kind"] == ""
    detail = window.get(f"/api/v1/cases/{with_kind.json()['id']}/")
    assert detail.json()["failure_kind"] == "not_approved"


def test_the_api_refuses_an_unknown_kind_naming_the_field(wengyuan: Any) -> None:
    response = api("wengyuan_window").post("/api/v1/cases/", registration(failure_kind="bad_weather"))

    assert response.status_code == 400
    assert "failure_kind" in response.json()["fields"]
    use_hall_schema(wengyuan)
    assert Case.objects.count() == 0


def test_the_page_records_the_kind_and_the_prints_show_it(wengyuan: Any) -> None:
    client = client_for("wengyuan_window", "wengyuan")
    data = {
        "channel": "on_site", "applicant_kind": "person", "applicant_name": "王五", "phone": "13922223333",
        "document_type": "resident_id", "document_number": "11010519491231002X",
        "matter_name": "不动产登记", "problem": "材料齐全但未受理", "failure_kind": "not_accepted",
    }  # fmt: skip

    page = client.get("/cases/new/").content.decode()
    response = client.post("/cases/new/", data, follow=True)

    assert 'name="failure_kind"' in page
    use_hall_schema(wengyuan)
    case = Case.objects.get()
    assert case.failure_kind == "not_accepted"
    label = zh("Not accepted (未受理)")
    assert f'id="failure-kind">{label}<' in response.content.decode()
    printed = client.get(f"/cases/{case.pk}/print/registration/").content.decode()
    assert f'id="failure-kind">{label}<' in printed


def test_the_page_refuses_an_unknown_kind_and_saves_nothing(wengyuan: Any) -> None:
    client = client_for("wengyuan_window", "wengyuan")
    data = {
        "channel": "on_site", "applicant_kind": "person", "applicant_name": "王五", "phone": "13922223333",
        "document_type": "resident_id", "document_number": "11010519491231002X",
        "matter_name": "不动产登记", "problem": "材料齐全但未受理", "failure_kind": "bad_weather",
    }  # fmt: skip

    response = client.post("/cases/new/", data)

    assert response.status_code == 200 and 'class="field-invalid">' in response.content.decode()
    use_hall_schema(wengyuan)
    assert Case.objects.count() == 0
