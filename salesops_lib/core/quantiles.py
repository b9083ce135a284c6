"""Quantiles of counted values: the exact quantile without sorting the values themselves."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np


def quantile_of_counts(values: Sequence[float] | np.ndarray, counts: Sequence[float] | np.ndarray, q: float) -> float:
    """The ``q`` quantile, interpolated as SQL's ``QUANTILE_CONT``/``PERCENTILE_CONT`` (and
    ``numpy.quantile``), of a sample given as distinct ``values`` and how often each occurs
    (NaN for an empty sample).

    Lags in whole days come back from the engine as a few hundred (value, count) rows instead
    of tens of millions of sorted rows; the quantile of those counts is the exact one.

    Examples
    --------
    >>> quantile_of_counts([3, 1, 2], [1, 2, 1], 0.5)  # of 1, 1, 2, 3
    1.5
    >>> quantile_of_counts([], [], 0.9)
    nan
    """
    v = np.asarray(values, dtype="float64")
    n = np.asarray(counts, dtype="float64")
    keep = ~np.isnan(v) & (n > 0)
    order = np.argsort(v[keep], kind="stable")
    sorted_values, ranks = v[keep][order], np.cumsum(n[keep][order])
    total = int(ranks[-1]) if len(ranks) else 0
    if not total:
        return math.nan
    position = q * (total - 1)
    lower = math.floor(position)

    def at(rank: int) -> float:  # values of rank < ranks[i] are at or below sorted_values[i]
        return float(sorted_values[int(np.searchsorted(ranks, rank, side="right"))])

    low, share = at(lower), position - lower
    if not share:
        return low
    return low * (1 - share) + at(lower + 1) * share  # DuckDB's interpolation, to the last bit
