"""Prediction intervals that are calibrated: model-based bands, their empirical coverage in a
backtest, and the correction applied when the coverage is off.

Bands are log-normal around the point forecast: ``F · exp(± q · c · σ_h)`` with ``q`` the normal
quantile of the level, ``σ_h`` the relative error sd at step ``h`` and ``c`` the calibration
factor. ``σ_h`` starts from the in-sample one-step residuals and grows as for exponential
smoothing, ``σ · sqrt(1 + (h − 1) α²)``. :func:`calibrate` measures how often backtest actuals
fell inside the bands; when the coverage misses the nominal level by more than the tolerance it
sets ``c`` to the ratio of the empirical to the nominal quantile of the standardised errors and
reports the coverage of the corrected bands by leave-one-origin-out (so the check is honest).
A band's own correction needs enough errors to see its tail (5 expected outside it: 25 errors
for 80 %, 100 for 95 %); with fewer, it takes the factor of the narrower band.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.stats import norm
from scipy.stats import t as student_t

LEVELS: tuple[float, ...] = (0.8, 0.95)
MIN_ERRORS = 8
"""Fewer standardised backtest errors than this leave the bands uncorrected."""
MIN_EXCEEDANCES = 5
FACTOR_BOUNDS = (0.5, 5.0)


def quantile_of(level: float) -> float:
    """Two-sided normal quantile: 1.2816 for 80 %, 1.96 for 95 %."""
    return float(norm.ppf(0.5 + level / 2))


def horizon_sd(residual_sd: float, alpha: float, steps: int) -> np.ndarray:
    """Relative error sd at steps 1..``steps`` (exponential-smoothing growth)."""
    h = np.arange(1, steps + 1)
    sd: np.ndarray = residual_sd * np.sqrt(1 + (h - 1) * alpha**2)
    return sd


@dataclass(frozen=True)
class Calibration:
    """Coverage of one band level in a backtest, before and after the correction."""

    level: float
    #: share of backtest actuals inside the model-based band
    coverage_raw: float
    #: multiplier of the band's half-width (1 = no correction)
    factor: float
    #: coverage of the corrected band, leave-one-origin-out
    coverage_calibrated: float
    #: standardised errors the check rests on
    errors: int

    @property
    def corrected(self) -> bool:
        """Whether the band's half-width is corrected (a factor other than 1)."""
        return self.factor != 1.0


def enough_errors(count: int, level: float) -> bool:
    """A band's tail can be checked once at least :data:`MIN_EXCEEDANCES` errors are expected
    outside it (and never with fewer than :data:`MIN_ERRORS`): 25 for 80 %, 100 for 95 %.
    """
    return count >= max(MIN_ERRORS, int(np.ceil(MIN_EXCEEDANCES / (1 - level) - 1e-9)))


def _factor(z: np.ndarray, level: float, tolerance: float) -> float:
    z = np.abs(z[np.isfinite(z)])
    if not enough_errors(len(z), level):
        return 1.0
    q = quantile_of(level)
    if abs(float(np.mean(z <= q)) - level) <= tolerance:
        return 1.0
    return float(np.clip(np.quantile(z, level) / q, *FACTOR_BOUNDS))


def calibrate(z: np.ndarray, levels: Sequence[float] = LEVELS, *, tolerance: float = 0.05) -> dict[float, Calibration]:
    """Check and correct bands from standardised backtest errors ``z`` (origins × steps).

    ``z = log(actual / forecast) / σ_h``; NaN cells (no actual yet) are ignored.

    Examples
    --------
    >>> z = np.random.default_rng(0).normal(0, 2, (10, 3))  # errors twice the model's sd (30)
    >>> cal = calibrate(z)[0.8]
    >>> cal.coverage_raw < 0.7, 1.3 < cal.factor < 2.5
    (True, True)
    """
    z = np.atleast_2d(np.asarray(z, dtype=float))
    out: dict[float, Calibration] = {}
    borrowed = 1.0
    for level in sorted(levels):
        q = quantile_of(level)
        seen = np.isfinite(z)
        raw = float(np.mean(np.abs(z[seen]) <= q)) if seen.any() else np.nan
        own = enough_errors(int(seen.sum()), level)
        factor = _factor(z, level, tolerance) if own else borrowed
        if own:
            borrowed = factor
        inside, total = 0, 0
        for i in range(z.shape[0]):
            row = z[i][np.isfinite(z[i])]
            if not len(row):
                continue
            others = np.delete(z, i, axis=0)
            f = (_factor(others, level, tolerance) if own else factor) if factor != 1.0 else 1.0
            inside += int(np.sum(np.abs(row) <= q * f))
            total += len(row)
        calibrated = inside / total if total else np.nan
        out[level] = Calibration(
            level=level, coverage_raw=raw, factor=factor, coverage_calibrated=calibrated, errors=int(seen.sum())
        )
    return out


def bands(
    mean: np.ndarray,
    sd: np.ndarray,
    calibration: dict[float, Calibration] | None = None,
    levels: Sequence[float] = LEVELS,
) -> dict[float, tuple[np.ndarray, np.ndarray]]:
    """Lower and upper bounds of each level around ``mean`` (log-normal, calibrated)."""
    out = {}
    for level in levels:
        factor = calibration[level].factor if calibration and level in calibration else 1.0
        width = quantile_of(level) * factor * np.asarray(sd)
        out[level] = (np.asarray(mean) * np.exp(-width), np.asarray(mean) * np.exp(width))
    return out


def probability_at_least(target: float, median: float, sd: float, *, df: float = np.inf) -> float:
    """P(outcome ≥ target) when log(outcome) ~ N(log median, sd²), or log(outcome) = log median +
    sd · t with ``df`` degrees of freedom when ``df`` is finite (σ estimated from few errors).

    Examples
    --------
    >>> round(probability_at_least(100.0, 90.0, 0.04), 3), round(probability_at_least(100.0, 90.0, 0.04, df=5), 3)
    (0.004, 0.023)
    """
    if not np.isfinite(target) or target <= 0:
        return 1.0
    if median <= 0:
        return 0.0
    if sd <= 0:
        return float(median >= target)
    z = (np.log(target) - np.log(median)) / sd
    return float(norm.sf(z) if not np.isfinite(df) else student_t.sf(z, df))
