"""Audit of a split: is each target achievable, is the load fair, does it match the resources?

* **Achievability (SMART).** Each unit's implied yearly growth (target over its base, annualised
  over the months between the base window and the plan year) against the distribution of the
  yearly growth it achieved itself: every rolling 12 months of its history against the 12 before.
  Reps are measured on productivity (revenue ÷ ramped FTE-months) so ramp-up is not growth. A
  unit with fewer than :data:`MIN_POINTS` values is compared with its level's pooled values.
* **Fairness.** Target per ramped FTE-year at every level (spread, CV, Gini) and, for regions,
  target per unit of market potential.
* **Alignment.** Each region's and team's share of the target against its share of headcount
  (FTE) and of the budget.
"""

from __future__ import annotations

from typing import Any, cast

import numpy as np
import pandas as pd

from salesops_lib.analyses.target_split.plan import Plan
from salesops_lib.core.periods import month_start, months_between

Growth = dict[tuple[str, str], np.ndarray]
"""Achieved yearly growth values per (level, unit) (:func:`achieved_growth`)."""
MIN_POINTS = 6
"""Own growth values a unit needs before its own distribution is used (else its level's pool)."""
MIN_WINDOW_CAPACITY = 6.0
"""A rep's 12-month window counts only with at least this many ramped FTE-months in it."""
ALIGNMENT_BAND = (0.8, 1.25)
"""Target share ÷ headcount share outside this band is a misalignment."""


def achievability(
    plan: Plan, quantile: float, data_start: pd.Timestamp | None, growth: Growth | None = None
) -> pd.DataFrame:
    """One row per region, team and rep with a base: implied growth, its reference quantiles
    (own or pooled), the number of values and the assessment (stretch / within / soft / unknown).
    ``growth``: :func:`achieved_growth` of the plan when already known.
    """
    units = plan.units[plan.units["level"] != "company"].reset_index(drop=True)
    growth = achieved_growth(plan, data_start) if growth is None else growth
    gap = months_between(plan.base_window[0], plan.plan_months[0])
    rows = []
    pools = {
        level: np.concatenate([growth.get((cast("str", level), u), np.empty(0)) for u in group["unit_id"]])
        for level, group in units.groupby("level")
    }
    pooled: dict[str, np.ndarray] = {}  # a level's quantiles, computed once for all its units
    row: Any  # an itertuples() row: its fields' types are known only at run time
    for row in units.itertuples():
        values = growth.get((row.level, row.unit_id), np.empty(0))
        source = "own" if values.size >= MIN_POINTS else "peers"
        reference = values if source == "own" else pools.get(row.level, np.empty(0))
        implied = (row.target / row.base) ** (12 / gap) - 1 if row.base and row.base > 0 and gap > 0 else np.nan
        if reference.size < MIN_POINTS or not np.isfinite(implied):
            high = low = median = np.nan
            verdict = "unknown"
        else:
            if source == "own":
                low, median, high = np.quantile(reference, [1 - quantile, 0.5, quantile])
            else:
                if row.level not in pooled:
                    pooled[row.level] = np.quantile(reference, [1 - quantile, 0.5, quantile])
                low, median, high = pooled[row.level]
            verdict = "stretch" if implied > high else "soft" if implied < low else "within"
        rows.append(
            {
                "level": row.level,
                "unit_id": row.unit_id,
                "region": row.region,
                "team": row.team,
                "target": row.target,
                "base": row.base,
                "implied_growth": implied,
                "reference": source,
                "points": int(reference.size),
                "low": low,
                "median": median,
                "high": high,
                "assessment": verdict,
            }
        )
    frame = pd.DataFrame(rows)
    frame["achievable_target"] = frame["base"] * (1 + frame["high"]) ** (gap / 12)
    frame["excess"] = (frame["target"] - frame["achievable_target"]).where(frame["assessment"] == "stretch", 0.0)
    return frame


def plan_achievability(
    plan: Plan, quantile: float, data_start: pd.Timestamp | None, growth: Growth | None = None
) -> dict[str, Any]:
    """The plan as a whole: the company's implied growth against the ``quantile`` of its own
    rolling year-on-year growth, the achievable total at that quantile and the excess over it.

    ``assessment`` is "stretch" when the total is above the achievable total, i.e. the plan needs a
    year better than the company achieved in ``1 − quantile`` of its own years; "unknown" with
    fewer than :data:`MIN_POINTS` values. ``best`` is the best rolling year it ever achieved.
    """
    company = plan.units[plan.units["level"] == "company"].iloc[0]
    growth = achieved_growth(plan, data_start) if growth is None else growth
    values = growth.get(("company", company["unit_id"]), np.empty(0))
    gap = months_between(plan.base_window[0], plan.plan_months[0])
    base, target = float(company["base"] or 0.0), float(company["target"])
    implied = (target / base) ** (12 / gap) - 1 if base > 0 and gap > 0 else np.nan
    if values.size < MIN_POINTS or not np.isfinite(implied):
        return {
            "implied": implied,
            "high": np.nan,
            "best": np.nan,
            "median": np.nan,
            "points": int(values.size),
            "achievable": np.nan,
            "excess": 0.0,
            "assessment": "unknown",
            "target": target,
            "base": base,
        }
    median, high = np.quantile(values, [0.5, quantile])
    achievable = base * (1 + high) ** (gap / 12)
    stretch = implied > high
    return {
        "implied": float(implied),
        "high": float(high),
        "best": float(values.max()),
        "median": float(median),
        "points": int(values.size),
        "achievable": float(achievable),
        "excess": float(target - achievable) if stretch else 0.0,
        "assessment": "stretch" if stretch else "within",
        "target": target,
        "base": base,
    }


def achieved_growth(plan: Plan, data_start: pd.Timestamp | None) -> Growth:
    """Per (level, unit): its achieved yearly growth, every rolling 12 months against the 12 before."""
    revenue = plan.history_revenue.to_numpy(float)
    cap = plan.history_capacity.to_numpy(float)
    months = cast("pd.DatetimeIndex", plan.history_revenue.columns)  # the history months (see Plan)
    valid = np.ones(months.size, dtype=bool)
    if data_start is not None:
        valid = months >= month_start(data_start)
    out: dict[tuple[str, str], np.ndarray] = {}
    if months.size < 24:
        return out
    kernel = np.ones(12)
    roll_rev = np.apply_along_axis(lambda r: np.convolve(r, kernel, "valid"), 1, revenue)
    roll_cap = np.apply_along_axis(lambda r: np.convolve(r, kernel, "valid"), 1, cap)
    full = np.convolve(valid.astype(float), kernel, "valid") == 12
    now, before = slice(12, None), slice(None, -12)
    usable = full[now] & full[before]
    for i, (level, unit) in enumerate(plan.history_revenue.index):
        if level == "rep":
            ok = usable & (roll_cap[i, now] >= MIN_WINDOW_CAPACITY) & (roll_cap[i, before] >= MIN_WINDOW_CAPACITY)
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = (roll_rev[i, now] / roll_cap[i, now]) / (roll_rev[i, before] / roll_cap[i, before])
        else:
            ok = usable.copy()
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = roll_rev[i, now] / roll_rev[i, before]
        values = ratio[ok] - 1
        out[(level, unit)] = values[np.isfinite(values)]
    return out


def gini(values: np.ndarray) -> float:
    """Gini coefficient of non-negative values (0 = all equal; NaN for fewer than 2 or a zero sum).

    Examples
    --------
    >>> gini(np.array([1.0, 1.0, 1.0]))
    0.0
    >>> round(gini(np.array([0.0, 0.0, 1.0])), 3)
    0.667
    """
    x = np.sort(np.asarray(values, dtype=float)[np.isfinite(values)])
    if x.size < 2 or x.sum() <= 0:
        return float("nan")
    ranks = np.arange(1, x.size + 1)
    return float((2 * (ranks * x).sum()) / (x.size * x.sum()) - (x.size + 1) / x.size)


def fairness(plan: Plan) -> pd.DataFrame:
    """Spread of target per ramped FTE-year by level, and of target per market potential (regions)."""
    rows = []
    units = plan.units
    for level in ("region", "team", "rep"):
        at = units[(units["level"] == level) & (units["capacity"] > 0)]
        rows.append(_spread(level, "per_fte", at["per_fte"]))
    regions = units[(units["level"] == "region") & (units["potential"] > 0)]
    if len(regions):
        rows.append(_spread("region", "per_potential", regions["target"] / regions["potential"]))
    return pd.DataFrame(rows)


def _spread(level: str, measure: str, values: pd.Series) -> dict[str, object]:
    x = values.to_numpy(float)
    mean = float(x.mean()) if x.size else np.nan
    return {
        "level": level,
        "measure": measure,
        "units": int(x.size),
        "min": float(x.min()) if x.size else np.nan,
        "median": float(np.median(x)) if x.size else np.nan,
        "max": float(x.max()) if x.size else np.nan,
        "cv": float(x.std() / mean) if x.size and mean > 0 else np.nan,
        "gini": gini(x),
    }


def alignment(plan: Plan, budget: pd.Series) -> pd.DataFrame:
    """Regions and teams: share of the company target, of FTE and of the budget (12 months to as-of)."""
    units = plan.units
    company = units.iloc[0]
    frame = units[units["level"].isin(["region", "team"])][["level", "unit_id", "region", "target", "fte"]].copy()
    frame["target_share"] = frame["target"] / company["target"] if company["target"] else np.nan
    frame["fte_share"] = frame["fte"] / company["fte"] if company["fte"] else np.nan
    frame["budget"] = [
        float(budget.get((lvl, u), np.nan)) for lvl, u in zip(frame["level"], frame["unit_id"], strict=True)
    ]
    totals = frame.groupby("level")["budget"].transform(lambda b: b.sum() if b.notna().any() else np.nan)
    frame["budget_share"] = frame["budget"] / totals
    frame["index"] = frame["target_share"] / frame["fte_share"]
    low, high = ALIGNMENT_BAND
    frame["aligned"] = frame["index"].between(low, high) | frame["index"].isna()
    return frame.reset_index(drop=True)
