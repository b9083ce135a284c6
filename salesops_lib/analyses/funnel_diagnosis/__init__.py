"""Funnel diagnosis (report ``funnel_diagnosis``): where deals are lost, why the month changed,
what a process change did.

:mod:`.params`, :mod:`.result`, :mod:`.compute` (``compute``) and :mod:`.findings`; the maths one
concern per module: :mod:`.facts` (the deal and lead tables in the engine), :mod:`.stages` (funnel,
durations, stalled deals, losses), :mod:`.cohorts` (creation-month cohorts with right-censoring),
:mod:`.segments` (segment against the rest), :mod:`.changes` (the month against its baseline, mix
vs rate), :mod:`.bridge` (won-value bridge), :mod:`.process_change` (before/after and
difference-in-differences) and :mod:`.stats`. ``SPEC`` ties them together.
"""

from salesops_lib.analyses.funnel_diagnosis.compute import compute
from salesops_lib.analyses.funnel_diagnosis.findings import KINDS
from salesops_lib.analyses.funnel_diagnosis.params import FunnelDiagnosisParams
from salesops_lib.analyses.funnel_diagnosis.result import FunnelResult
from salesops_lib.analyses.spec import AnalysisSpec, HistoryNeed

SPEC = AnalysisSpec(
    "funnel_diagnosis",
    FunnelDiagnosisParams,
    compute,
    requires=("funnel", "reps"),
    finding_kinds=KINDS,
    # the month and its baseline months before it
    history=(HistoryNeed("baseline", lambda p: max(p.baseline_months) + 1),),
)

__all__ = ["SPEC", "FunnelDiagnosisParams", "FunnelResult", "compute"]
