"""The monthly review: KPI tiles against target, previous month and last year, and the period's
top findings across every analysis, ranked by severity and money at stake.

Pure: the findings come in as data (the runner hands over what the other reports found; an
analyst's notebook collects them by running the analyses), nothing is recomputed here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import pandas as pd

from salesops_lib.analyses import kpi_overview
from salesops_lib.analyses.findings import Finding, rank
from salesops_lib.analyses.monthly_review.params import MonthlyReviewParams
from salesops_lib.analyses.monthly_review.result import MonthlyReviewResult
from salesops_lib.config.scope import RunScope
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


def compute(
    data: Dataset, scope: RunScope, params: MonthlyReviewParams, findings: Sequence[Finding] = ()
) -> MonthlyReviewResult:
    """Tiles for the month and the ``params.top`` most important ``findings`` of the period."""
    names = ",".join(n for n in HEADLINE_METRICS if n in METRICS and METRICS[n].available(data))
    overview = kpi_overview.compute(data, scope, kpi_overview.KpiOverviewParams(metrics=names))
    tiles = overview.tiles.copy()
    tiles["target"] = float("nan")
    tiles["vs_target"] = float("nan")
    if METRICS["attainment"].available(data):
        start, end = scope.month
        level: Level = "region" if scope.region else "company"
        att = compute_metric(data, "attainment", Grain(period="month", level=level, start=start, end=end))
        if scope.region:
            att = att[att["unit"] == scope.region]
        if not att.empty:
            mask = tiles["metric"] == "revenue"
            tiles.loc[mask, "target"] = float(att["denominator"].iloc[0])
            tiles.loc[mask, "vs_target"] = float(att["value"].iloc[0])
    in_period = [f for f in findings if f.period == scope.period]
    ranked = tuple(_distinct(rank(in_period))[: params.top])
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
    return MonthlyReviewResult(scope.period, tiles, ranked, coverage)


def _distinct(ranked: list[Finding]) -> list[Finding]:
    """Drop repeats: one customer flagged by several analyses (forecast risks, collections) is
    listed once, under its most severe finding.
    """
    seen: set[tuple[str, str]] = set()
    out = []
    for finding in ranked:
        key = (finding.level, finding.unit) if finding.level == "customer" else (finding.id, "")
        if key in seen:
            continue
        seen.add(key)
        out.append(finding)
    return out
