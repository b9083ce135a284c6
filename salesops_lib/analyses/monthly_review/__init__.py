"""Monthly review (report ``monthly_review``): the executive summary. KPI tiles against target,
previous month and last year, and the period's top findings of every other analysis.

:mod:`.params`, :mod:`.result` and :mod:`.compute`; it raises no findings of its own.
"""

from salesops_lib.analyses.monthly_review.compute import HEADLINE_METRICS, compute
from salesops_lib.analyses.monthly_review.params import MonthlyReviewParams
from salesops_lib.analyses.monthly_review.result import MonthlyReviewResult
from salesops_lib.analyses.spec import AnalysisSpec

SPEC = AnalysisSpec(
    "monthly_review", MonthlyReviewParams, compute, requires=("revenue", "reps"), finding_kinds=(), summary=True
)

__all__ = ["HEADLINE_METRICS", "SPEC", "MonthlyReviewParams", "MonthlyReviewResult", "compute"]
