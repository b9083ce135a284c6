"""Parameters of the forecast (time series plus pipeline, projected attainment, risks)."""

from __future__ import annotations

import re

from pydantic import Field, field_validator

from salesops_lib.config.scope import AnalysisParams

_QUARTER = re.compile(r"(\d{4})Q([1-4])")  # fullmatch: `$` would accept a trailing newline


class ForecastParams(AnalysisParams):
    """Forecast: the period's projected attainment with calibrated intervals, and early risk warnings."""

    #: months forecast after the reporting month (the target quarter is always covered)
    horizon: int = Field(
        6, description="months forecast after the reporting month (the target quarter is always covered)"
    )
    #: quarter forecast against its target: "current" (the quarter still open after the reporting
    #: month — its own quarter, or the next one when the month closes it), "next" (the quarter
    #: after that) or a quarter "YYYYQn" that ends after the reporting month
    target_period: str = Field(
        "current", description="current (the quarter still open), next, or a quarter like 2025Q3"
    )
    #: rolling-origin backtest: earlier month-ends whose forecasts are checked against what happened
    backtest_origins: int = Field(
        12, description="earlier month-ends whose forecasts are checked against what happened"
    )
    #: pipeline coverage (open pipeline ÷ remaining target) below this share of the unit's usual
    #: coverage raises a thin-pipeline warning
    pipeline_coverage_threshold: float = Field(
        0.75, description="pipeline coverage below this share of the usual coverage is thin"
    )
    #: a unit whose probability of reaching its target is below this is flagged at risk
    risk_probability: float = Field(0.2, description="a unit whose chance of reaching target is below this is flagged")
    #: key accounts watched for declining orders (top N by revenue over the last 12 months)
    key_accounts: int = Field(
        20, description="key accounts watched for declining orders, top N by revenue of the last 12 months"
    )

    @field_validator("horizon")
    @classmethod
    def _horizon(cls, value: int) -> int:
        if not 1 <= value <= 24:
            raise ValueError("horizon is a number of months between 1 and 24")
        return value

    @field_validator("backtest_origins")
    @classmethod
    def _origins(cls, value: int) -> int:
        if not 2 <= value <= 36:
            raise ValueError("backtest_origins lies between 2 and 36")
        return value

    @field_validator("target_period")
    @classmethod
    def _target(cls, value: str) -> str:
        if value not in ("current", "next") and not _QUARTER.fullmatch(value):
            raise ValueError(f"target_period is current, next or a quarter like 2025Q3, got {value!r}")
        return value

    @field_validator("pipeline_coverage_threshold", "risk_probability")
    @classmethod
    def _share(cls, value: float) -> float:
        if not 0 < value < 1:
            raise ValueError("a share between 0 and 1")
        return value

    @field_validator("key_accounts")
    @classmethod
    def _accounts(cls, value: int) -> int:
        if value < 1:
            raise ValueError("key_accounts must be at least 1")
        return value
