"""Exact integer rounding: amounts in whole rounding steps that add up to their totals.

Money is split in integer steps (cents, whole yuan or hundreds — the ``step`` parameter), never
in floats that fail to add up. Two tools:

* :func:`round_bounded` — the largest-remainder (Hamilton) method with per-item bounds: real
  quotas become integers whose sum is exactly the total;
* :func:`round_matrix` — controlled rounding of a units × months matrix: every row hits its
  integer total (the unit's year) and every column its integer total (the parent's month).
"""

from __future__ import annotations

import numpy as np

UNBOUNDED = np.int64(2**62)
"""Upper bound of an item without a cap (an int64 that no amount reaches)."""


class RoundingError(ValueError):
    """The bounds cannot hold together with the total (an internal guard: callers check first)."""


def largest_remainder(total: int, weights: np.ndarray) -> np.ndarray:
    """Split the integer ``total`` in proportion to ``weights``; the parts sum exactly to it.

    All-zero weights split equally. Ties go to the earlier item.

    Examples
    --------
    >>> largest_remainder(10, np.array([1.0, 1.0, 1.0])).tolist()
    [4, 3, 3]
    """
    weights = np.asarray(weights, dtype=float)
    if weights.size == 0:
        if total:
            raise RoundingError(f"cannot split {total} over no items")
        return np.zeros(0, dtype=np.int64)
    if weights.sum() <= 0:
        weights = np.ones_like(weights)
    quotas = total * weights / weights.sum()
    return round_bounded(quotas, total, np.zeros(weights.size, np.int64), np.full(weights.size, UNBOUNDED))


def round_bounded(quotas: np.ndarray, total: int, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Integers within ``[lower, upper]`` summing to ``total``, each as close to its quota as the
    largest-remainder method makes it: floor every quota, then give the missing steps to the
    largest remainders (or take surplus steps from the smallest).

    Raises :class:`RoundingError` when ``sum(lower) > total`` or ``sum(upper) < total``.
    """
    quotas = np.asarray(quotas, dtype=float)
    lower = np.asarray(lower, dtype=np.int64)
    upper = np.asarray(upper, dtype=np.int64)
    if int(lower.sum()) > total or (bool((upper < UNBOUNDED).all()) and int(upper.sum()) < total):
        raise RoundingError(f"bounds [{int(lower.sum())}, {int(upper.sum())}] cannot hold a total of {total}")
    values = np.clip(np.floor(quotas + 1e-9), lower, upper).astype(np.int64)
    remainder = quotas - values
    missing = int(total - values.sum())
    while missing > 0:
        room = np.flatnonzero(values < upper)
        chosen = room[np.argsort(-remainder[room], kind="stable")][:missing]
        values[chosen] += 1
        remainder[chosen] -= 1
        missing -= chosen.size
    while missing < 0:
        room = np.flatnonzero(values > lower)
        chosen = room[np.argsort(remainder[room], kind="stable")][:-missing]
        values[chosen] -= 1
        remainder[chosen] += 1
        missing += chosen.size
    return values


def round_matrix(real: np.ndarray, row_totals: np.ndarray, col_totals: np.ndarray) -> np.ndarray:
    """A non-negative integer matrix with exactly the given row and column totals, close to ``real``.

    ``real`` should already (nearly) have these margins (e.g. after :func:`balance`). Rows are
    rounded by largest remainder; then single steps move within a row from a column with a
    surplus to one with a deficit, each time in the row where the move costs least (rows stay
    exact; cells that ``real`` leaves empty are used only when nothing else can take the step).

    Examples
    --------
    >>> round_matrix(np.array([[0.5, 0.5], [0.5, 0.5]]), np.array([1, 1]), np.array([1, 1])).tolist()
    [[0, 1], [1, 0]]
    >>> round_matrix(np.array([[0.7, 0.3], [0.2, 0.8]]), np.array([1, 1]), np.array([1, 1])).tolist()
    [[1, 0], [0, 1]]
    """
    real = np.asarray(real, dtype=float)
    row_totals = np.asarray(row_totals, dtype=np.int64)
    col_totals = np.asarray(col_totals, dtype=np.int64)
    if int(row_totals.sum()) != int(col_totals.sum()):
        raise RoundingError(f"row totals ({int(row_totals.sum())}) and column totals ({int(col_totals.sum())}) differ")
    rows, cols = real.shape
    result = np.zeros((rows, cols), dtype=np.int64)
    for i in range(rows):
        weights = real[i] if real[i].sum() > 0 else np.ones(cols)
        result[i] = largest_remainder(int(row_totals[i]), weights)
    deficit = col_totals - result.sum(axis=0)
    empty_penalty = 1e6 * max(1.0, float(np.abs(real).max(initial=0.0)))
    while deficit.any():
        source = int(np.argmin(deficit))  # column with the largest surplus
        target = int(np.argmax(deficit))  # column with the largest deficit
        candidates = np.flatnonzero(result[:, source] >= 1)
        cost = (real[candidates, source] - result[candidates, source]) + (
            result[candidates, target] - real[candidates, target]
        )
        cost = cost + np.where(real[candidates, target] > 0, 0.0, empty_penalty)
        row = int(candidates[np.argmin(cost)])
        bulk = int(min(-deficit[source], deficit[target], result[row, source]))
        step = 1 if np.abs(deficit).max() <= rows else bulk
        result[row, source] -= step
        result[row, target] += step
        deficit[source] += step
        deficit[target] -= step
    return result


def balance(
    seed: np.ndarray, row_totals: np.ndarray, col_totals: np.ndarray, *, iterations: int = 500, tolerance: float = 1e-10
) -> np.ndarray:
    """Iterative proportional fitting (RAS): scale rows and columns of ``seed`` (≥ 0) until its
    margins match ``row_totals`` and ``col_totals`` (as far as its zero pattern allows).

    The closest matrix to ``seed``, in relative-entropy terms, with the given margins: each
    unit keeps its own monthly profile as far as the parent's months allow.
    """
    matrix = np.asarray(seed, dtype=float).copy()
    rows = np.asarray(row_totals, dtype=float)
    cols = np.asarray(col_totals, dtype=float)
    scale = max(1.0, float(rows.sum()))
    for _ in range(iterations):
        row_sums = matrix.sum(axis=1)
        matrix *= np.divide(rows, row_sums, out=np.zeros_like(rows), where=row_sums > 0)[:, None]
        col_sums = matrix.sum(axis=0)
        matrix *= np.divide(cols, col_sums, out=np.zeros_like(cols), where=col_sums > 0)[None, :]
        if np.abs(matrix.sum(axis=1) - rows).max(initial=0.0) <= tolerance * scale:
            break
    return matrix
