"""The target → actual bridge of the month: how much of the gap comes from deal volume, region
mix, conversion and deal size.

Per region ``r``, revenue is ``closed deals × win rate × revenue per won deal`` — an identity
(revenue per won deal is the region's revenue over its won deals). The target is read the same
way at the region's usual rates (the :data:`REFERENCE_MONTHS` before the month): the closed deals
the target needed are ``target / (usual win rate × usual revenue per won deal)``. Company closed
deals ``N`` times the regions' shares ``m_r`` give the four factors: volume ``N``, mix ``m_r``,
conversion ``c_r`` and deal size ``s_r``.

The gap ``Σ N m c s (actual) − Σ N m c s (target)`` is split with Shapley values over the four
factors (the mean of the 24 orders of switching them from target to actual): order-free and exact,
the four parts add up to actual − target.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from salesops_lib.core.periods import add_months
from salesops_lib.data import Dataset
from salesops_lib.metrics import METRICS, Grain, compute_metric

FACTORS = ("volume", "mix", "conversion", "deal_size")
"""The bridge's steps, in the order the chart shows them."""
REFERENCE_MONTHS = 12
"""Months before the period whose rates are the target's usual win rate and deal size."""


@dataclass(frozen=True)
class Drivers:
    """Per region: closed deals, win rate and revenue per won deal (index: region id)."""

    closed: pd.Series
    win_rate: pd.Series
    deal_size: pd.Series


def bridge(target: Drivers, actual: Drivers) -> pd.Series:
    """Shapley split of ``actual`` − ``target`` revenue into :data:`FACTORS` (a series by factor).

    Examples
    --------
    >>> idx = ["a", "b"]
    >>> plan = Drivers(pd.Series([100.0, 100.0], idx), pd.Series([0.5, 0.5], idx), pd.Series([10.0, 10.0], idx))
    >>> real = Drivers(pd.Series([120.0, 80.0], idx), pd.Series([0.5, 0.25], idx), pd.Series([12.0, 20.0], idx))
    >>> parts = bridge(plan, real)
    >>> revenue(plan), revenue(real), round(float(parts.sum()), 6)
    (1000.0, 1120.0, 120.0)
    """
    regions = target.closed.index.union(actual.closed.index)
    plan, real = _factors(target, regions), _factors(actual, regions)

    def value(switched: frozenset[str]) -> float:
        product = np.ones(len(regions))
        for name in FACTORS:
            product = product * (real if name in switched else plan)[name]
        return float(product.sum())

    n = len(FACTORS)
    parts = dict.fromkeys(FACTORS, 0.0)
    for name in FACTORS:
        others = [f for f in FACTORS if f != name]
        for size in range(n):
            weight = math.factorial(size) * math.factorial(n - size - 1) / math.factorial(n)
            for subset in itertools.combinations(others, size):
                base = frozenset(subset)
                parts[name] += weight * (value(base | {name}) - value(base))
    return pd.Series(parts)


def revenue(drivers: Drivers) -> float:
    """Revenue the drivers make: Σ closed × win rate × deal size."""
    return float((drivers.closed * drivers.win_rate * drivers.deal_size).fillna(0.0).sum())


def _factors(drivers: Drivers, regions: pd.Index) -> dict[str, np.ndarray]:
    closed = drivers.closed.reindex(regions).fillna(0.0)
    total = float(closed.sum())
    return {
        "volume": np.full(len(regions), total),
        "mix": (closed / total).to_numpy() if total else np.zeros(len(regions)),
        "conversion": drivers.win_rate.reindex(regions).fillna(0.0).to_numpy(),
        "deal_size": drivers.deal_size.reindex(regions).fillna(0.0).to_numpy(),
    }


def month_bridge(data: Dataset, start: dt.date, end: dt.date, attainment: pd.DataFrame | None = None) -> pd.DataFrame:
    """The month's bridge as rows ``step`` (target, the four factors, actual) and ``amount``
    (the factors' amounts; target and actual their totals); empty without deals or targets.
    ``attainment``: the month's attainment by region (``Grain(period="all", level="region")``)
    when the caller has it already.

    Revenue in a region without a won deal, or a target where the usual rates are unknown, is
    read at the company's rates (so no revenue or target is left out of the bridge).
    """
    if not all(METRICS[m].available(data) for m in ("win_rate", "attainment")):
        return pd.DataFrame(columns=["step", "amount"])
    first = add_months(start, -REFERENCE_MONTHS)
    before = Grain(period="all", level="region", start=first, end=start - dt.timedelta(1))
    if attainment is None:
        attainment = compute_metric(data, "attainment", Grain(period="all", level="region", start=start, end=end))
    att = attainment.set_index("unit")
    if att.empty or not att["denominator"].fillna(0).gt(0).any():
        return pd.DataFrame(columns=["step", "amount"])
    # one scan of the closed deals by region and month: the month's, and the reference months' summed
    wins = compute_metric(data, "win_rate", Grain(period="month", level="region", start=first, end=end))
    in_month = wins["period"] >= pd.Timestamp(start)
    actual = _drivers(data, before, _by_region(wins[in_month]), att["numerator"])
    usual = _drivers(data, before, _by_region(wins[~in_month]), None)
    targets = att["denominator"].fillna(0.0)
    rate = usual.win_rate.reindex(targets.index)
    size = usual.deal_size.reindex(targets.index)
    company_rate, company_size = _company_rates(usual)
    if not (company_rate > 0 and company_size > 0):  # no deal closed before the month: no usual rates
        return pd.DataFrame(columns=["step", "amount"])
    rate = rate.where(rate > 0, company_rate).fillna(company_rate)
    size = size.where(size > 0, company_size).fillna(company_size)
    plan = Drivers(targets / (rate * size), rate, size)
    parts = bridge(plan, actual)
    rows = [("target", revenue(plan)), *parts.items(), ("actual", revenue(actual))]
    return pd.DataFrame(rows, columns=["step", "amount"])


def _by_region(wins: pd.DataFrame) -> pd.DataFrame:
    """Win-rate rows by region and month summed over the months (won and closed deals add up)."""
    return wins.groupby("unit", dropna=False, sort=True)[["numerator", "denominator"]].sum(min_count=1)


def _drivers(data: Dataset, grain: Grain, wins: pd.DataFrame, revenue_by_region: pd.Series | None) -> Drivers:
    """Closed deals, win rate and revenue per won deal by region: ``wins`` (won deals and closed
    deals by region) and revenue by region (read over ``grain``'s window when not given).
    """
    closed, won = wins["denominator"].fillna(0.0), wins["numerator"].fillna(0.0)
    if revenue_by_region is None:
        revenue_by_region = compute_metric(data, "revenue", grain).set_index("unit")["value"]
    regions = closed.index.union(revenue_by_region.dropna().index)
    closed, won = closed.reindex(regions).fillna(0.0), won.reindex(regions).fillna(0.0)
    money = revenue_by_region.reindex(regions).fillna(0.0).astype(float)
    if (lost := (won <= 0) & (money > 0)).any():  # revenue without a won deal: one deal at the company's rates
        total_won, total_closed = float(won.sum()), float(closed.sum())
        share = total_won / total_closed if total_closed else 1.0
        closed = closed.where(~lost, closed.clip(lower=1.0))
        won = won.where(~lost, closed * share if share else 1.0)
    win_rate = (won / closed).where(closed > 0, 0.0)
    deal_size = (money / won).where(won > 0, 0.0)
    return Drivers(closed.astype(float), win_rate.astype(float), deal_size.astype(float))


def _company_rates(drivers: Drivers) -> tuple[float, float]:
    won = drivers.closed * drivers.win_rate
    total_won, total_closed = float(won.sum()), float(drivers.closed.sum())
    money = float((won * drivers.deal_size).sum())
    return (total_won / total_closed if total_closed else math.nan, money / total_won if total_won else math.nan)
