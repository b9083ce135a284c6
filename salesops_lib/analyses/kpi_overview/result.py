"""The KPI overview's result: data only (the page words it)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from salesops_lib.analyses.findings import Finding


@dataclass(frozen=True)
class KpiOverviewResult:
    """Tiles, trend and regional breakdown of the month's KPIs."""

    period: str
    #: one row per metric: metric, unit, higher_is_better, value, previous, last_year,
    #: change_prev, change_yoy (relative)
    tiles: pd.DataFrame
    #: month × metric values over the last 13 months (company, or the region in scope)
    trend: pd.DataFrame
    #: metric × region values for the month
    by_region: pd.DataFrame
    findings: tuple[Finding, ...]
