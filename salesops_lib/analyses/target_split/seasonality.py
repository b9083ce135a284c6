"""Monthly seasonality of every unit, from its own history, shrunk towards its parent's.

A unit's index for a calendar month is its mean productivity (revenue ÷ ramped FTE-months) in
that month of the year, after removing the company's trend, relative to its average month.

How far a unit trusts its own index is empirical Bayes: the noise is how much the same calendar
month differs from year to year (pooled within-month variance σ²), the signal is how much its
months differ from its parent's beyond that noise (τ²); the own index of a month seen ``n``
times gets the weight ``τ² / (τ² + σ²/n)``. A unit whose pattern repeats exactly keeps it; a
noisy rep leans on its team. Without repeated months (less than two years of history) the
weight is ``n / (n + k)`` with ``n`` its months and ``k`` = :data:`PRIOR_MONTHS`; new units take
the parent's index. The company has no parent (a month without data gets the average, i.e. flat).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

PRIOR_MONTHS = 24.0
"""Weight of the parent's index, in months, when a unit has no repeated calendar month."""
MIN_CAPACITY = 0.5
"""Months where a unit has less ramped capacity (FTE-months) than this are too thin to read."""


@dataclass(frozen=True)
class OwnIndex:
    """Units × 12 own index with what the shrinkage needs."""

    #: own index (NaN for calendar months without usable data; mean 1 over the others)
    index: np.ndarray
    #: usable observations of each calendar month (units × 12)
    counts: np.ndarray
    #: pooled variance of the index within a calendar month, across years (NaN without repeats)
    noise: np.ndarray


def company_trend(revenue: np.ndarray, capacity: np.ndarray, months: pd.DatetimeIndex, valid: np.ndarray) -> float:
    """Monthly log-growth of the company's productivity: OLS of log(revenue ÷ capacity) on time with
    calendar-month dummies (0 with fewer than 24 usable months).
    """
    use = valid & (capacity >= MIN_CAPACITY) & (revenue > 0)
    if use.sum() < 24:
        return 0.0
    t = np.arange(months.size, dtype=float)[use]
    dummies = (months.month.to_numpy()[use][:, None] == np.arange(1, 13)[None, :]).astype(float)
    design = np.column_stack([t, dummies[:, dummies.any(axis=0)]])
    coef, *_ = np.linalg.lstsq(design, np.log(revenue[use] / capacity[use]), rcond=None)
    return float(coef[0])


def own_index(
    revenue: np.ndarray, capacity: np.ndarray, months: pd.DatetimeIndex, valid: np.ndarray, trend: float
) -> OwnIndex:
    """Every unit's own seasonal index from its detrended productivity."""
    use = valid[None, :] & (capacity >= MIN_CAPACITY)
    detrend = np.exp(-trend * np.arange(months.size))[None, :]
    rate = np.where(use, np.divide(revenue, capacity, out=np.zeros_like(revenue), where=capacity > 0) * detrend, np.nan)
    overall = np.nansum(rate, axis=1, keepdims=True) / np.maximum(np.isfinite(rate).sum(axis=1, keepdims=True), 1)
    relative = np.divide(rate, overall, out=np.full_like(rate, np.nan), where=overall > 0)
    moy = months.month.to_numpy()
    index = np.full((revenue.shape[0], 12), np.nan)
    counts = np.zeros((revenue.shape[0], 12))
    squares = np.zeros(revenue.shape[0])
    dof = np.zeros(revenue.shape[0])
    for m in range(1, 13):
        block = relative[:, moy == m]
        count = np.isfinite(block).sum(axis=1)
        mean = np.where(count > 0, np.nansum(block, axis=1) / np.maximum(count, 1), np.nan)
        index[:, m - 1], counts[:, m - 1] = mean, count
        squares += np.nansum((block - mean[:, None]) ** 2, axis=1)
        dof += np.maximum(count - 1, 0)
    available = np.isfinite(index).sum(axis=1, keepdims=True)
    level = np.nansum(index, axis=1, keepdims=True) / np.maximum(available, 1)
    index = np.where((available > 0) & (level > 0), index / np.where(level > 0, level, 1.0), np.nan)
    noise = np.where(dof > 0, squares / np.maximum(dof, 1), np.nan) / np.where(level[:, 0] > 0, level[:, 0], 1.0) ** 2
    return OwnIndex(index=index, counts=counts, noise=noise)


def shrink(own: OwnIndex, row: int, parent: np.ndarray) -> np.ndarray:
    """Unit ``row``'s index shrunk towards ``parent`` (empirical Bayes, see the module), mean 1."""
    index, counts, noise = own.index[row], own.counts[row], own.noise[row]
    seen = np.isfinite(index)
    if not seen.any():
        flat: np.ndarray = parent / parent.mean()
        return flat
    if np.isfinite(noise):
        spread = float(np.mean((index[seen] - parent[seen]) ** 2))
        signal = max(0.0, spread - noise * float(np.mean(1.0 / counts[seen])))
        weight = np.where(seen, signal / np.maximum(signal + noise / np.maximum(counts, 1), 1e-18), 0.0)
        if signal == 0.0 and noise == 0.0:  # the own pattern repeats exactly and equals the parent's
            weight = seen.astype(float)
    else:
        months_used = counts.sum()
        weight = np.where(seen, months_used / (months_used + PRIOR_MONTHS), 0.0)
    mixed = np.where(seen, weight * np.nan_to_num(index) + (1 - weight) * parent, parent)
    shrunk: np.ndarray = mixed / mixed.mean()
    return shrunk


def company_index(own: OwnIndex) -> np.ndarray:
    """The company's index: its own, with calendar months lacking data at the average (1)."""
    filled = np.where(np.isfinite(own.index[0]), own.index[0], 1.0)
    company: np.ndarray = filled / filled.mean()
    return company
