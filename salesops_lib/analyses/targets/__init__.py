"""Target split: the company's annual target decoded into region → team → rep targets by month.

Pure: ``compute(data, params) -> TargetSplitResult``; no I/O (the Excel workbooks are written by
:mod:`salesops_lib.report.target_workbooks`). One concern per module:

* :mod:`.inputs` — engine queries (rep × month bookings, potential, budgets, existing targets);
* :mod:`.capacity` — FTE and ramp;  :mod:`.seasonality` — monthly indices with shrinkage;
* :mod:`.plan` — roster, weights, bounds, locks;  :mod:`.allocation` — the exact split and
  phasing;  :mod:`.rounding` — integer largest-remainder and controlled rounding;
* :mod:`.audit` — achievability, fairness, alignment.

Every amount is an integer number of rounding steps (``params.step``), so every parent equals
the sum of its children at every level, in the year and in every month.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

import pandas as pd

from salesops_lib.analyses.findings import Finding
from salesops_lib.analyses.targets import audit
from salesops_lib.analyses.targets.allocation import TargetSplitError
from salesops_lib.analyses.targets.inputs import SplitInputs, load_inputs
from salesops_lib.analyses.targets.plan import Plan, build_plan, plan_months_of
from salesops_lib.config.reports.target_split import TargetSplitParams
from salesops_lib.data import Dataset

__all__ = ["TargetSplitError", "TargetSplitResult", "compare", "compute", "split"]

ANALYSIS = "target_split"
MATERIAL_EXCESS = 0.05
"""A stretch target is medium severity when it exceeds the achievable target by at least 5 % of itself."""


@dataclass(frozen=True)
class TargetSplitResult:
    """A split with its audit, what-if comparison and findings."""

    period: str
    lang: str
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
        return self.plan.units

    @property
    def monthly(self) -> pd.DataFrame:
        return self.plan.monthly

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{html.escape(str(r.unit_id))}</td><td>{r.base:,.0f}</td><td>{r.target:,.0f}</td>"
            f"<td>{r.growth:+.1%}</td></tr>"
            for r in self.units[self.units["level"].isin(["company", "region"])].itertuples()
        )
        head = ("<th>单位</th><th>基数</th><th>目标</th><th>增长</th>" if self.lang == "zh"
                else "<th>unit</th><th>base</th><th>target</th><th>growth</th>")
        return f"<table class='salesops-targets'><tr>{head}</tr>{rows}</table>"


def split(inputs: SplitInputs, params: TargetSplitParams) -> Plan:
    """The plan for ``params`` from already loaded inputs (see :func:`build_plan`)."""
    return build_plan(inputs, params)


def compute(data: Dataset, params: TargetSplitParams) -> TargetSplitResult:
    """Split the plan year's company target, audit it and compare the what-if.

    Examples
    --------
    >>> result = compute(connect("demo"), TargetSplitParams(period="2026-10"))  # doctest: +SKIP
    >>> result.units.query("level == 'region'")[["unit_id", "target", "growth"]]  # doctest: +SKIP
    """
    as_of = params.month[1]
    inputs = load_inputs(data, as_of, plan_months_of(params, as_of))
    plan = build_plan(inputs, params)
    alternative = params.whatif_params()
    comparison = pd.DataFrame()
    if alternative is not None:
        alt_months = plan_months_of(alternative, as_of)
        alt_inputs = inputs if alt_months.equals(plan.plan_months) else load_inputs(data, as_of, alt_months)
        comparison = compare(plan, build_plan(alt_inputs, alternative))
    achievable = audit.achievability(plan, params.stretch_quantile, inputs.data_start)
    fairness = audit.fairness(plan)
    aligned = audit.alignment(plan, inputs.budget)
    findings = _findings(plan, achievable, fairness, aligned, params)
    return TargetSplitResult(
        period=params.period, lang=params.lang, region=params.region, plan=plan, achievability=achievable,
        fairness=fairness, alignment=aligned, whatif=comparison, whatif_settings=params.whatif,
        settings={"growth_floor": params.growth_floor, "growth_cap": params.growth_cap,
                  "bound_levels": params.bound_levels, "locks": len(params.lock_list),
                  "stretch_quantile": params.stretch_quantile},
        findings=findings,
    )


def compare(a: Plan, b: Plan) -> pd.DataFrame:
    """Side by side: every unit's target in ``a`` and ``b`` (outer join: a unit may exist in one only)."""
    keys = ["level", "unit_id"]
    left = a.units[[*keys, "region", "team", "target", "growth"]]
    right = b.units[[*keys, "region", "team", "target", "growth"]].rename(
        columns={"target": "target_whatif", "growth": "growth_whatif", "region": "region_b", "team": "team_b"})
    both = left.merge(right, on=keys, how="outer", sort=False)
    both["region"] = both["region"].fillna(both.pop("region_b"))
    both["team"] = both["team"].fillna(both.pop("team_b"))
    both["difference"] = both["target_whatif"].fillna(0) - both["target"].fillna(0)
    both["change"] = both["difference"] / both["target"].where(both["target"] > 0)
    order = {"company": 0, "region": 1, "team": 2, "rep": 3}
    return both.sort_values(["level", "region", "team", "unit_id"], key=lambda s: s.map(order) if s.name == "level"
                            else s.fillna("")).reset_index(drop=True)


def _findings(plan: Plan, achievable: pd.DataFrame, fairness: pd.DataFrame, aligned: pd.DataFrame,
              params: TargetSplitParams) -> tuple[Finding, ...]:
    out: list[Finding] = []
    period = params.period
    base = {"analysis": ANALYSIS, "period": period, "metric": "revenue"}
    stretched = achievable[achievable["level"].isin(["region", "team"]) & (achievable["assessment"] == "stretch")]
    for row in stretched.itertuples():
        material = row.excess >= MATERIAL_EXCESS * row.target
        out.append(Finding(
            **base, kind="stretch_target", severity="medium" if material else "low",
            level=row.level, unit=row.unit_id, value=float(row.target), baseline=float(row.base),
            at_stake=float(row.excess),
            facts={"implied": float(row.implied_growth), "high": float(row.high), "low": float(row.low),
                   "median": float(row.median), "reference": row.reference, "points": int(row.points),
                   "quantile": params.stretch_quantile, "plan": plan.label},
            cause="above_own_record", action="review_target",
        ))
    reps = achievable[(achievable["level"] == "rep") & (achievable["assessment"] == "stretch")]
    if len(reps):
        worst = reps.sort_values("excess", ascending=False)
        out.append(Finding(
            **base, kind="stretch_reps", severity="low", level="company", unit="company",
            value=float(len(reps)), baseline=float((achievable["level"] == "rep").sum()),
            at_stake=float(reps["excess"].sum()),
            facts={"count": int(len(reps)), "reps": ", ".join(worst["unit_id"].head(5)),
                   "quantile": params.stretch_quantile},
            action="review_rep_targets",
        ))
    rep_load = fairness[(fairness["level"] == "rep") & (fairness["measure"] == "per_fte")]
    if len(rep_load) and rep_load["gini"].iloc[0] > params.gini_alert:
        r = rep_load.iloc[0]
        out.append(Finding(
            **base, kind="uneven_load", severity="low", level="company", unit="company", value=float(r["gini"]),
            baseline=float(params.gini_alert),
            facts={name: float(r[name]) for name in ("gini", "min", "max", "median")},
            action="review_rep_targets",
        ))
    for row in aligned[~aligned["aligned"]].itertuples():
        out.append(Finding(
            **base, kind="resource_misalignment", severity="low", level=row.level, unit=row.unit_id,
            value=float(row.target_share), baseline=float(row.fte_share),
            facts={"target_share": float(row.target_share), "fte_share": float(row.fte_share),
                   "budget_share": float(row.budget_share), "index": float(row.index),
                   "direction_code": "heavy" if row.index > 1 else "light"},
            action="align_resources",
        ))
    units = plan.units
    binding = units[units["bound"].isin(["floor", "cap"])]
    if len(binding):
        out.append(Finding(
            **base, kind="bounds_binding", severity="info", level="company", unit="company",
            value=float(len(binding)), baseline=float(len(units) - 1),
            facts={"floors": int((binding["bound"] == "floor").sum()), "caps": int((binding["bound"] == "cap").sum()),
                   "units": ", ".join(binding["unit_id"].head(5))},
        ))
    if params.region:
        out = [f for f in out if f.level == "company" or _in_region(units, f, params.region)]
    return tuple(out)


def _in_region(units: pd.DataFrame, finding: Finding, region: str) -> bool:
    row = units[(units["level"] == finding.level) & (units["unit_id"] == finding.unit)]
    return bool(len(row)) and row["region"].iloc[0] == region
