"""Parameters of the monthly review (the executive summary across every analysis)."""

from __future__ import annotations

from salesops_lib.config.params import ReportParams


class MonthlyReviewParams(ReportParams):
    """Monthly review: KPI tiles and the period's top findings across every analysis."""

    #: findings.json of this period's other reports (set by the runner); empty = compute every analysis here
    findings_file: str = ""
    #: how many findings the summary lists
    top: int = 12
