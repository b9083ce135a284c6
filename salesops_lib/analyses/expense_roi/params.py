"""Parameters of the expense ROI and budget control report (``expense_roi``): its own only; where
and when a run looks is its :class:`~salesops_lib.config.scope.RunScope`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from salesops_lib.config.scope import AnalysisParams

Attribution = Literal["first_touch", "last_touch"]
BudgetLevel = Literal["", "company", "region", "team", "rep"]


class ExpenseRoiParams(AnalysisParams):
    """Budget vs actual, campaign ROI, spend–output response and expense ratio for the month."""

    #: year to date runs from this month to the period's end
    fiscal_year_start: int = Field(1, description="first month of the fiscal year, 1 for January")
    budget_level: BudgetLevel = Field(
        "",
        description="org level of the budget lines compared (company, region, team, rep), empty for the coarsest level used",
    )
    overrun_threshold: float = Field(
        0.10, description="year-to-date spend over budget by at least this share is an overrun"
    )
    #: small lines do not raise flags
    overrun_min_amount: float = Field(10_000.0, description="and by at least this much money")
    campaign_months: int = Field(
        12, description="campaigns started within this many months up to the period end are evaluated"
    )
    #: last_touch: the latest campaign lead of the deal's account up to the deal's creation
    attribution: Attribution = Field(
        "first_touch",
        description="first_touch (campaign of the deal's own lead) or last_touch (latest campaign lead of the account)",
    )
    low_roi_fraction: float = Field(
        0.25, description="low ROI when pipeline per cost is at most this share of the type's median"
    )
    low_roi_min_cost: float = Field(20_000.0, description="and the campaign cost at least this much money")
    maturity_days: int = Field(
        30, description="campaigns that ended fewer days before the period end are shown but not judged"
    )
    response_output: Literal["revenue", "pipeline"] = Field(
        "revenue", description="output of the spend-output model - revenue or pipeline"
    )
    response_period: Literal["month", "week"] = Field(
        "month", description="time grain of the spend-output model - month or week"
    )
    #: region adds region fixed effects
    response_level: Literal["company", "region"] = Field(
        "region", description="unit of the spend-output panel - region or company"
    )
    response_months: int = Field(0, description="months of history for the spend-output model, 0 for all")
    #: geometric carry-over, 0 … 0.9
    adstock: str = Field(
        "auto", description="carry-over of spend into later periods 0 to 0.9, or auto to choose it per category by fit"
    )
    max_shift: float = Field(
        0.20, description="the model-based reallocation moves at most this share of a category's spend"
    )
    expense_ratio_threshold: float = Field(
        0.25, description="a region whose expense ratio exceeds the company's by this share is noted"
    )
    source_is_simulated: bool = Field(
        False, description="the source is simulated data - every estimate carries that caveat"
    )

    @field_validator("fiscal_year_start")
    @classmethod
    def _month(cls, value: int) -> int:
        if not 1 <= value <= 12:
            raise ValueError("fiscal_year_start must be a month number 1 … 12")
        return value

    @field_validator(
        "overrun_threshold",
        "low_roi_fraction",
        "low_roi_min_cost",
        "max_shift",
        "expense_ratio_threshold",
        "overrun_min_amount",
    )
    @classmethod
    def _non_negative(cls, value: float) -> float:
        if value < 0:
            raise ValueError("must be ≥ 0")
        return value

    @field_validator("campaign_months", "maturity_days", "response_months")
    @classmethod
    def _count(cls, value: int) -> int:
        if value < 0:
            raise ValueError("must be ≥ 0")
        return value

    @field_validator("adstock")
    @classmethod
    def _adstock(cls, value: str) -> str:
        if value == "auto":
            return value
        try:
            decay = float(value)
        except ValueError:
            raise ValueError("adstock must be 'auto' or a number 0 … 0.9") from None
        if not 0 <= decay <= 0.9:
            raise ValueError("adstock must be 'auto' or a number 0 … 0.9")
        return value

    @model_validator(mode="after")
    def _shift(self) -> ExpenseRoiParams:
        if self.max_shift > 1:
            raise ValueError("max_shift is a share of a category's spend: 0 … 1")
        return self

    @property
    def adstock_decay(self) -> float | None:
        """The fixed carry-over, or None when it is chosen by fit."""
        return None if self.adstock == "auto" else float(self.adstock)
