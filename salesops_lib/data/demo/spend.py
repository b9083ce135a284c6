"""Marketing and sales spend: the campaign calendar, campaign costs, expense lines and budgets.

Campaigns: a monthly online programme and a monthly seminar series per region, about three
expos per region and year, and one extra expo (the planted one). Leads of the channels web,
seminar and expo are attributed to the campaign running in their region on their day.
A campaign's cost is its sourced pipeline ÷ a log-normal ratio (``campaign_pipeline_ratio``)
(the extra expo costs ~100k whatever it sources). Expense lines: travel follows visits,
entertainment follows key accounts, events and promotion are the campaigns' costs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from salesops_lib.data.demo.bookings import Workdays
from salesops_lib.data.demo.customers import KeyAccounts
from salesops_lib.data.demo.org import Allocation, Org
from salesops_lib.data.demo.sampling import (
    campaign_ratio,
    lognormal1,
    round_random,
    sample_in_ranges,
    split_amounts,
    stream,
)
from salesops_lib.data.demo.scenario import Units
from salesops_lib.data.demo.spec import EXPENSE_CATEGORIES, REGION_NAMES, REGIONS, DemoConfig
from salesops_lib.data.demo.timeline import Timeline, to_date
from salesops_lib.data.demo.vocab import CITIES, EXPO_TITLES

CAMPAIGN_TYPES: tuple[str, ...] = ("online", "seminar", "expo")
CHANNEL_CAMPAIGN = {"web": 0, "seminar": 1, "expo": 2}
"""Channel → campaign type whose campaigns source its leads."""
MIN_COST = (5_000.0, 8_000.0, 50_000.0)
PROMOTION_SHARE = 0.002
ENTERTAINMENT_BASE, ENTERTAINMENT_PER_ACCOUNT = 2.0, 2.0


@dataclass(frozen=True)
class Campaigns:
    """The campaign calendar (sorted by start) and day lookups per region and type."""

    region: np.ndarray
    kind: np.ndarray
    start: np.ndarray
    end: np.ndarray
    lead_first: np.ndarray
    lead_last: np.ndarray
    names: tuple[str, ...]
    lookup: np.ndarray  #: type × region × simulation day → campaign index (-1: none)
    special: int  #: index of the planted expo
    start_day: int

    @property
    def n(self) -> int:
        """Number of campaigns."""
        return int(self.region.size)

    def at(self, kind: int, region: np.ndarray, day: np.ndarray) -> np.ndarray:
        """The campaign of ``kind`` running in ``region`` on ``day`` (-1 where there is none)."""
        idx = day - self.start_day
        inside = (idx >= 0) & (idx < self.lookup.shape[2])
        out = np.full(day.shape, -1, dtype=np.int64)
        out[inside] = self.lookup[kind, region[inside], idx[inside]]
        return out

    def expo_coverage(self) -> float:
        """Share of region-days inside some expo's lead window (up to as_of)."""
        return float((self.lookup[2] >= 0).mean())


def build_campaigns(cfg: DemoConfig, tl: Timeline, units: Units) -> Campaigns:
    """The calendar of campaigns that started between the history start and as_of."""
    rng = stream(cfg.seed, "campaigns")
    rows: list[tuple[int, int, int, int, int, int, str]] = []
    for r, region in enumerate(REGIONS):
        zh = REGION_NAMES[region]
        for mi in range(tl.n_window_months):
            first = int(tl.month_first[mi])
            last = first + int(tl.month_days[mi]) - 1
            y, mo = int(tl.month_year[mi]), int(tl.month_calendar[mi])
            rows.append((r, 0, first, last, first, last, f"{y}年{mo}月 {zh}线上推广"))
            event = first + int(rng.integers(4, 24))
            if event <= tl.as_of_day:
                rows.append((r, 1, event, event, first, last, f"{y}年{mo}月 {zh}客户研讨会"))
        for year in range(tl.start.year, tl.as_of.year + 1):
            for months in ((3, 4), (6, 7), (9, 10, 11)):
                mo = int(rng.choice(months))
                day = int(np.datetime64(f"{year}-{mo:02d}-01").astype(np.int64)) + int(rng.integers(0, 20))
                day += (1 - (day - 4) % 7) % 7
                city = CITIES[region][int(rng.integers(0, len(CITIES[region])))]
                title = EXPO_TITLES[int(rng.integers(0, len(EXPO_TITLES)))]
                if tl.start_day <= day <= tl.as_of_day:
                    rows.append((r, 2, day, day + 2, day, day + 27, f"{year} {city}{title}"))
    city = CITIES[REGIONS[units.expo_region]][int(rng.integers(0, 3))]
    year = to_date(units.expo_start).year
    rows.append(
        (
            units.expo_region,
            2,
            units.expo_start,
            units.expo_start + 2,
            units.expo_start,
            units.expo_lead_end,
            f"{year} {city}{EXPO_TITLES[int(rng.integers(0, len(EXPO_TITLES)))]}（{REGION_NAMES[REGIONS[units.expo_region]]}大客户专场）",
        )
    )
    special_row = len(rows) - 1
    order = sorted(range(len(rows)), key=lambda i: (rows[i][2], rows[i][0], rows[i][1], i))
    rank = {i: k for k, i in enumerate(order)}
    arr = np.array([rows[i][:6] for i in order], dtype=np.int64)
    n_days = tl.as_of_day - tl.start_day + 1
    lookup = np.full((3, len(REGIONS), n_days), -1, dtype=np.int64)
    for k, i in enumerate(order):
        if i == special_row:
            continue
        r, kind, _, _, lo, hi = rows[i][:6]
        a, b = max(lo - tl.start_day, 0), min(hi - tl.start_day, n_days - 1)
        if a <= b:
            lookup[kind, r, a : b + 1] = k
    return Campaigns(
        region=arr[:, 0],
        kind=arr[:, 1],
        start=arr[:, 2],
        end=arr[:, 3],
        lead_first=arr[:, 4],
        lead_last=arr[:, 5],
        names=tuple(rows[i][6] for i in order),
        lookup=lookup,
        special=rank[special_row],
        start_day=tl.start_day,
    )


def campaign_costs(cfg: DemoConfig, camps: Campaigns, pipeline: np.ndarray) -> np.ndarray:
    """Cost of every campaign: sourced pipeline ÷ a drawn ratio; the planted expo ~100k."""
    rng = stream(cfg.seed, "campaign-costs")
    ratio = campaign_ratio(rng, cfg.model, camps.n)
    cost = np.maximum(pipeline / ratio, np.asarray(MIN_COST)[camps.kind])
    cost[camps.special] = cfg.plant.expo_cost * rng.uniform(0.97, 1.03)
    rounded: np.ndarray = np.round(cost, -2)
    return rounded


@dataclass(frozen=True)
class Expenses:
    """Expense lines: day, region, team (-1 none), rep (-1 none), category, amount, campaign (-1)."""

    day: np.ndarray
    region: np.ndarray
    team: np.ndarray
    rep: np.ndarray
    category: np.ndarray
    amount: np.ndarray
    campaign: np.ndarray

    @staticmethod
    def concat(parts: list[Expenses]) -> Expenses:
        """The expense lines of ``parts`` one after the other."""
        return Expenses(*(np.concatenate([getattr(p, f) for p in parts]) for f in Expenses.__dataclass_fields__))


def rep_expenses(cfg: DemoConfig, tl: Timeline, org: Org, ka: KeyAccounts, work: Workdays, chunk: int) -> Expenses:
    """Travel (∝ visits) and entertainment (∝ key accounts) claims of the chunk's reps."""
    m, p = cfg.model, cfg.plant
    rng = stream(cfg.seed, "expenses", chunk)
    reps = work.reps
    months = tl.n_window_months
    visits = org.visits[reps, :months]
    cost = np.asarray(m.travel_per_visit)[org.rep_region[reps]][:, None]
    travel_total = visits * cost * lognormal1(rng, 0.15, visits.shape)
    travel_lines = np.ceil(visits / 6).astype(np.int64)
    owned = np.bincount(np.searchsorted(reps, ka.owner[np.isin(ka.owner, reps)]), minlength=reps.size)
    selling = org.fte_past[reps, :months] * org.selling[reps, :months]
    ent_mean = (ENTERTAINMENT_BASE + ENTERTAINMENT_PER_ACCOUNT * owned)[:, None] * selling
    ent_lines = round_random(rng, ent_mean)
    travel_amount = split_amounts(rng, travel_total.ravel(), travel_lines.ravel(), alpha=3.0)
    ent_amount = np.round(m.entertainment_line * lognormal1(rng, 0.3, int(ent_lines.sum())), 2)
    first = work.month_index[:months]
    last = np.minimum(np.append(work.month_index[1:], tl.n_days)[:months], tl.day_index(tl.as_of_day) + 1)
    parts = []
    for category, lines, drawn in ((0, travel_lines, travel_amount), (1, ent_lines, ent_amount)):
        cell = np.repeat(np.arange(lines.size), lines.ravel())
        row, month = np.divmod(cell, months)
        day = sample_in_ranges(rng.random(cell.size), row, first[month], last[month], work.qa)
        amount = drawn
        if category == 1 and cfg.planted:
            overrun = tl.month_year[month] == tl.as_of.year
            amount = np.where(overrun, np.round(drawn * (1 + p.overrun), 2), drawn)
        parts.append(
            Expenses(
                tl.days[day],
                org.rep_region[reps[row]],
                org.rep_team[reps[row]],
                reps[row],
                np.full(cell.size, category),
                amount,
                np.full(cell.size, -1),
            )
        )
    travel = parts[0]
    refund = rng.random(travel.day.size) < 0.003
    back = np.minimum(
        travel.day[refund] + rng.integers(3, 11, int(refund.sum())),
        np.minimum(org.exit_or(tl.as_of_day)[travel.rep[refund]], tl.as_of_day),
    )
    parts.append(
        Expenses(
            np.maximum(back, travel.day[refund]),
            travel.region[refund],
            travel.team[refund],
            travel.rep[refund],
            travel.category[refund],
            -np.round(travel.amount[refund] * rng.uniform(0.1, 0.5, int(refund.sum())), 2),
            travel.campaign[refund],
        )
    )
    return Expenses.concat(parts)


def campaign_expenses(
    cfg: DemoConfig, tl: Timeline, org: Org, alloc: Allocation, camps: Campaigns, cost: np.ndarray
) -> Expenses:
    """Event and promotion lines of the campaigns, plus non-campaign promotion per region and month.

    Online campaigns spend weekly through their month; seminars and expos book their lines in the
    20 days up to the event (within the start month). Lines dated after as_of are not spent yet.
    """
    rng = stream(cfg.seed, "campaign-expenses")
    month = tl.month_of(camps.start)
    month_first = tl.month_first[month]
    month_last = month_first + tl.month_days[month] - 1
    lines = np.where(camps.kind == 0, (camps.end - camps.start) // 7 + 1, np.where(camps.kind == 1, 2, 4))
    amount = split_amounts(rng, cost, lines, alpha=4.0)
    owner = np.repeat(np.arange(camps.n), lines)
    k = np.arange(owner.size) - np.repeat(np.cumsum(lines) - lines, lines)
    lo = np.maximum(month_first, camps.start - 20)[owner]
    hi = np.minimum(camps.end, month_last)[owner]
    spread = lo + (rng.random(owner.size) * (hi - lo + 1)).astype(np.int64)
    day = np.where(camps.kind[owner] == 0, np.minimum(camps.start[owner] + 7 * k, hi), spread)
    spent = day <= tl.as_of_day
    owner, day, amount = owner[spent], day[spent], amount[spent]
    category = np.where(camps.kind[owner] == 0, 3, 2)
    base = _base_promotion(cfg, tl, org, alloc, rng)
    return Expenses.concat(
        [
            Expenses(
                day, camps.region[owner], np.full(owner.size, -1), np.full(owner.size, -1), category, amount, owner
            ),
            base,
        ]
    )


def _region_plan(tl: Timeline, org: Org, alloc: Allocation) -> np.ndarray:
    out = np.zeros((len(REGIONS), tl.n_months))
    np.add.at(out, org.rep_region, alloc.plan)
    return out


def _base_promotion(cfg: DemoConfig, tl: Timeline, org: Org, alloc: Allocation, rng: np.random.Generator) -> Expenses:
    months = tl.n_window_months
    plan = _region_plan(tl, org, alloc)[:, :months] * PROMOTION_SHARE
    total = plan * lognormal1(rng, 0.2, plan.shape)
    lines = np.full(plan.shape, 2)
    amount = split_amounts(rng, total.ravel(), lines.ravel())
    region, month = np.divmod(np.repeat(np.arange(plan.size), 2), months)
    day = tl.month_first[month] + (rng.random(month.size) * tl.month_days[month]).astype(np.int64)
    spent = day <= tl.as_of_day
    day, region, amount = day[spent], region[spent], amount[spent]
    n = day.size
    return Expenses(day, region, np.full(n, -1), np.full(n, -1), np.full(n, 3), amount, np.full(n, -1))


def budgets(
    cfg: DemoConfig, tl: Timeline, org: Org, alloc: Allocation, ka: KeyAccounts, camps: Campaigns, cost: np.ndarray
) -> dict[str, np.ndarray]:
    """Budget lines per month × region × category (from the history start to the end of as_of's
    year): the expected spend of each category, events/promotion from the campaigns' costs.
    """
    m = cfg.model
    rng = stream(cfg.seed, "budgets")
    months = alloc.target_months
    nr = len(REGIONS)
    value = np.zeros((len(EXPENSE_CATEGORIES), nr, months))
    selling = org.fte[:, :months] * org.selling[:, :months]  # no budget for reps on leave
    travel = m.visits_norm * org.prop_visit[:, None] * selling
    travel = travel * np.asarray(m.travel_per_visit)[org.rep_region][:, None]
    owned = np.bincount(ka.owner, minlength=org.n_reps)
    ent = (ENTERTAINMENT_BASE + ENTERTAINMENT_PER_ACCOUNT * owned)[:, None] * selling * m.entertainment_line
    np.add.at(value[0], org.rep_region, travel)
    np.add.at(value[1], org.rep_region, ent)
    month = tl.month_of(camps.start)
    for category, kinds in ((2, (1, 2)), (3, (0,))):
        pick = np.isin(camps.kind, kinds)
        np.add.at(value[category], (camps.region[pick], month[pick]), cost[pick])
    value[3] += _region_plan(tl, org, alloc)[:, :months] * PROMOTION_SHARE
    # months after as_of: campaign budgets repeat last year's, grown
    for mi in range(tl.n_window_months, months):
        value[2:, :, mi] = value[2:, :, mi - 12] * (1 + m.growth) if mi >= 12 else value[2:, :, mi]
    noise = np.where(
        np.arange(len(EXPENSE_CATEGORIES))[:, None, None] < 2,
        rng.uniform(0.99, 1.01, value.shape),
        rng.uniform(0.97, 1.03, value.shape),
    )
    amount = np.round(value * noise, -2)
    cat, region, month_idx = np.indices(value.shape).reshape(3, -1)
    return {"period": tl.month_first[month_idx], "region": region, "category": cat, "amount": amount.ravel()}
