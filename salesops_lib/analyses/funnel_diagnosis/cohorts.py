"""Cohort funnels by creation month, with right-censoring handled.

A cohort created last month has had a few weeks to close; its deals are mostly open, so its
to-date win rate says little. Cohorts are therefore compared *at the same age*: the share of a
cohort's deals won within ``horizon`` days of creation, estimated with the Aalen–Johansen
estimator of the cumulative incidence of winning (lost is a competing outcome; a deal still
open on the as-of date is censored at its age). A cohort whose every deal is older than the
horizon is *mature* and the estimate is simply the observed share; a younger cohort gets an
estimate from the deals old enough to tell, and a cohort younger than the horizon gets none.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import cast

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from salesops_lib.analyses.funnel_diagnosis.facts import StagePlan
from salesops_lib.analyses.funnel_diagnosis.stats import rate


def _month_end(month: pd.Timestamp) -> pd.Timestamp:
    return month + pd.offsets.MonthEnd(0)


def cohort_table(
    deals: ir.Table, plan: StagePlan, start: dt.date | None, as_of: dt.date, horizon: int, curves: pd.DataFrame
) -> pd.DataFrame:
    """One row per creation month from ``start``: deals, how far they got, open share, to-date
    win rate of decided deals, and the share won within ``horizon`` days (``won_by_horizon``
    from :func:`incidence_curves`, with ``basis`` = observed / estimated / too_young).
    """
    window = _window(deals, start)
    window = window.mutate(cohort=window.created.truncate("M"))
    counts = window.group_by(["cohort", "furthest", "status"]).agg(n=window.count()).execute()
    if counts.empty:
        return pd.DataFrame()
    counts["cohort"] = pd.to_datetime(counts["cohort"])
    rows = []
    for cohort, part in counts.groupby("cohort"):
        f, s, n = part["furthest"].to_numpy(), part["status"].to_numpy(), part["n"].to_numpy(float)
        row: dict[str, object] = {"cohort": cohort, "deals": n.sum()}
        for k, name in enumerate(plan.funnel):
            row[f"reached:{name}"] = n[f >= k].sum()
        row["won"] = n[s == "won"].sum()
        row["lost"] = n[s == "lost"].sum()
        row["open"] = n[s == "open"].sum()
        rows.append(row)
    table = pd.DataFrame(rows)
    table["open_share"] = table["open"] / table["deals"]
    table["win_rate_to_date"] = rate(table["won"], table["won"] + table["lost"])
    at_h = curves[curves["age_days"] <= horizon].sort_values("age_days").groupby("cohort").tail(1)
    table = table.merge(at_h[["cohort", "won_share"]], on="cohort", how="left")
    youngest = (pd.Timestamp(as_of) - table["cohort"].map(_month_end)).dt.days
    oldest = (pd.Timestamp(as_of) - table["cohort"]).dt.days
    table["basis"] = np.where(youngest >= horizon, "observed", np.where(oldest >= horizon, "estimated", "too_young"))
    table["won_by_horizon"] = table["won_share"].where(table["basis"] != "too_young")
    table["age_days"] = oldest
    return table.drop(columns=["won_share"])


def _window(deals: ir.Table, start: dt.date | None) -> ir.Table:
    dated = deals.filter(deals.created.notnull())
    return dated if start is None else dated.filter(dated.created >= start)


def incidence_curves(deals: ir.Table, start: dt.date | None, as_of: dt.date, horizon: int) -> pd.DataFrame:
    """Cumulative share of each cohort's deals won by age in days, by the Aalen–Johansen
    estimator: lost is a competing outcome, open deals are censored at their age. Ages run up
    to the cohort's age or ``max(2 × horizon, 180)`` days, whichever is less.
    """
    cap = max(2 * horizon, 180)
    window = _window(deals, start)
    end = cast("ir.DateValue", ibis.coalesce(window.won_at, window.lost_at, ibis.literal(as_of)))  # all dates
    age = end.delta(window.created, unit="day")
    event = ibis.cases(
        (age > ibis.literal(cap), "open"),
        (window.status == "won", "won"),
        (window.status == "lost", "lost"),
        else_="open",
    )
    grouped = window.mutate(cohort=window.created.truncate("M"), age=ibis.least(age, cap).cast("int64"), event=event)
    counts: pd.DataFrame = grouped.group_by(["cohort", "age", "event"]).agg(n=grouped.count()).execute()
    if counts.empty:
        return pd.DataFrame(columns=["cohort", "age_days", "won_share"])
    counts["cohort"] = pd.to_datetime(counts["cohort"])
    frames = []
    by_cohort = cast("Iterable[tuple[pd.Timestamp, pd.DataFrame]]", counts.groupby("cohort"))  # to_datetime above
    for cohort, part in by_cohort:
        wide = part.pivot_table(index="age", columns="event", values="n", aggfunc="sum", fill_value=0)
        wide = wide.reindex(columns=["won", "lost", "open"], fill_value=0)
        ages = np.arange(0, int(wide.index.max()) + 1)
        wide = wide.reindex(ages, fill_value=0)
        at_risk = wide.sum(axis=1).to_numpy(float)[::-1].cumsum()[::-1]
        won, lost = wide["won"].to_numpy(float), wide["lost"].to_numpy(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            hazard_won = np.where(at_risk > 0, won / at_risk, 0.0)
            hazard_any = np.where(at_risk > 0, (won + lost) / at_risk, 0.0)
        survival_before = np.concatenate([[1.0], np.cumprod(1 - hazard_any)[:-1]])
        share = np.cumsum(survival_before * hazard_won)
        observed = min((pd.Timestamp(as_of) - cohort).days, cap)
        frame = pd.DataFrame({"cohort": cohort, "age_days": ages, "won_share": share})
        frames.append(frame[frame["age_days"] <= observed])
    return pd.concat(frames, ignore_index=True)
