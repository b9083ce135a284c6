"""The team-efficiency findings: coded facts, worded by ``report/team_efficiency/labels.yaml``."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from salesops_lib.analyses.findings import Finding
from salesops_lib.analyses.team_efficiency.drivers import PanelFit, reading
from salesops_lib.analyses.team_efficiency.ramp import RampCurve

ANALYSIS = "team_efficiency"
KINDS: tuple[str, ...] = (
    "low_efficiency",
    "low_efficiency_reps",
    "activity_driver",
    "ramp_time",
    "quarter_stars",
    "incentive_cost",
)
ACTIONS = {
    "low_activity": "raise_activity",
    "new_hires": "support_new_hires",
    "activity_and_tenure": "raise_activity",
    "other": "review_territory_and_coaching",
    "unknown": "review_team",
}
WATCH_ACTION = "watch_team"
"""A material gap the rep-composition test cannot tell from chance: watch it, do not act on it yet."""
TOP_NAMES = 3


def _quarter_facts(quarter: str) -> dict[str, object]:
    year, q = quarter.split("Q")
    return {"quarter": quarter, "year": int(year), "q": int(q)}


def _num(value: object) -> float | None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if np.isfinite(number) else None


def low_efficiency(
    units: pd.DataFrame, *, period: str, benchmark: str, window: str, confidence: float
) -> list[Finding]:
    """One finding per flagged region or team and per watched one.

    Flagged (survives the multiplicity policy over the rep-composition p-values, and clear of the
    month-to-month noise): medium, high when the shortfall is clear by half the threshold. Watched
    (a material gap chance can produce): low, with the action to watch rather than act.
    """
    out = []
    row: Any  # a unit's row: names, flags and figures (NaN where undefined)
    watch = units["watch"] if "watch" in units else pd.Series(False, index=units.index)
    for row in units[units["flagged"] | watch].itertuples():
        cause = getattr(row, "cause", None)
        cause = cause if isinstance(cause, str) and cause in ACTIONS else "unknown"
        alert = bool(row.flagged)
        out.append(
            Finding(
                analysis=ANALYSIS,
                kind="low_efficiency",
                severity=("high" if row.strong else "medium") if alert else "low",
                level=row.level,
                unit=str(row.unit),
                metric="revenue_per_fte",
                value=_num(row.revenue_per_fte),
                baseline=_num(row.benchmark),
                period=period,
                at_stake=float(row.shortfall),
                facts={
                    "level_name": row.level,
                    "change": _num(row.gap),
                    "gap_low": _num(row.gap_low),
                    "gap_high": _num(row.gap_high),
                    "shrunk_gap": _num(row.shrunk_gap),
                    "fte": _num(row.fte),
                    "months": int(row.months),
                    "benchmark": benchmark,
                    "window": window,
                    "confidence": confidence,
                    "cause": cause,
                    "verdict": "alert" if alert else "watch",
                    "p_value": _num(getattr(row, "p_value", None)),
                    "q_value": _num(getattr(row, "q_value", None)),
                    "null_low": _num(getattr(row, "null_low", None)),
                    "null_high": _num(getattr(row, "null_high", None)),
                    "active_reps": int(getattr(row, "active_reps", 0) or 0),
                    "activity_part": _num(getattr(row, "activity_part", None)),
                    "tenure_part": _num(getattr(row, "tenure_part", None)),
                    "unexplained_part": _num(getattr(row, "unexplained_part", None)),
                },
                cause=cause,
                action=ACTIONS[cause] if alert else WATCH_ACTION,
            )
        )
    return out


def low_efficiency_reps(
    reps: pd.DataFrame, *, period: str, benchmark: str, window: str, threshold: float
) -> list[Finding]:
    """One low-severity finding listing the ramped reps clearly below their benchmark."""
    flagged = reps[reps["flagged"]].sort_values("shortfall", ascending=False)
    if flagged.empty:
        return []
    return [
        Finding(
            analysis=ANALYSIS,
            kind="low_efficiency_reps",
            severity="low",
            level="company",
            unit="company",
            metric="revenue_per_fte",
            value=None,
            baseline=None,
            period=period,
            at_stake=float(flagged["shortfall"].sum()),
            facts={
                "count": len(flagged),
                "names": ", ".join(flagged["name"].astype(str).head(TOP_NAMES)),
                "benchmark": benchmark,
                "window": window,
                "threshold": threshold,
            },
            action="coach_reps",
        )
    ]


def activity_driver(fit: PanelFit | None, *, period: str) -> list[Finding]:
    """The activity with the largest clearly positive effect on revenue (informational)."""
    if fit is None:
        return []
    read = reading(fit)
    positive = read[read["verdict"] == "positive"].sort_values("effect", ascending=False)
    if positive.empty:
        return []
    best = positive.iloc[0]
    return [
        Finding(
            analysis=ANALYSIS,
            kind="activity_driver",
            severity="info",
            level="company",
            unit="company",
            metric="revenue_per_fte",
            value=None,
            baseline=None,
            period=period,
            facts={
                "activity": str(best["activity"]),
                "effect": float(best["effect"]),
                "effect_low": float(best["effect_low"]),
                "effect_high": float(best["effect_high"]),
                "elasticity": float(best["elasticity"]),
                "rep_months": int(fit.n_obs),
            },
        )
    ]


def ramp_time(ramp: RampCurve | None, *, period: str) -> list[Finding]:
    """Time to full productivity of new hires (informational)."""
    if ramp is None or not np.isfinite(ramp.months_to_full):
        return []
    return [
        Finding(
            analysis=ANALYSIS,
            kind="ramp_time",
            severity="info",
            level="company",
            unit="company",
            metric="revenue_per_fte",
            value=None,
            baseline=None,
            period=period,
            facts={
                "months": float(ramp.months_to_full),
                "months_low": float(ramp.months_to_full_low),
                "months_high": float(ramp.months_to_full_high),
                "level": float(ramp.full_level),
                "first_month": float(np.maximum(ramp.by_month["productivity"].iloc[0], 0)),
            },
            action="plan_onboarding",
        )
    ]


def stars(scored: pd.DataFrame, *, period: str, quarter: str, complete: bool) -> list[Finding]:
    """The quarter's stars (informational)."""
    top = scored[scored["star"]]
    if top.empty:
        return []
    return [
        Finding(
            analysis=ANALYSIS,
            kind="quarter_stars",
            severity="info",
            level="company",
            unit="company",
            metric="attainment",
            value=None,
            baseline=None,
            period=period,
            facts={
                **_quarter_facts(quarter),
                "complete": "complete" if complete else "to_date",
                "count": len(top),
                "names": ", ".join(top["name"].astype(str)),
            },
        )
    ]


def incentive_cost(summary: dict[str, float], *, period: str, quarter: str) -> list[Finding]:
    """What the commission plan costs for the quarter (informational)."""
    if not summary or not summary.get("revenue"):
        return []
    return [
        Finding(
            analysis=ANALYSIS,
            kind="incentive_cost",
            severity="info",
            level="company",
            unit="company",
            metric="revenue",
            value=summary["payout"],
            baseline=summary["revenue"],
            period=period,
            facts={
                **_quarter_facts(quarter),
                "cost_of_sales": summary["cost_of_sales"],
                "reps": int(summary["reps"]),
                "above_target": int(summary["above_target"]),
                "capped": int(summary["capped"]),
                "change": None,
            },
        )
    ]
