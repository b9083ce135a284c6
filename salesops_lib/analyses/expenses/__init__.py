"""Expense ROI and budget control (report ``expense_roi``): where the money goes and what it brings back.

One concern per module: :mod:`.budget` (budget vs actual, burn, projection, overrun flags),
:mod:`.attribution` and :mod:`.campaigns` (campaign ROI, CAC, payback, low-ROI flags),
:mod:`.panel` and :mod:`.response` (spend–output model with diminishing returns and honest
warnings), :mod:`.reallocation` (budget-neutral moves), :mod:`.alignment` (expense ratio vs
targets), :mod:`.money` (cents, safe ratios, fiscal year) and :mod:`.compute` (the report).
"""

from salesops_lib.analyses.expenses.compute import ExpenseRoiResult, compute

__all__ = ["ExpenseRoiResult", "compute"]
