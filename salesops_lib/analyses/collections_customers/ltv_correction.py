"""The predictive LTV headline corrected by the model's own hold-out bias.

The hold-out check (:func:`.predictive.predict_ltv`) fits the models on the history up to
``as_of − holdout_months`` and compares each customer's predicted revenue in the window after
with what the customer actually bought. Their ratio (predicted ÷ actual revenue, all hold-out
customers) is the model's *bias* on these data; the headline — predicted gross profit over the
horizon — is divided by it (a model that over-predicted by 20 % has its forecast cut by 1/1.2).

The correction is *reliable* when the hold-out has at least :data:`MIN_BUYERS` customers who
bought in the window and the ratio's bootstrap standard error (customers resampled) is at most
:data:`MAX_RELATIVE_SE` of it. Unreliable and off by more than :data:`MAX_UNCORRECTED_BIAS`,
the headline is suppressed (the page says why); unreliable but close, the raw figure stands,
marked uncorrected.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

MIN_BUYERS = 30
"""Fewer hold-out customers with a purchase in the window than this, and the bias is not measured reliably."""
MAX_RELATIVE_SE = 0.05
"""A bias whose bootstrap standard error exceeds this share of the ratio is not corrected."""
MAX_UNCORRECTED_BIAS = 0.10
"""A headline off by more than this that cannot be corrected is not shown."""
BOOTSTRAP = 400

Status = Literal["calibrated", "uncorrected", "suppressed"]


@dataclass(frozen=True)
class LtvCorrection:
    """The headline before and after the hold-out correction."""

    #: model forecast before the correction
    raw: float
    #: hold-out predicted ÷ actual revenue − 1 (+0.2 = the model over-predicted by 20 %)
    bias: float
    #: bootstrap standard error of the bias
    bias_se: float
    #: hold-out customers who bought in the window
    buyers: int
    #: "calibrated" (corrected), "uncorrected" (not reliable, but |bias| ≤ 10 %) or "suppressed"
    status: Status
    #: ``raw`` ÷ (1 + bias) when calibrated, ``raw`` when uncorrected, NaN when suppressed
    headline: float
    #: why the headline is not corrected: "" , "too_few_buyers" or "unstable_bias"
    reason: str = ""


def correct(raw: float, check: pd.DataFrame, *, seed: int = 0) -> LtvCorrection:
    """Correct ``raw`` (the predicted gross profit) by the hold-out bias of ``check`` (one row per
    hold-out customer: ``predicted_revenue``, ``actual_revenue``).

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> actual = rng.gamma(2.0, 50.0, 400)
    >>> check = pd.DataFrame({"predicted_revenue": actual * 1.25, "actual_revenue": actual})
    >>> c = correct(1000.0, check)
    >>> c.status, round(c.bias, 2), round(c.headline)
    ('calibrated', 0.25, 800)
    """
    predicted = check["predicted_revenue"].to_numpy(float)
    actual = check["actual_revenue"].to_numpy(float)
    buyers = int(np.sum(actual > 0))
    total = float(actual.sum())
    ratio = float(predicted.sum()) / total if total > 0 else np.nan
    se = _bootstrap_se(predicted, actual, seed) if np.isfinite(ratio) else np.nan
    bias = ratio - 1
    reason = ""
    if buyers < MIN_BUYERS or not np.isfinite(ratio):
        reason = "too_few_buyers"
    elif not (np.isfinite(se) and se <= MAX_RELATIVE_SE * ratio):
        reason = "unstable_bias"
    if not reason:
        return LtvCorrection(raw, bias, se, buyers, "calibrated", raw / ratio)
    if np.isfinite(bias) and abs(bias) <= MAX_UNCORRECTED_BIAS:
        return LtvCorrection(raw, bias, se, buyers, "uncorrected", raw, reason)
    return LtvCorrection(raw, bias, se, buyers, "suppressed", float("nan"), reason)


def _bootstrap_se(predicted: np.ndarray, actual: np.ndarray, seed: int) -> float:
    """Standard error of Σ predicted ÷ Σ actual with customers resampled (fixed seed: reproducible)."""
    n = len(actual)
    if n < 2:
        return float("nan")
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, n, size=(BOOTSTRAP, n))
    denominators = actual[idx].sum(axis=1)
    ok = denominators > 0
    if ok.sum() < BOOTSTRAP // 2:
        return float("nan")
    ratios = predicted[idx].sum(axis=1)[ok] / denominators[ok]
    return float(np.std(ratios, ddof=1))
