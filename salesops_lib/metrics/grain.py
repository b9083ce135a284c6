"""Grain of a metric query, and the engine helpers that place facts in periods and org units.

Periods are named by their first day: a month by its 1st, a quarter by its first month's 1st, a year
by 1 January and a week by its Monday (ISO weeks: Monday to Sunday, a week that spans New Year's day
belongs to the year of its Monday's ISO week; :func:`salesops_lib.core.periods.week_label` writes it as
``2026-W05``). DuckDB and PostgreSQL both truncate a date to the ISO Monday (``DATE_TRUNC('week', …)``).
"""

from __future__ import annotations

import datetime as dt
from typing import Literal, cast

import ibis
import ibis.expr.types as ir
import pandas as pd
from pydantic import model_validator

from salesops_lib.config import FrozenModel
from salesops_lib.data import Dataset

Period = Literal["week", "month", "quarter", "year", "all"]
Level = Literal["company", "region", "team", "rep"]

_TRUNC = {"week": "W", "month": "M", "quarter": "Q", "year": "Y"}
_MONTHS = {"month": 1, "quarter": 3, "year": 12}
_PANDAS = {"week": ("W-MON", "W-SUN"), "month": ("MS", "M"), "quarter": ("QS", "Q"), "year": ("YS", "Y")}
"""pandas frequency of the period starts and pandas period alias, per period grain"""
COMPANY = "company"
ALL_PERIODS = dt.date(1900, 1, 1)
"""Stand-in ``period`` for ``Grain(period="all")`` inside the engine (NULL keys would not join)."""


class Grain(FrozenModel):
    """Where a metric is computed: period × org level × optional dimension, within a window."""

    #: calendar period of the result rows ("week" = ISO week from Monday; "all" = one row for the window)
    period: Period = "month"
    #: org level of the result rows
    level: Level = "company"
    #: optional extra breakdown: a column of the metric's fact table (e.g. channel, product)
    dimension: str | None = None
    #: first day included (by the metric's event date); None = from the start of the data
    start: dt.date | None = None
    #: last day included; None = to the end of the data
    end: dt.date | None = None
    #: SQL condition on the fact rows (``Metric.filters`` names the columns); None = every row
    where: str | None = None

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
    if period == "all":
        return start
    return start + (ibis.interval(days=7) if period == "week" else ibis.interval(months=_MONTHS[period]))


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
    freq, alias = _PANDAS[grain.period]
    first = pd.Timestamp(lo).to_period(alias).start_time
    starts = pd.date_range(first, pd.Timestamp(hi), freq=freq)
    step = pd.DateOffset(days=7) if grain.period == "week" else pd.DateOffset(months=_MONTHS[grain.period])
    ends = starts + step
    frame = pd.DataFrame({"period": starts, "start": starts, "period_end": ends})
    frame["days"] = (frame["period_end"] - frame["period"]).dt.days
    return frame
