"""The sections of the hall and city dashboards: each a table and a chart of the same numbers.

A section is built once from the figures of the period and of the previous period
(analytics.selectors.figures_for); the template renders its table, and its chart spec goes to the
page as JSON (``json_script``) for hallplatform/static/hallplatform/stats.js to draw with Chart.js.
A chart's series are columns of the table (``column``) over some of its rows (``rows``), so the
chart cannot show a number the table does not. Halls and departments are grouped in bands (良好 /
中等 / 需关注), never numbered in a league table. What each figure means: docs/statistics.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.utils.translation import gettext as _

from analytics.selectors import BANDS, SATISFACTION_LEVELS, STAGES
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

COUNT, PERCENT, POINTS, CHANGE, MINUTES, TEXT = "count", "percent", "points", "change", "minutes", "text"
THIS_COLOR, PREVIOUS_COLOR = "#b42318", "#9aa5b1"
BAND_COLORS = {"good": "#2f855a", "middle": "#d69e2e", "attention": "#c53030", None: "#cbd2d9"}
OVERDUE_KINDS = (
    DeadlineKind.SLIP_REPLY,
    DeadlineKind.FEEDBACK,
    DeadlineKind.MEETING_RESOLUTION,
    DeadlineKind.SUPERVISION_ORDER,
)


@dataclass(frozen=True)
class Column:
    label: str
    unit: str = COUNT


@dataclass(frozen=True)
class Cell:
    value: Any  # the number (None: nothing to count) or a text
    text: str  # as shown
    css: str = ""

    @property
    def raw(self) -> str:
        """The value as the table's ``data-value`` (what the chart draws): never localised."""
        return "" if self.value is None else str(self.value)


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    cells: list[Cell]
    css: str = ""


@dataclass
class Section:
    key: str
    title: str
    row_header: str
    columns: list[Column]
    rows: list[Row]
    chart: dict[str, Any] | None = None
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


# --- Formatting ------------------------------------------------------------------------------------


def format_minutes(value: float | None) -> str:
    """Working minutes as hours and minutes (``450`` → ``7 h 30 min``)."""
    if value is None:
        return "—"
    hours, minutes = divmod(round(value), 60)
    if hours:
        return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes}
    return _("%(minutes)d min") % {"minutes": minutes}


def _text(value: Any, unit: str) -> str:
    if value is None:
        return "—"
    if unit == PERCENT:
        return f"{value:.1f}%"
    if unit == POINTS:
        return f"{value:+.1f}" if value else "0.0"
    if unit == CHANGE:
        return f"{value:+d}" if value else "0"
    if unit == MINUTES:
        return format_minutes(value)
    return str(value)


def _css(value: Any, unit: str) -> str:
    if unit in (CHANGE, POINTS) and isinstance(value, int | float) and value:
        return "up" if value > 0 else "down"
    return ""


def cell(value: Any, unit: str = COUNT) -> Cell:
    return Cell(value=value, text=_text(value, unit), css=_css(value, unit))


def change(now: Any, before: Any, unit: str = CHANGE) -> Cell:
    if not isinstance(now, int | float) or not isinstance(before, int | float):
        return cell(None, unit)
    difference = round(now - before, 1) if unit == POINTS else now - before
    return cell(difference, unit)


def band_label(band: str | None) -> str:
    return {"good": _("Good"), "middle": _("Middle"), "attention": _("Needs attention")}.get(band or "", _("No data"))


def stage_label(name: str) -> str:
    return {
        "slip_ordinary": _("Department reply, ordinary (2 working days)"),
        "slip_complex": _("Department reply, complex (5 working days)"),
        "feedback": _("Feedback to the person (half a working day)"),
        "resolution": _("Joint-meeting resolutions"),
        "order": _("Supervision orders"),
    }.get(name, name)


def _choice(choices: type[models.TextChoices], value: str) -> str:
    return str(choices(value).label) if value in choices.values else value


# --- Charts ----------------------------------------------------------------------------------------


def chart(
    section_rows: Sequence[Row],
    columns: Sequence[Column],
    series: Sequence[tuple[int, str]],
    *,
    unit: str = COUNT,
    horizontal: bool = False,
    rows: Iterable[str] | None = None,
    band_colors: Sequence[str | None] | None = None,
) -> dict[str, Any]:
    """A chart of columns ``series`` ((index, colour)) of the table, over ``rows`` (default: all)."""
    keys = list(rows) if rows is not None else [row.key for row in section_rows]
    by_key = {row.key: row for row in section_rows}
    chosen = [by_key[key] for key in keys]
    datasets = []
    for index, color in series:
        dataset: dict[str, Any] = {
            "label": columns[index].label,
            "column": index,
            "data": [row.cells[index].value for row in chosen],
            "color": color,
        }
        if band_colors is not None:
            dataset["colors"] = [BAND_COLORS.get(band, BAND_COLORS[None]) for band in band_colors]
        datasets.append(dataset)
    return {
        "kind": "bar",
        "horizontal": horizontal,
        "unit": unit,
        "rows": keys,
        "labels": [row.label for row in chosen],
        "datasets": datasets,
    }


def _this_and_previous(columns: Sequence[Column]) -> list[tuple[int, str]]:
    return [(0, THIS_COLOR), (1, PREVIOUS_COLOR)][: len(columns)]


# --- Sections --------------------------------------------------------------------------------------


def _comparison_columns() -> list[Column]:
    return [Column(_("This period")), Column(_("Previous period")), Column(_("Difference"), CHANGE)]


def counts_section(
    key: str,
    title: str,
    row_header: str,
    now: Mapping[str, int],
    before: Mapping[str, int],
    order: Sequence[str],
    name: Callable[[str], str],
    *,
    always: bool = False,
) -> Section:
    """Counts by a kind (channel, category, …): this period, the previous, the change and the
    share of this period's total; rows in the kind's own order, not by size."""
    present = [value for value in order if always or now.get(value) or before.get(value)]
    present += sorted(value for value in {*now, *before} if value not in order)
    total = sum(now.values())
    columns = [*_comparison_columns(), Column(_("Share (%)"), PERCENT)]
    rows = []
    for value in present:
        n, earlier = now.get(value, 0), before.get(value, 0)
        share = round(100 * n / total, 1) if total else None
        rows.append(Row(value, name(value), [cell(n), cell(earlier), change(n, earlier), cell(share, PERCENT)]))
    return Section(key, title, row_header, columns, rows, chart(rows, columns, _this_and_previous(columns)))


def summary_section(now: Mapping[str, Any], before: Mapping[str, Any]) -> Section:
    figures = [
        ("cases", _("Cases registered")),
        ("not_accepted", _("Not accepted (art. 4)")),
        ("flagged", _("Flagged for supervision (不给办)")),
        ("repeat_reporters", _("From people who reported before")),
        ("reopened", _("Reopened")),
    ]
    columns = _comparison_columns()
    rows = [
        Row(key, label, [cell(now[key]), cell(before[key]), change(now[key], before[key])]) for key, label in figures
    ]
    return Section(
        "summary", _("Key figures"), _("Figure"), columns, rows, chart(rows, columns, _this_and_previous(columns))
    )


def matters_section(recurring: Mapping[str, Any]) -> Section:
    columns = [
        Column(_("Cases")),
        Column(_("Previous period")),
        Column(_("Difference"), CHANGE),
        Column(_("Not done on the spot")),
        Column(_("Flagged")),
        Column(_("Dissatisfied")),
    ]
    rows = [
        Row(
            m["key"],
            m["name"],
            [
                cell(m["cases"]),
                cell(m["previous"]),
                change(m["cases"], m["previous"]),
                cell(m["transferred"]),
                cell(m["flagged"]),
                cell(m["unsatisfied"]),
            ],
        )
        for m in recurring["matters"]
    ]
    return Section(
        "matters",
        _("Matters (similar spellings grouped)"),
        _("Matter"),
        columns,
        rows,
        chart(rows, columns, [(0, THIS_COLOR), (1, PREVIOUS_COLOR)], horizontal=True),
        note=_(
            "The matters reported most in the period; spellings that differ only in spaces, punctuation, "
            "width or a generic ending (事项, 业务, …) count as one."
        ),
    )


def _band_order(band: str | None) -> int:
    return BANDS.index(band) if band in BANDS else len(BANDS)


def band_counts(rows: Iterable[Mapping[str, Any]]) -> list[tuple[str, str | None, int]]:
    """(label, band, how many) for each band and for 'no data'."""
    counts: dict[str | None, int] = dict.fromkeys([*BANDS, None], 0)
    for row in rows:
        counts[row.get("band")] = counts.get(row.get("band"), 0) + 1
    return [(band_label(band), band, n) for band, n in counts.items()]


def departments_section(now: Mapping[str, Any], before: Mapping[str, Any], limit: int | None = None) -> Section:
    """Departments in bands of their on-time rate; within a band by hall and name, not by rate. With
    ``limit``, only that many rows: the departments that received most transfer slips (the bands
    still count every department; the export lists them all)."""
    earlier = {d["id"]: d for d in before["departments"]}
    shown = now["departments"]
    if limit is not None and len(shown) > limit:
        shown = sorted(shown, key=lambda d: (-d["slips"], d["id"]))[:limit]
    departments = sorted(shown, key=lambda d: (_band_order(d.get("band")), d["hall"], d["name"], d["id"]))
    columns = [
        Column(_("Band"), TEXT),
        Column(_("Transfer slips")),
        Column(_("Replied")),
        Column(_("Returned")),
        Column(_("On time")),
        Column(_("Late")),
        Column(_("On-time rate (%)"), PERCENT),
        Column(_("Previous period (%)"), PERCENT),
        Column(_("Difference (percentage points)"), POINTS),
    ]
    rows = []
    for d in departments:
        previous_rate = earlier[d["id"]]["on_time_rate"] if d["id"] in earlier else None
        rows.append(
            Row(
                str(d["id"]),
                f"{d['name']}（{d['hall']}）",
                [
                    Cell(d.get("band"), band_label(d.get("band")), f"band band-{d.get('band') or 'none'}"),
                    cell(d["slips"]),
                    cell(d["replied"]),
                    cell(d["returned"]),
                    cell(d["on_time"]),
                    cell(d["late"]),
                    cell(d["on_time_rate"], PERCENT),
                    cell(previous_rate, PERCENT),
                    change(d["on_time_rate"], previous_rate, POINTS),
                ],
            )
        )
    return Section(
        "departments",
        _("Departments"),
        _("Department"),
        columns,
        rows,
        chart(
            rows,
            columns,
            [(6, THIS_COLOR)],
            unit=PERCENT,
            horizontal=True,
            band_colors=[d.get("band") for d in departments],
        ),
        note=_(
            "On-time rate of the transfer slips sent in the period: replied by the deadline, against replied "
            "late or overdue. Bands: 良好 at least 95%, 中等 at least 80%, 需关注 below 80%."
        ),
        extra={
            "bands": band_counts(now["departments"]),
            "shown": len(departments),
            "total": len(now["departments"]),
            "export": "departments",
        },
    )


def halls_section(now: Mapping[str, Any], before: Mapping[str, Any]) -> Section:
    """The city's halls in bands of their on-time rate (slip replies and feedback); within a band in
    the order of their region codes."""
    earlier = {h["id"]: h for h in before["halls"]}
    halls = sorted(now["halls"], key=lambda h: _band_order(h.get("band")))  # stable: region order kept
    columns = [
        Column(_("Band"), TEXT),
        Column(_("Cases")),
        Column(_("On-time rate (%)"), PERCENT),
        Column(_("Previous period (%)"), PERCENT),
        Column(_("Difference (percentage points)"), POINTS),
    ]
    rows = []
    for h in halls:
        previous_rate = earlier[h["id"]]["on_time_rate"] if h["id"] in earlier else None
        rows.append(
            Row(
                h["code"],
                h["name"],
                [
                    Cell(h.get("band"), band_label(h.get("band")), f"band band-{h.get('band') or 'none'}"),
                    cell(h["cases"]),
                    cell(h["on_time_rate"], PERCENT),
                    cell(previous_rate, PERCENT),
                    change(h["on_time_rate"], previous_rate, POINTS),
                ],
            )
        )
    return Section(
        "halls",
        _("Halls in bands"),
        _("Hall"),
        columns,
        rows,
        chart(
            rows, columns, [(2, THIS_COLOR)], unit=PERCENT, horizontal=True, band_colors=[h.get("band") for h in halls]
        ),
        note=_(
            "On-time rate of the departments' replies and of the feedback to the person, for the deadlines "
            "that started in the period. Bands: 良好 at least 95%, 中等 at least 80%, 需关注 below 80%."
        ),
        extra={"bands": band_counts(halls)},
    )


def stage_rate_section(now: Mapping[str, Any], before: Mapping[str, Any]) -> Section:
    columns = [
        Column(_("On-time rate (%)"), PERCENT),
        Column(_("Previous period (%)"), PERCENT),
        Column(_("Difference (percentage points)"), POINTS),
        Column(_("On time")),
        Column(_("Late")),
        Column(_("Finished or overdue")),
        Column(_("Open and overdue")),
    ]
    rows = []
    for name, _kind, _days in STAGES:
        s, p = now["stages"][name], before["stages"][name]
        rows.append(
            Row(
                name,
                stage_label(name),
                [
                    cell(s["on_time_rate"], PERCENT),
                    cell(p["on_time_rate"], PERCENT),
                    change(s["on_time_rate"], p["on_time_rate"], POINTS),
                    cell(s["on_time"]),
                    cell(s["late"]),
                    cell(s["total"]),
                    cell(s["open_overdue"]),
                ],
            )
        )
    return Section(
        "stage_rates",
        _("On time, per stage"),
        _("Stage"),
        columns,
        rows,
        chart(rows, columns, [(0, THIS_COLOR), (1, PREVIOUS_COLOR)], unit=PERCENT),
        note=_(
            "Deadlines that started in the period: met by the due time (on time), against met late, breached or "
            "still open past due (late). Deadlines still running in time are not counted yet."
        ),
    )


def stage_time_section(now: Mapping[str, Any], before: Mapping[str, Any]) -> Section:
    columns = [
        Column(_("Median"), MINUTES),
        Column(_("90th percentile"), MINUTES),
        Column(_("Median, previous period"), MINUTES),
        Column(_("90th percentile, previous period"), MINUTES),
    ]
    rows = []
    for name, _kind, _days in STAGES:
        s, p = now["stages"][name], before["stages"][name]
        rows.append(
            Row(
                name,
                stage_label(name),
                [
                    cell(s["median_minutes"], MINUTES),
                    cell(s["p90_minutes"], MINUTES),
                    cell(p["median_minutes"], MINUTES),
                    cell(p["p90_minutes"], MINUTES),
                ],
            )
        )
    return Section(
        "stage_times",
        _("Working time taken, per stage"),
        _("Stage"),
        columns,
        rows,
        chart(rows, columns, [(0, THIS_COLOR), (1, "#f0b429")], unit=MINUTES),
        note=_(
            "Working time (office hours of working days, pauses for materials excluded) from the start of the "
            "deadline until it was met; the 90th percentile is the time nine in ten stayed within."
        ),
    )


def overdue_section(now: Mapping[str, Any]) -> Section:
    overdue = now["overdue_now"]
    columns = [Column(_("Items"))]
    kinds = [*OVERDUE_KINDS, *sorted(kind for kind in overdue if kind not in OVERDUE_KINDS)]
    rows = [Row(kind, _choice(DeadlineKind, kind), [cell(overdue.get(kind, 0))]) for kind in kinds]
    return Section(
        "overdue",
        _("Overdue now"),
        _("Kind"),
        columns,
        rows,
        chart(rows, columns, [(0, THIS_COLOR)]),
        note=_("Everything past its deadline right now, whenever it started (not only in the period)."),
    )


def follow_up_section(now: Mapping[str, Any], before: Mapping[str, Any]) -> Section:
    columns = _comparison_columns()
    rows = [
        Row(
            "follow_up_due",
            _("Told their result"),
            [
                cell(now["follow_up_due"]),
                cell(before["follow_up_due"]),
                change(now["follow_up_due"], before["follow_up_due"]),
            ],
        ),
        Row(
            "followed_up",
            _("Followed up"),
            [cell(now["followed_up"]), cell(before["followed_up"]), change(now["followed_up"], before["followed_up"])],
        ),
        Row(
            "follow_up_rate",
            _("Follow-up coverage (%)"),
            [
                cell(now["follow_up_rate"], PERCENT),
                cell(before["follow_up_rate"], PERCENT),
                change(now["follow_up_rate"], before["follow_up_rate"], POINTS),
            ],
        ),
    ]
    return Section(
        "follow_up",
        _("Follow-up coverage (回访)"),
        _("Figure"),
        columns,
        rows,
        chart(rows, columns, _this_and_previous(columns), rows=["follow_up_due", "followed_up"]),
        note=_(
            "Cases of the period whose person was told the result (answered on the spot or fed back), and how "
            "many of them were followed up."
        ),
    )


def satisfaction_section(now: Mapping[str, Any], before: Mapping[str, Any]) -> Section:
    section = counts_section(
        "satisfaction",
        _("Satisfaction (好差评)"),
        _("Satisfaction"),
        now["satisfaction"],
        before["satisfaction"],
        SATISFACTION_LEVELS,
        lambda value: _choice(Satisfaction, value),
        always=True,
    )
    section.columns[3] = Column(_("Share of rated (%)"), PERCENT)
    section.note = _(
        "The latest rating of each followed-up case on the five levels of the national 好差评 scale; "
        "a reopened case counts again once it is followed up again."
    )
    return section


def suggestions_section(now: Mapping[str, Any], before: Mapping[str, Any]) -> Section:
    columns = _comparison_columns()
    rows = [
        Row(key, label, [cell(now[key]), cell(before[key]), change(now[key], before[key])])
        for key, label in (
            ("suggestions_sent", _("Improvement suggestions sent")),
            ("suggestions_answered", _("Improvement suggestions answered")),
        )
    ]
    return Section(
        "suggestions",
        _("Improvement suggestions (优化意见建议)"),
        _("Figure"),
        columns,
        rows,
        chart(rows, columns, _this_and_previous(columns)),
        note=_("Suggestions sent in the period, and how many of them the departments have answered."),
    )


def dashboard_sections(
    now: Mapping[str, Any],
    before: Mapping[str, Any],
    recurring: Mapping[str, Any],
    *,
    is_city: bool,
    department_rows: int | None = None,
) -> list[Section]:
    """Every section of a dashboard, from ``Figures.as_dict()`` of the period and the previous one;
    ``department_rows`` caps the departments listed (departments_section)."""
    sections = [
        summary_section(now, before),
        counts_section(
            "channel",
            _("By channel"),
            _("Channel"),
            now["by_channel"],
            before["by_channel"],
            Channel.values,
            lambda v: _choice(Channel, v),
        ),
        counts_section(
            "category",
            _("By handling category"),
            _("Handling category"),
            now["by_category"],
            before["by_category"],
            HandlingCategory.values,
            lambda v: _choice(HandlingCategory, v),
        ),
        counts_section(
            "failure",
            _("By what failed (art. 4)"),
            _("What failed (art. 4)"),
            now.get("by_failure_kind") or {},
            before.get("by_failure_kind") or {},
            FailureKind.values,
            lambda v: _choice(FailureKind, v),
            always=True,  # the four kinds of art. 4, recorded or not
        ),
        counts_section(
            "status",
            _("By status"),
            _("Status"),
            now["by_status"],
            before["by_status"],
            CaseStatus.values,
            lambda v: _choice(CaseStatus, v),
        ),
        counts_section(
            "result",
            _("By result"),
            _("Result"),
            now["by_result"],
            before["by_result"],
            CaseResult.values,
            lambda v: _choice(CaseResult, v),
        ),
        counts_section(
            "reasons",
            _("Not accepted, by reason"),
            _("Reason not accepted"),
            now["by_exclusion_reason"],
            before["by_exclusion_reason"],
            ExclusionReason.values,
            lambda v: _("Unknown") if v == "unknown" else _choice(ExclusionReason, v),
        ),
        matters_section(recurring),
        departments_section(now, before, department_rows),
        stage_rate_section(now, before),
        stage_time_section(now, before),
        overdue_section(now),
        follow_up_section(now, before),
        satisfaction_section(now, before),
        suggestions_section(now, before),
    ]
    if is_city:
        sections.insert(1, halls_section(now, before))
    return sections


def charts_of(sections: Iterable[Section]) -> dict[str, dict[str, Any]]:
    """The chart specs of the page by section key, with the section's title (for the JSON block)."""
    return {s.key: {**s.chart, "title": s.title} for s in sections if s.chart is not None}
