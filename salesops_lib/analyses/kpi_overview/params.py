"""Parameters of the KPI overview."""

from __future__ import annotations

from pydantic import Field

from salesops_lib.config.scope import AnalysisParams


class KpiOverviewParams(AnalysisParams):
    """KPI overview: the metric dictionary's tiles for the month."""

    metrics: str = Field(
        "", description="comma-separated metrics shown as tiles, empty for every metric the source can feed"
    )
