"""Receivables in the engine: open items at a date, aging, the chase list, CEI and overdue shares.

Definitions (every function here is "as of" a day; payments after it are ignored):

* **Open balance** of an invoice = amount − payments received up to the day. A positive invoice
  never goes below zero: what was paid beyond its amount is an **over-payment**, reported as a
  credit in the customer's favour. A **credit note** (negative invoice) reduces the open balance
  of the other invoices of the same order, earliest due first; credit it cannot apply (the order
  is paid, or the note names no order) is a credit as well. Credits are never netted into the
  aging buckets — they are a separate list (refund them or apply them).
* **Due date**: ``due_at``; an invoice without one is due on issue.
* **Days past due** = day − due date; an invoice is *current* while that is ≤ 0, then falls in
  the buckets 1–30, 31–60, 61–90 and > 90 days past due.
* **CEI** (collection effectiveness index) of a month = (beginning receivables + credit sales −
  ending receivables) ÷ (beginning receivables + credit sales − ending current receivables) × 100,
  with receivables = everything invoiced (credit notes included) minus everything received. The
  numerator is the cash collected in the month, so CEI = collected ÷ (collected + past-due
  receivables at the month end) × 100; 100 means nothing collectable was left overdue.
* **Overdue share** at a day c (``window_days`` W) = of the invoices (amount > 0) due in the W
  days up to c, the share of the amount still unpaid at c (payments capped at each invoice).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from salesops_lib.data import Dataset
from salesops_lib.metrics.grain import Level, unit_via_rep

BUCKETS: tuple[str, ...] = ("current", "1-30", "31-60", "61-90", "90+")
"""Aging buckets by days past due: current (not yet due), then 1–30 … > 90."""
OVERDUE_BUCKETS = BUCKETS[1:]
UNKNOWN_UNIT = "—"
"""The unit of rows without one (an invoice without a customer or rep)."""
REPS_BY_ID = 500
"""Naming more reps than this, :func:`with_names` reads the reps table rather than looking them up by id."""
DOUBTFUL_DAYS = 365
"""Past due longer than this, an invoice is doubtful: reviewed for write-off rather than chased."""


@dataclass(frozen=True)
class OpenItems:
    """Receivables at one day, as lazy engine expressions.

    ``items``: one row per positive invoice issued by the day, with ``invoice_id``, ``order_id``,
    ``customer_id``, ``rep_id``, ``issued_at``, ``due``, ``amount``, ``paid``, ``credited``
    (credit notes applied), ``open``, ``days_past_due``, ``bucket``.
    ``credits``: one row per customer (NULL when unknown) with ``overpaid`` and
    ``unapplied_credit_notes`` and their sum ``credit``.
    """

    as_of: dt.date
    items: ir.Table
    credits: ir.Table


def invoice_lines(data: Dataset) -> ir.Table:
    """Invoices with ``customer_id`` and ``rep_id`` of the order they bill, and ``due``."""
    inv = data.table("invoices")
    if data.has("orders"):
        orders = data.table("orders")
        lookup = orders.select(__order=orders.order_id, customer_id=orders.customer_id, rep_id=orders.rep_id)
        inv = inv.left_join(lookup, inv.order_id == lookup["__order"]).drop("__order")
    else:
        inv = inv.mutate(customer_id=ibis.null("string"), rep_id=ibis.null("string"))
    return inv.mutate(due=inv.due_at.fill_null(inv.issued_at))


def in_region(data: Dataset, facts: ir.Table, region: str, rep_column: str = "rep_id") -> ir.Table:
    """``facts`` whose rep belongs to ``region`` (all of them when ``region`` is empty)."""
    if not region:
        return facts
    placed = unit_via_rep(data, facts, "region", rep_column)
    return placed.filter(placed.unit == region).drop("unit")


def open_items(data: Dataset, as_of: dt.date, *, region: str = "") -> OpenItems:
    """Open items and credits at ``as_of`` (see the module docstring for the rules).

    Examples
    --------
    >>> items = open_items(connect("demo"), dt.date(2026, 10, 31)).items  # doctest: +SKIP
    >>> items.filter(items.open > 0).open.sum().execute()  # doctest: +SKIP
    """
    lines = in_region(data, invoice_lines(data), region)
    lines = lines.filter(lines.issued_at <= as_of)
    pay = data.table("payments")
    pay = pay.filter(pay.paid_at <= as_of)
    paid = pay.group_by(__invoice=pay.invoice_id).agg(paid=pay.amount.sum())
    lines = lines.left_join(paid, lines.invoice_id == paid["__invoice"]).drop("__invoice")
    # to the cent: two part-payments that add up to the amount must leave exactly nothing open
    lines = lines.mutate(paid=lines.paid.fill_null(0.0), balance=(lines.amount - lines.paid.fill_null(0.0)).round(2))

    notes = lines.filter(lines.amount < 0)
    note_credit = (
        notes.filter(notes.order_id.notnull()).group_by(__order=notes.order_id).agg(note_credit=(-notes.balance).sum())
    )
    positive = lines.filter(lines.amount >= 0)
    positive = positive.mutate(
        open_before=ibis.greatest(positive.balance, 0.0), overpaid=ibis.greatest(-positive.balance, 0.0)
    )
    earlier = ibis.window(  # type: ignore[no-untyped-call]  # unannotated in ibis
        group_by=positive.order_id, order_by=[positive.due, positive.invoice_id], preceding=None, following=0
    )
    positive = positive.mutate(ahead=positive.open_before.sum().over(earlier) - positive.open_before)
    positive = positive.left_join(note_credit, positive.order_id == note_credit["__order"]).drop("__order")
    available = ibis.greatest(positive.note_credit.fill_null(0.0) - positive.ahead, 0.0)
    credited = ibis.least(available, positive.open_before)
    days = cast("ir.DateScalar", ibis.literal(as_of)).delta(positive.due, unit="day")  # a date literal
    items = positive.mutate(credited=credited, open=positive.open_before - credited, days_past_due=days)
    items = items.mutate(bucket=_bucket(items.days_past_due)).select(
        "invoice_id",
        "order_id",
        "customer_id",
        "rep_id",
        "issued_at",
        "due",
        "amount",
        "paid",
        "credited",
        "open",
        "overpaid",
        "days_past_due",
        "bucket",
    )

    per_order = positive.group_by(__order=positive.order_id).agg(order_open=positive.open_before.sum())
    unapplied = notes.left_join(per_order, notes.order_id == per_order["__order"])
    note_sums = unapplied.group_by(["order_id", "customer_id"]).agg(
        credit=(-unapplied.balance).sum(), order_open=unapplied.order_open.max()
    )
    note_left = note_sums.mutate(unapplied=ibis.greatest(note_sums.credit - note_sums.order_open.fill_null(0.0), 0.0))
    flows = ibis.union(
        items.select("customer_id", overpaid=items.overpaid, unapplied_credit_notes=ibis.literal(0.0)),
        note_left.select("customer_id", overpaid=ibis.literal(0.0), unapplied_credit_notes=note_left.unapplied),
        distinct=False,
    )
    credits = flows.group_by("customer_id").agg(
        overpaid=flows.overpaid.sum(), unapplied_credit_notes=flows.unapplied_credit_notes.sum()
    )
    credits = credits.mutate(credit=credits.overpaid + credits.unapplied_credit_notes)
    return OpenItems(as_of=as_of, items=items, credits=credits.filter(credits.credit > 0))


def _bucket(days: ir.IntegerValue) -> ir.StringValue:
    """The aging bucket (a label of :data:`BUCKETS`) of ``days`` past due."""
    # ibis annotates comparisons as Value against Value: the bounds are spelled as literals
    bucket = ibis.cases(
        (days <= ibis.literal(0), BUCKETS[0]),
        (days <= ibis.literal(30), BUCKETS[1]),
        (days <= ibis.literal(60), BUCKETS[2]),
        (days <= ibis.literal(90), BUCKETS[3]),
        else_=BUCKETS[4],
    )
    return cast("ir.StringValue", bucket)  # every branch is a string


def open_by_owner(open_: OpenItems, by: Sequence[str] = ("rep_id", "customer_id")) -> pd.DataFrame:
    """Open amount and invoices per ``by`` × bucket (open invoices only; one engine query).

    The aging of every level derives from this frame with :func:`aging`: the company, region,
    team and rep levels need only ``rep_id`` (one row per rep and bucket, not per customer).
    """
    items = open_.items.filter(open_.items.open > 0)
    cells: pd.DataFrame = items.group_by([*by, "bucket"]).agg(amount=items.open.sum(), invoices=items.count()).execute()
    return cells


def top_customer_cells(open_: OpenItems, top: int) -> pd.DataFrame:
    """:func:`open_by_owner` by ``customer_id`` for the ``top`` customers with most overdue only
    (ties by id; the customer-less invoices are one customer), chosen in the engine.
    """
    items = open_.items.filter(open_.items.open > 0)
    items = items.mutate(__unit=items.customer_id.fill_null(UNKNOWN_UNIT))
    per = items.group_by("__unit").agg(__overdue=items.open.sum(where=items.bucket != BUCKETS[0]).fill_null(0.0))
    chosen = per.order_by([ibis.desc("__overdue"), "__unit"]).limit(top).select(__chosen=per["__unit"])
    mine = items.join(chosen, items["__unit"] == chosen["__chosen"])
    cells: pd.DataFrame = (
        mine.group_by(["customer_id", "bucket"]).agg(amount=mine.open.sum(), invoices=mine.count()).execute()
    )
    return cells


def aging(data: Dataset, cells: pd.DataFrame, level: Level | str) -> pd.DataFrame:
    """Open balance by aging bucket per unit of ``level`` (company, region, team, rep or customer).

    ``cells`` is :func:`open_by_owner`. Columns: ``unit``, one per bucket, ``open`` (total),
    ``overdue`` (past due), ``overdue_share``, ``invoices`` (open invoices). Sorted by overdue
    amount, largest first.
    """
    if level == "company":
        unit = pd.Series("company", index=cells.index)
    elif level == "customer":
        unit = cells["customer_id"]
    elif level == "rep":
        unit = cells["rep_id"]
    else:
        reps = data.table("reps")
        lookup = reps.group_by("rep_id").agg(unit=reps[level].min()).execute()
        unit = cells["rep_id"].map(dict(zip(lookup["rep_id"], lookup["unit"], strict=False)))
    return _pivot_buckets(cells.assign(unit=unit)[["unit", "bucket", "amount", "invoices"]])


def _pivot_buckets(grouped: pd.DataFrame) -> pd.DataFrame:
    columns = ["unit", *BUCKETS, "open", "overdue", "overdue_share", "invoices"]
    if grouped.empty:
        return pd.DataFrame(columns=columns)
    grouped = grouped.assign(unit=grouped["unit"].fillna(UNKNOWN_UNIT))
    wide = grouped.pivot_table(index="unit", columns="bucket", values="amount", aggfunc="sum", fill_value=0.0)
    wide = wide.reindex(columns=list(BUCKETS), fill_value=0.0)
    wide["open"] = wide[list(BUCKETS)].sum(axis=1)
    wide["overdue"] = wide[list(OVERDUE_BUCKETS)].sum(axis=1)
    wide["overdue_share"] = (wide["overdue"] / wide["open"]).where(wide["open"] > 0)
    wide["invoices"] = grouped.groupby("unit")["invoices"].sum()
    wide = wide.reset_index().sort_values(["overdue", "unit"], ascending=[False, True])
    wide.columns.name = None
    return wide[columns].reset_index(drop=True)


def bucket_outlook(data: Dataset, now: OpenItems, *, lookback_days: int = 180, region: str = "") -> pd.Series:
    """Per aging bucket, the share of the amount open ``lookback_days`` before ``now`` that is still open now.

    This is the data's own answer to "how much of what is this late today will still be unpaid
    in half a year" and weights the chase list. Empty when the data do not reach back that far.
    """
    then = now.as_of - dt.timedelta(days=lookback_days)
    past = open_items(data, then, region=region).items
    past = past.filter(past.open > 0)
    still = now.items.select(__invoice=now.items.invoice_id, open_now=now.items.open)
    joined = past.left_join(still, past.invoice_id == still["__invoice"])
    frame: pd.DataFrame = (
        joined.group_by("bucket").agg(then=joined.open.sum(), now=joined.open_now.fill_null(0.0).sum()).execute()
    )
    if frame.empty:
        return pd.Series(dtype="float64", name="still_open")
    share = (frame.set_index("bucket")["now"] / frame.set_index("bucket")["then"]).clip(0, 1)
    return share.reindex(list(BUCKETS)).rename("still_open")


CHASE_COLUMNS = [
    "invoice_id",
    "customer_id",
    "customer",
    "owner",
    "owner_name",
    "region",
    "due",
    "days_past_due",
    "bucket",
    "open",
    "still_open",
    "expected_unpaid",
]
CHASE_ORDER = [ibis.desc("expected_unpaid"), "invoice_id"]
"""The chase list's order: expected unpaid, largest first (ties by invoice)."""


def chase_ranking(data: Dataset, open_: OpenItems, outlook: pd.Series, *, max_days: int | None = 365) -> ir.Table:
    """Every overdue invoice with :data:`CHASE_COLUMNS` (names joined in the engine), lazy and
    unordered: order by :data:`CHASE_ORDER`. See :func:`chase_list`.
    """
    items = open_.items
    overdue = items.filter((items.open > 0) & (items.days_past_due > 0))
    if max_days is not None:
        overdue = overdue.filter(overdue.days_past_due <= max_days)
    weights = outlook.dropna()
    if weights.empty:
        weights = pd.Series(1.0, index=list(OVERDUE_BUCKETS))
    table = ibis.memtable(pd.DataFrame({"__bucket": weights.index.astype(str), "still_open": weights.to_numpy(float)}))
    ranked = overdue.left_join(table, overdue.bucket == table["__bucket"]).drop("__bucket")
    ranked = ranked.mutate(still_open=ranked.still_open.fill_null(1.0))
    ranked = ranked.mutate(expected_unpaid=ranked.open * ranked.still_open, owner=ranked.rep_id)
    return named_in_engine(data, ranked).select(*CHASE_COLUMNS)


def chase_list(
    data: Dataset, open_: OpenItems, outlook: pd.Series, *, top: int | None = 20, max_days: int | None = 365
) -> pd.DataFrame:
    """The overdue invoices to chase first: open amount × the bucket's share still open later.

    Invoices more than ``max_days`` past due are left out: they are a write-off review, not a
    collection call (see :data:`DOUBTFUL_DAYS`). ``top=None`` and ``max_days=None``: every
    overdue invoice (on a large source, read it bounded: :func:`chase_ranking` and
    :func:`~salesops_lib.analyses.bounded.first_rows`).

    Columns: ``invoice_id``, ``customer_id``, ``customer``, ``owner`` (rep id), ``owner_name``,
    ``region``, ``due``, ``days_past_due``, ``bucket``, ``open``, ``still_open`` (the bucket's
    outlook), ``expected_unpaid`` (open × still_open, the ranking key).
    """
    ranked = chase_ranking(data, open_, outlook, max_days=max_days)
    rows: pd.DataFrame = ranked.order_by(CHASE_ORDER).limit(top).execute()
    if rows.empty:
        return pd.DataFrame(columns=CHASE_COLUMNS)
    return rows.reset_index(drop=True)


def named_in_engine(data: Dataset, table: ir.Table) -> ir.Table:
    """:func:`with_names` joined in the engine: ``table`` (with ``customer_id`` and ``owner``)
    plus ``customer`` (name, else id), ``owner_name`` (the rep's name, else id) and ``region``
    (the rep's) — for a list too long to name in pandas.
    """
    if data.has("customers"):
        c = data.table("customers")
        names = c.group_by(__cid=c.customer_id).agg(__cname=c.name.min())
        table = table.left_join(names, table.customer_id == names["__cid"]).drop("__cid")
        table = table.mutate(customer=table["__cname"].fill_null(table.customer_id)).drop("__cname")
    else:
        table = table.mutate(customer=table.customer_id)
    if data.has("reps"):
        reps = data.table("reps")
        found = reps.group_by(__rid=reps.rep_id).agg(__rname=reps.name.min(), region=reps.region.min())
        table = table.left_join(found, table.owner == found["__rid"]).drop("__rid")
        return table.mutate(owner_name=table["__rname"].fill_null(table.owner)).drop("__rname")
    return table.mutate(owner_name=table.owner, region=ibis.null("string"))


def with_names(data: Dataset, frame: pd.DataFrame) -> pd.DataFrame:
    """Add ``customer`` (name), ``owner_name`` and ``region`` (of the owner) to a small frame."""
    frame = frame.copy()
    frame["customer"] = frame["customer_id"]
    frame["owner_name"] = frame["owner"]
    frame["region"] = None
    ids = list(frame["customer_id"].dropna().unique().tolist())
    if data.has("customers") and ids:
        c = data.table("customers")
        found = c.filter(c.customer_id.isin(ids)).select("customer_id", "name").execute()
        names = dict(zip(found["customer_id"], found["name"], strict=False))
        named = frame["customer_id"].map(names).astype(object)  # all-missing names map to float
        frame["customer"] = named.where(named.notna(), frame["customer_id"])
    owners = list(frame["owner"].dropna().unique().tolist())
    if data.has("reps") and owners:
        reps = data.table("reps")
        if len(owners) > REPS_BY_ID:  # the rep aging names every rep: read the (small) table instead of a long IN list
            found = reps.select("rep_id", "name", "region").execute()
        else:
            found = reps.filter(reps.rep_id.isin(owners)).select("rep_id", "name", "region").execute()
        frame["owner_name"] = (
            frame["owner"].map(dict(zip(found["rep_id"], found["name"], strict=False))).fillna(frame["owner"])
        )
        frame["region"] = frame["owner"].map(dict(zip(found["rep_id"], found["region"], strict=False)))
    return frame


def monthly_receivables(data: Dataset, months: list[dt.date], level: Level, *, region: str = "") -> pd.DataFrame:
    """Per month (first days ``months``) × unit: invoiced, collected, receivables at the month end,
    the part not yet due, the past-due part and CEI.

    Columns: ``period``, ``unit``, ``invoiced``, ``collected``, ``receivable``, ``current``,
    ``past_due``, ``cei`` (percent; NaN when nothing was collectable).
    """
    lines = in_region(data, invoice_lines(data), region)
    lines = unit_via_rep(data, lines, level)
    lines = lines.mutate(unit=lines.unit.fill_null("—"))
    pay = data.table("payments")
    owner = lines.select(__invoice=lines.invoice_id, unit=lines.unit)
    pay = pay.join(owner, pay.invoice_id == owner["__invoice"])
    last_end = _month_end(months[-1])
    flows = ibis.union(
        lines.select(at=lines.issued_at, unit=lines.unit, invoiced=lines.amount, collected=ibis.literal(0.0)),
        pay.select(at=pay.paid_at, unit=pay.unit, invoiced=ibis.literal(0.0), collected=pay.amount),
        distinct=False,
    )
    flows = flows.filter(flows.at <= last_end)
    per_month: pd.DataFrame = (
        flows.group_by([flows.at.truncate("M").name("period"), "unit"])
        .agg(invoiced=flows.invoiced.sum(), collected=flows.collected.sum())
        .execute()
    )
    per_month["period"] = pd.to_datetime(per_month["period"])

    ends = pd.DataFrame({"period": pd.to_datetime(months), "month_end": [_month_end(m) for m in months]})
    calendar = ibis.memtable(
        ends.assign(month_end=pd.to_datetime(ends["month_end"])).rename(columns={"period": "__period"}),
        schema={"__period": "timestamp", "month_end": "date"},
    )
    pairs = lines.join(calendar, (lines.issued_at <= calendar.month_end) & (lines.due >= calendar.month_end))
    current_amount = pairs.group_by(["__period", "unit"]).agg(amount=pairs.amount.sum())
    pair_pay = _payments_by_pair(data, pairs.select("invoice_id", "unit", "__period", cut=pairs.month_end))
    current_paid = pair_pay.group_by(["__period", "unit"]).agg(paid=pair_pay.paid.sum())
    current = current_amount.execute().merge(current_paid.execute(), on=["__period", "unit"], how="left")
    current = current.assign(
        period=pd.to_datetime(current["__period"]), current=current["amount"] - current["paid"].fillna(0.0)
    )[["period", "unit", "current"]]

    units = sorted(per_month["unit"].unique().tolist())
    if not units:
        return pd.DataFrame(
            columns=["period", "unit", "invoiced", "collected", "receivable", "current", "past_due", "cei"]
        )
    all_months = pd.date_range(per_month["period"].min(), pd.Timestamp(months[-1]), freq="MS")
    grid = pd.MultiIndex.from_product([all_months, units], names=["period", "unit"])
    full = per_month.set_index(["period", "unit"]).reindex(grid, fill_value=0.0).reset_index()
    full = full.sort_values(["unit", "period"])
    full["receivable"] = full.groupby("unit")[["invoiced", "collected"]].cumsum().eval("invoiced - collected")
    full = full[full["period"].isin(ends["period"])].merge(current, on=["period", "unit"], how="left")
    full["current"] = full["current"].fillna(0.0)
    full["past_due"] = full["receivable"] - full["current"]
    denominator = full["collected"] + full["past_due"]
    full["cei"] = np.where(denominator > 0, 100 * full["collected"] / denominator.where(denominator > 0), np.nan)
    return full.sort_values(["period", "unit"]).reset_index(drop=True)


def overdue_moments(data: Dataset, cuts: pd.DataFrame, window_days: int, level: Level) -> pd.DataFrame:
    """Overdue-share sums per ``label`` × unit, clustered by customer, for the slip test.

    ``cuts`` has columns ``label`` and ``cut`` (a day); a label with several cuts pools them.
    Per label × unit the result holds ``unpaid`` (U) and ``due`` (A) — the overdue share is U / A —
    and the cluster sums ``uu`` = Σ U_k², ``ua`` = Σ U_k A_k, ``aa`` = Σ A_k² and ``clusters``
    over customers k (an invoice without a customer is its own cluster), enough for a
    cluster-robust standard error without moving customers out of the engine.
    """
    lines = invoice_lines(data)
    lines = unit_via_rep(data, lines.filter(lines.amount > 0), level)
    table = ibis.memtable(cuts.assign(cut=pd.to_datetime(cuts["cut"])), schema={"label": "string", "cut": "date"})
    start = table.cut - ibis.interval(days=window_days)
    pairs = lines.join(table, (lines.due > start) & (lines.due <= table.cut))
    pp = _payments_by_pair(data, pairs.select("invoice_id", "label", "cut"))
    paid = pp.group_by(["invoice_id", "label", "cut"]).agg(paid=pp.paid.sum())
    joined = pairs.left_join(paid, ["invoice_id", "label", "cut"])
    joined = joined.mutate(
        unpaid=joined.amount - ibis.least(joined.amount, joined.paid.fill_null(0.0)),
        cluster=joined.customer_id.fill_null(joined.invoice_id),
    )
    per_cluster = joined.group_by(["label", "unit", "cluster"]).agg(u=joined.unpaid.sum(), a=joined.amount.sum())
    sums = per_cluster.group_by(["label", "unit"]).agg(
        unpaid=per_cluster.u.sum(),
        due=per_cluster.a.sum(),
        uu=(per_cluster.u * per_cluster.u).sum(),
        ua=(per_cluster.u * per_cluster.a).sum(),
        aa=(per_cluster.a * per_cluster.a).sum(),
        clusters=per_cluster.count(),
    )
    moments: pd.DataFrame = sums.execute()
    return moments.sort_values(["label", "unit"]).reset_index(drop=True)


def _payments_by_pair(data: Dataset, pairs: ir.Table) -> ir.Table:
    """Payments of each (invoice, ``cut``) pair received by the cut: the pair's columns plus ``paid``."""
    pay = data.table("payments")
    pay = pay.select(__inv=pay.invoice_id, paid_at=pay.paid_at, paid=pay.amount)
    joined = pairs.join(pay, pairs.invoice_id == pay["__inv"]).drop("__inv")
    return joined.filter(joined.paid_at <= joined.cut)


def _month_end(first: dt.date) -> dt.date:
    return (pd.Timestamp(first) + pd.offsets.MonthEnd(0)).date()
