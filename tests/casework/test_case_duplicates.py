"""Duplicates across halls (issue 17 item 7): the same person reported in another hall of the city is
seen at registration and on the case page (NO, hall, matter, status: no personal data), can be
linked, and the city supervisor lists linked and likely duplicates; other cities never show."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from casework import crypto
from casework.duplicates import case_duplicate_link, case_list_elsewhere_of_case
from casework.key_rotation import field_keys_rotate
from casework.models import Case, CaseEvent
from hallindex.duplicates import duplicate_groups_for_city
from hallindex.models import CaseIndex, CaseLink
from hallplatform.audit.models import AuditEvent
from hallplatform.schemas import use_hall_schema, use_public_schema
from tests.casework.support import register
from tests.casework.test_crypto_sm import ring as _ring
from tests.conftest import client_for, user

ring = _ring  # the key configuration fixture of the SM algorithms' tests
OTHER_PHONE = "13900001111"
OTHER_ID = "440229198001010027"


@pytest.fixture
def pair(demo: dict[str, Any]) -> dict[str, Any]:
    """The same person registered in Wujiang (ten days ago) and then in Wengyuan (now)."""
    use_hall_schema(demo["wujiang"])
    earlier = register(demo["wujiang"], matter_name="企业开办 13812345678")
    Case.objects.filter(pk=earlier.pk).update(registered_at=timezone.now() - timedelta(days=10))
    CaseIndex.objects.filter(hall=demo["wujiang"], case_id=earlier.pk).update(
        registered_at=timezone.now() - timedelta(days=10)
    )
    use_hall_schema(demo["wengyuan"])
    case = register(demo["wengyuan"])
    return {"earlier": earlier, "case": case, "wengyuan": demo["wengyuan"], "wujiang": demo["wujiang"]}


def test_index_rows_carry_the_blind_indexes_never_the_values(pair: dict[str, Any]) -> None:
    row = CaseIndex.objects.get(hall=pair["wengyuan"], case_id=pair["case"].pk)
    assert row.phone_index == pair["case"].phone_index and len(row.phone_index) >= 32
    assert row.document_index == pair["case"].document_index
    values = " ".join(str(v) for v in CaseIndex.objects.filter(pk=row.pk).values().first().values())
    assert "13812345678" not in values and "张三" not in values


def test_the_case_sees_the_same_person_in_the_other_hall_of_its_city(pair: dict[str, Any]) -> None:
    rows = list(case_list_elsewhere_of_case(case=pair["case"], hall=pair["wengyuan"]))
    assert [(r.hall.code, r.number) for r in rows] == [("wujiang", pair["earlier"].number)]
    # its own hall's cases are the "earlier cases" list, not duplicates across halls
    assert all(r.hall_id != pair["wengyuan"].pk for r in rows)


def test_other_cities_older_cases_and_other_people_are_not_shown(demo: dict[str, Any]) -> None:
    use_hall_schema(demo["qingcheng"])
    register(demo["qingcheng"])  # same person, another city
    use_hall_schema(demo["wujiang"])
    old = register(demo["wujiang"])  # same person, 91 days before
    Case.objects.filter(pk=old.pk).update(registered_at=timezone.now() - timedelta(days=91))
    CaseIndex.objects.filter(hall=demo["wujiang"], case_id=old.pk).update(
        registered_at=timezone.now() - timedelta(days=91)
    )
    register(demo["wujiang"], phone=OTHER_PHONE, document_number=OTHER_ID)  # someone else
    use_hall_schema(demo["wengyuan"])
    case = register(demo["wengyuan"])
    assert list(case_list_elsewhere_of_case(case=case, hall=demo["wengyuan"])) == []


def test_linking_records_the_link_on_the_timeline_and_in_the_audit(pair: dict[str, Any]) -> None:
    other = CaseIndex.objects.get(hall=pair["wujiang"], case_id=pair["earlier"].pk)
    link = case_duplicate_link(case=pair["case"], hall=pair["wengyuan"], actor=user("wengyuan_window"), other=other)
    assert (link.number, link.other_number, link.other_hall_id) == (
        pair["case"].number,
        pair["earlier"].number,
        pair["wujiang"].pk,
    )
    event = CaseEvent.objects.get(case=pair["case"], kind="linked_elsewhere")
    assert event.changes == {"other_number": pair["earlier"].number, "other_hall": "wujiang"}
    assert AuditEvent.objects.filter(action="case.link_elsewhere", target_id=str(pair["case"].pk)).count() == 1


def _nothing_changed(case: Case, before: tuple[int, int, int]) -> None:
    assert (CaseLink.objects.count(), CaseEvent.objects.filter(case=case).count(), AuditEvent.objects.count()) == before


def _state(case: Case) -> tuple[int, int, int]:
    return CaseLink.objects.count(), CaseEvent.objects.filter(case=case).count(), AuditEvent.objects.count()


def test_linking_a_case_of_someone_else_or_twice_is_refused_and_changes_nothing(
    pair: dict[str, Any], demo: dict[str, Any]
) -> None:
    use_hall_schema(demo["wujiang"])
    stranger = register(demo["wujiang"], phone=OTHER_PHONE, document_number=OTHER_ID)
    use_hall_schema(demo["qingcheng"])
    far = register(demo["qingcheng"])
    use_hall_schema(pair["wengyuan"])
    case = pair["case"]
    for other in (
        CaseIndex.objects.get(hall=demo["wujiang"], case_id=stranger.pk),
        CaseIndex.objects.get(hall=demo["qingcheng"], case_id=far.pk),
        CaseIndex.objects.get(hall=pair["wengyuan"], case_id=case.pk),
        None,
    ):
        before = _state(case)
        with pytest.raises(ValidationError) as refused:
            case_duplicate_link(case=case, hall=pair["wengyuan"], actor=user("wengyuan_window"), other=other)
        assert "other_case" in refused.value.message_dict
        _nothing_changed(case, before)
    other = CaseIndex.objects.get(hall=pair["wujiang"], case_id=pair["earlier"].pk)
    case_duplicate_link(case=case, hall=pair["wengyuan"], actor=user("wengyuan_window"), other=other)
    before = _state(case)
    with pytest.raises(ValidationError):
        case_duplicate_link(case=case, hall=pair["wengyuan"], actor=user("wengyuan_window"), other=other)
    _nothing_changed(case, before)


def test_the_supervisor_sees_likely_and_linked_duplicates_of_the_city_only(
    pair: dict[str, Any], demo: dict[str, Any]
) -> None:
    use_hall_schema(demo["qingcheng"])
    register(demo["qingcheng"])
    use_hall_schema(demo["yingde"])
    register(demo["yingde"])  # a pair in Qingyuan: not Shaoguan's
    use_public_schema()
    groups = duplicate_groups_for_city(city_ids=[demo["shaoguan"].pk])
    assert len(groups) == 1
    assert sorted(row.number for row in groups[0].cases) == sorted([pair["case"].number, pair["earlier"].number])
    assert not groups[0].linked

    use_hall_schema(pair["wengyuan"])
    other = CaseIndex.objects.get(hall=pair["wujiang"], case_id=pair["earlier"].pk)
    case_duplicate_link(case=pair["case"], hall=pair["wengyuan"], actor=user("wengyuan_window"), other=other)
    use_public_schema()
    assert duplicate_groups_for_city(city_ids=[demo["shaoguan"].pk])[0].linked

    page = client_for("shaoguan_supervisor", None).get("/portal/duplicates/")
    assert page.status_code == 200
    html = page.content.decode()
    assert pair["case"].number in html and pair["earlier"].number in html
    assert "张三" not in html and "13812345678" not in html  # no personal data (the index masks the matter)
    assert "qingcheng" not in html

    api = client_for("shaoguan_supervisor", None).get("/api/v1/portal/duplicates/")
    assert api.status_code == 200
    body = api.json()
    assert body["groups"][0]["linked"] is True and len(body["links"]) == 1
    assert body["links"][0]["other_number"] == pair["earlier"].number
    # the portal is the supervisor's: a window there is refused, and on a hall's host it does not exist
    assert client_for("wengyuan_window", None).get("/portal/duplicates/").status_code == 404
    assert client_for("shaoguan_supervisor", "wengyuan").get("/api/v1/portal/duplicates/").status_code == 404


def test_registration_form_and_case_page_show_the_other_hall_without_personal_data(pair: dict[str, Any]) -> None:
    window = client_for("wengyuan_window", "wengyuan")
    lookup = window.get("/cases/lookup/", {"phone": "138 1234 5678"})
    assert lookup.status_code == 200
    assert 'id="elsewhere-cases"' in lookup.content.decode()
    assert pair["earlier"].number in lookup.content.decode()

    page = window.get(f"/cases/{pair['case'].pk}/")
    html = page.content.decode()
    assert 'id="elsewhere"' in html and pair["earlier"].number in html
    other = CaseIndex.objects.get(hall=pair["wujiang"], case_id=pair["earlier"].pk)
    linked = window.post(f"/cases/{pair['case'].pk}/link-elsewhere/", {"other": other.pk})
    assert linked.status_code == 302
    assert CaseLink.objects.filter(case_id=pair["case"].pk, other_case_id=pair["earlier"].pk).exists()
    again = window.post(f"/cases/{pair['case'].pk}/link-elsewhere/", {"other": other.pk}, follow=True)
    assert CaseLink.objects.count() == 1
    assert again.status_code == 200


def test_api_lists_and_links_and_refuses_with_the_field(pair: dict[str, Any], demo: dict[str, Any]) -> None:
    window = client_for("wengyuan_window", "wengyuan")
    listed = window.get(f"/api/v1/cases/{pair['case'].pk}/elsewhere/")
    assert listed.status_code == 200
    assert [(c["hall"], c["number"]) for c in listed.json()["cases"]] == [("wujiang", pair["earlier"].number)]
    assert "phone" not in str(listed.json()) and "张三" not in str(listed.json())

    refused = window.post(
        f"/api/v1/cases/{pair['case'].pk}/links/",
        {"hall": "qingcheng", "number": pair["earlier"].number},
        content_type="application/json",
    )
    assert refused.status_code == 400 and "other_case" in refused.json()["fields"]
    assert CaseLink.objects.count() == 0

    made = window.post(
        f"/api/v1/cases/{pair['case'].pk}/links/",
        {"hall": "wujiang", "number": pair["earlier"].number},
        content_type="application/json",
    )
    assert made.status_code == 201
    assert made.json()["linked"][0]["number"] == pair["earlier"].number
    # the supervisor reads, but does not link
    supervisor = client_for("shaoguan_supervisor", "wengyuan")
    assert supervisor.get(f"/api/v1/cases/{pair['case'].pk}/elsewhere/").status_code == 200
    assert (
        supervisor.post(
            f"/api/v1/cases/{pair['case'].pk}/links/",
            {"hall": "wujiang", "number": pair["earlier"].number},
            content_type="application/json",
        ).status_code
        == 404  # a role the view does not serve: as if the path did not exist
    )
    assert CaseLink.objects.count() == 1


def test_key_rotation_keeps_the_index_rows_blind_indexes_in_step(ring: Any, demo: dict[str, Any]) -> None:
    ring(("k1", "aes-256-gcm", 1))
    use_hall_schema(demo["wengyuan"])
    case = register(demo["wengyuan"])
    before = case.phone_index
    ring(("k1", "aes-256-gcm", 1), index=crypto.HMAC_SM3)
    field_keys_rotate(hall=demo["wengyuan"])
    use_hall_schema(demo["wengyuan"])
    case.refresh_from_db()
    row = CaseIndex.objects.get(hall=demo["wengyuan"], case_id=case.pk)
    assert case.phone_index != before  # recomputed with the other hash
    assert (row.phone_index, row.document_index) == (case.phone_index, case.document_index)
