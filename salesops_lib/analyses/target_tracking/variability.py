"""Each unit's own week-to-week variability, and how unusual its latest run is under it.

A unit's *typical level* is the median of its attainment over the ``history`` evaluated periods
before the run window, its *spread* 1.4826 × the median absolute deviation (the standard
deviation of normal data, robust to a few big weeks). Both are shrunk towards the level's pooled
values (median over units with history) with weight ``n / (n + PRIOR_PERIODS)``, so a rep with
few weeks borrows the team's variability and a new rep takes it whole.

A period's *standardised shortfall* is ``z = (attainment − typical) / spread``. The statistic of a
run of ``k`` periods is its highest ``z`` (every period of the run is at least this far below
normal); its p-value is the share of all earlier ``k``-period windows of all units, each judged
out of sample like the run (its unit's noise from the periods before it), whose highest ``z`` is
as low or lower — a backtest null that keeps the heavy tails, the week-to-week correlation and the
drift of real bookings (with fewer than :data:`MIN_WINDOWS` windows, independent normal weeks,
``Φ(z)^k``). Past windows standardised in sample understate those tails: on the noisier demo
that raised medium alerts on a third of null worlds.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy.stats import norm

PRIOR_PERIODS = 8.0
"""Periods of history the pooled level and spread weigh as (the shrinkage's prior strength)."""

MAD_TO_SD = 1.4826
"""Median absolute deviation × this = the standard deviation, for normal data."""

MIN_SPREAD = 1e-3
"""Floor of a spread (0.1 point of attainment): a unit that never varies still gets a finite z."""

DEFAULT_SPREAD = 0.5
"""Spread of a level without any history (half the target a period): nobody to borrow from."""

MIN_WINDOWS = 50
"""Historical windows below which the p-value falls back to independent normal periods."""


@dataclass(frozen=True)
class OwnNoise:
    """Per unit: typical attainment, week-to-week spread, evaluated history periods."""

    typical: np.ndarray
    spread: np.ndarray
    periods: np.ndarray


def own_noise(history: np.ndarray) -> OwnNoise:
    """Units × history periods of attainment (NaN = not evaluated) → each unit's shrunk level and spread.

    Examples
    --------
    >>> noise = own_noise(np.array([[1.0, 0.8, 1.2, 1.0] * 5, [np.nan] * 20]))
    >>> noise.typical.round(2).tolist(), noise.periods.tolist()
    ([1.0, 1.0], [20, 0])
    """
    history = np.asarray(history, dtype=float)
    n = np.isfinite(history).sum(axis=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows: a unit without history
        median = np.nanmedian(history, axis=1)
        spread = MAD_TO_SD * np.nanmedian(np.abs(history - median[:, None]), axis=1)
    known = n >= PRIOR_PERIODS
    pool = known if known.any() else n > 0
    pooled_level = float(np.median(median[pool])) if pool.any() else 1.0
    pooled_spread = float(np.median(spread[pool])) if pool.any() else DEFAULT_SPREAD
    weight = n / (n + PRIOR_PERIODS)
    typical = np.where(n > 0, weight * np.nan_to_num(median) + (1 - weight) * pooled_level, pooled_level)
    variance = np.where(n > 0, weight * np.nan_to_num(spread) ** 2 + (1 - weight) * pooled_spread**2, pooled_spread**2)
    return OwnNoise(typical=typical, spread=np.maximum(np.sqrt(variance), MIN_SPREAD), periods=n)


def standardised(attainment: np.ndarray, noise: OwnNoise) -> np.ndarray:
    """Units × periods: ``(attainment − typical) / spread`` (NaN where attainment is NaN)."""
    z: np.ndarray = (np.asarray(attainment, dtype=float) - noise.typical[:, None]) / noise.spread[:, None]
    return z


def run_p_values(run_max: np.ndarray, null_maxima: np.ndarray, k: int) -> np.ndarray:
    """P(a run of ``k`` periods at least as low as observed | own variability), per unit (NaN stays NaN).

    Empirical over ``null_maxima`` (with the +1 of a permutation p-value) when there are at least
    :data:`MIN_WINDOWS` of them, else ``Φ(run_max)^k``.

    Examples
    --------
    >>> run_p_values(np.array([-1.0, np.nan]), np.empty(0), 3).round(4).tolist()[0]
    0.004
    """
    run_max = np.asarray(run_max, dtype=float)
    out = np.full(run_max.shape, np.nan)
    ok = np.isfinite(run_max)
    if null_maxima.size >= MIN_WINDOWS:
        ordered = np.sort(null_maxima)
        below = np.searchsorted(ordered, run_max[ok], side="right")
        out[ok] = (1 + below) / (1 + ordered.size)
    else:
        out[ok] = norm.cdf(run_max[ok]) ** k
    return out


@dataclass(frozen=True)
class Judged:
    """The rule's view of every unit: its own noise, each period's z, which periods are outside the
    normal range, and the p-value of the last ``k`` periods.
    """

    noise: OwnNoise
    z: np.ndarray
    outside: np.ndarray
    p_run: np.ndarray


def judge(attainment: np.ndarray, k: int, history: int, spreads: float) -> Judged:
    """Units × periods of attainment (NaN = not evaluated), oldest first → the own-variability view.

    The noise comes from the ``history`` periods before the last ``k`` (the run never sets its own
    baseline); a period is *outside* when its ``z`` is below ``−spreads``. The null of the run's
    p-value is a backtest: every earlier ``k``-period window of every unit with at least
    :data:`PRIOR_PERIODS` periods before it, standardised by the noise of the ``history`` periods
    before *that* window — exactly how the current run is judged (periods before the current
    history, when given, only feed this backtest).
    """
    attainment = np.asarray(attainment, dtype=float)
    size = attainment.shape[1]
    noise = own_noise(attainment[:, max(0, size - k - history) : max(size - k, 0)])
    z = standardised(attainment, noise)
    outside = np.nan_to_num(z, nan=np.inf) < -spreads
    run_max = z[:, -k:].max(axis=1) if size >= k else np.full(attainment.shape[0], np.nan)
    null = backtest_maxima(attainment[:, : max(size - k, 0)], k, history)
    return Judged(noise=noise, z=z, outside=outside, p_run=run_p_values(run_max, null, k))


def backtest_maxima(attainment: np.ndarray, k: int, history: int) -> np.ndarray:
    """The highest ``z`` of every past ``k``-period window, each judged out of sample by the noise of
    the ``history`` periods before it (units with fewer than :data:`PRIOR_PERIODS` of them skipped).
    """
    first = k + int(PRIOR_PERIODS)
    out = [np.empty(0)]
    for end in range(first, attainment.shape[1] + 1):
        noise = own_noise(attainment[:, max(0, end - k - history) : end - k])
        window = standardised(attainment[:, end - k : end], noise).max(axis=1)
        out.append(window[np.isfinite(window) & (noise.periods >= PRIOR_PERIODS)])
    return np.concatenate(out)
