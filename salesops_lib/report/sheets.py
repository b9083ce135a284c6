"""Complete lists for a page's Excel download: a :class:`Sheet` is a titled, typed table.

A page shows the first rows of a list (the ten largest slipping deals); its Excel download holds
all of them. A report view builds its sheets from the result (``view.sheets(result, lang)``),
the notebook hands them over with ``report.excel(...)``, and the runner writes them after the
page's tables, each column in the number format of its kind (:mod:`salesops_lib.report.xlsx`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from salesops_lib.report.xlsx import Kind


@dataclass(frozen=True)
class Sheet:
    """A titled table for the Excel download: column headings, their kinds, the rows."""

    title: str
    columns: tuple[str, ...]
    kinds: tuple[Kind, ...]
    rows: tuple[tuple[Any, ...], ...]

    def to_dict(self) -> dict[str, Any]:
        """The sheet as plain data (it travels in the notebook as JSON)."""
        return {"title": self.title, "columns": list(self.columns), "kinds": list(self.kinds), "rows": self.rows}


def sheet_of(
    title: str, frame: pd.DataFrame, columns: Mapping[str, tuple[str, Kind]], word: Callable[[str], str]
) -> Sheet:
    """The ``columns`` of ``frame`` (name → label key, kind) as a :class:`Sheet`, headed with
    ``word(key)``; columns the frame lacks are left out.

    Examples
    --------
    >>> frame = pd.DataFrame({"opp_id": ["O1"], "value": [12000.0]})
    >>> sheet = sheet_of("Deals", frame, {"opp_id": ("deal", "text"), "value": ("value", "money")}, str.title)
    >>> sheet.columns, sheet.kinds, sheet.rows
    (('Deal', 'Value'), ('text', 'money'), (('O1', 12000.0),))
    """
    present = [name for name in columns if name in frame.columns]
    shown = frame[present]
    rows = tuple(tuple(_plain(v) for v in row) for row in shown.itertuples(index=False))
    return Sheet(
        title=title,
        columns=tuple(word(columns[name][0]) for name in present),
        kinds=tuple(columns[name][1] for name in present),
        rows=rows,
    )


def _plain(value: Any) -> Any:
    """A JSON-friendly cell value: dates as ISO texts, missing values as None."""
    if value is None or value is pd.NaT or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, pd.Timestamp) or hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    return value
