"""Presentation of the forecast: :mod:`.sections` (headline, units, risks, method, accuracy,
calibration), :mod:`.plots` (outlook and regions), :mod:`.words` (lookups) and the words in
``labels.yaml``.
"""

from salesops_lib.analyses.forecast import ForecastResult
from salesops_lib.report.display import register_html
from salesops_lib.report.forecast.plots import outlook_chart, regions_chart
from salesops_lib.report.forecast.sections import (
    accuracy,
    calibration,
    headline,
    method,
    risks,
    summary_html,
    units,
)
from salesops_lib.report.forecast.sheets import sheets

register_html(ForecastResult, summary_html)
__all__ = [
    "accuracy",
    "calibration",
    "headline",
    "method",
    "outlook_chart",
    "regions_chart",
    "risks",
    "sheets",
    "summary_html",
    "units",
]
