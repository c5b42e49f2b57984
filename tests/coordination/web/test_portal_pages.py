"""The city supervision portal (coordination/web/views.py: portal) and the base domain's start page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from hallindex.models import CaseIndex, SlipIndex
from hallplatform.deadlines.models import Deadline
from tenants.models import Hall
from tests.conftest import client_for
from tests.coordination.web.conftest import no_personal_data, register


def overdue(case_id: int, code: str) -> SlipIndex:
    """Make the slips of a case overdue (red) by moving their deadline into the past."""
    slip = SlipIndex.objects.get(hall__code=code, case_id=case_id)
    past = timezone.now() - timedelta(hours=1)
    Deadline.objects.filter(pk=slip.deadline_id).update(due_at=past, warn_at=past - timedelta(hours=1))
    return slip


def figures(content: str, hall_name: str) -> str:
    """The table row of a hall on the portal."""
    start = content.index(hall_name)
    return content[start : content.index("</tr>", start)]


def test_portal_shows_every_hall_with_figures_and_links_to_their_hosts(demo: dict[str, Hall]) -> None:
    flagged = register("wengyuan", refused=True)
    transferred = register("nanxiong", transfer_to="nanxiong/rsj")
    overdue(transferred.pk, "nanxiong")

    response = client_for("shaoguan_supervisor", None).get("/portal/", SERVER_PORT="8000", HTTP_HOST="localhost:8000")

    assert response.status_code == 200
    content = response.content.decode()
    for code in ["shaoguan", "wengyuan", "nanxiong", "lechang"]:
        assert f"http://{code}.localhost:8000/cases/" in content, code
    assert "清远" not in content and "qingcheng" not in content
    assert 'href="http://wengyuan.localhost:8000/cases/?flagged=on&amp;open_only=on">1</a>' in content
    assert '<span class="dl dl-red">1</span>' in figures(content, "南雄市政务服务中心")
    # the proposals: the flagged case and the red slip, each with "open case" and "issue order"
    assert f'href="http://wengyuan.localhost:8000/cases/{flagged.pk}/"' in content
    assert f"/orders/new/?hall={demo['wengyuan'].pk}&amp;case={flagged.number}" in content
    assert f'href="http://nanxiong.localhost:8000/cases/{transferred.pk}/"' in content
    assert "slip=" in content and transferred.number in content
    assert no_personal_data(response.content)


def test_portal_costs_a_constant_number_of_queries(demo: dict[str, Hall]) -> None:
    client = client_for("shaoguan_supervisor", None)
    case = register("wengyuan", refused=True)
    overdue(case.pk, "wengyuan")
    client.get("/portal/")  # warm the caches (route, session)
    with CaptureQueriesContext(connection) as one_hall:
        assert client.get("/portal/").status_code == 200

    for code in ["nanxiong", "lechang", "renhua", "shaoguan"]:
        other = register(code, refused=True)
        overdue(other.pk, code)
    with CaptureQueriesContext(connection) as five_halls:
        response = client.get("/portal/")

    assert response.status_code == 200
    assert response.content.decode().count("Issue order") + response.content.decode().count("督办") >= 5
    assert len(five_halls.captured_queries) == len(one_hall.captured_queries)


def test_supervisor_of_another_city_sees_nothing_of_shaoguan(demo: dict[str, Hall]) -> None:
    case = register("wengyuan", refused=True)

    response = client_for("qingyuan_supervisor", None).get("/portal/")

    content = response.content.decode()
    assert response.status_code == 200
    assert "清城区政务服务中心" in content and "http://qingcheng.localhost/cases/" in content
    assert "韶关" not in content and "翁源" not in content and case.number not in content
    assert client_for("qingyuan_supervisor", None).get(f"/portal/?city={demo['shaoguan'].pk}").status_code == 404


@pytest.mark.parametrize("username", ["shaoguan_rsj", "operator"])
def test_portal_is_for_supervisors_only(demo: dict[str, Hall], username: str) -> None:
    assert client_for(username, None).get("/portal/").status_code == 404


def test_start_page_shows_the_supervisor_the_overview_and_the_portal(demo: dict[str, Hall]) -> None:
    register("wengyuan", refused=True)

    response = client_for("shaoguan_supervisor", None).get("/")

    content = response.content.decode()
    assert response.status_code == 200
    assert 'href="/portal/?city=' in content
    assert "http://wengyuan.localhost/cases/?flagged=on&amp;open_only=on" in content
    assert 'href="/portal/"' in content  # the navigation
    assert "清远" not in content


def test_names_and_matters_are_escaped_on_the_portal_and_in_the_inbox(demo: dict[str, Hall]) -> None:
    """The portal's and the inbox's rows are written in Python (coordination/web/display.py,
    casework/web/display.py): whatever a hall or matter is called reaches the page as text."""
    flagged = register("wengyuan", refused=True)
    sent = register("nanxiong", transfer_to="shaoguan/rsj")
    overdue(sent.pk, "nanxiong")
    Hall.objects.filter(code="nanxiong").update(name='南雄<b>"中心"</b>&')
    CaseIndex.objects.filter(hall__code="wengyuan", case_id=flagged.pk).update(matter_name="<script>x()</script>")
    SlipIndex.objects.filter(hall__code="nanxiong", case_id=sent.pk).update(matter_name="<img src=x>")

    portal = client_for("shaoguan_supervisor", None).get("/portal/").content.decode()
    inbox = client_for("shaoguan_rsj", None).get("/inbox/").content.decode()

    for content in (portal, inbox):
        assert "<b>" not in content and "南雄&lt;b&gt;&quot;中心&quot;&lt;/b&gt;&amp;" in content
        assert "<img src=x>" not in content and "&lt;img src=x&gt;" in content
    assert "<script>x()" not in portal and "&lt;script&gt;x()&lt;/script&gt;" in portal
