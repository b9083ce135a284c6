"""Incentive simulation: what a commission plan pays each rep, what it costs, and what-ifs.

The plan, per rep and quarter (targets = the quarter's monthly target lines)::

    commission = base_rate · min(revenue, target)
               + accelerator_rate · (min(revenue, cap · target) − target)⁺
    payout     = commission + star_bonus · [quarterly star]

Exactly 100 % attainment earns ``base_rate · target`` and nothing from the accelerator; revenue
beyond ``cap · target`` earns nothing more. A rep without a target earns the base rate on all
revenue (no accelerator; flagged ``no_target``). Cost of sales = total payout ÷ revenue.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import cast

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class CommissionPlan:
    """A commission plan (rates are shares of revenue, the cap a multiple of target)."""

    base_rate: float = 0.03
    accelerator_rate: float = 0.06
    attainment_cap: float = 1.5
    star_bonus: float = 5000.0


def commission(
    revenue: np.ndarray | pd.Series | float, target: np.ndarray | pd.Series | float, plan: CommissionPlan
) -> np.ndarray:
    """Commission on ``revenue`` against ``target`` (vectorised; target ≤ 0 or NaN = no target).

    Examples
    --------
    >>> float(commission(100.0, 100.0, CommissionPlan(0.03, 0.06, 1.5)))  # exactly 100 %
    3.0
    >>> float(commission(200.0, 100.0, CommissionPlan(0.03, 0.06, 1.5)))  # capped at 150 %
    6.0
    """
    revenue = np.asarray(revenue, dtype="float64")
    target = np.asarray(target, dtype="float64")
    has_target = np.isfinite(target) & (target > 0)
    goal = np.where(has_target, target, 0.0)
    base = plan.base_rate * np.where(has_target, np.minimum(revenue, goal), revenue)
    with np.errstate(invalid="ignore"):  # an infinite cap (no cap) times a zero goal
        ceiling = np.where(has_target, plan.attainment_cap * goal, 0.0)
    above = np.clip(np.minimum(revenue, ceiling) - goal, 0.0, None)
    return np.clip(base, 0.0, None) + plan.accelerator_rate * np.where(has_target, above, 0.0)


def payouts(table: pd.DataFrame, plan: CommissionPlan) -> pd.DataFrame:
    """Per rep: revenue, target, attainment, commission, star bonus, payout and plan status.

    ``table`` needs ``rep_id``, ``revenue``, ``target`` and ``star`` (bool). ``status`` is
    ``no_target``, ``below`` (< 100 %), ``met`` (100 % up to the cap) or ``capped`` (at or above the cap).
    """
    out = table[[c for c in ("rep_id", "name", "team", "region") if c in table]].copy()
    revenue = table["revenue"].fillna(0.0).astype("float64")
    target = table["target"].astype("float64")
    out["revenue"], out["target"] = revenue, target
    out["attainment"] = revenue / target.where(target > 0)
    out["commission"] = commission(revenue, target, plan)
    out["star"] = table["star"].fillna(False).astype(bool) if "star" in table else False
    out["star_bonus"] = np.where(out["star"], plan.star_bonus, 0.0)
    out["payout"] = out["commission"] + out["star_bonus"]
    att = out["attainment"]
    out["status"] = np.select(
        [att.isna(), att < 1.0, att < plan.attainment_cap], ["no_target", "below", "met"], "capped"
    )
    return out.sort_values("payout", ascending=False).reset_index(drop=True)


def summary(paid: pd.DataFrame) -> dict[str, float]:
    """Totals of a payout table: payout, commission, star bonus, revenue, cost of sales and counts."""
    revenue = float(paid["revenue"].sum())
    total = float(paid["payout"].sum())
    return {
        "reps": float(len(paid)),
        "revenue": revenue,
        "payout": total,
        "commission": float(paid["commission"].sum()),
        "star_bonus": float(paid["star_bonus"].sum()),
        "cost_of_sales": total / revenue if revenue > 0 else float("nan"),
        "above_target": float(paid["status"].isin(["met", "capped"]).sum()),
        "capped": float((paid["status"] == "capped").sum()),
        "stars": float(paid["star"].sum()),
    }


def what_if(table: pd.DataFrame, plan: CommissionPlan, uplifts: tuple[float, ...]) -> pd.DataFrame:
    """The plan under revenue changes, and the plan without each of its elements.

    One row per scenario: ``scenario`` (``plan``, ``uplift``, ``no_accelerator``, ``no_cap``,
    ``no_star_bonus``), ``uplift`` (relative revenue change, 0 for plan variants), the summary
    columns of :func:`summary` and ``change`` (payout vs the plan as it stands).
    """
    rows = [("plan", 0.0, plan, 0.0)]
    rows += [("uplift", u, plan, u) for u in uplifts if u != 0]
    rows += [
        ("no_accelerator", 0.0, replace(plan, accelerator_rate=0.0), 0.0),
        ("no_cap", 0.0, replace(plan, attainment_cap=float("inf")), 0.0),
        ("no_star_bonus", 0.0, replace(plan, star_bonus=0.0), 0.0),
    ]
    out = []
    for scenario, uplift, variant, change in rows:
        moved = table.assign(revenue=table["revenue"].fillna(0.0) * (1 + change))
        out.append({"scenario": scenario, "uplift": uplift, **summary(payouts(moved, variant))})
    frame = pd.DataFrame(out)
    plan_payout = cast("float", frame.loc[0, "payout"])  # the plan's total payout (a sum)
    frame["change"] = frame["payout"] / plan_payout - 1 if plan_payout else np.nan
    return frame
