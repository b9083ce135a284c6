"""The monthly review: KPI tiles against target, previous month and last year; target vs actual
by region, the target → actual bridge (:mod:`.bridge`), the 12-month trend with the forecast's
band, the top and bottom reps, the quarter's forecast; and the period's top findings across every
analysis, one per subject, ranked by severity and money at stake.

The findings come in as data (the runner hands over what the other reports found; an analyst's
notebook collects them by running the analyses); the forecast is the forecast analysis' own result
(handed over, or computed here with its default parameters), never a second forecast.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from salesops_lib.analyses import forecast as forecast_analysis
from salesops_lib.analyses import kpi_overview
from salesops_lib.analyses.findings import Finding, distinct
from salesops_lib.analyses.forecast import ForecastResult
from salesops_lib.analyses.monthly_review.board import leaderboard, month_attainment, region_board
from salesops_lib.analyses.monthly_review.bridge import FACTORS, month_bridge
from salesops_lib.analyses.monthly_review.params import MonthlyReviewParams
from salesops_lib.analyses.monthly_review.result import MonthlyReviewResult
from salesops_lib.config.scope import RunScope
from salesops_lib.core.periods import add_months
from salesops_lib.data import Dataset
from salesops_lib.metrics import METRICS, Grain, compute_metric

if TYPE_CHECKING:
    from salesops_lib.metrics.grain import Level

HEADLINE_METRICS = (
    "revenue",
    "attainment",
    "win_rate",
    "lead_conversion_rate",
    "avg_deal_size",
    "collection_rate",
    "dso",
    "expense_ratio",
    "revenue_per_fte",
    "customer_ltv",
)


TREND_MONTHS = 12
"""Months of actual revenue on the trend chart (the period and the 11 before it)."""


def compute(
    data: Dataset,
    scope: RunScope,
    params: MonthlyReviewParams,
    findings: Sequence[Finding] = (),
    forecast: ForecastResult | None = None,
) -> MonthlyReviewResult:
    """Tiles and charts' data for the month and the ``params.top`` most important ``findings``
    of the period (one per subject); ``forecast``: the forecast analysis' result of the period,
    computed here with its default parameters when not handed over.
    """
    start, end = scope.month
    shown = ",".join(n for n in HEADLINE_METRICS if n in METRICS and METRICS[n].available(data))
    overview = kpi_overview.compute(data, scope, kpi_overview.KpiOverviewParams(metrics=shown))
    tiles = overview.tiles.copy()
    tiles["target"] = float("nan")
    tiles["vs_target"] = float("nan")
    if METRICS["attainment"].available(data):
        level: Level = "region" if scope.region else "company"
        att = compute_metric(data, "attainment", Grain(period="month", level=level, start=start, end=end))
        if scope.region:
            att = att[att["unit"] == scope.region]
        if not att.empty:
            mask = tiles["metric"] == "revenue"
            tiles.loc[mask, "target"] = float(att["denominator"].iloc[0])
            tiles.loc[mask, "vs_target"] = float(att["value"].iloc[0])
    in_period = [f for f in findings if f.period == scope.period]
    ranked = tuple(distinct(in_period)[: params.top])
    coverage = (
        (
            pd.DataFrame([{"analysis": f.analysis, "severity": f.severity} for f in in_period])
            .value_counts()
            .rename("findings")
            .reset_index()
        )
        if in_period
        else pd.DataFrame(columns=["analysis", "severity", "findings"])
    )
    if forecast is None and not forecast_analysis.SPEC.missing(data):
        forecast = forecast_analysis.SPEC.run(data, scope)
    by_region = month_attainment(data, scope) if METRICS["attainment"].available(data) else None
    regions = region_board(data, scope, _region_names(forecast), by_region)
    bridge = month_bridge(data, start, end, by_region) if not scope.region else pd.DataFrame(columns=["step", "amount"])
    quarter = _quarter(forecast)
    return MonthlyReviewResult(
        scope.period,
        tiles,
        ranked,
        coverage,
        regions=regions,
        bridge=bridge,
        trend=_trend(forecast, start),
        leaders=leaderboard(data, scope, top=params.leaders),
        quarter=quarter,
        headline=headline_facts(tiles, regions, bridge, quarter),
    )


def headline_facts(
    tiles: pd.DataFrame, regions: pd.DataFrame, bridge: pd.DataFrame, quarter: dict[str, Any]
) -> dict[str, Any]:
    """The figures of the one-sentence headline: ``actual``, ``target``, ``attainment`` and
    ``gap`` of revenue; the ``driver`` (the bridge step that moved revenue most in the gap's
    direction) and its ``driver_amount``; the ``worst_region`` (name; ``worst_unit`` its id) and its ``worst_attainment``
    when there are several regions; the quarter's ``quarter``, ``p_hit`` and ``quarter_attainment``.
    A figure the data cannot give is left out.
    """
    facts: dict[str, Any] = {}
    revenue = tiles[tiles["metric"] == "revenue"]
    if not revenue.empty and pd.notna(revenue["value"].iloc[0]):
        facts["actual"] = float(revenue["value"].iloc[0])
        target = revenue["target"].iloc[0]
        if pd.notna(target) and target > 0:
            facts |= {"target": float(target), "attainment": facts["actual"] / float(target)}
            facts["gap"] = facts["actual"] - float(target)
    if not bridge.empty and "gap" in facts:
        parts = bridge.set_index("step")["amount"].reindex(list(FACTORS)).dropna()
        sign = 1.0 if facts["gap"] >= 0 else -1.0
        toward = parts[parts * sign > 0]
        if not toward.empty:
            driver = str((toward * sign).idxmax())
            facts |= {"driver": driver, "driver_amount": float(parts[driver])}
    if len(regions) > 1 and regions["attainment"].notna().any():
        worst = regions.sort_values("attainment").iloc[0]
        facts |= {
            "worst_region": str(worst["name"]),
            "worst_unit": str(worst["unit"]),
            "worst_attainment": float(worst["attainment"]),
        }
    if quarter and pd.notna(quarter.get("p_hit")):
        facts |= {"quarter": quarter["label"], "p_hit": float(quarter["p_hit"])}
        if pd.notna(quarter.get("attainment")):
            facts["quarter_attainment"] = float(quarter["attainment"])
    return facts


def _region_names(forecast: ForecastResult | None) -> dict[str, str]:
    """Region id → display name, as the forecast's org tree names them (the id where no name)."""
    if forecast is None or forecast.units.empty:
        return {}
    units = forecast.units[forecast.units["level"] == "region"]
    return {str(u): str(n) for u, n in zip(units["unit"], units["name"], strict=True) if pd.notna(n)}


def _trend(forecast: ForecastResult | None, start: dt.date) -> pd.DataFrame:
    """The last :data:`TREND_MONTHS` months of actual and target, then the forecast's months of
    its target quarter with the forecast's own 80 % band (the forecast analysis' figures).
    """
    columns = ["month", "actual", "target", "forecast", "lo80", "hi80"]
    if forecast is None or forecast.monthly.empty:
        return pd.DataFrame(columns=columns)
    monthly = forecast.monthly.copy()
    monthly["month"] = pd.to_datetime(monthly["month"])
    first = pd.Timestamp(add_months(start, 1 - TREND_MONTHS))
    ahead = monthly["month"].dt.strftime("%Y-%m").isin(forecast.target_months)
    shown = monthly[((monthly["month"] >= first) & (monthly["month"] <= pd.Timestamp(start))) | ahead]
    return pd.DataFrame(shown.reindex(columns=columns).reset_index(drop=True))


def _quarter(forecast: ForecastResult | None) -> dict[str, Any]:
    """The forecast of its target quarter and the root's pipeline coverage of the remaining target."""
    if forecast is None:
        return {}
    head = forecast.headline
    out: dict[str, Any] = {"label": forecast.target_label, "weak": bool(head.get("weak", False))}
    for key in ("forecast", "lo80", "hi80", "target", "attainment", "p_hit", "booked", "pipeline"):
        value = head.get(key)
        out[key] = float(value) if value is not None and pd.notna(value) else float("nan")
    cov = forecast.coverage
    root = cov[(cov["level"] == forecast.root_level) & (cov["unit"] == forecast.root)] if not cov.empty else cov
    out["coverage"] = float(root["coverage"].iloc[0]) if not root.empty else float("nan")
    out["usual_coverage"] = float(root["usual_coverage"].iloc[0]) if not root.empty else float("nan")
    return out
