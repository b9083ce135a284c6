"""How much the forecast can be trusted: the short-history and low-signal guard.

A forecast is *weak* when any of these holds at the root (the company, or the region of the run):

* ``short_history`` — fewer than :data:`MIN_HISTORY_MONTHS` months of revenue (two yearly
  cycles): seasonality cannot be told from noise, and the backtest has few origins to try.
* ``few_backtests`` — fewer than :data:`MIN_BACKTEST_WINDOWS` complete backtest windows of the
  target window: σ, the bias and the band rest on too few out-of-sample errors.
* ``low_signal`` — with enough windows, the blend's backtest error of the period total is not
  below the seasonal naive's (``vs_snaive`` ≥ 1 in :func:`~.accuracy.accuracy_table`).

A weak forecast is shown beside its naive benchmark (:func:`naive_benchmark`) and raises no
confident finding (see :mod:`.findings`). Pure: arrays in, a frozen record out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from salesops_lib.analyses.forecast.conformal import MIN_WINDOWS
from salesops_lib.core.periods import months_between

Reason = Literal["short_history", "few_backtests", "low_signal"]
REASONS: tuple[Reason, ...] = ("short_history", "few_backtests", "low_signal")

SEASON = 12
MIN_HISTORY_MONTHS = 2 * SEASON
"""Two yearly cycles: with fewer, a seasonal pattern and a one-off month look alike."""
MIN_BACKTEST_WINDOWS = MIN_WINDOWS
"""Complete backtest windows the root needs for its band to mean what it says. The 80 % band's
ends are the 10 % and 90 % quantiles of the out-of-sample errors; with ``n`` exchangeable errors
even the widest band they allow (smallest to largest error) holds a new one with probability
``(n − 1) / (n + 1)``: 78 % at 8 — the lower edge of the 78–82 % an 80 % band is held to —,
71 % at 6, 33 % at 2. Below 8 no set of backtest errors can support an 80 % band (the floor of
the empirical bands, which widen below it: :data:`.conformal.MIN_WINDOWS`)."""
RECENT_MONTHS = 3
"""Without the same months a year earlier, the naive benchmark runs at the mean of these last months."""


@dataclass(frozen=True)
class ForecastStrength:
    """Whether the root's forecast rests on enough history and backtest to be acted on."""

    #: why the forecast is weak, in the order of :data:`REASONS` (empty: it is not)
    reasons: tuple[Reason, ...]
    #: months from the root's first month with revenue to the reporting month
    history_months: int
    #: complete backtest windows of the target window at the root
    windows: int
    #: the seasonal-naive forecast of the target period's total (booked to date included)
    naive_forecast: float
    #: the blend's backtest error ÷ the seasonal naive's at the root (None without windows)
    vs_snaive: float | None = None

    @property
    def weak(self) -> bool:
        """True when any reason holds."""
        return bool(self.reasons)

    def figures(self) -> dict[str, int | float | None]:
        """The numbers the reasons are worded with: months and windows, what each needs, vs_snaive."""
        return {
            "months": self.history_months,
            "windows": self.windows,
            "needed_months": MIN_HISTORY_MONTHS,
            "needed_windows": MIN_BACKTEST_WINDOWS,
            "vs_snaive": self.vs_snaive,
        }


def assess(history_months: int, windows: int, vs_snaive: float | None, naive_forecast: float) -> ForecastStrength:
    """The strength of a forecast from its history length, backtest windows and relative error.

    Examples
    --------
    >>> assess(23, 8, 0.7, 100.0).reasons, assess(24, 8, 0.7, 100.0).weak
    (('short_history',), False)
    >>> assess(30, 7, 1.2, 100.0).reasons, assess(30, 8, 1.0, 100.0).reasons
    (('few_backtests',), ('low_signal',))
    """
    finite = vs_snaive is not None and bool(np.isfinite(vs_snaive))
    reasons: list[Reason] = []
    if history_months < MIN_HISTORY_MONTHS:
        reasons.append("short_history")
    if windows < MIN_BACKTEST_WINDOWS:
        reasons.append("few_backtests")
    elif finite and vs_snaive is not None and vs_snaive >= 1:
        reasons.append("low_signal")
    return ForecastStrength(
        reasons=tuple(reasons),
        history_months=int(history_months),
        windows=int(windows),
        naive_forecast=float(naive_forecast),
        vs_snaive=float(vs_snaive) if finite and vs_snaive is not None else None,
    )


def history_months(history: pd.Series) -> int:
    """Months from the first month with revenue to the last month of ``history`` (0 without revenue).

    Examples
    --------
    >>> history_months(pd.Series([0.0, 0.0, 5.0, 0.0, 7.0], index=pd.date_range("2025-01-01", periods=5, freq="MS")))
    3
    """
    positive = np.flatnonzero(history.to_numpy(dtype=float) > 0)
    return int(len(history) - positive[0]) if len(positive) else 0


def naive_benchmark(history: pd.Series, first: pd.Timestamp, last: pd.Timestamp) -> float:
    """The seasonal-naive total of the target months ``first``..``last`` (month starts), built as
    the forecast's own total is: the revenue booked in the target months to date (``history``:
    revenue by month start, ending with the reporting month) plus, for the months still ahead,
    the same calendar months one year earlier (or the latest year before the reporting month)
    when the history since its first revenue holds them, else the mean of the last
    :data:`RECENT_MONTHS` months per month ahead.

    Examples
    --------
    >>> months = pd.date_range("2024-01-01", "2025-05-01", freq="MS")
    >>> y = pd.Series(np.arange(1.0, len(months) + 1), index=months)  # Jan 2024 = 1 … May 2025 = 17
    >>> naive_benchmark(y, pd.Timestamp("2025-04-01"), pd.Timestamp("2025-06-01"))  # 16 + 17 booked, June 2024 = 6
    39.0
    >>> naive_benchmark(y.iloc[-7:], pd.Timestamp("2025-07-01"), pd.Timestamp("2025-09-01"))  # (15 + 16 + 17) / 3 × 3
    48.0
    """
    months = pd.DatetimeIndex(history.index)
    values = history.to_numpy(dtype=float)
    month = months[-1]
    booked = float(values[(months >= first) & (months <= month)].sum())
    ahead = pd.date_range(max(first, month + pd.offsets.MonthBegin(1)), last, freq="MS")
    if len(ahead) == 0:
        return booked
    positive = np.flatnonzero(values > 0)
    if not len(positive):
        return booked
    start = months[positive[0]]
    years = -(-months_between(month, ahead[-1]) // SEASON)  # whole years back to reach known months
    earlier = ahead - pd.DateOffset(months=SEASON * years)
    if earlier[0] >= start:
        return booked + float(history.reindex(earlier, fill_value=0.0).sum())
    recent = values[positive[0] :][-RECENT_MONTHS:]
    return booked + float(recent.mean()) * len(ahead)


def root_strength(
    history: pd.Series,
    complete: pd.DataFrame,
    accuracy: pd.DataFrame,
    root_level: str,
    root: str,
    first: pd.Timestamp,
    last: pd.Timestamp,
) -> ForecastStrength:
    """The strength of the root's forecast: ``history`` its revenue by month, ``complete`` the
    backtest windows with an actual (``origin``, ``level``, ``unit``), ``accuracy`` the table of
    :func:`~.accuracy.accuracy_table`, ``first``..``last`` the target months.
    """
    mine = complete[(complete["level"] == root_level) & (complete["unit"] == root)]
    blend = accuracy[(accuracy["level"] == root_level) & (accuracy["method"] == "blend")]
    vs_snaive = float(blend["vs_snaive"].iloc[0]) if len(blend) else None
    return assess(
        history_months(history), int(mine["origin"].nunique()), vs_snaive, naive_benchmark(history, first, last)
    )
