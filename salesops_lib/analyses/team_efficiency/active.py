"""FTE from active selling time: a rep counts for the days they were employed *and* selling.

A head count treats a rep on the roster who never sold anything as a full FTE, which drags the
team's revenue per FTE down for no reason a manager can act on (on the Maven CRM export five of
six teams carry such an agent). Here a rep's selling span is the span of their own traces in the
data — the first to the last lead, deal (created or closed), order or activity, each end widened
by ``grace`` days (the normal gap between two traces; a trace within ``grace`` of the data's
last day keeps the rep active up to it). A rep's FTE in a month is the share of the month's days
that are both employed (hire and exit day from the roster, when present) and inside the span;
a rep with no trace in or around the window counts 0 and is listed as *inactive*, not a head.

The engine finds the spans (one min/max per rep and table); only one row per rep reaches pandas.
"""

from __future__ import annotations

import datetime as dt

import ibis
import numpy as np
import pandas as pd

from salesops_lib.data import Dataset

#: table → date columns whose rows are a trace of the row's rep selling
TRACES: dict[str, tuple[str, ...]] = {
    "leads": ("created_at",),
    "opportunities": ("created_at", "closed_at"),
    "orders": ("ordered_at",),
    "activities": ("at",),
}


def selling_spans(data: Dataset, end: dt.date) -> pd.DataFrame:
    """Per rep with any trace up to ``end``: ``first_seen`` and ``last_seen`` (timestamps).

    Examples
    --------
    >>> selling_spans(connect("demo"), dt.date(2025, 6, 30)).head()  # doctest: +SKIP
    """
    parts = []
    for name, columns in TRACES.items():
        if not data.has(name):
            continue
        table = data.table(name)
        if "rep_id" not in table.columns:
            continue
        for column in columns:
            if column not in table.columns:
                continue
            at = table[column].cast("date")
            rows = table.filter(table.rep_id.notnull() & at.notnull() & (at <= end))
            parts.append(rows.select(rep_id=rows.rep_id.cast("string"), at=rows[column].cast("date")))
    if not parts:
        return pd.DataFrame({"rep_id": pd.Series(dtype="object"), "first_seen": [], "last_seen": []}).astype(
            {"first_seen": "datetime64[ns]", "last_seen": "datetime64[ns]"}
        )
    union = ibis.union(*parts) if len(parts) > 1 else parts[0]
    spans: pd.DataFrame = union.group_by("rep_id").agg(first_seen=union.at.min(), last_seen=union.at.max()).execute()
    for column in ("first_seen", "last_seen"):
        spans[column] = pd.to_datetime(spans[column])
    return spans


def selling_fte(
    panel: pd.DataFrame, reps: pd.DataFrame, spans: pd.DataFrame, *, end: dt.date, grace: int
) -> pd.DataFrame:
    """``panel`` with ``fte`` = the share of each month employed *and* selling; the roster's
    employed share stays as ``employed_fte``.

    ``reps`` is the roster (``rep_id``, ``hire_date``, ``exit_date``), ``spans`` the output of
    :func:`selling_spans`; ``end`` the data's last day (a trace within ``grace`` days of it keeps
    the rep selling up to it). Months the metric dictionary gave no FTE (before the source's first
    booking) stay at 0.
    """
    out = panel.copy()
    out["employed_fte"] = out["fte"]
    if out.empty:
        return out
    pad = pd.Timedelta(days=grace)
    span = spans.set_index("rep_id")
    roster = reps.drop_duplicates("rep_id").set_index("rep_id")
    first = out["rep_id"].map(span["first_seen"]) - pad
    last = out["rep_id"].map(span["last_seen"]) + pad
    last = last.where(last < pd.Timestamp(end), pd.Timestamp(end) + pd.Timedelta(days=1))
    hire = out["rep_id"].map(pd.to_datetime(roster["hire_date"]))
    exit_ = out["rep_id"].map(pd.to_datetime(roster["exit_date"]))
    month_end = out["month"] + pd.offsets.MonthEnd(0)
    start = pd.concat([out["month"], first, hire], axis=1).max(axis=1)
    stop = pd.concat([month_end, last, exit_], axis=1).min(axis=1)  # inclusive last day
    days = ((stop - start).dt.days + 1).clip(lower=0).fillna(0)
    share = (days / out["days"]).where(first.notna(), 0.0)  # no trace at all: not selling
    out["fte"] = np.where(out["employed_fte"].fillna(0) > 0, share.clip(upper=1.0), 0.0)
    return out


def inactive_reps(reps: pd.DataFrame, panel: pd.DataFrame, start: pd.Timestamp, last: pd.Timestamp) -> pd.DataFrame:
    """Roster reps employed at some point of the months ``start``…``last`` with no selling FTE in
    them: ``rep_id``, ``name``, ``team``, ``region``, ``employed_fte`` (employed days ÷ window days).
    """
    inside = panel[panel["month"].between(start, last)]
    days = float(inside.drop_duplicates("month")["days"].sum())
    inside = inside.assign(employed_days=inside["employed_fte"].fillna(0) * inside["days"])
    sums = inside.groupby("rep_id")[["fte", "employed_days"]].sum()
    sums["employed_fte"] = sums["employed_days"] / days if days > 0 else 0.0
    idle = sums[(sums["employed_fte"] > 0) & (sums["fte"] <= 0)]
    frame = reps[reps["rep_id"].isin(idle.index)][["rep_id", "name", "team", "region"]]
    return frame.assign(employed_fte=frame["rep_id"].map(idle["employed_fte"])).reset_index(drop=True)
