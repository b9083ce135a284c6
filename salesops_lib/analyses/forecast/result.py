"""The forecast's result: data only (the page words it)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd

from salesops_lib.analyses.findings import Finding
from salesops_lib.analyses.forecast.strength import ForecastStrength


@dataclass(frozen=True)
class ForecastResult:
    """Projected attainment of the target period with calibrated bands, the evidence behind it
    (backtest accuracy, interval coverage, model choices) and the risk warnings.
    """

    period: str
    as_of: dt.date
    #: the target period ("2025Q3"), its months and how many of them are still ahead
    target_label: str
    target_months: tuple[str, ...]
    months_ahead: int
    #: the root of the hierarchy ("company", "company") or ("region", id)
    root_level: str
    root: str
    #: the root's line: booked, remaining, forecast, lo80/hi80, lo95/hi95, target, attainment,
    #: p_hit, ts, pipeline (period totals), blend_weight; weak, weak_reasons and naive_forecast
    #: (the seasonal-naive total of the period) from :attr:`strength`
    headline: dict[str, Any]
    #: root by month: actual (history), forecast and its bands (ahead), target
    monthly: pd.DataFrame
    #: one row per (level, unit) for the target period: booked, remaining, forecast, bands,
    #: target, attainment, p_hit, ts, pipeline, sigma, name
    units: pd.DataFrame
    #: how the forecast was made: methods per top node, seasonality, reconciliation, blend weight
    model: dict[str, Any]
    #: top nodes × candidate methods: rolling-origin MASE (monthly, steps 1..h)
    scores: pd.DataFrame
    #: level × method: MAPE, MASE, bias, HubSpot accuracy, error vs seasonal naive (period totals)
    accuracy: pd.DataFrame
    #: level × band: empirical coverage before and after the correction, factor
    calibration: pd.DataFrame
    #: origin × unit: actual and every method's period total (the backtest itself)
    backtest: pd.DataFrame
    #: origin × unit with a target: the P(hit) stated then (out of sample) and whether it was hit
    hit_backtest: pd.DataFrame
    #: per (level, unit): pipeline coverage of the remaining target vs the unit's usual coverage
    coverage: pd.DataFrame
    #: open deals that slipped more than once, largest first (the first
    #: :data:`~salesops_lib.analyses.bounded.LIST_ROWS`), and how many there are
    slipping: pd.DataFrame
    slipping_total: int
    #: key accounts with declining or stopped orders (shared churn rule)
    key_accounts: pd.DataFrame
    findings: tuple[Finding, ...]
    #: whether the root's forecast rests on enough history and backtest (short-history guard)
    strength: ForecastStrength
