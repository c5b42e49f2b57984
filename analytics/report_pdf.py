"""A report as a PDF (A4, portrait), rendered with reportlab from the report's stored JSON.

Chinese text uses reportlab's built-in CID font STSong-Light (Adobe's Song font, which every PDF
reader provides): no font file is shipped or embedded.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any
from xml.sax.saxutils import escape

from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, TableStyle
from reportlab.platypus import Table as PdfTable

from analytics.exports import Table
from analytics.tables import overdue_table, recurring_tables, section_table, suggestion_table, summary_table

FONT = "STSong-Light"
MARGIN = 15 * mm
WIDTH = A4[0] - 2 * MARGIN
# Departments listed in a report (by transfer slips); the export has all of them.
DEPARTMENT_ROWS = 50
# Relative column widths of the tables with long texts (others: the first column 3, the rest 1).
WEIGHTS = {
    "suggestions": (2, 2, 4, 4, 4, 2),
    "departments": (4, 3, 1, 1, 1, 1, 1, 1, 1.3, 1.5),
    "recurring_departments": (4, 3, 1.5, 1.5, 1.5),
    "stages": (4, 1.3, 1, 1, 1.3, 1.3, 1.5, 1.5),
}


def _font() -> str:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


def _styles() -> dict[str, ParagraphStyle]:
    font = _font()
    return {
        "title": ParagraphStyle("title", fontName=font, fontSize=16, leading=22, alignment=1, spaceAfter=4 * mm),
        "meta": ParagraphStyle("meta", fontName=font, fontSize=9, leading=13, alignment=1, spaceAfter=6 * mm),
        "h2": ParagraphStyle("h2", fontName=font, fontSize=12, leading=16, spaceBefore=5 * mm, spaceAfter=2 * mm),
        "cell": ParagraphStyle("cell", fontName=font, fontSize=8, leading=10),
        "head": ParagraphStyle("head", fontName=font, fontSize=8, leading=10, textColor=colors.HexColor("#333333")),
        "muted": ParagraphStyle("muted", fontName=font, fontSize=9, leading=12, textColor=colors.grey),
    }


def cell_text(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "✓" if value else ""
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def _widths(key: str, columns: int) -> list[float]:
    weights: Sequence[float] = WEIGHTS.get(key, (3, *([1] * (columns - 1))))
    if len(weights) != columns:
        weights = (3, *([1] * (columns - 1)))
    total = sum(weights)
    return [WIDTH * w / total for w in weights]


def _table(table: Table, styles: Mapping[str, ParagraphStyle]) -> list[Any]:
    rows = [list(row) for row in table.rows]
    flow: list[Any] = [Paragraph(escape(str(table.title)), styles["h2"])]
    if not rows:
        flow.append(Paragraph(escape(_("None in this period.")), styles["muted"]))
        return flow
    data = [[Paragraph(escape(str(label)), styles["head"]) for label in table.header]]
    data += [[Paragraph(escape(cell_text(value)), styles["cell"]) for value in row] for row in rows]
    pdf_table = PdfTable(data, colWidths=_widths(table.key, len(table.header)), repeatRows=1)
    pdf_table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#b0b8c1")),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef1f4")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 3),
                ("RIGHTPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    flow.append(pdf_table)
    return flow


def report_title(content: Mapping[str, Any]) -> str:
    return _("%(scope)s: the “could not get it done” window, %(period)s") % {
        "scope": content["scope_name"],
        "period": content["period"]["name"],
    }


def report_tables(content: Mapping[str, Any]) -> list[Table]:
    """The report's tables, in the order of the page and the PDF."""
    figures = content["figures"]
    is_city = content["scope"] == "city"
    sections = [
        "channel",
        "category",
        "failure",
        "status",
        "results",
        "reasons",
        "satisfaction",
        "stages",
        "departments",
    ]
    if is_city:
        sections.append("halls")
    sections.append("matters")
    tables = [section_table(figures, s) for s in sections]
    return [
        summary_table(figures, content.get("previous")),
        overdue_table(figures),
        *(_shortened(t) if t.key == "departments" else t for t in tables),
        *recurring_tables(content.get("recurring") or {}),
        suggestion_table(content.get("suggestions") or []),
    ]


def _shortened(table: Table) -> Table:
    """A city has hundreds of departments: the report shows those with the most slips (the failing
    ones have their own table), the export every one of them."""
    rows = list(table.rows)
    if len(rows) <= DEPARTMENT_ROWS:
        return Table(key=table.key, title=table.title, header=table.header, rows=rows)
    title = _("%(title)s: the %(shown)d with most transfer slips, of %(total)d (all of them in the export)") % {
        "title": table.title,
        "shown": DEPARTMENT_ROWS,
        "total": len(rows),
    }
    return Table(key=table.key, title=title, header=table.header, rows=rows[:DEPARTMENT_ROWS])


def report_pdf(content: Mapping[str, Any], *, compress: bool = True) -> bytes:
    """The PDF of a report's content (what ``report_content`` returns and the report stores)."""
    styles = _styles()
    title = report_title(content)
    out = io.BytesIO()
    document = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN + 4 * mm,
        title=title,
        author=content["scope_name"],
        subject=content["period"]["name"],
        pageCompression=1 if compress else 0,
    )
    period = content["period"]
    previous = content["previous_period"]
    story: list[Any] = [
        Paragraph(escape(title), styles["title"]),
        Paragraph(
            escape(
                _("Period %(first)s to %(last)s; compared with %(pfirst)s to %(plast)s.")
                % {
                    "first": period["first"],
                    "last": period["last"],
                    "pfirst": previous["first"],
                    "plast": previous["last"],
                }
            ),
            styles["meta"],
        ),
    ]
    for table in report_tables(content):
        story.extend(_table(table, styles))
    story.append(Spacer(1, 4 * mm))

    footer = content["scope_name"]

    def page_footer(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(_font(), 8)
        canvas.drawString(MARGIN, 8 * mm, footer)
        canvas.drawRightString(A4[0] - MARGIN, 8 * mm, _("Page %(n)s") % {"n": doc.page})
        canvas.restoreState()

    document.build(story, onFirstPage=page_footer, onLaterPages=page_footer)
    return out.getvalue()
