"""The case list's quick filters and deadline order, the header's search (casework/selectors.py:
case_list_for_staff, case_search_for_staff), the matter's words (casework/search.py) and the
department inbox's due-today filter and deadline order."""

from __future__ import annotations

import importlib
from datetime import datetime, time, timedelta
from typing import Any

import pytest
from django.apps import apps
from django.core.paginator import Paginator
from django.db import connection
from django.utils import timezone

from casework.models import Case
from casework.search import matter_lexemes, query_lexemes
from casework.selectors import (
    CaseFilters,
    CaseSort,
    DueFilter,
    InboxFilters,
    case_list_ordered_for_staff,
    case_search_for_staff,
    slip_inbox_for_department,
)
from casework.services import case_register
from hallplatform.accounts.services import staff_create
from hallplatform.deadlines.models import Deadline, DeadlineKind, DeadlineState
from hallplatform.schemas import use_hall_schema
from tests.casework.support import dept, draft, register, slips_of, transfer
from tests.casework.test_case_register import ID_NUMBER, form
from tests.conftest import user

OTHER_ID = "440229199001011235"
HOUR = timedelta(hours=1)


@pytest.fixture
def hall(demo: dict[str, Any]) -> Any:
    use_hall_schema(demo["wengyuan"])
    return demo["wengyuan"]


def numbers(cases: Any) -> list[str]:
    return [c.number for c in cases]


def listed(actor: str = "wengyuan_window", **filters: Any) -> list[str]:
    return numbers(case_list_ordered_for_staff(actor=user(actor), filters=CaseFilters(**filters)))


def found(text: str, actor: str = "wengyuan_window") -> list[str]:
    return sorted(numbers(case_search_for_staff(actor=user(actor), text=text)))


def set_due(case: Case, *, due_in: timedelta, state: str = DeadlineState.OPEN, slip: int = 0) -> None:
    """Move the reply deadline of the case's ``slip``-th slip to now + ``due_in``."""
    deadline = Deadline.objects.get(
        kind=DeadlineKind.SLIP_REPLY, subject_id=str(slips_of(case)[slip].pk), state__in=["open", "paused"]
    )
    now = timezone.now()
    Deadline.objects.filter(pk=deadline.pk).update(due_at=now + due_in, warn_at=now + due_in - HOUR, state=state)


# --- The words of a matter -------------------------------------------------------------------------------


def test_a_matter_is_stored_as_its_characters_and_bigrams() -> None:
    assert matter_lexemes("营业执照变更") == sorted(
        {"营", "业", "执", "照", "变", "更", "营业", "业执", "执照", "照变", "变更"}
    )
    # Latin letters and digits are words of their own, lower case, full width folded
    assert matter_lexemes("ETC 办理２０２６") == sorted({"etc", "办", "理", "办理", "2026"})
    assert matter_lexemes("") == []


def test_a_query_asks_for_the_bigrams_of_each_chinese_run() -> None:
    assert query_lexemes("营业执照") == [("营业", False), ("业执", False), ("执照", False)]
    assert query_lexemes("社保 卡") == [("社保", False), ("卡", False)]
    assert query_lexemes("ETC") == [("etc", True)]
    assert query_lexemes(" ，。！ ") == []
    # a quote or an operator cannot reach the tsquery: they are not words
    assert query_lexemes("社保' | !卡") == [("社保", False), ("卡", False)]


# --- The search vector is written with the matter ------------------------------------------------------------


def test_registration_writes_the_search_vector(hall: Any) -> None:
    case = register(hall, matter_name="营业执照变更")

    with connection.cursor() as cursor:
        cursor.execute("SELECT matter_search::text FROM casework_case WHERE id = %s", [case.pk])
        (vector,) = cursor.fetchone()

    assert "'执照'" in vector and "'营业'" in vector and "'社保'" not in vector
    # the instance does not keep the expression it was saved with
    assert "matter_search" in case.get_deferred_fields()


def test_the_migration_fills_in_the_words_of_cases_registered_before_it(hall: Any) -> None:
    older = register(hall, matter_name="不动产登记")
    newer = register(hall, matter_name="医保报销")
    Case.objects.filter(pk=older.pk).update(matter_search=None)
    assert found("不动产") == []

    migration = importlib.import_module("casework.migrations.0007_case_matter_search")
    migration.backfill(apps, None)

    assert found("不动产") == [older.number]
    assert found("报销") == [newer.number]


# --- The header's search -------------------------------------------------------------------------------------


@pytest.fixture
def people(hall: Any) -> dict[str, Case]:
    zhang = register(hall, matter_name="营业执照变更")
    li = register(hall, applicant_name="李四", phone="13900000000", document_number=OTHER_ID, matter_name="社保卡补办")
    return {"zhang": zhang, "li": li}


def test_search_finds_a_case_by_its_number_or_part_of_it(people: dict[str, Case]) -> None:
    assert found(people["li"].number) == [people["li"].number]
    assert found(people["li"].number[-5:]) == [people["li"].number]


@pytest.mark.parametrize("phone", ["13900000000", "139 0000 0000", "+86 139-0000-0000"])
def test_search_finds_a_case_by_the_phone_in_any_format(people: dict[str, Case], phone: str) -> None:
    assert found(phone) == [people["li"].number]


def test_search_finds_a_case_by_the_id_number(people: dict[str, Case]) -> None:
    assert found(OTHER_ID) == [people["li"].number]
    assert found(ID_NUMBER.lower()) == [people["zhang"].number]


@pytest.mark.parametrize(
    ("words", "who"),
    [
        ("执照", ["zhang"]),  # a word inside the matter, not at its start
        ("营业执照", ["zhang"]),
        ("照变", ["zhang"]),  # any substring of two characters or more
        ("营业 变更", ["zhang"]),  # every word must be there
        ("社保卡", ["li"]),
        ("卡", ["li"]),  # a single character
        ("补办 执照", []),  # words of two matters: neither has both
        ("执业", []),  # the characters, but not next to each other
        ("户籍迁移", []),
    ],
)
def test_search_finds_a_case_by_words_of_its_matter(people: dict[str, Case], words: str, who: list[str]) -> None:
    assert found(words) == sorted(people[k].number for k in who)


@pytest.mark.parametrize("text", ["", "   ", "13800000000", "440229199001011299", "，，", "no-such"])
def test_search_without_a_match_finds_nothing(people: dict[str, Case], text: str) -> None:
    assert found(text) == []


def test_search_never_reaches_another_halls_cases(people: dict[str, Case], demo: dict[str, Any]) -> None:
    staff_create(
        username="nanxiong_window", password="x", kind="window_staff", hall_code="nanxiong", check_password=False
    )
    use_hall_schema(demo["nanxiong"])
    theirs = case_register(
        hall=demo["nanxiong"],
        actor=user("nanxiong_window"),
        data=form(phone="13700000000", document_number="440282199001011237", matter_name="林地确权"),
    )
    assert found("林地确权", "nanxiong_window") == [theirs.number]
    use_hall_schema(demo["wengyuan"])

    for text in ["林地确权", "13700000000", "440282199001011237", theirs.number]:
        assert found(text) == [], text


def test_search_lists_in_deadline_order(hall: Any, people: dict[str, Case]) -> None:
    later = transfer(register(hall, matter_name="社保转移"), draft("wengyuan/rsj"))
    sooner = transfer(register(hall, matter_name="社保关系"), draft("wengyuan/rsj"))
    set_due(later, due_in=30 * HOUR)
    set_due(sooner, due_in=-HOUR)

    result = numbers(case_search_for_staff(actor=user("wengyuan_window"), text="社保"))

    assert result == [sooner.number, later.number, people["li"].number]


# --- Quick filters and the deadline order of the list -----------------------------------------------------------


@pytest.fixture
def urgent(hall: Any) -> dict[str, Case]:
    """Cases whose slips are overdue, breached, due later today, due in days, paused; one without."""
    cases = {}
    for key, setting in [
        ("overdue", {"due_in": -2 * HOUR}),
        ("breached", {"due_in": -30 * HOUR, "state": DeadlineState.BREACHED}),
        ("today", {"due_in": timedelta(minutes=1)}),
        ("later", {"due_in": 72 * HOUR}),
        ("paused", {"due_in": -5 * HOUR, "state": DeadlineState.PAUSED}),
    ]:
        case = transfer(register(hall, matter_name=f"事项{key}"), draft("wengyuan/rsj"))
        set_due(case, **setting)
        cases[key] = case
    cases["none"] = register(hall, matter_name="未转办")
    return cases


def test_overdue_lists_the_red_cases_only(urgent: dict[str, Case]) -> None:
    assert sorted(listed(due=DueFilter.OVERDUE)) == sorted(numbers(urgent[k] for k in ("overdue", "breached")))


def test_due_today_lists_what_falls_due_later_today(urgent: dict[str, Case]) -> None:
    end_of_today = datetime.combine(timezone.localdate() + timedelta(days=1), time.min)
    expected = ["today"] if timezone.localtime() + timedelta(minutes=1) < timezone.make_aware(end_of_today) else []
    assert listed(due=DueFilter.TODAY) == numbers(urgent[k] for k in expected)


def test_a_slip_overdue_among_several_makes_its_case_overdue(hall: Any) -> None:
    case = transfer(register(hall), draft("wengyuan/rsj"), draft("wengyuan/scjgj"))
    set_due(case, due_in=30 * HOUR, slip=0)
    assert listed(due=DueFilter.OVERDUE) == []

    set_due(case, due_in=-HOUR, slip=1)

    assert listed(due=DueFilter.OVERDUE) == [case.number]


def test_deadline_order_puts_overdue_first_and_cases_without_a_running_deadline_last(urgent: dict[str, Case]) -> None:
    # running deadlines by due time; then paused and none, newest first
    expected = ["breached", "overdue", "today", "later", "none", "paused"]
    assert listed(sort=CaseSort.DEADLINE) == numbers(urgent[k] for k in expected)


def test_oldest_first_and_newest_first(urgent: dict[str, Case]) -> None:
    newest = listed()
    assert listed(sort=CaseSort.OLDEST) == list(reversed(newest))
    assert newest[0] == urgent["none"].number


def test_mine_lists_the_cases_the_actor_registered(hall: Any) -> None:
    staff_create(
        username="wengyuan_window2", password="x", kind="window_staff", hall_code="wengyuan", check_password=False
    )
    mine = register(hall)
    theirs = register(hall, actor="wengyuan_window2")

    assert listed(mine=True) == [mine.number]
    assert listed("wengyuan_window2", mine=True) == [theirs.number]
    assert sorted(listed()) == sorted([mine.number, theirs.number])


def test_the_department_filter_lists_the_cases_transferred_to_it(hall: Any) -> None:
    to_rsj = transfer(register(hall), draft("wengyuan/rsj"))
    to_both = transfer(register(hall), draft("wengyuan/rsj"), draft("wengyuan/scjgj"))
    register(hall)

    assert listed(department_id=dept("wengyuan/scjgj").pk) == [to_both.number]
    assert listed(department_id=dept("wengyuan/rsj").pk) == [to_both.number, to_rsj.number]
    assert listed(department_id=dept("wengyuan/gaj").pk) == []


def test_quick_filters_combine(urgent: dict[str, Case]) -> None:
    assert listed(due=DueFilter.OVERDUE, matter="overdue") == [urgent["overdue"].number]
    assert listed(due=DueFilter.OVERDUE, mine=True, sort=CaseSort.DEADLINE) == numbers(
        urgent[k] for k in ("breached", "overdue")
    )
    assert listed("wengyuan_lead", due=DueFilter.OVERDUE, mine=True) == []


# --- The department's inbox ---------------------------------------------------------------------------------


def inbox(**filters: Any) -> list[str]:
    return [
        row.case_number
        for row in slip_inbox_for_department(actor=user("wengyuan_rsj"), filters=InboxFilters(**filters))
    ]


def test_the_inbox_filters_due_today_and_sorts_by_deadline(urgent: dict[str, Case]) -> None:
    end_of_today = timezone.make_aware(datetime.combine(timezone.localdate() + timedelta(days=1), time.min))
    today = ["today"] if timezone.now() + timedelta(minutes=1) < end_of_today else []

    assert inbox(due_today=True) == numbers(urgent[k] for k in today)
    by_deadline = inbox(by_deadline=True)
    assert by_deadline[:4] == numbers(urgent[k] for k in ("breached", "overdue", "today", "later"))
    assert by_deadline[4:] == [urgent["paused"].number]
    # newest first by default
    assert inbox() == numbers(urgent[k] for k in ("paused", "later", "today", "breached", "overdue"))


def test_the_deadline_order_pages_like_a_list(urgent: dict[str, Case]) -> None:
    ordered = case_list_ordered_for_staff(actor=user("wengyuan_window"), filters=CaseFilters(sort=CaseSort.DEADLINE))
    pages = Paginator(ordered, 4)

    assert pages.count == 6 and pages.num_pages == 2
    walked = numbers(pages.page(1).object_list) + numbers(pages.page(2).object_list)
    assert walked == listed(sort=CaseSort.DEADLINE)
    assert ordered[0].number == urgent["breached"].number
    assert ordered[6:10] == []
    # a filter that leaves nothing, and one the database cannot even be asked (an empty IN)
    assert list(case_search_for_staff(actor=user("wengyuan_window"), text="")) == []
    assert listed(sort=CaseSort.DEADLINE, department_id=dept("wengyuan/gaj").pk) == []
