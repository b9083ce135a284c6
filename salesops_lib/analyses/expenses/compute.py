"""The expense ROI report's analysis: every section computed for the period, with findings.

Pure: ``compute(data, params) -> ExpenseRoiResult``. A section whose tables the source lacks is
skipped with the reason (``result.skipped``), so the spend–output model also runs on sources
that only have expenses and revenue (an MMM dataset mapped into the canonical tables).
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from salesops_lib.analyses.expenses.alignment import ExpenseAlignment, alignment_findings, expense_alignment
from salesops_lib.analyses.expenses.budget import BudgetControl, BudgetThresholds, budget_control, budget_findings
from salesops_lib.analyses.expenses.campaigns import CampaignRoi, LowRoiRule, campaign_findings, campaign_roi
from salesops_lib.analyses.expenses.money import fiscal_year, months_before
from salesops_lib.analyses.expenses.panel import spend_panel
from salesops_lib.analyses.expenses.reallocation import BudgetShift, budget_shift, campaign_moves, reallocation_findings
from salesops_lib.analyses.expenses.response import ResponseModel, fit_response
from salesops_lib.analyses.findings import Finding, rank
from salesops_lib.config.reports.expense_roi import ExpenseRoiParams
from salesops_lib.data import Dataset

SECTIONS = ("budget", "campaigns", "response", "alignment")


@dataclass(frozen=True)
class ExpenseRoiResult:
    """Budget control, campaign ROI, reallocation, spend–output response and expense ratio."""

    period: str
    lang: str
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
    findings: tuple[Finding, ...] = ()

    def _repr_html_(self) -> str:
        zh = self.lang == "zh"
        rows = "".join(
            f"<tr><td>{html.escape(f.kind)}</td><td>{html.escape(f.severity)}</td><td>{html.escape(f.unit)}</td>"
            f"<td>{f.at_stake:,.0f}</td></tr>"
            for f in rank(self.findings)
        )
        head = "<th>类型</th><th>严重度</th><th>对象</th><th>涉及金额</th>" if zh else \
            "<th>kind</th><th>severity</th><th>unit</th><th>at stake</th>"
        skipped = "".join(f"<li>{html.escape(section)}: {html.escape(code)} {html.escape(detail)}</li>"
                          for section, (code, detail) in self.skipped.items())
        table = f"<table class='salesops-findings'><tr>{head}</tr>{rows}</table>"
        return table + (f"<ul>{skipped}</ul>" if skipped else "")


def compute(data: Dataset, params: ExpenseRoiParams) -> ExpenseRoiResult:
    """Compute the report for ``params.period`` (as of the month's last day).

    Examples
    --------
    >>> result = compute(connect("demo"), ExpenseRoiParams(period="2025-06"))  # doctest: +SKIP
    >>> [(f.kind, f.unit) for f in result.findings]  # doctest: +SKIP
    """
    _, as_of = params.month
    fiscal = fiscal_year(as_of, params.fiscal_year_start)
    skipped: dict[str, tuple[str, str]] = {}
    thresholds = BudgetThresholds(overrun=params.overrun_threshold, min_amount=params.overrun_min_amount)
    rule = LowRoiRule(params.low_roi_fraction, params.low_roi_min_cost, params.maturity_days)

    budget = None
    if _available(data, ("expenses", "budgets"), "budget", skipped):
        budget = budget_control(data, as_of, fiscal, level=params.budget_level, region=params.region,
                                thresholds=thresholds)
        if budget is None:
            skipped["budget"] = ("no_budget_lines", fiscal[0].isoformat())

    campaigns = None
    if _available(data, ("campaigns",), "campaigns", skipped):
        campaigns = campaign_roi(
            data, as_of, months_before(as_of, params.campaign_months), attribution=params.attribution,
            region=params.region, rule=rule)
        if campaigns.campaigns.empty:
            skipped["campaigns"], campaigns = ("no_campaigns", str(params.campaign_months)), None

    response, shift = None, None
    output_table = "opportunities" if params.response_output == "pipeline" else None
    needed = ("expenses", output_table) if output_table else ("expenses",)
    if _available(data, needed, "response", skipped) and _has_revenue(data, skipped, "response"):
        response = _response(data, as_of, params, skipped)
        shift = budget_shift(response, params.max_shift) if response is not None else None

    alignment = None
    if _available(data, ("expenses", "reps"), "alignment", skipped) and _has_revenue(data, skipped, "alignment"):
        if int(data.table("expenses").region.count().execute()) == 0:
            skipped["alignment"] = ("no_regions", "")
        else:
            alignment = expense_alignment(data, fiscal[0], as_of, threshold=params.expense_ratio_threshold,
                                          region=params.region)

    moves = campaign_moves(campaigns)
    findings: list[Finding] = []
    if budget is not None:
        findings += budget_findings(budget, params.period)
    if campaigns is not None:
        findings += campaign_findings(campaigns, params.period)
    findings += reallocation_findings(moves, shift, response, params.period)
    if alignment is not None:
        findings += alignment_findings(alignment, params.period)
    return ExpenseRoiResult(
        period=params.period, lang=params.lang, as_of=as_of, fiscal_start=fiscal[0], fiscal_end=fiscal[1],
        attribution=params.attribution, simulated=params.source_is_simulated, budget=budget, campaigns=campaigns,
        moves=moves, response=response, shift=shift, alignment=alignment, thresholds=thresholds,
        low_roi_rule=rule, max_shift=params.max_shift, skipped=skipped,
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


def _response(data: Dataset, as_of: dt.date, params: ExpenseRoiParams,
              skipped: dict[str, tuple[str, str]]) -> ResponseModel | None:
    level = params.response_level if data.has("reps") else "company"
    panel = spend_panel(data, as_of, period=params.response_period, level=level, months=params.response_months,
                        output=params.response_output, region=params.region)
    try:
        model = fit_response(panel, decay=params.adstock_decay, simulated=params.source_is_simulated)
    except np.linalg.LinAlgError as exc:
        skipped["response"] = ("model_failed", str(exc))
        return None
    if model is None:
        units = len(panel.units) if not panel.frame.empty else 0
        skipped["response"] = ("too_little_data", f"{panel.periods} × {units}")
    return model
