"""The collections and customer-value result: data only (the page words it)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from salesops_lib.analyses.collections_customers.params import CollectionsCustomersParams
from salesops_lib.analyses.collections_customers.predictive import LtvPrediction
from salesops_lib.analyses.findings import Finding


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
    #: (at most :data:`~salesops_lib.analyses.bounded.LIST_ROWS`; ``credit_customers`` counts them all)
    credits: pd.DataFrame
    credit_total: float
    #: open amount more than ``DOUBTFUL_DAYS`` past due, and how many invoices
    doubtful: float
    doubtful_invoices: int
    #: every overdue invoice, in the chase list's order and columns (the page shows the first
    #: ones, the Excel download all of them; doubtful ones included), at most
    #: :data:`~salesops_lib.analyses.bounded.LIST_ROWS` of them: ``overdue_total`` counts them all
    overdue: pd.DataFrame = field(default_factory=pd.DataFrame)
    overdue_total: int = 0
    #: customers with a credit balance (``credits`` holds the first of them)
    credit_customers: int = 0


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
    as_of: dt.date
    region: str
    receivables: Receivables | None
    #: why receivables are left out ("" when they are there)
    receivables_note: str
    customers: CustomerValue
    #: key accounts at risk (:func:`salesops_lib.analyses.churn.key_account_risk`) with ``owner_name``
    churn: pd.DataFrame
    #: the parameters it was computed with (the page states the slip test's, churn's and cohorts' settings)
    params: CollectionsCustomersParams
    findings: tuple[Finding, ...] = field(default_factory=tuple)
