"""The monthly review's result: data only (the page words it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from salesops_lib.analyses.findings import Finding


@dataclass(frozen=True)
class MonthlyReviewResult:
    """Tiles (with the target where there is one), the executive charts' data and the ranked
    findings (one per subject). A frame is empty where the source cannot feed it.
    """

    period: str
    #: kpi_overview tiles plus ``target`` and ``vs_target`` (attainment) for revenue
    tiles: pd.DataFrame
    findings: tuple[Finding, ...]
    #: findings per analysis and severity (how much each report found)
    coverage: pd.DataFrame
    #: per region: ``unit``, ``name``, ``actual``, ``target``, ``attainment`` (worst first)
    regions: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: target → actual bridge: ``step`` (target, volume, mix, conversion, deal_size, actual), ``amount``
    bridge: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: by ``month``: ``actual``, ``target`` (last 12 months) and the forecast's ``forecast``,
    #: ``lo80``, ``hi80`` for the months of its target quarter (the forecast analysis' own figures)
    trend: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: top and bottom reps: ``rep_id``, ``name``, ``departed``, ``actual``, ``target``, ``attainment``, ``group``
    leaders: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: the forecast of the quarter: ``label``, ``forecast``, ``lo80``, ``hi80``, ``target``,
    #: ``attainment``, ``p_hit``, ``coverage``, ``usual_coverage``, ``weak`` (empty without a forecast)
    quarter: dict[str, Any] = field(default_factory=dict)
    #: the facts of the one-sentence headline (see :func:`.compute.headline_facts`)
    headline: dict[str, Any] = field(default_factory=dict)
