"""The target split: the plan year's company target split exactly over the roster, audited
(achievability, fairness, alignment) and compared with a what-if. Pure: no I/O, no words.
"""

from __future__ import annotations

import pandas as pd

from salesops_lib.analyses.target_split import audit
from salesops_lib.analyses.target_split.findings import split_findings
from salesops_lib.analyses.target_split.inputs import SplitInputs, load_inputs
from salesops_lib.analyses.target_split.params import TargetSplitParams
from salesops_lib.analyses.target_split.plan import Plan, build_plan, plan_months_of
from salesops_lib.analyses.target_split.result import TargetSplitResult
from salesops_lib.config.scope import RunScope
from salesops_lib.data import Dataset


def split(inputs: SplitInputs, params: TargetSplitParams) -> Plan:
    """The plan for ``params`` from already loaded inputs (see :func:`build_plan`)."""
    return build_plan(inputs, params)


def compute(data: Dataset, scope: RunScope, params: TargetSplitParams) -> TargetSplitResult:
    """Split the plan year's company target, audit it and compare the what-if.

    The split is always company-wide; ``scope.region`` limits the findings (and the page) to
    one region.

    Examples
    --------
    >>> result = compute(connect("demo"), RunScope(period="2026-10"), TargetSplitParams())  # doctest: +SKIP
    >>> result.units.query("level == 'region'")[["unit_id", "target", "growth"]]  # doctest: +SKIP
    """
    as_of = scope.as_of
    inputs = load_inputs(data, as_of, plan_months_of(params, as_of))
    plan = build_plan(inputs, params)
    alternative = params.whatif_params()
    comparison = pd.DataFrame()
    if alternative is not None:
        alt_months = plan_months_of(alternative, as_of)
        alt_inputs = inputs if alt_months.equals(plan.plan_months) else load_inputs(data, as_of, alt_months)
        comparison = compare(plan, build_plan(alt_inputs, alternative))
    growth = audit.achieved_growth(plan, inputs.data_start)
    achievable = audit.achievability(plan, params.stretch_quantile, inputs.data_start, growth)
    fairness = audit.fairness(plan)
    aligned = audit.alignment(plan, inputs.budget)
    whole = audit.plan_achievability(plan, params.stretch_quantile, inputs.data_start, growth)
    findings = split_findings(plan, whole, achievable, fairness, aligned, params, scope.period, scope.region)
    return TargetSplitResult(
        period=scope.period,
        region=scope.region,
        plan=plan,
        achievability=achievable,
        fairness=fairness,
        alignment=aligned,
        whatif=comparison,
        whatif_settings=params.whatif,
        settings={
            "growth_floor": params.growth_floor,
            "growth_cap": params.growth_cap,
            "bound_levels": params.bound_levels,
            "locks": len(params.lock_list),
            "stretch_quantile": params.stretch_quantile,
        },
        findings=findings,
    )


def compare(a: Plan, b: Plan) -> pd.DataFrame:
    """Side by side: every unit's target in ``a`` and ``b`` (outer join: a unit may exist in one only)."""
    keys = ["level", "unit_id"]
    left = a.units[[*keys, "region", "team", "target", "growth"]]
    right = b.units[[*keys, "region", "team", "target", "growth"]].rename(
        columns={"target": "target_whatif", "growth": "growth_whatif", "region": "region_b", "team": "team_b"}
    )
    both = left.merge(right, on=keys, how="outer", sort=False)
    both["region"] = both["region"].fillna(both.pop("region_b"))
    both["team"] = both["team"].fillna(both.pop("team_b"))
    both["difference"] = both["target_whatif"].fillna(0) - both["target"].fillna(0)
    both["change"] = both["difference"] / both["target"].where(both["target"] > 0)
    order = {"company": 0, "region": 1, "team": 2, "rep": 3}
    return both.sort_values(
        ["level", "region", "team", "unit_id"], key=lambda s: s.map(order) if s.name == "level" else s.fillna("")
    ).reset_index(drop=True)
