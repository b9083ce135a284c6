"""The one registry of reports: name → notebook, parameter model, required tables, title.

The CLI, the runner, the index page, the dashboards and the tests all iterate over
:data:`REPORTS`; an analysis becomes a report by adding one :class:`ReportSpec` here.
"""

from __future__ import annotations

from dataclasses import dataclass

from salesops_lib.config.params import KpiOverviewParams, ReportParams
from salesops_lib.config.reports.collections_customers import CollectionsCustomersParams
from salesops_lib.config.reports.expense_roi import ExpenseRoiParams
from salesops_lib.config.reports.forecast import ForecastParams
from salesops_lib.config.reports.funnel_diagnosis import FunnelDiagnosisParams
from salesops_lib.config.reports.monthly_review import MonthlyReviewParams
from salesops_lib.config.reports.target_split import TargetSplitParams
from salesops_lib.config.reports.target_tracking import TargetTrackingParams
from salesops_lib.config.reports.team_efficiency import TeamEfficiencyParams
from salesops_lib.errors import ConfigError


@dataclass(frozen=True)
class ReportSpec:
    """One publishable report."""

    name: str
    #: notebook path relative to ``notebooks/``
    notebook: str
    params: type[ReportParams]
    #: canonical tables the report cannot run without (it is skipped, with the reason, otherwise)
    requires: tuple[str, ...]
    title_zh: str
    title_en: str
    #: dotted module whose ``compute(data, params)`` returns a result with ``findings``
    #: (lets the monthly review collect findings when it runs outside the runner)
    module: str = ""

    def title(self, lang: str) -> str:
        return self.title_zh if lang == "zh" else self.title_en


REPORTS: dict[str, ReportSpec] = {
    spec.name: spec
    for spec in (
        ReportSpec(
            "kpi_overview", "kpi_overview.ipynb", KpiOverviewParams, ("opportunities", "reps"),
            "核心指标总览", "KPI overview", module="salesops_lib.analyses.kpi_overview",
        ),
        ReportSpec(
            "monthly_review", "monthly_review.ipynb", MonthlyReviewParams, ("opportunities", "reps"),
            "月度经营回顾", "Monthly review",
        ),
        ReportSpec(
            "team_efficiency", "team_efficiency.ipynb", TeamEfficiencyParams, ("opportunities", "reps"),
            "团队效能", "Team efficiency", module="salesops_lib.analyses.efficiency",
        ),
        ReportSpec(
            "expense_roi", "expense_roi.ipynb", ExpenseRoiParams, ("expenses",),
            "费用投入产出与预算控制", "Expense ROI and budget control", module="salesops_lib.analyses.expenses",
        ),
        ReportSpec(
            "target_split", "target_split.ipynb", TargetSplitParams, ("reps", "opportunities"),
            "目标分解", "Target split", module="salesops_lib.analyses.targets",
        ),
        ReportSpec(
            "target_tracking", "target_tracking.ipynb", TargetTrackingParams, ("reps", "targets", "opportunities"),
            "目标达成跟踪与预警", "Target tracking and early warnings", module="salesops_lib.analyses.tracking",
        ),
        ReportSpec(
            "funnel_diagnosis", "funnel_diagnosis.ipynb", FunnelDiagnosisParams,
            ("opportunities", "stage_history", "reps"), "销售漏斗诊断", "Funnel diagnosis",
            module="salesops_lib.analyses.funnel",
        ),
        ReportSpec(
            "collections_customers", "collections_customers.ipynb", CollectionsCustomersParams,
            ("reps", "opportunities"), "回款与客户价值", "Collections and customer value",
            module="salesops_lib.analyses.collections_customers",
        ),
        ReportSpec(
            "forecast", "forecast.ipynb", ForecastParams, ("reps", "opportunities"),
            "业绩预测与风险预警", "Forecast and risk warnings", module="salesops_lib.analyses.forecast",
        ),
    )
}


def get_report(name: str) -> ReportSpec:
    """The report called ``name``; an unknown name is a clear error listing the known ones."""
    try:
        return REPORTS[name]
    except KeyError:
        raise ConfigError(f"unknown report {name!r}", fix=f"known reports: {', '.join(REPORTS)}") from None
