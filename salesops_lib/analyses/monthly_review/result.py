"""The monthly review's result: data only (the page words it)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from salesops_lib.analyses.findings import Finding


@dataclass(frozen=True)
class MonthlyReviewResult:
    """Tiles (with the target where there is one) and the ranked findings."""

    period: str
    #: kpi_overview tiles plus ``target`` and ``vs_target`` (attainment) for revenue
    tiles: pd.DataFrame
    findings: tuple[Finding, ...]
    #: findings per analysis and severity (how much each report found)
    coverage: pd.DataFrame
