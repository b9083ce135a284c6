"""The expense ROI report's analysis: every section computed for the period, with findings.

Pure: ``compute(data, scope, params) -> ExpenseRoiResult``. A section whose tables the source
lacks is skipped with the reason (``result.skipped``), so the spend–output model also runs on
sources that only have expenses and revenue (an MMM dataset mapped into the canonical tables).
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from salesops_lib.analyses.expense_roi.alignment import expense_alignment
from salesops_lib.analyses.expense_roi.budget import BudgetThresholds, budget_control
from salesops_lib.analyses.expense_roi.campaigns import LowRoiRule, campaign_roi
from salesops_lib.analyses.expense_roi.findings import (
    alignment_findings,
    budget_findings,
    campaign_findings,
    reallocation_findings,
)
from salesops_lib.analyses.expense_roi.money import fiscal_year, months_before
from salesops_lib.analyses.expense_roi.panel import spend_panel
from salesops_lib.analyses.expense_roi.params import ExpenseRoiParams
from salesops_lib.analyses.expense_roi.reallocation import budget_shift, campaign_moves
from salesops_lib.analyses.expense_roi.response import ResponseModel, fit_response
from salesops_lib.analyses.expense_roi.result import ExpenseRoiResult
from salesops_lib.analyses.findings import Finding, rank
from salesops_lib.config.scope import RunScope
from salesops_lib.data import Dataset

SECTIONS = ("budget", "campaigns", "response", "alignment")


def compute(data: Dataset, scope: RunScope, params: ExpenseRoiParams) -> ExpenseRoiResult:
    """Compute the report for ``scope.period`` (as of the month's last day).

    Examples
    --------
    >>> result = compute(connect("demo"), RunScope(period="2025-06"), ExpenseRoiParams())  # doctest: +SKIP
    >>> [(f.kind, f.unit) for f in result.findings]  # doctest: +SKIP
    """
    as_of = scope.as_of
    fiscal = fiscal_year(as_of, params.fiscal_year_start)
    skipped: dict[str, tuple[str, str]] = {}
    thresholds = BudgetThresholds(overrun=params.overrun_threshold, min_amount=params.overrun_min_amount)
    rule = LowRoiRule(params.low_roi_fraction, params.low_roi_min_cost, params.maturity_days)

    budget = None
    if _available(data, ("expenses", "budgets"), "budget", skipped):
        budget = budget_control(
            data, as_of, fiscal, level=params.budget_level, region=scope.region, thresholds=thresholds
        )
        if budget is None:
            skipped["budget"] = ("no_budget_lines", fiscal[0].isoformat())

    campaigns = None
    if _available(data, ("campaigns",), "campaigns", skipped):
        campaigns = campaign_roi(
            data,
            as_of,
            months_before(as_of, params.campaign_months),
            attribution=params.attribution,
            region=scope.region,
            rule=rule,
        )
        if campaigns.campaigns.empty:
            skipped["campaigns"], campaigns = ("no_campaigns", str(params.campaign_months)), None

    response, shift = None, None
    output_table = "opportunities" if params.response_output == "pipeline" else None
    needed = ("expenses", output_table) if output_table else ("expenses",)
    if _available(data, needed, "response", skipped) and _has_revenue(data, skipped, "response"):
        response = _response(data, as_of, scope, params, skipped)
        shift = budget_shift(response, params.max_shift) if response is not None else None

    alignment = None
    if _available(data, ("expenses", "reps"), "alignment", skipped) and _has_revenue(data, skipped, "alignment"):
        if int(data.table("expenses").region.count().execute()) == 0:
            skipped["alignment"] = ("no_regions", "")
        else:
            alignment = expense_alignment(
                data, fiscal[0], as_of, threshold=params.expense_ratio_threshold, region=scope.region
            )

    moves = campaign_moves(campaigns)
    findings: list[Finding] = []
    if budget is not None:
        findings += budget_findings(budget, scope.period)
    low_roi = campaign_findings(campaigns, scope.period) if campaigns is not None else []
    findings += low_roi
    backed = any(f.severity in ("medium", "high") for f in low_roi)
    findings += reallocation_findings(moves, shift, response, scope.period, backed=backed)
    if alignment is not None:
        findings += alignment_findings(alignment, scope.period)
    return ExpenseRoiResult(
        period=scope.period,
        as_of=as_of,
        fiscal_start=fiscal[0],
        fiscal_end=fiscal[1],
        attribution=params.attribution,
        simulated=params.source_is_simulated,
        budget=budget,
        campaigns=campaigns,
        moves=moves,
        response=response,
        shift=shift,
        alignment=alignment,
        thresholds=thresholds,
        low_roi_rule=rule,
        max_shift=params.max_shift,
        skipped=skipped,
        findings=tuple(rank(findings)),
    )


def _available(data: Dataset, tables: tuple[str, ...], section: str, skipped: dict[str, tuple[str, str]]) -> bool:
    missing = [t for t in tables if not data.has(t)]
    if missing:
        skipped[section] = ("missing_table", f"{missing[0]}: {data.missing.get(missing[0], '')}".rstrip(": "))
    return not missing


def _has_revenue(data: Dataset, skipped: dict[str, tuple[str, str]], section: str) -> bool:
    if data.has("orders") or data.has("opportunities"):
        return True
    skipped[section] = ("missing_table", f"orders: {data.missing.get('orders', '')}".rstrip(": "))
    return False


def _response(
    data: Dataset, as_of: dt.date, scope: RunScope, params: ExpenseRoiParams, skipped: dict[str, tuple[str, str]]
) -> ResponseModel | None:
    level = params.response_level if data.has("reps") else "company"
    panel = spend_panel(
        data,
        as_of,
        period=params.response_period,
        level=level,
        months=params.response_months,
        output=params.response_output,
        region=scope.region,
    )
    try:
        model = fit_response(panel, decay=params.adstock_decay, simulated=params.source_is_simulated)
    except np.linalg.LinAlgError as exc:
        skipped["response"] = ("model_failed", str(exc))
        return None
    if model is None:
        units = len(panel.units) if not panel.frame.empty else 0
        skipped["response"] = ("too_little_data", f"{panel.periods} × {units}")
    return model
