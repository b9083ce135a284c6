"""Collections and customer value: receivables, DSO, CEI, aging, lifetime value and churn risk.

Pure: ``compute(data, scope, params) -> CollectionsCustomersResult``; no I/O, no plotting, no
words. Everything is as of the last day of ``scope.period``. The receivables part needs
``invoices`` and ``payments`` (without them it is left out, with the reason); customer value
needs bookings (orders, or won deals); key-account churn risk is
:func:`salesops_lib.analyses.churn.key_account_risk`, shared with the forecast's warnings and
not recomputed here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from salesops_lib.analyses.bounded import LIST_ROWS, first_rows
from salesops_lib.analyses.churn import key_account_risk
from salesops_lib.analyses.collections_customers import customers as cust
from salesops_lib.analyses.collections_customers import receivables as ar
from salesops_lib.analyses.collections_customers.findings import build_findings
from salesops_lib.analyses.collections_customers.params import CollectionsCustomersParams
from salesops_lib.analyses.collections_customers.predictive import predict_ltv
from salesops_lib.analyses.collections_customers.result import CollectionsCustomersResult, CustomerValue, Receivables
from salesops_lib.analyses.collections_customers.slip import slip_test
from salesops_lib.config.scope import RunScope
from salesops_lib.core.periods import add_months
from salesops_lib.data import Dataset
from salesops_lib.metrics import Grain, compute_metric

TREND_MONTHS = 13
RECENT_DUE_MONTHS = 3
BASELINE_DUE_MONTHS = 12
AGING_TOP_CUSTOMERS = 50
"""The customer aging keeps the customers with most overdue."""
OUTLOOK_DAYS = 180
"""The chase list weighs each aging bucket by the share of it still open this many days later."""


def compute(data: Dataset, scope: RunScope, params: CollectionsCustomersParams) -> CollectionsCustomersResult:
    """Collections and customer value as of the end of ``scope.period``.

    Examples
    --------
    >>> result = compute(connect("demo"), RunScope(period="2026-10"), CollectionsCustomersParams())  # doctest: +SKIP
    >>> result.receivables.slip[["unit", "share", "history_share", "slipping"]]  # doctest: +SKIP
    """
    as_of = scope.as_of
    if data.has("invoices", "payments"):
        receivables, note = compute_receivables(data, scope, params), ""
    else:
        missing = [t for t in ("invoices", "payments") if not data.has(t)]
        receivables, note = None, "; ".join(f"{t}: {data.missing.get(t, 'not provided')}" for t in missing)
    customers = compute_customers(data, scope, params)
    churn = key_account_churn(data, scope, params)
    result = CollectionsCustomersResult(
        period=scope.period,
        as_of=as_of,
        region=scope.region,
        receivables=receivables,
        receivables_note=note,
        customers=customers,
        churn=churn,
        params=params,
    )
    return replace(result, findings=tuple(build_findings(result, scope, params)))


# --------------------------------------------------------------------------- receivables


@contextmanager
def cached(table: ir.Table) -> Iterator[ir.Table]:
    """``table`` materialised once in the engine (a temporary table) for several queries, then dropped."""
    materialised = table.cache()
    try:
        yield materialised
    finally:
        materialised.release()


def compute_receivables(data: Dataset, scope: RunScope, params: CollectionsCustomersParams) -> Receivables:
    """The receivables part of the report."""
    first, as_of = scope.month
    region = scope.region
    months = [add_months(first, -k) for k in range(TREND_MONTHS - 1, -1, -1)]
    snapshot = ar.open_items(data, as_of, region=region)
    with cached(snapshot.items) as table:
        items = ar.OpenItems(as_of=as_of, items=table, credits=snapshot.credits)
        cells = ar.open_by_owner(items, by=("rep_id",))
        customer_cells = ar.top_customer_cells(items, AGING_TOP_CUSTOMERS)
        outlook = ar.bucket_outlook(data, items, lookback_days=OUTLOOK_DAYS, region=region)
        chase = ar.chase_list(data, items, outlook, top=params.chase_list, max_days=ar.DOUBTFUL_DAYS)
        overdue = first_rows(ar.chase_ranking(data, items, outlook, max_days=None), ar.CHASE_ORDER, limit=LIST_ROWS)
        doubtful = table.filter((table.open > 0) & (table.days_past_due > ar.DOUBTFUL_DAYS))
        doubtful_sum = doubtful.aggregate(amount=doubtful.open.sum(), n=doubtful.count()).execute().iloc[0]
    with cached(snapshot.credits) as credit_table:  # counted, summed and listed: computed once
        credits = _credits(data, credit_table)
    aging = {level: ar.aging(data, cells, level) for level in ("company", "region", "team", "rep")}
    aging["customer"] = ar.aging(data, customer_cells, "customer").head(AGING_TOP_CUSTOMERS)
    aging["rep"] = _named(data, aging["rep"], "rep")
    aging["customer"] = _named(data, aging["customer"], "customer")
    if region:
        aging["company"] = aging["company"].assign(unit=region)

    moments = ar.overdue_moments(data, _cuts(as_of, months, params), params.overdue_window_days, "region")
    slip = slip_test(
        moments[moments["label"].isin(["current", "history"])],
        alpha=params.alpha,
        min_increase=params.min_overdue_increase,
    )
    rates = _collection_rates(data, first, as_of)
    trend = _trend(data, months, as_of, region, moments, rates)
    by_region = _collection_by_region(rates, first)
    if region:
        by_region = by_region[by_region["unit"] == region].reset_index(drop=True)
    return Receivables(
        tiles=_tiles(trend, aging["company"], credits.total, months),
        aging=aging,
        trend=trend,
        slip=slip,
        collection_by_region=by_region,
        outlook=outlook.rename_axis("bucket").reset_index(),
        chase=chase,
        credits=credits.rows,
        credit_total=credits.total,
        credit_customers=credits.customers,
        doubtful=float(np.nan_to_num(doubtful_sum["amount"] or 0.0)),
        doubtful_invoices=int(doubtful_sum["n"]),
        overdue=overdue.rows,
        overdue_total=overdue.total,
    )


@dataclass(frozen=True)
class _Credits:
    """The customers with a credit balance: the first :data:`LIST_ROWS` (largest first, named),
    how many there are and their total.
    """

    rows: pd.DataFrame
    customers: int
    total: float


def _credits(data: Dataset, credits: ir.Table) -> _Credits:
    """Credit balances: one engine query for the count and total, one for the largest, named in the engine."""
    sums = credits.aggregate(n=credits.count(), total=credits.credit.sum()).execute().iloc[0]
    named = ar.named_in_engine(data, credits.mutate(owner=ibis.null("string")))
    named = named.drop("owner", "owner_name", "region")
    rows: pd.DataFrame = named.order_by([ibis.desc("credit"), "customer_id"]).limit(LIST_ROWS).execute()
    total = float(sums["total"]) if int(sums["n"]) and pd.notna(sums["total"]) else 0.0
    return _Credits(rows=rows.reset_index(drop=True), customers=int(sums["n"]), total=total)


def _named(data: Dataset, frame: pd.DataFrame, level: str) -> pd.DataFrame:
    """``frame`` (aging by rep or customer) with the ``name`` of each unit."""
    if frame.empty:
        return frame.assign(name=pd.Series(dtype="object"))
    if level == "rep":
        named = ar.with_names(data, frame.assign(customer_id=None, owner=frame["unit"]))
        return frame.assign(name=named["owner_name"].to_numpy())
    named = ar.with_names(data, frame.assign(customer_id=frame["unit"], owner=None))
    return frame.assign(name=named["customer"].to_numpy())


def _cuts(as_of: dt.date, months: list[dt.date], params: CollectionsCustomersParams) -> pd.DataFrame:
    """Cut days of the overdue share: now, the history windows, and every month end of the trend."""
    window = params.overdue_window_days
    rows = [("current", as_of)]
    rows += [("history", as_of - dt.timedelta(days=window * k)) for k in range(1, params.history_windows + 1)]
    rows += [(f"m{m.isoformat()}", (pd.Timestamp(m) + pd.offsets.MonthEnd(0)).date()) for m in months]
    return pd.DataFrame(rows, columns=["label", "cut"])


def _trend(
    data: Dataset, months: list[dt.date], as_of: dt.date, region: str, moments: pd.DataFrame, rates: pd.DataFrame
) -> pd.DataFrame:
    """Monthly collection rate, DSO, CEI, receivables and overdue share, per region and for the
    company (sums of the regions' parts; invoices without a region count for the company only).
    With ``region`` the region in scope stands in for the company.
    """
    grain = Grain(period="month", level="region", start=months[0], end=as_of)
    dso = compute_metric(data, "dso", grain)
    money = ar.monthly_receivables(data, months, "region")
    shares = moments[moments["label"].str.startswith("m")].assign(period=lambda f: pd.to_datetime(f["label"].str[1:]))
    parts = {
        "collection_rate": rates[rates["period"] >= pd.Timestamp(months[0])][
            ["period", "unit", "numerator", "denominator"]
        ],
        "dso": dso[["period", "unit", "numerator", "denominator"]],
        "overdue_share": shares.rename(columns={"unpaid": "numerator", "due": "denominator"})[
            ["period", "unit", "numerator", "denominator"]
        ],
        "cei": money.assign(numerator=100 * money["collected"], denominator=money["collected"] + money["past_due"])[
            ["period", "unit", "numerator", "denominator"]
        ],
        "receivable": money.assign(numerator=money["receivable"], denominator=1.0)[
            ["period", "unit", "numerator", "denominator"]
        ],
        "past_due": money.assign(numerator=money["past_due"], denominator=1.0)[
            ["period", "unit", "numerator", "denominator"]
        ],
    }
    columns = []
    for name, part in parts.items():
        frame = part.assign(unit=part["unit"].where(part["unit"].notna(), "—"))
        company = frame.groupby("period", as_index=False)[["numerator", "denominator"]].sum().assign(unit="company")
        if name in ("receivable", "past_due"):
            company["denominator"] = 1.0
        both = pd.concat([frame[frame["unit"] != "—"], company], ignore_index=True)
        value = both["numerator"] / both["denominator"].where(both["denominator"] > 0)
        columns.append(both.assign(**{name: value}).set_index(["period", "unit"])[name])
    trend = pd.concat(columns, axis=1).reset_index()
    if region:  # the region in scope stands in for the company
        trend = trend[trend["unit"] == region].assign(unit="company")
    trend = trend[trend["period"] >= pd.Timestamp(months[0])]
    return (
        trend[["period", "unit", "collection_rate", "dso", "cei", "receivable", "past_due", "overdue_share"]]
        .sort_values(["unit", "period"])
        .reset_index(drop=True)
    )


def _collection_rates(data: Dataset, first: dt.date, as_of: dt.date) -> pd.DataFrame:
    """The collection_rate metric per region and month, over the recent and baseline due-months."""
    span = RECENT_DUE_MONTHS + BASELINE_DUE_MONTHS
    start = add_months(first, 1 - span)
    return compute_metric(data, "collection_rate", Grain(period="month", level="region", start=start, end=as_of))


def _collection_by_region(rates: pd.DataFrame, first: dt.date) -> pd.DataFrame:
    """Per region: the last 3 due-months pooled (``recent``) vs the 12 before (``previous``)."""
    recent_from = pd.Timestamp(add_months(first, 1 - RECENT_DUE_MONTHS))
    rates = rates[rates["unit"].notna()].assign(recent=rates["period"] >= recent_from)
    pooled = rates.groupby(["unit", "recent"])[["numerator", "denominator"]].sum()
    value = (pooled["numerator"] / pooled["denominator"].where(pooled["denominator"] > 0)).unstack("recent")
    out = pd.DataFrame(
        {
            "unit": value.index,
            "recent": value.get(True, pd.Series(np.nan, index=value.index)).to_numpy(),
            "previous": value.get(False, pd.Series(np.nan, index=value.index)).to_numpy(),
        }
    )
    out["change"] = out["recent"] / out["previous"] - 1
    return out.sort_values("change").reset_index(drop=True)


def _tiles(
    trend: pd.DataFrame, company_aging: pd.DataFrame, credit_total: float, months: list[dt.date]
) -> pd.DataFrame:
    """The month's headline figures with their change against the month before and a year before."""
    company = trend[trend["unit"] == "company"].set_index("period")
    current, previous, last_year = (pd.Timestamp(m) for m in (months[-1], months[-2], months[0]))
    rows = []
    better: bool | None  # None: neither direction is better (the open amount)
    for key, unit, better in (
        ("collection_rate", "ratio", True),
        ("dso", "days", False),
        ("cei", "index", True),
        ("overdue_share", "ratio", False),
    ):
        series = company[key] if key in company else pd.Series(dtype=float)
        value, prev, ly = (float(series.get(p, np.nan)) for p in (current, previous, last_year))
        rows.append(
            {"key": key, "unit": unit, "higher_is_better": better, "value": value, "previous": prev, "last_year": ly}
        )
    aging = company_aging.iloc[0] if not company_aging.empty else pd.Series(dtype=float)
    for key, better in (("open", None), ("overdue", False), ("90+", False)):
        rows.append(
            {
                "key": key,
                "unit": "currency",
                "higher_is_better": better,
                "value": float(aging.get(key, 0.0)),
                "previous": np.nan,
                "last_year": np.nan,
            }
        )
    rows.append(
        {
            "key": "credit",
            "unit": "currency",
            "higher_is_better": None,
            "value": credit_total,
            "previous": np.nan,
            "last_year": np.nan,
        }
    )
    tiles = pd.DataFrame(rows)
    tiles["change_prev"] = _change(tiles["value"], tiles["previous"])
    tiles["change_yoy"] = _change(tiles["value"], tiles["last_year"])
    return tiles


def _change(value: pd.Series, baseline: pd.Series) -> pd.Series:
    return (value / baseline - 1).where((baseline != 0) & baseline.notna() & value.notna())


# --------------------------------------------------------------------------- customers


def compute_customers(data: Dataset, scope: RunScope, params: CollectionsCustomersParams) -> CustomerValue:
    """The customer-value part of the report."""
    as_of = scope.as_of
    region = scope.region
    count = int(cust.bookings(data, as_of, region=region).customer_id.nunique().execute())
    with cached(cust.customer_values(data, as_of, region=region, attributes=False)) as values:
        top = cust.top_customers(data, values)
        concentration = cust.concentration(values)
    historical_cells = cust.historical_ltv(data, as_of, warmup_months=params.cohort_warmup_months, region=region)
    try:
        prediction = predict_ltv(
            data, as_of, holdout_months=params.holdout_months, horizon_months=params.ltv_horizon_months, region=region
        )
        note = "" if prediction is not None else "too_few_customers"
    except ValueError:
        prediction, note = None, "model_failed"
    ltv_year = compute_metric(
        data, "customer_ltv", Grain(period="year", level="region" if region else "company", end=as_of)
    )
    if region:
        ltv_year = ltv_year[ltv_year["unit"] == region]
    top["owner_name"] = ar.with_names(data, top[["customer_id", "owner"]])["owner_name"].to_numpy()
    return CustomerValue(
        customers=count,
        top=top,
        concentration=concentration,
        cohorts=cust.cohort_retention(data, as_of, warmup_months=params.cohort_warmup_months, region=region),
        historical={d: cust.ltv_by(historical_cells, d) for d in cust.DIMENSIONS},
        ltv_by_year=ltv_year[["period", "numerator", "denominator", "value"]]
        .rename(columns={"numerator": "gross_profit", "denominator": "customers", "value": "ltv"})
        .reset_index(drop=True),
        prediction=prediction,
        prediction_note=note,
    )


# --------------------------------------------------------------------------- key accounts


def key_account_churn(data: Dataset, scope: RunScope, params: CollectionsCustomersParams) -> pd.DataFrame:
    """Key accounts at risk (the shared :func:`key_account_risk`), with the owner's name and region."""
    as_of = scope.as_of
    risk = key_account_risk(data, as_of, top_n=params.key_accounts, decline=params.churn_decline)
    risk = risk.rename(columns={"region": "customer_region"})
    if risk.empty:
        return risk.assign(owner_name=pd.Series(dtype="object"), owner_region=pd.Series(dtype="object"))
    named = ar.with_names(data, risk.rename(columns={"name": "__name"}))
    named = named.drop(columns=["customer"]).rename(columns={"__name": "name", "region": "owner_region"})
    if scope.region:
        named = named[named["owner_region"] == scope.region]
    return named.reset_index(drop=True)
