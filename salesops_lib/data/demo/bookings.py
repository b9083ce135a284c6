"""Weekly bookings: how much each rep closes in each ISO week, and the close events behind it.

A rep's expected revenue of a month is spread over the days they work, weighted by weekday,
holidays and the Spring Festival; a week's booked amount is that expectation × log-normal
noise, split into orders. Lost deals close alongside. Weeks after ``as_of`` are simulated the
same way: their deals, created before ``as_of``, are the open pipeline.

The alert window (the last complete ISO weeks before ``as_of``) obeys a contract: no fully
employed rep is below 80 % of the weekly target three weeks running — except the planted
underperformer; the planted edge case sits at 79 %/81 %/79 %.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from salesops_lib.data.demo.customers import KeyAccounts
from salesops_lib.data.demo.org import Allocation, Org
from salesops_lib.data.demo.sampling import lognormal1, sample_in_ranges, split_amounts, stream
from salesops_lib.data.demo.scenario import Reps
from salesops_lib.data.demo.spec import DemoConfig
from salesops_lib.data.demo.timeline import Timeline

ALERT_THRESHOLD = 0.80


@dataclass(frozen=True)
class CloseEvents:
    """Deals by close day: won (with the booked amount) and lost; ``future`` = after as_of."""

    rep: np.ndarray
    close: np.ndarray
    amount: np.ndarray
    won: np.ndarray
    future: np.ndarray


@dataclass(frozen=True)
class CallOffs:
    """Key-account call-off orders (no opportunity): key account, owner rep, day, amount."""

    account: np.ndarray
    rep: np.ndarray
    day: np.ndarray
    amount: np.ndarray


@dataclass(frozen=True)
class Workdays:
    """A chunk's reps × days employment weights (reused by activities and expenses)."""

    reps: np.ndarray
    qa: np.ndarray  #: business weight × employed
    month_index: np.ndarray  #: index of each month's first day in the day axis


def workdays(tl: Timeline, org: Org, reps: np.ndarray) -> Workdays:
    """Employment-weighted business days of ``reps`` over the simulation range."""
    hire = org.hire[reps][:, None]
    last = org.exit_or(int(tl.days[-1]))[reps][:, None]
    active = (tl.days[None, :] >= hire) & (tl.days[None, :] <= last)
    return Workdays(reps=reps, qa=tl.q[None, :] * active, month_index=np.searchsorted(tl.days, tl.month_first))


def book_chunk(
    cfg: DemoConfig,
    tl: Timeline,
    org: Org,
    alloc: Allocation,
    ka: KeyAccounts,
    reps_sel: Reps,
    work: Workdays,
    chunk: int,
) -> tuple[CloseEvents, CallOffs]:
    """Close events and call-off orders of the chunk's reps."""
    m = cfg.model
    reps = work.reps
    mod = tl.month_of_day
    msum = np.add.reduceat(work.qa, work.month_index, axis=1)
    density = np.divide(work.qa, msum[:, mod], out=np.zeros_like(work.qa), where=msum[:, mod] > 0)
    lam = alloc.lam[reps]
    owned_actual = ka.per_rep(ka.actual, org.n_reps)[reps]
    owned_plan = ka.per_rep(ka.plan, org.n_reps)[reps]
    deal = np.maximum(lam - owned_actual, 0.15 * lam)
    deal_count = np.maximum(lam - owned_plan, 0.15 * lam)
    rate = deal[:, mod] * density
    expected = np.add.reduceat(rate, tl.period_first, axis=1)
    expected_count = np.add.reduceat(deal_count[:, mod] * density, tl.period_first, axis=1)
    rng = stream(cfg.seed, "bookings", chunk)
    booked = expected * lognormal1(rng, m.week_noise, expected.shape)

    calloffs, per_rep_period = _call_offs(cfg, tl, ka, reps, chunk)
    booked = _alert_contract(cfg, tl, alloc, reps_sel, work, booked, per_rep_period, chunk)

    counts = stream(cfg.seed, "deal-counts", chunk)
    mean_n = expected_count / org.deal_size[reps][:, None]
    n_won = counts.poisson(mean_n)
    n_won = np.where(booked > 0, np.maximum(n_won, 1), 0)
    odds = ((1 - org.win_rate) / org.win_rate)[reps][:, None]
    n_lost = counts.poisson(mean_n * odds)

    period_last = np.append(tl.period_first[1:], tl.n_days)
    amounts = split_amounts(rng, booked.ravel(), n_won.ravel())
    won_rep, won_day = _days(rng, n_won, tl.period_first, period_last, rate)
    lost_rep, lost_day = _days(rng, n_lost, tl.period_first, period_last, rate)
    lost_amount = 1.15 * org.deal_size[reps][lost_rep] * lognormal1(rng, 0.6, lost_rep.size)
    rep = np.concatenate([reps[won_rep], reps[lost_rep]])
    close = tl.days[np.concatenate([won_day, lost_day])]
    events = CloseEvents(
        rep=rep,
        close=close,
        amount=np.concatenate([amounts, np.round(lost_amount, 2)]),
        won=np.concatenate([np.ones(won_rep.size, bool), np.zeros(lost_rep.size, bool)]),
        future=close > tl.as_of_day,
    )
    return events, calloffs


def _days(
    rng: np.random.Generator, counts: np.ndarray, first: np.ndarray, last: np.ndarray, rate: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """For every item counted in ``counts`` (reps × periods): its rep row and a day in the period."""
    flat = counts.ravel()
    cell = np.repeat(np.arange(flat.size), flat)
    row, period = np.divmod(cell, counts.shape[1])
    day = sample_in_ranges(rng.random(cell.size), row, first[period], last[period], rate)
    return row, day


def _call_offs(
    cfg: DemoConfig, tl: Timeline, ka: KeyAccounts, reps: np.ndarray, chunk: int
) -> tuple[CallOffs, np.ndarray]:
    """One call-off order per key account and week (up to as_of), sized by the account's value."""
    rng = stream(cfg.seed, "call-offs", chunk)
    mine = np.flatnonzero(np.isin(ka.owner, reps))
    mod = tl.month_of_day
    qsum = np.add.reduceat(tl.q, np.searchsorted(tl.days, tl.month_first))
    rate = ka.actual[mine][:, mod] * (tl.q / qsum[mod])[None, :]
    expected = np.add.reduceat(rate, tl.period_first, axis=1)
    amount = np.round(expected * lognormal1(rng, 0.08, expected.shape), 2)
    amount[:, tl.period_future] = 0.0
    per_rep = np.zeros((reps.size, tl.period_first.size))
    np.add.at(per_rep, np.searchsorted(reps, ka.owner[mine]), amount)
    account, period = np.nonzero(amount > 0)
    last = np.append(tl.period_first[1:], tl.n_days)
    day = sample_in_ranges(
        rng.random(period.size), np.zeros(period.size, np.int64), tl.period_first[period], last[period], tl.q[None, :]
    )
    orders = CallOffs(
        account=mine[account], rep=ka.owner[mine][account], day=tl.days[day], amount=amount[account, period]
    )
    return orders, per_rep


def weekly_targets(tl: Timeline, alloc: Allocation, reps: np.ndarray, weeks: np.ndarray) -> np.ndarray:
    """Weekly targets (reps × weeks): the sum over the ISO week's days of monthly target ÷ days in
    that month (calendar-day pro-rating).
    """
    days = (weeks[:, None] * 7 + 4 + np.arange(7)[None, :]).ravel()
    month = tl.month_of(days)
    daily = alloc.target[reps][:, month] / tl.month_days[month][None, :]
    weekly: np.ndarray = daily.reshape(reps.size, weeks.size, 7).sum(axis=2)
    return weekly


def _alert_contract(
    cfg: DemoConfig,
    tl: Timeline,
    alloc: Allocation,
    reps_sel: Reps,
    work: Workdays,
    booked: np.ndarray,
    calloffs: np.ndarray,
    chunk: int,
) -> np.ndarray:
    """Enforce the weekly-alert contract on the last complete ISO weeks (see module docstring)."""
    p = cfg.plant
    reps = work.reps
    weeks = tl.alert_weeks(p.alert_weeks)
    periods = np.array([np.flatnonzero((tl.period_week == w) & ~tl.period_future)[0] for w in weeks])
    target = weekly_targets(tl, alloc, reps, weeks)
    days = tl.day_index((weeks[:, None] * 7 + 4 + np.arange(7)[None, :]).ravel())
    full = (work.qa[:, days] > 0).reshape(reps.size, weeks.size, 7).all(axis=2) & (target > 0)
    extra = calloffs[:, periods]
    with np.errstate(divide="ignore", invalid="ignore"):
        att = np.where(full, (booked[:, periods] + extra) / target, np.nan)
    rng = stream(cfg.seed, "alerts", chunk)
    lift = rng.uniform(0.85, 1.0, att.shape)
    band = rng.uniform(*p.underperformer_band, att.shape)
    jitter = rng.uniform(-0.003, 0.003, att.shape)
    fixed = np.zeros(att.shape, bool)
    if cfg.planted:
        k = len(p.edge_pattern)
        for rep, pattern in ((reps_sel.underperformer, None), (reps_sel.edge, p.edge_pattern)):
            hit = np.flatnonzero(reps == rep)
            if hit.size:
                i = int(hit[0])
                att[i, -k:] = band[i, -k:] if pattern is None else np.asarray(pattern) + jitter[i, -k:]
                att[i, -k - 1] = max(att[i, -k - 1], lift[i, -k - 1])
                fixed[i, -k - 1 :] = True
    run = np.zeros(reps.size, dtype=np.int64)
    for j in range(weeks.size):
        low = full[:, j] & (att[:, j] < ALERT_THRESHOLD)
        run = np.where(low, run + 1, 0)
        fire = (run >= 3) & ~fixed[:, j]
        att[fire, j] = lift[fire, j]
        run[fire] = 0
    out = booked.copy()
    out[:, periods] = np.where(full, np.maximum(att * target - extra, 0.0), booked[:, periods])
    return out
