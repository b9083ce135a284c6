"""The rate a month is expected to have: its recent level times its season, and how noisy that is.

A month's expected conversion = the mean of its baseline months' rates (the *level*) × the
*seasonal factor* of its calendar month. The factor is estimated by ratio to the trailing mean:
for every earlier month, its rate ÷ the mean of *its own* baseline months; the factor of a
calendar month is the mean of those ratios in earlier years, shrunk toward 1 by how much the
calendar months really differ against the year-to-year noise of one ratio (one-way
random-effects ANOVA, empirical Bayes). With no same month a year earlier (less than 13 months
of history) there is no seasonal adjustment (factor 1, ``seasonal`` False).

The noise is measured, not assumed: each of the months before the reporting month is predicted
the same way (its own year left out of its factor) and the Pearson residuals give the
quasi-binomial dispersion the reporting month is tested with (Student-t on their count).

Every function works on month × series matrices: rows are the months of a complete monthly
index (oldest first), columns the series (the company, a unit, a unit × channel).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

MIN_SHARE = 0.5
"""Share of the baseline months that must have a rate for a month's level to exist."""
YEAR = 12


@dataclass(frozen=True)
class Season:
    """Seasonal factors per month of the index (shape T × series), with their variance.

    ``factor`` of the reporting month uses every earlier year; the other months' factors leave
    their own year out, so their residuals measure honest prediction error. ``years`` counts
    the earlier same-month ratios behind the reporting month's factor (0: no adjustment).
    """

    factor: np.ndarray
    var: np.ndarray
    years: np.ndarray


def rates(x: np.ndarray, n: np.ndarray) -> np.ndarray:
    """``x / n``, NaN where ``n`` is 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(n > 0, x / np.where(n > 0, n, 1), np.nan)


def levels(x: np.ndarray, n: np.ndarray, offsets: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Each month's level (the mean of the rates ``offsets`` months earlier) and its binomial
    variance; NaN when fewer than :data:`MIN_SHARE` of those months have a rate.

    Examples
    --------
    >>> x = np.array([[10.0], [20.0], [30.0]])
    >>> n = np.full((3, 1), 100.0)
    >>> levels(x, n, (2, 1))[0].ravel().round(2)
    array([ nan, 0.1 , 0.15])
    """
    r = rates(x, n)
    t = r.shape[0]
    stack = np.full((len(offsets), *r.shape), np.nan)
    noise = np.full((len(offsets), *r.shape), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        binomial = np.where(n > 0, r * (1 - r) / np.where(n > 0, n, 1), np.nan)
    for i, o in enumerate(offsets):
        if o < t:
            stack[i, o:] = r[: t - o]
            noise[i, o:] = binomial[: t - o]
    have = np.sum(np.isfinite(stack), axis=0)
    enough = have >= max(1, int(np.ceil(MIN_SHARE * len(offsets))))
    with np.errstate(invalid="ignore", divide="ignore"):
        level = np.where(enough, np.nansum(stack, axis=0) / np.maximum(have, 1), np.nan)
        var = np.where(enough, np.nansum(noise, axis=0) / np.maximum(have, 1) ** 2, np.nan)
    return level, var


def season(x: np.ndarray, n: np.ndarray, offsets: tuple[int, ...], *, adjust: bool = True) -> Season:
    """Seasonal factors of every month of the index for each series (the last month is the
    reporting month and never enters an estimate).

    The same calendar month's ratios to their trailing mean in the other years are averaged and
    shrunk toward 1 with weight τ² / (τ² + σ²/years), where σ² is the year-to-year variance of
    one month's ratio and τ² the variance of the true calendar-month factors (each series its
    own). ``adjust`` False (or too short a history) gives factor 1 everywhere.
    """
    t, s = x.shape
    ones = Season(np.ones((t, s)), np.zeros((t, s)), np.zeros(s, dtype=int))
    if not adjust or t <= YEAR:
        return ones
    level, _ = levels(x, n, offsets)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(level > 0, rates(x, n) / level, np.nan)
    ratio[-1] = np.nan  # the reporting month is what is tested, never its own evidence
    calendar = (np.arange(t) - (t - 1)) % YEAR  # 0 = the reporting month's calendar month
    factor, var = np.ones((t, s)), np.zeros((t, s))
    years = np.zeros(s, dtype=int)
    for j in range(s):
        sigma2, tau2 = _components(ratio[:, j], calendar)
        for i in range(t):
            same = np.flatnonzero((calendar == calendar[i]) & np.isfinite(ratio[:, j]))
            same = same[same != i]
            if same.size == 0 or not np.isfinite(sigma2):
                continue
            mean = float(np.mean(ratio[same, j]))
            noise = sigma2 / same.size
            weight = tau2 / (tau2 + noise) if tau2 + noise > 0 else 0.0
            factor[i, j] = 1 + weight * (mean - 1)
            var[i, j] = weight * noise
            if i == t - 1:
                years[j] = same.size
    return Season(factor, var, years)


def _components(ratio: np.ndarray, calendar: np.ndarray) -> tuple[float, float]:
    """σ² (within calendar month, between years) and τ² (between calendar months) of the ratios."""
    ok = np.isfinite(ratio)
    if ok.sum() < 2:
        return float("nan"), 0.0
    groups = [ratio[ok & (calendar == c)] for c in range(YEAR)]
    groups = [g for g in groups if g.size]
    within = [g for g in groups if g.size >= 2]
    if within:
        df = sum(g.size - 1 for g in within)
        sigma2 = sum(float(((g - g.mean()) ** 2).sum()) for g in within) / df
    else:  # one year of ratios: month-to-month spread bounds the noise from above
        sigma2 = float(np.var(ratio[ok], ddof=1))
    means = np.array([g.mean() for g in groups])
    sizes = np.array([g.size for g in groups], dtype=float)
    if means.size < 2:
        return sigma2, 0.0
    spread = float(np.mean((means - 1.0) ** 2))
    tau2 = max(spread - sigma2 * float(np.mean(1 / sizes)), 0.0)
    return sigma2, tau2


@dataclass(frozen=True)
class Expectation:
    """Per month × series: the expected rate, its variance, and the counts it is compared with."""

    rate: np.ndarray
    var: np.ndarray
    level: np.ndarray


def expect(x: np.ndarray, n: np.ndarray, offsets: tuple[int, ...], seasons: Season) -> Expectation:
    """Expected rate = level × seasonal factor, with the variance of both (delta method)."""
    level, level_var = levels(x, n, offsets)
    rate = np.clip(level * seasons.factor, 0.0, 1.0)
    var = seasons.factor**2 * level_var + level**2 * seasons.var
    return Expectation(rate, var, level)


def observed_minus_expected(
    x: np.ndarray, n: np.ndarray, expected: Expectation
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per month × series: observed − expected count, its null variance (binomial + the
    expectation's own uncertainty) and the expected count; NaN where nothing is expected.
    """
    e = expected.rate
    diff = x - n * e
    var = n * e * (1 - e) + n**2 * expected.var
    ok = (n > 0) & np.isfinite(e) & (var > 0)
    return np.where(ok, diff, np.nan), np.where(ok, var, np.nan), np.where(ok, n * e, np.nan)


def dispersion(diff: np.ndarray, var: np.ndarray, months: np.ndarray) -> tuple[float, int]:
    """Quasi-binomial dispersion (≥ 1) from the Pearson residuals of the ``months`` rows, pooled
    over the columns, and its degrees of freedom (0: none measured, dispersion 1).

    Examples
    --------
    >>> d = np.array([[3.0], [-3.0], [0.0]])
    >>> v = np.full((3, 1), 1.0)
    >>> dispersion(d, v, np.array([True, True, False]))
    (9.0, 2)
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        r2 = diff[months] ** 2 / var[months]
    r2 = r2[np.isfinite(r2)]
    if r2.size == 0:
        return 1.0, 0
    return max(float(r2.mean()), 1.0), int(r2.size)


def test(diff: float, var: float, phi: float, df: int) -> tuple[float, float]:
    """Z-score (observed − expected over its widened standard error) and the two-sided p-value,
    Student-t on ``df`` residual months; NaN (not tested) when no month's error could be
    measured, since then nothing says how noisy the series is.
    """
    if df <= 0 or not (np.isfinite(diff) and np.isfinite(var) and var > 0):
        return float("nan"), float("nan")
    z = diff / np.sqrt(var * phi)
    return float(z), float(2 * stats.t.sf(abs(z), df))
