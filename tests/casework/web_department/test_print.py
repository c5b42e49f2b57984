"""The printable transfer slip (转办单), for the slip's department and the hall's window staff and lead."""

from __future__ import annotations

import pytest

from casework.services import slip_reply
from hallplatform.schemas import use_hall_schema, use_public_schema
from tenants.models import Hall
from tests.casework.web_department.conftest import ID_NUMBER, Slips
from tests.conftest import client_for, user


@pytest.mark.parametrize("username", ["wengyuan_rsj", "wengyuan_rsj_lead", "wengyuan_window", "wengyuan_lead"])
def test_department_and_window_print_it_masked(slips: Slips, username: str) -> None:
    slip = slips.wengyuan_county

    response = client_for(username, "wengyuan").get(f"/slips/{slip.pk}/print/")

    assert response.status_code == 200
    content = response.content.decode()
    assert "翁源县政务服务中心" in content
    assert slip.number in content and slip.case.number in content
    assert "翁源县人力资源和社会保障局" in content and "社保卡补办" in content
    assert ID_NUMBER not in content and "110***********002X" in content
    assert "@page" not in content  # the A4 rules live in the stylesheet
    assert "hallplatform/department.css" in content
    assert 'class="blank-line"' in content  # no reply yet: lines to write it by hand


def test_printed_after_the_reply_shows_it(slips: Slips, demo: dict[str, Hall]) -> None:
    slip = slips.wengyuan_county
    use_hall_schema(demo["wengyuan"])
    slip_reply(slip=slip, actor=user("wengyuan_rsj"), result="done", reply=f"已核实 {ID_NUMBER} 的记录")
    use_public_schema()

    content = client_for("wengyuan_window", "wengyuan").get(f"/slips/{slip.pk}/print/").content.decode()

    assert "已核实" in content and ID_NUMBER not in content
    assert 'class="blank-line"' not in content
    assert str(user("wengyuan_rsj")) in content


@pytest.mark.parametrize(
    ("username", "host", "which"),
    [
        ("shaoguan_rsj", "wengyuan", "wengyuan_county"),  # another department
        ("shaoguan_supervisor", "wengyuan", "wengyuan_county"),
        ("wengyuan_window", "nanxiong", "nanxiong_city"),  # no role on nanxiong's host
    ],
)
def test_others_get_404(slips: Slips, username: str, host: str, which: str) -> None:
    slip = getattr(slips, which)
    assert client_for(username, host).get(f"/slips/{slip.pk}/print/").status_code == 404


def test_city_level_department_prints_its_own_slip(slips: Slips) -> None:
    assert client_for("shaoguan_rsj", "wengyuan").get(f"/slips/{slips.wengyuan_city.pk}/print/").status_code == 200
