"""The review's one multiplicity policy: every screen that tests many cells (regions, teams,
reps, campaigns, …, the company row included) controls the false discovery rate with
Benjamini–Hochberg at :data:`FDR`, and a finding is medium or high only when its cell survives.

The page states the policy (glossary key ``multiplicity_policy``). A cell that is extreme but
does not survive may still be listed, at low severity (a watch list), never as an alert.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

FDR = 0.05
"""False discovery rate every screen controls (Benjamini–Hochberg)."""

STRONG = 0.001
"""Adjusted p-value below which a surviving cell may be high severity (when its size also is)."""


def bh_adjust(p: np.ndarray | pd.Series | list[float]) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values (q-values); NaN stays NaN and is not a test.

    The same numbers as ``statsmodels.stats.multitest.multipletests(p, method="fdr_bh")[1]``
    (a test checks it), without statsmodels' garbage collection on every call.

    Examples
    --------
    >>> bh_adjust([0.01, 0.04, float("nan"), 0.03]).round(3)
    array([0.03, 0.04,  nan, 0.04])
    """
    p = np.asarray(p, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = np.flatnonzero(~np.isnan(p))
    if ok.size:
        order = ok[np.argsort(p[ok], kind="stable")]
        scaled = p[order] * ok.size / np.arange(1, ok.size + 1)
        out[order] = np.minimum(np.minimum.accumulate(scaled[::-1])[::-1], 1.0)
    return out


def discoveries(p: np.ndarray | pd.Series | list[float], fdr: float = FDR) -> np.ndarray:
    """Which cells survive the policy (False for NaN)."""
    q = bh_adjust(p)
    return np.where(np.isnan(q), False, q <= fdr)
