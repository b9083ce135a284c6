"""Forecast (report ``forecast``): the period's revenue from history (time series) and from the
open pipeline, blended by backtested weights; projected attainment per unit with calibrated
intervals and the probability of reaching target; early warnings (thin pipeline, slipping deals,
key accounts).

:mod:`.params`, :mod:`.result`, :mod:`.compute` and :mod:`.findings`; ``SPEC`` ties them together.
The maths, one concern per module: :mod:`.series` (the time-series engine) and :mod:`.smoothing`
(its vectorised core), :mod:`.history` (engine queries), :mod:`.org` (forecasts of the org tree)
and :mod:`.reconcile` (coherence), :mod:`.pipeline`, :mod:`.attainment` (blend, uncertainty,
probability of hitting), :mod:`.intervals` (calibration), :mod:`.accuracy`, :mod:`.risks`.
"""

from salesops_lib.analyses.forecast.compute import compute, target_quarter
from salesops_lib.analyses.forecast.findings import ANALYSIS, KINDS
from salesops_lib.analyses.forecast.params import ForecastParams
from salesops_lib.analyses.forecast.result import ForecastResult
from salesops_lib.analyses.spec import AnalysisSpec, HistoryNeed, Section

SPEC = AnalysisSpec(
    "forecast",
    ForecastParams,
    compute,
    requires=("revenue", "reps"),
    finding_kinds=KINDS,
    sections=(
        Section("coverage_title", ("deals", "targets")),
        Section("slipping_title", ("funnel",)),
        Section("units_title", ("org",)),
    ),
    history=(HistoryNeed("seasonality", 24),),
)

__all__ = ["ANALYSIS", "SPEC", "ForecastParams", "ForecastResult", "compute", "target_quarter"]
