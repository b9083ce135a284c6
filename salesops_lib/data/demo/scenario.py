"""Where the effects are planted: the units, dates and reps, chosen identically for both variants
(the null variant simply does not apply them).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from salesops_lib.data.demo.org import NO_EXIT, Org
from salesops_lib.data.demo.sampling import campaign_ratio, stream
from salesops_lib.data.demo.spec import CHANNELS, REGIONS, DemoConfig
from salesops_lib.data.demo.timeline import Timeline, month_index, month_start, to_day


@dataclass(frozen=True)
class Units:
    """Org units and dates of the effects (picked before revenue is allocated)."""

    conversion_region: int
    conversion_channel: int
    low_team: int
    expo_region: int
    expo_team: int
    expo_start: int  #: epoch day of the expo's first day
    expo_lead_end: int  #: last day its leads are captured
    expo_ratio: float  #: pipeline ÷ cost it would have had without the planted effect
    change_day: int  #: process change date
    adopting: tuple[int, ...]
    collections_region: int


@dataclass(frozen=True)
class Reps:
    """Reps and the key account of the planted effects (picked after key accounts)."""

    underperformer: int
    edge: int
    churn_account: int


def pick_units(cfg: DemoConfig, tl: Timeline, org: Org) -> Units:
    """Pick regions, teams and dates for every planted effect."""
    rng = stream(cfg.seed, "scenario")
    p = cfg.plant
    n_regions = len(REGIONS)
    low_team = int(rng.integers(0, org.n_teams))
    expo_region = int(rng.integers(0, n_regions))
    in_region = np.flatnonzero((org.team_region == expo_region) & (np.arange(org.n_teams) != low_team))
    expo_team = int(rng.choice(in_region))
    expo_day = tl.as_of_day - 150 + int(rng.integers(-7, 8))
    expo_day += (1 - (expo_day - 4) % 7) % 7  # a Tuesday
    change = cfg.as_of.replace(day=1)
    change = month_start(month_index(change) - p.process_change_months_before)
    change_day = to_day(change) + int(rng.integers(0, 20))
    change_day += (7 - (change_day - 4) % 7) % 7  # a Monday
    adopting = tuple(sorted(int(r) for r in rng.choice(n_regions, p.adopting_regions, replace=False)))
    return Units(
        conversion_region=int(rng.integers(0, n_regions)),
        conversion_channel=CHANNELS.index(p.conversion_channel),
        low_team=low_team,
        expo_region=expo_region,
        expo_team=expo_team,
        expo_start=expo_day,
        expo_lead_end=expo_day + 20,
        expo_ratio=float(campaign_ratio(rng, cfg.model, 1)[0]),
        change_day=change_day,
        adopting=adopting,
        collections_region=int(rng.integers(0, n_regions)),
    )


def pick_reps(
    cfg: DemoConfig, tl: Timeline, org: Org, units: Units, ka_owner: np.ndarray, ka_value: np.ndarray
) -> Reps:
    """Pick the persistent underperformer, the edge case and the churning key account.

    Both reps are tenured (hired a year before the alert window's month), still employed, own no
    key account, sell throughout the last year and sit outside the low-efficiency team, in
    different teams. ``ka_value`` is the key accounts' monthly order value (account × month).
    """
    rng = stream(cfg.seed, "scenario-reps")
    window_first = int(tl.alert_weeks(cfg.plant.alert_weeks)[0]) * 7 + 4
    month_first = int(tl.month_first[tl.month_of(np.asarray([window_first]))[0]])
    window = tl.month_of(np.asarray([window_first]))[0]
    eligible = (
        (org.selling[:, window - 12 : tl.as_of_month + 1].min(axis=1) == 1)
        & (org.hire <= month_first - 365)
        & (org.exit == NO_EXIT)
        & (org.rep_team != units.low_team)
        & ~np.isin(np.arange(org.n_reps), ka_owner)
    )
    candidates = np.flatnonzero(eligible)
    first = int(rng.choice(candidates))
    others = candidates[org.rep_team[candidates] != org.rep_team[first]]
    second = int(rng.choice(others if others.size else candidates[candidates != first]))
    # the churning account: one of the three largest over the year before the churn starts
    churn_first = tl.as_of_month - len(cfg.plant.churn_factors) + 1
    value = ka_value[:, churn_first - 12 : churn_first].sum(axis=1)
    largest = np.argsort(-value, kind="stable")[:3]
    return Reps(underperformer=first, edge=second, churn_account=int(largest[int(rng.integers(0, 3))]))
