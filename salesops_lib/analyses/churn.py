"""Key-account churn risk: accounts of high value whose orders decline or stop.

Shared by the forecast's risk warnings and the customer-value report (computed once, here).
An account is *key* when it ranks in the top ``top_n`` by booked value over the 12 months
before ``as_of``; it is *at risk* when its value in the last ``window_months`` fell by at least
``decline`` against the ``window_months`` before, or when it has not ordered for more than
``silence_factor`` times its usual gap between orders. Value at risk = the lost run-rate over
a year: (previous window − last window) × 12 / window_months.

Every rule comes with its chance under "nothing changed", so a small account's noise is not an
alert: a decline's p-value is a permutation test of the account's weekly values over both windows
(how often would half of its weeks, picked at random, sum to as little as the last window's do?)
— a lumpy account's one big order is one high week, not proof of a decline; a silence's is the
share of the account's own gaps between orders over the year at least as long (orders come in
bursts, so no Poisson clock). The key accounts' p-values share the review's multiplicity
policy (:mod:`salesops_lib.analyses.multiplicity`): ``significant`` marks the survivors, which
alone may be alerts; the others are a watch list.
"""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

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
    daily = _daily(events, key["customer_id"], first)
    key["p_decline"] = _decline_p(daily, key["customer_id"], previous_start, as_of)
    key["p_silence"] = _silence_p(daily, key[["customer_id", "days_since_last"]])
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


BUCKETS = 52
"""Equal slices (about weeks) of the two windows the decline's permutation test shuffles."""


def _daily(events: ir.Table, customers: pd.Series, start: dt.date) -> pd.DataFrame:
    """The customers' booked amount per day since ``start`` (``customer_id``, ``at``, ``amount``)."""
    mine = events.filter(events.customer_id.isin(customers.tolist()) & (events.at >= start))
    daily: pd.DataFrame = mine.group_by(["customer_id", "at"]).agg(amount=mine.amount.sum()).execute()
    daily["at"] = pd.to_datetime(daily["at"])
    return daily


def _decline_p(daily: pd.DataFrame, customers: pd.Series, start: dt.date, as_of: dt.date) -> np.ndarray:
    """One-sided permutation p-value, per customer, that the last half of its :data:`BUCKETS`
    slices since ``start`` sums as low as it does by chance (20,000 seeded random splits).
    """
    daily = daily[daily["at"] >= pd.Timestamp(start)].copy()
    span = (as_of - start).days + 1
    offset = (daily["at"] - pd.Timestamp(start)).dt.days.to_numpy()
    daily["slice"] = np.minimum(offset * BUCKETS // span, BUCKETS - 1)
    values = (
        daily.pivot_table(index="customer_id", columns="slice", values="amount", aggfunc="sum", fill_value=0.0)
        .reindex(index=customers.to_numpy(), columns=range(BUCKETS), fill_value=0.0)
        .to_numpy(dtype=float)
    )
    splits = _splits(BUCKETS, BUCKETS // 2)
    observed = values[:, BUCKETS - BUCKETS // 2 :].sum(axis=1)
    below = (values @ splits.T <= observed[:, None] * (1 + 1e-12) + 1e-9).sum(axis=1)
    return np.asarray((below + 1) / (len(splits) + 1), dtype=float)


def _silence_p(daily: pd.DataFrame, key: pd.DataFrame) -> np.ndarray:
    """Per customer: the share of its own gaps between order days (plus the silence itself) at
    least as long as the current silence — orders come in bursts, so no Poisson clock.
    """
    gaps = daily.sort_values(["customer_id", "at"]).groupby("customer_id")["at"].diff().dt.days.dropna()
    by_customer = gaps.groupby(daily.loc[gaps.index, "customer_id"]).apply(np.asarray)
    out = []
    for customer, silence in zip(key["customer_id"], key["days_since_last"], strict=True):
        own = by_customer.get(customer, np.empty(0))
        out.append((1 + float(np.sum(own >= silence))) / (1 + own.size))
    return np.asarray(out, dtype=float)


def _splits(slices: int, chosen: int, draws: int = 20_000) -> np.ndarray:
    """``draws`` random 0/1 rows choosing ``chosen`` of ``slices`` (seeded: the same every run)."""
    rng = np.random.default_rng(0)
    picks = np.argsort(rng.random((draws, slices)), axis=1)[:, :chosen]
    out = np.zeros((draws, slices))
    np.put_along_axis(out, picks, 1.0, axis=1)
    return out


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
