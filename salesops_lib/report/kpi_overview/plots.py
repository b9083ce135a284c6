"""The KPI overview's chart: the last 13 months of every KPI."""

from __future__ import annotations

from matplotlib.figure import Figure

from salesops_lib.analyses.kpi_overview import KpiOverviewResult
from salesops_lib.report.plots import small_multiples


def trend(result: KpiOverviewResult, lang: str) -> Figure:
    """Last 13 months of every KPI."""
    return small_multiples(result.trend, lang)
