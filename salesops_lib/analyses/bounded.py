"""Row lists that leave the engine: bounded, worst first, with their full count.

A page shows the first rows of a deal or invoice list and its Excel download carries more; on a
source with ten million deals "every stalled deal" is a six-figure list that would cost each
kernel its memory. So a list reaches pandas as at most :data:`LIST_ROWS` rows, in the page's
order, and the engine counts the whole list.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import ibis.expr.types as ir
import pandas as pd

LIST_ROWS = 10_000
"""Rows of a list read from the engine (the Excel download's complete lists stop there)."""


@dataclass(frozen=True)
class BoundedList:
    """The first ``rows`` of a list (in its order) and ``total``, how many the list has."""

    rows: pd.DataFrame
    total: int

    @property
    def complete(self) -> bool:
        """True when :attr:`rows` is the whole list."""
        return len(self.rows) >= self.total


def first_rows(table: ir.Table, order_by: Sequence[object], limit: int = LIST_ROWS) -> BoundedList:
    """The first ``limit`` rows of ``table`` by ``order_by`` and the count of all of them (two
    engine queries; the count only when the limit is reached).
    """
    rows: pd.DataFrame = table.order_by(list(order_by)).limit(limit).execute()
    total = len(rows) if len(rows) < limit else int(table.count().execute())
    return BoundedList(rows.reset_index(drop=True), total)
