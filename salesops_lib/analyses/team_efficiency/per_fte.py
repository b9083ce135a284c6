"""Revenue, new customers and gross profit per FTE by org unit: monthly, over a window, and the
spread across reps.

Everything rolls up from the rep × month panel (:mod:`.panel`), whose numerators and FTE come
from the metric dictionary (``revenue_per_fte`` & co. at rep × month), so a team's figure is
exactly ``compute_metric(..., Grain(level="team"))`` when every rep sells all the time they are
employed; the analysis replaces the panel's FTE by selling FTE first (:mod:`.active`: employed
*and* selling days). Over a window of whole months a unit's FTE is its selling days ÷ the window's
days (hire and exit days inclusive): Σ FTE_m · days_m ÷ Σ days_m.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

COMPANY = "company"
AMOUNTS = ["revenue", "new_customers", "gross_profit", "won_value", "won_deals", "closed_deals"]
PER_FTE = {
    "revenue_per_fte": "revenue",
    "new_customers_per_fte": "new_customers",
    "gross_profit_per_fte": "gross_profit",
}


def unit_column(level: str) -> str:
    """The panel column that names units at ``level`` (``company`` for the root)."""
    return {"company": COMPANY, "region": "region", "team": "team", "rep": "rep_id"}[level]


def _with_company(panel: pd.DataFrame) -> pd.DataFrame:
    return panel.assign(**{COMPANY: COMPANY}) if COMPANY not in panel.columns else panel


def monthly(panel: pd.DataFrame, level: str) -> pd.DataFrame:
    """Per unit and month: revenue, FTE and the three per-FTE values.

    Examples
    --------
    >>> monthly(panel, "team").query("unit == 'north-02'")[["month", "revenue_per_fte"]]  # doctest: +SKIP
    """
    column = unit_column(level)
    sums = _with_company(panel).groupby([column, "month"], as_index=False)[["fte", *AMOUNTS]].sum(min_count=1)
    sums = sums.rename(columns={column: "unit"})
    sums.insert(0, "level", level)
    return _per_fte(sums)


def window(panel: pd.DataFrame, level: str, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """Per unit over the months ``start``…``end``: totals, window FTE, per-FTE values and win rate.

    Window FTE = Σ FTE_m · days_m ÷ Σ days_m over the window's months (the unit's employed days ÷
    the window's days). Months before the source's first booking are not part of the window (the
    metric dictionary's FTE calendar starts there), so a short history is not diluted. Also:
    ``months`` with FTE > 0 and ``fte_months`` (Σ FTE_m).
    """
    column = unit_column(level)
    inside = _with_company(panel)
    inside = inside[inside["month"].between(start, end)]
    covered = inside.loc[inside["fte"] > 0, "month"].drop_duplicates()
    days = float(covered.dt.days_in_month.sum())
    inside = inside.assign(fte_days=inside["fte"].fillna(0) * inside["days"])
    sums = inside.groupby(column, as_index=False)[["fte_days", "fte", *AMOUNTS]].sum(min_count=1)
    months = inside[inside["fte"] > 0].groupby(column)["month"].nunique()
    selling = inside[inside["fte"] > 0].groupby(column)["rep_id"].nunique()
    sums = sums.rename(columns={column: "unit", "fte": "fte_months"})
    sums["months"] = sums["unit"].map(months).fillna(0).astype(int)
    sums["active_reps"] = sums["unit"].map(selling).fillna(0).astype(int)
    sums["fte"] = sums.pop("fte_days") / days
    sums.insert(0, "level", level)
    out = _per_fte(sums)
    out["win_rate"] = _ratio(out["won_deals"], out["closed_deals"])
    return out


def _per_fte(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    for name, amount in PER_FTE.items():
        frame[name] = _ratio(frame[amount], frame["fte"])
    return frame


def _ratio(num: pd.Series, den: pd.Series) -> pd.Series:
    den = den.astype("float64")
    return (num.astype("float64") / den.where(den > 0)).astype("float64")


def headcount(reps: pd.DataFrame, level: str, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """Per unit: reps employed on ``end`` (``headcount``), hired and leaving within ``start``…``end``.

    Vacancies are not in the reps table; they show as FTE below headcount × 1 over the window.
    """
    column = unit_column(level)
    reps = _with_company(reps)
    last_day = end + pd.offsets.MonthEnd(0)
    employed = (reps["hire_date"].isna() | (reps["hire_date"] <= last_day)) & (
        reps["exit_date"].isna() | (reps["exit_date"] >= last_day)
    )
    hired = reps["hire_date"].between(start, last_day)
    left = reps["exit_date"].between(start, last_day)
    flags = pd.DataFrame({"unit": reps[column], "headcount": employed, "hires": hired, "exits": left})
    return flags.groupby("unit", as_index=False).sum().astype({"headcount": int, "hires": int, "exits": int})


def spread(rep_window: pd.DataFrame, *, min_fte: float, by: str = "team") -> pd.DataFrame:
    """Distribution of rep revenue per FTE within each ``by`` unit (reps with at least ``min_fte``).

    ``rep_window`` is the rep-level window summary with the rep's ``by`` column (e.g. ``team``).
    Columns: ``unit``, ``reps``, ``p10``, ``p25``, ``median``, ``p75``, ``p90``, ``iqr_ratio``
    (p75 ÷ p25: how unequal the team is).
    """
    frame = rep_window[rep_window["fte"] >= min_fte]
    rows = []
    for unit, group in frame.groupby(by):
        values = group["revenue_per_fte"].dropna().to_numpy()
        if values.size == 0:
            continue
        q = np.quantile(values, [0.10, 0.25, 0.50, 0.75, 0.90])
        rows.append(
            {
                "unit": unit,
                "reps": int(values.size),
                "p10": q[0],
                "p25": q[1],
                "median": q[2],
                "p75": q[3],
                "p90": q[4],
                "iqr_ratio": q[3] / q[1] if q[1] > 0 else np.nan,
            }
        )
    return pd.DataFrame(rows, columns=["unit", "reps", "p10", "p25", "median", "p75", "p90", "iqr_ratio"])
