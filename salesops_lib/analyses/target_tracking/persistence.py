"""Persistence rules: "N consecutive complete periods strictly below X % of target".

A run counts consecutive *evaluated* periods (a rep not employed all the period, or a unit
without a target, is not evaluated and breaks the run) whose attainment is strictly below the
threshold, ending with the latest period. Attainment is compared after rounding to 1e-9, so a
unit exactly at the threshold (80 % = 0.8, even when the division gives 0.7999999999) does not
fire; neither does a run of N − 1 periods.
"""

from __future__ import annotations

import numpy as np

PRECISION = 9
"""Decimal places of attainment before the comparison (float noise never decides a warning)."""


def below(actual: np.ndarray, target: np.ndarray, evaluated: np.ndarray, threshold: float) -> np.ndarray:
    """True where the period is evaluated and attainment is strictly below ``threshold``."""
    with np.errstate(divide="ignore", invalid="ignore"):
        attainment = np.where(target > 0, actual / target, np.nan)
    return evaluated & (target > 0) & (np.round(attainment, PRECISION) < threshold)


def current_run(flags: np.ndarray) -> np.ndarray:
    """Units × periods booleans → the length of the run of True that ends with the last period.

    Examples
    --------
    >>> current_run(np.array([[True, True, True], [True, False, True], [False, False, False]])).tolist()
    [3, 1, 0]
    """
    flags = np.asarray(flags, dtype=bool)
    if flags.shape[1] == 0:
        return np.zeros(flags.shape[0], dtype=int)
    reversed_flags = flags[:, ::-1]
    broken = ~reversed_flags
    first_break: np.ndarray = np.where(broken.any(axis=1), broken.argmax(axis=1), flags.shape[1])
    return first_break.astype(int)


def alerts(actual: np.ndarray, target: np.ndarray, evaluated: np.ndarray, threshold: float, periods: int) -> np.ndarray:
    """Units × periods → run length of units whose current run reaches ``periods`` (0 for the others)."""
    run = current_run(below(actual, target, evaluated, threshold))
    return np.where(run >= periods, run, 0)
