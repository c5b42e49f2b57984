"""The dashboard's figures as labelled tables: what the exports, the report page and its PDF show.

Everything here reads the JSON form of the figures (``Figures.as_dict()``, also what a report
stores), so a report made months ago renders the same tables as on the day it was made.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from django.db import models
from django.utils.translation import gettext as _

from analytics.exports import Table
from casework.choices import (
    CaseResult,
    CaseStatus,
    Channel,
    ExclusionReason,
    FailureKind,
    HandlingCategory,
    Satisfaction,
)
from hallplatform.deadlines.models import DeadlineKind

# The sections of figures_for, by the name used in URLs (/exports/stats/<section>.xlsx).
SECTIONS = (
    "summary",
    "channel",
    "category",
    "failure",
    "status",
    "results",
    "reasons",
    "matters",
    "departments",
    "stages",
    "halls",
    "satisfaction",
    "overdue",
)
# The dashboard's names for the same tables (analytics/web/dashboard.py), so a link under each
# section of the page can ask for its export.
SECTION_ALIASES = {"result": "results", "stage_rates": "stages", "stage_times": "stages"}


def _choice(choices: type[models.TextChoices], value: str) -> str:
    return str(choices(value).label) if value in choices.values else value


def _share(n: int, total: int) -> float | None:
    return round(100 * n / total, 1) if total else None


def _band(value: str | None) -> str:
    return {"good": _("Good"), "middle": _("Middle"), "attention": _("Needs attention")}.get(value or "", "")


def stage_label(name: str) -> str:
    return {
        "slip_ordinary": _("Department reply, ordinary (2 working days)"),
        "slip_complex": _("Department reply, complex (5 working days)"),
        "feedback": _("Feedback to the person (half a working day)"),
        "resolution": _("Joint-meeting resolutions"),
        "order": _("Supervision orders"),
    }.get(name, name)


def _counts(
    key: str, title: str, label: str, counts: Mapping[str, int], total: int, name: Callable[[str], str]
) -> Table:
    rows = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return Table(
        key=key,
        title=title,
        header=[label, _("Cases"), _("Share (%)")],
        rows=[[name(value), n, _share(n, total)] for value, n in rows],
    )


def summary_rows(figures: Mapping[str, Any]) -> list[tuple[str, str, Any]]:
    """(key, label, value) of the headline figures."""
    overdue = figures.get("overdue_now") or {}
    return [
        ("cases", _("Cases registered"), figures["cases"]),
        ("not_accepted", _("Not accepted (art. 4)"), figures["not_accepted"]),
        ("flagged", _("Flagged for supervision (不给办)"), figures["flagged"]),
        ("repeat_reporters", _("From people who reported before"), figures["repeat_reporters"]),
        ("reopened", _("Reopened"), figures["reopened"]),
        ("follow_up_due", _("Told their result"), figures["follow_up_due"]),
        ("followed_up", _("Followed up"), figures["followed_up"]),
        ("follow_up_rate", _("Follow-up rate (%)"), figures.get("follow_up_rate")),
        ("suggestions_sent", _("Improvement suggestions sent"), figures["suggestions_sent"]),
        ("suggestions_answered", _("Improvement suggestions answered"), figures["suggestions_answered"]),
        ("overdue_now", _("Overdue now (all periods)"), sum(overdue.values())),
    ]


def summary_table(figures: Mapping[str, Any], previous: Mapping[str, Any] | None = None) -> Table:
    """The headline figures; with ``previous``, next to those of the previous period."""
    if previous is None:
        return Table(
            key="summary",
            title=_("Summary"),
            header=[_("Figure"), _("Value")],
            rows=[[label, value] for _key, label, value in summary_rows(figures)],
        )
    before = {key: value for key, _label, value in summary_rows(previous)}
    rows = []
    for key, label, value in summary_rows(figures):
        earlier = before.get(key)
        change = (
            round(value - earlier, 1) if isinstance(value, int | float) and isinstance(earlier, int | float) else None
        )
        rows.append([label, value, earlier, change])
    return Table(
        key="summary",
        title=_("Summary"),
        header=[_("Figure"), _("This period"), _("Previous period"), _("Difference")],
        rows=rows,
    )


def section_table(figures: Mapping[str, Any], section: str) -> Table:
    """One section of the dashboard as a table (``section`` one of SECTIONS)."""
    total = figures["cases"]
    if section == "summary":
        return summary_table(figures)
    if section == "overdue":
        return overdue_table(figures)
    if section == "channel":
        return _counts(
            section, _("By channel"), _("Channel"), figures["by_channel"], total, lambda v: _choice(Channel, v)
        )
    if section == "category":
        return _counts(
            section,
            _("By handling category"),
            _("Handling category"),
            figures["by_category"],
            total,
            lambda v: _choice(HandlingCategory, v),
        )
    if section == "failure":
        return _counts(
            section,
            _("By what failed (art. 4)"),
            _("What failed (art. 4)"),
            figures.get("by_failure_kind") or {},  # reports made before it was counted have none
            total,
            lambda v: _choice(FailureKind, v),
        )
    if section == "status":
        return _counts(
            section, _("By status"), _("Status"), figures["by_status"], total, lambda v: _choice(CaseStatus, v)
        )
    if section == "results":
        return _counts(
            section, _("By result"), _("Result"), figures["by_result"], total, lambda v: _choice(CaseResult, v)
        )
    if section == "reasons":
        return _counts(
            section,
            _("Not accepted, by reason"),
            _("Reason not accepted"),
            figures["by_exclusion_reason"],
            figures["not_accepted"],
            lambda v: _("Unknown") if v == "unknown" else _choice(ExclusionReason, v),
        )
    if section == "satisfaction":
        counts = figures["satisfaction"]
        rated = sum(counts.values())
        return Table(
            key=section,
            title=_("Satisfaction (好差评)"),
            header=[_("Satisfaction"), _("Cases"), _("Share of rated (%)")],
            rows=[[_choice(Satisfaction, level), n, _share(n, rated)] for level, n in counts.items()],
        )
    if section == "matters":
        return Table(
            key=section,
            title=_("Matters that come back most"),
            header=[_("Matter"), _("Cases"), _("Not done on the spot"), _("Flagged"), _("Dissatisfied")],
            rows=[
                [m["name"], m["cases"], m["transferred"], m["flagged"], m["unsatisfied"]] for m in figures["matters"]
            ],
        )
    if section == "departments":
        return Table(
            key=section,
            title=_("Departments"),
            header=[
                _("Department"),
                _("Hall"),
                _("Transfer slips"),
                _("Replied"),
                _("Returned"),
                _("On time"),
                _("Late"),
                _("Flagged"),
                _("On-time rate (%)"),
                _("Band"),
            ],
            rows=[
                [
                    d["name"],
                    d["hall"],
                    d["slips"],
                    d["replied"],
                    d["returned"],
                    d["on_time"],
                    d["late"],
                    d["flagged"],
                    d["on_time_rate"],
                    _band(d.get("band")),
                ]
                for d in figures["departments"]
            ],
        )
    if section == "stages":
        return Table(
            key=section,
            title=_("Time taken per stage"),
            header=[
                _("Stage"),
                _("Finished or overdue"),
                _("On time"),
                _("Late"),
                _("Open and overdue"),
                _("On-time rate (%)"),
                _("Median (working minutes)"),
                _("90th percentile (working minutes)"),
            ],
            rows=[
                [
                    stage_label(name),
                    s["total"],
                    s["on_time"],
                    s["late"],
                    s["open_overdue"],
                    s.get("on_time_rate"),
                    s["median_minutes"],
                    s["p90_minutes"],
                ]
                for name, s in figures["stages"].items()
            ],
        )
    if section == "halls":
        return Table(
            key=section,
            title=_("Halls"),
            header=[_("Hall"), _("Code"), _("Cases"), _("On-time rate (%)"), _("Band")],
            rows=[
                [h["name"], h["code"], h["cases"], h["on_time_rate"], _band(h.get("band"))] for h in figures["halls"]
            ],
        )
    raise KeyError(section)


def section_tables(figures: Mapping[str, Any], *, is_city: bool) -> list[Table]:
    """Every section; the halls only for a city."""
    return [section_table(figures, s) for s in SECTIONS if is_city or s != "halls"]


def overdue_table(figures: Mapping[str, Any]) -> Table:
    overdue = figures.get("overdue_now") or {}
    return Table(
        key="overdue",
        title=_("Overdue now"),
        header=[_("Kind"), _("Items")],
        rows=[[_choice(DeadlineKind, kind), n] for kind, n in sorted(overdue.items())],
    )


def recurring_tables(recurring: Mapping[str, Sequence[Mapping[str, Any]]]) -> list[Table]:
    """The recurring problems of a report: matters and failing departments, with their trend."""
    return [
        Table(
            key="recurring_matters",
            title=_("Recurring matters"),
            header=[_("Matter"), _("Cases"), _("Previous period"), _("Difference")],
            rows=[[m["name"], m["cases"], m["previous"], m["trend"]] for m in recurring.get("matters", [])],
        ),
        Table(
            key="recurring_departments",
            title=_("Departments with late or returned slips"),
            header=[_("Department"), _("Hall"), _("Late or returned"), _("Previous period"), _("Difference")],
            rows=[
                [d["name"], d["hall"], d["failures"], d["previous"], d["trend"]]
                for d in recurring.get("departments", [])
            ],
        ),
    ]


def suggestion_table(suggestions: Sequence[Mapping[str, Any]]) -> Table:
    return Table(
        key="suggestions",
        title=_("Improvement suggestions and answers"),
        header=[_("Number"), _("Department"), _("Finding"), _("Suggestion"), _("Answer"), _("Answered at")],
        rows=[
            [
                s["number"],
                s["department"],
                s["finding"],
                s["suggestion"],
                s["answer"] or _("Not answered yet"),
                s["answered_at"] or "",
            ]
            for s in suggestions
        ],
    )
