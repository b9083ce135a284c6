"""Parameters of the funnel diagnosis report (``notebooks/funnel_diagnosis.ipynb``)."""

from __future__ import annotations

import datetime as dt
import re

from pydantic import field_validator

from salesops_lib.config.params import ReportParams

DIMENSIONS = ("region", "team", "rep", "channel", "product", "industry")
"""Dimensions a funnel can be broken down by: the org levels, the lead's channel, the deal's
product and the account's industry."""

_COMPARE = re.compile(r"previous-(\d+)-months?|previous-month|same-month-last-year")  # used with fullmatch


class FunnelDiagnosisParams(ReportParams):
    """Funnel diagnosis: where deals are lost, why it changed, what a process change did."""

    #: open stages in order, comma-separated ("" = the source's stage order; won/lost come from the source)
    stages: str = ""
    #: months of created deals in the funnel, ending with the reporting month (0 = the whole history)
    window_months: int = 12
    #: baseline of the month's changes: previous-N-months (mean of their monthly rates),
    #: previous-month or same-month-last-year
    compare_to: str = "previous-6-months"
    #: dimension whose units are screened for changes and carry the bridge (region, team, rep, channel,
    #: product, industry); team when the report is limited to one region and this is region
    segment: str = "region"
    #: dimensions compared segment by segment and used to explain a change, comma-separated
    segments: str = "region,team,rep,channel,product,industry"
    #: days after creation at which cohorts are compared (older cohorts are cut at the same age)
    horizon_days: int = 90
    #: significance level after multiple-comparison control (Holm)
    alpha: float = 0.05
    #: smallest number of decided deals (or leads) for a segment to be ranked; smaller ones are flagged
    min_segment_size: int = 30
    #: smallest relative change of a rate that is worth a finding (0.10 = 10 %)
    min_change: float = 0.10
    #: date a process change took effect, YYYY-MM-DD ("" = look for one in the data)
    change_date: str = ""
    #: ids of the org units (regions, teams or reps) that adopted it, comma-separated
    #: ("" = every unit when a date is given; found in the data otherwise)
    adopting: str = ""
    #: open stage whose duration and conversion the change targets ("" = every open stage is screened)
    change_stage: str = ""

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
        unknown = [d for d in _split(value) if d not in DIMENSIONS]
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
        return tuple(_split(self.stages))

    @property
    def dimension_list(self) -> tuple[str, ...]:
        """The dimensions of ``segments``, in order."""
        return tuple(_split(self.segments))

    @property
    def adopting_list(self) -> tuple[str, ...]:
        """The unit ids of ``adopting``."""
        return tuple(_split(self.adopting))

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


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]
