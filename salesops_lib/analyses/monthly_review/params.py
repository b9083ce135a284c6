"""Parameters of the monthly review (the executive summary across every analysis)."""

from __future__ import annotations

from pydantic import Field

from salesops_lib.config.scope import AnalysisParams


class MonthlyReviewParams(AnalysisParams):
    """Monthly review: KPI tiles and the period's top findings across every analysis."""

    findings_file: str = Field(
        "", description="findings.json of the other reports of the period, empty to compute every analysis here"
    )
    top: int = Field(12, description="how many findings the summary lists")
    leaders: int = Field(5, description="how many reps the leaderboard shows at the top and at the bottom")
