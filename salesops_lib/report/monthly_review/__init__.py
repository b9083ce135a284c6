"""Presentation of the monthly review: :mod:`.sections` (headline tiles, the ranked findings) and
the words in ``labels.yaml``.
"""

from salesops_lib.analyses.monthly_review import MonthlyReviewResult
from salesops_lib.report.display import register_html
from salesops_lib.report.monthly_review.sections import findings_table, headline, summary_html

register_html(MonthlyReviewResult, summary_html)

__all__ = ["findings_table", "headline"]
