"""Where a zh page shows money as a raw number (issue 21: every money figure in 万/亿).

The check, precisely:

- a **tile** (``so-tile``: label and value) whose value holds a plain number of five or more
  integer digits (``117,421,794``, ``12345``; not part of an id such as ``INV00015786``) with no
  unit after it (万, 亿, %, …) is raw, unless its label names a count (:data:`COUNT_WORDS`:
  ``商机数``, a funnel's ``进入``/``流失`` deals, ``线索``);
- a **table cell** (``so-table``) is raw on the same rule, unless its column header states a
  unit (``销售额（万元）``: the cells are in that unit) or names a count;
- anywhere in the visible text, a plain number of seven or more integer digits (``1,234,567``)
  is raw: no count on these pages reaches a million, money does.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from tests.page_text import visible_text

#: a header or tile label that names a count, a duration or an id, not money
COUNT_WORDS = re.compile(r"((?<!中位)数|数量|天|月|编号|ID|id)\s*$|数（|数\(|^(进入|推进|流失|在途|线索|商机|发票)$")
#: a column header that states its money unit: its cells are in that unit
UNIT_HEADER = re.compile(r"[（(，,]\s*(万元|亿元|元|K|M|B)[)）]\s*$")
_RAW = re.compile(r"(?<![\w.,])-?(\d{1,3}(?:,\d{3})+|\d{5,})(?:\.\d+)?(?![\d.,]*\s*[万亿%KMB])")
_BIG = re.compile(r"(?<![\w.,])-?\d{1,3}(?:,\d{3}){2,}(?:\.\d+)?(?![\d.,]*\s*[万亿%KMB])")


def _raw_numbers(text: str, digits: int = 5) -> list[str]:
    found = []
    for match in _RAW.finditer(text):
        whole = match.group(1).replace(",", "")
        if len(whole) >= digits:
            found.append(match.group(0))
    return found


class _Figures(HTMLParser):
    """Tiles (label, value) and tables (header row, body rows) of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tiles: list[list[str]] = []
        self.tables: list[tuple[list[list[str]], list[list[str]]]] = []
        self._div: list[str] = []
        self._cell: list[str] | None = None
        self._depth = 0
        self._in_head = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        css = dict(attrs).get("class") or ""
        if tag == "div":
            self._div.append(css)
            if css == "so-tile":
                self.tiles.append([])
            elif css in ("so-label", "so-value") and self.tiles:
                self._cell = []
        elif tag == "table":
            self._depth += 1
            if self._depth == 1:
                self.tables.append(([], []))
        elif tag == "thead" and self._depth == 1:
            self._in_head = True
        elif tag == "tr" and self._depth == 1:
            self.tables[-1][0 if self._in_head else 1].append([])
        elif tag in ("td", "th") and self._depth == 1:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "div" and self._div:
            css = self._div.pop()
            if css in ("so-label", "so-value") and self._cell is not None and self.tiles:
                self.tiles[-1].append("".join(self._cell).strip())
                self._cell = None
        elif tag == "table":
            self._depth -= 1
        elif tag == "thead" and self._depth == 1:
            self._in_head = False
        elif tag in ("td", "th") and self._depth == 1 and self._cell is not None:
            text = " ".join("".join(self._cell).split())
            head, body = self.tables[-1]
            rows = head if self._in_head else body
            if rows:
                rows[-1].append(text)
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def raw_money(html: str) -> list[str]:
    """The places where ``html`` shows money as a raw number (empty when there are none)."""
    page = _Figures()
    page.feed(html)
    found = []
    for tile in page.tiles:
        label, value = [*tile, "", ""][:2]
        if not COUNT_WORDS.search(label):
            found += [f"tile {label}: {value}" for _ in _raw_numbers(value)[:1]]
    for head, rows in page.tables:
        for row in rows:
            for column, cell in enumerate(row):
                header = next((h[column] for h in head if len(h) == len(row)), "")
                if UNIT_HEADER.search(header) or COUNT_WORDS.search(header):
                    continue
                found += [f"table [{header}]: {cell}" for _ in _raw_numbers(cell)[:1]]
    text = visible_text(html)
    for match in _BIG.finditer(text):
        found.append(f"text: …{text[max(0, match.start() - 30) : match.end() + 10]}…")
    return found
