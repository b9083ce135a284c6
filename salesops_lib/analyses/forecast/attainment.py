"""Blend the time-series and pipeline forecasts, size their uncertainty from the backtest, and
project each unit's attainment of its target with the probability of reaching 100 %.

* **Blend weight**: the share ``w`` of the time-series forecast that minimises the squared error
  of the root's window totals over the backtest origins, shrunk toward ½ with a prior of
  :data:`PRIOR_ORIGINS` origins; the same ``w`` for every unit, so the blend stays coherent.
* **Bias**: per unit, the mean of ``log(actual / blend)`` over the origins, shrunk toward the
  mean of its level (:data:`PRIOR_ORIGINS` pseudo-origins); the remainder's centre is shifted
  by it (a blend that ran 3 % low in the backtest is raised 3 %).
* **Bands**: per unit, its backtest errors are one split-conformal sample (:mod:`.conformal`,
  one window per origin; the raw errors: the bias estimate from a few overlapping windows is
  itself uncertain, so the shift does not narrow the bands): the 80 % and 95 % bands of the
  period's remainder are symmetric in the log around the bias-corrected centre, widened (and said so) below
  :data:`.conformal.MIN_WINDOWS` windows; a unit without any error gets a 15 % default.
  Booked revenue is certain.
* **P(hit)**: from the same distribution (the Student-t matched to the 80 % band), so the
  probability and the band never disagree.
* **Check**: each level's bands are rebuilt leaving each origin out in turn and the left-out
  error is checked against them: the share inside is the coverage the page shows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from salesops_lib.analyses.forecast.conformal import (
    LEVELS,
    ErrorSample,
    error_sample,
    left_out_inside,
    probability_beyond,
)

PRIOR_ORIGINS = 3.0
MIN_ORIGINS = 3
EMPTY = ErrorSample(z=np.array([]), windows=0)
"""A unit without any backtest error: the 15 % default, widened."""
CHECK_COLUMNS = ["level", "band", "coverage", "windows", "widened", "errors"]


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


def unit_samples(windows: pd.DataFrame) -> dict[tuple[str, str], ErrorSample]:
    """Per (level, unit): its complete windows' log errors (column ``error``), as they were: the
    bias shifts the centre, not the band (its estimate from a few overlapping windows is itself
    uncertain, so the errors around it would understate the spread).
    """
    return {
        (str(key[0]), str(key[1])): error_sample(group["error"].to_numpy(dtype=float)[:, None])
        for key, group in windows.groupby(["level", "unit"], sort=False)
    }


def band_check(windows: pd.DataFrame, biases: pd.Series) -> pd.DataFrame:
    """Per level and band: the share of backtest outcomes inside the band built without their
    origin (leave one origin out) around the bias-corrected centre, the median windows per unit
    and the units whose band is widened.
    """
    rows = []
    for level, group in windows.groupby("level", sort=False):
        inside: dict[float, list[np.ndarray]] = {band: [] for band in LEVELS}
        windows_per_unit, widened = [], 0
        for unit, own in group.groupby("unit", sort=False):
            errors = own["error"].to_numpy(dtype=float)
            errors = errors[np.isfinite(errors)][:, None]
            windows_per_unit.append(len(errors))
            widened += error_sample(errors).widened
            for band in LEVELS:
                inside[band].append(left_out_inside(errors, 1.0, band, float(biases.get((level, unit), 0.0))))
        for band in LEVELS:
            flags = np.concatenate(inside[band]) if inside[band] else np.array([], dtype=bool)
            rows.append(
                {
                    "level": level,
                    "band": band,
                    "coverage": float(flags.mean()) if len(flags) else np.nan,
                    "windows": int(np.median(windows_per_unit)) if windows_per_unit else 0,
                    "widened": widened,
                    "errors": len(flags),
                }
            )
    return pd.DataFrame(rows, columns=CHECK_COLUMNS)


def hit_backtest(windows: pd.DataFrame, targets: pd.DataFrame, window_months: int) -> pd.DataFrame:
    """P(hit) as it would have been stated at each backtest origin, and whether the target was hit.

    ``windows``: complete backtest windows (``origin``, ``level``, ``unit``, ``actual``, ``blend``,
    ``error``); ``targets``: the target of each origin's window (``origin``, ``level``, ``unit``,
    ``target``). A window's P(hit) rests only on the unit's windows that share no month with it
    (bias and band alike), so it is out of sample; with fewer than :data:`.conformal.MIN_WINDOWS`
    of them the band is widened, as on the page.
    """
    columns = ["origin", "level", "unit", "target", "actual", "p_hit", "hit"]
    if windows.empty or targets.empty:
        return pd.DataFrame(columns=columns)
    frame = windows.merge(targets, on=["origin", "level", "unit"])
    frame = frame[(frame["target"] > 0) & frame["error"].notna() & (frame["blend"] > 0)]
    rows = []
    for (level, unit), own in frame.groupby(["level", "unit"], sort=False):
        months = pd.to_datetime(own["origin"]).dt.to_period("M").astype("int64").to_numpy()
        errors = own["error"].to_numpy(dtype=float)
        blend, target, actual = (own[c].to_numpy(dtype=float) for c in ("blend", "target", "actual"))
        for i, origin in enumerate(own["origin"]):
            others = errors[np.abs(months - months[i]) >= window_months]
            bias = float(others.sum() / (len(others) + PRIOR_ORIGINS)) if len(others) else 0.0
            sample = error_sample(others[:, None]) if len(others) else EMPTY
            threshold = float(np.log(target[i] / (blend[i] * np.exp(bias))))
            p = probability_beyond(threshold, sample.half_width(LEVELS[0]))
            rows.append([origin, level, unit, target[i], actual[i], p, bool(actual[i] >= target[i])])
    return pd.DataFrame(rows, columns=columns)


def project(
    final: pd.DataFrame,
    samples: dict[tuple[str, str], ErrorSample],
    biases: pd.Series | None = None,
) -> pd.DataFrame:
    """Period totals with bands and the probability of reaching target.

    ``final`` per (level, unit): ``booked`` (period to date), ``remaining`` (forecast of the rest,
    before the bias correction), ``target`` (NaN without one). ``biases`` (log, per unit) shift the
    remainder; ``samples`` (per unit, :func:`unit_samples`) size its bands and P(hit).
    """
    out = final.copy()
    keys = [(str(lvl), str(u)) for lvl, u in zip(out["level"], out["unit"], strict=True)]
    chosen = [samples.get(key, EMPTY) for key in keys]
    bias = np.array([biases.get(key, 0.0) if biases is not None else 0.0 for key in keys], dtype=float)
    out["bias"] = np.nan_to_num(bias)
    out["remaining"] = out["remaining"] * np.exp(out["bias"])
    out["forecast"] = out["booked"] + out["remaining"]
    out["windows"] = [sample.windows for sample in chosen]
    out["widened"] = [sample.widened for sample in chosen]
    for band in LEVELS:
        width = np.array([sample.half_width(band) for sample in chosen])
        tag = f"{round(band * 100)}"
        out[f"lo{tag}"] = out["booked"] + out["remaining"] * np.exp(-width)
        out[f"hi{tag}"] = out["booked"] + out["remaining"] * np.exp(width)
    out["attainment"] = np.where(out["target"] > 0, out["forecast"] / out["target"], np.nan)
    out["p_hit"] = [
        _p_hit(t, b, r, sample)
        for t, b, r, sample in zip(out["target"], out["booked"], out["remaining"], chosen, strict=True)
    ]
    return out


def _p_hit(target: float, booked: float, remaining: float, sample: ErrorSample) -> float:
    """P(booked + remaining · e^error ≥ target); NaN without a target."""
    if not np.isfinite(target) or target <= 0:
        return np.nan
    if target <= booked:
        return 1.0
    if remaining <= 0:
        return 0.0
    return probability_beyond(float(np.log((target - booked) / remaining)), sample.half_width(LEVELS[0]))
