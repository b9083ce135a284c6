"""Findings of the funnel diagnosis: what changed or leaks, where, the likely cause, the action.

Severity follows the evidence and the review's one multiplicity policy
(:mod:`salesops_lib.analyses.multiplicity`): a ``conversion_drop`` is ``medium`` or ``high``
only when its cell survives Benjamini–Hochberg across every cell of the month's screen
(:func:`drop_severity`), otherwise at most a ``low`` watch item; ``medium`` for significant
weak spots and a measured process-change effect; descriptive statements (the bottleneck stage,
stalled deals, the bridge) are ``low`` or ``info``.
"""

from __future__ import annotations

from typing import Any, cast

import numpy as np
import pandas as pd

from salesops_lib.analyses.findings import Finding
from salesops_lib.analyses.funnel_diagnosis.changes import COMPANY
from salesops_lib.analyses.funnel_diagnosis.facts import NONE, StagePlan
from salesops_lib.analyses.funnel_diagnosis.params import FunnelDiagnosisParams
from salesops_lib.analyses.funnel_diagnosis.process_change import ProcessChange
from salesops_lib.analyses.funnel_diagnosis.stages import LEADS
from salesops_lib.analyses.multiplicity import STRONG
from salesops_lib.config.scope import RunScope

ANALYSIS = "funnel_diagnosis"
KINDS = (
    "conversion_drop",
    "bottleneck_stage",
    "weak_stage",
    "stalled_deals",
    "stalled_deals_unpriced",
    "process_change_effect",
    "process_change_no_effect",
    "won_value_move",
)
"""Every ``Finding.kind`` the funnel diagnosis raises (each has zh and en words in its catalogue)."""
TOP_WEAK_SPOTS = 3
LEAD_METRIC = "lead_conversion_rate"
STAGE_METRIC = "stage_conversion"
ACTIONS = {
    "channel": "check_channel",
    "team": "coach_team",
    "rep": "coach_rep",
    "product": "review_offer",
    "industry": "review_offer",
    "region": "review_region",
}


def conclude(
    result: dict[str, Any], plan: StagePlan, scope: RunScope, params: FunnelDiagnosisParams, *, avg_won: float
) -> list[Finding]:
    """All findings of one diagnosis (``result`` holds the computed sections by field name)."""
    base = {"analysis": ANALYSIS, "period": scope.period}
    unit = result["unit"]
    findings = [
        *_drops(
            result["screen"],
            result["drivers"],
            result["decomposition"],
            result["funnel"],
            plan,
            params,
            unit,
            avg_won,
            base,
        ),
        *_bottleneck(result["value_lost"], result["lost_reasons"], plan, base),
        *_weak_spots(result["bottlenecks"], plan, params, unit, base),
        *_stalled(result["stalled"], plan, result["unit_durations"], base),
        *_process(result["process"], params, base),
        *_bridge(result["bridge_units"], params, base),
    ]
    return findings


def _transition(step: str, plan: StagePlan) -> str:
    """The step as "stage→next stage" (``leads`` for the lead → deal step), worded by the page."""
    if step == LEADS or step not in plan.open_stages:
        return step
    return f"{step}→{plan.funnel[plan.open_stages.index(step) + 1]}"


def _stage_of(step: str, plan: StagePlan) -> str:
    """The stage a step's losses belong to: leads that never become deals are lost at the first stage."""
    return plan.open_stages[0] if step == LEADS else step


def _downstream(funnel: pd.DataFrame, k: int, plan: StagePlan) -> float:
    steps = funnel.set_index("k")["conversion"]
    after = steps[(steps.index > k) & (steps.index < plan.n)]
    return float(np.prod(after.fillna(1.0))) if len(after) else 1.0


def _drops(
    screen: pd.DataFrame,
    drivers: pd.DataFrame,
    decomposition: pd.DataFrame,
    funnel: pd.DataFrame,
    plan: StagePlan,
    params: FunnelDiagnosisParams,
    unit: str,
    avg_won: float,
    base: dict[str, Any],
) -> list[Finding]:
    """A significant drop of a unit's (or the company's) conversion at a step: ``high`` when it
    is material, ``medium`` when at least half that; its cause is the segment that carries it.
    """
    out = []
    units = screen[screen["stratum"] == ""].assign(severity=drop_severity(screen, params.min_change, params.alpha))
    row: Any  # an itertuples() row: its fields' types are known only at run time
    for row in units[units["severity"] != ""].itertuples():
        severity = row.severity
        company = row.unit == COMPANY
        driver = _driver(
            decomposition.assign(unit=COMPANY, dimension=unit, small=False, significant=False)
            if company and not decomposition.empty
            else drivers,
            row.step,
            str(row.unit),
        )
        lost_rate = max(row.rate_expected - row.rate_latest, 0.0)
        at_stake = (
            lost_rate * row.n_latest * _downstream(funnel, row.k, plan) * (avg_won if np.isfinite(avg_won) else 0)
        )
        facts: dict[str, Any] = {
            "step": row.step,
            "transition": _transition(row.step, plan),
            "stage": _stage_of(row.step, plan),
            "change": float(row.change),
            "rate_latest": float(row.rate_latest),
            "rate_baseline": float(row.rate_expected),
            "rate_level": float(row.rate_baseline),
            "seasonal_factor": float(row.seasonal_factor),
            "n_latest": float(row.n_latest),
            "p_value": float(row.p_value),
            "p_adjusted": float(row.p_adjusted),
            "compare_to": params.compare_to,
        }
        cause = action = ""
        if driver is not None:
            facts |= {
                "driver_dimension": driver["dimension"],
                "driver_segment": driver["segment"],
                "driver_share": float(driver["share_of_change"]),
                "driver_points": float(-driver["effect"] * 100),
                "total_points": float((row.rate_baseline_pooled - row.rate_latest) * 100),
                "driver_change": float(driver["rate_change"]) if pd.notna(driver["rate_change"]) else 0.0,
                "driver_rate_latest": float(driver["rate_latest"]),
                "driver_rate_baseline": float(driver["rate_baseline"]),
            }
            cause = "segment_mix" if abs(driver["mix"]) > abs(driver["rate"]) else "segment_rate"
            action = ACTIONS.get(str(driver["dimension"]), "review_stage")
        out.append(
            Finding(
                **base,
                kind="conversion_drop",
                severity=severity,
                level="company" if company else unit,
                unit=str(row.unit),
                metric=LEAD_METRIC if row.step == LEADS else STAGE_METRIC,
                value=float(row.rate_latest),
                baseline=float(row.rate_expected),
                at_stake=float(at_stake),
                facts=facts,
                cause=cause,
                action=action or "review_stage",
            )
        )
    return out


def drop_severity(screen: pd.DataFrame, min_change: float, alpha: float) -> pd.Series:
    """Severity of each unit row's drop under the review's multiplicity policy ("" for none).

    A row *survives* when it, or one of its channel cells (``stratum``) with a drop, is a
    Benjamini–Hochberg discovery across every cell of the screen. A survivor that fell by at
    least half of ``min_change`` is ``medium``, ``high`` when it fell by ``min_change`` and its
    adjusted p-value is below :data:`~salesops_lib.analyses.multiplicity.STRONG`. A row that
    does not survive but whose own test, or its best stratum's (Bonferroni over the row's mix-held
    and channel rows), is below ``alpha`` with the same fall is a ``low`` watch item.
    """
    units = screen[screen["stratum"] == ""]
    cells = screen[(screen["stratum"] != "") & (screen["change"] < 0)]
    out = pd.Series("", index=units.index, dtype=object)
    row: Any  # an itertuples() row: its fields' types are known only at run time
    for row in units[units["change"] <= -min_change / 2].itertuples():
        mine = cells[(cells["k"] == row.k) & (cells["unit"] == row.unit)]
        strata = int((screen["k"].eq(row.k) & screen["unit"].eq(row.unit) & screen["stratum"].ne("")).sum())
        q = min([row.p_adjusted, *mine["p_adjusted"]])
        if row.survives:
            out[row.Index] = "high" if q < STRONG and row.change <= -min_change else "medium"
        elif min([row.p_value, *(mine["p_value"] * strata)]) < alpha:
            out[row.Index] = "low"
    return out


def _driver(drivers: pd.DataFrame, step: str, unit: str) -> pd.Series | None:
    """The segment that carries most of a unit's drop: the most negative effect among the
    segments whose own rate fell significantly, else among all.
    """
    if drivers.empty:
        return None
    mine = drivers[
        (drivers["step"] == step) & (drivers["unit"] == unit) & (drivers["segment"] != NONE) & ~drivers["small"]
    ]
    if mine.empty:
        return None
    falling = mine[mine["significant"] & (mine["rate"] < 0)]
    pick = (falling if len(falling) else mine).sort_values("effect").iloc[0]
    return pick if pick["effect"] < 0 else None


def _bottleneck(
    value_lost: pd.DataFrame, reasons: pd.DataFrame, plan: StagePlan, base: dict[str, Any]
) -> list[Finding]:
    stages_only = value_lost[value_lost["k"] >= 0]
    if stages_only.empty or not np.isfinite(stages_only["expected_value_lost"]).any():
        return []
    total = float(stages_only["expected_value_lost"].sum())
    if not total > 0:  # nothing lost at any stage (e.g. no deal left a stage): no bottleneck to name
        return []
    top = stages_only.sort_values("expected_value_lost", ascending=False).iloc[0]
    share = top["expected_value_lost"] / total
    facts: dict[str, Any] = {"stage": top["step"], "share": float(share), "lost_deals": float(top["lost"])}
    cause = ""
    if not reasons.empty:
        here = reasons[reasons["k"] == top["k"]].sort_values("deals", ascending=False)
        if len(here):
            facts |= {"reason": here["lost_reason"].iloc[0], "reason_share": float(here["share_of_stage"].iloc[0])}
            cause = "loss_reason"
    return [
        Finding(
            **base,
            kind="bottleneck_stage",
            severity="low",
            level="company",
            unit="company",
            metric=STAGE_METRIC,
            value=None,
            baseline=None,
            at_stake=float(top["expected_value_lost"]),
            facts=facts,
            cause=cause,
            action="review_stage",
        )
    ]


def _weak_spots(
    bottlenecks: pd.DataFrame, plan: StagePlan, params: FunnelDiagnosisParams, unit: str, base: dict[str, Any]
) -> list[Finding]:
    if bottlenecks.empty:
        return []
    gaps = bottlenecks[
        bottlenecks["significant"]
        & (bottlenecks["segment"] != NONE)
        & ((bottlenecks["rest_rate"] - bottlenecks["rate"]) / bottlenecks["rest_rate"] >= params.min_change)
    ]
    out = []
    row: Any  # an itertuples() row: its fields' types are known only at run time
    for row in gaps.head(TOP_WEAK_SPOTS).itertuples():
        out.append(
            Finding(
                **base,
                kind="weak_stage",
                severity="medium",
                level=unit,
                unit=str(row.segment),
                metric=LEAD_METRIC if row.step == LEADS else STAGE_METRIC,
                value=float(row.rate),
                baseline=float(row.rest_rate),
                at_stake=float(row.recoverable_value),
                facts={
                    "step": row.step,
                    "transition": _transition(row.step, plan),
                    "change": float(row.rate / row.rest_rate - 1),
                    "rate": float(row.rate),
                    "rest_rate": float(row.rest_rate),
                    "decided": float(row.decided),
                },
                action=ACTIONS.get(unit, "review_stage"),
            )
        )
    return out


def _stalled(stalled: pd.DataFrame, plan: StagePlan, durations: pd.DataFrame, base: dict[str, Any]) -> list[Finding]:
    if stalled.empty or stalled["stalled"].sum() == 0:
        return []
    level = next(
        c
        for c in stalled.columns
        if c not in {"k", "open_deals", "open_value", "stalled", "stalled_value", "norm_days", "stalled_share"}
    )
    priced = stalled["stalled_value"].sum() > 0
    top = stalled.sort_values("stalled_value" if priced else "stalled", ascending=False).iloc[0]
    return [
        Finding(
            **base,
            kind="stalled_deals" if priced else "stalled_deals_unpriced",
            severity="low",
            level=level,
            unit=str(top[level]),
            metric="stalled_deals",
            value=float(top["stalled"]),
            baseline=float(top["open_deals"]),
            at_stake=float(top["stalled_value"]),
            facts={
                "stage": plan.open_stages[int(top["k"])],
                "stalled": float(top["stalled"]),
                "share": float(top["stalled_share"]),
                "norm_days": float(top["norm_days"]),
                "total_stalled": float(stalled["stalled"].sum()),
                "total_value": float(stalled["stalled_value"].sum()),
            },
            action="clean_pipeline",
        )
    ]


def _process(process: ProcessChange, params: FunnelDiagnosisParams, base: dict[str, Any]) -> list[Finding]:
    head = process.headline
    if head is None:
        return []
    did = head["did"] if np.isfinite(head["did"]) else head["before_after"]
    lo = head["did_lo"] if np.isfinite(head["did"]) else head["before_after_lo"]
    hi = head["did_hi"] if np.isfinite(head["did"]) else head["before_after_hi"]
    p = head["p_value"] if np.isfinite(head["did"]) else head["before_after_p"]
    before = head["adopting_before"]
    facts = {
        "stage": process.stage,
        "date": process.date.isoformat() if process.date else "",
        "adopting": ", ".join(process.adopting),
        "method": process.method,
        "effect": float(did),
        "lo": float(lo),
        "hi": float(hi),
        "before_days": float(before),
        "after_days": float(head["adopting_after"]),
        "change": float(did / before) if before else 0.0,
        "design": "did" if np.isfinite(head["did"]) else "before_after",
    }
    significant = bool(np.isfinite(p) and p < params.alpha)
    material = bool(before and abs(did / before) >= params.min_change)
    if significant and material:
        return [
            Finding(
                **base,
                kind="process_change_effect",
                severity="medium",
                level=process.level,
                unit=",".join(process.adopting),
                metric="stage_days",
                value=float(head["adopting_after"]),
                baseline=float(before),
                facts=facts,
                action="roll_out" if did < 0 else "review_change",
            )
        ]
    if process.method == "given":
        return [
            Finding(
                **base,
                kind="process_change_no_effect",
                severity="info",
                level=process.level,
                unit=",".join(process.adopting),
                metric="stage_days",
                value=float(head["adopting_after"]),
                baseline=float(before),
                facts=facts,
                action="extend_trial",
            )
        ]
    return []


def _bridge(contributions: pd.DataFrame, params: FunnelDiagnosisParams, base: dict[str, Any]) -> list[Finding]:
    if contributions.empty:
        return []
    company = cast("pd.Series", contributions.set_index("unit").loc["company"])  # the one company row
    if not company["won_value_baseline"]:
        return []
    change = company["change"] / company["won_value_baseline"]
    if abs(change) < params.min_change:
        return []
    units = contributions[contributions["unit"] != "company"].set_index("unit")
    factor_columns = [c for c in units.columns if c.startswith(("volume:", "rate:")) or c in ("size", "timing")]
    cells = cast("pd.Series", units[factor_columns].stack())  # (unit, factor) labels → contribution
    worst = cast("tuple[str, str]", cells.idxmin() if change < 0 else cells.idxmax())
    return [
        Finding(
            **base,
            kind="won_value_move",
            severity="low",
            level="company",
            unit="company",
            metric="won_value",
            value=float(company["won_value_latest"]),
            baseline=float(company["won_value_baseline"]),
            at_stake=float(abs(company["change"])),
            facts={
                "change": float(change),
                "top_unit": str(worst[0]),
                "top_factor": str(worst[1]),
                "top_value": float(cells[worst]),
                "compare_to": params.compare_to,
            },
            action="review_bridge",
        )
    ]
