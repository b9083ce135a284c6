"""Key-account churn risk: accounts of high value whose orders decline or stop.

Shared by the forecast's risk warnings and the customer-value report (computed once, here).
An account is *key* when it ranks in the top ``top_n`` by booked value over the 12 months
before ``as_of``; it is *at risk* when its value in the last ``window_months`` fell by at least
``decline`` against the ``window_months`` before, or when it has not ordered for more than
``silence_factor`` times its usual gap between orders. Value at risk = the lost run-rate over
a year: (previous window − last window) × 12 / window_months.

Every rule comes with its chance under "nothing changed", so a small account's noise is not an
alert: a decline's p-value treats each window's value as a compound Poisson sum of its orders
(var ≈ Σ amount², both windows pooled), a silence's is the chance of no order for that many days
at the account's 12-month order rate. The key accounts' p-values share the review's multiplicity
policy (:mod:`salesops_lib.analyses.multiplicity`): ``significant`` marks the survivors, which
alone may be alerts; the others are a watch list.
"""

from __future__ import annotations

import datetime as dt

import ibis
import numpy as np
import pandas as pd
from scipy import stats

from salesops_lib.analyses.multiplicity import bh_adjust, discoveries
from salesops_lib.data import Dataset
from salesops_lib.metrics.facts import account_owners, revenue_events

COLUMNS = [
    "customer_id",
    "name",
    "owner",
    "region",
    "value_12m",
    "previous_window",
    "last_window",
    "change",
    "days_since_last",
    "usual_gap_days",
    "value_at_risk",
    "reason",
    "p_value",
    "q_value",
    "significant",
]


def key_account_risk(
    data: Dataset,
    as_of: dt.date,
    *,
    top_n: int = 20,
    decline: float = 0.5,
    window_months: int = 6,
    silence_factor: float = 3.0,
) -> pd.DataFrame:
    """Key accounts at risk at ``as_of``, most value at risk first (empty frame when none).

    Examples
    --------
    >>> key_account_risk(connect("demo"), dt.date(2026, 10, 31))  # doctest: +SKIP
    """
    end = pd.Timestamp(as_of)
    last_start = (end - pd.DateOffset(months=window_months) + pd.Timedelta(days=1)).date()
    previous_start = (end - pd.DateOffset(months=2 * window_months) + pd.Timedelta(days=1)).date()
    year_start = (end - pd.DateOffset(months=12) + pd.Timedelta(days=1)).date()
    first = min(previous_start, year_start)
    events = revenue_events(data)
    events = events.filter(events.customer_id.notnull() & (events.at >= first) & (events.at <= as_of))
    per_customer = events.group_by("customer_id").agg(
        value_12m=events.amount.sum(where=events.at >= year_start).fill_null(0),
        previous_window=events.amount.sum(where=(events.at >= previous_start) & (events.at < last_start)).fill_null(0),
        last_window=events.amount.sum(where=events.at >= last_start).fill_null(0),
        squares=(events.amount * events.amount).sum(where=events.at >= previous_start).fill_null(0),
        orders_12m=events.count(where=events.at >= year_start),
        last_order=events.at.max(),
        first_order=events.at.min(),
        orders=events.count(),
    )
    owners = account_owners(data, as_of).rename(__owned="customer_id")
    per_customer = per_customer.left_join(owners, per_customer.customer_id == owners["__owned"]).drop("__owned")
    key = per_customer.order_by(ibis.desc("value_12m")).limit(top_n).execute()
    if key.empty:
        return pd.DataFrame(columns=COLUMNS)
    key["last_order"] = pd.to_datetime(key["last_order"])
    key["first_order"] = pd.to_datetime(key["first_order"])
    key["days_since_last"] = (end - key["last_order"]).dt.days
    span = (key["last_order"] - key["first_order"]).dt.days
    key["usual_gap_days"] = (span / (key["orders"] - 1).clip(lower=1)).where(key["orders"] > 1)
    key["change"] = (key["last_window"] / key["previous_window"] - 1).where(key["previous_window"] > 0)
    declining = key["change"] <= -decline
    grew = key["last_window"] > key["previous_window"]  # a growing account is not silent, however long its gap
    silent = (key["days_since_last"] > silence_factor * key["usual_gap_days"].clip(lower=7)) & ~grew
    key["p_decline"] = _decline_p(key)
    key["p_silence"] = np.exp(-key["orders_12m"].astype(float) / 365.0 * key["days_since_last"].clip(lower=0))
    key["p_value"] = np.where(declining, key["p_decline"], np.where(silent, key["p_silence"], np.nan))
    tested = np.where(declining, key["p_decline"], key["p_silence"])  # every key account is a tested cell
    key["q_value"] = bh_adjust(tested)
    key["significant"] = discoveries(tested) & (declining | silent)
    at_risk = key[declining | silent].copy()
    at_risk["reason"] = ["decline" if d else "silence" for d in declining[declining | silent]]
    lost = (at_risk["previous_window"] - at_risk["last_window"]).clip(lower=0)
    at_risk["value_at_risk"] = lost * 12 / window_months
    at_risk = at_risk[at_risk["value_at_risk"] > 0]  # nothing at risk is no alert
    return _with_names(data, at_risk).sort_values("value_at_risk", ascending=False)[COLUMNS].reset_index(drop=True)


def _decline_p(key: pd.DataFrame) -> np.ndarray:
    """One-sided p-value of the fall from the previous window to the last one, each window's value
    a compound Poisson sum of its orders (variance ≈ Σ amount² over both windows).
    """
    drop = (key["previous_window"] - key["last_window"]).to_numpy(dtype=float)
    spread = np.sqrt(key["squares"].to_numpy(dtype=float))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(spread > 0, drop / spread, 0.0)
    return np.asarray(stats.norm.sf(z), dtype=float)


def _with_names(data: Dataset, frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    frame["name"] = frame["customer_id"]
    frame["region"] = None
    if data.has("customers") and not frame.empty:
        customers = data.table("customers")
        found = (
            customers.filter(customers.customer_id.isin(frame["customer_id"].tolist()))
            .select("customer_id", "name", "region")
            .execute()
        )
        names = dict(zip(found["customer_id"], found["name"].fillna(found["customer_id"]), strict=False))
        regions = dict(zip(found["customer_id"], found["region"], strict=False))
        frame["name"] = frame["customer_id"].map(names).fillna(frame["customer_id"])
        frame["region"] = frame["customer_id"].map(regions)
    return frame
