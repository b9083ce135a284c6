"""Expense ROI and budget control (report ``expense_roi``): where the money goes and what it brings back.

One concern per module: :mod:`.budget` (budget vs actual, burn, projection, overrun flags),
:mod:`.attribution` and :mod:`.campaigns` (campaign ROI, CAC, payback, low-ROI flags),
:mod:`.panel` and :mod:`.response` (spend–output model with diminishing returns and honest
warnings), :mod:`.reallocation` (budget-neutral moves), :mod:`.alignment` (expense ratio vs
targets), :mod:`.money` (cents, safe ratios, fiscal year), :mod:`.findings` (the findings and
their kinds), :mod:`.params`, :mod:`.result` and :mod:`.compute` (the report); ``SPEC`` ties them
together.
"""

from salesops_lib.analyses.expense_roi.compute import compute
from salesops_lib.analyses.expense_roi.findings import KINDS
from salesops_lib.analyses.expense_roi.params import ExpenseRoiParams
from salesops_lib.analyses.expense_roi.result import ExpenseRoiResult
from salesops_lib.analyses.spec import AnalysisSpec

SPEC = AnalysisSpec("expense_roi", ExpenseRoiParams, compute, requires=("expenses",), finding_kinds=KINDS)

__all__ = ["KINDS", "SPEC", "ExpenseRoiParams", "ExpenseRoiResult", "compute"]
