"""Fixtures of the window's pages: a case at wengyuan, registered by the demo window staff."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import translation

from casework.models import Case
from casework.services import case_register
from hallplatform.schemas import use_hall_schema
from tenants.models import Department, Hall
from tests.casework.test_case_register import form
from tests.conftest import user


@pytest.fixture
def wengyuan(demo: dict[str, Hall]) -> Hall:
    use_hall_schema(demo["wengyuan"])
    return demo["wengyuan"]


@pytest.fixture
def case(wengyuan: Hall) -> Case:
    return case_register(hall=wengyuan, actor=user("wengyuan_window"), data=form())


def in_hall(hall: Hall) -> None:
    """Back on the hall's schema after a request (the middleware leaves the connection where it was)."""
    use_hall_schema(hall)


def zh(msgid: str, **params: Any) -> str:
    """The Simplified Chinese text of a message, as the pages show it."""
    with translation.override("zh-hans"):
        text = translation.gettext(msgid)
    return text % params if params else text


def department(code: str) -> Department:
    hall, _, dept = code.partition("/")
    return Department.objects.get(hall__code=hall, code=dept)
