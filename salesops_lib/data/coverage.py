"""How far a source's events reach: the first and last day of its dated facts, over all of them
(:func:`event_span`) or one table with its rhythm (:func:`table_reach`).

A run for a month the data never reach would publish pages of dashes and zero alerts; the
runner asks :func:`event_span` first and refuses such a period with the span in the message.
Each table costs one ``MIN``/``MAX`` aggregate in the engine.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import ibis
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


#: days of events before the last one that tell how often a table has events (its rhythm)
RHYTHM_DAYS = 90


@dataclass(frozen=True)
class TableReach:
    """How far one dated table reaches: its first and last event day, and how many days may
    pass between events before a gap at the end means the extract stopped early.
    """

    table: str
    first: dt.date
    last: dt.date
    #: days without events that are normal for this table (twice its usual spacing, at least 3)
    slack_days: int

    def reaches(self, end: dt.date) -> bool:
        """True when the table's events reach ``end`` (within its usual spacing)."""
        return (end - self.last).days <= self.slack_days


def table_reach(dataset: Dataset, name: str, *, until: dt.date | None = None) -> TableReach | None:
    """The reach of event table ``name`` up to ``until`` (None when it has no dated event).

    Examples
    --------
    >>> from salesops_lib.data import connect
    >>> table_reach(
    ...     connect("examples/maven_crm", "parameters/sources/maven_crm.yaml"), "opportunities"
    ... )  # doctest: +SKIP
    TableReach(table='opportunities', first=datetime.date(2016, 10, 20), last=datetime.date(2017, 12, 31), slack_days=3)
    """
    if not dataset.has(name) or name not in EVENT_COLUMNS:
        return None
    table = dataset.table(name)
    columns = [c for c in EVENT_COLUMNS[name] if c in table.columns]
    if not columns:
        return None
    days = [table[c].cast("date") for c in columns]
    stacked = ibis.union(*[table.select(day=d) for d in days]) if len(days) > 1 else table.select(day=days[0])
    stacked = stacked.filter(stacked.day.notnull())
    if until is not None:
        stacked = stacked.filter(stacked.day <= ibis.literal(until))
    bounds = stacked.aggregate(first=stacked.day.min(), last=stacked.day.max()).to_pandas().iloc[0]
    if pd.isna(bounds["last"]):
        return None
    first, last = pd.Timestamp(bounds["first"]).date(), pd.Timestamp(bounds["last"]).date()
    recent = stacked.filter(stacked.day > ibis.literal(last - dt.timedelta(days=RHYTHM_DAYS)))
    active = int(recent.day.nunique().to_pandas())
    spacing = RHYTHM_DAYS / max(active, 1)
    return TableReach(name, first, last, max(3, math.ceil(2 * spacing)))
