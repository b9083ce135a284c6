"""The KPI overview's findings: a metric that moved by at least :data:`MOVE_THRESHOLD`."""

from __future__ import annotations

from typing import Any

import pandas as pd

from salesops_lib.analyses.findings import Finding
from salesops_lib.config.scope import RunScope
from salesops_lib.metrics import METRICS

ANALYSIS = "kpi_overview"
KINDS = ("kpi_move",)
MOVE_THRESHOLD = 0.20
"""A month-on-month or year-on-year move of at least this much becomes a (low-severity) finding."""


def kpi_moves(tiles: pd.DataFrame, scope: RunScope) -> list[Finding]:
    """One low finding per tile and basis (previous month, same month last year) that moved."""
    out: list[Finding] = []
    row: Any  # an itertuples() row: its fields' types are known only at run time
    for row in tiles.itertuples():
        if METRICS[row.metric].cohort:  # a cohort tile shows an older, matured cohort: not a move of the month
            continue
        for basis, change, baseline in (
            ("prev", row.change_prev, row.previous),
            ("yoy", row.change_yoy, row.last_year),
        ):
            if pd.isna(change) or abs(change) < MOVE_THRESHOLD:
                continue
            worse = (change < 0) == bool(row.higher_is_better)
            stake = abs(row.value - baseline) if row.unit == "currency" else 0.0
            out.append(
                Finding(
                    analysis=ANALYSIS,
                    kind="kpi_move",
                    severity="low",
                    level="region" if scope.region else "company",
                    unit=scope.region or "company",
                    metric=row.metric,
                    value=float(row.value),
                    baseline=float(baseline),
                    period=scope.period,
                    at_stake=float(stake),
                    facts={"basis": basis, "change": float(change), "worse": worse},
                    action="review_detail" if worse else "",
                )
            )
    return out
