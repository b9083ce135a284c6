"""Pacing against the seasonal plan, and the run-rate projection to the period end.

The expectation to date is seasonal, not a straight line: the monthly targets already carry the
plan's seasonality, and within a month each day's share follows the company's weekday profile
(Monday-heavy, little at weekends) from the last half year of bookings. Pace = actual ÷ expected
to date; the projection to the period end is the seasonal run rate, pace × the period's target
(equivalently: actual to date + the rest of the plan at the pace so far).

How far off pace chance alone goes: each unit's month-to-month spread of log attainment (actual ÷
target) over up to :data:`SPREAD_MONTHS` complete months before this one (at least
:data:`MIN_SPREAD_MONTHS`), not shrunk with the months the horizon has run: a unit's shortfalls
persist from month to month (staffing, a plan set too high), so its months are not independent
draws. ``p_value`` is the chance of a pace this low if the unit were on target.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from scipy import stats

from salesops_lib.analyses.target_tracking.calendar import quarter_bounds

HORIZONS = ("month", "quarter", "year")
SPREAD_MONTHS = 24
MIN_SPREAD_MONTHS = 6


def monthly_spread(
    monthly_target: np.ndarray, monthly_actual: np.ndarray, months: pd.DatetimeIndex, as_of: dt.date
) -> np.ndarray:
    """Per unit: the standard deviation of log attainment over the complete months before
    ``as_of``'s month (the last :data:`SPREAD_MONTHS`; NaN with fewer than :data:`MIN_SPREAD_MONTHS`).
    """
    done = np.flatnonzero(pd.Index(months) < pd.Timestamp(as_of.replace(day=1)))[-SPREAD_MONTHS:]
    target, actual = monthly_target[:, done], monthly_actual[:, done]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(target > 0, np.log(np.maximum(actual / np.where(target > 0, target, 1), 0.05)), np.nan)
    counts = np.isfinite(ratio).sum(axis=1)
    spread = np.full(ratio.shape[0], np.nan)
    ok = counts >= MIN_SPREAD_MONTHS
    if ok.any():
        spread[ok] = np.nanstd(ratio[ok], axis=1, ddof=1)
    return spread


def expected_by_day(
    monthly: np.ndarray, months: pd.DatetimeIndex, days: pd.DatetimeIndex, profile: pd.Series
) -> np.ndarray:
    """Units × days: each day's expected share of its month's target, by the weekday profile."""
    weights = profile.reindex(range(7)).fillna(0.0).to_numpy()[days.day_of_week]
    if weights.sum() <= 0:
        weights = np.ones(days.size)
    month_of_day = days.to_period("M").start_time
    totals = pd.Series(weights).groupby(month_of_day).transform("sum").to_numpy()
    full_month = pd.Series(1, index=days).groupby(month_of_day).transform("size").to_numpy() == days.days_in_month
    share = np.divide(weights, totals, out=np.zeros_like(weights), where=totals > 0)
    position = pd.Index(months).get_indexer(month_of_day)
    ok = (position >= 0) & full_month
    out = np.zeros((monthly.shape[0], days.size))
    out[:, ok] = monthly[:, position[ok]] * share[ok][None, :]
    return out


def horizon_bounds(as_of: dt.date) -> dict[str, tuple[dt.date, dt.date]]:
    """First and last day of the month, quarter and year that contain ``as_of``."""
    month_end = (pd.Timestamp(as_of) + pd.offsets.MonthEnd(0)).date()
    return {
        "month": (as_of.replace(day=1), month_end),
        "quarter": quarter_bounds(as_of),
        "year": (dt.date(as_of.year, 1, 1), dt.date(as_of.year, 12, 31)),
    }


def pace_table(
    ids: pd.Index,
    monthly_target: np.ndarray,
    months: pd.DatetimeIndex,
    monthly_actual: np.ndarray,
    expected: np.ndarray,
    days: pd.DatetimeIndex,
    as_of: dt.date,
) -> pd.DataFrame:
    """One row per unit × horizon: target, expected and straight-line expectation to date, actual,
    attainment to date, projection and projected attainment at the horizon's end, gap.
    """
    rows = []
    month_ts = pd.Index(months)
    spread = monthly_spread(monthly_target, monthly_actual, months, as_of)
    for horizon, (first, last) in horizon_bounds(as_of).items():
        in_months = (month_ts >= pd.Timestamp(first)) & (month_ts <= pd.Timestamp(last))
        to_date_months = in_months & (month_ts <= pd.Timestamp(as_of))
        in_days = (days >= pd.Timestamp(first)) & (days <= pd.Timestamp(as_of))
        target = monthly_target[:, in_months].sum(axis=1)
        expected_to_date = expected[:, in_days].sum(axis=1)
        elapsed = (as_of - first).days + 1
        total_days = (last - first).days + 1
        actual = monthly_actual[:, to_date_months].sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            pace = np.where(expected_to_date > 0, actual / expected_to_date, np.nan)
            projection = np.where(expected_to_date > 0, pace * target, np.nan)
            projected = np.where(target > 0, projection / target, np.nan)
            z = np.log(np.where(pace > 0, pace, np.nan)) / spread
        p_value = np.where(np.isfinite(z), stats.norm.cdf(z), np.where(pace == 0, 0.0, np.nan))
        rows.append(
            pd.DataFrame(
                {
                    "unit_id": ids,
                    "horizon": horizon,
                    "start": pd.Timestamp(first),
                    "end": pd.Timestamp(last),
                    "elapsed": elapsed / total_days,
                    "target": target,
                    "expected": expected_to_date,
                    "linear": target * elapsed / total_days,
                    "actual": actual,
                    "attainment": pace,
                    "projection": projection,
                    "projected_attainment": projected,
                    "gap": target - projection,
                    "spread": spread,
                    "p_value": p_value,
                }
            )
        )
    return pd.concat(rows, ignore_index=True)
