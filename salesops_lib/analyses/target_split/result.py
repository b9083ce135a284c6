"""The target split's result: data only (the page words it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from salesops_lib.analyses.findings import Finding
from salesops_lib.analyses.target_split.plan import Plan


@dataclass(frozen=True)
class TargetSplitResult:
    """A split with its audit, what-if comparison and findings."""

    period: str
    #: limit of the views to one region ("" = the company)
    region: str
    plan: Plan
    #: one row per region/team/rep: implied growth vs own (or peer) achieved growth quantiles
    achievability: pd.DataFrame
    #: per level and measure: min, median, max, CV, Gini
    fairness: pd.DataFrame
    #: regions and teams: target share vs FTE share vs budget share
    alignment: pd.DataFrame
    #: what-if comparison (empty without ``whatif``): level, unit_id, target, target_whatif, change
    whatif: pd.DataFrame
    #: the what-if's settings as given (e.g. "method_rep=capacity")
    whatif_settings: str
    #: the settings the pages quote: growth_floor, growth_cap, bound_levels, locks (count), stretch_quantile
    settings: dict[str, Any]
    findings: tuple[Finding, ...]

    @property
    def units(self) -> pd.DataFrame:
        """One row per unit of the plan (:attr:`Plan.units`)."""
        return self.plan.units

    @property
    def monthly(self) -> pd.DataFrame:
        """One row per unit × planned month (:attr:`Plan.monthly`)."""
        return self.plan.monthly
