"""Bands and probabilities from a forecast's own out-of-sample errors (split-conformal).

A rolling-origin backtest gives, for each earlier origin and step ahead (or aggregated window:
a quarter's total), the log error ``log(actual / forecast)``. Divided by the step's *scale*
(how errors grow with the horizon) they become one sample ``z`` of the forecast's standardised
errors. The band of a level is then the empirical quantiles of ``z`` at ``(1 ∓ level) / 2``,
read at the split-conformal ranks ``p · (n + 1)`` (``numpy``'s ``weibull`` method), times the
step's scale: out of sample, at the step and aggregation the page shows, with no normality
assumed — a forecast that ran low is shifted up by its own errors, and a heavy tail widens it.

**Too few windows.** The sample rests on :data:`MIN_WINDOWS` origins at least. With fewer (or
when the level's rank falls outside the sample: a 95 % band needs 39 errors), the band is
*widened*: the Student-t quantile with ``windows − 1`` degrees of freedom times the errors'
root mean square, never narrower than the empirical band, and :attr:`ErrorSample.widened` says
so. **P(reaching a threshold)** is the survival function of a kernel-smoothed ``z`` (Gaussian
kernel, Silverman's bandwidth), so a probability is never exactly 0 or 1 on a few errors.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.stats import norm
from scipy.stats import t as student_t

MIN_WINDOWS = 8
"""Backtest origins below which a band is widened (and the forecast called weak)."""
FALLBACK_SIGMA = 0.15
"""Scale of a forecast without any backtest error (15 % of the forecast)."""


def tail_ranks_ok(count: int, level: float) -> bool:
    """Whether ``count`` errors reach the conformal rank of a two-sided ``level`` band.

    Examples
    --------
    >>> tail_ranks_ok(8, 0.8), tail_ranks_ok(9, 0.8), tail_ranks_ok(38, 0.95), tail_ranks_ok(39, 0.95)
    (False, True, False, True)
    """
    return (1 - level) / 2 * (count + 1) >= 1 - 1e-9


@dataclass(frozen=True)
class ErrorSample:
    """Standardised out-of-sample log errors of one forecast (``z = error / scale``)."""

    z: np.ndarray
    #: backtest origins the errors come from
    windows: int

    @property
    def widened(self) -> bool:
        """True when the sample is too thin for empirical bands (see the module docstring)."""
        return self.windows < MIN_WINDOWS

    def _rms(self) -> float:
        return float(np.sqrt(np.mean(self.z**2))) if len(self.z) else 1.0

    def bounds(self, level: float, inflation: float = 1.0) -> tuple[float, float]:
        """Lower and upper quantile of ``z`` for a two-sided ``level`` band, times ``inflation``.

        Examples
        --------
        >>> z = np.random.default_rng(1).normal(0.0, 1.0, 400)
        >>> [round(b, 1) for b in ErrorSample(z, windows=20).bounds(0.8)]
        [-1.3, 1.3]
        """
        if not len(self.z):
            q = float(norm.ppf(0.5 + level / 2))
            return -q, q
        lo = hi = np.nan
        if not self.widened and tail_ranks_ok(len(self.z), level):
            lo, hi = (float(v) for v in np.quantile(self.z, [(1 - level) / 2, (1 + level) / 2], method="weibull"))
            return min(lo, 0.0) * inflation, max(hi, 0.0) * inflation
        df = max(self.windows - 1, 1)
        half = float(student_t.ppf(0.5 + level / 2, df)) * self._rms()
        centre = float(np.median(self.z))
        empirical = np.quantile(self.z, [(1 - level) / 2, (1 + level) / 2])
        lo, hi = min(centre - half, float(empirical[0]), 0.0), max(centre + half, float(empirical[1]), 0.0)
        return lo * inflation, hi * inflation

    def probability_above(self, threshold: float, inflation: float = 1.0) -> float:
        """P(``inflation`` · z ≥ ``threshold``) from the kernel-smoothed sample (Student-t on a
        thin one).

        Examples
        --------
        >>> z = np.random.default_rng(2).normal(0.0, 1.0, 400)
        >>> round(ErrorSample(z, windows=20).probability_above(0.0), 1)
        0.5
        """
        if not np.isfinite(threshold):
            return 0.0 if threshold > 0 else 1.0
        threshold /= inflation
        if len(self.z) < 2:
            return float(norm.sf(threshold))
        if self.widened:
            df = max(self.windows - 1, 1)
            return float(student_t.sf((threshold - float(np.mean(self.z))) / self._rms(), df))
        sd = float(np.std(self.z))
        spread = min(sd, float(np.subtract(*np.quantile(self.z, [0.75, 0.25]))) / 1.349) or sd or 1.0
        bandwidth = 0.9 * spread * len(self.z) ** -0.2
        return float(np.mean(norm.sf((threshold - self.z) / bandwidth)))


def error_sample(errors: np.ndarray, scale: np.ndarray | float = 1.0) -> ErrorSample:
    """The sample of a backtest's log errors (origins × steps, NaN where no actual yet), each
    step divided by its ``scale``.
    """
    errors = np.atleast_2d(np.asarray(errors, dtype=float))
    z = errors / np.broadcast_to(np.asarray(scale, dtype=float), errors.shape[1:])
    seen = np.isfinite(z)
    return ErrorSample(z=np.sort(z[seen]), windows=int(seen.any(axis=1).sum()))


def horizon_scale(errors: np.ndarray) -> np.ndarray:
    """How errors grow with the step: per step the root mean square of the errors, made
    non-decreasing and relative to step 1 (steps without errors carry the last one on).
    """
    errors = np.atleast_2d(np.asarray(errors, dtype=float))
    with np.errstate(invalid="ignore"):
        seen = np.isfinite(errors)
        count = seen.sum(axis=0)
        rms = np.sqrt(np.where(count > 0, np.nansum(errors**2, axis=0) / np.maximum(count, 1), np.nan))
    rms = np.where(np.isfinite(rms) & (rms > 0), rms, np.nan)
    if np.all(np.isnan(rms)):
        return np.ones(errors.shape[1])
    first = float(rms[np.flatnonzero(~np.isnan(rms))[0]])
    filled = np.fmax.accumulate(np.where(np.isnan(rms), first, rms))
    return np.asarray(filled / first)


def band_limits(
    forecast: np.ndarray,
    sample: ErrorSample,
    scale: np.ndarray | float,
    levels: Sequence[float],
    inflation: dict[float, float] | None = None,
) -> dict[float, tuple[np.ndarray, np.ndarray]]:
    """Lower and upper limits of each level around ``forecast`` (steps), log-scale bands, each
    level's half-widths times its ``inflation`` (see :data:`BAND_INFLATION`).
    """
    forecast = np.asarray(forecast, dtype=float)
    scale = np.broadcast_to(np.asarray(scale, dtype=float), forecast.shape)
    out = {}
    for level in levels:
        lo, hi = sample.bounds(level, (inflation or {}).get(level, 1.0))
        out[level] = (forecast * np.exp(lo * scale), forecast * np.exp(hi * scale))
    return out
