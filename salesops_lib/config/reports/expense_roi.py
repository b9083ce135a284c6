"""Parameters of the expense ROI and budget control report (``expense_roi``)."""

from __future__ import annotations

from typing import Literal

from pydantic import field_validator, model_validator

from salesops_lib.config.params import ReportParams

Attribution = Literal["first_touch", "last_touch"]
BudgetLevel = Literal["", "company", "region", "team", "rep"]


class ExpenseRoiParams(ReportParams):
    """Budget vs actual, campaign ROI, spend–output response and expense ratio for the month."""

    #: first month of the fiscal year (1 = January); year to date runs from it to the period's end
    fiscal_year_start: int = 1
    #: org level at which budgets are compared ("" = the coarsest level the budget lines use)
    budget_level: BudgetLevel = ""
    #: year-to-date spend above budget by at least this share is an overrun (0.10 = 10 %)
    overrun_threshold: float = 0.10
    #: ... and by at least this much money (small lines do not raise flags)
    overrun_min_amount: float = 10_000.0
    #: campaigns that started within this many months up to the period's end are evaluated
    campaign_months: int = 12
    #: which campaign gets a deal: first_touch = the campaign of the deal's own lead;
    #: last_touch = the latest campaign lead of the deal's account up to the deal's creation
    attribution: Attribution = "first_touch"
    #: a campaign is low-ROI when its pipeline per cost is at most this share of its type's median
    low_roi_fraction: float = 0.25
    #: ... and it cost at least this much (enough money to matter)
    low_roi_min_cost: float = 20_000.0
    #: campaigns that ended fewer days than this before the period's end are shown, not judged
    maturity_days: int = 30
    #: output of the spend–output model: booked revenue or pipeline created
    response_output: Literal["revenue", "pipeline"] = "revenue"
    #: time grain of the spend–output model
    response_period: Literal["month", "week"] = "month"
    #: unit of the spend–output panel (region adds region fixed effects)
    response_level: Literal["company", "region"] = "region"
    #: months of history the spend–output model uses (0 = all up to the period's end)
    response_months: int = 0
    #: geometric carry-over of spend into later periods, 0 … 0.9, or "auto" (chosen per category by fit)
    adstock: str = "auto"
    #: the model-based reallocation moves at most this share of a category's spend
    max_shift: float = 0.20
    #: a unit whose expense ratio exceeds the company's by this share is noted (0.25 = 25 %)
    expense_ratio_threshold: float = 0.25
    #: the source is simulated data: every estimate on the page carries that caveat
    source_is_simulated: bool = False

    @field_validator("fiscal_year_start")
    @classmethod
    def _month(cls, value: int) -> int:
        if not 1 <= value <= 12:
            raise ValueError("fiscal_year_start must be a month number 1 … 12")
        return value

    @field_validator("overrun_threshold", "low_roi_fraction", "low_roi_min_cost", "max_shift",
                     "expense_ratio_threshold", "overrun_min_amount")
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
