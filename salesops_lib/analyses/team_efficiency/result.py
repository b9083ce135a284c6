"""The team-efficiency result: data only (the page words it)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from salesops_lib.analyses.findings import Finding
from salesops_lib.analyses.team_efficiency.drivers import PanelFit
from salesops_lib.analyses.team_efficiency.incentives import CommissionPlan
from salesops_lib.analyses.team_efficiency.ramp import RampCurve


@dataclass(frozen=True)
class TeamEfficiencyResult:
    """Per-FTE productivity, flags, scorecard, drivers, ramp and incentive simulation for a period."""

    period: str
    region: str
    benchmark: str
    #: the flag rule: gap threshold, confidence, minimum FTE of a unit and of a rep
    threshold: float
    confidence: float
    min_fte: float
    min_rep_fte: float
    #: first and last month of the comparison window ("YYYY-MM")
    window: tuple[str, str]
    #: scorecard quarter ("2025Q2") and whether it is complete at the period's end
    quarter: str
    quarter_complete: bool
    #: company over the window: revenue, fte, the three per-FTE values, headcount, hires, exits
    company: dict[str, float]
    #: one row per region and team: window totals, selling FTE, active reps, per-FTE values,
    #: headcount, benchmark, gap with intervals, shrunk gap, robust z, the rep-composition test
    #: (p_value, q_value, null_low…null_high, survives), flagged/strong (alerts), watch (low),
    #: shortfall and cause parts
    units: pd.DataFrame
    #: one row per rep with window FTE > 0: the same columns plus ``ramping``
    reps: pd.DataFrame
    #: company, region and team × month over the last 12 months: revenue, fte, per-FTE values,
    #: ``gap`` (vs the company that month)
    monthly: pd.DataFrame
    #: per team: spread of rep revenue per FTE (p10 … p90)
    spread: pd.DataFrame
    #: the quarter's scorecard (eligible reps, best first) and the metrics it used
    scorecard: pd.DataFrame
    components: tuple[str, ...]
    #: stars of the last four quarters
    stars: pd.DataFrame
    #: activity elasticities in plain numbers (see ``drivers.reading``), the fit behind them
    drivers: pd.DataFrame
    fit: PanelFit | None
    ramp: RampCurve | None
    #: per rep payouts of the quarter, their totals and the what-if scenarios
    plan: CommissionPlan
    payouts: pd.DataFrame
    payout_summary: dict[str, float]
    whatif: pd.DataFrame
    findings: tuple[Finding, ...]
    #: roster reps employed in the window without any selling trace in or around it (FTE 0, not heads)
    inactive: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: permutations behind the composition p-values; days a selling span is widened at each end
    permutations: int = 0
    grace_days: int = 0
    #: codes of what the source could not support (no_activities, no_hire_dates, no_targets, …)
    notes: tuple[str, ...] = field(default=())
