"""The department inbox (/inbox/ on every host): one query over the public index, for every hall."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from casework.choices import HandlingCategory
from hallplatform.accounts.services import staff_create
from hallplatform.deadlines.models import Deadline
from tenants.models import Hall
from tests.casework.web_department.conftest import Slips, transfer
from tests.conftest import client_for


def slip_link(code: str, slip_id: int, port: str = "") -> str:
    return f'href="http://{code}.localhost{port}/slips/{slip_id}/"'


@pytest.mark.parametrize("host", [None, "shaoguan"])
def test_city_level_handler_sees_the_slips_of_every_county(slips: Slips, host: str | None) -> None:
    # when the handler of the city-level shaoguan/rsj opens the inbox on the portal or the city hall
    response = client_for("shaoguan_rsj", host).get("/inbox/")

    # then the slips from wengyuan and nanxiong are there, linked to their halls' hosts
    assert response.status_code == 200
    content = response.content.decode()
    assert slips.wengyuan_city.number in content
    assert slips.nanxiong_city.number in content
    assert slips.wengyuan_county.number not in content
    assert slip_link("wengyuan", slips.wengyuan_city.pk) in content
    assert slip_link("nanxiong", slips.nanxiong_city.pk) in content
    assert "翁源县政务服务中心" in content and "南雄市政务服务中心" in content


@pytest.mark.parametrize("host", [None, "wengyuan"])
def test_county_handler_sees_only_its_own_halls_slips(slips: Slips, host: str | None) -> None:
    response = client_for("wengyuan_rsj", host).get("/inbox/")

    assert response.status_code == 200
    content = response.content.decode()
    assert slips.wengyuan_county.number in content
    assert slips.wengyuan_city.number not in content
    assert slips.nanxiong_city.number not in content
    assert slip_link("wengyuan", slips.wengyuan_county.pk) in content


def test_other_departments_see_none(slips: Slips) -> None:
    staff_create(
        username="wengyuan_scjgj", password="x", kind="department_handler", department_code="wengyuan/scjgj",
        check_password=False,
    )  # fmt: skip

    response = client_for("wengyuan_scjgj", "wengyuan").get("/inbox/?status=all")

    assert response.status_code == 200
    content = response.content.decode()
    for slip in (slips.wengyuan_city, slips.wengyuan_county, slips.nanxiong_city):
        assert slip.number not in content


@pytest.mark.parametrize(
    ("username", "host"),
    [("wengyuan_window", "wengyuan"), ("wengyuan_lead", "wengyuan"), ("wengyuan_window", None),
     ("shaoguan_supervisor", None), ("shaoguan_supervisor", "wengyuan")],
)  # fmt: skip
def test_window_staff_and_supervisors_get_404(slips: Slips, username: str, host: str | None) -> None:
    assert client_for(username, host).get("/inbox/").status_code == 404


def test_anonymous_is_sent_to_log_in(demo: dict[str, Hall]) -> None:
    response = client_for(None, "wengyuan").get("/inbox/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_link_keeps_the_port_of_the_request(slips: Slips) -> None:
    response = client_for("shaoguan_rsj", None).get("/inbox/", HTTP_HOST="localhost:8000")

    assert slip_link("wengyuan", slips.wengyuan_city.pk, ":8000") in response.content.decode()


def test_filters_status_hall_and_overdue(slips: Slips, demo: dict[str, Hall]) -> None:
    client = client_for("shaoguan_rsj", None)

    def numbers(query: str) -> set[str]:
        content = client.get(f"/inbox/{query}").content.decode()
        return {s.number for s in (slips.wengyuan_city, slips.nanxiong_city) if s.number in content}

    both = {slips.wengyuan_city.number, slips.nanxiong_city.number}
    assert numbers("") == both
    assert numbers("?status=sent") == both
    assert numbers("?status=replied") == set()
    assert numbers("?status=all") == both
    assert numbers(f"?hall={demo['nanxiong'].pk}") == {slips.nanxiong_city.number}
    assert numbers("?overdue=on") == set()
    # values that are not choices are ignored, never an error
    assert numbers("?status=bogus&hall=abc&page=99") == both

    # given nanxiong's slip past its due time
    Deadline.objects.filter(
        subject_type="casework.TransferSlip", subject_id=str(slips.nanxiong_city.pk), hall=demo["nanxiong"]
    ).update(due_at=timezone.now() - timedelta(hours=1), warn_at=timezone.now() - timedelta(hours=3))
    assert numbers("?overdue=on") == {slips.nanxiong_city.number}
    content = client.get("/inbox/").content.decode()
    assert "due-red" in content and "due-green" in content


def test_refused_case_is_highlighted_for_supervision(slips: Slips) -> None:
    content = client_for("shaoguan_rsj", None).get("/inbox/").content.decode()

    rows = [row for row in content.split("<tr") if "/slips/" in row]
    (supervised,) = [row for row in rows if 'class="supervised' in row]
    assert slips.nanxiong_city.number in supervised
    assert str(HandlingCategory.REFUSED.label) in supervised


def test_inbox_costs_a_constant_number_of_queries(demo: dict[str, Hall]) -> None:
    # given 2 slips in two halls
    transfer(demo["wengyuan"], ["shaoguan/rsj"])
    transfer(demo["nanxiong"], ["shaoguan/rsj"])
    client = client_for("shaoguan_rsj", None)
    client.get("/inbox/")  # warm: session, routes
    with CaptureQueriesContext(connection) as two:
        response = client.get("/inbox/")
    assert response.content.decode().count("/slips/") == 2 * 2  # the number's link and the open button

    # when there are 12, spread over four halls
    for hall in ("wengyuan", "nanxiong", "lechang", "xinfeng", "wengyuan"):
        transfer(demo[hall], ["shaoguan/rsj"], complexity="complex")
        transfer(demo[hall], ["shaoguan/rsj"], category=HandlingCategory.REFUSED)
    with CaptureQueriesContext(connection) as twelve:
        response = client.get("/inbox/")

    # then the page costs the same number of queries
    assert response.content.decode().count("/slips/") == 12 * 2
    assert len(twelve) == len(two), [q["sql"] for q in twelve.captured_queries]
