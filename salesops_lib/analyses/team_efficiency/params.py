"""Parameters of the team-efficiency analysis (per-FTE productivity, scorecard, drivers, ramp, incentives)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from salesops_lib.config.scope import AnalysisParams
from salesops_lib.core.lists import parse_list

Benchmark = Literal["company", "median", "peer"]


class TeamEfficiencyParams(AnalysisParams):
    """Team efficiency: who produces how much per head, why, and what a commission plan costs."""

    window_months: int = Field(
        6, description="trailing months ending with the period over which units are compared per FTE"
    )
    #: company (FTE-weighted company average), median (median unit) or peer (teams vs the other
    #: teams of their region, reps vs the other reps of their team)
    benchmark: Benchmark = Field(
        "company", description="company (FTE-weighted average), median (median unit) or peer (same region / same team)"
    )
    gap_threshold: float = Field(
        0.20, description="flag units at least this far below the benchmark, 0.2 means 20 percent"
    )
    #: intervals come from the units' month-to-month variation
    confidence: float = Field(
        0.95, description="confidence level of the intervals that decide whether a shortfall is clear"
    )
    min_fte: float = Field(2.0, description="teams and regions averaging fewer FTE are shown but never flagged")
    active_grace_days: int = Field(
        30,
        description="days a rep counts as selling before their first and after their last lead, deal, order or "
        "activity (FTE is employed time inside that span; a rep with no trace in or around the window counts 0)",
    )
    permutations: int = Field(
        2000, description="random reassignments of reps to teams behind each team's composition p-value"
    )
    seed: int = Field(20240619, description="seed of the reassignments (the same data gives the same p-values)")
    min_rep_fte: float = Field(
        0.5, description="reps employed less than this FTE are left out of rep flags and the scorecard"
    )
    history_months: int = Field(36, description="months of rep history for the driver regression and the ramp curve")
    activities: str = Field("visit,call,meeting", description="comma-separated activity types regressed as drivers")
    proposal_stage: str = Field("proposal", description="stage name that counts as a proposal in the stage history")
    full_productivity: float = Field(0.90, description="share of a ramped rep output that counts as fully productive")
    # scorecard weights: process metrics, then result metrics
    w_visits: float = Field(0.10, description="scorecard weight of visits per FTE-month")
    w_calls: float = Field(0.10, description="scorecard weight of calls per FTE-month")
    w_proposals: float = Field(0.05, description="scorecard weight of proposals per FTE-month")
    w_proposal_rate: float = Field(0.05, description="scorecard weight of the proposal rate of closed deals")
    w_attainment: float = Field(0.30, description="scorecard weight of target attainment")
    w_collection_rate: float = Field(0.10, description="scorecard weight of the collection rate")
    w_win_rate: float = Field(0.15, description="scorecard weight of the win rate")
    w_revenue_per_fte: float = Field(0.15, description="scorecard weight of revenue per FTE-month")
    stars: int = Field(3, description="quarterly stars - the top N of each quarter, ties at the boundary all count")
    base_rate: float = Field(0.03, description="commission rate on revenue up to 100 percent of target")
    accelerator_rate: float = Field(0.06, description="commission rate on revenue above 100 percent of target")
    attainment_cap: float = Field(
        1.5, description="attainment above which revenue earns no more commission, 1.5 means 150 percent"
    )
    star_bonus: float = Field(5000.0, description="bonus per quarterly star in the currency")
    #: 0.1 = every rep sells 10 % more
    whatif_uplifts: str = Field(
        "-0.1,0.1,0.2", description="comma-separated revenue changes simulated on the commission plan"
    )

    @field_validator("window_months", "history_months", "stars", "permutations")
    @classmethod
    def _positive(cls, value: int) -> int:
        if value < 1:
            raise ValueError("must be at least 1")
        return value

    @field_validator(
        "gap_threshold",
        "base_rate",
        "accelerator_rate",
        "star_bonus",
        "min_fte",
        "min_rep_fte",
        "active_grace_days",
        "w_visits",
        "w_calls",
        "w_proposals",
        "w_proposal_rate",
        "w_attainment",
        "w_collection_rate",
        "w_win_rate",
        "w_revenue_per_fte",
    )
    @classmethod
    def _not_negative(cls, value: float) -> float:
        if value < 0:
            raise ValueError("must not be negative")
        return value

    @field_validator("confidence", "full_productivity")
    @classmethod
    def _share(cls, value: float) -> float:
        if not 0 < value < 1:
            raise ValueError("must be between 0 and 1 (exclusive)")
        return value

    @field_validator("attainment_cap")
    @classmethod
    def _cap(cls, value: float) -> float:
        if value < 1:
            raise ValueError("the attainment cap must be at least 1.0 (100 % of target)")
        return value

    @field_validator("whatif_uplifts")
    @classmethod
    def _uplifts(cls, value: str) -> str:
        for part in parse_list(value):
            try:
                float(part)
            except ValueError:
                raise ValueError(f"{part!r} is not a number (give e.g. -0.1,0.1,0.2)") from None
        return value

    @model_validator(mode="after")
    def _some_weight(self) -> TeamEfficiencyParams:
        if sum(self.weights.values()) <= 0:
            raise ValueError("at least one scorecard weight must be positive")
        return self

    @property
    def weights(self) -> dict[str, float]:
        """Scorecard weight by component name."""
        return {
            "visits": self.w_visits,
            "calls": self.w_calls,
            "proposals": self.w_proposals,
            "proposal_rate": self.w_proposal_rate,
            "attainment": self.w_attainment,
            "collection_rate": self.w_collection_rate,
            "win_rate": self.w_win_rate,
            "revenue_per_fte": self.w_revenue_per_fte,
        }

    @property
    def activity_types(self) -> tuple[str, ...]:
        """Driver activity types, in order, without blanks or repeats."""
        return tuple(dict.fromkeys(parse_list(self.activities)))

    @property
    def uplifts(self) -> tuple[float, ...]:
        """What-if revenue changes."""
        return tuple(float(p) for p in parse_list(self.whatif_uplifts))
