"""Target tracking (report ``target_tracking``): attainment at every level, pacing against the
seasonal plan, early warnings.

:mod:`.params`, :mod:`.result`, :mod:`.compute` and :mod:`.findings`; the maths in
:mod:`.inputs` (what is read), :mod:`.calendar` (weeks, quarters, daily targets),
:mod:`.ledger` (targets and actuals per level), :mod:`.pacing` and :mod:`.persistence` (the
rule). ``SPEC`` ties them together.
"""

from salesops_lib.analyses.spec import AnalysisSpec, Section
from salesops_lib.analyses.target_tracking.compute import as_of_date, compute
from salesops_lib.analyses.target_tracking.findings import KINDS
from salesops_lib.analyses.target_tracking.params import TargetTrackingParams
from salesops_lib.analyses.target_tracking.result import TargetTrackingResult

SPEC = AnalysisSpec(
    "target_tracking",
    TargetTrackingParams,
    compute,
    requires=("revenue", "reps", "targets"),
    finding_kinds=KINDS,
    sections=(Section("units", ("org",)), Section("heatmap", ("org",))),
    check=as_of_date,
)

__all__ = ["SPEC", "TargetTrackingParams", "TargetTrackingResult", "as_of_date", "compute"]
