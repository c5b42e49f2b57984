"""The rows of the supervision portal's tables, built in Python.

The portal lists every hall of a city (a hundred and more) and up to forty proposals; rendered by
the template language, their cells cost more than every query of the page together
(benchmarks/city_portal.py). The markup is the same as the templates' around them
(coordination/_overview.html, coordination/portal.html); every text in them is escaped here (``_e``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from html import escape
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, pgettext

from coordination.selectors import HallOverview
from hallindex.models import CaseIndex
from hallplatform.deadlines.badges import badge_html
from hallplatform.formats import local_minute
from tenants.models import Hall, HallLevel


@dataclass(frozen=True)
class OverviewRow:
    hall: Hall
    figures: HallOverview
    origin: str  # the hall's host, where its cases open


def _e(value: Any) -> str:
    return escape(str(value), quote=True)


def _count(n: int, *, href: str | None = None, css: str | None = None) -> str:
    """A number cell: 0 plain; otherwise a link (``href``) or a coloured mark (``css``)."""
    if not n:
        return '<td class="num">0</td>'
    if href is not None:
        return f'<td class="num"><a{_class(css)} href="{_e(href)}">{n:d}</a></td>'
    return f'<td class="num"><span class="{_e(css or "")}">{n:d}</span></td>'


def _class(css: str | None) -> str:
    return f' class="{_e(css)}"' if css else ""


def overview_row_html(row: OverviewRow, city_word: str) -> str:
    f, origin = row.figures, row.origin
    heat = "hot" if f.red or f.escalated else "warm" if f.yellow or f.flagged_cases else ""
    name = f'<a href="{_e(origin)}/cases/">{_e(row.hall.name)}</a>'
    if row.hall.level == HallLevel.CITY:
        name += f' <span class="muted">({_e(city_word)})</span>'
    return (
        f"<tr{_class(heat)}><td>{name}</td>"
        + _count(f.open_cases, href=f"{origin}/cases/?open_only=on")
        + _count(f.flagged_cases, href=f"{origin}/cases/?flagged=on&open_only=on", css="flag")
        + _count(f.open_slips, href=f"{origin}/cases/?status=transferred")
        + _count(f.yellow, css="dl dl-yellow")
        + _count(f.red, css="dl dl-red")
        + _count(f.escalated, css="dl dl-red")
        + _count(f.open_orders, href="/orders/")
        + "</tr>"
    )


def overview_rows_html(rows: Iterable[OverviewRow]) -> SafeString:
    """The body rows of coordination/_overview.html: a hall each."""
    city_word = pgettext("hall level", "city hall")
    return mark_safe("".join(overview_row_html(row, city_word) for row in rows))  # noqa: S308 (every value escaped)


def _actions(origin: str, case_id: int, order_url: str, order_params: dict[str, Any], words: tuple[str, str]) -> str:
    return (
        f'<td class="actions"><a href="{_e(origin)}/cases/{case_id:d}/" target="_blank" rel="noopener">'
        f"{_e(words[0])}</a> "
        f'<a class="button small" href="{_e(order_url)}?{_e(urlencode(order_params))}">{_e(words[1])}</a></td>'
    )


def _words() -> tuple[str, str]:
    return gettext("Open case"), gettext("Issue order")


def flagged_rows_html(items: Iterable[dict[str, Any]], order_url: str) -> SafeString:
    """The rows of the cases flagged 不给办 proposed for supervision."""
    words = _words()
    rows = []
    for item in items:
        row = item["row"]
        actions = _actions(item["origin"], row.case_id, order_url, {"hall": row.hall_id, "case": row.number}, words)
        rows.append(
            f"<tr><td>{_e(row.number)}</td><td>{_e(row.hall.name)}</td><td>{_e(row.matter_name)}</td>"
            f'<td><span class="status">{_e(item["status"])}</span></td>'
            f"<td>{local_minute(row.registered_at)}</td>{actions}</tr>"
        )
    return mark_safe("".join(rows))  # noqa: S308 (every value escaped)


def red_slip_rows_html(items: Iterable[dict[str, Any]], order_url: str) -> SafeString:
    """The rows of the red-card (overdue) slips proposed for supervision."""
    words = _words()
    rows = []
    for item in items:
        row = item["row"]
        params = {"hall": row.hall_id, "department": row.department_id, "slip": row.slip_number}
        actions = _actions(item["origin"], row.case_id, order_url, params, words)
        rows.append(
            f"<tr><td>{_e(row.slip_number)}</td><td>{_e(row.case_number)}</td><td>{_e(row.hall.name)}</td>"
            f"<td>{_e(row.department.name)}</td><td>{_e(row.matter_name)}</td><td>{badge_html(item['badge'])}</td>"
            f"{actions}</tr>"
        )
    return mark_safe("".join(rows))  # noqa: S308 (every value escaped)


def case_page_start_links(hall_id: int, case_id: int) -> dict[str, Any]:
    """The case page's links to start a joint meeting or a supervision order on an open case, the case
    prefilled (registered with casework.interface; the page shows them only to whoever may convene
    or issue, and the forms check again)."""
    row = CaseIndex.objects.filter(hall_id=hall_id, case_id=case_id).values("number", "status").first()
    if row is None or row["status"] in ("closed", "not_accepted"):
        return {"start_links": []}
    query = urlencode({"case": row["number"]})
    return {
        "start_links": [
            {"label": gettext("Convene a joint meeting on this case"), "url": f"{reverse('meetings:new')}?{query}"},
            {"label": gettext("Issue a supervision order on this case"), "url": f"{reverse('orders:new')}?{query}"},
        ]
    }
