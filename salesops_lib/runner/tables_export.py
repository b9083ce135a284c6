"""The tables a report page shows, as an Excel workbook offered for download from the page.

Every HTML table in the executed notebook's outputs becomes a sheet named after the heading
above it; cells that read as numbers (``12,345``, ``37.2%``, ``-4.1``) are written as numbers
(percentages as fractions, formatted as % in Excel), everything else as text — string cells,
never formulas (:mod:`salesops_lib.report.xlsx`), so a name such as ``=HYPERLINK(…)`` stays text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import nbformat

_NUMBER = re.compile(r"^[+-]?[\d,]*\.?\d+%?$")


@dataclass
class _Table:
    title: str
    rows: list[list[str]] = field(default_factory=list)


class _TableParser(HTMLParser):
    """Collects tables (rows of cell texts) and the last heading seen before each."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[_Table] = []
        self.heading = ""
        self._in_heading = False
        self._cell: list[str] | None = None
        self._depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("h1", "h2", "h3", "h4"):
            self._in_heading, self.heading = True, ""
        elif tag == "table":
            self._depth += 1
            if self._depth == 1:
                self.tables.append(_Table(self.heading.strip() or f"table {len(self.tables) + 1}"))
        elif tag == "tr" and self._depth == 1:
            self.tables[-1].rows.append([])
        elif tag in ("td", "th") and self._depth == 1:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("h1", "h2", "h3", "h4"):
            self._in_heading = False
        elif tag == "table":
            self._depth -= 1
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


def write_workbook(notebook: Path, target: Path) -> Path | None:
    """Write the page's tables to ``target`` (.xlsx); None when the page has no table."""
    from openpyxl import Workbook

    from salesops_lib.report.xlsx import write_cell

    tables = page_tables(notebook)
    if not tables:
        return None
    book = Workbook()
    blank = book.active
    assert blank is not None  # a new workbook has its one empty sheet
    book.remove(blank)
    used: set[str] = set()
    for table in tables:
        sheet = book.create_sheet(_sheet_name(table.title, used))
        for r, row in enumerate(table.rows, start=1):
            for c, text in enumerate(row, start=1):
                value, percent = _value(text)
                cell = write_cell(sheet, r, c, value)
                if percent:
                    cell.number_format = "0.0%"
    partial = target.with_suffix(".xlsx.part")
    book.save(partial)
    partial.replace(target)
    return target


def _value(text: str) -> tuple[Any, bool]:
    """The cell's value (a number when the text reads as one) and whether it is a percentage."""
    compact = text.replace("\u2212", "-").replace(" ", "")
    if not compact or not _NUMBER.match(compact):
        return text, False
    number = float(compact.rstrip("%").replace(",", ""))
    return (number / 100, True) if compact.endswith("%") else (number, False)


def _sheet_name(title: str, used: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", " ", title).strip()[:28] or "table"
    name, index = base, 2
    while name.lower() in used:
        name, index = f"{base[:25]} {index}", index + 1
    used.add(name.lower())
    return name
