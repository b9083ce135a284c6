"""The tables a report page shows, as an Excel workbook offered for download from the page.

Every HTML table in the executed notebook's outputs becomes a sheet named after the heading
above it; cells that read as numbers are written as numbers with a number format
(:func:`salesops_lib.report.xlsx.number_format`): ``12,345`` as ``#,##0``, ``37.2%`` as the
fraction 0.372 in ``0.0%``, ``+3.1 pp``/``+3.1个百分点`` as 3.1 in points, money as its exact
amount in yuan (the cell's ``data-value``, written by :func:`salesops_lib.report.html.table_html`)
or, without one, shown as ``1,234.5万``/``1.2亿``/``12.3K``/``4.5M`` back in yuan, in the money format; ``2025-06-30`` as a
date; everything else as text — string cells, never formulas (:mod:`salesops_lib.report.xlsx`),
so a name such as ``=HYPERLINK(…)`` stays text. Each sheet gets a frozen header, an autofilter
and fitted widths. Complete lists the page shows only in part (deal lists) come as sheets of
their own (:data:`salesops_lib.report.notebook.SHEETS_MIME`), after the page's tables.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import nbformat

from salesops_lib.report.xlsx import Kind, number_format

_NUMBER = re.compile(r"^[+-]?[\d,]*\.?\d+$")
_SCALES = {"万": 1e4, "亿": 1e8, "K": 1e3, "M": 1e6, "B": 1e9}
_POINTS = ("pp", "个百分点", "pts")
_ARROWS = "▲▼△▽↑↓"
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_HEADER_UNIT = re.compile(r"[（(，,]\s*(万元|亿元|元|K|M|B)[)）]\s*$")
_HEADER_SCALES = {"元": 1.0, "万元": 1e4, "亿元": 1e8, "K": 1e3, "M": 1e6, "B": 1e9}


@dataclass
class _Table:
    title: str
    rows: list[list[str]] = field(default_factory=list)
    #: rows of the table's head (``<thead>``, or leading rows of ``<th>`` cells only)
    header_rows: int = 0
    #: exact amounts of money cells shown rounded (their ``data-value``), by (row, column) index
    exact: dict[tuple[int, int], float] = field(default_factory=dict)


class _TableParser(HTMLParser):
    """Collects tables (rows of cell texts) and the last heading seen before each."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[_Table] = []
        self.heading = ""
        self._in_heading = False
        self._cell: list[str] | None = None
        self._depth = 0
        self._in_head = False
        self._row_heads: list[bool] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("h1", "h2", "h3", "h4"):
            self._in_heading, self.heading = True, ""
        elif tag == "table":
            self._depth += 1
            if self._depth == 1:
                self.tables.append(_Table(self.heading.strip() or f"table {len(self.tables) + 1}"))
        elif tag == "thead" and self._depth == 1:
            self._in_head = True
        elif tag == "tr" and self._depth == 1:
            self.tables[-1].rows.append([])
            self._row_heads = [self._in_head]
        elif tag in ("td", "th") and self._depth == 1:
            self._cell = []
            self._row_heads.append(tag == "th")
            value = dict(attrs).get("data-value")
            table = self.tables[-1]
            if value is not None and table.rows:
                with contextlib.suppress(ValueError):  # not a number: the cell's text stands
                    table.exact[(len(table.rows) - 1, len(table.rows[-1]))] = float(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("h1", "h2", "h3", "h4"):
            self._in_heading = False
        elif tag == "table":
            self._depth -= 1
        elif tag == "thead" and self._depth == 1:
            self._in_head = False
        elif tag == "tr" and self._depth == 1 and self.tables[-1].rows:
            table = self.tables[-1]
            heading_row = self._row_heads[0] or (len(self._row_heads) > 1 and all(self._row_heads[1:]))
            if heading_row and table.header_rows == len(table.rows) - 1:
                table.header_rows += 1
        elif tag in ("td", "th") and self._cell is not None and self._depth == 1:
            if self.tables[-1].rows:
                self.tables[-1].rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._in_heading:
            self.heading += data
        if self._cell is not None:
            self._cell.append(data)


def page_tables(notebook: Path) -> list[_Table]:
    """The tables of the executed ``notebook``'s HTML outputs, in page order."""
    parser = _TableParser()
    nb = nbformat.read(notebook, as_version=4)
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            html = output.get("data", {}).get("text/html")
            if html:
                parser.feed("".join(html) if isinstance(html, list) else str(html))
    return [t for t in parser.tables if any(t.rows)]


def write_workbook(notebook: Path, target: Path, lang: str = "en") -> Path | None:
    """Write the page's tables, then its complete lists, to ``target`` (.xlsx), formatted for
    ``lang``; None when the page has neither.
    """
    from openpyxl import Workbook

    from salesops_lib.report.notebook import SHEETS_MIME
    from salesops_lib.report.xlsx import finish_sheet, write_cell, write_table

    tables = page_tables(notebook)
    sheets = page_outputs(notebook, SHEETS_MIME)
    if not tables and not sheets:
        return None
    book = Workbook()
    blank = book.active
    assert blank is not None  # a new workbook has its one empty sheet
    book.remove(blank)
    used: set[str] = set()
    for table in tables:
        sheet = book.create_sheet(_sheet_name(table.title, used))
        head = table.rows[table.header_rows - 1] if table.header_rows else []
        scales = [header_scale(text) for text in head]
        for r, row in enumerate(table.rows, start=1):
            for c, text in enumerate(row, start=1):
                if r <= table.header_rows:
                    write_cell(sheet, r, c, text)
                    continue
                exact = table.exact.get((r - 1, c - 1))
                kind: Kind
                if exact is not None:
                    value, kind = (int(exact) if exact.is_integer() else exact), "money"
                else:
                    value, kind = _in_unit(*_value(text), scales[c - 1] if c <= len(scales) else None)
                cell = write_cell(sheet, r, c, value)
                fmt = number_format(kind, lang)
                if fmt:
                    cell.number_format = fmt
        finish_sheet(sheet, table.header_rows)
    for item in (s for output in sheets for s in output.get("sheets", [])):
        sheet = book.create_sheet(_sheet_name(str(item["title"]), used))
        write_table(sheet, item["columns"], item["rows"], item["kinds"], lang)
    partial = target.with_suffix(".xlsx.part")
    book.save(partial)
    partial.replace(target)
    return target


def page_outputs(notebook: Path, mime: str) -> list[dict[str, Any]]:
    """The display outputs of MIME type ``mime`` in the executed ``notebook``, in page order."""
    nb = nbformat.read(notebook, as_version=4)
    return [
        dict(output["data"][mime])
        for cell in nb.cells
        for output in cell.get("outputs", [])
        if isinstance(output.get("data", {}).get(mime), dict)
    ]


def _value(text: str) -> tuple[Any, Kind]:
    """The cell's value (a number or date when the text reads as one) and its kind.

    Examples
    --------
    >>> _value("1,234.5万"), _value("+21.5% ▲"), _value("−3.1 pp"), _value("north")
    ((12345000, 'money'), (0.215, 'rate'), (-3.1, 'points'), ('north', 'text'))
    """
    compact = text.replace("\u2212", "-").replace(" ", "").replace("\u00a0", "").rstrip(_ARROWS)
    if _DATE.match(compact):
        try:
            return dt.datetime.fromisoformat(compact), "date"
        except ValueError:
            return text, "text"
    kind: Kind = "integer"
    scale = 1.0
    if compact.endswith("%"):
        compact, kind, scale = compact[:-1], "rate", 0.01
    elif compact.endswith(_POINTS):
        suffix = next(p for p in _POINTS if compact.endswith(p))
        compact, kind = compact.removesuffix(suffix), "points"
    elif compact[-1:] in _SCALES and len(compact) > 1:
        compact, kind, scale = compact[:-1], "money", _SCALES[compact[-1]]
    if not compact or not _NUMBER.match(compact):
        return text, "text"
    number = float(compact.replace(",", ""))
    if kind == "integer" and not number.is_integer():
        kind = "number"
    value = round(number * scale, 10) if scale != 1 else number
    return (int(value) if kind in ("integer", "money") and float(value).is_integer() else value), kind


def header_scale(text: str) -> float | None:
    """The money unit a column header states (``销售额（万元）``, ``Revenue (K)``), or None.

    Examples
    --------
    >>> header_scale("销售额（万元）"), header_scale("人均销售额（窗口，亿元）"), header_scale("Revenue (K)")
    (10000.0, 100000000.0, 1000.0)
    >>> header_scale("Region"), header_scale("Rate (%)")
    (None, None)
    """
    found = _HEADER_UNIT.search(text)
    return _HEADER_SCALES[found.group(1)] if found else None


def _in_unit(value: Any, kind: Kind, scale: float | None) -> tuple[Any, Kind]:
    """A plain number of a column whose header states a money unit, in yuan."""
    if scale is None or kind not in ("integer", "number"):
        return value, kind
    amount = round(float(value) * scale, 10)
    return (int(amount) if amount.is_integer() else amount), "money"


def _sheet_name(title: str, used: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", " ", title).strip()[:28] or "table"
    name, index = base, 2
    while name.lower() in used:
        name, index = f"{base[:25]} {index}", index + 1
    used.add(name.lower())
    return name
