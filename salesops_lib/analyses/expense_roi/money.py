"""Money and window helpers shared by the expense analyses: cents, safe ratios, fiscal year.

Every amount that leaves this package is rounded to cents; every ratio whose denominator is
zero or missing is NaN (never a ``ZeroDivisionError``, never ±inf), and the tables say why in
a ``status`` column.
"""

from __future__ import annotations

import datetime as dt
from typing import cast, overload

import numpy as np
import pandas as pd

from salesops_lib.core.periods import add_months


@overload
def to_cents(values: pd.Series) -> pd.Series: ...
@overload
def to_cents(values: np.ndarray) -> np.ndarray: ...
@overload
def to_cents(values: float) -> float: ...
@overload
def to_cents(values: pd.Series | np.ndarray | float) -> pd.Series | np.ndarray | float: ...
def to_cents(values: pd.Series | np.ndarray | float) -> pd.Series | np.ndarray | float:
    """Round money to cents (half to even, like the ledger); NaN stays NaN.

    >>> float(to_cents(0.1 + 0.2))
    0.3
    """
    if isinstance(values, pd.Series):
        return values.astype("float64").round(2)
    if np.isscalar(values):
        # np.isscalar narrows to numpy's scalar union; here the scalar is a float (the signature)
        return round(float(cast("float", values)), 2)
    return np.round(np.asarray(values, dtype="float64"), 2)


@overload
def safe_ratio(numerator: pd.Series, denominator: pd.Series | float | None) -> pd.Series: ...
@overload
def safe_ratio(numerator: float, denominator: pd.Series) -> pd.Series: ...
@overload
def safe_ratio(numerator: float, denominator: float | None) -> float: ...
@overload
def safe_ratio(numerator: pd.Series | float, denominator: pd.Series | float | None) -> pd.Series | float: ...
def safe_ratio(numerator: pd.Series | float, denominator: pd.Series | float | None) -> pd.Series | float:
    """``numerator / denominator``, NaN where the denominator is zero or missing.

    >>> safe_ratio(1.0, 0.0)
    nan
    """
    if isinstance(numerator, pd.Series) or isinstance(denominator, pd.Series):
        index = numerator.index if isinstance(numerator, pd.Series) else cast("pd.Series", denominator).index
        num = pd.Series(numerator, index=index, dtype="float64")
        den = pd.Series(denominator, index=index, dtype="float64")
        return num / den.where(den != 0)
    den_f = float(denominator) if denominator is not None else np.nan
    if den_f == 0 or np.isnan(den_f):
        return np.nan
    return float(numerator) / den_f


def fiscal_year(as_of: dt.date, start_month: int = 1) -> tuple[dt.date, dt.date]:
    """First and last day of the fiscal year that contains ``as_of``.

    >>> fiscal_year(dt.date(2025, 6, 30), 4)
    (datetime.date(2025, 4, 1), datetime.date(2026, 3, 31))
    """
    year = as_of.year if as_of.month >= start_month else as_of.year - 1
    first = dt.date(year, start_month, 1)
    return first, add_months(first, 12) - dt.timedelta(days=1)


def months_before(day: dt.date, months: int) -> dt.date:
    """The day after the date ``months`` months before ``day`` (a window of ``months`` months ending on ``day``)."""
    return add_months(day, -months) + dt.timedelta(days=1)
