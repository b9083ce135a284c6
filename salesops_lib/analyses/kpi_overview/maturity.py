"""When a cohort KPI's cohort has matured: the tiles show the latest matured cohort, never the
month's own (a lead cohort created this month has had no time to convert, a campaign started
this month has won nothing yet).

A cohort's outcome arrives with a lag measured on the data itself, up to the end of the period:

* ``lead_conversion_rate`` — lead created → its first opportunity;
* ``campaign_roi`` — campaign start → close of a won deal from a lead it sourced;
* ``cost_per_lead`` — campaign start → a lead it sourced;
* ``customer_ltv`` — gross profit to date never stops growing; the cohort is read once it has
  had :data:`LTV_HORIZON_DAYS` (a year), the horizon of the predictive LTV. As an older cohort
  has had longer still, its value is not compared with earlier cohorts' (:data:`AGE_DEPENDENT`).

The maturity window is the :data:`QUANTILE` quantile of the lag (most of the outcome is in), at
most :data:`MAX_MONTHS` months; a cohort month has matured when its last day plus the window
falls by the period end. Lags are those already observed, so a slow outcome is if anything
under-waited (the window is a floor, stated on the page with the cohort month).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable, Mapping

import ibis.expr.types as ir
import pandas as pd

from salesops_lib.core.periods import month_start
from salesops_lib.core.quantiles import quantile_of_counts
from salesops_lib.data import Dataset
from salesops_lib.metrics import METRICS

QUANTILE = 0.9
"""Share of a cohort's outcome that has arrived once the maturity window has passed."""
MAX_MONTHS = 12
"""Longest maturity window, in months (a tile stays at most a year behind the period)."""
LTV_HORIZON_DAYS = 365
AGE_DEPENDENT = frozenset({"customer_ltv"})
"""Cohort metrics that keep growing with the cohort's age: a tile compares them with nothing."""
DAYS_PER_MONTH = 30.4375


def _lead_to_opportunity(data: Dataset, as_of: dt.date) -> ir.Table:
    leads, opps = data.table("leads"), data.table("opportunities")
    first = opps.filter(opps.lead_id.notnull() & (opps.created_at <= as_of))
    first = first.group_by("lead_id").agg(opened=first.created_at.min())
    joined = leads.filter(leads.created_at <= as_of).join(first, "lead_id")
    return joined.select(lag=joined.opened.cast("date").delta(joined.created_at.cast("date"), unit="day"))


def _campaign_to_win(data: Dataset, as_of: dt.date) -> ir.Table:
    c, leads, opps = data.table("campaigns"), data.table("leads"), data.table("opportunities")
    won = opps.filter((opps.status == "won") & opps.closed_at.notnull() & (opps.closed_at <= as_of))
    sourced = won.join(leads.filter(leads.campaign_id.notnull()).select("lead_id", "campaign_id"), "lead_id")
    joined = sourced.join(c.select("campaign_id", "start_date"), "campaign_id")
    return joined.select(lag=joined.closed_at.cast("date").delta(joined.start_date.cast("date"), unit="day"))


def _campaign_to_lead(data: Dataset, as_of: dt.date) -> ir.Table:
    c, leads = data.table("campaigns"), data.table("leads")
    sourced = leads.filter(leads.campaign_id.notnull() & (leads.created_at <= as_of))
    joined = sourced.join(c.select("campaign_id", "start_date"), "campaign_id")
    return joined.select(lag=joined.created_at.cast("date").delta(joined.start_date.cast("date"), unit="day"))


LAGS: dict[str, Callable[[Dataset, dt.date], ir.Table]] = {
    "lead_conversion_rate": _lead_to_opportunity,
    "campaign_roi": _campaign_to_win,
    "cost_per_lead": _campaign_to_lead,
}
"""Per cohort metric, the lags (days) from the cohort's date to its outcomes."""


def maturity_days(data: Dataset, metric: str, as_of: dt.date) -> float:
    """Days after a cohort's date by which :data:`QUANTILE` of its outcome has arrived (0 when
    the data show no outcome yet; capped at :data:`MAX_MONTHS` months).
    """
    cap = MAX_MONTHS * DAYS_PER_MONTH
    if metric == "customer_ltv":
        return float(min(LTV_HORIZON_DAYS, cap))
    lags = LAGS.get(metric)
    if lags is None:
        return 0.0
    table = lags(data, as_of)
    table = table.filter(table.lag >= 0)
    counts: pd.DataFrame = table.group_by("lag").agg(n=table.count()).execute()
    value = quantile_of_counts(counts["lag"].to_numpy(), counts["n"].to_numpy(), QUANTILE)
    return 0.0 if math.isnan(value) else min(max(value, 0.0), cap)


def matured_cohorts(
    data: Dataset, names: Iterable[str], period_start: dt.date, as_of: dt.date
) -> dict[str, pd.Timestamp]:
    """The matured cohort month of each cohort metric among ``names`` (period metrics are left out)."""
    return {n: matured_cohort(period_start, as_of, maturity_days(data, n, as_of)) for n in names if METRICS[n].cohort}


def history_start(period_start: dt.date, cohorts: Mapping[str, pd.Timestamp]) -> dt.date:
    """First month the tiles need: a year before the period, or before the oldest cohort shown."""
    first = min([pd.Timestamp(period_start), *cohorts.values()]) - pd.DateOffset(months=12)
    return first.date()


def matured_cohort(period_start: dt.date, as_of: dt.date, days: float) -> pd.Timestamp:
    """The latest cohort month whose last day plus ``days`` falls by ``as_of`` (the period's own
    month when ``days`` is 0).

    Examples
    --------
    >>> matured_cohort(dt.date(2025, 6, 1), dt.date(2025, 6, 30), 45.0)
    Timestamp('2025-04-01 00:00:00')
    >>> matured_cohort(dt.date(2025, 6, 1), dt.date(2025, 6, 30), 0.0)
    Timestamp('2025-06-01 00:00:00')
    """
    latest = pd.Timestamp(as_of) - pd.Timedelta(days=math.ceil(days))  # a cohort must end by this day
    month = month_start(latest)
    if latest != month + pd.offsets.MonthEnd(0):  # that month is not over by then: the one before
        month -= pd.DateOffset(months=1)
    return min(month, month_start(period_start))
