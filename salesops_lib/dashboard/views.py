"""Cuts of a :class:`DashboardCube` to one scope — small pandas lookups on aggregates, no raw
table and no analysis logic (the cube holds what the analyses found).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from salesops_lib.analyses.findings import Finding, rank
from salesops_lib.dashboard.cube import DashboardCube
from salesops_lib.dashboard.labels import display_name
from salesops_lib.dashboard.scope import Scope, children, contains


def _rows(frame: pd.DataFrame, level: str, unit: str, *, unit_column: str = "unit") -> pd.DataFrame:
    if frame.empty or "level" not in frame:
        return frame.iloc[0:0]
    return frame[(frame["level"] == level) & (frame[unit_column].astype(str) == unit)]


def tiles(cube: DashboardCube, scope: Scope) -> pd.DataFrame:
    """The headline KPI tiles of the scope's unit (value, previous month, last year, target)."""
    return _rows(cube.tiles, scope.level, scope.unit).reset_index(drop=True)


def pacing(cube: DashboardCube, scope: Scope) -> pd.DataFrame:
    """Target tracking's month / quarter / year pacing of the scope's unit."""
    return _rows(cube.pacing, scope.level, scope.unit, unit_column="unit_id").reset_index(drop=True)


def trend(cube: DashboardCube, scope: Scope) -> pd.DataFrame:
    """Monthly actual against target for the scope's unit (oldest first)."""
    rows = _rows(cube.monthly, scope.level, scope.unit, unit_column="unit_id")
    if rows.empty:
        return pd.DataFrame(columns=["period", "target", "actual", "attainment"])
    return rows.sort_values("period")[["period", "target", "actual", "attainment"]].reset_index(drop=True)


def outlook(cube: DashboardCube, scope: Scope) -> pd.Series | None:
    """The forecast of the target quarter for the scope's unit, if the forecast covers it."""
    rows = _rows(cube.forecast, scope.level, scope.unit)
    return None if rows.empty else rows.iloc[0]


def breakdown(cube: DashboardCube, scope: Scope) -> pd.DataFrame:
    """One row per unit one level down (the drill table): revenue, target attainment, win rate,
    forecast attainment and chance to hit the quarter's target — weakest attainment first.
    """
    level = scope.child_level
    units = children(cube.org, scope)
    if not level or not units:
        return pd.DataFrame(columns=["unit", "revenue", "attainment", "win_rate", "forecast_attainment", "p_hit"])
    picked = cube.tiles[(cube.tiles["level"] == level) & cube.tiles["unit"].isin(units)]
    values = picked.pivot_table(index="unit", columns="metric", values="value", aggfunc="first")
    table = pd.DataFrame(index=pd.Index(units, name="unit"))
    for metric in ("revenue", "attainment", "win_rate"):
        table[metric] = values.get(metric, np.nan)
    fc = cube.forecast
    if not fc.empty:
        fc = fc[fc["level"] == level]
        fc = fc.set_index(fc["unit"].astype(str))
        table["forecast_attainment"] = fc["attainment"].reindex(table.index)
        table["p_hit"] = fc["p_hit"].reindex(table.index)
    else:
        table["forecast_attainment"] = table["p_hit"] = np.nan
    return table.reset_index().sort_values("attainment", na_position="last", kind="stable").reset_index(drop=True)


def unit_name(cube: DashboardCube, level: str, unit: str, lang: str) -> str:
    """The display name of an org unit of the cube (:func:`salesops_lib.dashboard.labels.display_name`)."""
    return display_name(level, unit, lang, cube.names)


def deals(cube: DashboardCube, scope: Scope, *, limit: int = 10) -> pd.DataFrame:
    """The rep's largest open deals at the period's end (empty above rep scope), largest first."""
    columns = ["opp_id", "customer", "amount", "stage", "expected_close", "days_in_stage"]
    frame = cube.deals
    if not scope.rep or frame.empty:
        return pd.DataFrame(columns=columns)
    rows = frame[frame["rep_id"].astype(str) == scope.rep]
    return rows.sort_values("amount", ascending=False, kind="stable").head(limit)[columns].reset_index(drop=True)


def target_vs_actual(cube: DashboardCube, scope: Scope) -> pd.DataFrame:
    """The month's revenue and target of the units one level down (empty at rep scope), by unit id:
    unit, actual, target.
    """
    level = scope.child_level
    units = children(cube.org, scope)
    rows = cube.tiles[(cube.tiles["level"] == level) & (cube.tiles["metric"] == "revenue")]
    rows = rows[rows["unit"].astype(str).isin(units)]
    table = pd.DataFrame({"unit": rows["unit"].astype(str), "actual": rows["value"], "target": rows["target"]})
    return table.sort_values("unit").reset_index(drop=True)


def bridge(cube: DashboardCube, scope: Scope, *, most: int = 6) -> pd.DataFrame:
    """Target → actual of the scope's month as a waterfall: the target, each unit one level down
    with its actual minus its target (largest gaps first, the rest summed as ``other``), then the actual.
    The steps add up exactly when the units' targets and actuals add up to the scope's.
    Columns: ``item`` (target, a unit id, other, actual), ``kind`` (total, unit, other), ``value``,
    ``units`` (how many units a step sums). Empty at rep scope (nothing below a rep).
    """
    own = tiles(cube, scope)
    own = own[own["metric"] == "revenue"]
    if not scope.child_level or own.empty or not pd.notna(own["target"].iloc[0]):
        return pd.DataFrame(columns=["item", "kind", "value", "units"])
    target, actual = float(own["target"].iloc[0]), float(own["value"].iloc[0])
    parts = target_vs_actual(cube, scope)
    parts = parts.assign(gap=parts["actual"].fillna(0) - parts["target"].fillna(0))
    parts = parts.reindex(parts["gap"].abs().sort_values(ascending=False, kind="stable").index)
    shown = parts.head(most)
    rows = [{"item": "target", "kind": "total", "value": target, "units": 0}]
    rows += [
        {"item": u, "kind": "unit", "value": g, "units": 1} for u, g in zip(shown["unit"], shown["gap"], strict=True)
    ]
    rest = actual - target - float(shown["gap"].sum())
    if len(parts) > most or abs(rest) > 1e-6 * max(abs(target), 1.0):
        rows.append({"item": "other", "kind": "other", "value": rest, "units": len(parts) - len(shown)})
    rows.append({"item": "actual", "kind": "total", "value": actual, "units": 0})
    return pd.DataFrame(rows)


def funnel(cube: DashboardCube, scope: Scope) -> pd.DataFrame:
    """Deals reaching each step of the funnel for the scope's unit, with step conversion."""
    rows = _rows(cube.funnel, scope.level, scope.unit)
    if rows.empty:
        return pd.DataFrame(columns=["step", "k", "reached", "conversion"])
    rows = rows.sort_values("k")[["step", "k", "reached"]].copy()
    first = rows["reached"].shift(1)
    rows["conversion"] = rows["reached"] / first.where(first > 0)
    return rows.reset_index(drop=True)


def ranking(cube: DashboardCube, scope: Scope) -> pd.DataFrame:
    """Revenue per FTE of the units one level down (for a rep: the reps of its team), best first,
    with the gap to the analysis' benchmark and its flag.
    """
    level = scope.child_level or "rep"
    parent = Scope(scope.region, scope.team) if scope.rep else scope
    units = children(cube.org, parent)
    eff = cube.efficiency
    if eff.empty:
        return eff
    rows = eff[(eff["level"] == level) & eff["unit"].isin(units)].copy()
    rows["selected"] = rows["unit"] == scope.rep
    keep = ["unit", "fte", "revenue_per_fte", "win_rate", "gap", "flagged", "selected"]
    return rows.sort_values("revenue_per_fte", ascending=False)[keep].reset_index(drop=True)


def campaign_roi(cube: DashboardCube, scope: Scope) -> pd.DataFrame:
    """Campaign cost and return by campaign type for the scope's region (campaigns are regional):
    ROI is won revenue over cost, minus one, as in the expense analysis.
    """
    campaigns = cube.campaigns
    if campaigns.empty:
        return pd.DataFrame(columns=["type", "campaigns", "cost", "won_revenue", "roi", "low_roi"])
    if scope.region and "region" in campaigns:
        campaigns = campaigns[campaigns["region"].astype(str) == scope.region]
    grouped = campaigns.groupby("type", sort=True).agg(
        campaigns=("campaign_id", "count"),
        cost=("cost", "sum"),
        won_revenue=("won_revenue", "sum"),
        low_roi=("low_roi", "sum"),
    )
    grouped["roi"] = grouped["won_revenue"] / grouped["cost"].where(grouped["cost"] > 0) - 1
    return grouped.reset_index()[["type", "campaigns", "cost", "won_revenue", "roi", "low_roi"]]


def expense_ratio(cube: DashboardCube, scope: Scope) -> pd.Series | None:
    """Expense alignment of the scope's region (expenses, revenue, ratio against the company's)."""
    units = cube.expense_units
    if units.empty or not scope.region:
        return None
    rows = units[units["unit"].astype(str) == scope.region]
    return None if rows.empty else rows.iloc[0]


def alerts(cube: DashboardCube, scope: Scope, *, limit: int = 12) -> list[Finding]:
    """The period's findings inside the scope, most severe and costly first."""
    inside = []
    for finding in cube.findings:
        if finding.level in ("company", "customer", "campaign", "product", "channel", "industry"):
            if scope.level == "company":
                inside.append(finding)
            elif (
                finding.level == "campaign"
                and scope.level == "region"
                and (_campaign_region(cube, finding.unit) == scope.region)
            ):  # campaigns are regional
                inside.append(finding)
        elif contains(cube.org, scope, finding.level, finding.unit):
            inside.append(finding)
    return rank(inside)[:limit]


def _campaign_region(cube: DashboardCube, campaign: str) -> str:
    rows = cube.campaigns
    if rows.empty or "campaign_id" not in rows:
        return ""
    match = rows.loc[rows["campaign_id"].astype(str) == campaign, "region"]
    return str(match.iloc[0]) if len(match) else ""
