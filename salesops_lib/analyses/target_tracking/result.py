"""Target tracking's result: data only (the page words it)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd

from salesops_lib.analyses.findings import Finding


@dataclass(frozen=True)
class TargetTrackingResult:
    """Attainment, pacing and warnings as of one day."""

    period: str
    as_of: dt.date
    region: str
    #: the rule: grain, periods, threshold, levels, recovery_end (end of the quarter in progress),
    #: mode (own_variability or fixed), z, history; values of mixed types (str, int, float, a tuple)
    rule: dict[str, Any]
    #: one row per unit (level, unit_id, name, team, region) × horizon (month, quarter, year)
    pacing: pd.DataFrame
    #: level, unit_id, period (Monday), target, actual, attainment, evaluated — last complete weeks
    weekly: pd.DataFrame
    #: level, unit_id, period (month start), target, actual, attainment — January to the as-of month
    monthly: pd.DataFrame
    #: level, unit_id, period (quarter start), target (whole quarter), actual, attainment (to date)
    quarterly: pd.DataFrame
    #: level, unit_id, period (day), expected, actual, and both cumulated — the reporting month
    daily: pd.DataFrame
    #: the company's year: day, actual, expected (seasonal) and straight-line target, cumulated
    curve: pd.DataFrame
    #: units whose current run reaches the rule: who, since, how far behind, gap per remaining week,
    #: their own typical level and spread, z of each period, p_run (such a run under their own
    #: variability) and q_run (Benjamini–Hochberg over every unit screened)
    alerts: pd.DataFrame
    #: units below the threshold in the latest period(s) that do not alert: not yet long enough, or
    #: (``fixed_rule``) long enough but within their own normal range — a coaching watch list
    watch: pd.DataFrame
    #: per level: units screened and how many fire under the own-variability rule and the fixed one
    rates: pd.DataFrame
    findings: tuple[Finding, ...]
