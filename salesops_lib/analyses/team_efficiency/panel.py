"""The rep × month panel every part of the efficiency analysis reads.

One row per rep and calendar month in which the rep was employed (FTE > 0) or booked something.
Every column is an additive count or amount, so any org level and any span of months is a
``groupby().sum()`` away; the ratios are formed afterwards. The heavy lifting stays in the
engine: the per-FTE, attainment, win-rate and collection metrics come from the metric
dictionary at rep × month (:func:`salesops_lib.metrics.compute_metric`, FTE pro-rated by day),
activities and proposals are grouped in the engine, and only the aggregate becomes pandas.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from salesops_lib.data import Dataset
from salesops_lib.metrics import METRICS, Grain, compute_metric
from salesops_lib.metrics.engine import indicator, with_membership
from salesops_lib.metrics.facts import closed_deals, rep_roster

KEYS = ["rep_id", "month"]
#: metric of the dictionary → (numerator column, denominator column) it contributes to the panel
METRIC_COLUMNS: dict[str, tuple[str | None, str | None]] = {
    "revenue_per_fte": ("revenue", "fte"),
    "new_customers_per_fte": ("new_customers", None),
    "gross_profit_per_fte": ("gross_profit", None),
    "won_value": ("won_value", None),
    "win_rate": ("won_deals", "closed_deals"),
    "attainment": (None, "target"),
    "collection_rate": ("collected", "due"),
}
FULL_FTE = 1.0 - 1e-9


def activity_column(kind: str) -> str:
    """Panel column holding the count of activities of type ``kind``."""
    return f"act_{kind}"


def rep_months(
    data: Dataset, start: dt.date, end: dt.date, *, activity_types: tuple[str, ...] = (), proposal_stage: str = ""
) -> pd.DataFrame:
    """The rep × month panel for the months ``start``…``end`` (whole months).

    Columns: ``rep_id``, ``month``, ``team``, ``region``, ``days`` (in the month), ``fte``,
    ``revenue``, ``new_customers``, ``gross_profit``, ``won_value``, ``won_deals``, ``closed_deals``,
    ``target``, ``collected``, ``due``, ``proposals``, ``closed_with_proposal``, one
    ``act_<type>`` count per activity type, ``tenure`` (months since the hire month; NaN when the
    hire date is unknown) and ``full`` (employed every day of the month, after the hire month).
    Columns the source cannot feed are NaN.

    Examples
    --------
    >>> rep_months(
    ...     connect("demo"), dt.date(2026, 1, 1), dt.date(2026, 6, 30), activity_types=("visit",)
    ... )  # doctest: +SKIP
    """
    grain = Grain(period="month", level="rep", start=start, end=end)
    parts = []
    for name, (num, den) in METRIC_COLUMNS.items():
        if not METRICS[name].available(data):
            continue
        part = compute_metric(data, name, grain)
        cols = {c: n for c, n in (("numerator", num), ("denominator", den)) if n}
        parts.append(part.rename(columns={"unit": "rep_id", "period": "month", **cols})[[*KEYS, *cols.values()]])
    parts += [
        p
        for p in (_activities(data, start, end, activity_types), _proposals(data, start, end, proposal_stage))
        if p is not None
    ]
    frame = pd.DataFrame({"rep_id": pd.Series(dtype="object"), "month": pd.Series(dtype="datetime64[ns]")})
    for found in parts:
        part = found.assign(month=pd.to_datetime(found["month"]))
        frame = frame.merge(part, on=KEYS, how="outer")
    for column in ["fte", *(n for pair in METRIC_COLUMNS.values() for n in pair if n)]:
        if column not in frame.columns:
            frame[column] = np.nan
    for kind in activity_types:
        column = activity_column(kind)
        if column in frame.columns:
            frame[column] = frame[column].fillna(0.0)
    frame = frame[frame["month"].between(pd.Timestamp(start), pd.Timestamp(end))]
    frame = frame[(frame["fte"].fillna(0) > 0) | (frame["revenue"].fillna(0) != 0)]
    return _with_reps(frame, rep_roster(data)).sort_values(KEYS).reset_index(drop=True)


def _activities(data: Dataset, start: dt.date, end: dt.date, types: tuple[str, ...]) -> pd.DataFrame | None:
    """Activities of each of ``types`` per rep-month, one column per type (counted in the engine)."""
    if not types or not data.has("activities"):
        return None
    acts = data.table("activities")
    acts = acts.filter(
        acts.rep_id.notnull() & acts.at.notnull() & (acts.at >= start) & (acts.at <= end) & acts.type.isin(list(types))
    )
    grouped = acts.group_by(rep_id=acts.rep_id, month=acts.at.truncate("M"))
    counts = {
        activity_column(kind): acts.count(where=acts.type == kind).cast("float64") for kind in dict.fromkeys(types)
    }
    wide: pd.DataFrame = grouped.agg(**counts).execute()
    return wide


def _proposals(data: Dataset, start: dt.date, end: dt.date, stage: str) -> pd.DataFrame | None:
    """Deals entering ``stage`` per rep-month, and closed deals that had reached it."""
    if not stage or not data.has("stage_history", "opportunities") or stage not in data.stages.all:
        return None
    history = data.table("stage_history")
    reached = history.filter(history.stage == stage).group_by("opp_id").agg(entered=history.entered_at.min())
    opps = data.table("opportunities").select("opp_id", "rep_id")
    entered = reached.filter((reached.entered >= start) & (reached.entered <= end)).join(opps, "opp_id")
    proposals: pd.DataFrame = (
        entered.group_by(rep_id=entered.rep_id, month=entered.entered.truncate("M"))
        .agg(proposals=entered.count().cast("float64"))
        .execute()
    )
    closed = closed_deals(data)
    closed = closed.filter((closed.closed_at >= start) & (closed.closed_at <= end))
    closed = with_membership(closed, "opp_id", reached.opp_id, "has_reached")
    closed = closed.mutate(reached=indicator(closed.has_reached, "float64"))
    with_proposal: pd.DataFrame = (
        closed.group_by(rep_id=closed.rep_id, month=closed.closed_at.truncate("M"))
        .agg(closed_with_proposal=closed.reached.sum())
        .execute()
    )
    both = proposals.assign(month=pd.to_datetime(proposals["month"])).merge(
        with_proposal.assign(month=pd.to_datetime(with_proposal["month"])), on=KEYS, how="outer"
    )
    return both.fillna({"proposals": 0.0, "closed_with_proposal": 0.0})


def _with_reps(frame: pd.DataFrame, reps: pd.DataFrame) -> pd.DataFrame:
    """Add the rep's name, team, region, tenure (months since the hire month) and full-month flag."""
    out = frame.merge(reps, on="rep_id", how="left")
    month, hire, exit_ = out["month"], out["hire_date"], out["exit_date"]
    out["name"] = out["name"].fillna(out["rep_id"])
    out["days"] = month.dt.days_in_month.astype("float64")
    out["tenure"] = (month.dt.year * 12 + month.dt.month) - (hire.dt.year * 12 + hire.dt.month)
    out["full"] = (
        (out["fte"].fillna(0) >= FULL_FTE)
        & (hire.isna() | (hire < month))
        & (exit_.isna() | (exit_ >= month + pd.offsets.MonthEnd(0)))
    )
    return out.drop(columns=["hire_date", "exit_date"])
