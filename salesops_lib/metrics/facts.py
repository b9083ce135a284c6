"""Fact expressions shared by several metrics and analyses (lazy, in the engine), and the small rep
roster analyses need in pandas.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import ibis
import ibis.expr.types as ir
import pandas as pd

from salesops_lib.data import Dataset
from salesops_lib.metrics.filters import apply_where, where_columns, with_attributes
from salesops_lib.metrics.grain import Grain, period_of, unit_via_rep, within

Agg = Callable[[ir.Table], ir.Scalar]


def group(
    facts: ir.Table, grain: Grain, date_column: str, *, numerator: Agg, denominator: Agg | None = None
) -> ir.Table:
    """Filter ``facts`` (which carry ``unit``) to the grain's filter and window, place them in
    periods and aggregate.
    """
    kept = apply_where(facts, grain.where)
    inside = kept.filter(within(kept[date_column], grain))
    placed = inside.mutate(period=period_of(inside[date_column], grain.period))
    keys = ["period", "unit", *([grain.dimension] if grain.dimension else [])]
    den = denominator(placed) if denominator else ibis.literal(None, type="float64")
    return placed.group_by(keys).agg(numerator=numerator(placed).cast("float64"), denominator=den.cast("float64"))


def revenue_events(ds: Dataset) -> ir.Table:
    """Booked revenue: ``at``, ``rep_id``, ``customer_id``, ``amount``, ``cost``.

    From ``orders`` when the source has them; otherwise from won opportunities (amount at
    ``closed_at``, no cost), the bookings of a CRM that has no order table.
    """
    if ds.has("orders"):
        o = ds.table("orders")
        return o.select(at=o.ordered_at, rep_id=o.rep_id, customer_id=o.customer_id, amount=o.amount, cost=o.cost)
    w = won_deals(ds)
    return w.select(
        at=w.closed_at, rep_id=w.rep_id, customer_id=w.customer_id, amount=w.amount, cost=ibis.null("float64")
    )


def first_booking(ds: Dataset) -> pd.Timestamp | None:
    """The day of the source's first booking of any amount (None when it has none).

    Months from then on are booked history, where a month without bookings is a zero; months
    before it are missing data. A booking of 0 counts: zero is a value.
    """
    events = revenue_events(ds)
    value = events.filter(events.at.notnull()).at.min().execute()
    return None if value is None or pd.isna(value) else pd.Timestamp(value)


def account_owners(ds: Dataset, as_of: dt.date) -> ir.Table:
    """The owner of every account booked by ``as_of``: ``customer_id``, ``owner`` (a rep id).

    The owner is the rep with the most booked value on the account; a tie goes to the rep of the
    latest booking, then to the smallest rep id, so every page and every run names the same owner.
    """
    events = revenue_events(ds)
    events = events.filter(events.customer_id.notnull() & events.rep_id.notnull() & (events.at <= as_of))
    per = events.group_by(["customer_id", "rep_id"]).agg(value=events.amount.sum().fill_null(0), latest=events.at.max())
    order = [ibis.desc(per.value), ibis.desc(per.latest), per.rep_id]
    ranked = per.mutate(_rank=ibis.row_number().over(group_by=per.customer_id, order_by=order))
    return ranked.filter(ranked._rank == 0).select("customer_id", owner=ranked.rep_id)


def won_deals(ds: Dataset) -> ir.Table:
    """Won opportunities with a close date."""
    o = ds.table("opportunities")
    return o.filter((o.status == "won") & o.closed_at.notnull())


def closed_deals(ds: Dataset) -> ir.Table:
    """Won and lost opportunities with a close date."""
    o = ds.table("opportunities")
    return o.filter(o.status.isin(["won", "lost"]) & o.closed_at.notnull())


def with_unit(ds: Dataset, facts: ir.Table, grain: Grain, rep_column: str = "rep_id") -> ir.Table:
    """``facts`` with the ``unit`` column of the grain's level (through the rep), and the customer or
    rep attributes (segment, industry, team, region) that the grain's dimension or filter reads.
    """
    wanted = [*([grain.dimension] if grain.dimension else []), *(where_columns(grain.where) if grain.where else ())]
    return unit_via_rep(ds, with_attributes(ds, facts, wanted), grain.level, rep_column)


def first_orders(ds: Dataset) -> ir.Table:
    """One row per customer: first booking date and the rep credited with it.

    Several bookings on the first date credit the smallest ``rep_id``, so that every engine
    gives the same answer (a plain ``argmin`` would pick any of the tied rows).
    """
    r = revenue_events(ds).filter(lambda t: t.customer_id.notnull())
    order = ibis.row_number().over(group_by=r.customer_id, order_by=[r.at, r.rep_id])
    ranked = r.mutate(__n=order)
    first = ranked.filter(ranked.__n == 0)
    return first.select(customer_id=first.customer_id, first_at=first.at, rep_id=first.rep_id)


def rep_roster(ds: Dataset) -> pd.DataFrame:
    """The reps dimension (small, one row per rep, by id): name (the id when missing), team, region,
    hire and exit dates as timestamps — what analyses need in pandas for pro-rating and labels.
    """
    reps: pd.DataFrame = ds.table("reps").select("rep_id", "name", "team", "region", "hire_date", "exit_date").execute()
    reps = reps.drop_duplicates("rep_id").sort_values("rep_id").reset_index(drop=True)
    reps["name"] = reps["name"].fillna(reps["rep_id"])
    for column in ("hire_date", "exit_date"):
        reps[column] = pd.to_datetime(reps[column])
    return reps
