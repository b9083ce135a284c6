"""Presentation of the funnel diagnosis: :mod:`.sections` (HTML fragments), :mod:`.plots`
(figures), :mod:`.words` (labels, data codes and number formats) and the words in ``labels.yaml``.
"""

from salesops_lib.analyses.funnel_diagnosis import FunnelResult
from salesops_lib.report.display import register_html
from salesops_lib.report.funnel_diagnosis.plots import (
    bridge_plot,
    change_plot,
    cohort_plot,
    funnel_plot,
    process_plot,
    segment_plot,
)
from salesops_lib.report.funnel_diagnosis.sections import (
    bridge_section,
    changes_section,
    cohorts_section,
    durations_section,
    funnel_section,
    losses_section,
    process_section,
    segments_section,
    summary_html,
    tiles,
)
from salesops_lib.report.funnel_diagnosis.sheets import sheets

register_html(FunnelResult, summary_html)
__all__ = [
    "bridge_plot",
    "bridge_section",
    "change_plot",
    "changes_section",
    "cohort_plot",
    "cohorts_section",
    "durations_section",
    "funnel_plot",
    "funnel_section",
    "losses_section",
    "process_plot",
    "process_section",
    "segment_plot",
    "segments_section",
    "sheets",
    "tiles",
]
