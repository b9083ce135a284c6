"""Parameters of target tracking (attainment, seasonal pacing, persistence warnings)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import field_validator, model_validator

from salesops_lib.config.params import ReportParams, period_bounds, resolve_period

TRACKED_LEVELS = ("region", "team", "rep")


class TargetTrackingParams(ReportParams):
    """Target tracking: attainment at every level, pacing against the seasonal plan, early warnings."""

    #: as-of date YYYY-MM-DD inside the reporting month ("" = its last day)
    as_of: str = ""
    #: period of the persistence rule: week (ISO, Monday–Sunday) or month
    alert_grain: Literal["week", "month"] = "week"
    #: consecutive complete periods below the threshold that raise an alert
    alert_periods: int = 3
    #: attainment threshold: an alert needs attainment strictly below it in every one of those periods
    alert_threshold: float = 0.8
    #: org levels the rule watches, comma-separated (rep, team, region)
    alert_levels: str = "rep"
    #: complete ISO weeks shown in the weekly table and heatmap
    weeks_shown: int = 13
    #: projected attainment at the end of the quarter or year below which a unit is off pace
    pace_threshold: float = 0.9

    @field_validator("alert_periods", "weeks_shown")
    @classmethod
    def _positive(cls, value: int) -> int:
        if value < 1:
            raise ValueError("must be at least 1")
        return value

    @field_validator("alert_threshold", "pace_threshold")
    @classmethod
    def _ratio(cls, value: float) -> float:
        if not 0 < value <= 2:
            raise ValueError("an attainment threshold lies between 0 and 2 (0.8 = 80 %)")
        return value

    @model_validator(mode="after")
    def _check(self) -> TargetTrackingParams:
        self.levels, self.as_of_date  # noqa: B018 — validate now
        return self

    @property
    def levels(self) -> tuple[str, ...]:
        """``alert_levels`` as a tuple of level names."""
        names = tuple(n.strip() for n in self.alert_levels.split(",") if n.strip())
        unknown = [n for n in names if n not in TRACKED_LEVELS]
        if unknown or not names:
            raise ValueError(f"alert_levels: use one or more of {', '.join(TRACKED_LEVELS)}")
        return names

    @property
    def as_of_date(self) -> dt.date:
        """The as-of date: ``as_of``, or the last day of the reporting month."""
        first, last = period_bounds(resolve_period(self.period))  # the default period is not validated
        if not self.as_of:
            return last
        try:
            day = dt.date.fromisoformat(self.as_of)
        except ValueError:
            raise ValueError(f"as_of must be a date YYYY-MM-DD, got {self.as_of!r}") from None
        if not first <= day <= last:
            raise ValueError(f"as_of {day} lies outside the reporting month {self.period}")
        return day
