"""Parameters of the collections and customer-value report."""

from __future__ import annotations

from pydantic import Field

from salesops_lib.config.params import ReportParams


class CollectionsCustomersParams(ReportParams):
    """Receivables (collection rate, DSO, CEI, aging, chase list), customer value (cohorts,
    historical and predictive LTV) and key-account churn risk, as of the end of ``period``."""

    #: days of due dates whose unpaid share is compared (now vs each region's history and peers)
    overdue_window_days: int = Field(91, ge=7, le=365)
    #: earlier windows of the same length that form each region's own history
    history_windows: int = Field(4, ge=1, le=12)
    #: one-sided significance level of the collections-slip test (Bonferroni over the regions)
    alpha: float = Field(0.001, gt=0, lt=0.5)
    #: smallest rise of the overdue share (absolute: 0.10 = 10 points) that is worth a finding
    min_overdue_increase: float = Field(0.10, gt=0, lt=1)
    #: overdue invoices on the list to chase first
    chase_list: int = Field(20, ge=1, le=500)
    #: key accounts = the top N customers by value over the last 12 months
    key_accounts: int = Field(20, ge=1, le=1000)
    #: a key account is at risk when its last 6 months fell by at least this share
    churn_decline: float = Field(0.5, gt=0, lt=1)
    #: months at the start of the data whose first bookings may be older customers (no cohorts)
    cohort_warmup_months: int = Field(12, ge=0, le=60)
    #: months held out to check the predictive LTV model
    holdout_months: int = Field(6, ge=1, le=24)
    #: months ahead the predictive LTV covers
    ltv_horizon_months: int = Field(12, ge=1, le=60)
