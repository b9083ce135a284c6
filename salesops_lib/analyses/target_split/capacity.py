"""Selling capacity: FTE (employed share of each month) × ramp factor from tenure.

``ramp(t) = 1 − exp(−t/τ)`` with ``t`` the tenure in months at mid-month and
``τ = ramp_months / ln 10`` (90 % productive after ``ramp_months``). A rep without a hire date
was employed before the data starts and counts as fully ramped.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from salesops_lib.core.periods import month_start

DAYS_PER_MONTH = 365.25 / 12


def month_starts(first: pd.Timestamp, count: int) -> pd.DatetimeIndex:
    """``count`` month starts from the month of ``first``."""
    return pd.date_range(month_start(first), periods=count, freq="MS")


def fte(reps: pd.DataFrame, months: pd.DatetimeIndex) -> np.ndarray:
    """Reps × months: the share of each month's days the rep is employed (hire and exit inclusive)."""
    return _employment(reps, months)[0]


def ramp(reps: pd.DataFrame, months: pd.DatetimeIndex, ramp_months: float) -> np.ndarray:
    """Reps × months: productivity factor from tenure at the middle of the employed days of the
    month (1 for reps without a hire date, 0 where not employed).
    """
    share, middle = _employment(reps, months)
    hire = _days(reps["hire_date"], "1000-01-01")
    tenure = (middle - hire[:, None]).astype(np.int64) / DAYS_PER_MONTH
    tau = max(ramp_months, 1e-9) / math.log(10)
    factor = 1 - np.exp(-np.clip(tenure, 0, None) / tau) if ramp_months > 0 else np.ones_like(tenure)
    factor = np.where(reps["hire_date"].isna().to_numpy()[:, None], 1.0, factor)
    return np.where(share > 0, factor, 0.0)


def capacity(reps: pd.DataFrame, months: pd.DatetimeIndex, ramp_months: float) -> np.ndarray:
    """Reps × months: ramped FTE-months (FTE share × ramp factor)."""
    ramped: np.ndarray = fte(reps, months) * ramp(reps, months, ramp_months)
    return ramped


def _employment(reps: pd.DataFrame, months: pd.DatetimeIndex) -> tuple[np.ndarray, np.ndarray]:
    starts = months.values.astype("datetime64[D]")
    ends = (months + pd.offsets.MonthEnd(0)).values.astype("datetime64[D]")
    first = np.maximum(starts[None, :], _days(reps["hire_date"], "1000-01-01")[:, None])
    last = np.minimum(ends[None, :], _days(reps["exit_date"], "9999-12-31")[:, None])
    employed = np.clip((last - first).astype(np.int64) + 1, 0, None)
    days = (ends - starts).astype(np.int64) + 1
    middle = first + ((last - first).astype(np.int64) // 2).astype("timedelta64[D]")
    return employed / days[None, :], middle


def _days(column: pd.Series, missing: str) -> np.ndarray:
    values = pd.to_datetime(column).to_numpy(dtype="datetime64[D]")
    return np.where(np.isnat(values), np.datetime64(missing, "D"), values)
