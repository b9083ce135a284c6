"""Presentation of the expense ROI report: :mod:`.sections` (tiles, tables, method lines),
:mod:`.plots` (figures), :mod:`.words` (labels, coded values, cell formats) and the words in
``labels.yaml``. Every section and plot takes ``(result, lang)``.
"""

from salesops_lib.analyses.expense_roi import ExpenseRoiResult
from salesops_lib.report.display import register_html
from salesops_lib.report.expense_roi.plots import budget_plot, campaign_plot, response_plot
from salesops_lib.report.expense_roi.sections import (
    alignment_section,
    budget_section,
    campaign_section,
    reallocation_section,
    response_section,
    summary,
    summary_html,
    units_section,
)

register_html(ExpenseRoiResult, summary_html)

__all__ = [
    "alignment_section",
    "budget_plot",
    "budget_section",
    "campaign_plot",
    "campaign_section",
    "reallocation_section",
    "response_plot",
    "response_section",
    "summary",
    "units_section",
]
