"""The target split's findings: stretch targets (units and reps), an uneven load across reps,
targets out of line with headcount, and floors or caps that bind.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from salesops_lib.analyses.findings import Finding
from salesops_lib.analyses.target_split.params import TargetSplitParams
from salesops_lib.analyses.target_split.plan import Plan

ANALYSIS = "target_split"
KINDS = ("stretch_target", "stretch_reps", "uneven_load", "resource_misalignment", "bounds_binding")
MATERIAL_EXCESS = 0.05
"""The plan's stretch finding is medium when its total exceeds the company's achievable total (the
stretch quantile of its own yearly growth) by at least 5 % of the total …"""
MIN_YEARS_OF_GROWTH = 12
"""… and asks for more growth than the best rolling year the company ever achieved, measured on at
least this many rolling years (overlapping 12-month windows are few independent years: with less
history a stretch is a planning note, low)."""


def split_findings(
    plan: Plan,
    whole: dict[str, Any],
    achievable: pd.DataFrame,
    fairness: pd.DataFrame,
    aligned: pd.DataFrame,
    params: TargetSplitParams,
    period: str,
    region: str,
) -> tuple[Finding, ...]:
    """The findings of a split for ``period``; with a ``region``, only its units' and the company's.

    Stretch targets are one finding per plan (level company): the stretched regions and teams and
    their total excess in its facts; medium only when the plan as a whole (``whole``, from
    :func:`~salesops_lib.analyses.target_split.audit.plan_achievability`) is above the company's
    own achievable total by at least :data:`MATERIAL_EXCESS` of the target and beyond its best
    year (:data:`MIN_YEARS_OF_GROWTH`), else low.
    """
    out: list[Finding] = []
    base: dict[str, Any] = {"analysis": ANALYSIS, "period": period, "metric": "revenue"}
    row: Any  # an itertuples() row: its fields' types are known only at run time
    stretched = achievable[achievable["level"].isin(["region", "team"]) & (achievable["assessment"] == "stretch")]
    if region:
        stretched = stretched[stretched["region"] == region]
    material = (
        whole["assessment"] == "stretch"
        and whole["excess"] >= MATERIAL_EXCESS * whole["target"]
        and whole["points"] >= MIN_YEARS_OF_GROWTH
        and whole["implied"] > whole["best"]
    )
    if len(stretched) or whole["assessment"] == "stretch":
        worst = stretched.sort_values("excess", ascending=False)
        out.append(
            Finding(
                **base,
                kind="stretch_target",
                severity="medium" if material else "low",
                level="company",
                unit="company",
                value=float(whole["target"]),
                baseline=float(whole["base"]),
                at_stake=float(whole["excess"]) if material else float(stretched["excess"].sum()),
                facts={
                    "plan": plan.label,
                    "implied": float(whole["implied"]),
                    "high": float(whole["high"]),
                    "median": float(whole["median"]),
                    "points": int(whole["points"]),
                    "quantile": params.stretch_quantile,
                    "chance": 1 - params.stretch_quantile,
                    "whole_code": whole["assessment"] if whole["assessment"] != "stretch" or material else "slight",
                    "company_excess": float(whole["excess"]),
                    "count": len(stretched),
                    "units": ", ".join(worst["unit_id"].head(8)) or "—",
                    "units_excess": float(stretched["excess"].sum()),
                },
                cause="above_own_record",
                action="review_target",
            )
        )
    reps = achievable[(achievable["level"] == "rep") & (achievable["assessment"] == "stretch")]
    if len(reps):
        worst = reps.sort_values("excess", ascending=False)
        out.append(
            Finding(
                **base,
                kind="stretch_reps",
                severity="low",
                level="company",
                unit="company",
                value=float(len(reps)),
                baseline=float((achievable["level"] == "rep").sum()),
                at_stake=float(reps["excess"].sum()),
                facts={
                    "count": len(reps),
                    "reps": ", ".join(worst["unit_id"].head(5)),
                    "quantile": params.stretch_quantile,
                },
                action="review_rep_targets",
            )
        )
    rep_load = fairness[(fairness["level"] == "rep") & (fairness["measure"] == "per_fte")]
    if len(rep_load) and rep_load["gini"].iloc[0] > params.gini_alert:
        r = rep_load.iloc[0]
        out.append(
            Finding(
                **base,
                kind="uneven_load",
                severity="low",
                level="company",
                unit="company",
                value=float(r["gini"]),
                baseline=float(params.gini_alert),
                facts={name: float(r[name]) for name in ("gini", "min", "max", "median")},
                action="review_rep_targets",
            )
        )
    for row in aligned[~aligned["aligned"]].itertuples():
        out.append(
            Finding(
                **base,
                kind="resource_misalignment",
                severity="low",
                level=row.level,
                unit=row.unit_id,
                value=float(row.target_share),
                baseline=float(row.fte_share),
                facts={
                    "target_share": float(row.target_share),
                    "fte_share": float(row.fte_share),
                    "budget_share": float(row.budget_share),
                    "index": float(row.index),
                    "direction_code": "heavy" if row.index > 1 else "light",
                },
                action="align_resources",
            )
        )
    units = plan.units
    binding = units[units["bound"].isin(["floor", "cap"])]
    if len(binding):
        out.append(
            Finding(
                **base,
                kind="bounds_binding",
                severity="info",
                level="company",
                unit="company",
                value=float(len(binding)),
                baseline=float(len(units) - 1),
                facts={
                    "floors": int((binding["bound"] == "floor").sum()),
                    "caps": int((binding["bound"] == "cap").sum()),
                    "units": ", ".join(binding["unit_id"].head(5)),
                },
            )
        )
    if region:
        out = [f for f in out if f.level == "company" or _in_region(units, f, region)]
    return tuple(out)


def _in_region(units: pd.DataFrame, finding: Finding, region: str) -> bool:
    row = units[(units["level"] == finding.level) & (units["unit_id"] == finding.unit)]
    return bool(len(row)) and row["region"].iloc[0] == region
