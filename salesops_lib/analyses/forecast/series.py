"""The time-series engine: seasonal naive, SES, damped-trend ETS, Theta and ARIMA on monthly or
weekly series, and a combination chosen by rolling-origin backtests.

Every method works on the seasonally adjusted series (classical multiplicative decomposition,
applied when the M3 autocorrelation test finds seasonality), then puts the season back:

* ``snaive`` — the value one season earlier (the last value for a series shorter than a season);
* ``ses`` and ``damped`` — exponential smoothing without trend and with a damped additive trend
  (ETS(A,N,N) and ETS(A,Ad,N)), fitted by least squares on a grid (:mod:`.smoothing`);
* ``theta`` — the Theta method (SES with half the linear-trend slope);
* ``arima`` — ARIMA(0,1,1) with drift on the log of the adjusted series, by conditional sum of
  squares (vectorised: statsmodels' ARIMA takes 0.1–1.5 s per fit, too slow for backtests);
* ``comb`` — the equal-weight mean of ``ses``, ``damped``, ``theta`` and ``arima``: the best
  combination on a validation split of the 1,428 M3 monthly series (the last 18 months of each
  training part), then sMAPE 13.6 on the competition's test periods against 13.9 for Theta
  (``benchmarks/bench_forecast.py``);
* ``comb3`` — the same without ARIMA (the "SHD + Theta" family).

:func:`forecast_series` backtests all of them from rolling origins and keeps ``comb`` unless
another candidate's MASE is lower by more than :data:`SWITCH_MARGIN`. Short series never fail:
no value gives zeros, fewer than :data:`MIN_POINTS` values give their mean, fewer than two
seasons are not seasonally adjusted, non-positive values skip the multiplicative adjustment.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from salesops_lib.analyses.forecast import smoothing as sm

BASE_METHODS: tuple[str, ...] = ("snaive", "ses", "damped", "theta", "arima")
COMBINATIONS: dict[str, tuple[str, ...]] = {
    "comb": ("ses", "damped", "theta", "arima"),
    "comb3": ("ses", "damped", "theta"),
}
DEFAULT_METHOD = "comb"
SWITCH_MARGIN = 0.05
"""Another candidate replaces ``comb`` only when its backtest MASE is lower by this share."""
MIN_POINTS = 4
"""Series shorter than this are forecast by their mean."""


@dataclass(frozen=True)
class Backtest:
    """Rolling-origin forecasts: origin ``i`` was fitted on the first ``origins[i]`` values."""

    origins: np.ndarray
    #: (origins × h) actual values, NaN beyond the data
    actual: np.ndarray
    #: method → (origins × h) forecasts
    forecasts: dict[str, np.ndarray]


@dataclass(frozen=True)
class SeriesForecast:
    """Forecast of one series by the chosen method, with every candidate and the evidence."""

    mean: np.ndarray
    method: str
    candidates: dict[str, np.ndarray]
    #: backtest MASE per candidate (NaN when there was no backtest)
    scores: dict[str, float]
    backtest: Backtest | None
    #: sd of the one-step relative (log) residuals and the SES alpha, for model-based intervals
    residual_sd: float
    alpha: float
    notes: tuple[str, ...] = field(default_factory=tuple)


def _positions(n: int, h: int, period: int) -> np.ndarray:
    return (n + np.arange(h)) % max(period, 1)


def _adjusted(
    series: Sequence[np.ndarray], period: int, indices: Sequence[np.ndarray | None] | None
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Seasonally adjusted copies and each series' indices (position 0 = first value)."""
    adjusted, profiles = [], []
    for i, y in enumerate(series):
        given = indices[i] if indices is not None else None
        index = given if given is not None else sm.seasonal_profile(y, period)
        profiles.append(index)
        adjusted.append(y / index[np.arange(len(y)) % len(index)] if len(y) else y)
    return adjusted, profiles


def forecast_many(
    series: Sequence[np.ndarray],
    h: int,
    *,
    period: int = 12,
    methods: Sequence[str] = BASE_METHODS,
    indices: Sequence[np.ndarray | None] | None = None,
    nonnegative: bool = True,
) -> dict[str, np.ndarray]:
    """Forecasts (series × h) of every method in ``methods`` (plus the combinations they allow).

    ``indices`` optionally imposes seasonal indices per series (position 0 = its first value),
    e.g. the parent's indices for rep series too short or too sparse to have their own.

    Examples
    --------
    >>> out = forecast_many([np.arange(1.0, 40.0)], 3, methods=("ses", "theta"))
    >>> out["theta"].shape
    (1, 3)
    """
    series = [np.asarray(y, dtype=float) for y in series]
    adjusted, profiles = _adjusted(series, period, indices)
    future = np.array([p[_positions(len(y), h, len(p))] for y, p in zip(series, profiles, strict=True)])
    lengths = np.array([len(y) for y in series])
    usable = lengths >= MIN_POINTS
    Y = sm.align_right([a if ok else np.array([np.nan]) for a, ok in zip(adjusted, usable, strict=True)])
    out: dict[str, np.ndarray] = {}
    for method in methods:
        if method == "snaive":
            out[method] = np.array([_seasonal_naive(y, h, period) for y in series])
            continue
        if method == "ses":
            adj = sm.fit_smoothing(Y, h, trend=False).forecast
        elif method == "damped":
            adj = sm.fit_smoothing(Y, h, trend=True).forecast
        elif method == "theta":
            adj = sm.fit_theta(Y, h).forecast
        elif method == "arima":
            adj = _arima(adjusted, usable, h)
        else:
            raise ValueError(f"unknown method {method!r}; known: {', '.join(BASE_METHODS)}")
        out[method] = adj * future
    for name, parts in COMBINATIONS.items():
        if all(p in out for p in parts):
            out[name] = np.mean([out[p] for p in parts], axis=0)
    fallback = np.array([np.full(h, y.mean() if len(y) else 0.0) for y in series])
    for name, raw in out.items():
        values = np.where(usable[:, None] & np.isfinite(raw), raw, fallback)
        out[name] = np.maximum(values, 0.0) if nonnegative else values
    return out


def _seasonal_naive(y: np.ndarray, h: int, period: int) -> np.ndarray:
    if len(y) == 0:
        return np.zeros(h)
    if len(y) < period:
        return np.full(h, y[-1])
    return y[len(y) - period + np.arange(h) % period]


def _arima(adjusted: list[np.ndarray], usable: np.ndarray, h: int) -> np.ndarray:
    """ARIMA(0,1,1) with drift on the log of the positive series (Theta's statistical twin), on
    the levels for series with zeros.
    """
    positive = np.array([ok and bool(np.all(a > 0)) for a, ok in zip(adjusted, usable, strict=True)])
    rows = [
        np.log(a) if pos else (a if ok else np.array([np.nan]))
        for a, pos, ok in zip(adjusted, positive, usable, strict=True)
    ]
    fit = sm.fit_arima011(sm.align_right(rows), h).forecast
    return np.where(positive[:, None], np.exp(np.minimum(fit, 700)), fit)


def mase_scale(y: np.ndarray, period: int) -> float:
    """In-sample mean absolute error of the seasonal naive forecast (lag 1 when too short)."""
    lag = period if len(y) > period else 1
    if len(y) <= lag:
        return float(np.mean(np.abs(y))) if len(y) else 1.0
    scale = float(np.mean(np.abs(y[lag:] - y[:-lag])))
    return scale if scale > 0 else (float(np.mean(np.abs(y))) or 1.0)


def backtest_origins(n: int, h: int, period: int, count: int) -> np.ndarray:
    """The last ``count`` training lengths that leave at least one actual value and enough
    history to fit (two seasons when possible, else half the series).
    """
    minimum = max(MIN_POINTS, min(2 * period, n // 2))
    first = max(minimum, n - count)
    return np.arange(first, n)


def rolling_backtest(
    y: np.ndarray, h: int, *, period: int = 12, origins: int = 8, methods: Sequence[str] = BASE_METHODS
) -> Backtest | None:
    """Fit every method at each of the last ``origins`` training lengths and forecast ``h`` ahead."""
    starts = backtest_origins(len(y), h, period, origins)
    if len(starts) == 0:
        return None
    fits = forecast_many([y[:k] for k in starts], h, period=period, methods=methods)
    actual = np.full((len(starts), h), np.nan)
    for i, k in enumerate(starts):
        seen = y[k : k + h]
        actual[i, : len(seen)] = seen
    return Backtest(origins=starts, actual=actual, forecasts=fits)


def score(backtest: Backtest, scale: float) -> dict[str, float]:
    """MASE of every method over the backtest's actual values."""
    seen = ~np.isnan(backtest.actual)
    return {
        m: float(np.mean(np.abs(f - backtest.actual)[seen]) / scale) if seen.any() else np.nan
        for m, f in backtest.forecasts.items()
    }


def choose_method(scores: dict[str, float], default: str = DEFAULT_METHOD) -> str:
    """``default`` unless another candidate's score is lower by more than :data:`SWITCH_MARGIN`."""
    finite = {m: s for m, s in scores.items() if np.isfinite(s)}
    if not finite:
        return default
    best = min(finite, key=finite.__getitem__)
    if default in finite and finite[best] >= finite[default] * (1 - SWITCH_MARGIN):
        return default
    return best


def forecast_series(
    y: Sequence[float] | np.ndarray,
    h: int,
    *,
    period: int = 12,
    origins: int = 8,
    methods: Sequence[str] = BASE_METHODS,
) -> SeriesForecast:
    """Forecast one series ``h`` steps ahead with the method its rolling-origin backtest prefers.

    Examples
    --------
    >>> months = np.arange(48)
    >>> y = 100 + months + 10 * np.sin(2 * np.pi * months / 12)
    >>> result = forecast_series(y, 6)
    >>> result.mean.shape, result.method in result.scores
    ((6,), True)
    """
    y = np.asarray(y, dtype=float)
    if h < 1:
        raise ValueError("h must be at least 1")
    candidates = {m: f[0] for m, f in forecast_many([y], h, period=period, methods=methods).items()}
    notes: list[str] = []
    backtest = (
        rolling_backtest(y, h, period=period, origins=origins, methods=methods) if len(y) >= 2 * MIN_POINTS else None
    )
    scores = score(backtest, mase_scale(y, period)) if backtest is not None else dict.fromkeys(candidates, np.nan)
    method = choose_method(scores) if DEFAULT_METHOD in candidates else next(iter(candidates))
    if len(y) < MIN_POINTS:
        notes.append("short_series_mean")
    sd, alpha = residual_scales([y], period)
    return SeriesForecast(
        mean=candidates[method],
        method=method,
        candidates=candidates,
        scores=scores,
        backtest=backtest,
        residual_sd=float(sd[0]),
        alpha=float(alpha[0]),
        notes=tuple(notes),
    )


def residual_scales(
    series: Sequence[np.ndarray], period: int = 12, *, indices: Sequence[np.ndarray | None] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Per series: the sd of SES's one-step relative (log) residuals on the adjusted series, and
    SES's alpha — the scale of model-based prediction intervals (0.25 and 1 for short series).
    """
    series = [np.asarray(y, dtype=float) for y in series]
    adjusted, _ = _adjusted(series, period, indices)
    usable = np.array([len(a) >= MIN_POINTS for a in adjusted])
    Y = sm.align_right([a if ok else np.array([np.nan]) for a, ok in zip(adjusted, usable, strict=True)])
    fit = sm.fit_smoothing(Y, 1, trend=False)
    fitted = Y - fit.residuals
    with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        rel = np.where((fitted > 0) & (Y > 0), np.log(Y / fitted), np.nan)
        scale = np.nanmean(np.abs(Y), axis=1, keepdims=True)
        additive = fit.residuals / np.where(scale > 0, scale, 1.0)
    rel = np.where(np.isnan(rel) & ~np.isnan(additive), additive, rel)
    rel[:, :2] = np.nan if rel.shape[1] >= 2 else rel[:, :2]
    count = np.sum(~np.isnan(rel), axis=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        sd = np.where(count >= 2, np.nanstd(rel, axis=1), 0.25)
    sd = np.where(usable & np.isfinite(sd), np.maximum(sd, 1e-4), 0.25)
    alpha = np.where(usable, fit.params[:, 0], 1.0)
    return sd, alpha
