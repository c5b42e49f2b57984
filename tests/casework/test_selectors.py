"""Reads of cases and slips: casework/selectors.py: case_list_for_staff, case_badges, deadline_badge,
slip_inbox_for_department, slip_get_for_department."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from casework.choices import CaseStatus
from casework.models import Case, TransferSlip
from casework.selectors import (
    CaseFilters,
    InboxFilters,
    case_badges,
    case_list_for_staff,
    slip_get_for_department,
    slip_inbox_for_department,
)
from casework.services import (
    Registration,
    case_answer_on_spot,
    case_register,
    case_screen_out,
    slip_receive,
    slip_reply,
    slip_return,
)
from hallindex.models import SlipIndex
from hallplatform.accounts.services import staff_create
from hallplatform.deadlines.badges import Badge
from hallplatform.deadlines.models import Deadline, DeadlineKind, DeadlineState
from hallplatform.personal import DocumentType
from hallplatform.schemas import use_hall_schema
from tests.casework.support import TZ, dept, draft, register, slips_of, transfer
from tests.casework.test_case_register import ID_NUMBER, form
from tests.conftest import user

OTHER_ID = "440229199001011235"


@pytest.fixture
def hall(demo: dict[str, Any]) -> Any:
    use_hall_schema(demo["wengyuan"])
    return demo["wengyuan"]


def numbers(cases: Any) -> list[str]:
    return [c.number for c in cases]


def listed(**filters: Any) -> list[str]:
    return numbers(case_list_for_staff(actor=user("wengyuan_window"), filters=CaseFilters(**filters)))


# --- The hall's case list -------------------------------------------------------------------------------


@pytest.fixture
def cases(hall: Any) -> dict[str, Case]:
    """Five cases of two people, registered on different days, in different states."""
    staff = user("wengyuan_window")

    def on(day: int, data: Registration) -> Case:
        return case_register(hall=hall, actor=staff, data=data, at=datetime(2026, 3, day, 9, 0, tzinfo=TZ))

    zhang = on(2, form())
    phone_call = on(3, form(channel="phone", matter_name="不动产登记"))
    li = on(4, form(applicant_name="李四", phone="13900000000", document_number=OTHER_ID, matter_name="医保报销"))
    excluded = on(5, form(applicant_name="李四", phone="13900000000", document_number=OTHER_ID))
    refused = on(6, form(matter_name="营业执照变更"))
    case_answer_on_spot(case=li, actor=staff, category="consultation", answer="告知")
    case_screen_out(case=excluded, actor=staff, reason="petition", referral="县信访局")
    transfer(refused, draft("wengyuan/scjgj"), category="refused")
    return {"zhang": zhang, "phone_call": phone_call, "li": li, "excluded": excluded, "refused": refused}


def test_the_list_is_newest_first(cases: dict[str, Case]) -> None:
    assert listed() == numbers(cases[k] for k in ("refused", "excluded", "li", "phone_call", "zhang"))


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"status": CaseStatus.ANSWERED}, ["li"]),
        ({"status": CaseStatus.REGISTERED}, ["phone_call", "zhang"]),
        ({"open_only": True}, ["refused", "li", "phone_call", "zhang"]),
        ({"category": "refused"}, ["refused"]),
        ({"category": "consultation"}, ["li"]),
        ({"channel": "phone"}, ["phone_call"]),
        ({"matter": " 社保 "}, ["excluded", "zhang"]),
        ({"matter": "营业执照"}, ["refused"]),
        ({"flagged": True}, ["refused"]),
        ({"registered_from": date(2026, 3, 4)}, ["refused", "excluded", "li"]),
        ({"registered_to": date(2026, 3, 3)}, ["phone_call", "zhang"]),
        ({"registered_from": date(2026, 3, 3), "registered_to": date(2026, 3, 4)}, ["li", "phone_call"]),
        ({"registered_from": date(2026, 3, 7)}, []),
    ],
)
def test_the_list_filters(cases: dict[str, Case], filters: dict[str, Any], expected: list[str]) -> None:
    assert listed(**filters) == numbers(cases[k] for k in expected)


def test_the_list_finds_a_case_by_part_of_its_number(cases: dict[str, Case]) -> None:
    assert listed(number=" 00002 ") == [cases["phone_call"].number]
    assert listed(number="2026-0000") == listed()


@pytest.mark.parametrize("phone", ["13812345678", "+86 138 1234 5678", "138-1234-5678", "１３８１２３４５６７８"])
def test_the_list_finds_a_person_by_phone_in_any_format(cases: dict[str, Case], phone: str) -> None:
    assert listed(phone=phone) == numbers(cases[k] for k in ("refused", "phone_call", "zhang"))


def test_the_list_finds_a_person_by_document(cases: dict[str, Case]) -> None:
    zhang = numbers(cases[k] for k in ("refused", "phone_call", "zhang"))
    li = numbers(cases[k] for k in ("excluded", "li"))

    assert listed(document_type=DocumentType.RESIDENT_ID, document_number=ID_NUMBER.lower()) == zhang
    assert listed(document_type=DocumentType.RESIDENT_ID, document_number=f" {OTHER_ID} ") == li
    # the same number as another kind of document is another person
    assert listed(document_type=DocumentType.PASSPORT, document_number=ID_NUMBER) == []
    # a document number without its type is not a filter
    assert listed(document_number=ID_NUMBER) == listed()


@pytest.mark.parametrize("phone", ["12345", "phone", "12812345678", "13900000001"])
def test_a_phone_nobody_has_or_that_is_no_phone_lists_nothing(cases: dict[str, Case], phone: str) -> None:
    assert listed(phone=phone) == []


def test_filters_combine(cases: dict[str, Case]) -> None:
    assert listed(phone="13900000000", status=CaseStatus.NOT_ACCEPTED) == [cases["excluded"].number]
    assert listed(phone="13900000000", open_only=True) == [cases["li"].number]
    assert listed(phone="13812345678", channel="phone", matter="社保") == []


def test_the_list_costs_one_query_with_its_handlers(cases: dict[str, Case]) -> None:
    actor = user("wengyuan_window")
    with CaptureQueriesContext(connection) as queries:
        handlers = {c.handler.username for c in case_list_for_staff(actor=actor)}

    assert handlers == {"wengyuan_window"}
    assert len(queries.captured_queries) == 1


# --- Deadline badges ------------------------------------------------------------------------------------


def slip_deadline(slip: TransferSlip) -> Deadline:
    return Deadline.objects.get(kind=DeadlineKind.SLIP_REPLY, subject_id=str(slip.pk), state__in=["open", "paused"])


def set_deadline(deadline: Deadline, *, due_in: timedelta, warn_in: timedelta, **fields: Any) -> None:
    now = timezone.now()
    Deadline.objects.filter(pk=deadline.pk).update(due_at=now + due_in, warn_at=now + warn_in, **fields)


HOUR = timedelta(hours=1)

GREEN = {"due_in": 10 * HOUR, "warn_in": 5 * HOUR}
YELLOW = {"due_in": 10 * HOUR, "warn_in": -HOUR}
YELLOW_WARNED = {"due_in": 10 * HOUR, "warn_in": 5 * HOUR, "warned_at": timezone.now()}
RED = {"due_in": -HOUR, "warn_in": -5 * HOUR}
BREACHED = {"due_in": 10 * HOUR, "warn_in": 5 * HOUR, "state": DeadlineState.BREACHED}
PAUSED = {"due_in": -HOUR, "warn_in": -5 * HOUR, "state": DeadlineState.PAUSED}


@pytest.mark.parametrize(
    ("setting", "colour"),
    [
        (GREEN, Badge.GREEN),
        (YELLOW, Badge.YELLOW),
        (YELLOW_WARNED, Badge.YELLOW),
        (RED, Badge.RED),
        (BREACHED, Badge.RED),
        (PAUSED, Badge.PAUSED),
    ],
    ids=["green", "yellow", "warned", "red", "breached", "paused-even-past-due"],
)
def test_a_case_badge_has_the_colour_of_its_deadline(hall: Any, setting: dict[str, Any], colour: str) -> None:
    case = transfer(register(hall), draft("wengyuan/rsj"))
    deadline = slip_deadline(slips_of(case)[0])
    set_deadline(deadline, **setting)

    badges = case_badges(hall_id=hall.pk, case_ids=[case.pk])

    assert list(badges) == [case.pk]
    assert badges[case.pk].colour == colour
    assert badges[case.pk].kind == DeadlineKind.SLIP_REPLY
    assert badges[case.pk].due_at == Deadline.objects.get(pk=deadline.pk).due_at


@pytest.mark.parametrize(
    ("first", "second", "colour"),
    [
        (GREEN, RED, Badge.RED),
        (YELLOW, GREEN, Badge.YELLOW),
        (PAUSED, GREEN, Badge.PAUSED),
        (PAUSED, YELLOW, Badge.YELLOW),
        (BREACHED, PAUSED, Badge.RED),
    ],
)
def test_a_case_shows_its_most_urgent_slip(
    hall: Any, first: dict[str, Any], second: dict[str, Any], colour: str
) -> None:
    case = transfer(register(hall), draft("wengyuan/rsj"), draft("shaoguan/rsj"))
    one, two = slips_of(case)
    set_deadline(slip_deadline(one), **first)
    set_deadline(slip_deadline(two), **second)

    assert case_badges(hall_id=hall.pk, case_ids=[case.pk])[case.pk].colour == colour


def test_of_two_equally_urgent_deadlines_the_earlier_is_shown(hall: Any) -> None:
    case = transfer(register(hall), draft("wengyuan/rsj"), draft("shaoguan/rsj"))
    one, two = slips_of(case)
    set_deadline(slip_deadline(one), due_in=9 * HOUR, warn_in=5 * HOUR)
    set_deadline(slip_deadline(two), due_in=3 * HOUR, warn_in=2 * HOUR)

    badge = case_badges(hall_id=hall.pk, case_ids=[case.pk])[case.pk]

    assert (badge.colour, badge.due_at) == (Badge.GREEN, slip_deadline(two).due_at)


def test_the_feedback_deadline_gives_the_badge_once_the_departments_answered(hall: Any) -> None:
    case = transfer(register(hall), draft("wengyuan/rsj"))
    slip_reply(slip=slips_of(case)[0], actor=user("wengyuan_rsj"), result="done", reply="已办结")
    feedback = Deadline.objects.get(kind=DeadlineKind.FEEDBACK, subject_id=str(case.pk))
    set_deadline(feedback, due_in=-HOUR, warn_in=-2 * HOUR)

    badge = case_badges(hall_id=hall.pk, case_ids=[case.pk])[case.pk]

    assert (badge.kind, badge.colour) == (DeadlineKind.FEEDBACK, Badge.RED)


def test_cases_without_a_live_deadline_have_no_badge(hall: Any) -> None:
    fresh = register(hall)
    returned = transfer(register(hall), draft("wengyuan/rsj"))
    slip_return(slip=slips_of(returned)[0], actor=user("wengyuan_rsj"), reason="不归我们")

    assert case_badges(hall_id=hall.pk, case_ids=[fresh.pk, returned.pk]) == {}
    assert case_badges(hall_id=hall.pk, case_ids=[]) == {}


def test_badges_are_read_for_the_hall_asked_about_only(hall: Any, demo: dict[str, Any]) -> None:
    case = transfer(register(hall), draft("wengyuan/rsj"))

    # the same case id in another hall has no deadlines
    assert case_badges(hall_id=demo["nanxiong"].pk, case_ids=[case.pk]) == {}


def make_transferred_cases(hall: Any, count: int) -> list[Case]:
    return [transfer(register(hall), draft("wengyuan/rsj"), draft("shaoguan/rsj")) for _ in range(count)]


def test_badges_cost_the_same_queries_for_one_case_or_many(hall: Any) -> None:
    one = make_transferred_cases(hall, 1)
    with CaptureQueriesContext(connection) as few:
        assert len(case_badges(hall_id=hall.pk, case_ids=[c.pk for c in one])) == 1

    many = one + make_transferred_cases(hall, 6)
    with CaptureQueriesContext(connection) as more:
        assert len(case_badges(hall_id=hall.pk, case_ids=[c.pk for c in many])) == 7

    assert len(more.captured_queries) == len(few.captured_queries) == 2


# --- The department inbox (public schema, every hall at once) ----------------------------------------


@pytest.fixture
def two_halls(hall: Any, demo: dict[str, Any]) -> dict[str, Any]:
    """Slips from 翁源 and 南雄 to their county 人社局 and to the city's 人社局."""
    nanxiong = demo["nanxiong"]
    nanxiong_window, _ = staff_create(
        username="nanxiong_window", password="x", kind="window_staff", hall_code="nanxiong", check_password=False
    )
    wengyuan_case = transfer(register(hall), draft("wengyuan/rsj"), draft("shaoguan/rsj"))
    use_hall_schema(nanxiong)
    nanxiong_case = case_register(hall=nanxiong, actor=nanxiong_window, data=form(matter_name="养老金领取"))
    from casework.services import case_transfer

    case_transfer(
        case=nanxiong_case, actor=nanxiong_window, category="hard_to_do",
        slips=[draft("nanxiong/rsj"), draft("shaoguan/rsj", complexity="complex")],
    )  # fmt: skip
    use_hall_schema(hall)
    return {"wengyuan": wengyuan_case, "nanxiong": nanxiong_case, "nanxiong_hall": nanxiong}


def inbox(username: str, **filters: Any) -> list[tuple[str, str]]:
    rows = slip_inbox_for_department(actor=user(username), filters=InboxFilters(**filters))
    return sorted((row.hall.code, row.slip_number) for row in rows)


def test_a_city_department_sees_the_slips_of_every_hall(two_halls: dict[str, Any]) -> None:
    wengyuan, nanxiong = two_halls["wengyuan"], two_halls["nanxiong"]

    assert inbox("shaoguan_rsj") == [("nanxiong", f"{nanxiong.number}-2"), ("wengyuan", f"{wengyuan.number}-2")]
    assert inbox("shaoguan_rsj", hall_id=two_halls["nanxiong_hall"].pk) == [("nanxiong", f"{nanxiong.number}-2")]


def test_a_county_department_sees_its_own_slips_only(two_halls: dict[str, Any]) -> None:
    wengyuan = two_halls["wengyuan"]

    assert inbox("wengyuan_rsj") == [("wengyuan", f"{wengyuan.number}-1")]
    assert inbox("wengyuan_rsj_lead") == [("wengyuan", f"{wengyuan.number}-1")]
    # window staff and supervisors have no department: an empty inbox
    assert inbox("wengyuan_window") == []
    assert inbox("shaoguan_supervisor") == []


def test_the_inbox_rows_carry_no_personal_data(two_halls: dict[str, Any]) -> None:
    rows = list(slip_inbox_for_department(actor=user("shaoguan_rsj")).values())

    text = str(rows)
    for secret in ("张三", "13812345678", ID_NUMBER):
        assert secret not in text


def test_the_inbox_filters_by_state(hall: Any, two_halls: dict[str, Any]) -> None:
    wengyuan = two_halls["wengyuan"]
    county, city = slips_of(wengyuan)
    slip_receive(slip=city, actor=user("shaoguan_rsj"))
    slip_reply(slip=county, actor=user("wengyuan_rsj"), result="done", reply="已办结")

    # answered slips leave the open inbox, but can be listed
    assert inbox("wengyuan_rsj") == []
    assert inbox("wengyuan_rsj", include_closed=True) == [("wengyuan", county.number)]
    assert inbox("wengyuan_rsj", status="replied") == [("wengyuan", county.number)]
    assert inbox("shaoguan_rsj", status="received") == [("wengyuan", city.number)]
    assert inbox("shaoguan_rsj", status="sent") == [("nanxiong", f"{two_halls['nanxiong'].number}-2")]

    # overdue: open and past due, or breached; a paused or a future deadline is not
    assert inbox("shaoguan_rsj", overdue=True) == []
    row = SlipIndex.objects.get(hall=hall, slip_id=city.pk)
    Deadline.objects.filter(pk=row.deadline_id).update(due_at=timezone.now() - HOUR)
    assert inbox("shaoguan_rsj", overdue=True) == [("wengyuan", city.number)]
    Deadline.objects.filter(pk=row.deadline_id).update(state=DeadlineState.PAUSED)
    assert inbox("shaoguan_rsj", overdue=True) == []
    Deadline.objects.filter(pk=row.deadline_id).update(state=DeadlineState.BREACHED, due_at=timezone.now() + HOUR)
    assert inbox("shaoguan_rsj", overdue=True) == [("wengyuan", city.number)]


def test_the_inbox_costs_the_same_queries_for_one_slip_or_many(hall: Any) -> None:
    def read() -> int:
        with CaptureQueriesContext(connection) as queries:
            rows = list(slip_inbox_for_department(actor=user_row))
            for row in rows:
                assert row.hall.name and row.department.name and row.deadline is not None
                assert row.deadline.due_at is not None
        return len(queries.captured_queries)

    user_row = user("shaoguan_rsj")
    make_transferred_cases(hall, 1)
    few = read()
    make_transferred_cases(hall, 6)
    many = read()

    assert len(list(slip_inbox_for_department(actor=user_row))) == 7
    assert many == few == 2  # the actor's departments, then the rows with hall, department and deadline


def test_a_slip_is_opened_by_its_department_only(hall: Any) -> None:
    case = transfer(register(hall), draft("wengyuan/rsj"))
    slip = slips_of(case)[0]

    assert slip_get_for_department(actor=user("wengyuan_rsj"), slip_id=slip.pk).pk == slip.pk
    for outsider in ("shaoguan_rsj", "wengyuan_window", "shaoguan_supervisor"):
        with pytest.raises(Http404):
            slip_get_for_department(actor=user(outsider), slip_id=slip.pk)
    with pytest.raises(Http404):
        slip_get_for_department(actor=user("wengyuan_rsj"), slip_id=slip.pk + 1000)


def test_an_inactive_department_sees_nothing(hall: Any) -> None:
    transfer(register(hall), draft("wengyuan/rsj"))
    department = dept("wengyuan/rsj")
    department.is_active = False
    department.save(update_fields=["is_active"])

    assert inbox("wengyuan_rsj") == []
