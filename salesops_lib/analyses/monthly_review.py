"""The monthly review: KPI tiles against target, previous month and last year, and the period's
top findings across every analysis, ranked by severity and money at stake.

Pure: the findings come in as data (the runner hands over what the other reports found; an
analyst's notebook collects them by running the analyses), nothing is recomputed here.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from salesops_lib.analyses import kpi_overview
from salesops_lib.analyses.findings import Finding, rank
from salesops_lib.config.params import KpiOverviewParams
from salesops_lib.config.reports.monthly_review import MonthlyReviewParams
from salesops_lib.data import Dataset
from salesops_lib.metrics import METRICS, Grain, compute_metric

ANALYSIS = "monthly_review"
HEADLINE_METRICS = ("revenue", "attainment", "win_rate", "lead_conversion_rate", "avg_deal_size",
                    "collection_rate", "dso", "expense_ratio", "revenue_per_fte", "customer_ltv")


@dataclass(frozen=True)
class MonthlyReviewResult:
    """Tiles (with the target where there is one) and the ranked findings."""

    period: str
    lang: str
    #: kpi_overview tiles plus ``target`` and ``vs_target`` (attainment) for revenue
    tiles: pd.DataFrame
    findings: tuple[Finding, ...]
    #: findings per analysis and severity (how much each report found)
    coverage: pd.DataFrame

    def _repr_html_(self) -> str:
        items = "".join(f"<li>{html.escape(f.severity)} · {html.escape(f.analysis)} · {html.escape(f.unit)}</li>"
                        for f in self.findings)
        return f"<p>{len(self.tiles)} KPIs, {len(self.findings)} findings</p><ul>{items}</ul>"


def compute(data: Dataset, params: MonthlyReviewParams, findings: Sequence[Finding]) -> MonthlyReviewResult:
    """Tiles for the month and the ``params.top`` most important ``findings`` of the period."""
    names = ",".join(n for n in HEADLINE_METRICS if n in METRICS and METRICS[n].available(data))
    overview = kpi_overview.compute(data, KpiOverviewParams(
        source=params.source, mapping=params.mapping, period=params.period, lang=params.lang,
        region=params.region, metrics=names))
    tiles = overview.tiles.copy()
    tiles["target"] = float("nan")
    tiles["vs_target"] = float("nan")
    if METRICS["attainment"].available(data):
        start, end = params.month
        level = "region" if params.region else "company"
        att = compute_metric(data, "attainment", Grain(period="month", level=level, start=start, end=end))
        if params.region:
            att = att[att["unit"] == params.region]
        if not att.empty:
            mask = tiles["metric"] == "revenue"
            tiles.loc[mask, "target"] = float(att["denominator"].iloc[0])
            tiles.loc[mask, "vs_target"] = float(att["value"].iloc[0])
    in_period = [f for f in findings if f.period == params.period]
    ranked = tuple(_distinct(rank(in_period))[: params.top])
    coverage = (pd.DataFrame([{"analysis": f.analysis, "severity": f.severity} for f in in_period])
                .value_counts().rename("findings").reset_index()) if in_period else pd.DataFrame(
        columns=["analysis", "severity", "findings"])
    return MonthlyReviewResult(params.period, params.lang, tiles, ranked, coverage)


def _distinct(ranked: list[Finding]) -> list[Finding]:
    """Drop repeats: one customer flagged by several analyses (forecast risks, collections) is
    listed once, under its most severe finding."""
    seen: set[tuple[str, str]] = set()
    out = []
    for finding in ranked:
        key = (finding.level, finding.unit) if finding.level == "customer" else (finding.id, "")
        if key in seen:
            continue
        seen.add(key)
        out.append(finding)
    return out
