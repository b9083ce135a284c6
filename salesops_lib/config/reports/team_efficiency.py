"""Parameters of the team-efficiency report (per-FTE productivity, scorecard, drivers, ramp, incentives)."""

from __future__ import annotations

from typing import Literal

from pydantic import field_validator, model_validator

from salesops_lib.config.params import ReportParams

Benchmark = Literal["company", "median", "peer"]


class TeamEfficiencyParams(ReportParams):
    """Team efficiency: who produces how much per head, why, and what a commission plan costs."""

    #: trailing calendar months, ending with the period, over which units are compared per FTE
    window_months: int = 6
    #: benchmark of the comparison: company (FTE-weighted company average), median (median unit) or
    #: peer (teams vs the other teams of their region, reps vs the other reps of their team)
    benchmark: Benchmark = "company"
    #: a unit is flagged when its revenue per FTE is at least this far below the benchmark (0.20 = 20 %) …
    gap_threshold: float = 0.20
    #: … and the shortfall is statistically clear at this confidence (intervals from month-to-month variation)
    confidence: float = 0.95
    #: teams and regions averaging fewer FTE than this in the window are shown but never flagged
    min_fte: float = 2.0
    #: reps employed less than this FTE in a window (or quarter) are left out of rep flags and the scorecard
    min_rep_fte: float = 0.5
    #: months of rep history (ending with the period) for the driver regression and the ramp curve
    history_months: int = 36
    #: activity types (activities.type) whose counts per FTE are regressed as drivers, comma-separated
    activities: str = "visit,call,meeting"
    #: stage name that counts as a proposal (stage_history), for the scorecard's proposal metrics
    proposal_stage: str = "proposal"
    #: share of a tenured rep's productivity that counts as fully ramped (time to full productivity)
    full_productivity: float = 0.90
    #: scorecard weights (process metrics): visits, calls and proposals per FTE-month, proposal rate
    w_visits: float = 0.10
    w_calls: float = 0.10
    w_proposals: float = 0.05
    w_proposal_rate: float = 0.05
    #: scorecard weights (result metrics): attainment, collection rate, win rate, revenue per FTE
    w_attainment: float = 0.30
    w_collection_rate: float = 0.10
    w_win_rate: float = 0.15
    w_revenue_per_fte: float = 0.15
    #: quarterly stars: the top N reps of each quarter's scorecard (ties at the boundary all get a star)
    stars: int = 3
    #: commission on revenue up to 100 % of target
    base_rate: float = 0.03
    #: commission on revenue above 100 % of target (the accelerator)
    accelerator_rate: float = 0.06
    #: attainment above which revenue earns no more commission (1.5 = capped at 150 % of target)
    attainment_cap: float = 1.5
    #: bonus per quarterly star (currency)
    star_bonus: float = 5000.0
    #: what-if: revenue changes simulated on the plan, comma-separated (0.1 = every rep sells 10 % more)
    whatif_uplifts: str = "-0.1,0.1,0.2"

    @field_validator("window_months", "history_months", "stars")
    @classmethod
    def _positive(cls, value: int) -> int:
        if value < 1:
            raise ValueError("must be at least 1")
        return value

    @field_validator("gap_threshold", "base_rate", "accelerator_rate", "star_bonus", "min_fte", "min_rep_fte",
                     "w_visits", "w_calls", "w_proposals", "w_proposal_rate", "w_attainment",
                     "w_collection_rate", "w_win_rate", "w_revenue_per_fte")
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
        for part in value.split(","):
            if part.strip():
                try:
                    float(part)
                except ValueError:
                    raise ValueError(f"{part.strip()!r} is not a number (give e.g. -0.1,0.1,0.2)") from None
        return value

    @model_validator(mode="after")
    def _some_weight(self) -> TeamEfficiencyParams:
        if sum(self.weights.values()) <= 0:
            raise ValueError("at least one scorecard weight must be positive")
        return self

    @property
    def weights(self) -> dict[str, float]:
        """Scorecard weight by component name."""
        return {"visits": self.w_visits, "calls": self.w_calls, "proposals": self.w_proposals,
                "proposal_rate": self.w_proposal_rate, "attainment": self.w_attainment,
                "collection_rate": self.w_collection_rate, "win_rate": self.w_win_rate,
                "revenue_per_fte": self.w_revenue_per_fte}

    @property
    def activity_types(self) -> tuple[str, ...]:
        """Driver activity types, in order, without blanks."""
        return tuple(dict.fromkeys(p.strip() for p in self.activities.split(",") if p.strip()))

    @property
    def uplifts(self) -> tuple[float, ...]:
        """What-if revenue changes."""
        return tuple(float(p) for p in self.whatif_uplifts.split(",") if p.strip())
