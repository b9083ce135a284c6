"""The expense ROI report's result: data only (the page words it)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from salesops_lib.analyses.expense_roi.alignment import ExpenseAlignment
from salesops_lib.analyses.expense_roi.budget import BudgetControl, BudgetThresholds
from salesops_lib.analyses.expense_roi.campaigns import CampaignRoi, LowRoiRule
from salesops_lib.analyses.expense_roi.reallocation import BudgetShift
from salesops_lib.analyses.expense_roi.response import ResponseModel
from salesops_lib.analyses.findings import Finding


@dataclass(frozen=True)
class ExpenseRoiResult:
    """Budget control, campaign ROI, reallocation, spend–output response and expense ratio."""

    period: str
    as_of: dt.date
    fiscal_start: dt.date
    fiscal_end: dt.date
    attribution: str
    simulated: bool
    budget: BudgetControl | None
    campaigns: CampaignRoi | None
    #: low-ROI campaigns' cost moved to the best campaign type
    moves: pd.DataFrame
    response: ResponseModel | None
    shift: BudgetShift | None
    alignment: ExpenseAlignment | None
    #: the rules the flags used (shown on the page)
    thresholds: BudgetThresholds = field(default_factory=BudgetThresholds)
    low_roi_rule: LowRoiRule = field(default_factory=LowRoiRule)
    max_shift: float = 0.2
    #: section → (reason code, detail) for the sections not computed
    skipped: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: ranked: most severe first, then most money at stake
    findings: tuple[Finding, ...] = ()
