"""What the forecast reads from the engine: the org tree, monthly revenue per rep and the
targets of a period. Only aggregates (rep × month, unit × level) leave the engine.

Revenue is the ``revenue`` metric's fact: orders by booking date, or won deals at their close
date for a CRM without orders (Maven). Revenue booked by a rep the reps table does not know is
kept under the pseudo rep :data:`UNASSIGNED` (team and region alike), so every level adds up to
the company's revenue.
"""

from __future__ import annotations

import datetime as dt
from typing import cast

import numpy as np
import pandas as pd

from salesops_lib.core.periods import month_start
from salesops_lib.data import Dataset
from salesops_lib.metrics.facts import first_booking, rep_roster, revenue_events

UNASSIGNED = "(unassigned)"
MAX_HISTORY_MONTHS = 60
LEVELS: tuple[str, ...] = ("company", "region", "team", "rep")


def monthly_revenue(data: Dataset, as_of: dt.date) -> pd.DataFrame:
    """Revenue per rep (rows) and month (columns, month starts) up to ``as_of``'s month.

    Months without a booking are 0; at most :data:`MAX_HISTORY_MONTHS` months, starting with
    the month of the source's first booking (of any amount: zero is a value).
    """
    events = revenue_events(data)
    first_allowed = (month_start(as_of) - pd.DateOffset(months=MAX_HISTORY_MONTHS - 1)).date()
    events = events.filter(events.at.notnull() & (events.at >= first_allowed) & (events.at <= as_of))
    per_month = events.group_by(rep_id=events.rep_id.fill_null(UNASSIGNED), month=events.at.truncate("M")).agg(
        amount=events.amount.sum().fill_null(0)
    )
    frame: pd.DataFrame = per_month.execute()
    months = pd.date_range(
        month_start(as_of) - pd.DateOffset(months=MAX_HISTORY_MONTHS - 1), month_start(as_of), freq="MS"
    )
    if frame.empty:
        return pd.DataFrame(columns=months[-1:], dtype=float)
    frame["month"] = pd.to_datetime(frame["month"])
    matrix = frame.pivot_table(index="rep_id", columns="month", values="amount", aggfunc="sum", fill_value=0.0)
    start = first_booking(data)  # a month of zero bookings after it is a zero, not missing history
    first = month_start(start) if start is not None else months[0]
    matrix = matrix.reindex(columns=months[months >= first], fill_value=0.0).astype(float)
    return matrix


def org_tree(data: Dataset, rep_ids: list[str], as_of: dt.date, *, region: str = "") -> pd.DataFrame:
    """One row per rep: ``rep_id``, ``name``, ``team``, ``region``, ``hire_date``, ``exit_date``,
    ``active`` (employed on ``as_of``), for the reps of the table plus those in ``rep_ids``.

    With ``region`` only that region's reps are kept.
    """
    reps = rep_roster(data)
    unknown = sorted(set(rep_ids) - set(reps["rep_id"]))
    if unknown:
        extra = pd.DataFrame(
            {
                "rep_id": unknown,
                "name": unknown,
                "team": UNASSIGNED,
                "region": UNASSIGNED,
                "hire_date": None,
                "exit_date": None,
            }
        )
        reps = pd.concat([reps, extra], ignore_index=True)
    if region:
        reps = reps[reps["region"] == region]
    hire = pd.to_datetime(reps["hire_date"])
    exit_ = pd.to_datetime(reps["exit_date"])
    day = pd.Timestamp(as_of)
    reps = reps.assign(
        name=reps["name"].fillna(reps["rep_id"]),
        team=reps["team"].fillna(UNASSIGNED),
        region=reps["region"].fillna(UNASSIGNED),
        hire_date=hire,
        exit_date=exit_,
        active=(hire.isna() | (hire <= day)) & (exit_.isna() | (exit_ > day)),
    )
    return reps.sort_values(["region", "team", "rep_id"]).reset_index(drop=True)


def employed_at(tree: pd.DataFrame, day: pd.Timestamp) -> np.ndarray:
    """Boolean per rep of ``tree``: employed on ``day``."""
    return (
        (tree["hire_date"].isna() | (tree["hire_date"] <= day)) & (tree["exit_date"].isna() | (tree["exit_date"] > day))
    ).to_numpy()


def monthly_targets(data: Dataset, tree: pd.DataFrame, start: dt.date, end: dt.date) -> pd.DataFrame:
    """Target per (level, unit, month) for the months ``start``..``end``: lines as given at each
    level, rolled up from the reps for a level without lines. Empty without a targets table.
    """
    columns = ["level", "unit", "month", "target"]
    if not data.has("targets"):
        return pd.DataFrame(columns=columns)
    t = data.table("targets")
    lines: pd.DataFrame = (
        t.filter((t.period >= start) & (t.period <= end))
        .group_by(["level", "unit_id", "period"])
        .agg(target=t.amount.sum())
        .execute()
    )
    lines = lines.rename(columns={"unit_id": "unit", "period": "month"})
    lines["month"] = pd.to_datetime(lines["month"]).dt.to_period("M").dt.start_time
    parts = []
    reps = lines[lines["level"] == "rep"].merge(tree[["rep_id", "team", "region"]], left_on="unit", right_on="rep_id")
    for level in LEVELS:
        given = lines[lines["level"] == level]
        if not given.empty:
            parts.append(given[columns])
        elif not reps.empty and level != "rep":
            rolled = reps.assign(unit="company") if level == "company" else reps.assign(unit=reps[level])
            parts.append(rolled.groupby(["unit", "month"], as_index=False)["target"].sum().assign(level=level)[columns])
    if not parts:
        return pd.DataFrame(columns=columns)
    summed = pd.concat(parts, ignore_index=True).groupby(["level", "unit", "month"], as_index=False)["target"].sum()
    return cast("pd.DataFrame", summed)  # as_index=False: a frame, not a Series


def window_targets(targets: pd.DataFrame, first: pd.Timestamp, last: pd.Timestamp) -> pd.Series:
    """Target per (level, unit) summed over the months ``first``..``last``."""
    inside = targets[(targets["month"] >= first) & (targets["month"] <= last)]
    return inside.groupby(["level", "unit"])["target"].sum()
