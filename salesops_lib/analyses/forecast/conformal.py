"""Bands and probabilities from a forecast's own out-of-sample errors (split-conformal).

A rolling-origin backtest gives, for each earlier origin and step ahead (or aggregated window:
a quarter's total), the log error ``log(actual / forecast)``. Divided by the step's scale
``√step`` (errors grow like a random walk's) they become one sample of the forecast's
standardised errors ``z``. A band is symmetric in the log around the forecast:

* **80 %** (:data:`BASE_LEVEL`) — the empirical quantile of ``|z|`` at the split-conformal rank
  ``0.8 · (n + 1)`` (``numpy``'s ``weibull`` method), times the step's scale. Out of sample, at
  the step and aggregation the page shows, no normality assumed.
* **wider levels (95 %)** — at least the 80 % half-width × the ratio of Student-t quantiles with
  :data:`TAIL_DF` degrees of freedom (1.81 for 95 %), or the empirical quantile when it is wider:
  a dozen windows cannot see the 2.5 % tails, and sales (and M3) errors are heavy-tailed.
* **too few windows** (< :data:`MIN_WINDOWS` origins) — the half-widths are multiplied by
  ``t_{w−1} / z`` at 90 % (1.47 for 3 windows) and :attr:`ErrorSample.widened` says so.

Bands are symmetric because a backtest's bias does not persist: on M3 the quarterly series
whose twelve windows all ran low were as often high in the test periods, and the one-sided
bands that followed them covered 63 % instead of 80 %. **A total** (a quarter of a monthly
forecast) has its own errors, few at long horizons: its band shrinks them toward the band of its
months added up (:func:`shrunk_total_half_width`).
**P(reaching a threshold)** comes from the same distribution: a Student-t with :data:`TAIL_DF`
degrees of freedom scaled to the band, so P(hit) and the band never disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.stats import norm
from scipy.stats import t as student_t

LEVELS: tuple[float, ...] = (0.8, 0.95)
"""The bands every page shows."""
MIN_WINDOWS = 8
"""Backtest origins below which a band is widened (and the forecast called weak)."""
BASE_LEVEL = 0.8
TAIL_DF = 4
"""Degrees of freedom of the tails beyond the 80 % band (chosen on M3 validation splits)."""
FALLBACK_SIGMA = 0.15
"""Relative error sd of a forecast without any backtest error (15 %)."""


def _t_ratio(level: float, df: float = TAIL_DF) -> float:
    """Two-sided Student-t quantile of ``level`` over that of :data:`BASE_LEVEL`."""
    return float(student_t.ppf(0.5 + level / 2, df) / student_t.ppf(0.5 + BASE_LEVEL / 2, df))


def tail_ranks_ok(count: int, level: float) -> bool:
    """Whether ``count`` absolute errors reach the conformal rank ``level · (count + 1)``.

    Examples
    --------
    >>> tail_ranks_ok(3, 0.8), tail_ranks_ok(4, 0.8), tail_ranks_ok(18, 0.95), tail_ranks_ok(19, 0.95)
    (False, True, False, True)
    """
    return level * (count + 1) <= count + 1e-9


@dataclass(frozen=True)
class ErrorSample:
    """Absolute standardised out-of-sample log errors of one forecast (``|error| / scale``)."""

    z: np.ndarray
    #: backtest origins the errors come from
    windows: int

    @property
    def widened(self) -> bool:
        """True when the sample rests on fewer than :data:`MIN_WINDOWS` origins."""
        return self.windows < MIN_WINDOWS

    def half_width(self, level: float) -> float:
        """Half-width (log, in units of the step's scale) of the two-sided ``level`` band.

        Examples
        --------
        >>> z = np.abs(np.random.default_rng(1).normal(0.0, 1.0, 4000))
        >>> round(ErrorSample(z, windows=20).half_width(0.8), 1), round(ErrorSample(z, windows=20).half_width(0.95), 1)
        (1.3, 2.3)
        """
        if tail_ranks_ok(len(self.z), BASE_LEVEL):
            base = float(np.quantile(self.z, BASE_LEVEL, method="weibull"))
        else:
            base = float(norm.ppf(0.5 + BASE_LEVEL / 2)) * FALLBACK_SIGMA
        width = base * _t_ratio(level) if level > BASE_LEVEL else base
        if level != BASE_LEVEL and tail_ranks_ok(len(self.z), level):
            empirical = float(np.quantile(self.z, level, method="weibull"))
            width = max(width, empirical) if level > BASE_LEVEL else empirical
        if self.widened:
            width *= float(
                student_t.ppf(0.5 + BASE_LEVEL / 2, max(self.windows - 1, 1)) / norm.ppf(0.5 + BASE_LEVEL / 2)
            )
        return width

    def probability_above(self, threshold: float) -> float:
        """P(z ≥ ``threshold``) under the Student-t that matches the 80 % band
        (:func:`probability_beyond`).

        Examples
        --------
        >>> z = np.abs(np.random.default_rng(2).normal(0.0, 1.0, 4000))
        >>> s = ErrorSample(z, windows=20)
        >>> round(s.probability_above(0.0), 2), round(s.probability_above(s.half_width(0.8)), 2)
        (0.5, 0.1)
        """
        return probability_beyond(threshold, self.half_width(BASE_LEVEL))


def probability_beyond(threshold: float, half_width: float) -> float:
    """P(log error ≥ ``threshold``) for the symmetric Student-t (:data:`TAIL_DF` degrees of
    freedom) whose 80 % band has this ``half_width``.
    """
    if not np.isfinite(threshold):
        return 0.0 if threshold > 0 else 1.0
    scale = half_width / float(student_t.ppf(0.5 + BASE_LEVEL / 2, TAIL_DF))
    return float(student_t.sf(threshold / scale, TAIL_DF)) if scale > 0 else float(threshold <= 0)


def step_scale(windows: int, width: int = 1, stride: int | None = None) -> np.ndarray:
    """How errors grow with the horizon: ``√`` of each window's mean step ahead. Steps 1, 2, 3, …
    for ``width`` 1; quarter totals of a monthly forecast (``width`` 3): √2, √5, √8, … when the
    windows follow each other, √2, √3, √4, … when they slide by one month (``stride`` 1).

    Examples
    --------
    >>> step_scale(3).round(2).tolist(), step_scale(2, width=3).round(2).tolist()
    ([1.0, 1.41, 1.73], [1.41, 2.24])
    """
    step = width if stride is None else stride
    return np.sqrt(np.arange(windows, dtype=float) * step + (width + 1) / 2)


def error_sample(errors: np.ndarray, scale: np.ndarray | float = 1.0) -> ErrorSample:
    """The sample of a backtest's log errors (origins × steps, NaN where no actual yet), each
    step divided by its ``scale`` (:func:`step_scale` for steps ahead, 1 for one window).
    """
    errors = np.atleast_2d(np.asarray(errors, dtype=float))
    z = np.abs(errors) / np.broadcast_to(np.asarray(scale, dtype=float), errors.shape[1:])
    seen = np.isfinite(z)
    return ErrorSample(z=np.sort(z[seen]), windows=int(seen.any(axis=1).sum()))


def left_out_inside(errors: np.ndarray, scale: np.ndarray | float, level: float, centre: float = 0.0) -> np.ndarray:
    """For every seen error (origins × steps): whether it falls inside the ``level`` band built
    from the other origins' errors, around ``centre`` (leave one origin out).

    Examples
    --------
    >>> left_out_inside(np.array([[0.01], [-0.02], [0.5], [0.0], [0.015]]), 1.0, 0.8).tolist()
    [True, True, False, True, True]
    """
    errors = np.atleast_2d(np.asarray(errors, dtype=float))
    steps = np.broadcast_to(np.asarray(scale, dtype=float), errors.shape[1:])
    inside: list[bool] = []
    for k in range(errors.shape[0]):
        seen = np.isfinite(errors[k])
        if not seen.any():
            continue
        rest = error_sample(np.delete(errors, k, axis=0), steps)
        inside.extend(np.abs(errors[k][seen] - centre) / steps[seen] <= rest.half_width(level))
    return np.asarray(inside, dtype=bool)


def shrunk_total_half_width(own: np.ndarray, summed: np.ndarray, windows: np.ndarray) -> np.ndarray:
    """Half-width (log) of a total's band: its own errors' (``own``, from ``windows`` origins)
    weighted ``windows / (windows + MIN_WINDOWS)``, the rest from ``summed`` — the band of its
    steps added up, the widest a total's band can be (its steps' errors perfectly correlated).
    Later quarters of a long forecast have few or no own errors and lean on the summed band.

    Examples
    --------
    >>> shrunk_total_half_width(np.array([0.1, 0.1]), np.array([0.2, 0.2]), np.array([8, 0])).round(3).tolist()
    [0.15, 0.2]
    """
    weight = np.asarray(windows, dtype=float) / (np.asarray(windows, dtype=float) + MIN_WINDOWS)
    half: np.ndarray = weight * np.nan_to_num(own) + (1 - weight) * summed
    return half


def band_limits(
    forecast: np.ndarray, sample: ErrorSample, scale: np.ndarray | float, levels: Sequence[float]
) -> dict[float, tuple[np.ndarray, np.ndarray]]:
    """Lower and upper limits of each level around ``forecast`` (per step), symmetric in the log."""
    forecast = np.asarray(forecast, dtype=float)
    scale = np.broadcast_to(np.asarray(scale, dtype=float), forecast.shape)
    out = {}
    for level in levels:
        width = sample.half_width(level) * scale
        out[level] = (forecast * np.exp(-width), forecast * np.exp(width))
    return out
