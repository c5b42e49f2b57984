"""Slips in two halls for the department pages: wengyuan and nanxiong transfer to the city-level
shaoguan/rsj; wengyuan also to its own wengyuan/rsj."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from casework.choices import HandlingCategory
from casework.models import Case, TransferSlip
from casework.services import SlipDraft, case_register, case_transfer
from hallplatform.accounts.services import staff_create
from hallplatform.schemas import use_hall_schema, use_public_schema
from tenants.models import Department, Hall
from tests.casework.test_case_register import form
from tests.conftest import user

# A mobile and an ID number inside free text: the pages must show them masked.
PHONE = "13812345678"
ID_NUMBER = "11010519491231002X"


def dept(code: str) -> Department:
    hall, _, department = code.partition("/")
    return Department.objects.get(hall__code=hall, code=department)


def window_of(hall: Hall) -> object:
    username = f"{hall.code}_window"
    window, _ = staff_create(
        username=username, password="x", kind="window_staff", hall_code=hall.code, check_password=False
    )
    return window


def transfer(
    hall: Hall,
    departments: list[str],
    *,
    category: str = HandlingCategory.HARD_TO_DO,
    complexity: str = "ordinary",
    matter: str = "社保卡补办",
) -> list[TransferSlip]:
    """Register a case in ``hall`` and transfer it to ``departments``; back on the public schema after."""
    window = window_of(hall)
    use_hall_schema(hall)
    try:
        case = case_register(
            hall=hall,
            actor=window,
            data=form(matter_name=matter, problem=f"多次补办未成功，联系电话{PHONE}，身份证{ID_NUMBER}"),
        )
        case_transfer(
            case=case,
            actor=window,
            category=category,
            slips=[
                SlipDraft(department_id=dept(code).pk, request=f"请核实 {ID_NUMBER} 的参保记录", complexity=complexity)
                for code in departments
            ],
            coordination_note="容缺受理，承诺后补户口簿" if category == HandlingCategory.HARD_TO_DO else "",
        )
        return list(TransferSlip.objects.filter(case=case).select_related("case", "department").order_by("pk"))
    finally:
        use_public_schema()


@dataclass
class Slips:
    wengyuan_city: TransferSlip  # wengyuan → shaoguan/rsj (city level)
    wengyuan_county: TransferSlip  # wengyuan → wengyuan/rsj
    nanxiong_city: TransferSlip  # nanxiong → shaoguan/rsj, 不给办 (flagged for supervision)


@pytest.fixture
def slips(demo: dict[str, Hall]) -> Slips:
    city, county = transfer(demo["wengyuan"], ["shaoguan/rsj", "wengyuan/rsj"])
    (nanxiong,) = transfer(demo["nanxiong"], ["shaoguan/rsj"], category=HandlingCategory.REFUSED, matter="失业登记")
    return Slips(wengyuan_city=city, wengyuan_county=county, nanxiong_city=nanxiong)


def in_hall(hall: Hall, slip: TransferSlip) -> TransferSlip:
    """The slip as stored now (read in its hall's schema)."""
    use_hall_schema(hall)
    try:
        return TransferSlip.objects.select_related("case").get(pk=slip.pk)
    finally:
        use_public_schema()


def case_in_hall(hall: Hall, slip: TransferSlip) -> Case:
    use_hall_schema(hall)
    try:
        return Case.objects.get(pk=slip.case_id)
    finally:
        use_public_schema()


__all__ = ["ID_NUMBER", "PHONE", "Slips", "case_in_hall", "dept", "in_hall", "transfer", "user"]
