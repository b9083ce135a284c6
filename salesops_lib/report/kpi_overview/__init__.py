"""Presentation of the KPI overview: :mod:`.sections` (tiles, tables), :mod:`.plots` and the
words in ``labels.yaml``.
"""

from salesops_lib.analyses.kpi_overview import KpiOverviewResult
from salesops_lib.report.display import register_html
from salesops_lib.report.kpi_overview.plots import trend
from salesops_lib.report.kpi_overview.sections import regions, summary_html, tiles, trend_heading

register_html(KpiOverviewResult, summary_html)

__all__ = ["regions", "tiles", "trend", "trend_heading"]
