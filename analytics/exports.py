"""Writing tables to Excel (.xlsx) and CSV (rule art. 8: 登记备案、统计分析): pure builders, no database.

A table is a title, a header and rows of plain values (str, int, float, Decimal, date, naive
datetime, None). Rows are consumed one at a time, so a caller can feed a database iterator of any
length: openpyxl's write-only mode keeps nothing but the current row in memory, and the CSV writer
writes each row as it comes.

Both guard against formula injection (a citizen's text that starts with ``=`` must never run in
the exporting clerk's Excel): in a workbook every text is stored as a text cell, never a formula;
in CSV a text starting with ``= + - @`` or a tab or carriage return gets a leading apostrophe, as
OWASP advises.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

# Byte order mark: Excel opens a CSV as UTF-8 only when it starts with one.
BOM = "\ufeff"
CSV_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
SHEET_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
SHEET_TITLE_MAX = 31
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"

Value = str | int | float | Decimal | date | datetime | None


@dataclass
class Table:
    """A table to write: ``rows`` may be any iterable, read once. ``key`` names it in URLs."""

    title: str
    header: Sequence[Any]
    rows: Iterable[Sequence[Any]]
    key: str = ""


def _plain(value: Any) -> Value:
    """Values a cell can hold; anything else (lazy translations, enums) becomes its text."""
    if value is None or isinstance(value, bool):
        return None if value is None else ("✓" if value else "")
    if isinstance(value, int | float | Decimal | date):
        if isinstance(value, datetime) and value.tzinfo is not None:
            raise ValueError("convert aware datetimes to local naive ones before exporting")
        return value
    return str(value)


# --- Excel ----------------------------------------------------------------------------------------


def sheet_title(title: str, taken: set[str]) -> str:
    """A valid, unique sheet title: at most 31 characters, none of ``[]:*?/\\``."""
    base = SHEET_TITLE_FORBIDDEN.sub(" ", title).strip() or "Sheet"
    base = base[:SHEET_TITLE_MAX]
    candidate, n = base, 1
    while candidate.lower() in taken:
        n += 1
        suffix = f" ({n})"
        candidate = base[: SHEET_TITLE_MAX - len(suffix)] + suffix
    taken.add(candidate.lower())
    return candidate


def _xlsx_cell(sheet: Any, value: Any) -> Any:
    plain = _plain(value)
    cell = WriteOnlyCell(sheet)
    if isinstance(plain, str):
        # Assigned as a value, a text starting with "=" would become a formula: set it as text.
        cell.value = ILLEGAL_CHARACTERS_RE.sub("", plain)
        cell.data_type = "s"
    else:
        cell.value = plain
        if isinstance(plain, datetime):
            cell.number_format = "yyyy-mm-dd hh:mm"
        elif isinstance(plain, date):
            cell.number_format = "yyyy-mm-dd"
    return cell


def xlsx_write(out: IO[bytes], tables: Iterable[Table]) -> int:
    """Write ``tables`` as the sheets of one workbook to ``out``; returns the rows written (headers
    not counted). Write-only mode: memory does not grow with the rows."""
    book = Workbook(write_only=True)
    taken: set[str] = set()
    rows_written = 0
    bold = Font(bold=True)
    for table in tables:
        sheet = book.create_sheet(title=sheet_title(table.title, taken))
        header = []
        for label in table.header:
            cell = _xlsx_cell(sheet, label)
            cell.font = bold
            header.append(cell)
        sheet.freeze_panes = "A2"
        sheet.append(header)
        for row in table.rows:
            sheet.append([_xlsx_cell(sheet, value) for value in row])
            rows_written += 1
    if not taken:
        book.create_sheet(title="Sheet")
    book.save(out)
    return rows_written


def xlsx_bytes(tables: Iterable[Table]) -> bytes:
    out = io.BytesIO()
    xlsx_write(out, tables)
    return out.getvalue()


# --- CSV ------------------------------------------------------------------------------------------


def csv_value(value: Any) -> str:
    plain = _plain(value)
    if plain is None:
        return ""
    if isinstance(plain, datetime):
        return plain.strftime("%Y-%m-%d %H:%M")
    if isinstance(plain, date):
        return plain.isoformat()
    text = str(plain)
    if isinstance(plain, str) and text.startswith(CSV_FORMULA_START):
        return "'" + text
    return text


def csv_write(out: IO[str], table: Table) -> int:
    """Write one table as CSV (UTF-8 with a byte order mark, for Excel; CRLF line ends) to a text
    stream; returns the rows written (header not counted)."""
    out.write(BOM)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([csv_value(label) for label in table.header])
    rows_written = 0
    for row in table.rows:
        writer.writerow([csv_value(value) for value in row])
        rows_written += 1
    return rows_written


def csv_text(table: Table) -> str:
    out = io.StringIO()
    csv_write(out, table)
    return out.getvalue()
