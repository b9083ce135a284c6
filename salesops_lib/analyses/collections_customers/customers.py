"""Customer value in the engine: per-customer value, acquisition cohorts and historical LTV.

A customer's bookings are :func:`~salesops_lib.metrics.facts.revenue_events` (orders, or won
deals for a CRM without orders) up to ``as_of``; gross profit = revenue − cost, where a missing
cost counts as zero (as in the ``customer_ltv`` metric), so a source without costs reports
revenue. A customer is *acquired* at its first booking. Because a first booking seen in the
first months of the data may belong to an older customer, acquisition cohorts start
``warmup_months`` after the data's first booking.
"""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from salesops_lib.core.periods import add_months
from salesops_lib.data import Dataset
from salesops_lib.metrics.facts import account_owners, revenue_events
from salesops_lib.metrics.grain import unit_via_rep

DIMENSIONS: tuple[str, ...] = ("segment", "industry", "channel")
"""Customer attributes LTV is broken down by (``channel``: channel of the customer's first lead)."""
UNKNOWN = "—"


def bookings(data: Dataset, as_of: dt.date, *, region: str = "") -> ir.Table:
    """Bookings with a customer up to ``as_of``: ``at``, ``rep_id``, ``customer_id``, ``amount``,
    ``profit`` (limited to the reps of ``region`` when given).
    """
    events = revenue_events(data)
    events = events.filter(events.customer_id.notnull() & (events.at <= as_of) & events.amount.notnull())
    if region:
        placed = unit_via_rep(data, events, "region")
        events = placed.filter(placed.unit == region).drop("unit")
    return events.mutate(profit=events.amount - events.cost.fill_null(0.0))


def customer_values(data: Dataset, as_of: dt.date, *, region: str = "", attributes: bool = True) -> ir.Table:
    """One row per customer with bookings: value to date and over the last 12 months (lazy).

    Columns: ``customer_id``, ``first_at``, ``last_at``, ``bookings`` (count), ``revenue``,
    ``gross_profit``, ``revenue_12m``, ``gross_profit_12m``, ``owner`` (see
    :func:`~salesops_lib.metrics.facts.account_owners`), and — when the source has opportunities —
    ``won_deals``, ``won_value`` and
    ``closed_deals`` (won + lost, closed by ``as_of``); plus, with ``attributes``, ``name``,
    ``segment``, ``industry``, ``region`` and ``channel`` (NULL where unknown).

    Examples
    --------
    >>> customer_values(connect("demo"), dt.date(2026, 10, 31)).order_by("revenue").execute()  # doctest: +SKIP
    """
    ev = bookings(data, as_of, region=region)
    year_ago = add_months(as_of, -12)
    per = ev.group_by("customer_id").agg(
        first_at=ev.at.min(),
        last_at=ev.at.max(),
        bookings=ev.count(),
        revenue=ev.amount.sum(),
        gross_profit=ev.profit.sum(),
        revenue_12m=ev.amount.sum(where=ev.at > year_ago).fill_null(0.0),
        gross_profit_12m=ev.profit.sum(where=ev.at > year_ago).fill_null(0.0),
    )
    owners = account_owners(data, as_of).rename(__owned="customer_id")
    per = per.left_join(owners, per.customer_id == owners["__owned"]).drop("__owned")
    if data.has("opportunities"):
        o = data.table("opportunities")
        closed = o.filter(
            o.customer_id.notnull() & o.status.isin(["won", "lost"]) & o.closed_at.notnull() & (o.closed_at <= as_of)
        )
        deals = closed.group_by(__customer=closed.customer_id).agg(
            won_deals=(closed.status == "won").sum(),
            closed_deals=closed.count(),
            won_value=closed.amount.sum(where=closed.status == "won").fill_null(0.0),
        )
        per = per.left_join(deals, per.customer_id == deals["__customer"]).drop("__customer")
        per = per.mutate(
            won_deals=per.won_deals.fill_null(0),
            closed_deals=per.closed_deals.fill_null(0),
            won_value=per.won_value.fill_null(0.0),
        )
    return with_attributes(data, per) if attributes else per


def with_attributes(data: Dataset, per_customer: ir.Table) -> ir.Table:
    """``per_customer`` (with ``customer_id``) plus name, segment, industry, region and channel."""
    if data.has("customers"):
        c = data.table("customers")
        attrs = c.group_by(__cid=c.customer_id).agg(
            name=c.name.min(), segment=c.segment.min(), industry=c.industry.min(), region=c.region.min()
        )
        per_customer = per_customer.left_join(attrs, per_customer.customer_id == attrs["__cid"]).drop("__cid")
    else:
        per_customer = per_customer.mutate(
            name=ibis.null("string"),
            segment=ibis.null("string"),
            industry=ibis.null("string"),
            region=ibis.null("string"),
        )
    if data.has("leads"):
        first = first_lead_channels(data)
        per_customer = per_customer.left_join(first, per_customer.customer_id == first["__lid"]).drop("__lid")
    else:
        per_customer = per_customer.mutate(channel=ibis.null("string"))
    return per_customer


def first_lead_channels(data: Dataset) -> ir.Table:
    """``__lid`` (customer id) and ``channel`` of the customer's first lead (ties: the first
    channel by name, so every engine agrees).
    """
    leads = data.table("leads")
    leads = leads.filter(leads.customer_id.notnull())
    first_day = leads.group_by(__c=leads.customer_id).agg(__day=leads.created_at.min())
    same_day = leads.join(first_day, (leads.customer_id == first_day["__c"]) & (leads.created_at == first_day["__day"]))
    return same_day.group_by(__lid=same_day.customer_id).agg(channel=same_day.channel.min())


def top_customers(data: Dataset, values: ir.Table, *, top: int = 15) -> pd.DataFrame:
    """The ``top`` customers by revenue over the last 12 months, with attributes and margin."""
    head = values.order_by([ibis.desc("revenue_12m"), "customer_id"]).limit(top)
    frame: pd.DataFrame = with_attributes(data, head).order_by([ibis.desc("revenue_12m"), "customer_id"]).execute()
    frame["margin_12m"] = (frame["gross_profit_12m"] / frame["revenue_12m"]).where(frame["revenue_12m"] > 0)
    return frame


def concentration(values: ir.Table) -> pd.DataFrame:
    """Share of the last 12 months' revenue held by the top 1 %, 5 %, 10 % and 20 % of customers."""
    ranked = values.filter(values.revenue_12m > 0)
    ranked = ranked.mutate(
        rank=ibis.row_number().over(order_by=[ibis.desc(ranked.revenue_12m), ranked.customer_id]),
        total=ranked.revenue_12m.sum().over(),
        n=ranked.count().over(),
    )
    tiers = [0.01, 0.05, 0.10, 0.20]
    aggs = {f"top_{int(q * 100)}": ranked.revenue_12m.sum(where=ranked["rank"] < (ranked.n * q).ceil()) for q in tiers}
    frame = ranked.aggregate(total=ranked.revenue_12m.sum(), customers=ranked.count(), **aggs).execute()
    if frame.empty or not frame["total"].iloc[0]:
        return pd.DataFrame(columns=["tier", "share"])
    total = float(frame["total"].iloc[0])
    return pd.DataFrame(
        {"tier": tiers, "share": [float(frame[f"top_{int(q * 100)}"].iloc[0] or 0.0) / total for q in tiers]}
    )


def data_start(data: Dataset) -> dt.date | None:
    """Day of the first booking in the data (None when there is none)."""
    ev = revenue_events(data)
    value = ev.filter(ev.customer_id.notnull()).at.min().execute()
    return None if value is None or pd.isna(value) else pd.Timestamp(value).date()


def cohort_retention(
    data: Dataset, as_of: dt.date, *, warmup_months: int = 12, quarters: int = 8, region: str = ""
) -> pd.DataFrame:
    """Acquisition cohorts (calendar quarter of the first booking) and what they did after.

    One row per cohort × ``k`` (quarters since the acquisition month: months 3k … 3k+2):
    ``cohort`` (first day of the quarter), ``k``, ``customers`` (cohort size), ``active``
    (customers with a booking in that quarter), ``retention`` = active ÷ customers,
    ``revenue`` and ``gross_profit`` per cohort customer in that quarter (zero when nobody booked).
    Cells not yet complete at ``as_of`` (some of the cohort has not lived through them) are dropped.
    """
    start = data_start(data)
    if start is None:
        return pd.DataFrame(columns=["cohort", "k", "customers", "active", "retention", "revenue", "gross_profit"])
    first_cohort = (pd.Timestamp(start) + pd.DateOffset(months=warmup_months)).to_period("Q").start_time
    if first_cohort.to_period("Q").end_time.date() > as_of:
        return pd.DataFrame(columns=["cohort", "k", "customers", "active", "retention", "revenue", "gross_profit"])
    ev = bookings(data, as_of, region=region)
    first = ev.group_by(__c=ev.customer_id).agg(first_at=ev.at.min())
    joined = ev.join(first, ev.customer_id == first["__c"])
    months = (joined.at.year() - joined.first_at.year()) * 12 + joined.at.month() - joined.first_at.month()
    joined = joined.mutate(cohort=joined.first_at.truncate("Q"), k=(months / 3).floor().cast("int64"))
    joined = joined.filter((joined.cohort >= first_cohort.date()) & (joined.k < quarters))
    cells: pd.DataFrame = (
        joined.group_by(["cohort", "k"])
        .agg(active=joined.customer_id.nunique(), revenue=joined.amount.sum(), gross_profit=joined.profit.sum())
        .execute()
    )
    sizes: pd.DataFrame = (
        joined.filter(joined.k == 0).group_by("cohort").agg(customers=joined.customer_id.nunique()).execute()
    )
    sizes["cohort"] = pd.to_datetime(sizes["cohort"])
    cells["cohort"] = pd.to_datetime(cells["cohort"])
    grid = pd.MultiIndex.from_product([sizes["cohort"], range(quarters)], names=["cohort", "k"]).to_frame(index=False)
    frame = grid.merge(cells, on=["cohort", "k"], how="left").fillna({"active": 0, "revenue": 0.0, "gross_profit": 0.0})
    frame = frame.merge(sizes, on="cohort", how="left")
    last_month = pd.Timestamp(as_of).to_period("M")
    cohort_last_month = frame["cohort"].dt.to_period("Q").dt.asfreq("M", "end")
    complete: pd.Series = (cohort_last_month + frame["k"] * 3 + 2) <= last_month  # booleans
    frame = frame[complete].copy()
    frame["retention"] = frame["active"] / frame["customers"]
    frame["revenue"] = frame["revenue"] / frame["customers"]
    frame["gross_profit"] = frame["gross_profit"] / frame["customers"]
    return (
        frame[["cohort", "k", "customers", "active", "retention", "revenue", "gross_profit"]]
        .sort_values(["cohort", "k"])
        .reset_index(drop=True)
    )


def historical_ltv(
    data: Dataset, as_of: dt.date, *, months: int = 12, warmup_months: int = 12, region: str = ""
) -> pd.DataFrame:
    """Value in the first ``months`` after acquisition, by segment × industry × channel.

    Customers acquired from ``warmup_months`` after the data start up to ``as_of − months``
    (so everyone had the full window). Columns: the three dimensions (``—`` where unknown),
    ``customers``, ``revenue``, ``gross_profit`` (totals over the window), ``repeat`` (customers
    with a second booking inside the window). Aggregate with :func:`ltv_by`.
    """
    start = data_start(data)
    columns = [*DIMENSIONS, "customers", "revenue", "gross_profit", "repeat"]
    if start is None:
        return pd.DataFrame(columns=columns)
    lo = add_months(start, warmup_months)
    hi = add_months(as_of, -months)
    if hi < lo:
        return pd.DataFrame(columns=columns)
    ev = bookings(data, as_of)
    first = ev.group_by(__c=ev.customer_id).agg(first_at=ev.at.min())
    first = first.filter((first.first_at >= lo) & (first.first_at <= hi))
    joined = ev.join(first, ev.customer_id == first["__c"])
    joined = joined.filter(joined.at < joined.first_at + ibis.interval(months=months))
    per = joined.group_by("customer_id").agg(
        revenue=joined.amount.sum(), gross_profit=joined.profit.sum(), days=joined.at.nunique()
    )
    if region:
        owner = account_owners(data, as_of).rename(__o="customer_id", rep_id="owner")
        per = per.join(owner, per.customer_id == owner["__o"]).drop("__o")
        per = unit_via_rep(data, per, "region")
        per = per.filter(per.unit == region).drop("unit", "rep_id")
    per = with_attributes(data, per)
    keys = {d: per[d].fill_null(UNKNOWN) for d in DIMENSIONS}
    grouped = per.group_by(**keys).agg(
        customers=per.count(),
        revenue=per.revenue.sum(),
        gross_profit=per.gross_profit.sum(),
        repeat=(per.days > 1).sum(),
    )
    frame: pd.DataFrame = grouped.execute()
    return frame[columns]


def ltv_by(cells: pd.DataFrame, dimension: str) -> pd.DataFrame:
    """Historical LTV per value of ``dimension``: customers, revenue and gross profit per customer,
    repeat rate, and the index against all customers (1.0 = average).
    """
    if cells.empty:
        return pd.DataFrame(columns=[dimension, "customers", "revenue_per_customer", "ltv", "repeat_rate", "index"])
    grouped = cells.groupby(dimension, dropna=False)[["customers", "revenue", "gross_profit", "repeat"]].sum()
    out = pd.DataFrame(
        {
            "customers": grouped["customers"],
            "revenue_per_customer": grouped["revenue"] / grouped["customers"],
            "ltv": grouped["gross_profit"] / grouped["customers"],
            "repeat_rate": grouped["repeat"] / grouped["customers"],
        }
    )
    overall = cells["gross_profit"].sum() / cells["customers"].sum()
    out["index"] = out["ltv"] / overall if overall else np.nan
    return out.sort_values("ltv", ascending=False).reset_index()
