"""Transfers across halls (异地转办): routing under the city's setting, the refusal, the receiving
department on the sending hall's host (and nothing else there), the receiving lead's list, the inbox."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from analytics.selectors import Period, Scope, figures_for
from casework.models import TransferSlip
from hallindex.models import CaseIndex, SlipIndex
from hallplatform.accounts.services import api_token_for, staff_create
from hallplatform.deadlines.models import Deadline
from hallplatform.schemas import use_hall_schema
from tenants.models import CityRouting, RoutingScope
from tenants.selectors import GROUP_CITY, GROUP_OTHER, GROUP_OWN, department_list_routable_from
from tests.casework.support import dept, draft, install_clock, refused_fields, register, transfer, world
from tests.conftest import client_for, user
from tests.hallplatform.test_isolation import HALL_ROUTES

PASSWORD = "Xfer17-Strong-Pass!"


@pytest.fixture
def nanxiong_rsj(demo: Any) -> str:
    """A handler of 南雄市人社局 (another county of 韶关) and a lead of 南雄's hall."""
    staff_create(username="nanxiong_rsj", password=PASSWORD, kind="department_handler", department_code="nanxiong/rsj")
    staff_create(username="nanxiong_lead", password=PASSWORD, kind="hall_lead", hall_code="nanxiong")
    return "nanxiong_rsj"


def _in_wengyuan(demo: Any) -> Any:
    use_hall_schema(demo["wengyuan"])
    return demo["wengyuan"]


def _restrict(city: Any, scope: str, pairs: list[list[int]] | None = None) -> None:
    CityRouting.objects.update_or_create(city=city, defaults={"scope": scope, "pairs": pairs or []})


def test_by_default_a_county_routes_to_every_hall_of_its_city_own_first(demo: Any) -> None:
    wengyuan, shaoguan = demo["wengyuan"], demo["shaoguan"]

    departments = list(department_list_routable_from(hall_id=wengyuan.pk, city_id=shaoguan.pk))

    groups = [d.route_group for d in departments]
    assert groups == sorted(groups)  # own hall's first, then the city level's, then other counties'
    assert {d.hall_id for d in departments if d.route_group == GROUP_OWN} == {wengyuan.pk}
    assert {d.hall_id for d in departments if d.route_group == GROUP_CITY} == {shaoguan.pk}
    assert dept("nanxiong/rsj") in [d for d in departments if d.route_group == GROUP_OTHER]
    assert not any(d.hall.code == "qingcheng" for d in departments)  # another city: never


def test_the_city_hall_routes_to_every_county_by_default(demo: Any) -> None:
    shaoguan = demo["shaoguan"]
    departments = list(department_list_routable_from(hall_id=shaoguan.pk, city_id=shaoguan.pk))
    assert departments[0].hall_id == shaoguan.pk
    assert dept("wengyuan/rsj") in departments and dept("nanxiong/rsj") in departments


def test_restricted_to_own_and_city_or_to_listed_pairs(demo: Any) -> None:
    wengyuan, nanxiong, shaoguan = demo["wengyuan"], demo["nanxiong"], demo["shaoguan"]
    _restrict(shaoguan, RoutingScope.OWN_AND_CITY)
    halls = {d.hall_id for d in department_list_routable_from(hall_id=wengyuan.pk, city_id=shaoguan.pk)}
    assert halls == {wengyuan.pk, shaoguan.pk}

    _restrict(shaoguan, RoutingScope.PAIRS, [[wengyuan.pk, nanxiong.pk]])
    halls = {d.hall_id for d in department_list_routable_from(hall_id=wengyuan.pk, city_id=shaoguan.pk)}
    assert halls == {wengyuan.pk, shaoguan.pk, nanxiong.pk}
    # the pair is one-way
    back = {d.hall_id for d in department_list_routable_from(hall_id=nanxiong.pk, city_id=shaoguan.pk)}
    assert back == {nanxiong.pk, shaoguan.pk}


def test_transfer_to_another_county_is_indexed_for_the_receiving_department(
    demo: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_clock(monkeypatch)
    case = transfer(register(_in_wengyuan(demo)), draft("nanxiong/rsj"))

    slip = TransferSlip.objects.get(case=case)
    row = SlipIndex.objects.get(hall_id=demo["wengyuan"].pk, slip_id=slip.pk)
    assert row.department_id == dept("nanxiong/rsj").pk
    # the case stays with the hall that registered it; its deadline is the sending hall's
    deadline = Deadline.objects.get(pk=row.deadline_id)
    assert deadline.hall_id == demo["wengyuan"].pk


def test_transfer_to_a_department_not_routable_is_refused_and_writes_nothing(
    demo: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_clock(monkeypatch)
    _restrict(demo["shaoguan"], RoutingScope.OWN_AND_CITY)
    case = register(_in_wengyuan(demo))
    before = world(case)

    with pytest.raises(ValidationError) as excinfo:
        transfer(case, draft("nanxiong/rsj"))

    assert refused_fields(excinfo) == {"slips.0.department"}
    assert world(case) == before


def test_transfer_through_the_api_refuses_an_unroutable_department(demo: Any) -> None:
    _restrict(demo["shaoguan"], RoutingScope.OWN_AND_CITY)
    case = register(_in_wengyuan(demo))
    before = world(case)
    client = client_for("wengyuan_window", "wengyuan")
    body = {
        "category": "hard_to_do",
        "slips": [{"department": dept("nanxiong/rsj").pk, "request": "请核实并办理", "complexity": "ordinary"}],
        "version": case.version,
    }

    response = client.post(f"/api/v1/cases/{case.pk}/transfer/", body, content_type="application/json")

    assert response.status_code == 400
    assert any(key.startswith("slips.0.department") for key in response.json()["fields"])
    use_hall_schema(demo["wengyuan"])
    assert world(case) == before


def test_api_departments_lists_other_counties_by_default(demo: Any) -> None:
    response = client_for("wengyuan_window", "wengyuan").get("/api/v1/departments/")
    assert response.status_code == 200
    ids = [row["id"] for row in response.json()]
    assert dept("nanxiong/rsj").pk in ids
    assert ids.index(dept("wengyuan/rsj").pk) < ids.index(dept("shaoguan/rsj").pk) < ids.index(dept("nanxiong/rsj").pk)


def _sent(demo: Any, monkeypatch: pytest.MonkeyPatch) -> TransferSlip:
    install_clock(monkeypatch)
    case = transfer(register(_in_wengyuan(demo)), draft("nanxiong/rsj"))
    return TransferSlip.objects.get(case=case)


def test_receiving_department_opens_and_works_the_slip_on_the_sending_hall(
    demo: Any, nanxiong_rsj: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    slip = _sent(demo, monkeypatch)
    client = client_for(nanxiong_rsj, "wengyuan")

    assert client.get(f"/slips/{slip.pk}/").status_code == 200
    assert client.get(f"/slips/{slip.pk}/print/").status_code == 200
    api = client.get(f"/api/v1/slips/{slip.pk}/")
    assert api.status_code == 200
    assert api.json()["id"] == slip.pk

    response = client.post(
        f"/api/v1/slips/{slip.pk}/receive/", {"version": slip.version}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    use_hall_schema(demo["wengyuan"])
    slip.refresh_from_db()
    assert slip.status == "received"
    assert SlipIndex.objects.get(hall_id=demo["wengyuan"].pk, slip_id=slip.pk).status == "received"


def test_receiving_department_with_a_token_reaches_the_slip_api(
    demo: Any, nanxiong_rsj: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    slip = _sent(demo, monkeypatch)
    token = api_token_for(user=user(nanxiong_rsj))
    client = client_for(None, "wengyuan")
    assert client.get(f"/api/v1/slips/{slip.pk}/", HTTP_AUTHORIZATION=f"Token {token}").status_code == 200
    assert client.get("/api/v1/cases/", HTTP_AUTHORIZATION=f"Token {token}").status_code == 404


def test_another_department_of_the_county_does_not_see_the_slip(
    demo: Any, nanxiong_rsj: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    slip = _sent(demo, monkeypatch)
    staff_create(username="nanxiong_gaj", password=PASSWORD, kind="department_handler", department_code="nanxiong/gaj")
    client = client_for("nanxiong_gaj", "wengyuan")
    assert client.get(f"/slips/{slip.pk}/").status_code == 404
    assert client.get(f"/api/v1/slips/{slip.pk}/").status_code == 404


# Routes of the sending hall the receiving department may use: the slip's pages, web and API (the
# window's own steps on a slip — re-route, withdraw — stay 404), and the public endpoints.
SLIP_ROUTES = {
    "/slips/{id}/",
    "/slips/{id}/print/",
    "/api/v1/slips/{id}/",
    "/api/v1/slips/{id}/notes/",  # the slip's internal notes, as the slip page shows them
}


def test_receiving_department_gets_404_on_every_other_route_of_the_sending_hall(
    demo: Any, nanxiong_rsj: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a slip wengyuan sent to 南雄市人社局, and its handler logged in on wengyuan's host
    slip = _sent(demo, monkeypatch)
    client = client_for(nanxiong_rsj, "wengyuan")
    wrong = []

    # when they ask for every route of wengyuan's URL conf (every id filled in with the slip's)
    for path, public, _is_api in HALL_ROUTES:
        concrete = path.replace("/1/", f"/{slip.pk}/")
        status = client.get(concrete).status_code
        if public:
            expected: tuple[int, ...] = (200, 302, 404, 405, 503)
        elif path in ("/api/schema/", "/api/docs/"):
            expected = (200,)  # readable by any login (docs/api.md), no hall data in them
        elif path.replace("/1/", "/{id}/") in SLIP_ROUTES:
            expected = (200,)
        elif path.startswith(("/slips/1/", "/api/v1/slips/1/")) and not path.endswith(("/reroute/", "/withdraw/")):
            expected = (405,)  # the slip's own steps are POST only
        else:
            expected = (404,)
        if status not in expected:
            wrong.append((concrete, status))

    # then only the slip's pages answer; everything else of the sending hall is 404
    assert wrong == []


def test_receiving_department_gets_404_on_the_sending_halls_case_pages(
    demo: Any, nanxiong_rsj: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    slip = _sent(demo, monkeypatch)
    client = client_for(nanxiong_rsj, "wengyuan")
    for path in ("/", f"/cases/{slip.case_id}/", "/cases/", "/inbox/", f"/api/v1/cases/{slip.case_id}/"):
        assert client.get(path).status_code == 404, path
    # and a county that sent them nothing: nothing at all there (the object check)
    assert client_for(nanxiong_rsj, "shixing").get(f"/slips/{slip.pk}/").status_code == 404


def test_receiving_department_sees_the_slip_in_its_inbox(
    demo: Any, nanxiong_rsj: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    slip = _sent(demo, monkeypatch)
    for host in ("nanxiong", None):
        response = client_for(nanxiong_rsj, host).get("/api/v1/inbox/")
        assert response.status_code == 200
        rows = response.json()["results"]
        assert [(r["hall"], r["slip_id"]) for r in rows] == [("wengyuan", slip.pk)]
    page = client_for(nanxiong_rsj, None).get("/inbox/")
    assert page.status_code == 200
    assert b"wengyuan." in page.content and f"/slips/{slip.pk}/".encode() in page.content


def test_receiving_hall_lead_sees_the_slips_from_other_halls(
    demo: Any, nanxiong_rsj: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    slip = _sent(demo, monkeypatch)
    own_slip = TransferSlip.objects.get(case=transfer(register(demo["wengyuan"]), draft("wengyuan/rsj")))

    response = client_for("nanxiong_lead", "nanxiong").get("/slips/incoming/")

    assert response.status_code == 200
    assert f'data-slip="wengyuan-{slip.pk}"'.encode() in response.content
    assert f'data-slip="wengyuan-{own_slip.pk}"'.encode() not in response.content
    # the sending hall's lead lists only what others sent to its departments; others get 404
    assert (
        f'data-slip="wengyuan-{slip.pk}"'.encode()
        not in client_for("wengyuan_lead", "wengyuan").get("/slips/incoming/").content
    )
    assert client_for(nanxiong_rsj, "nanxiong").get("/slips/incoming/").status_code == 404
    assert client_for("wengyuan_window", "wengyuan").get("/slips/incoming/").status_code == 404


def _web_transfer(case: Any, department_id: int) -> Any:
    return client_for("wengyuan_window", "wengyuan").post(
        f"/cases/{case.pk}/transfer/",
        {
            "version": case.version,
            "category": "hard_to_do",
            "department": [department_id],
            f"request_{department_id}": "户籍在南雄，请核实",
            f"complexity_{department_id}": "ordinary",
        },
    )


def test_the_window_transfers_to_another_county_on_the_case_page(demo: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    install_clock(monkeypatch)
    case = register(_in_wengyuan(demo))
    target = dept("nanxiong/rsj")
    page = client_for("wengyuan_window", "wengyuan").get(f"/cases/{case.pk}/").content.decode()
    assert f'id="transfer_department_{target.pk}"' in page  # offered in the picker
    # grouped: own hall's, the city level's, then other halls' (one heading each, in that order)
    assert page.count('class="route-group"') == 3
    own, other = dept("wengyuan/rsj").pk, target.pk
    assert page.index(f'id="transfer_department_{own}"') < page.index(f'id="transfer_department_{other}"')
    assert page.index('class="route-group"') < page.index(f'id="transfer_department_{own}"')

    response = _web_transfer(case, target.pk)

    assert response.status_code == 302
    use_hall_schema(demo["wengyuan"])
    assert list(TransferSlip.objects.filter(case=case).values_list("department_id", flat=True)) == [target.pk]


def test_the_case_page_refuses_a_department_the_city_does_not_let_it_reach(
    demo: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_clock(monkeypatch)
    _restrict(demo["shaoguan"], RoutingScope.OWN_AND_CITY)
    case = register(_in_wengyuan(demo))
    target = dept("nanxiong/rsj")
    page = client_for("wengyuan_window", "wengyuan").get(f"/cases/{case.pk}/").content.decode()
    assert f'id="transfer_department_{target.pk}"' not in page  # not offered
    before = world(case)

    response = _web_transfer(case, target.pk)  # posted anyway

    assert response.status_code == 200
    assert "department" in response.context["forms"]["transfer"].errors
    use_hall_schema(demo["wengyuan"])
    assert world(case) == before


def test_statistics_and_the_portal_count_the_slip_as_the_sending_halls(
    demo: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    slip = _sent(demo, monkeypatch)
    march = Period(first=date(2026, 3, 1), last=date(2026, 3, 31))

    county = figures_for(scope=Scope(hall=demo["wengyuan"], is_city=False), period=march)
    city = figures_for(scope=Scope(hall=demo["shaoguan"], is_city=True), period=march)
    receiving = figures_for(scope=Scope(hall=demo["nanxiong"], is_city=False), period=march)

    target = dept("nanxiong/rsj").pk
    assert [(d["id"], d["slips"]) for d in county.departments] == [(target, 1)]
    assert [(d["id"], d["slips"]) for d in city.departments] == [(target, 1)]
    assert (county.cases, city.cases, receiving.cases, receiving.departments) == (1, 1, 0, [])
    # the case stays with the hall that registered it (the portal's index row)
    assert CaseIndex.objects.get(case_id=slip.case_id, hall_id=demo["wengyuan"].pk)
    assert not CaseIndex.objects.filter(hall_id=demo["nanxiong"].pk).exists()


def test_receiving_hall_lead_reads_the_slips_from_other_halls_in_the_api(
    demo: Any, nanxiong_rsj: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    slip = _sent(demo, monkeypatch)
    transfer(register(demo["wengyuan"]), draft("wengyuan/rsj"))  # not across halls

    response = client_for("nanxiong_lead", "nanxiong").get("/api/v1/incoming-slips/")

    assert response.status_code == 200
    rows = response.json()["results"]
    assert [(r["hall"], r["slip_id"], r["department"]) for r in rows] == [
        ("wengyuan", slip.pk, dept("nanxiong/rsj").pk)
    ]
    assert rows[0]["url"].endswith(f"/slips/{slip.pk}/") and "wengyuan." in rows[0]["url"]
    assert client_for("wengyuan_lead", "wengyuan").get("/api/v1/incoming-slips/").json()["results"] == []
    for username, host in [(nanxiong_rsj, "nanxiong"), ("wengyuan_window", "wengyuan"), ("shaoguan_supervisor", None)]:
        assert client_for(username, host).get("/api/v1/incoming-slips/").status_code == 404, username
