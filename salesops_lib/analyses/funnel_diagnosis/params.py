"""Parameters of the funnel diagnosis (``notebooks/funnel_diagnosis.ipynb``)."""

from __future__ import annotations

import datetime as dt
import re

from pydantic import Field, field_validator

from salesops_lib.config.scope import AnalysisParams
from salesops_lib.core.lists import parse_list

DIMENSIONS = ("region", "team", "rep", "channel", "product", "industry")
"""Dimensions a funnel can be broken down by: the org levels, the lead's channel, the deal's
product and the account's industry."""

_COMPARE = re.compile(r"previous-(\d+)-months?|previous-month|same-month-last-year")  # used with fullmatch


class FunnelDiagnosisParams(AnalysisParams):
    """Funnel diagnosis: where deals are lost, why it changed, what a process change did."""

    stages: str = Field("", description="open stages in order, comma-separated; empty for the source's stage order")
    window_months: int = Field(
        12, description="months of created deals in the funnel ending with the period; 0 for the whole history"
    )
    compare_to: str = Field(
        "previous-6-months",
        description="baseline of the month - previous-N-months, previous-month or same-month-last-year",
    )
    segment: str = Field(
        "region",
        description="dimension screened for changes and bridged - region, team, rep, channel, product or industry",
    )
    segments: str = Field(
        "region,team,rep,channel,product,industry",
        description="dimensions compared segment by segment, comma-separated",
    )
    horizon_days: int = Field(90, description="age in days at which creation-month cohorts are compared")
    alpha: float = Field(
        0.05,
        description="significance level of segment tests (Holm) and of the month's low watch items; alerts use the review's 5 % FDR",
    )
    min_segment_size: int = Field(30, description="fewest decided deals or leads for a segment to be ranked")
    min_change: float = Field(0.10, description="smallest relative change worth a finding, 0.10 for 10 percent")
    change_date: str = Field(
        "", description="date a process change took effect as YYYY-MM-DD; empty to search the data for one"
    )
    adopting: str = Field(
        "", description="comma-separated region, team or rep ids that adopted the change; empty for all units"
    )
    change_stage: str = Field("", description="open stage the change targets; empty to look at every open stage")

    @field_validator("compare_to")
    @classmethod
    def _compare_to(cls, value: str) -> str:
        if not _COMPARE.fullmatch(value):
            raise ValueError("compare_to must be previous-N-months, previous-month or same-month-last-year")
        return value

    @field_validator("segment")
    @classmethod
    def _segment(cls, value: str) -> str:
        if value not in DIMENSIONS:
            raise ValueError(f"segment must be one of {', '.join(DIMENSIONS)}")
        return value

    @field_validator("segments")
    @classmethod
    def _segments(cls, value: str) -> str:
        unknown = [d for d in parse_list(value) if d not in DIMENSIONS]
        if unknown:
            raise ValueError(f"unknown dimensions {unknown}; use {', '.join(DIMENSIONS)}")
        return value

    @field_validator("window_months", "horizon_days", "min_segment_size")
    @classmethod
    def _non_negative(cls, value: int) -> int:
        if value < 0:
            raise ValueError("must be 0 or more")
        return value

    @field_validator("alpha")
    @classmethod
    def _alpha(cls, value: float) -> float:
        if not 0 < value < 1:
            raise ValueError("alpha must be between 0 and 1")
        return value

    @field_validator("min_change")
    @classmethod
    def _min_change(cls, value: float) -> float:
        if not 0 <= value < 1:
            raise ValueError("min_change is a relative change between 0 and 1")
        return value

    @field_validator("change_date")
    @classmethod
    def _change_date(cls, value: str) -> str:
        if value:
            try:
                dt.date.fromisoformat(value)
            except ValueError:
                raise ValueError("change_date must be YYYY-MM-DD or empty") from None
        return value

    @property
    def stage_list(self) -> tuple[str, ...]:
        """The open stages given by ``stages`` (empty: the source's)."""
        return parse_list(self.stages)

    @property
    def dimension_list(self) -> tuple[str, ...]:
        """The dimensions of ``segments``, in order."""
        return parse_list(self.segments)

    @property
    def adopting_list(self) -> tuple[str, ...]:
        """The unit ids of ``adopting``."""
        return parse_list(self.adopting)

    @property
    def change_day(self) -> dt.date | None:
        """``change_date`` as a date (None when empty)."""
        return dt.date.fromisoformat(self.change_date) if self.change_date else None

    @property
    def baseline_months(self) -> tuple[int, ...]:
        """Months before the reporting month that form the baseline (1 = the previous month)."""
        if self.compare_to == "same-month-last-year":
            return (12,)
        if self.compare_to == "previous-month":
            return (1,)
        n = int(_COMPARE.fullmatch(self.compare_to).group(1))  # type: ignore[union-attr]
        return tuple(range(n, 0, -1))
