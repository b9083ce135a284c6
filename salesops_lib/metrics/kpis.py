"""The KPIs of the seed, each defined once. Importing this module registers them."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, cast

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from salesops_lib.data import TABLES, Dataset
from salesops_lib.metrics.dictionary import Builder, Metric, Unit, register
from salesops_lib.metrics.engine import indicator, with_membership
from salesops_lib.metrics.facts import closed_deals, first_orders, group, revenue_events, with_unit, won_deals
from salesops_lib.metrics.grain import Grain, calendar, next_period, period_of, unit_direct, within

if TYPE_CHECKING:
    import pandas as pd

CUSTOMER = ("segment", "industry")
"""Breakdowns and filter columns borrowed from the fact's customer (``metrics.filters.ATTRIBUTES``)."""
REP = ("team", "region")
"""Filter columns borrowed from the fact's rep."""


def _columns(table: str, *more: str) -> tuple[str, ...]:
    """The canonical columns of ``table``, then ``more`` (what a filter of facts from it may read)."""
    return tuple(dict.fromkeys((*TABLES[table].column_names, *more)))


DEALS = _columns("opportunities", *CUSTOMER, *REP)
"""Filter columns of the metrics of deals."""
BOOKINGS = ("at", "rep_id", "customer_id", "amount", "cost", *CUSTOMER, *REP)
"""Filter columns of the metrics of bookings (orders, or won deals at their close date)."""

# --------------------------------------------------------------------------- funnel and deals


def _lead_conversion(ds: Dataset, g: Grain) -> ir.Table:
    leads, opps = ds.table("leads"), ds.table("opportunities")
    flagged = with_membership(leads, "lead_id", opps.lead_id, "is_converted")
    facts = with_unit(ds, flagged.mutate(converted=indicator(flagged.is_converted)).drop("is_converted"), g)
    return group(facts, g, "created_at", numerator=lambda t: t.converted.sum(), denominator=lambda t: t.count())


register(
    Metric(
        "lead_conversion_rate",
        "线索转化率",
        "Lead conversion rate",
        "ratio",
        True,
        "Cohort: of the leads created in the period, the share that became at least one opportunity "
        "(opportunities.lead_id), counted whenever it happened. Recent cohorts are still maturing.",
        ("leads", "opportunities"),
        _lead_conversion,
        dimensions=("channel", "campaign_id", *CUSTOMER),
        filters=_columns("leads", "converted", *CUSTOMER, *REP),
        additive=True,
    )
)


def _win_rate(ds: Dataset, g: Grain) -> ir.Table:
    facts = with_unit(ds, closed_deals(ds), g)
    return group(facts, g, "closed_at", numerator=lambda t: (t.status == "won").sum(), denominator=lambda t: t.count())


register(
    Metric(
        "win_rate",
        "赢单率",
        "Win rate",
        "ratio",
        True,
        "Period (by close date): won deals ÷ (won + lost deals) closed in the period. Open deals are excluded.",
        ("opportunities",),
        _win_rate,
        dimensions=("product", "lost_reason", *CUSTOMER),
        filters=DEALS,
        additive=True,
    )
)


def _won_value(ds: Dataset, g: Grain) -> ir.Table:
    facts = with_unit(ds, won_deals(ds), g)
    return group(facts, g, "closed_at", numerator=lambda t: t.amount.sum().fill_null(0))


register(
    Metric(
        "won_value",
        "赢单金额",
        "Won value",
        "currency",
        True,
        "Period (by close date): sum of the amount of deals won in the period.",
        ("opportunities",),
        _won_value,
        kind="sum",
        dimensions=("product", *CUSTOMER),
        filters=DEALS,
        additive=True,
    )
)


def _avg_deal_size(ds: Dataset, g: Grain) -> ir.Table:
    won = won_deals(ds)
    facts = with_unit(ds, won.filter(won.amount.notnull()), g)
    return group(facts, g, "closed_at", numerator=lambda t: t.amount.sum(), denominator=lambda t: t.count())


register(
    Metric(
        "avg_deal_size",
        "平均客单价",
        "Average deal size",
        "currency",
        True,
        "Period (by close date): total amount of won deals ÷ number of won deals closed in the period; "
        "won deals without an amount are excluded.",
        ("opportunities",),
        _avg_deal_size,
        dimensions=("product", *CUSTOMER),
        filters=DEALS,
        additive=True,
    )
)


def _sales_cycle(ds: Dataset, g: Grain) -> ir.Table:
    won = won_deals(ds)
    won = won.filter(won.created_at.notnull()).mutate(days=won.closed_at.delta(won.created_at, unit="day"))
    facts = with_unit(ds, won, g)
    return group(facts, g, "closed_at", numerator=lambda t: t.days.sum(), denominator=lambda t: t.count())


register(
    Metric(
        "sales_cycle_days",
        "销售周期（天）",
        "Sales cycle (days)",
        "days",
        False,
        "Period (by close date): mean days from creation to close of the deals won in the period; "
        "deals without a creation date are excluded.",
        ("opportunities",),
        _sales_cycle,
        dimensions=("product", *CUSTOMER),
        filters=(*DEALS, "days"),
        additive=True,
    )
)

# --------------------------------------------------------------------------- revenue and targets


def _revenue(ds: Dataset, g: Grain) -> ir.Table:
    facts = with_unit(ds, revenue_events(ds), g)
    return group(facts, g, "at", numerator=lambda t: t.amount.sum().fill_null(0))


register(
    Metric(
        "revenue",
        "销售额",
        "Revenue",
        "currency",
        True,
        "Period (by booking date): sum of order amounts; a source without orders uses won deals at their close date.",
        ("orders",),
        _revenue,
        kind="sum",
        fallback_tables=("opportunities",),
        dimensions=CUSTOMER,
        filters=BOOKINGS,
        additive=True,
    )
)


def _attainment(ds: Dataset, g: Grain) -> ir.Table:
    revenue = _revenue(ds, g.model_copy(update={"dimension": None}))
    targets = ds.table("targets")
    at_level = targets.filter(targets.level == g.level)
    if int(at_level.count().execute()) > 0:
        own = at_level.mutate(unit=at_level.unit_id)
    else:  # roll rep targets up the hierarchy
        reps_t = targets.filter(targets.level == "rep").mutate(rep_id=targets.unit_id)
        own = with_unit(ds, reps_t, g)
    goal = group(own, g, "period", numerator=lambda t: t.amount.sum())
    joined = goal.left_join(revenue, ["period", "unit"])
    return joined.select(
        period=goal.period,
        unit=goal.unit,
        numerator=revenue.numerator.fill_null(0.0),
        denominator=goal.numerator,
    )


register(
    Metric(
        "attainment",
        "目标达成率",
        "Attainment",
        "ratio",
        True,
        "Period: revenue booked in the period ÷ the period's target (targets table, monthly lines summed). "
        "Units without a target line have no attainment; targets at a level are used as given, otherwise "
        "rep targets are rolled up.",
        ("orders", "targets"),
        _attainment,
        fallback_tables=("opportunities", "targets"),
    )
)

# --------------------------------------------------------------------------- receivables


def _invoice_facts(ds: Dataset, g: Grain) -> ir.Table:
    """Invoices with the ``unit`` of the rep of the order they bill."""
    inv = ds.table("invoices")
    if ds.has("orders"):
        orders = ds.table("orders")
        lookup = orders.select(__order=orders.order_id, rep_id=orders.rep_id)
        inv = inv.left_join(lookup, inv.order_id == lookup["__order"]).drop("__order")
    else:
        inv = inv.mutate(rep_id=ibis.null("string"))
    return with_unit(ds, inv, g)


def _collection_rate(ds: Dataset, g: Grain) -> ir.Table:
    inv = _invoice_facts(ds, g)
    inv = inv.filter(inv.amount > 0).mutate(due=inv.due_at.fill_null(inv.issued_at))
    inv = inv.filter(within(inv.due, g))
    inv = inv.mutate(period=period_of(inv.due, g.period))
    cutoff = next_period(inv.period, g.period) if g.period != "all" else ibis.literal("9999-12-31").cast("date")
    inv = inv.mutate(cutoff=cutoff)
    pay = ds.table("payments")
    paid = inv.select("invoice_id", "cutoff").join(pay, "invoice_id")
    paid = paid.filter(paid.paid_at < paid.cutoff).group_by("invoice_id").agg(paid=paid.amount.sum())
    per_invoice = inv.left_join(paid, "invoice_id")
    per_invoice = per_invoice.mutate(collected=ibis.least(per_invoice.paid.fill_null(0.0), per_invoice.amount))
    return per_invoice.group_by(["period", "unit"]).agg(
        numerator=per_invoice.collected.sum().cast("float64"), denominator=per_invoice.amount.sum().cast("float64")
    )


register(
    Metric(
        "collection_rate",
        "回款率",
        "Collection rate",
        "ratio",
        True,
        "Period (by due date; no due date = due on issue): of the amount of invoices due in the period, the "
        "share paid by the end of that period (payments capped at each invoice's amount, so an over-payment "
        "does not lift the rate). Credit notes (negative invoices) are excluded.",
        ("invoices", "payments"),
        _collection_rate,
        additive=True,
    )
)


def _dso(ds: Dataset, g: Grain) -> ir.Table:
    if g.period == "all":
        from salesops_lib.errors import MetricError

        raise MetricError("DSO needs calendar periods", fix="use period week, month, quarter or year")
    inv = _invoice_facts(ds, g)
    pay = ds.table("payments").join(inv.select("invoice_id", "unit"), "invoice_id")
    flows = ibis.union(
        inv.select(at=inv.issued_at, unit=inv.unit, invoiced=inv.amount, paid=ibis.literal(0.0)),
        pay.select(at=pay.paid_at, unit=pay.unit, invoiced=ibis.literal(0.0), paid=pay.amount),
        distinct=False,
    )
    per = (
        flows.mutate(period=period_of(flows.at, g.period))
        .group_by(["period", "unit"])
        .agg(invoiced=lambda t: t.invoiced.sum(), paid=lambda t: t.paid.sum())
    )
    win = ibis.cumulative_window(group_by=per.unit, order_by=per.period)  # type: ignore[no-untyped-call]  # unannotated in ibis
    per = per.mutate(receivable=(per.invoiced - per.paid).sum().over(win))
    per = per.mutate(days=next_period(per.period, g.period).delta(per.period, unit="day"))
    per = per.filter(within(per.period, g.model_copy(update={"start": _floor(g)})))
    return per.select(
        "period",
        "unit",
        numerator=(per.receivable * per.days).cast("float64"),
        denominator=per.invoiced.cast("float64"),
    )


def _floor(g: Grain) -> dt.date | None:
    """The first day of the period holding ``g.start`` (DSO keeps whole periods)."""
    if g.start is None:
        return None
    frame = calendar(g, g.start, g.start)
    first: pd.Timestamp = frame["period"].iloc[0]
    return first.date()


register(
    Metric(
        "dso",
        "应收账款周转天数",
        "Days sales outstanding",
        "days",
        False,
        "Period: receivables open at the period end (all invoices issued minus all payments received up to "
        "then) ÷ amount invoiced in the period × days in the period. Credit notes reduce receivables.",
        ("invoices", "payments"),
        _dso,
        periods=("week", "month", "quarter", "year"),
    )
)

# --------------------------------------------------------------------------- customers


def _ltv(ds: Dataset, g: Grain) -> ir.Table:
    first = first_orders(ds)
    rev = revenue_events(ds)
    gp = rev.group_by("customer_id").agg(profit=(rev.amount - rev.cost.fill_null(0.0)).sum())
    cohort = with_unit(ds, first.join(gp, "customer_id"), g)
    return group(cohort, g, "first_at", numerator=lambda t: t.profit.sum(), denominator=lambda t: t.count())


register(
    Metric(
        "customer_ltv",
        "客户生命周期价值",
        "Customer lifetime value",
        "currency",
        True,
        "Cohort (by first booking): gross profit to date (revenue − cost; a source without order costs, such "
        "as won deals only, counts revenue) of the customers "
        "whose first booking fell in the period ÷ their number; the unit is the rep of the first booking. "
        "Historical, not predictive: recent cohorts have had less time.",
        ("orders",),
        _ltv,
        fallback_tables=("opportunities",),
        dimensions=CUSTOMER,
        filters=("customer_id", "first_at", "rep_id", "profit", *CUSTOMER, *REP),
        additive=True,
    )
)

# --------------------------------------------------------------------------- efficiency per FTE


def _fte(ds: Dataset, g: Grain, lo: ir.Scalar, hi: ir.Scalar) -> ir.Table:
    """FTE per period × unit: each rep's active days in the period ÷ days in the period."""
    bounds = ibis.memtable({"x": [0]}).select(lo=lo, hi=hi).execute().iloc[0]
    if bounds["lo"] is None or bounds["hi"] is None or str(bounds["lo"]) == "NaT":
        # a window with no bookings: an empty, typed table (untyped empty columns cannot be cast to dates)
        empty = {
            "period": pa.array([], pa.date32()),
            "unit": pa.array([], pa.string()),
            "fte": pa.array([], pa.float64()),
        }
        return ibis.memtable(pa.table(empty))
    cal = calendar(g, _to_date(bounds["lo"]), _to_date(bounds["hi"]))
    cal_t = ibis.memtable(
        cal.assign(period=cal["period"].dt.date, start=cal["start"].dt.date, period_end=cal["period_end"].dt.date),
        schema={"period": "date", "start": "date", "period_end": "date", "days": "int64"},
    )
    reps = with_unit(ds, ds.table("reps"), g)
    pairs = reps.cross_join(cal_t)
    first = ibis.greatest(pairs.start, pairs.hire_date.fill_null(pairs.start))
    last_excl = cast(
        "ir.DateValue",
        ibis.least(pairs.period_end, (pairs.exit_date + ibis.interval(days=1)).fill_null(pairs.period_end)),
    )
    days = last_excl.delta(first, unit="day")
    pairs = pairs.mutate(active=ibis.greatest(days, 0).cast("float64") / pairs.days)
    return pairs.group_by(["period", "unit"]).agg(fte=pairs.active.sum())


def _to_date(value: dt.date | str) -> dt.date:
    import pandas as pd

    return pd.Timestamp(value).date()


def _per_fte_metric(kind: str) -> Builder:
    def build(ds: Dataset, g: Grain) -> ir.Table:
        events = revenue_events(ds)
        if kind == "customers":
            first = first_orders(ds)
            facts = first.select(at=first.first_at, rep_id=first.rep_id, value=ibis.literal(1.0))
        elif kind == "profit":
            facts = events.select("at", "rep_id", value=events.amount - events.cost.fill_null(0.0))
        else:
            facts = events.select("at", "rep_id", value=events.amount)
        facts = with_unit(ds, facts, g)
        totals = group(facts, g, "at", numerator=lambda t: t.value.sum())
        inside = events.filter(within(events.at, g))
        fte = _fte(ds, g, inside.at.min(), inside.at.max())
        joined = fte.left_join(totals, ["period", "unit"])
        return joined.select(
            period=fte.period,
            unit=fte.unit,
            numerator=totals.numerator.fill_null(0.0),
            denominator=fte.fte,
        )

    return build


_PER_FTE: tuple[tuple[str, str, str, Unit, str, str], ...] = (
    ("revenue_per_fte", "人均销售额", "Revenue per FTE", "currency_per_fte", "revenue", "revenue"),
    (
        "new_customers_per_fte",
        "人均新客户数",
        "New customers per FTE",
        "count_per_fte",
        "customers",
        "customers whose first booking falls in the period (credited to that booking's rep)",
    ),
    (
        "gross_profit_per_fte",
        "人均毛利",
        "Gross profit per FTE",
        "currency_per_fte",
        "profit",
        "gross profit (revenue − cost)",
    ),
)
for _name, _zh, _en, _unit, _kind, _what in _PER_FTE:
    register(
        Metric(
            _name,
            _zh,
            _en,
            _unit,
            True,
            f"Period: {_what} booked in the period ÷ FTE, where FTE is each rep's employed days in the period "
            "(hire and exit dates, pro-rated by day) ÷ days in the period, summed over the unit's reps. "
            "Vacancies count zero FTE; the org is the current one (reps.team/region).",
            ("orders", "reps"),
            _per_fte_metric(_kind),
            # gross profit needs order costs; revenue and new customers can come from won deals
            fallback_tables=() if _kind == "profit" else ("opportunities", "reps"),
            needs_values=(("orders", "cost"),) if _kind == "profit" else (),
        )
    )

# --------------------------------------------------------------------------- marketing and expenses


def _campaign_facts(ds: Dataset, g: Grain) -> ir.Table:
    c = ds.table("campaigns")
    return unit_direct(c, g.level, team=None, rep=None)


def _cost_per_lead(ds: Dataset, g: Grain) -> ir.Table:
    c = _campaign_facts(ds, g)
    leads = ds.table("leads")
    sourced = leads.filter(leads.campaign_id.notnull())
    per = sourced.group_by("campaign_id").agg(leads=sourced.count())
    joined = c.left_join(per, "campaign_id")
    joined = joined.select(*[col for col in joined.columns if col != "campaign_id_right"])
    return group(
        joined, g, "start_date", numerator=lambda t: t.cost.sum(), denominator=lambda t: t.leads.fill_null(0).sum()
    )


register(
    Metric(
        "cost_per_lead",
        "单条线索成本",
        "Cost per lead",
        "currency",
        False,
        "Cohort (by campaign start): cost of the campaigns started in the period ÷ leads they sourced "
        "(leads.campaign_id). Campaigns without leads still count their cost.",
        ("campaigns", "leads"),
        _cost_per_lead,
        levels=("company", "region"),
        dimensions=("type",),
        filters=_columns("campaigns", "leads"),
        additive=True,
    )
)


def _campaign_roi(ds: Dataset, g: Grain) -> ir.Table:
    c = _campaign_facts(ds, g)
    leads = ds.table("leads").filter(lambda t: t.campaign_id.notnull())
    won = won_deals(ds)
    sourced = won.join(leads.select("lead_id", "campaign_id"), "lead_id")
    value = sourced.group_by("campaign_id").agg(won=sourced.amount.sum())
    joined = c.left_join(value, "campaign_id")
    joined = joined.select(*[col for col in joined.columns if col != "campaign_id_right"])
    return group(
        joined,
        g,
        "start_date",
        numerator=lambda t: (t.won.fill_null(0.0) - t.cost).sum(),
        denominator=lambda t: t.cost.sum(),
    )


register(
    Metric(
        "campaign_roi",
        "活动投资回报率",
        "Campaign ROI",
        "ratio",
        True,
        "Cohort (by campaign start): (won value of deals from leads the campaigns sourced − campaign cost) ÷ "
        "campaign cost, first-touch attribution (leads.campaign_id). Won value counts whenever it closed.",
        ("campaigns", "leads", "opportunities"),
        _campaign_roi,
        levels=("company", "region"),
        dimensions=("type", "campaign_id"),
        filters=_columns("campaigns", "won"),
        additive=True,
    )
)


def _expense_ratio(ds: Dataset, g: Grain) -> ir.Table:
    ex = unit_direct(ds.table("expenses"), g.level)
    spent = group(ex, g, "spent_at", numerator=lambda t: t.amount.sum())
    revenue = _revenue(ds, g.model_copy(update={"dimension": None}))
    joined = spent.outer_join(revenue, ["period", "unit"])
    return joined.select(
        period=ibis.coalesce(spent.period, revenue.period),
        unit=ibis.coalesce(spent.unit, revenue.unit),
        numerator=spent.numerator.fill_null(0.0),
        denominator=revenue.numerator,
    )


register(
    Metric(
        "expense_ratio",
        "费用率",
        "Expense ratio",
        "ratio",
        False,
        "Period: sales expenses spent in the period (refunds net) ÷ revenue booked in the period, per unit "
        "(expenses carry their own region/team/rep).",
        ("expenses", "orders"),
        _expense_ratio,
        fallback_tables=("expenses", "opportunities"),
    )
)
