"""Why a unit is below its benchmark: how much of the gap activity and tenure mix account for.

On the log scale the gap splits into

* **activity** — Σ_a β_a · log(unit's activity a per FTE-month ÷ the benchmark group's), with the
  elasticities β of the driver model (fewer visits per head → less revenue per head);
* **tenure** — log(unit's FTE-weighted ramp factor ÷ the group's), the ramp factor of a rep-month
  being the estimated productivity at its tenure (1 once ramped): a team full of new hires is
  expected to trail;
* **unexplained** — the rest: productivity per activity (territory, deal mix, pricing, coaching).

The cause code names the part that accounts for at least half of the gap: ``low_activity``,
``new_hires``, ``activity_and_tenure`` (together, neither alone) or ``other`` (neither);
``unknown`` when there is no driver model (no activities and no hire dates) to split it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from salesops_lib.analyses.team_efficiency.drivers import PanelFit
from salesops_lib.analyses.team_efficiency.panel import activity_column
from salesops_lib.analyses.team_efficiency.per_fte import unit_column
from salesops_lib.analyses.team_efficiency.ramp import RampCurve, curve

SHARE = 0.5


def ramp_factor(panel: pd.DataFrame, fit: PanelFit | None, ramp: RampCurve | None) -> pd.Series:
    """Estimated productivity of each rep-month at its tenure (1 when ramped or unknown)."""
    factor = pd.Series(1.0, index=panel.index)
    if fit is None or ramp is None:
        return factor
    tenure = panel["tenure"]
    terms = fit.coefficients[fit.coefficients["kind"] == "tenure"]
    by_month = dict(zip(terms["name"].astype(int), np.exp(terms["estimate"]), strict=True))
    factor = tenure.map(by_month).fillna(1.0)
    hire_month = tenure == 0  # part of a month: the curve at half the days worked
    factor[hire_month] = curve(panel.loc[hire_month, "fte"].fillna(0) / 2, ramp.tau)
    return factor.clip(lower=1e-3)


def decompose(
    panel: pd.DataFrame,
    units: pd.DataFrame,
    level: str,
    fit: PanelFit | None,
    ramp: RampCurve | None,
    start: pd.Timestamp,
    end: pd.Timestamp,
) -> pd.DataFrame:
    """Activity, tenure and unexplained parts of each unit's gap over the window (relative changes).

    ``units`` holds ``unit`` and ``gap`` (the rows to explain). Returns ``unit``,
    ``activity_part``, ``tenure_part``, ``unexplained_part``, ``cause`` and, per modelled
    activity, ``<activity>_per_fte`` and ``<activity>_gap`` (the unit's vs the company's).
    """
    column = unit_column(level)
    inside = panel[panel["month"].between(start, end) & (panel["fte"] > 0)].copy()
    inside["ramp_fte"] = ramp_factor(inside, fit, ramp) * inside["fte"]
    elasticities = (
        {}
        if fit is None
        else dict(
            zip(
                fit.coefficients.loc[fit.coefficients["kind"] == "activity", "name"],
                fit.coefficients.loc[fit.coefficients["kind"] == "activity", "estimate"],
                strict=True,
            )
        )
    )
    measured = [a for a in elasticities if activity_column(a) in inside]
    sums = inside.groupby(column)[["fte", "ramp_fte", *map(activity_column, measured)]].sum()
    company = sums.sum()
    rows = []
    for unit, gap in zip(units["unit"], units["gap"], strict=True):
        if unit not in sums.index or not np.isfinite(gap) or gap <= -1:
            continue
        own = sums.loc[unit]
        row: dict[str, object] = {"unit": unit}
        activity = 0.0
        for kind in measured:
            mine = own[activity_column(kind)] / own["fte"]
            theirs = company[activity_column(kind)] / company["fte"]
            row[f"{kind}_per_fte"], row[f"{kind}_gap"] = mine, mine / theirs - 1 if theirs > 0 else np.nan
            if mine > 0 and theirs > 0:
                activity += elasticities[kind] * np.log(mine / theirs)
        tenure = float(np.log((own["ramp_fte"] / own["fte"]) / (company["ramp_fte"] / company["fte"])))
        total = float(np.log1p(gap))
        row.update(
            activity_part=np.expm1(activity),
            tenure_part=np.expm1(tenure),
            unexplained_part=np.expm1(total - activity - tenure),
            cause=_cause(total, activity, tenure) if fit is not None else "unknown",
        )
        rows.append(row)
    return pd.DataFrame(rows)


def _cause(total: float, activity: float, tenure: float) -> str:
    if total >= 0:
        return "other"
    if activity <= SHARE * total:
        return "low_activity"
    if tenure <= SHARE * total:
        return "new_hires"
    if activity + tenure <= SHARE * total:
        return "activity_and_tenure"
    return "other"
