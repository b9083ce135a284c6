"""Presentation of the monthly review: :mod:`.sections` (headline, tiles, the sections with
their :mod:`.charts`, the findings) and the words in ``labels.yaml``.
"""

from salesops_lib.analyses.monthly_review import MonthlyReviewResult
from salesops_lib.report.display import register_html
from salesops_lib.report.monthly_review.sections import (
    bridge,
    findings_table,
    headline,
    headline_text,
    leaders,
    quarter,
    regions,
    summary_html,
    trend,
)

register_html(MonthlyReviewResult, summary_html)

__all__ = ["bridge", "findings_table", "headline", "headline_text", "leaders", "quarter", "regions", "trend"]
