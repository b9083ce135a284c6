"""The spend–output panel: spend per category and the output, per unit and period.

Built in the engine (two group-bys) and pivoted in pandas (units × periods × categories: a few
thousand cells). Spend comes from ``expenses`` (unit = the line's own ``region``; refunds net
within their period, and a period whose refunds exceed its spend counts as zero spend); the
output is booked revenue (``orders``, or won deals without an order table) or pipeline created
(``opportunities`` amount by creation date), placed in the region of its rep. Only complete
periods up to ``as_of`` enter.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import ibis
import ibis.expr.types as ir
import pandas as pd

from salesops_lib.analyses.expense_roi.money import months_before
from salesops_lib.data import Dataset
from salesops_lib.metrics.facts import revenue_events
from salesops_lib.metrics.grain import unit_via_rep

TRUNC = {"month": "M", "week": "W"}
MIN_ACTIVE_SHARE = 0.2
"""A category enters the model when it has spend in at least this share of the unit-periods."""
NO_UNIT = "—"


@dataclass(frozen=True)
class SpendPanel:
    """Spend per category and output per unit and period (rows sorted by unit, then period)."""

    period: str
    level: str
    output: str
    #: unit, period, one spend column per modelled category, output
    frame: pd.DataFrame
    categories: tuple[str, ...]
    #: category → why it is not modelled ("sparse": spend in < 20 % of the unit-periods)
    dropped: dict[str, str] = field(default_factory=dict)
    #: caveat codes: "negative_spend_clipped", "level_fallback", "unmatched_spend"
    notes: tuple[str, ...] = ()

    @property
    def units(self) -> list[str]:
        """The panel's units, sorted."""
        return sorted(self.frame["unit"].unique())

    @property
    def periods(self) -> int:
        """The number of distinct periods in the panel."""
        return int(self.frame["period"].nunique())


def spend_panel(
    data: Dataset,
    as_of: dt.date,
    *,
    period: str = "month",
    level: str = "region",
    months: int = 0,
    output: str = "revenue",
    region: str = "",
) -> SpendPanel:
    """The panel up to ``as_of`` (the last ``months`` months, or all history when 0).

    Examples
    --------
    >>> spend_panel(connect("demo"), dt.date(2025, 6, 30)).frame.head()  # doctest: +SKIP
    """
    start = months_before(as_of, months) if months else None
    notes: list[str] = []
    e = data.table("expenses")
    e = e.filter(e.spent_at <= as_of)
    if start is not None:
        e = e.filter(e.spent_at >= start)
    if level == "region" and int(e.region.count().execute()) == 0:
        level, notes = "company", ["level_fallback"]
    spend_unit = e.region.cast("string").fill_null(NO_UNIT) if level == "region" else ibis.literal("company")
    e = e.mutate(unit=spend_unit, period=e.spent_at.truncate(TRUNC[period]))
    spend = e.group_by(["unit", "period", "category"]).agg(amount=e.amount.sum()).execute()
    out = _placed(data, _output_facts(data, output), as_of, start, period, level).execute()
    if region and level == "region":
        spend, out = spend[spend["unit"] == region], out[out["unit"] == region]
    frame, dropped, more = _pivot(spend, out, as_of, period)
    return SpendPanel(
        period=period,
        level=level,
        output=output,
        frame=frame,
        categories=tuple(c for c in frame.columns if c not in ("unit", "period", "output")),
        dropped=dropped,
        notes=tuple(notes + more),
    )


def _output_facts(data: Dataset, output: str) -> ir.Table:
    if output == "pipeline":
        o = data.table("opportunities")
        return o.select(at=o.created_at, rep_id=o.rep_id, value=o.amount.fill_null(0.0))
    events = revenue_events(data)
    return events.select(at=events.at, rep_id=events.rep_id, value=events.amount)


def _placed(data: Dataset, facts: ir.Table, as_of: dt.date, start: dt.date | None, period: str, level: str) -> ir.Table:
    facts = facts.filter(facts.at.notnull() & (facts.at <= as_of))
    if start is not None:
        facts = facts.filter(facts.at >= start)
    placed = unit_via_rep(data, facts, "region" if level == "region" else "company")
    placed = placed.mutate(unit=placed.unit.cast("string").fill_null(NO_UNIT), period=placed.at.truncate(TRUNC[period]))
    return placed.group_by(["unit", "period"]).agg(output=placed.value.sum().fill_null(0.0))


def _pivot(
    spend: pd.DataFrame, out: pd.DataFrame, as_of: dt.date, period: str
) -> tuple[pd.DataFrame, dict[str, str], list[str]]:
    notes: list[str] = []
    empty = pd.DataFrame(columns=["unit", "period", "output"])
    if spend.empty or out.empty:
        return empty, {}, notes
    for frame in (spend, out):
        frame["period"] = pd.to_datetime(frame["period"])
    wide = spend.pivot_table(index=["unit", "period"], columns="category", values="amount", aggfunc="sum")
    wide.columns = [str(c) for c in wide.columns]
    units = sorted(set(out["unit"]))
    if set(spend["unit"]) - set(units):
        notes.append("unmatched_spend")
    first = min(spend["period"].min(), out["period"].min())
    last = max(spend["period"].max(), out["period"].max())  # no empty periods after the data ends
    starts = pd.date_range(first, min(last, pd.Timestamp(as_of)), freq="MS" if period == "month" else "W-MON")
    ends = starts + (pd.DateOffset(months=1) if period == "month" else pd.Timedelta(days=7)) - pd.Timedelta(days=1)
    starts = starts[ends <= pd.Timestamp(as_of)]
    grid = pd.MultiIndex.from_product([units, starts], names=["unit", "period"])
    cells = wide.reindex(grid).fillna(0.0)
    if (cells < 0).any().any():
        notes.append("negative_spend_clipped")
        cells = cells.clip(lower=0.0)
    active = (cells > 0).mean()
    dropped = {c: "sparse" for c in cells.columns if active[c] < MIN_ACTIVE_SHARE}
    cells = cells.drop(columns=list(dropped))
    frame = cells.join(out.set_index(["unit", "period"])["output"]).reset_index()
    frame["output"] = frame["output"].fillna(0.0)
    return frame.sort_values(["unit", "period"]).reset_index(drop=True), dropped, notes
