"""Collections and customer value: receivables, DSO, CEI, aging, lifetime value and churn risk.

Pure: ``compute(data, params) -> CollectionsCustomersResult``; no I/O, no plotting. Everything is
as of the last day of ``params.period``. The receivables part needs ``invoices`` and
``payments`` (without them it is left out, with the reason); customer value needs bookings
(orders, or won deals); key-account churn risk is :func:`salesops_lib.analyses.churn.key_account_risk`,
shared with the forecast's warnings and not recomputed here.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace

import ibis.expr.types as ir
import numpy as np
import pandas as pd

from salesops_lib.analyses.churn import key_account_risk
from salesops_lib.analyses.collections_customers import customers as cust
from salesops_lib.analyses.collections_customers import receivables as ar
from salesops_lib.analyses.collections_customers.findings import build_findings
from salesops_lib.analyses.collections_customers.predictive import LtvPrediction, predict_ltv
from salesops_lib.analyses.collections_customers.slip import slip_test
from salesops_lib.analyses.findings import Finding
from salesops_lib.config.reports.collections_customers import CollectionsCustomersParams
from salesops_lib.data import Dataset
from salesops_lib.metrics import Grain, compute_metric
from salesops_lib.metrics.formatting import format_value

TREND_MONTHS = 13
RECENT_DUE_MONTHS = 3
BASELINE_DUE_MONTHS = 12
AGING_TOP_CUSTOMERS = 50
"""The customer aging keeps the customers with most overdue."""
OUTLOOK_DAYS = 180
"""The chase list weighs each aging bucket by the share of it still open this many days later."""


@dataclass(frozen=True)
class Receivables:
    """Receivables as of the period end."""

    #: one row per headline figure: ``key``, ``unit`` (ratio, days, index, currency),
    #: ``higher_is_better``, ``value``, ``previous`` (a month earlier), ``last_year``,
    #: ``change_prev``, ``change_yoy``
    tiles: pd.DataFrame
    #: aging by level ("company", "region", "team", "rep", "customer"): unit × bucket amounts,
    #: ``open``, ``overdue``, ``overdue_share``, ``invoices`` (rep and customer with ``name``; the
    #: customer level keeps the ``AGING_TOP_CUSTOMERS`` with most overdue)
    aging: dict[str, pd.DataFrame]
    #: per month × unit (company and regions): ``collection_rate``, ``dso``, ``cei``,
    #: ``receivable``, ``past_due``, ``overdue_share`` (invoices due in the trailing window)
    trend: pd.DataFrame
    #: the collections-slip test per region (see :mod:`.slip`)
    slip: pd.DataFrame
    #: collection rate per region: ``recent`` (last 3 due-months) vs ``previous`` (the 12 before)
    collection_by_region: pd.DataFrame
    #: per aging bucket, the share of the amount still open ``OUTLOOK_DAYS`` later (history)
    outlook: pd.DataFrame
    #: overdue invoices to chase first (see :func:`.receivables.chase_list`)
    chase: pd.DataFrame
    #: customers with a credit balance (over-payments, unapplied credit notes), largest first
    credits: pd.DataFrame
    credit_total: float
    #: open amount more than ``DOUBTFUL_DAYS`` past due, and how many invoices
    doubtful: float
    doubtful_invoices: int


@dataclass(frozen=True)
class CustomerValue:
    """Customers: value, concentration, cohorts, historical and predictive LTV."""

    customers: int
    #: top customers by revenue over the last 12 months (see :func:`.customers.customer_values`),
    #: with ``owner_name`` and ``margin_12m``
    top: pd.DataFrame
    #: share of the last 12 months' revenue of the top 1/5/10/20 % of customers
    concentration: pd.DataFrame
    #: cohort × quarters since acquisition: ``customers``, ``active``, ``retention``, ``revenue``,
    #: ``gross_profit`` (per cohort customer)
    cohorts: pd.DataFrame
    #: value in the first 12 months after acquisition per segment / industry / channel
    historical: dict[str, pd.DataFrame]
    #: the ``customer_ltv`` metric (gross profit to date per customer) by acquisition year
    ltv_by_year: pd.DataFrame
    prediction: LtvPrediction | None
    #: why there is no prediction ("" when there is one)
    prediction_note: str = ""


@dataclass(frozen=True)
class CollectionsCustomersResult:
    """Receivables, customer value and key-account churn risk for one period."""

    period: str
    lang: str
    as_of: dt.date
    region: str
    receivables: Receivables | None
    #: why receivables are left out ("" when they are there)
    receivables_note: str
    customers: CustomerValue
    #: key accounts at risk (:func:`salesops_lib.analyses.churn.key_account_risk`) with ``owner_name``
    churn: pd.DataFrame
    findings: tuple[Finding, ...] = field(default_factory=tuple)

    def _repr_html_(self) -> str:
        zh = self.lang == "zh"
        rows = []
        if self.receivables is not None:
            for r in self.receivables.tiles.itertuples():
                rows.append((r.key, format_value(r.value, "ratio" if r.unit == "ratio" else "days"
                                                 if r.unit in ("days", "index") else "currency")))
        rows.append(("customers", f"{self.customers.customers:,}"))
        rows.append(("key_accounts_at_risk", str(len(self.churn))))
        head = "<th>项目</th><th>数值</th>" if zh else "<th>item</th><th>value</th>"
        body = "".join(f"<tr><td>{html.escape(str(k))}</td><td>{html.escape(v)}</td></tr>" for k, v in rows)
        return f"<table class='salesops-tiles'><tr>{head}</tr>{body}</table>"


def compute(data: Dataset, params: CollectionsCustomersParams) -> CollectionsCustomersResult:
    """Collections and customer value as of the end of ``params.period``.

    Examples
    --------
    >>> result = compute(connect("demo"), CollectionsCustomersParams(period="2026-10"))  # doctest: +SKIP
    >>> result.receivables.slip[["unit", "share", "history_share", "slipping"]]  # doctest: +SKIP
    """
    as_of = params.month[1]
    if data.has("invoices", "payments"):
        receivables, note = compute_receivables(data, params), ""
    else:
        missing = [t for t in ("invoices", "payments") if not data.has(t)]
        receivables, note = None, "; ".join(f"{t}: {data.missing.get(t, 'not provided')}" for t in missing)
    customers = compute_customers(data, params)
    churn = key_account_churn(data, params)
    result = CollectionsCustomersResult(
        period=params.period, lang=params.lang, as_of=as_of, region=params.region, receivables=receivables,
        receivables_note=note, customers=customers, churn=churn,
    )
    return replace(result, findings=tuple(build_findings(result, params)))


# --------------------------------------------------------------------------- receivables


@contextmanager
def cached(table: ir.Table) -> Iterator[ir.Table]:
    """``table`` materialised once in the engine (a temporary table) for several queries, then dropped."""
    materialised = table.cache()
    try:
        yield materialised
    finally:
        materialised.release()


def compute_receivables(data: Dataset, params: CollectionsCustomersParams) -> Receivables:
    """The receivables part of the report."""
    first, as_of = params.month
    region = params.region
    months = [(pd.Timestamp(first) - pd.DateOffset(months=k)).date() for k in range(TREND_MONTHS - 1, -1, -1)]
    snapshot = ar.open_items(data, as_of, region=region)
    with cached(snapshot.items) as table:
        items = ar.OpenItems(as_of=as_of, items=table, credits=snapshot.credits)
        cells = ar.open_by_owner(items)
        outlook = ar.bucket_outlook(data, items, lookback_days=OUTLOOK_DAYS, region=region)
        chase = ar.chase_list(data, items, outlook, top=params.chase_list, max_days=ar.DOUBTFUL_DAYS)
        doubtful = table.filter((table.open > 0) & (table.days_past_due > ar.DOUBTFUL_DAYS))
        doubtful_sum = doubtful.aggregate(amount=doubtful.open.sum(), n=doubtful.count()).execute().iloc[0]
    credits = snapshot.credits.order_by([snapshot.credits.credit.desc(), snapshot.credits.customer_id]).execute()
    aging = {level: ar.aging(data, cells, level) for level in ("company", "region", "team", "rep", "customer")}
    aging["rep"] = _named(data, aging["rep"], "rep")
    aging["customer"] = _named(data, aging["customer"].head(AGING_TOP_CUSTOMERS), "customer")
    if region:
        aging["company"] = aging["company"].assign(unit=region)

    moments = ar.overdue_moments(data, _cuts(as_of, months, params), params.overdue_window_days, "region")
    slip = slip_test(moments[moments["label"].isin(["current", "history"])], alpha=params.alpha,
                     min_increase=params.min_overdue_increase)
    rates = _collection_rates(data, first, as_of)
    trend = _trend(data, months, as_of, region, moments, rates)
    by_region = _collection_by_region(rates, first)
    if region:
        by_region = by_region[by_region["unit"] == region].reset_index(drop=True)
    return Receivables(
        tiles=_tiles(trend, aging["company"], credits, months),
        aging=aging, trend=trend, slip=slip, collection_by_region=by_region,
        outlook=outlook.rename_axis("bucket").reset_index(), chase=chase,
        credits=ar.with_names(data, credits.assign(owner=None)).drop(columns=["owner", "owner_name", "region"]),
        credit_total=float(credits["credit"].sum()) if not credits.empty else 0.0,
        doubtful=float(np.nan_to_num(doubtful_sum["amount"] or 0.0)), doubtful_invoices=int(doubtful_sum["n"]),
    )


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


def _trend(data: Dataset, months: list[dt.date], as_of: dt.date, region: str, moments: pd.DataFrame,
           rates: pd.DataFrame) -> pd.DataFrame:
    """Monthly collection rate, DSO, CEI, receivables and overdue share, per region and for the
    company (sums of the regions' parts; invoices without a region count for the company only).
    With ``region`` the region in scope stands in for the company."""
    grain = Grain(period="month", level="region", start=months[0], end=as_of)
    dso = compute_metric(data, "dso", grain)
    money = ar.monthly_receivables(data, months, "region")
    shares = moments[moments["label"].str.startswith("m")].assign(
        period=lambda f: pd.to_datetime(f["label"].str[1:]))
    parts = {
        "collection_rate": rates[rates["period"] >= pd.Timestamp(months[0])][["period", "unit", "numerator",
                                                                              "denominator"]],
        "dso": dso[["period", "unit", "numerator", "denominator"]],
        "overdue_share": shares.rename(columns={"unpaid": "numerator", "due": "denominator"})[
            ["period", "unit", "numerator", "denominator"]],
        "cei": money.assign(numerator=100 * money["collected"], denominator=money["collected"] + money["past_due"])[
            ["period", "unit", "numerator", "denominator"]],
        "receivable": money.assign(numerator=money["receivable"], denominator=1.0)[
            ["period", "unit", "numerator", "denominator"]],
        "past_due": money.assign(numerator=money["past_due"], denominator=1.0)[
            ["period", "unit", "numerator", "denominator"]],
    }
    columns = []
    for name, frame in parts.items():
        frame = frame.assign(unit=frame["unit"].where(frame["unit"].notna(), "—"))
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
    return trend[["period", "unit", "collection_rate", "dso", "cei", "receivable", "past_due", "overdue_share"]] \
        .sort_values(["unit", "period"]).reset_index(drop=True)


def _collection_rates(data: Dataset, first: dt.date, as_of: dt.date) -> pd.DataFrame:
    """The collection_rate metric per region and month, over the recent and baseline due-months."""
    span = RECENT_DUE_MONTHS + BASELINE_DUE_MONTHS
    start = (pd.Timestamp(first) - pd.DateOffset(months=span - 1)).date()
    return compute_metric(data, "collection_rate", Grain(period="month", level="region", start=start, end=as_of))


def _collection_by_region(rates: pd.DataFrame, first: dt.date) -> pd.DataFrame:
    """Per region: the last 3 due-months pooled (``recent``) vs the 12 before (``previous``)."""
    recent_from = pd.Timestamp(first) - pd.DateOffset(months=RECENT_DUE_MONTHS - 1)
    rates = rates[rates["unit"].notna()].assign(recent=rates["period"] >= recent_from)
    pooled = rates.groupby(["unit", "recent"])[["numerator", "denominator"]].sum()
    value = (pooled["numerator"] / pooled["denominator"].where(pooled["denominator"] > 0)).unstack("recent")
    out = pd.DataFrame({"unit": value.index,
                        "recent": value.get(True, pd.Series(np.nan, index=value.index)).to_numpy(),
                        "previous": value.get(False, pd.Series(np.nan, index=value.index)).to_numpy()})
    out["change"] = out["recent"] / out["previous"] - 1
    return out.sort_values("change").reset_index(drop=True)


def _tiles(trend: pd.DataFrame, company_aging: pd.DataFrame, credits: pd.DataFrame,
           months: list[dt.date]) -> pd.DataFrame:
    """The month's headline figures with their change against the month before and a year before."""
    company = trend[trend["unit"] == "company"].set_index("period")
    current, previous, last_year = (pd.Timestamp(m) for m in (months[-1], months[-2], months[0]))
    rows = []
    for key, unit, better in (("collection_rate", "ratio", True), ("dso", "days", False), ("cei", "index", True),
                              ("overdue_share", "ratio", False)):
        series = company[key] if key in company else pd.Series(dtype=float)
        value, prev, ly = (float(series.get(p, np.nan)) for p in (current, previous, last_year))
        rows.append({"key": key, "unit": unit, "higher_is_better": better, "value": value, "previous": prev,
                     "last_year": ly})
    aging = company_aging.iloc[0] if not company_aging.empty else pd.Series(dtype=float)
    for key, better in (("open", None), ("overdue", False), ("90+", False)):
        rows.append({"key": key, "unit": "currency", "higher_is_better": better,
                     "value": float(aging.get(key, 0.0)), "previous": np.nan, "last_year": np.nan})
    rows.append({"key": "credit", "unit": "currency", "higher_is_better": None,
                 "value": float(credits["credit"].sum()) if not credits.empty else 0.0,
                 "previous": np.nan, "last_year": np.nan})
    tiles = pd.DataFrame(rows)
    tiles["change_prev"] = _change(tiles["value"], tiles["previous"])
    tiles["change_yoy"] = _change(tiles["value"], tiles["last_year"])
    return tiles


def _change(value: pd.Series, baseline: pd.Series) -> pd.Series:
    return (value / baseline - 1).where((baseline != 0) & baseline.notna() & value.notna())


# --------------------------------------------------------------------------- customers


def compute_customers(data: Dataset, params: CollectionsCustomersParams) -> CustomerValue:
    """The customer-value part of the report."""
    _, as_of = params.month
    region = params.region
    count = int(cust.bookings(data, as_of, region=region).customer_id.nunique().execute())
    with cached(cust.customer_values(data, as_of, region=region, attributes=False)) as values:
        top = cust.top_customers(data, values)
        concentration = cust.concentration(values)
    historical_cells = cust.historical_ltv(data, as_of, warmup_months=params.cohort_warmup_months, region=region)
    try:
        prediction = predict_ltv(data, as_of, holdout_months=params.holdout_months,
                                 horizon_months=params.ltv_horizon_months, region=region)
        note = "" if prediction is not None else "too_few_customers"
    except ValueError:
        prediction, note = None, "model_failed"
    ltv_year = compute_metric(data, "customer_ltv", Grain(period="year", level="region" if region else "company",
                                                          end=as_of))
    if region:
        ltv_year = ltv_year[ltv_year["unit"] == region]
    top["owner_name"] = ar.with_names(data, top[["customer_id", "owner"]])["owner_name"].to_numpy()
    return CustomerValue(
        customers=count,
        top=top,
        concentration=concentration,
        cohorts=cust.cohort_retention(data, as_of, warmup_months=params.cohort_warmup_months, region=region),
        historical={d: cust.ltv_by(historical_cells, d) for d in cust.DIMENSIONS},
        ltv_by_year=ltv_year[["period", "numerator", "denominator", "value"]].rename(
            columns={"numerator": "gross_profit", "denominator": "customers", "value": "ltv"}).reset_index(drop=True),
        prediction=prediction, prediction_note=note,
    )


# --------------------------------------------------------------------------- key accounts


def key_account_churn(data: Dataset, params: CollectionsCustomersParams) -> pd.DataFrame:
    """Key accounts at risk (the shared :func:`key_account_risk`), with the owner's name and region."""
    _, as_of = params.month
    risk = key_account_risk(data, as_of, top_n=params.key_accounts, decline=params.churn_decline)
    risk = risk.rename(columns={"region": "customer_region"})
    if risk.empty:
        return risk.assign(owner_name=pd.Series(dtype="object"), owner_region=pd.Series(dtype="object"))
    named = ar.with_names(data, risk.rename(columns={"name": "__name"}))
    named = named.drop(columns=["customer"]).rename(columns={"__name": "name", "region": "owner_region"})
    if params.region:
        named = named[named["owner_region"] == params.region]
    return named.reset_index(drop=True)
