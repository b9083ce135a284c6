"""Presentation of the target split: :mod:`.sections` (overview, tables, audit, what-if),
:mod:`.plots` (charts), :mod:`.workbook` (the Excel workbooks), :mod:`.words` and :mod:`.frames`
(helpers), and the words in ``labels.yaml``.
"""

from salesops_lib.analyses.target_split import TargetSplitResult
from salesops_lib.report.display import register_html
from salesops_lib.report.target_split.plots import achievability_chart, alignment_chart, phasing_chart
from salesops_lib.report.target_split.sections import (
    achievability,
    alignment,
    export_excel,
    fairness,
    overview,
    phasing_heading,
    phasing_table,
    reps,
    summary_html,
    units,
    whatif,
)
from salesops_lib.report.target_split.sheets import sheets
from salesops_lib.report.target_split.words import plan_label
from salesops_lib.report.target_split.workbook import write_workbooks

register_html(TargetSplitResult, summary_html)
__all__ = [
    "achievability",
    "achievability_chart",
    "alignment",
    "alignment_chart",
    "export_excel",
    "fairness",
    "overview",
    "phasing_chart",
    "phasing_heading",
    "phasing_table",
    "plan_label",
    "reps",
    "sheets",
    "units",
    "whatif",
    "write_workbooks",
]
