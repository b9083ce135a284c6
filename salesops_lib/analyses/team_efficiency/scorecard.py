"""Rep scorecard: process metrics (what a rep does) and result metrics (what it brings), one score.

Per rep and quarter (quarter-to-date for the running quarter):

* process — visits, calls and proposals per FTE-month (FTE-month = one rep employed a whole
  month), proposal rate (closed deals that reached the proposal stage ÷ closed deals);
* result — attainment (revenue ÷ target, months with a target), collection rate (invoices due,
  share paid by the end of their due month), win rate (won ÷ closed), revenue per FTE-month.

Each metric becomes a percentile among the eligible reps (employed at least ``min_fte`` of the
quarter; ties share the average percentile), the score is the weighted mean of the percentiles
(0–100) over the metrics the rep has (weights renormalised when a rep has, say, no closed deal),
and reps are ranked by score with ties sharing the better rank (1, 2, 2, 4). Metrics the source
cannot feed are dropped for everybody. The top ``stars`` ranks are the quarter's stars — a tie at
the boundary stars every tied rep.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from salesops_lib.analyses.team_efficiency.panel import activity_column
from salesops_lib.core.periods import quarter_label  # noqa: F401 - re-exported: ``2025Q2`` for a day

PROCESS = ("visits", "calls", "proposals", "proposal_rate")
RESULT = ("attainment", "collection_rate", "win_rate", "revenue_per_fte")
COMPONENTS = PROCESS + RESULT
SCORE_DIGITS = 9
"""Scores equal to this many decimals are ties (so float noise does not split them)."""


def quarters(end: dt.date, count: int) -> list[tuple[str, pd.Timestamp, pd.Timestamp]]:
    """The ``count`` quarters up to the one holding ``end``: label, first month, last month included."""
    last = pd.Timestamp(end).to_period("Q")
    out = []
    for i in range(count - 1, -1, -1):
        q = last - i
        first_month = q.start_time.normalize()
        last_month = min(q.end_time.normalize(), pd.Timestamp(end)).to_period("M").start_time
        out.append((str(q), first_month, last_month))
    return out


def _sum(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame.columns:
        return pd.Series(np.nan, index=frame.index.unique())
    return frame.groupby(level=0)[column].sum(min_count=1)


def _rate(num: pd.Series, den: pd.Series) -> pd.Series:
    return num / den.where(den > 0)


def quarter_table(panel: pd.DataFrame, first_month: pd.Timestamp, last_month: pd.Timestamp) -> pd.DataFrame:
    """Per rep over the months ``first_month``…``last_month``: the scorecard metrics and their parts.

    Examples
    --------
    >>> quarter_table(panel, pd.Timestamp("2025-04-01"), pd.Timestamp("2025-06-01"))  # doctest: +SKIP
    """
    months = panel[panel["month"].between(first_month, last_month)].set_index("rep_id")
    days = float(pd.Series(pd.date_range(first_month, last_month, freq="MS")).dt.days_in_month.sum())
    fte_months = _sum(months, "fte")
    with_target = months[months["target"].notna()] if "target" in months else months.iloc[:0]
    out = pd.DataFrame(
        {
            "fte": (months["fte"].fillna(0) * months["days"]).groupby(level=0).sum() / days,
            "fte_months": fte_months,
            "revenue": _sum(months, "revenue").fillna(0.0),
            "target": _sum(with_target, "target"),
            "visits": _rate(_sum(months, activity_column("visit")), fte_months),
            "calls": _rate(_sum(months, activity_column("call")), fte_months),
            "proposals": _rate(_sum(months, "proposals"), fte_months),
            "proposal_rate": _rate(_sum(months, "closed_with_proposal"), _sum(months, "closed_deals")),
            "attainment": _rate(_sum(with_target, "revenue").fillna(0.0), _sum(with_target, "target")),
            "collection_rate": _rate(_sum(months, "collected"), _sum(months, "due")),
            "win_rate": _rate(_sum(months, "won_deals"), _sum(months, "closed_deals")),
            "revenue_per_fte": _rate(_sum(months, "revenue"), fte_months),
        }
    )
    info = months.groupby(level=0)[["name", "team", "region"]].last()
    out = info.join(out).rename_axis("rep_id").reset_index()
    return out


def score(table: pd.DataFrame, weights: dict[str, float], *, min_fte: float = 0.5, stars: int = 3) -> pd.DataFrame:
    """Percentiles, weighted score, rank (ties share the better rank) and stars of the eligible reps.

    Returns the eligible rows of ``table`` with ``pct_<metric>`` columns, ``score``, ``rank``
    and ``star``, best first. ``weights`` maps metric → weight; metrics without any value are
    ignored.

    Examples
    --------
    >>> score(quarter_table(panel, q_start, q_end), {"attainment": 0.7, "visits": 0.3})  # doctest: +SKIP
    """
    eligible = table[table["fte"] >= min_fte].copy()
    used = [m for m in COMPONENTS if weights.get(m, 0) > 0 and m in eligible and eligible[m].notna().any()]
    total = pd.Series(0.0, index=eligible.index)
    weight = pd.Series(0.0, index=eligible.index)
    for metric in used:
        pct = eligible[metric].rank(pct=True, method="average")
        eligible[f"pct_{metric}"] = 100 * pct
        has = pct.notna()
        total[has] += weights[metric] * 100 * pct[has]
        weight[has] += weights[metric]
    eligible["score"] = (total / weight.where(weight > 0)).astype("float64")
    eligible["rank"] = eligible["score"].round(SCORE_DIGITS).rank(ascending=False, method="min")
    eligible["star"] = eligible["rank"] <= stars
    eligible.attrs["components"] = used
    return eligible.sort_values(["rank", "rep_id"]).reset_index(drop=True)


def star_history(
    panel: pd.DataFrame,
    end: dt.date,
    weights: dict[str, float],
    *,
    count: int = 4,
    min_fte: float = 0.5,
    stars: int = 3,
) -> pd.DataFrame:
    """The stars of the last ``count`` quarters up to ``end`` (the last one quarter-to-date).

    Columns: ``quarter``, ``complete``, ``rep_id``, ``name``, ``team``, ``region``, ``score``, ``rank``.
    """
    rows = []
    for label, first, last in quarters(end, count):
        complete = last == (first + pd.DateOffset(months=2))
        scored = score(quarter_table(panel, first, last), weights, min_fte=min_fte, stars=stars)
        top = scored[scored["star"]].assign(quarter=label, complete=complete)
        rows.append(top[["quarter", "complete", "rep_id", "name", "team", "region", "score", "rank"]])
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()
