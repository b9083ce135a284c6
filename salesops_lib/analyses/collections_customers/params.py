"""Parameters of the collections and customer-value report."""

from __future__ import annotations

from pydantic import Field

from salesops_lib.config.scope import AnalysisParams


class CollectionsCustomersParams(AnalysisParams):
    """Receivables (collection rate, DSO, CEI, aging, chase list), customer value (cohorts,
    historical and predictive LTV) and key-account churn risk, as of the end of the period.
    """

    overdue_window_days: int = Field(
        91, ge=7, le=365, description="days of due dates whose unpaid share is compared with history and other regions"
    )
    history_windows: int = Field(
        4, ge=1, le=12, description="earlier windows of the same length forming a region's own history"
    )
    alpha: float = Field(
        0.001,
        gt=0,
        lt=0.5,
        description="one-sided significance level of the collections-slip test, Bonferroni over regions",
    )
    min_overdue_increase: float = Field(
        0.10, gt=0, lt=1, description="smallest rise of the overdue share worth a finding, absolute (0.10 is 10 points)"
    )
    chase_list: int = Field(20, ge=1, le=500, description="overdue invoices on the list to chase first")
    key_accounts: int = Field(
        20, ge=1, le=1000, description="key accounts are the top N customers by value over the last 12 months"
    )
    churn_decline: float = Field(
        0.5, gt=0, lt=1, description="a key account is at risk when its last 6 months fell by at least this share"
    )
    cohort_warmup_months: int = Field(
        12, ge=0, le=60, description="months at the start of the data whose first bookings may be older customers"
    )
    holdout_months: int = Field(6, ge=1, le=24, description="months held out to check the predictive LTV model")
    ltv_horizon_months: int = Field(12, ge=1, le=60, description="months ahead the predictive LTV covers")
