"""Calendar of tracking: complete ISO weeks, months, quarters, and targets spread over days.

The documented weekly target (``docs/demo_data.md``): a unit's target for an ISO week (Monday to
Sunday) is the sum over the week's seven days of its monthly target ÷ the days in that month, so
a week that straddles two months takes a share of each.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from salesops_lib.core.periods import month_start


def last_complete_week_end(as_of: dt.date) -> dt.date:
    """The last Sunday on or before ``as_of`` (the end of the last complete ISO week)."""
    return as_of - dt.timedelta(days=(as_of.weekday() + 1) % 7)


def complete_weeks(as_of: dt.date, count: int) -> pd.DatetimeIndex:
    """Mondays of the ``count`` last complete ISO weeks ending on or before ``as_of``, oldest first."""
    last_monday = last_complete_week_end(as_of) - dt.timedelta(days=6)
    return pd.date_range(end=pd.Timestamp(last_monday), periods=count, freq="7D")


def month_index(first: dt.date, last: dt.date) -> pd.DatetimeIndex:
    """Month starts from the month of ``first`` to the month of ``last``."""
    return pd.date_range(month_start(first), pd.Timestamp(last), freq="MS")


def quarter_bounds(day: dt.date) -> tuple[dt.date, dt.date]:
    """First and last day of the calendar quarter that contains ``day``."""
    first = dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    last = (pd.Timestamp(first) + pd.offsets.QuarterEnd(0)).date()
    return first, last


def daily_targets(monthly: np.ndarray, months: pd.DatetimeIndex, days: pd.DatetimeIndex) -> np.ndarray:
    """Units × days: each day's share of its month's target (monthly target ÷ days in the month).

    ``monthly`` is units × ``months``; days outside ``months`` get 0.
    """
    position = pd.Index(months).get_indexer(days.to_period("M").start_time)
    inside = position >= 0
    out = np.zeros((monthly.shape[0], days.size))
    out[:, inside] = monthly[:, position[inside]] / days[inside].days_in_month.to_numpy()[None, :]
    return out


def employed_all_days(reps: pd.DataFrame, starts: pd.DatetimeIndex, length_days: np.ndarray) -> np.ndarray:
    """Reps × periods: True when the rep is employed on every day of the period (hire and exit inclusive)."""
    first = starts.values.astype("datetime64[D]")
    last = first + (np.asarray(length_days) - 1).astype("timedelta64[D]")
    hire = pd.to_datetime(reps["hire_date"]).to_numpy(dtype="datetime64[D]")
    exit_ = pd.to_datetime(reps["exit_date"]).to_numpy(dtype="datetime64[D]")
    hired = np.isnat(hire)[:, None] | (hire[:, None] <= first[None, :])
    stays = np.isnat(exit_)[:, None] | (exit_[:, None] >= last[None, :])
    employed: np.ndarray = hired & stays  # boolean arrays
    return employed
