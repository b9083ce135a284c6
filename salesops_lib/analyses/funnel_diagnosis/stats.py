"""Statistics on conversion counts: intervals, tests, multiple-comparison control, shrinkage.

Every function takes counts (successes ``k`` out of ``n``) as numpy arrays or pandas series,
so the engine's aggregates go straight in.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.proportion import proportion_confint, proportions_chisquare


def rate(k: np.ndarray | pd.Series | float, n: np.ndarray | pd.Series | float) -> np.ndarray:
    """``k / n`` with NaN where ``n`` is 0."""
    k, n = np.asarray(k, dtype=float), np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(n > 0, k / np.where(n > 0, n, 1), np.nan)


def wilson(k: np.ndarray | pd.Series, n: np.ndarray | pd.Series, alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of ``k / n`` (NaN where ``n`` is 0).

    Examples
    --------
    >>> lo, hi = wilson(np.array([50]), np.array([100]))
    >>> round(float(lo[0]), 3), round(float(hi[0]), 3)
    (0.404, 0.596)
    """
    k, n = np.asarray(k, dtype=float), np.asarray(n, dtype=float)
    safe = np.where(n > 0, n, 1)
    lo, hi = proportion_confint(np.minimum(k, safe), safe, alpha=alpha, method="wilson")
    return np.where(n > 0, lo, np.nan), np.where(n > 0, hi, np.nan)


def two_proportion(
    k1: np.ndarray | pd.Series,
    n1: np.ndarray | pd.Series,
    k2: np.ndarray | pd.Series,
    n2: np.ndarray | pd.Series,
    *,
    dispersion: float = 1.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Pooled two-proportion z-test of ``k1/n1`` against ``k2/n2``: z and two-sided p.

    The same statistic as ``statsmodels.stats.proportion.proportions_ztest``, vectorised;
    ``dispersion`` (≥ 1) widens it for counts that vary more than binomially (quasi-binomial).
    NaN where either group is empty or the pooled rate is 0 or 1.
    """
    k1, n1, k2, n2 = (np.asarray(x, dtype=float) for x in (k1, n1, k2, n2))
    pooled = rate(k1 + k2, n1 + n2)
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2) * max(dispersion, 1.0))
        z = (rate(k1, n1) - rate(k2, n2)) / se
    z = np.where(np.isfinite(z), z, np.nan)
    return z, np.where(np.isnan(z), np.nan, 2 * stats.norm.sf(np.abs(z)))


def holm(p: np.ndarray | pd.Series) -> np.ndarray:
    """Holm-adjusted p-values (NaN stays NaN and does not count as a test).

    The same numbers as ``statsmodels.stats.multitest.multipletests(p, method="holm")[1]``
    (a test checks it); computed here because statsmodels runs a full garbage collection on
    every Holm call, ~0.1 s each beside a large heap, and a diagnosis makes dozens.

    Examples
    --------
    >>> holm(np.array([0.01, 0.04, np.nan, 0.03])).round(2)
    array([0.03, 0.06,  nan, 0.06])
    """
    p = np.asarray(p, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = np.flatnonzero(~np.isnan(p))
    if ok.size:
        order = ok[np.argsort(p[ok], kind="stable")]
        scaled = p[order] * np.arange(ok.size, 0, -1)
        out[order] = np.minimum(np.maximum.accumulate(scaled), 1.0)
    return out


def chi_square(k: np.ndarray | pd.Series, n: np.ndarray | pd.Series) -> float:
    """p-value of the chi-square test that every group converts at the same rate (NaN if < 2 groups)."""
    k, n = np.asarray(k, dtype=float), np.asarray(n, dtype=float)
    keep = n > 0
    if keep.sum() < 2 or k[keep].sum() in (0, n[keep].sum()):
        return float("nan")
    return float(proportions_chisquare(k[keep], n[keep])[1])


def shrink(k: np.ndarray | pd.Series, n: np.ndarray | pd.Series) -> np.ndarray:
    """Empirical-Bayes rates: each ``k / n`` pulled toward the pooled rate by a beta prior
    fitted to the groups by the method of moments, so a small group cannot look extreme.

    Examples
    --------
    >>> shrink(np.array([1, 500]), np.array([1, 1000])).round(2)  # one lucky deal is not 100 %
    array([0.5, 0.5])
    """
    k, n = np.asarray(k, dtype=float), np.asarray(n, dtype=float)
    keep = n > 0
    if not keep.any():
        return np.full(k.shape, np.nan)
    mean = k[keep].sum() / n[keep].sum()
    raw = k[keep] / n[keep]
    spread = np.average((raw - mean) ** 2, weights=n[keep])
    noise = mean * (1 - mean) * np.mean(1 / n[keep])
    between = spread - noise
    strength = 1e9 if mean in (0.0, 1.0) or between <= 0 else max(mean * (1 - mean) / between - 1, 0.0)
    return np.where(keep, (k + strength * mean) / (n + strength), np.nan)


def normal_interval(estimate: float, se: float, alpha: float = 0.05) -> tuple[float, float, float]:
    """Lower and upper bound of a normal-theory interval, and the two-sided p-value of 0."""
    if not np.isfinite(se) or se <= 0:
        return float("nan"), float("nan"), float("nan")
    q = stats.norm.ppf(1 - alpha / 2)
    return estimate - q * se, estimate + q * se, float(2 * stats.norm.sf(abs(estimate / se)))
