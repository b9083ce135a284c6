"""Grain of a metric query, and the engine helpers that place facts in periods and org units."""

from __future__ import annotations

import datetime as dt
from typing import Literal, cast

import ibis
import ibis.expr.types as ir
import pandas as pd
from pydantic import model_validator

from salesops_lib.config import FrozenModel
from salesops_lib.data import Dataset

Period = Literal["month", "quarter", "year", "all"]
Level = Literal["company", "region", "team", "rep"]

_TRUNC = {"month": "M", "quarter": "Q", "year": "Y"}
_MONTHS = {"month": 1, "quarter": 3, "year": 12}
COMPANY = "company"
ALL_PERIODS = dt.date(1900, 1, 1)
"""Stand-in ``period`` for ``Grain(period="all")`` inside the engine (NULL keys would not join)."""


class Grain(FrozenModel):
    """Where a metric is computed: period × org level × optional dimension, within a window."""

    #: calendar period of the result rows ("all" = one row for the whole window)
    period: Period = "month"
    #: org level of the result rows
    level: Level = "company"
    #: optional extra breakdown: a column of the metric's fact table (e.g. channel, product)
    dimension: str | None = None
    #: first day included (by the metric's event date); None = from the start of the data
    start: dt.date | None = None
    #: last day included; None = to the end of the data
    end: dt.date | None = None

    @model_validator(mode="after")
    def _window(self) -> Grain:
        if self.start and self.end and self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        return self


def period_of(column: ir.DateValue, period: Period) -> ir.DateValue:
    """The first day of the period that contains ``column`` (:data:`ALL_PERIODS` for ``all``)."""
    if period == "all":
        return cast("ir.DateValue", ibis.literal(ALL_PERIODS))
    return column.truncate(_TRUNC[period])  # type: ignore[arg-type]


def next_period(start: ir.DateValue, period: Period) -> ir.DateValue:
    """The first day after the period that starts at ``start``."""
    return start + ibis.interval(months=_MONTHS[period]) if period != "all" else start


def within(column: ir.DateValue, grain: Grain) -> ir.BooleanValue:
    """True for dates inside the grain's window (and never for NULL dates)."""
    condition = column.notnull()
    if grain.start is not None:
        condition &= column >= ibis.literal(grain.start)
    if grain.end is not None:
        condition &= column <= ibis.literal(grain.end)
    return condition


def unit_via_rep(ds: Dataset, facts: ir.Table, level: Level, rep_column: str = "rep_id") -> ir.Table:
    """Add ``unit`` (the id at ``level``) to facts that carry a rep, through the reps table."""
    if level == "company":
        return facts.mutate(unit=ibis.literal(COMPANY))
    if level == "rep":
        return facts.mutate(unit=facts[rep_column])
    reps = ds.table("reps")
    # one unit per rep even if the key repeats; min() rather than distinct(keep="first"), which
    # compiles to FIRST(), an aggregate PostgreSQL lacks (and that DuckDB resolves arbitrarily)
    lookup = reps.group_by(__rep=reps.rep_id).agg(unit=reps[level].min())
    joined = facts.left_join(lookup, facts[rep_column] == lookup["__rep"])
    return joined.drop("__rep")


def unit_direct(
    facts: ir.Table, level: Level, *, region: str = "region", team: str | None = "team", rep: str | None = "rep_id"
) -> ir.Table:
    """Add ``unit`` from columns the facts carry themselves (expenses, campaigns)."""
    column = {"company": None, "region": region, "team": team, "rep": rep}[level]
    if level == "company":
        return facts.mutate(unit=ibis.literal(COMPANY))
    if column is None or column not in facts.columns:
        from salesops_lib.errors import MetricError

        raise MetricError(f"these facts carry no {level} column", fix="use a higher level (company or region)")
    return facts.mutate(unit=facts[column].cast("string"))


def calendar(grain: Grain, lo: dt.date, hi: dt.date) -> pd.DataFrame:
    """Periods (``period``, ``period_end`` exclusive, ``days``) covering ``lo``..``hi``."""
    if grain.period == "all":
        end = hi + dt.timedelta(days=1)
        return pd.DataFrame(
            {
                "period": [pd.Timestamp(ALL_PERIODS)],
                "start": [pd.Timestamp(lo)],
                "period_end": [pd.Timestamp(end)],
                "days": [(end - lo).days],
            }
        )
    freq = {"month": "MS", "quarter": "QS", "year": "YS"}[grain.period]
    first = pd.Timestamp(lo).to_period({"month": "M", "quarter": "Q", "year": "Y"}[grain.period]).start_time
    starts = pd.date_range(first, pd.Timestamp(hi), freq=freq)
    ends = starts + pd.DateOffset(months=_MONTHS[grain.period])
    frame = pd.DataFrame({"period": starts, "start": starts, "period_end": ends})
    frame["days"] = (frame["period_end"] - frame["period"]).dt.days
    return frame
