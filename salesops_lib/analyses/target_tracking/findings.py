"""Target tracking's findings: persistent under-performance (the rule) and units off pace for
the quarter or the year.

A persistence alert is medium only when its unit survives the review's multiplicity policy
(Benjamini–Hochberg at :data:`~salesops_lib.analyses.multiplicity.FDR` over every unit the rule
screens, ``q_run``); a team or region whose q-value is below
:data:`~salesops_lib.analyses.multiplicity.STRONG` is high. Other alerts are low: a coaching
watch list, not a warning.

Off pace (year, and the quarter in progress) is medium for the company or a region only when the
chance of a pace this low on target (:mod:`.pacing`'s ``p_value``, from the unit's own
month-to-month spread) survives the same policy across every company, region and team row
screened; otherwise, and for teams, low.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from salesops_lib.analyses.findings import Finding, Severity
from salesops_lib.analyses.multiplicity import FDR, STRONG, bh_adjust, discoveries
from salesops_lib.analyses.target_tracking.calendar import quarter_bounds
from salesops_lib.analyses.target_tracking.params import TargetTrackingParams
from salesops_lib.analyses.target_tracking.variability import PRIOR_PERIODS
from salesops_lib.metrics.formatting import formatted

ANALYSIS = "target_tracking"
KINDS = ("persistent_underperformance", "off_pace", "off_pace_quarter")


def tracking_findings(
    alerts: pd.DataFrame,
    plain: pd.DataFrame,
    pacing: pd.DataFrame,
    params: TargetTrackingParams,
    period: str,
    as_of: dt.date,
) -> tuple[Finding, ...]:
    """One finding per unit that reaches the persistence rule; one (low, a coaching watch list) per
    unit of ``plain`` — long enough below the threshold but within its own normal range; and one
    per company, region or team whose projected attainment at the end of the year (or of the
    quarter in progress) is below ``params.pace_threshold``.
    """
    out: list[Finding] = []
    row: Any  # itertuples() rows: their fields' types are known only at run time
    runs = [(row, True) for row in alerts.itertuples()] + [(row, False) for row in plain.itertuples()]
    for row, alert in runs:
        out.append(
            Finding(
                analysis=ANALYSIS,
                kind="persistent_underperformance",
                severity=_run_severity(row.level, float(row.q_run), int(row.history)) if alert else "low",
                level=row.level,
                unit=row.unit_id,
                metric="attainment",
                value=float(row.run_attainment),
                baseline=float(params.alert_threshold),
                period=period,
                at_stake=max(float(row.shortfall), 0.0),
                facts={
                    "name": row.name or row.unit_id,
                    "team": row.team or "",
                    "region": row.region or "",
                    "parent": (row.team if row.level == "rep" else row.region if row.level == "team" else "") or "—",
                    "since": row.since.date().isoformat(),
                    "periods": int(row.periods),
                    "grain": row.grain,
                    "threshold": float(params.alert_threshold),
                    "attainments": " / ".join(formatted(a, ".0%") for a in row.attainments),
                    "shortfall": float(row.shortfall),
                    "extra_per_week": float(row.extra_per_week),
                    "required_per_week": float(row.required_per_week),
                    "weeks_left": float(row.weeks_left),
                    "horizon_end": row.horizon_end.date().isoformat(),
                    "normal": "outside" if row.own_rule else "within",
                    "typical": float(row.typical),
                    "spread": float(row.spread),
                    "z": " / ".join(formatted(x, "+.1f") for x in row.z),
                    "p_run": float(row.p_run),
                    "q_run": float(row.q_run),
                },
                cause="below_own_range" if row.own_rule else "below_threshold_run",
                action="coach_and_recover",
            )
        )
    quarter_open = as_of < quarter_bounds(as_of)[1]
    screened = pacing[
        pacing["level"].isin(["company", "region", "team"])
        & ((pacing["horizon"] == "year") | ((pacing["horizon"] == "quarter") & quarter_open))
    ]
    survives = dict(zip(screened.index, discoveries(screened["p_value"].to_numpy(dtype=float)), strict=True))
    q_values = dict(zip(screened.index, bh_adjust(screened["p_value"].to_numpy(dtype=float)), strict=True))
    for index, row in zip(screened.index, screened.itertuples(), strict=True):
        if not np.isfinite(row.projected_attainment) or row.projected_attainment >= params.pace_threshold:
            continue
        out.append(
            Finding(
                analysis=ANALYSIS,
                kind="off_pace" if row.horizon == "year" else "off_pace_quarter",
                severity="medium" if survives[index] and row.level != "team" else "low",
                level=row.level,
                unit=row.unit_id,
                metric="attainment",
                value=float(row.projected_attainment),
                baseline=float(params.pace_threshold),
                period=period,
                at_stake=max(float(row.gap), 0.0),
                facts={
                    "horizon": row.horizon,
                    "attainment": float(row.attainment),
                    "projection": float(row.projection),
                    "target": float(row.target),
                    "gap": float(row.gap),
                    "actual": float(row.actual),
                    "expected": float(row.expected),
                    "end": row.end.date().isoformat(),
                    "p_value": float(row.p_value),
                    "q_value": float(q_values[index]),
                },
                cause="behind_seasonal_plan",
                action="close_gap",
            )
        )
    return tuple(out)


def _run_severity(level: str, q: float, history: int) -> Severity:
    """Medium when the unit survives Benjamini–Hochberg and has a record of its own (at least
    ``PRIOR_PERIODS`` periods; with less, its normal range is mostly its peers'), high for a team or
    region far beyond it.
    """
    if not np.isfinite(q) or q > FDR or history < PRIOR_PERIODS:
        return "low"
    return "high" if level != "rep" and q < STRONG else "medium"
