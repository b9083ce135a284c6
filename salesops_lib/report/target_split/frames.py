"""The rows of a split the page shows: the company and the region in scope (all regions when the
run has none).
"""

from __future__ import annotations

import pandas as pd

from salesops_lib.analyses.target_split import TargetSplitResult


def monthly_with_region(result: TargetSplitResult) -> pd.DataFrame:
    """The monthly amounts with each unit's region."""
    return result.monthly.merge(result.units[["level", "unit_id", "region"]], on=["level", "unit_id"])


def in_scope(result: TargetSplitResult, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame``'s company rows and those of the region in scope (every row without one)."""
    if not result.region:
        return frame
    return frame[(frame["level"] == "company") | (frame["region"] == result.region)]
