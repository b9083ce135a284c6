"""Presentation of collections and customer value: :mod:`.sections` (HTML fragments),
:mod:`.plots` (figures), :mod:`.words` (catalogue lookup and number formats) and the words in
``labels.yaml``.
"""

from salesops_lib.analyses.collections_customers import CollectionsCustomersResult
from salesops_lib.report.collections_customers.plots import (
    aging_chart,
    calibration_plot,
    cohort_heatmap,
    collections_trend,
)
from salesops_lib.report.collections_customers.sections import (
    aging_section,
    chase_section,
    churn_section,
    cohorts_heading,
    credits_section,
    customers_tiles,
    forecast_section,
    historical_section,
    predictive_section,
    receivables_tiles,
    slip_section,
    summary_html,
    trend_heading,
)
from salesops_lib.report.collections_customers.sheets import sheets
from salesops_lib.report.display import register_html

register_html(CollectionsCustomersResult, summary_html)
__all__ = [
    "aging_chart",
    "aging_section",
    "calibration_plot",
    "chase_section",
    "churn_section",
    "cohort_heatmap",
    "cohorts_heading",
    "collections_trend",
    "credits_section",
    "customers_tiles",
    "forecast_section",
    "historical_section",
    "predictive_section",
    "receivables_tiles",
    "sheets",
    "slip_section",
    "trend_heading",
]
