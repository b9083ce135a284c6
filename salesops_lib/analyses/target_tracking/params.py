"""Parameters of target tracking (attainment, seasonal pacing, persistence warnings).

The as-of date must lie inside the reporting month, which is the run scope's: that check is
made by :func:`~salesops_lib.analyses.target_tracking.compute.as_of_date`, not here.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field, field_validator

from salesops_lib.config.scope import AnalysisParams
from salesops_lib.core.lists import parse_list

TRACKED_LEVELS = ("region", "team", "rep")


class TargetTrackingParams(AnalysisParams):
    """Target tracking: attainment at every level, pacing against the seasonal plan, early warnings."""

    as_of: str = Field("", description="as-of date YYYY-MM-DD inside the reporting month, empty for its last day")
    alert_grain: Literal["week", "month"] = Field(
        "week", description="period of the persistence rule - week (ISO, Monday to Sunday) or month"
    )
    alert_periods: int = Field(3, description="consecutive complete periods below the threshold that raise an alert")
    alert_threshold: float = Field(
        0.8, description="attainment threshold - an alert needs attainment strictly below it in each period"
    )
    alert_levels: str = Field("rep", description="levels the rule watches - rep, team, region (comma-separated)")
    alert_mode: Literal["own_variability", "fixed"] = Field(
        "own_variability",
        description="own_variability - each period also below the unit's own normal range (alert_z spreads under "
        "its typical level); fixed - the threshold alone",
    )
    alert_z: float = Field(
        1.0,
        description="own_variability - a period counts only when attainment lies more than this many of the "
        "unit's own period-to-period spreads below its typical level",
    )
    alert_history: int = Field(
        26, description="complete periods before the run that set each unit's typical level and spread"
    )
    weeks_shown: int = Field(13, description="complete ISO weeks in the weekly table and heat map")
    pace_threshold: float = Field(
        0.9, description="projected attainment at the end of the quarter or year below which a unit is off pace"
    )

    @field_validator("alert_periods", "weeks_shown", "alert_history")
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

    @field_validator("alert_z")
    @classmethod
    def _spreads(cls, value: float) -> float:
        if not 0 <= value <= 5:
            raise ValueError("alert_z is a number of spreads between 0 and 5 (1 = one spread below normal)")
        return value

    @field_validator("alert_levels")
    @classmethod
    def _levels(cls, value: str) -> str:
        names = parse_list(value)
        if not names or any(n not in TRACKED_LEVELS for n in names):
            raise ValueError(f"use one or more of {', '.join(TRACKED_LEVELS)}")
        return value

    @field_validator("as_of")
    @classmethod
    def _as_of(cls, value: str) -> str:
        if value:
            try:
                dt.date.fromisoformat(value)
            except ValueError:
                raise ValueError(f"as_of must be a date YYYY-MM-DD, got {value!r}") from None
        return value

    @property
    def levels(self) -> tuple[str, ...]:
        """``alert_levels`` as a tuple of level names."""
        return parse_list(self.alert_levels)
