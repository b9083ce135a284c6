"""What the split reads from the source: the reps, their monthly bookings, market potential,
budgets and any targets already set for the plan year. Every query aggregates in the engine;
only rep × month sums and small dimension tables reach pandas.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from salesops_lib.analyses.target_split.capacity import month_starts
from salesops_lib.core.periods import add_months
from salesops_lib.data import Dataset
from salesops_lib.metrics.facts import first_booking, rep_roster, revenue_events

HISTORY_MONTHS = 36
"""Months of bookings read (ending with the as-of month): base window, seasonality, achieved growth."""


@dataclass(frozen=True)
class SplitInputs:
    """The data a split needs, as small pandas frames."""

    #: last day of the reporting month
    as_of: dt.date
    #: the history months (month starts), oldest first
    months: pd.DatetimeIndex
    #: day of the source's first booking of any amount, also before the history (months before it
    #: are missing data; from it on a month without bookings is a zero, not a gap)
    data_start: pd.Timestamp | None
    #: rep_id, name, team, region, hire_date, exit_date
    reps: pd.DataFrame
    #: rep_id × months: booked revenue (0 where none)
    revenue: pd.DataFrame
    #: region → market potential of the plan year (or the latest year before it); empty when absent
    potential: pd.Series
    #: (level, unit_id) → budget of the 12 months ending with the as-of month (all categories)
    budget: pd.Series
    #: (level, unit_id) → targets already in the source for the planned months
    existing: pd.Series


def load_inputs(data: Dataset, as_of: dt.date, plan_months: pd.DatetimeIndex) -> SplitInputs:
    """Read the inputs of a split as of ``as_of`` (the last day of the reporting month) for the
    planned months (their year's market potential, the targets already set for them).
    """
    months = month_starts(pd.Timestamp(add_months(as_of, 1 - HISTORY_MONTHS)), HISTORY_MONTHS)
    reps = rep_roster(data)
    events = revenue_events(data)
    events = events.filter((events.at >= months[0].date()) & (events.at <= as_of) & events.rep_id.notnull())
    by_month = events.group_by(rep_id=events.rep_id, month=events.at.truncate("M")).agg(amount=events.amount.sum())
    monthly = by_month.execute()
    monthly["month"] = pd.to_datetime(monthly["month"])
    revenue = (
        monthly.pivot_table(index="rep_id", columns="month", values="amount", aggfunc="sum")
        .reindex(index=reps["rep_id"], columns=months)
        .fillna(0.0)
    )
    return SplitInputs(
        as_of=as_of,
        months=months,
        data_start=first_booking(data),
        reps=reps,
        revenue=revenue,
        potential=_potential(data, int(plan_months[0].year)),
        budget=_budget(data, months[-12].date(), as_of),
        existing=_existing_targets(data, plan_months[0].date(), plan_months[-1].date()),
    )


def _potential(data: Dataset, plan_year: int) -> pd.Series:
    if not data.has("market_potential"):
        return pd.Series(dtype=float)
    mp = data.table("market_potential")
    mp = mp.filter(mp.region.notnull() & (mp.period.year() <= plan_year))
    yearly: pd.DataFrame = (
        mp.group_by(year=mp.period.year(), region=mp.region).agg(potential=mp.potential.sum()).execute()
    )
    if yearly.empty:
        return pd.Series(dtype=float)
    latest: pd.DataFrame = yearly[yearly["year"] == yearly["year"].max()]
    return latest.set_index("region")["potential"].astype(float)


def _budget(data: Dataset, start: dt.date, end: dt.date) -> pd.Series:
    if not data.has("budgets"):
        return pd.Series(dtype=float)
    b = data.table("budgets")
    b = b.filter((b.period >= start) & (b.period <= end))
    sums: pd.DataFrame = b.group_by("level", "unit_id").agg(amount=b.amount.sum()).execute()
    return sums.set_index(["level", "unit_id"])["amount"].astype(float)


def _existing_targets(data: Dataset, first: dt.date, last: dt.date) -> pd.Series:
    if not data.has("targets"):
        return pd.Series(dtype=float)
    t = data.table("targets")
    t = t.filter((t.period >= first) & (t.period <= last))
    sums: pd.DataFrame = t.group_by("level", "unit_id").agg(amount=t.amount.sum()).execute()
    return sums.set_index(["level", "unit_id"])["amount"].astype(float)
