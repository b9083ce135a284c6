"""Weekly bookings: how much each rep closes in each ISO week, and the close events behind it.

A rep's expected revenue of a month is spread over the days they work, weighted by weekday,
holidays, the Spring Festival and the month-end push. A week's number of won orders is
negative binomial (Poisson × a gamma rep-month factor × a gamma rep-week factor) and each
order's amount is heavy-tailed (log-normal with rare outliers) around the expected order size,
so the expected booking is the allocation but weeks and reps vary as much as real sales data.
Lost deals close alongside (win odds vary by calendar month). Weeks after ``as_of`` are
simulated the same way: their deals, created before ``as_of``, are the open pipeline.

Nothing is forced in the null variant: ordinary reps fall below 80 % of their weekly target
three weeks running as often as the noise makes them. In the planted variant the persistent
underperformer's last three complete weeks are set to the designed band, the edge case's to
79 %/81 %/79 %.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from salesops_lib.data.demo.customers import KeyAccounts
from salesops_lib.data.demo.org import Allocation, Org
from salesops_lib.data.demo.sampling import gamma1, heavy_tailed1, lognormal1, sample_in_ranges, stream
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
    qa = work.qa * tl.push[None, :]
    msum = np.add.reduceat(qa, work.month_index, axis=1)
    density = np.divide(qa, msum[:, mod], out=np.zeros_like(qa), where=msum[:, mod] > 0)
    lam = alloc.lam[reps]
    owned_actual = ka.per_rep(ka.actual, org.n_reps)[reps]
    owned_plan = ka.per_rep(ka.plan, org.n_reps)[reps]
    deal = np.maximum(lam - owned_actual, 0.15 * lam)
    deal_count = np.maximum(lam - owned_plan, 0.15 * lam)
    rate = deal[:, mod] * density
    expected = np.add.reduceat(rate, tl.period_first, axis=1)
    expected_count = np.add.reduceat(deal_count[:, mod] * density, tl.period_first, axis=1)
    rng = stream(cfg.seed, "bookings", chunk)
    calloffs, per_rep_period = _call_offs(cfg, tl, ka, reps, chunk)

    # order counts: negative binomial (Poisson × gamma rep-month × gamma rep-week factors)
    counts = stream(cfg.seed, "deal-counts", chunk)
    period_month = mod[tl.period_first]
    mean_n = expected_count / org.deal_size[reps][:, None]
    mix = gamma1(counts, m.rep_month_shape, (reps.size, tl.n_months))[:, period_month]
    mix = mix * gamma1(counts, m.rep_week_shape, expected.shape)
    n_won = counts.poisson(mean_n * mix)
    season = np.asarray(m.win_season)[tl.month_calendar[period_month] - 1][None, :]
    odds = ((1 - org.win_rate) / org.win_rate)[reps][:, None] / season
    n_lost = counts.poisson(mean_n * odds)

    planted = _planted_weeks(cfg, tl, alloc, reps_sel, work, per_rep_period) if cfg.planted else None
    if planted is not None:
        n_won[planted.row, planted.period] = np.maximum(n_won[planted.row, planted.period], 1)
    # deal sizes: heavy-tailed around the cell's expected size, so E[booked] = expected
    unit = np.divide(expected, mean_n, out=np.zeros_like(expected), where=mean_n > 0).ravel()
    cell = np.repeat(np.arange(n_won.size), n_won.ravel())
    amounts = unit[cell] * heavy_tailed1(rng, m.deal_size_sd, m.outlier_share, m.outlier_range, cell.size)
    if planted is not None:
        booked = np.bincount(cell, amounts, minlength=n_won.size)
        flat = planted.row * n_won.shape[1] + planted.period
        want = planted.amount(booked[flat])
        scale = np.ones(n_won.size)
        scale[flat] = np.divide(want, booked[flat], out=np.zeros_like(want), where=booked[flat] > 0)
        amounts = amounts * scale[cell]
    amounts = np.round(amounts, 2)

    period_last = np.append(tl.period_first[1:], tl.n_days)
    won_rep, won_day = _days(rng, n_won, tl.period_first, period_last, rate)
    lost_rep, lost_day = _days(rng, n_lost, tl.period_first, period_last, rate)
    lost_amount = (
        1.15
        * org.deal_size[reps][lost_rep]
        * heavy_tailed1(rng, m.deal_size_sd, m.outlier_share, m.outlier_range, lost_rep.size)
    )
    keep = amounts > 0
    rep = np.concatenate([reps[won_rep[keep]], reps[lost_rep]])
    close = tl.days[np.concatenate([won_day[keep], lost_day])]
    events = CloseEvents(
        rep=rep,
        close=close,
        amount=np.concatenate([amounts[keep], np.round(lost_amount, 2)]),
        won=np.concatenate([np.ones(int(keep.sum()), bool), np.zeros(lost_rep.size, bool)]),
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


@dataclass(frozen=True)
class PlantedWeeks:
    """The planted reps' alert-window cells: the last three weeks are set to a designed attainment,
    the week before is lifted to 85–100 % if it fell below 80 % (so the run is exactly three weeks).
    """

    row: np.ndarray  #: row in the chunk's reps
    period: np.ndarray  #: revenue period
    target: np.ndarray  #: weekly target
    extra: np.ndarray  #: call-off orders booked in the week
    exact: np.ndarray  #: designed attainment (NaN: the week before the run)
    lift: np.ndarray  #: attainment the week before is lifted to

    def amount(self, booked: np.ndarray) -> np.ndarray:
        """Deal amount each cell must book, given what it booked without the planting."""
        att = (booked + self.extra) / self.target
        goal = np.where(np.isnan(self.exact), np.where(att < ALERT_THRESHOLD, self.lift, att), self.exact)
        wanted: np.ndarray = np.maximum(goal * self.target - self.extra, 0.0)
        return wanted


def _planted_weeks(
    cfg: DemoConfig, tl: Timeline, alloc: Allocation, reps_sel: Reps, work: Workdays, calloffs: np.ndarray
) -> PlantedWeeks | None:
    """Cells of the persistent underperformer and the edge case in this chunk (planted variant)."""
    p = cfg.plant
    k = len(p.edge_pattern)
    weeks = tl.alert_weeks(k + 1)
    periods = np.array([np.flatnonzero((tl.period_week == w) & ~tl.period_future)[0] for w in weeks])
    rng = stream(cfg.seed, "alerts")
    band = rng.uniform(*p.underperformer_band, k)
    jitter = rng.uniform(-0.003, 0.003, k)
    lift = rng.uniform(0.85, 1.0, 2)
    rows, designs, lifts = [], [], []
    for j, (rep, design) in enumerate(
        ((reps_sel.underperformer, band), (reps_sel.edge, np.asarray(p.edge_pattern) + jitter))
    ):
        hit = np.flatnonzero(work.reps == rep)
        if hit.size:
            rows.append(int(hit[0]))
            designs.append(np.concatenate([[np.nan], design]))
            lifts.append(lift[j])
    if not rows:
        return None
    row = np.repeat(np.asarray(rows), k + 1)
    period = np.tile(periods, len(rows))
    target = weekly_targets(tl, alloc, work.reps[np.asarray(rows)], weeks).ravel()
    return PlantedWeeks(
        row=row,
        period=period,
        target=target,
        extra=calloffs[row, period],
        exact=np.concatenate(designs),
        lift=np.repeat(np.asarray(lifts), k + 1),
    )
