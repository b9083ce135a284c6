"""Presentation of target tracking: :mod:`.sections` (tiles, regions and teams, monthly
attainment, alerts and the watch list), :mod:`.plots` (the year's curve, the weekly heat map),
:mod:`.words` and the words in ``labels.yaml``.
"""

from salesops_lib.analyses.target_tracking import TargetTrackingResult
from salesops_lib.report.display import register_html
from salesops_lib.report.target_tracking.plots import curve, weekly_heatmap
from salesops_lib.report.target_tracking.sections import (
    alerts,
    monthly,
    overview,
    summary_html,
    units,
    watch,
    weekly_heading,
)

register_html(TargetTrackingResult, summary_html)

__all__ = ["alerts", "curve", "monthly", "overview", "units", "watch", "weekly_heading", "weekly_heatmap"]
