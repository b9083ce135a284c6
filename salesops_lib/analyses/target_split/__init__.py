"""Target split (report ``target_split``): the company's annual target decoded into region → team
→ rep targets by month.

:mod:`.params`, :mod:`.result`, :mod:`.compute` and :mod:`.findings`; ``SPEC`` ties them together.
The maths, one concern per module:

* :mod:`.inputs` — engine queries (rep × month bookings, potential, budgets, existing targets);
* :mod:`.capacity` — FTE and ramp;  :mod:`.seasonality` — monthly indices with shrinkage;
* :mod:`.plan` — roster, weights, bounds, locks;  :mod:`.allocation` — the exact split and
  phasing;  :mod:`.rounding` — integer largest-remainder and controlled rounding;
* :mod:`.audit` — achievability, fairness, alignment.

Every amount is an integer number of rounding steps (``params.step``), so every parent equals
the sum of its children at every level, in the year and in every month. The Excel workbooks are
written by :mod:`salesops_lib.report.target_split.workbook`.
"""

from salesops_lib.analyses.spec import AnalysisSpec, Section
from salesops_lib.analyses.target_split.allocation import TargetSplitError
from salesops_lib.analyses.target_split.compute import compare, compute, split
from salesops_lib.analyses.target_split.findings import KINDS
from salesops_lib.analyses.target_split.params import TargetSplitParams
from salesops_lib.analyses.target_split.result import TargetSplitResult

SPEC = AnalysisSpec(
    "target_split",
    TargetSplitParams,
    compute,
    requires=("revenue", "reps"),
    finding_kinds=KINDS,
    sections=(Section("units", ("org",)),),
    on_dashboard=False,
)

__all__ = ["SPEC", "TargetSplitError", "TargetSplitParams", "TargetSplitResult", "compare", "compute", "split"]
