"""Stage funnel, stage durations, stalled open deals and loss reasons.

Conversions are counted on *decided* deals: at each stage, the deals that moved on divided by
the deals that moved on or were lost there. Deals still sitting in a stage are reported as
open, not as losses, so a young window does not look worse than an old one (right-censoring).
The cumulative conversion is the product of the stage conversions: the chance that a new deal
is eventually won.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable, Iterable
from typing import Any, cast

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from salesops_lib.analyses.bounded import BoundedList, first_rows
from salesops_lib.analyses.funnel_diagnosis.facts import StagePlan, entry, exit_
from salesops_lib.analyses.funnel_diagnosis.stats import rate, wilson
from salesops_lib.metrics.engine import indicator

LEADS = "leads"
"""Step key of the lead → opportunity conversion (the leads table)."""

FUNNEL_COLUMNS = [
    "step",
    "k",
    "reached",
    "advanced",
    "lost",
    "open",
    "decided",
    "conversion",
    "conversion_lo",
    "conversion_hi",
    "cumulative",
]
DIMENSION_COLUMNS = ["region", "team", "rep", "channel", "product", "industry"]


def outcome_counts(deals: ir.Table, by: list[str]) -> pd.DataFrame:
    """Deals by ``by`` × ``furthest`` × ``status``: ``n`` and ``amount`` (engine aggregate)."""
    frame: pd.DataFrame = (
        deals.group_by([*by, "furthest", "status"])
        .agg(
            n=deals.count(),
            amount=deals.amount.sum().fill_null(0),
            priced=(deals.amount > 0).sum().cast("float64"),
        )
        .execute()
    )
    return frame


def funnel_table(
    counts: pd.DataFrame,
    plan: StagePlan,
    *,
    by: list[str] | None = None,
    alpha: float = 0.05,
    leads: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Funnel rows (one per open stage, then won) from :func:`outcome_counts`.

    ``leads`` (columns ``by`` + ``leads``, ``converted``) adds the lead → opportunity step on top.

    Examples
    --------
    >>> plan = StagePlan(("a", "b"), "won", "lost")
    >>> counts = pd.DataFrame({"furthest": [0, 1, 2, 1], "status": ["lost", "lost", "won", "open"], "n": [4, 3, 3, 2]})
    >>> funnel_table(counts, plan)[["step", "reached", "advanced", "lost", "open", "conversion"]]
      step  reached  advanced  lost  open  conversion
    0    a     12.0       8.0   4.0   0.0    0.666667
    1    b      8.0       3.0   3.0   2.0    0.500000
    2  won      3.0       0.0   0.0   0.0         NaN
    """
    by = by or []
    groups: Iterable[tuple[Hashable, pd.DataFrame]] = counts.groupby(by, sort=True) if by else [((), counts)]
    rows = []
    for key, part in groups:
        keys = key if isinstance(key, tuple) else (key,)
        labels = dict(zip(by, keys, strict=True))
        furthest, status, n = part["furthest"].to_numpy(), part["status"].to_numpy(), part["n"].to_numpy(float)
        cumulative = 1.0
        for k, name in enumerate(plan.funnel):
            reached = n[furthest >= k].sum()
            advanced = n[furthest > k].sum()
            lost = n[(furthest == k) & (status == "lost")].sum()
            still = n[(furthest == k) & (status == "open")].sum()
            decided = advanced + lost if k < plan.n else 0.0
            conversion = advanced / decided if decided else np.nan
            rows.append(
                {
                    **labels,
                    "step": name,
                    "k": k,
                    "reached": reached,
                    "advanced": advanced if k < plan.n else 0.0,
                    "lost": lost,
                    "open": still,
                    "decided": decided,
                    "conversion": conversion,
                    "cumulative": cumulative,
                }
            )
            cumulative = cumulative * conversion if k < plan.n else cumulative
    table = pd.DataFrame(rows)
    if leads is not None and not leads.empty:
        top = leads.rename(columns={"leads": "reached", "converted": "advanced"}).assign(step=LEADS, k=-1)
        top["lost"] = top["reached"] - top["advanced"]
        top["open"] = 0.0
        top["decided"] = top["reached"]
        top["conversion"] = rate(top["advanced"], top["decided"])
        top["cumulative"] = 1.0
        table = pd.concat([top[table.columns], table], ignore_index=True)
        table = table.sort_values([*by, "k"], kind="stable").reset_index(drop=True)
        if not by:
            table.loc[table["k"] >= 0, "cumulative"] *= float(table.loc[table["k"] == -1, "conversion"].iloc[0])
    table["conversion_lo"], table["conversion_hi"] = wilson(table["advanced"], table["decided"], alpha)
    return table[[*by, *FUNNEL_COLUMNS]]


def stays(deals: ir.Table, plan: StagePlan) -> ir.Table:
    """One row per deal and open stage it entered: ``k``, ``entered``, ``left`` (null while it is
    still there), ``days``, ``advanced``, ``recorded`` (the entry is in the stage history) and the
    deal's ``opp_id``, dimensions, ``amount`` and ``created``.

    A deal always enters the first stage when it is created; other stages count only when recorded.
    """
    parts = []
    for k in range(plan.n):
        entered = deals[entry(k)]
        if k == 0:
            entered = ibis.coalesce(entered, deals.created)
        part = deals.filter(entered.notnull() & (deals.furthest >= k))
        entered = part[entry(k)] if k else ibis.coalesce(part[entry(0)], part.created)
        left = exit_(part, k, plan.n)
        parts.append(
            part.select(
                k=ibis.literal(k, type="int64"),
                entered=entered,
                left=left,
                days=left.delta(entered, unit="day").cast("int64"),
                advanced=indicator(part.furthest > k),
                recorded=part[entry(k)].notnull(),
                opp_id=part.opp_id,
                amount=part.amount,
                created=part.created,
                status=part.status,
                **{d: part[d] for d in DIMENSION_COLUMNS},
            )
        )
    return ibis.union(*parts, distinct=False)


def durations(stay: ir.Table, by: list[str], start: dt.date | None, end: dt.date) -> pd.DataFrame:
    """Median, 80th percentile and mean days of the completed, recorded stays that ended in the window."""
    done = stay.filter(stay.recorded & stay.left.notnull() & (stay.left <= end))
    if start is not None:
        done = done.filter(done.left >= start)
    frame: pd.DataFrame = (
        done.group_by(["k", *by])
        .agg(
            stays=done.count(),
            median_days=done.days.quantile(0.5),
            p80_days=done.days.quantile(0.8),
            mean_days=done.days.mean(),
        )
        .order_by(["k", *by])
        .execute()
    )
    return frame


def _open_stays(stay: ir.Table, norms: pd.DataFrame, by: str, as_of: dt.date) -> ir.Table:
    """The open deals' current stays with their ``age`` at ``as_of`` and their unit's ``norm_days``."""
    still = stay.filter(stay.left.isnull() & stay.recorded & (stay.status == "open"))
    still = still.mutate(age=cast("ir.DateScalar", ibis.literal(as_of)).delta(still.entered, unit="day"))
    table = ibis.memtable(norms[["k", by, "norm_days"]].rename(columns={"k": "__k", by: "__unit"}))
    return still.left_join(table, (still.k == table["__k"]) & (still[by] == table["__unit"]))


def stalled(stay: ir.Table, norms: pd.DataFrame, by: str, as_of: dt.date) -> pd.DataFrame:
    """Open deals per ``by`` unit and stage, and those in the stage longer than the unit's norm.

    ``norms`` has ``k``, ``by`` and ``norm_days`` (the unit's 80th percentile of completed stays).
    """
    joined = _open_stays(stay, norms, by, as_of)
    over = joined.age > joined.norm_days
    frame: pd.DataFrame = (
        joined.group_by(["k", by])
        .agg(
            open_deals=joined.count(),
            open_value=joined.amount.sum().fill_null(0),
            stalled=over.sum().fill_null(0).cast("float64"),
            stalled_value=joined.amount.sum(where=over).fill_null(0),
            norm_days=joined.norm_days.max(),
        )
        .order_by(["k", by])
        .execute()
    )
    frame["stalled_share"] = rate(frame["stalled"], frame["open_deals"])
    return frame


def stalled_deals(stay: ir.Table, norms: pd.DataFrame, by: str, as_of: dt.date) -> BoundedList:
    """The stalled open deals themselves (those :func:`stalled` counts), the largest first, then the
    longest stuck: ``opp_id``, ``k``, the ``by`` unit, ``rep``, ``amount``, ``entered``,
    ``age_days`` and the unit's ``norm_days`` — the first :data:`~salesops_lib.analyses.bounded.LIST_ROWS`
    of them, and how many there are.
    """
    joined = _open_stays(stay, norms, by, as_of)
    over = joined.filter(joined.age > joined.norm_days)
    columns = {"opp_id": over.opp_id, "k": over.k, by: over[by], "rep": over.rep, "amount": over.amount}
    deals = over.select(**columns, entered=over.entered, age_days=over.age.cast("int64"), norm_days=over.norm_days)
    return first_rows(deals, [ibis.desc("amount"), ibis.desc("age_days"), "opp_id"])


def lost_reasons(deals: ir.Table) -> pd.DataFrame:
    """Lost deals by the stage they were lost at and their ``lost_reason`` (empty when none has one)."""
    lost = deals.filter((deals.status == "lost") & deals.lost_reason.notnull())
    frame: pd.DataFrame = (
        lost.group_by(["furthest", "lost_reason"])
        .agg(
            deals=lost.count(),
            amount=lost.amount.sum().fill_null(0),
        )
        .order_by(["furthest", "lost_reason"])
        .execute()
    )
    frame["share_of_stage"] = frame["deals"] / frame.groupby("furthest")["deals"].transform("sum")
    return frame.rename(columns={"furthest": "k"})


def value_lost(funnel: pd.DataFrame, counts: pd.DataFrame, plan: StagePlan) -> pd.DataFrame:
    """Per step: the amount of the deals lost there and their *expected* value — each lost deal
    counted at the chance it would still have had of being won from the next stage on, times the
    average won deal — which ranks where the funnel leaks most value.
    """
    won = counts[counts["status"] == "won"]
    avg_won = won["amount"].sum() / won["priced"].sum() if won["priced"].sum() else np.nan
    steps = funnel.set_index("k")
    downstream = {}
    for k in steps.index:
        after = steps.loc[(steps.index > k) & (steps.index < plan.n), "conversion"]
        downstream[k] = float(np.prod(after.fillna(1.0))) if len(after) else 1.0
    lost = (
        counts[counts["status"] == "lost"]
        .groupby("furthest")
        .agg(amount=("amount", "sum"), priced=("priced", "sum"), n=("n", "sum"))
    )
    lost_at: Any = lost.loc  # lost_at[k, column]: numeric sums, typed by pandas-stubs as any scalar
    rows = []
    for k, row in cast("Iterable[tuple[int, pd.Series]]", steps.iterrows()):  # the index is the step's k
        if k >= plan.n:
            continue
        lost_amount = float(lost_at[k, "amount"]) if k in lost.index else 0.0
        if k in lost.index and lost_at[k, "priced"] < lost_at[k, "n"] and np.isfinite(avg_won):
            lost_amount += float(lost_at[k, "n"] - lost_at[k, "priced"]) * avg_won
        rows.append(
            {
                "k": k,
                "step": row["step"],
                "lost": row["lost"],
                "lost_amount": lost_amount if k >= 0 else np.nan,
                "expected_value_lost": row["lost"] * downstream[k] * avg_won,
            }
        )
    frame = pd.DataFrame(rows)
    total = frame["expected_value_lost"].sum()
    frame["share"] = frame["expected_value_lost"] / total if total else np.nan
    frame["avg_won"] = avg_won
    return frame.sort_values("expected_value_lost", ascending=False).reset_index(drop=True)
