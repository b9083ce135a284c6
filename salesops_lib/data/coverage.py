"""How far a source's events reach: the first and last day of its dated facts.

A run for a month the data never reach would publish pages of dashes and zero alerts; the
runner asks :func:`event_span` first and refuses such a period with the span in the message.
Each table costs one ``MIN``/``MAX`` aggregate in the engine.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from salesops_lib.data.dataset import Dataset

#: tables whose dates are sales events (plans, targets and master data are not)
EVENT_COLUMNS: dict[str, tuple[str, ...]] = {
    "leads": ("created_at",),
    "opportunities": ("created_at", "closed_at"),
    "stage_history": ("entered_at",),
    "orders": ("ordered_at",),
    "payments": ("paid_at",),
    "activities": ("at",),
    "expenses": ("spent_at",),
}


@dataclass(frozen=True)
class EventSpan:
    """First and last event day over every dated fact table (None when there is none)."""

    first: dt.date | None
    last: dt.date | None

    def covers(self, start: dt.date, end: dt.date) -> bool:
        """True when some event day falls in ``start``…``end``'s reach of the data."""
        return self.first is not None and self.last is not None and start <= self.last and end >= self.first


def event_span(dataset: Dataset) -> EventSpan:
    """The first and last event day of ``dataset`` (one aggregate query per event table).

    Examples
    --------
    >>> from salesops_lib.data import connect
    >>> span = event_span(connect("examples/maven_crm", "parameters/sources/maven_crm.yaml"))  # doctest: +SKIP
    >>> span.first, span.last  # doctest: +SKIP
    (datetime.date(2016, 10, 20), datetime.date(2017, 12, 31))
    """
    firsts: list[dt.date] = []
    lasts: list[dt.date] = []
    for name, columns in EVENT_COLUMNS.items():
        if not dataset.has(name):
            continue
        table = dataset.table(name)
        present = [c for c in columns if c in table.columns]
        if not present:
            continue
        metrics = {f"{agg}_{c}": getattr(table[c], agg)() for c in present for agg in ("min", "max")}
        row = table.aggregate(**metrics).to_pandas().iloc[0]
        for key, value in row.items():
            if pd.isna(value):
                continue
            day = pd.Timestamp(value).date()
            (firsts if str(key).startswith("min_") else lasts).append(day)
    return EventSpan(min(firsts) if firsts else None, max(lasts) if lasts else None)
