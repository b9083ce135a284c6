"""Sizes, model parameters and the resolved configuration of one demo dataset.

Every number the generator uses lives here (or is drawn from a seeded stream), so a dataset
is fully determined by ``(size, variant, seed, as_of)`` and :data:`GENERATOR_VERSION`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from salesops_lib.errors import ConfigError

GENERATOR_VERSION = "4"
"""Bumped whenever the generator's output changes, so cached demo files are never stale."""

SIZES: tuple[str, ...] = ("small", "default", "large")
VARIANTS: tuple[str, ...] = ("planted", "null")
DEFAULT_SEED = 42
HISTORY_MONTHS = 36
"""Months of history ending with the ``as_of`` month (inclusive)."""

REGIONS: tuple[str, ...] = ("east", "north", "south", "southwest", "central")
REGION_NAMES: dict[str, str] = {
    "east": "华东",
    "north": "华北",
    "south": "华南",
    "southwest": "西南",
    "central": "华中",
}

CHANNELS: tuple[str, ...] = ("web", "telemarketing", "referral", "partner", "seminar", "expo")
CHANNEL_NAMES: dict[str, str] = {
    "web": "官网/线上推广",
    "telemarketing": "电话营销",
    "referral": "客户推荐",
    "partner": "渠道伙伴",
    "seminar": "研讨会",
    "expo": "展会",
}
STAGES: tuple[str, ...] = ("lead", "follow-up", "proposal", "negotiation", "won", "lost")
"""The workbench's default stage order (:class:`salesops_lib.config.StageOrder`)."""

EXPENSE_CATEGORIES: tuple[str, ...] = ("travel", "entertainment", "events", "promotion")
SEGMENTS: tuple[str, ...] = ("enterprise", "mid-market", "smb")
INDUSTRIES: tuple[str, ...] = (
    "manufacturing",
    "retail",
    "healthcare",
    "finance",
    "logistics",
    "education",
    "energy",
    "it_services",
)

# Spring Festival (Chinese New Year's day) by the lunar calendar.
CNY_DATES: dict[int, dt.date] = {
    y: dt.date.fromisoformat(s)
    for y, s in {
        2015: "2015-02-19",
        2016: "2016-02-08",
        2017: "2017-01-28",
        2018: "2018-02-16",
        2019: "2019-02-05",
        2020: "2020-01-25",
        2021: "2021-02-12",
        2022: "2022-02-01",
        2023: "2023-01-22",
        2024: "2024-02-10",
        2025: "2025-01-29",
        2026: "2026-02-17",
        2027: "2027-02-06",
        2028: "2028-01-26",
        2029: "2029-02-13",
        2030: "2030-02-03",
        2031: "2031-01-23",
        2032: "2032-02-11",
        2033: "2033-01-31",
        2034: "2034-02-19",
        2035: "2035-02-08",
    }.items()
}
AS_OF_RANGE = (dt.date(2019, 1, 1), dt.date(2034, 6, 30))
"""``as_of`` dates the calendar tables cover (3 years back, half a year ahead)."""


@dataclass(frozen=True)
class SizeSpec:
    """How big the organisation is; everything else scales from it."""

    name: str
    #: teams per region, in :data:`REGIONS` order
    teams_per_region: tuple[int, ...]
    #: positions per team at the start of the history (headcount then grows)
    slots_per_team: int
    #: teams generated (and written) per chunk; bounds peak memory
    chunk_teams: int
    #: accounts in each position's book
    book_size: int = 150


SIZE_SPECS: dict[str, SizeSpec] = {
    "small": SizeSpec("small", (2, 2, 2, 2, 2), 4, chunk_teams=10_000),
    "default": SizeSpec("default", (11, 9, 9, 6, 5), 9, chunk_teams=10_000),
    "large": SizeSpec("large", (176, 144, 144, 96, 80), 9, chunk_teams=40),
}


@dataclass(frozen=True)
class Model:
    """The generator's structural parameters (identical for both variants)."""

    # --- revenue: company monthly revenue = trend × season × Spring Festival × noise
    #: expected revenue of one fully ramped rep-month at the start of the history (CNY)
    revenue_per_rep_month: float = 225_000.0
    #: yearly revenue growth of the trend
    growth: float = 0.10
    #: seasonal factors by calendar month (mean ~1): strong Q4, the "618" bump in June and a
    #: quarter-end push (the last month of each quarter × ~1.08, the first × ~0.92); Jan/Feb are
    #: further cut by the Spring Festival
    season: tuple[float, ...] = (0.89, 1.02, 1.08, 0.87, 0.96, 1.13, 0.81, 0.88, 1.07, 0.85, 1.10, 1.38)
    #: day multiplier from 7 days before to 7 days after Spring Festival, then for the following week
    cny_core: float = 0.25
    cny_tail: float = 0.60
    #: weekday weights Mon..Sun for when business happens inside a month
    weekday: tuple[float, ...] = (1.0, 1.0, 1.0, 1.0, 1.0, 0.25, 0.10)
    #: month-end push: business days among the last ``month_end_days`` of a month weigh × this
    month_end_push: float = 1.4
    month_end_days: int = 4
    #: company-wide monthly noise (log-sd)
    month_noise: float = 0.05
    #: order counts are negative binomial: Poisson × a gamma(k) rep-month factor × a gamma(k) rep-week
    #: factor (mean 1; CV 1/sqrt(k))
    rep_month_shape: float = 20.0
    rep_week_shape: float = 16.0
    #: deal size ÷ the rep's average: log-normal (log-sd) with rare outliers × U(lo, hi), mean 1
    deal_size_sd: float = 0.75
    outlier_share: float = 0.008
    outlier_range: tuple[float, float] = (3.0, 10.0)
    #: win odds and lead conversion by calendar month of the close / lead (× the base; Jan … Dec)
    win_season: tuple[float, ...] = (0.90, 0.92, 1.02, 0.98, 1.00, 1.08, 0.92, 0.92, 1.02, 0.94, 1.06, 1.14)
    conversion_season: tuple[float, ...] = (0.93, 0.92, 1.02, 1.00, 1.00, 1.05, 0.96, 0.95, 1.02, 0.96, 1.04, 1.10)
    # --- org
    growth_headcount: float = 0.08
    attrition_monthly: float = 0.012
    skill_sd: float = 0.45
    #: share of reps with one spell of leave (no selling, no activity, no target) of ``leave_months``
    leave_share: float = 0.06
    leave_months: tuple[int, int] = (3, 9)
    #: share of tenured reps employed at as_of who have stopped selling 6–12 months before it
    #: (still on the roster: zero deals in the latest half year)
    inactive_share: float = 0.08
    #: ramp: productivity of a new hire after t months = 1 - exp(-t / ramp_tau) (90 % at month 6)
    ramp_tau: float = 2.6058
    team_factor_range: tuple[float, float] = (0.93, 1.07)
    # --- activities drive results: E[revenue] ∝ (visits/FTE ÷ visits_norm)^visit_elasticity × (calls…)^call_elasticity
    visits_norm: float = 20.0
    calls_norm: float = 35.0
    meetings_norm: float = 4.0
    visit_elasticity: float = 0.45
    call_elasticity: float = 0.15
    # --- deals
    order_size: float = 15_000.0
    win_rate: float = 0.35
    lost_stage_p: tuple[float, ...] = (0.35, 0.30, 0.20, 0.15)
    #: mean days in lead, follow-up, proposal, negotiation (gamma shapes below)
    stage_days: tuple[float, ...] = (5.0, 15.0, 18.0, 12.0)
    stage_shape: tuple[float, ...] = (2.0, 4.0, 3.0, 3.0)
    lead_share_of_deals: float = 0.70
    lead_lag_p: tuple[float, ...] = (0.25, 0.25, 0.18, 0.12, 0.10, 0.06, 0.04)
    #: channel shares of all leads and their lead→opportunity conversion (order of CHANNELS)
    channel_lead_share: tuple[float, ...] = (0.42, 0.20, 0.10, 0.13, 0.12, 0.03)
    channel_conversion: tuple[float, ...] = (0.15, 0.12, 0.55, 0.40, 0.30, 0.25)
    #: sourced pipeline ÷ campaign cost, drawn per campaign: log-normal (median, log-sd), floor
    campaign_pipeline_ratio: tuple[float, float] = (10.0, 0.45)
    campaign_ratio_floor: float = 2.0
    # --- key accounts: framework agreements with weekly call-off orders
    key_accounts: int = 24
    key_account_top: float = 0.5
    key_account_decay: float = 0.94
    #: monthly log-sd of each key account's random-walk drift (accounts grow and shrink)
    key_account_drift: float = 0.05
    # --- receivables
    payment_terms: tuple[int, ...] = (60, 45, 30)
    # --- expenses
    travel_per_visit: tuple[float, ...] = (420.0, 400.0, 430.0, 350.0, 330.0)
    entertainment_line: float = 1_200.0


@dataclass(frozen=True)
class Plant:
    """The planted effects' designed magnitudes (used in the planted variant only)."""

    conversion_drop: float = 0.15
    conversion_channel: str = "web"
    low_team_factor: float = 0.65
    expo_cost: float = 100_000.0
    expo_pipeline: float = 20_000.0
    alert_weeks: int = 8
    underperformer_band: tuple[float, float] = (0.45, 0.60)
    edge_pattern: tuple[float, ...] = (0.79, 0.81, 0.79)
    churn_factors: tuple[float, ...] = (0.80, 0.60, 0.40, 0.25, 0.15, 0.10)
    process_change_months_before: int = 9
    follow_up_after: float = 10.0
    adopting_regions: int = 2
    collections_extra_days: tuple[float, float] = (20.0, 60.0)
    collections_share: float = 0.70
    collections_window_days: int = 91
    overrun_category: str = "entertainment"
    overrun: float = 0.20


@dataclass(frozen=True)
class DemoConfig:
    """A resolved request: what to generate, validated."""

    size: SizeSpec
    variant: str
    seed: int
    as_of: dt.date
    model: Model = field(default_factory=Model)
    plant: Plant = field(default_factory=Plant)

    @property
    def planted(self) -> bool:
        """True for the variant with the planted effects."""
        return self.variant == "planted"

    @property
    def start(self) -> dt.date:
        """First day of the history: the first day of the month 35 months before ``as_of``'s."""
        index = self.as_of.year * 12 + self.as_of.month - 1 - (HISTORY_MONTHS - 1)
        return dt.date(index // 12, index % 12 + 1, 1)


def default_as_of(today: dt.date | None = None) -> dt.date:
    """The last day of the previous calendar month (so the latest month is complete)."""
    today = today or dt.date.today()
    return today.replace(day=1) - dt.timedelta(days=1)


def resolve_config(
    size: str = "default", variant: str = "planted", seed: object = DEFAULT_SEED, as_of: object = None
) -> DemoConfig:
    """Validate the arguments of a demo request; user errors raise :class:`ConfigError`.

    ``seed`` and ``as_of`` are checked whatever their type (they come from command lines and files):
    a non-negative integer, and a date, ``YYYY-MM-DD`` text or None.

    Examples
    --------
    >>> resolve_config("small", "null", 7, "2025-06-30").start
    datetime.date(2022, 7, 1)
    """
    if size not in SIZE_SPECS:
        raise ConfigError(f"unknown demo size {size!r}", fix=f"use one of: {', '.join(SIZES)}")
    if variant not in VARIANTS:
        raise ConfigError(f"unknown demo variant {variant!r}", fix=f"use one of: {', '.join(VARIANTS)}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ConfigError(f"invalid seed {seed!r}", fix="give a non-negative integer")
    if as_of is None:
        day = default_as_of()
    elif isinstance(as_of, dt.date):
        day = as_of
    else:
        try:
            day = dt.date.fromisoformat(str(as_of).strip())
        except ValueError:
            raise ConfigError(
                f"invalid as-of date {as_of!r}", fix="give a date as YYYY-MM-DD, e.g. 2025-06-30"
            ) from None
    lo, hi = AS_OF_RANGE
    if not lo <= day <= hi:
        raise ConfigError(
            f"as-of date {day} is outside the supported range",
            fix=f"choose a date between {lo} and {hi} (the Spring Festival table covers it)",
        )
    return DemoConfig(size=SIZE_SPECS[size], variant=variant, seed=seed, as_of=day)
