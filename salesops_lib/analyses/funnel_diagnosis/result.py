"""The funnel diagnosis' result: every table the page shows, and the findings. Data only (the
page words it).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from salesops_lib.analyses.findings import Finding
from salesops_lib.analyses.funnel_diagnosis.process_change import ProcessChange


@dataclass(frozen=True)
class FunnelResult:
    """Funnel, losses, durations, cohorts, segments, the month's changes, the bridge and a
    process change's impact, as of the last day of ``period``.
    """

    period: str
    as_of: dt.date
    #: the funnel's steps: the open stages then won (a ``leads`` step comes first when the source has leads)
    stages: tuple[str, ...]
    has_leads: bool
    #: dimension of the units screened for changes and bridged (region unless set otherwise)
    unit: str
    #: first day of the funnel window (None = the whole history)
    window_start: dt.date | None
    #: baseline months of the change screen and the bridge (first days), and how they were chosen
    baseline: tuple[dt.date, ...]
    compare_to: str
    horizon_days: int
    alpha: float
    #: fewest decided deals (or leads) for a segment to be ranked
    min_segment_size: int
    #: deals without any date, counted only in a whole-history funnel
    undated: int
    #: 90th percentile of days from a lead to its first deal (how long leads take to convert)
    lead_lag_p90: float
    #: step, k (−1 = leads), reached, advanced, lost, open, decided, conversion (+ Wilson CI), cumulative
    funnel: pd.DataFrame
    #: step: deals lost there, their amount and expected value, share of the expected value lost
    value_lost: pd.DataFrame
    #: per open stage (and per unit): completed stays, median, 80th percentile and mean days
    durations: pd.DataFrame
    unit_durations: pd.DataFrame
    #: per unit and stage: open deals, those beyond the unit's 80th percentile (stalled) and their value
    stalled: pd.DataFrame
    #: the stalled open deals one by one (the counts above), largest amount first: opp_id, k, the
    #: unit, rep, amount, entered, age_days, norm_days — the first LIST_ROWS of them
    #: (:mod:`salesops_lib.analyses.bounded`)
    stalled_deals: pd.DataFrame
    #: how many stalled open deals there are (``stalled_deals`` holds the first of them)
    stalled_deals_total: int
    #: lost deals by stage and reason (empty when the source records no reasons)
    lost_reasons: pd.DataFrame
    #: per creation month: deals, reached per stage, won/lost/open, win rate to date, won within the horizon
    cohorts: pd.DataFrame
    #: cohort × age (days): cumulative share won (Aalen–Johansen)
    curves: pd.DataFrame
    #: dimension × segment × step: rate, CI, shrunk rate, vs the rest, p-values, small/significant flags
    segments: pd.DataFrame
    #: unit × step ranked by the value it would win converting like the rest
    bottlenecks: pd.DataFrame
    #: step × unit: the month's rate vs the baseline, relative change, tests
    screen: pd.DataFrame
    #: for each flagged change: dimension × segment mix and rate effects inside the unit
    drivers: pd.DataFrame
    #: per step: the company's change split over units (mix and rate effects)
    decomposition: pd.DataFrame
    #: the company's won-value bridge: baseline, factor contributions, timing, month
    bridge: pd.DataFrame
    #: unit × factor contributions (rows add up to each unit's change; last row = company)
    bridge_units: pd.DataFrame
    #: company factor values: baseline and month
    bridge_factors: pd.DataFrame
    process: ProcessChange
    findings: tuple[Finding, ...]
