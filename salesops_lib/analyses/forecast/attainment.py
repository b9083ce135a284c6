"""Blend the time-series and pipeline forecasts, size their uncertainty from the backtest, and
project each unit's attainment of its target with the probability of reaching 100 %.

* **Blend weight**: the share ``w`` of the time-series forecast that minimises the squared error
  of the root's window totals over the backtest origins, shrunk toward ½ with a prior of
  :data:`PRIOR_ORIGINS` origins; the same ``w`` for every unit, so the blend stays coherent.
* **Bias**: per unit, the mean of ``log(actual / blend)`` over the origins, shrunk toward the
  mean of its level (:data:`PRIOR_ORIGINS` pseudo-origins); the remainder's centre is shifted
  by it (a blend that ran 3 % low in the backtest is raised 3 %).
* **Uncertainty**: per unit, σ = the root mean square of ``log(actual / blend)`` over the
  origins (the raw errors: the shift does not narrow the bands, as the bias estimate from a few
  overlapping windows is itself uncertain), shrunk toward the median of its level (:data:`PRIOR_ORIGINS` pseudo-origins).
  Bands are log-normal around the remainder of the period; booked revenue is certain.
* **P(hit)**: σ rests on a few overlapping backtest windows, so the probability of reaching
  target uses a Student-t, not a normal: its degrees of freedom are the unit's origins divided by
  the variance inflation of overlapping windows (Bartlett: ``1 + 2 Σ ((h − k) / h)²`` for
  windows of ``h`` months one month apart) plus the :data:`PRIOR_ORIGINS` pseudo-origins — a
  miss by 2.5 σ is not read as a one-in-a-hundred event when σ rests on a handful of windows.
* **Calibration**: the standardised errors (σ left out for the origin under test) give, per
  level, the empirical coverage of the 80 % and 95 % bands; :func:`.intervals.calibrate`
  widens or narrows them when the coverage misses by more than the tolerance.
"""

from __future__ import annotations

from typing import cast

import numpy as np
import pandas as pd

from salesops_lib.analyses.forecast.intervals import LEVELS, calibrate, probability_at_least, quantile_of

PRIOR_ORIGINS = 3.0
MIN_ORIGINS = 3
DEFAULT_SIGMA = 0.15
"""Relative uncertainty of a unit without any usable backtest error (15 %)."""


def blend_weight(root: pd.DataFrame) -> float:
    """Weight of the time-series forecast in the blend, from the root's backtest windows
    (columns ``actual``, ``ts``, ``pipeline``); 1 without a pipeline forecast.
    """
    rows = root.dropna(subset=["actual", "ts", "pipeline"])
    if root["pipeline"].isna().all():
        return 1.0
    if len(rows) < MIN_ORIGINS:
        return 0.5
    grid = np.linspace(0, 1, 21)
    sse = [float(np.sum((rows["actual"] - w * rows["ts"] - (1 - w) * rows["pipeline"]) ** 2)) for w in grid]
    best = float(grid[int(np.argmin(sse))])
    n = len(rows)
    return (n * best + PRIOR_ORIGINS * 0.5) / (n + PRIOR_ORIGINS)


def log_errors(windows: pd.DataFrame, column: str = "forecast") -> pd.Series:
    """``log(actual / forecast)`` where both are positive (NaN elsewhere)."""
    ok = (windows["actual"] > 0) & (windows[column] > 0)
    out = pd.Series(np.nan, index=windows.index)
    out[ok] = np.log(windows.loc[ok, "actual"] / windows.loc[ok, column])
    return out


def unit_biases(windows: pd.DataFrame) -> pd.Series:
    """Mean log error per (level, unit) of the complete backtest windows (column ``error``),
    shrunk toward the level's mean error with :data:`PRIOR_ORIGINS` pseudo-origins.

    Examples
    --------
    >>> w = pd.DataFrame({"level": ["region"] * 4, "unit": ["a", "a", "b", "b"], "error": [0.1, 0.1, 0.0, 0.0]})
    >>> unit_biases(w).round(3).tolist()
    [0.07, 0.03]
    """
    if windows.empty:
        return pd.Series(dtype=float)
    level_mean = windows["error"].groupby(windows["level"]).mean().fillna(0.0).to_dict()
    keys = [windows["level"], windows["unit"]]
    total = windows["error"].groupby(keys).sum()
    count = windows["error"].notna().groupby(keys).sum()
    prior = windows["level"].map(level_mean).astype(float).groupby(keys).first()
    biases: pd.Series = (total + PRIOR_ORIGINS * prior) / (count + PRIOR_ORIGINS)
    return biases


def degrees_of_freedom(windows: pd.DataFrame, window_months: int) -> pd.Series:
    """Student-t degrees of freedom of each unit's σ: its complete windows ÷ the variance inflation
    of windows of ``window_months`` one month apart (they share all but one month), plus
    :data:`PRIOR_ORIGINS`.

    Examples
    --------
    >>> w = pd.DataFrame({"level": "region", "unit": "a", "error": [0.01] * 19})
    >>> degrees_of_freedom(w, 1).tolist(), degrees_of_freedom(w, 3).round(1).tolist()
    ([22.0], [12.0])
    """
    if windows.empty:
        return pd.Series(dtype=float)
    h = max(window_months, 1)
    inflation = 1 + 2 * sum(((h - k) / h) ** 2 for k in range(1, h))
    count = windows["error"].notna().groupby([windows["level"], windows["unit"]]).sum()
    df: pd.Series = count / inflation + PRIOR_ORIGINS
    return df


def unit_sigmas(windows: pd.DataFrame) -> pd.Series:
    """σ per (level, unit) from the complete backtest windows (column ``error`` = log error)."""
    if windows.empty:
        return pd.Series(dtype=float)
    priors = windows["level"].map(_level_priors(windows)).astype(float)
    keys = [windows["level"], windows["unit"]]
    total = (windows["error"] ** 2).groupby(keys).sum()
    count = windows["error"].notna().groupby(keys).sum()
    prior = priors.groupby(keys).first()
    sigmas: pd.Series = np.sqrt((total + PRIOR_ORIGINS * prior**2) / (count + PRIOR_ORIGINS))
    return sigmas


def _level_priors(windows: pd.DataFrame) -> dict[str, float]:
    squared = (windows["error"] ** 2).groupby([windows["level"], windows["unit"]]).mean()
    priors = np.sqrt(squared).groupby(level=0).median()
    return {lvl: float(v) if np.isfinite(v) and v > 0 else DEFAULT_SIGMA for lvl, v in priors.items()}


def standardised_errors(windows: pd.DataFrame) -> pd.Series:
    """Each backtest error divided by its unit's σ computed without that origin."""
    if windows.empty:
        return pd.Series(dtype=float)
    priors = windows["level"].map(_level_priors(windows)).astype(float)
    squared = windows["error"] ** 2
    keys = [windows["level"], windows["unit"]]
    total = squared.groupby(keys).transform("sum")
    count = windows["error"].notna().groupby(keys).transform("sum")
    # a ufunc of a Series is a Series (numpy's stubs say ndarray)
    sigma = cast("pd.Series", np.sqrt((total - squared + PRIOR_ORIGINS * priors**2) / (count - 1 + PRIOR_ORIGINS)))
    return windows["error"] / sigma.where(sigma > 0)


def calibration_table(windows: pd.DataFrame, *, tolerance: float) -> pd.DataFrame:
    """Per level and band: backtest coverage before and after the correction, and the factor."""
    z = standardised_errors(windows)
    rows = []
    for level, group in windows.assign(z=z).groupby("level", sort=False):
        matrix = group.pivot_table(index="origin", columns="unit", values="z").to_numpy()
        for band, cal in calibrate(matrix, LEVELS, tolerance=tolerance).items():
            rows.append(
                {
                    "level": level,
                    "band": band,
                    "coverage_raw": cal.coverage_raw,
                    "factor": cal.factor,
                    "coverage_calibrated": cal.coverage_calibrated,
                    "errors": cal.errors,
                }
            )
    return pd.DataFrame(rows, columns=["level", "band", "coverage_raw", "factor", "coverage_calibrated", "errors"])


def project(
    final: pd.DataFrame,
    sigmas: pd.Series,
    calibration: pd.DataFrame,
    biases: pd.Series | None = None,
    dfs: pd.Series | None = None,
) -> pd.DataFrame:
    """Period totals with bands and the probability of reaching target.

    ``final`` per (level, unit): ``booked`` (period to date), ``remaining`` (forecast of the rest,
    before the bias correction), ``target`` (NaN without one). ``biases`` (log, per unit) shift the
    remainder; ``dfs`` are the Student-t degrees of freedom of P(hit) (normal without).
    """
    out = final.copy()
    factors = calibration.set_index(["level", "band"])["factor"] if not calibration.empty else pd.Series(dtype=float)
    keys = list(zip(out["level"], out["unit"], strict=True))
    sigma = [sigmas.get(key, DEFAULT_SIGMA) for key in keys]
    out["sigma"] = np.asarray(sigma, dtype=float)
    bias = np.array([biases.get(key, 0.0) if biases is not None else 0.0 for key in keys], dtype=float)
    out["bias"] = np.nan_to_num(bias)
    out["remaining"] = out["remaining"] * np.exp(out["bias"])
    df = np.array([dfs.get(key, np.inf) if dfs is not None else np.inf for key in keys], dtype=float)
    out["forecast"] = out["booked"] + out["remaining"]
    for band in LEVELS:
        factor = np.array([factors.get((lvl, band), 1.0) for lvl in out["level"]])
        width = quantile_of(band) * factor * out["sigma"].to_numpy()
        tag = f"{round(band * 100)}"
        out[f"lo{tag}"] = out["booked"] + out["remaining"] * np.exp(-width)
        out[f"hi{tag}"] = out["booked"] + out["remaining"] * np.exp(width)
    scale = np.array([factors.get((lvl, LEVELS[0]), 1.0) for lvl in out["level"]])
    out["attainment"] = np.where(out["target"] > 0, out["forecast"] / out["target"], np.nan)
    out["p_hit"] = [
        probability_at_least(t - b, r, s * c, df=d) if np.isfinite(t) and t > 0 else np.nan
        for t, b, r, s, c, d in zip(
            out["target"], out["booked"], out["remaining"], out["sigma"], scale, df, strict=True
        )
    ]
    return out
