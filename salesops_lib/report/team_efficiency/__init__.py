"""Presentation of team efficiency: :mod:`.sections` (HTML), :mod:`.plots` (figures),
:mod:`.words` (label lookup and number formats) and the words in ``labels.yaml``.
"""

from collections.abc import Callable

from salesops_lib.analyses.team_efficiency import TeamEfficiencyResult
from salesops_lib.report.display import register_html
from salesops_lib.report.team_efficiency.plots import (
    drivers_chart,
    gap_chart,
    payout_chart,
    ramp_chart,
    spread_chart,
    trend_chart,
)
from salesops_lib.report.team_efficiency.sections import (
    drivers,
    incentives,
    overview,
    ramp,
    scorecard,
    spread_heading,
    summary_html,
    units,
)

register_html(TeamEfficiencyResult, summary_html)

SECTIONS: tuple[Callable[[TeamEfficiencyResult, str], object], ...] = (
    overview,
    units,
    gap_chart,
    spread_heading,
    spread_chart,
    trend_chart,
    scorecard,
    drivers,
    drivers_chart,
    ramp,
    ramp_chart,
    incentives,
    payout_chart,
)
"""Every display of the page, in order (the notebook calls them one per cell, with the language)."""

__all__ = [
    "SECTIONS",
    "drivers",
    "drivers_chart",
    "gap_chart",
    "incentives",
    "overview",
    "payout_chart",
    "ramp",
    "ramp_chart",
    "scorecard",
    "spread_chart",
    "spread_heading",
    "trend_chart",
    "units",
]
