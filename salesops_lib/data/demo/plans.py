"""Plans: monthly revenue targets at every org level, and the market potential.

Rep targets are the plan (expected revenue with the rep's skill, ramp and usual activity, no
noise), rounded to whole hundreds of CNY; team, region and company lines are exact sums of
their children. Targets cover every month from the history start to the end of as_of's year
(so last year's targets are there). Market potential: yearly, by region and segment, from the
plan and a market share per region (lowest in the southwest, the growth opportunity).
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from salesops_lib.data.demo.org import Allocation, Org
from salesops_lib.data.demo.sampling import lognormal1, stream
from salesops_lib.data.demo.spec import REGIONS, SEGMENTS, DemoConfig
from salesops_lib.data.demo.timeline import Timeline, to_day

MARKET_SHARE = {"east": 0.20, "north": 0.16, "south": 0.17, "southwest": 0.08, "central": 0.12}
SEGMENT_MIX = (0.45, 0.35, 0.20)
SEGMENT_SHARE = (1.2, 1.0, 0.7)


def target_lines(tl: Timeline, org: Org, alloc: Allocation) -> dict[str, np.ndarray]:
    """Target lines: ``period`` (epoch day), ``level`` (0 company … 3 rep), ``unit`` (index at the
    level: 0, region, team or rep) and ``amount`` (integer CNY).
    """
    months = alloc.target_months
    target = alloc.target[:, :months]
    rep, month = np.nonzero(target > 0)
    team = np.zeros((org.n_teams, months), dtype=np.int64)
    np.add.at(team, org.rep_team, target)
    region = np.zeros((len(REGIONS), months), dtype=np.int64)
    np.add.at(region, org.team_region, team)
    company = region.sum(axis=0)
    t_team, t_month = np.nonzero(team > 0)
    r_region, r_month = np.nonzero(region > 0)
    c_month = np.flatnonzero(company > 0)
    return {
        "period": tl.month_first[np.concatenate([c_month, r_month, t_month, month])],
        "level": np.concatenate(
            [np.zeros(c_month.size, int), np.full(r_month.size, 1), np.full(t_month.size, 2), np.full(month.size, 3)]
        ),
        "unit": np.concatenate([np.zeros(c_month.size, int), r_region, t_team, rep]),
        "amount": np.concatenate(
            [company[c_month], region[r_region, r_month], team[t_team, t_month], target[rep, month]]
        ).astype(np.float64),
    }


def market_potential(cfg: DemoConfig, tl: Timeline, org: Org, alloc: Allocation) -> dict[str, np.ndarray]:
    """Yearly market potential by region × segment (period = 1 January) for every year of the
    history and the next one: the year's trend revenue × the region's share of the plan ÷ the
    region's (and segment's) market share.
    """
    rng = stream(cfg.seed, "market-potential")
    m = cfg.model
    window = slice(0, tl.n_window_months)
    plan = np.zeros(len(REGIONS))
    np.add.at(plan, org.rep_region, alloc.plan[:, window].sum(axis=1))
    region_share = plan / plan.sum()
    base = float(tl.r_star[0] / (m.season[tl.start.month - 1] * (1 + m.growth) ** (0.5 / 12)))
    rows: dict[str, list[float]] = {"period": [], "region": [], "segment": [], "potential": []}
    for y in range(tl.start.year, tl.as_of.year + 2):
        months_from_start = (y - tl.start.year) * 12 - (tl.start.month - 1) + 6
        yearly = 12 * base * (1 + m.growth) ** (months_from_start / 12)
        for r, name in enumerate(REGIONS):
            for s in range(len(SEGMENTS)):
                rows["period"].append(to_day(dt.date(y, 1, 1)))
                rows["region"].append(r)
                rows["segment"].append(s)
                rows["potential"].append(
                    yearly * region_share[r] * SEGMENT_MIX[s] / (MARKET_SHARE[name] * SEGMENT_SHARE[s])
                )
    out = {k: np.asarray(v) for k, v in rows.items()}
    out["potential"] = np.round(out["potential"] * lognormal1(rng, 0.03, out["potential"].size), -3)
    return out
