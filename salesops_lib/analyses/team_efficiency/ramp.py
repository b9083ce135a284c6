"""Ramp: how productive new hires are month by month, from the organisation's own hires.

The driver model (:mod:`.drivers`) estimates, for each month k = 1…12 after the hire month, the
productivity of a rep relative to tenured reps (13+ months) of the same team in the same month,
holding the rep's own level and activity fixed: exp(γ_k). A curve ``1 − exp(−k / τ)`` is fitted
to these estimates by weighted least squares on the log scale (weights 1 / se²; the interval of
τ uses the full covariance of the estimates). Time to full productivity is the tenure at which
the curve reaches ``full_level`` (0.9 → τ · ln 10 months).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, stats

from salesops_lib.analyses.team_efficiency.drivers import PanelFit

MIN_MONTHS = 3
TAU_BOUNDS = (0.05, 60.0)


@dataclass(frozen=True)
class RampCurve:
    """Productivity by tenure month and the fitted curve."""

    #: tenure_month, rep_months, productivity, low, high, fitted
    by_month: pd.DataFrame
    tau: float
    tau_low: float
    tau_high: float
    full_level: float
    #: months to reach ``full_level`` on the fitted curve, with its interval
    months_to_full: float
    months_to_full_low: float
    months_to_full_high: float
    #: first tenure month whose estimate reaches ``full_level`` (NaN if none within 12)
    first_full_month: float


def curve(months: np.ndarray | pd.Series, tau: float) -> np.ndarray:
    """1 − exp(−months / τ)."""
    return 1.0 - np.exp(-np.asarray(months, dtype="float64") / tau)


def ramp_curve(fit: PanelFit, *, full_level: float = 0.9) -> RampCurve | None:
    """The ramp from the tenure terms of ``fit``; None with fewer than 3 tenure months estimated.

    Examples
    --------
    >>> ramp_curve(fit_drivers(panel, ("visit", "call"))).months_to_full  # doctest: +SKIP
    6.0
    """
    terms = fit.coefficients[fit.coefficients["kind"] == "tenure"].copy()
    terms = terms[terms["se"] > 0]
    if len(terms) < MIN_MONTHS:
        return None
    k = terms["name"].astype(int).to_numpy()
    b = terms["estimate"].to_numpy()
    cov = fit.covariance.loc[terms["term"], terms["term"]].to_numpy()
    weights = 1.0 / terms["se"].to_numpy() ** 2

    def loss(tau: float) -> float:
        return float(np.sum(weights * (b - np.log(curve(k, tau))) ** 2))

    tau = float(optimize.minimize_scalar(loss, bounds=TAU_BOUNDS, method="bounded").x)
    # sandwich variance of the weighted least-squares estimate: (J'WJ)⁻¹ J'W V W J (J'WJ)⁻¹
    jac = -(k / tau**2) * np.exp(-k / tau) / curve(k, tau)
    bread = 1.0 / float(jac @ (weights * jac))
    meat = float((weights * jac) @ cov @ (weights * jac))
    tau_se = np.sqrt(bread * meat * bread)
    crit = stats.t.ppf(0.5 + fit.confidence / 2, fit.df)
    tau_low, tau_high = max(tau - crit * tau_se, TAU_BOUNDS[0]), tau + crit * tau_se
    to_full = -np.log(1.0 - full_level)
    by_month = pd.DataFrame(
        {
            "tenure_month": k,
            "rep_months": terms["rep_months"].to_numpy(),
            "productivity": np.exp(b),
            "low": np.exp(terms["low"].to_numpy()),
            "high": np.exp(terms["high"].to_numpy()),
            "fitted": curve(k, tau),
        }
    )
    reached = by_month.loc[by_month["productivity"] >= full_level, "tenure_month"]
    return RampCurve(
        by_month=by_month,
        tau=tau,
        tau_low=tau_low,
        tau_high=tau_high,
        full_level=full_level,
        months_to_full=tau * to_full,
        months_to_full_low=tau_low * to_full,
        months_to_full_high=tau_high * to_full,
        first_full_month=float(reached.min()) if not reached.empty else np.nan,
    )
