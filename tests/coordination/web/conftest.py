"""Helpers of the city-level page tests: cases registered in a hall's schema, departments by code."""

from __future__ import annotations

from typing import Any

from django.utils import translation

from casework.models import Case
from casework.services import SlipDraft, case_register, case_transfer
from hallplatform.schemas import use_hall_schema, use_public_schema
from tenants.models import Department, Hall
from tests.casework.test_case_register import form
from tests.conftest import user

PERSONAL = ["张三".encode(), b"13812345678", "龙仙镇建设路".encode()]


def dept(code: str) -> Department:
    hall, _, department = code.partition("/")
    return Department.objects.get(hall__code=hall, code=department)


def hall(code: str) -> Hall:
    return Hall.objects.get(code=code)


def register(
    code: str, *, refused: bool = False, transfer_to: str | None = None, staff: str = "wengyuan_window"
) -> Case:
    """A case registered in the hall ``code`` (optionally transferred as 不给办 or 很难办), back on public."""
    where = hall(code)
    use_hall_schema(where)
    case = case_register(hall=where, actor=user(staff), data=form())
    if refused or transfer_to:
        case = case_transfer(
            case=case,
            actor=user(staff),
            category="refused" if refused else "hard_to_do",
            slips=[SlipDraft(department_id=dept(transfer_to or f"{code}/rsj").pk, request="督促办理")],
        )
    use_public_schema()
    return case


def zh(msgid: str, **params: Any) -> str:
    with translation.override("zh-hans"):
        text = translation.gettext(msgid)
    return text % params if params else text


def no_personal_data(content: bytes) -> bool:
    return not any(value in content for value in PERSONAL)
