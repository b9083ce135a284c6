"""KPI overview (report ``kpi_overview``): the metric dictionary's tiles for the month against the
previous month and the same month last year, the last 13 months and the regions.

:mod:`.params`, :mod:`.result`, :mod:`.compute`, :mod:`.maturity` (which cohort a cohort KPI's
tile shows) and :mod:`.findings`; ``SPEC`` ties them together.
"""

from salesops_lib.analyses.kpi_overview.compute import compute, tiles_from_trend
from salesops_lib.analyses.kpi_overview.findings import KINDS
from salesops_lib.analyses.kpi_overview.maturity import history_start, matured_cohorts
from salesops_lib.analyses.kpi_overview.params import KpiOverviewParams
from salesops_lib.analyses.kpi_overview.result import KpiOverviewResult
from salesops_lib.analyses.spec import AnalysisSpec, Section

SPEC = AnalysisSpec(
    "kpi_overview",
    KpiOverviewParams,
    compute,
    requires=("revenue", "reps"),
    finding_kinds=KINDS,
    sections=(Section("by_region_title", ("org",)),),
)

__all__ = [
    "SPEC",
    "KpiOverviewParams",
    "KpiOverviewResult",
    "compute",
    "history_start",
    "matured_cohorts",
    "tiles_from_trend",
]
