"""Accuracy history: how the forecasts of past origins did, per level and method.

From the backtest windows (one row per origin × unit with the actual and each method's
forecast of the window): MAPE, MASE, bias, HubSpot-style accuracy ``max(0, 1 − |A − F| / A)``
and the error relative to the seasonal naive forecast (< 1 = better than naive).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

METHODS: tuple[str, ...] = ("blend", "ts", "pipeline", "snaive")
COLUMNS = ["level", "method", "units", "origins", "mape", "mase", "bias", "accuracy", "vs_snaive"]


def hubspot_accuracy(actual: np.ndarray, forecast: np.ndarray) -> np.ndarray:
    """``max(0, 1 − |A − F| / A)`` per pair (NaN where A ≤ 0)."""
    actual = np.asarray(actual, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = 1 - np.abs(actual - np.asarray(forecast, dtype=float)) / actual
    return np.where(actual > 0, np.maximum(value, 0.0), np.nan)


def accuracy_table(windows: pd.DataFrame, scales: pd.Series) -> pd.DataFrame:
    """Per level × method over the complete backtest windows.

    ``scales``: per (level, unit) the MASE denominator (in-sample seasonal-naive MAE × window months).

    Examples
    --------
    >>> w = pd.DataFrame(
    ...     {
    ...         "level": ["company"] * 2,
    ...         "unit": ["company"] * 2,
    ...         "origin": [1, 2],
    ...         "actual": [100.0, 100.0],
    ...         "blend": [90.0, 110.0],
    ...         "snaive": [80.0, 80.0],
    ...     }
    ... )
    >>> accuracy_table(w, pd.Series({("company", "company"): 10.0})).loc[0, ["mape", "accuracy", "vs_snaive"]].tolist()
    [0.1, 0.9, 0.5]
    """
    complete = windows.dropna(subset=["actual"])
    rows = []
    for level, group in complete.groupby("level", sort=False):
        scale = np.array([scales.get((level, u), np.nan) for u in group["unit"]])
        actual = group["actual"].to_numpy()
        naive_mae = np.mean(np.abs(actual - group["snaive"].to_numpy())) if "snaive" in group else np.nan
        for method in METHODS:
            if method not in group or group[method].isna().all():
                continue
            forecast = group[method].to_numpy()
            error = np.abs(actual - forecast)
            positive = actual > 0
            rows.append(
                {
                    "level": level,
                    "method": method,
                    "units": group["unit"].nunique(),
                    "origins": group["origin"].nunique(),
                    "mape": float(np.mean(error[positive] / actual[positive])) if positive.any() else np.nan,
                    "mase": float(np.nanmean(error / np.where(scale > 0, scale, np.nan))),
                    "bias": float(np.sum(forecast - actual) / np.sum(actual)) if np.sum(actual) else np.nan,
                    "accuracy": float(np.nanmean(hubspot_accuracy(actual, forecast))),
                    "vs_snaive": float(np.mean(error) / naive_mae) if naive_mae else np.nan,
                }
            )
    return pd.DataFrame(rows, columns=COLUMNS)
