"""Predictive customer value: the BG/NBD purchase model and the Gamma-Gamma spend model.

Both are fitted by maximum likelihood (``scipy.optimize`` on log-parameters, log-likelihoods
written with ``gammaln``/``betaln`` so nothing overflows); no data access here, only arrays.

* **BG/NBD** (Fader, Hardie & Lee 2005, "Counting your customers the easy way"): while alive a
  customer buys as a Poisson process with rate λ ~ Gamma(r, α); after each repeat purchase it
  drops out with probability p ~ Beta(a, b). Inputs per customer: ``x`` repeat purchases,
  ``t_x`` time of the last purchase and ``T`` time observed, both since the first purchase.
* **Gamma-Gamma** (Fader, Hardie & Lee 2005, "RFM and CLV"; Colombo & Jiang 1999): a customer's
  purchase values are Gamma(p, ν) with ν ~ Gamma(q, γ), independent of the purchase rhythm.
  Inputs: ``x`` ≥ 1 repeat purchases and ``m`` their mean value.

The ``lifetimes`` package that popularised these models is no longer maintained; the formulas
below are the published ones, with the conditional expectation's hypergeometric term rewritten by
Euler's transformation so that it stays accurate for customers with hundreds of purchases.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import optimize, special

_BOUND = (-12.0, 12.0)  # log-parameter bounds: parameters within e^±12


@dataclass(frozen=True)
class BgNbd:
    """Fitted BG/NBD parameters (time in the unit of ``t_x`` and ``T``)."""

    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float
    converged: bool

    def expected_purchases(self, t: float | np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
        """Expected purchases in the next ``t`` time units of customers with history (x, t_x, T).

        Examples
        --------
        >>> model = BgNbd(r=0.5, alpha=5.0, a=1.5, b=4.0, log_likelihood=0.0, converged=True)
        >>> float(model.expected_purchases(10.0, np.array([0]), np.array([0.0]), np.array([10.0]))[0]) > 0
        True
        """
        x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
        t = np.asarray(t, dtype=float)
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        if abs(a - 1) < 1e-9:  # a removable singularity of the closed form
            a = 1 + 1e-9
        z = t / (alpha + T + t)
        # ((α+T)/(α+T+t))^(r+x) 2F1(r+x, b+x; a+b+x-1; z) = (1-z)^(a-1) 2F1(a+b-1-r, a-1; a+b+x-1; z)
        tail = np.exp((a - 1) * np.log1p(-z)) * special.hyp2f1(a + b - 1 - r, a - 1, a + b + x - 1, z)
        expected: np.ndarray = (a + b + x - 1) / (a - 1) * (1 - tail) * self.p_alive(x, t_x, T)  # scipy is untyped
        return expected

    def p_alive(self, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
        """Probability that a customer with history (x, t_x, T) is still active at T."""
        x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
        safe = np.where(x > 0, self.b + x - 1, 1.0)
        s = np.log(self.a) - np.log(safe) + (self.r + x) * (np.log(self.alpha + T) - np.log(self.alpha + t_x))
        return np.where(x > 0, special.expit(-s), 1.0)


@dataclass(frozen=True)
class GammaGamma:
    """Fitted Gamma-Gamma spend parameters."""

    p: float
    q: float
    gamma: float
    log_likelihood: float
    converged: bool

    @property
    def population_mean(self) -> float:
        """Expected purchase value of a customer with no repeat purchases yet (needs q > 1)."""
        return self.p * self.gamma / (self.q - 1) if self.q > 1 else float("nan")

    def expected_value(self, x: np.ndarray, m: np.ndarray) -> np.ndarray:
        """Expected value of a future purchase given ``x`` repeat purchases of mean value ``m``.

        Customers without repeat purchases (x = 0) get :attr:`population_mean`.
        """
        x = np.asarray(x, dtype=float)
        m = np.nan_to_num(np.asarray(m, dtype=float))
        value: np.ndarray = (self.p * (self.gamma + x * m)) / (self.p * x + self.q - 1)
        return value


def bgnbd_log_likelihood(params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """Per-customer BG/NBD log-likelihood at ``params`` = (r, α, a, b)."""
    return _bgnbd_ll(params, *np.unique(x, return_inverse=True), x, t_x, T)


def gamma_gamma_log_likelihood(params: np.ndarray, x: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Per-customer Gamma-Gamma log-likelihood at ``params`` = (p, q, γ); needs x ≥ 1 and m > 0."""
    return _gamma_gamma_ll(params, *np.unique(x, return_inverse=True), x, m)


def _bgnbd_ll(
    params: np.ndarray, values: np.ndarray, index: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray
) -> np.ndarray:
    """The log-likelihood with the special functions evaluated once per distinct ``x`` (``values``)."""
    r, alpha, a, b = params
    repeat = values > 0
    head = special.gammaln(r + values) - special.gammaln(r) + r * np.log(alpha) - special.betaln(a, b)
    stay_x = special.betaln(a, b + values)
    drop_x = np.where(repeat, special.betaln(a + 1, np.where(repeat, b + values - 1, 1.0)), -np.inf)
    stay = stay_x[index] - (r + x) * np.log(alpha + T)
    drop = drop_x[index] - (r + x) * np.log(alpha + t_x)
    ll: np.ndarray = head[index] + np.logaddexp(stay, drop)  # scipy is untyped
    return ll


def _gamma_gamma_ll(
    params: np.ndarray, values: np.ndarray, index: np.ndarray, x: np.ndarray, m: np.ndarray
) -> np.ndarray:
    p, q, gamma = params
    pv = p * values
    by_x = special.gammaln(pv + q) - special.gammaln(pv) - special.gammaln(q) + q * np.log(gamma) + pv * np.log(values)
    px = p * x
    ll: np.ndarray = by_x[index] + (px - 1) * np.log(m) - (px + q) * np.log(gamma + x * m)  # scipy is untyped
    return ll


def fit_bgnbd(x: np.ndarray, t_x: np.ndarray, T: np.ndarray, *, penalty: float = 0.0) -> BgNbd:
    """Maximum-likelihood BG/NBD parameters for customers (x, t_x, T).

    ``penalty`` adds ``penalty × Σ params²`` to the negative log-likelihood (a shrinkage against
    runaway parameters on tiny samples; 0 = plain maximum likelihood).

    Examples
    --------
    >>> fit_bgnbd(x, t_x, T).r  # doctest: +SKIP
    """
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    _check_rft(x, t_x, T)
    scale = float(np.max(T)) / 10 if np.max(T) > 0 else 1.0  # fit in time units where α is O(1)
    values, index = np.unique(x, return_inverse=True)
    t_scaled, T_scaled = t_x / scale, T / scale

    def objective(logp: np.ndarray) -> float:
        params = np.exp(logp)
        value = -float(np.sum(_bgnbd_ll(params, values, index, x, t_scaled, T_scaled)))
        return value + penalty * float(np.sum(params**2))

    result = _minimize(objective, np.log([1.0, 1.0, 1.0, 1.0]))
    r, alpha, a, b = np.exp(result.x)
    ll = float(np.sum(bgnbd_log_likelihood(np.array([r, alpha * scale, a, b]), x, t_x, T)))
    return BgNbd(
        r=float(r),
        alpha=float(alpha * scale),
        a=float(a),
        b=float(b),
        log_likelihood=ll,
        converged=bool(result.success),
    )


def fit_gamma_gamma(x: np.ndarray, m: np.ndarray, *, penalty: float = 0.0) -> GammaGamma:
    """Maximum-likelihood Gamma-Gamma parameters from customers with x ≥ 1 repeat purchases of mean value m > 0."""
    x, m = np.asarray(x, dtype=float), np.asarray(m, dtype=float)
    keep = (x >= 1) & (m > 0) & np.isfinite(m)
    x, m = x[keep], m[keep]
    if x.size < 3:
        raise ValueError("the Gamma-Gamma model needs at least 3 customers with repeat purchases")
    scale = float(np.mean(m))  # fit in units of the mean purchase value
    values, index = np.unique(x, return_inverse=True)
    m_scaled = m / scale

    def objective(logp: np.ndarray) -> float:
        params = np.exp(logp)
        value = -float(np.sum(_gamma_gamma_ll(params, values, index, x, m_scaled)))
        return value + penalty * float(np.sum(params**2))

    result = _minimize(objective, np.log([1.0, 2.0, 1.0]))
    p, q, gamma = np.exp(result.x)
    ll = float(np.sum(gamma_gamma_log_likelihood(np.array([p, q, gamma * scale]), x, m)))
    return GammaGamma(
        p=float(p), q=float(q), gamma=float(gamma * scale), log_likelihood=ll, converged=bool(result.success)
    )


def _minimize(objective: Callable[[np.ndarray], float], start: np.ndarray) -> optimize.OptimizeResult:
    """L-BFGS-B on bounded log-parameters, polished by Nelder-Mead when it stops early."""
    bounds = [_BOUND] * start.size
    with np.errstate(all="ignore"):
        result = optimize.minimize(objective, start, method="L-BFGS-B", bounds=bounds)
        if not result.success or not np.isfinite(result.fun):
            result = optimize.minimize(
                objective,
                result.x if np.all(np.isfinite(result.x)) else start,
                method="Nelder-Mead",
                bounds=bounds,
                options={"maxiter": 4000, "xatol": 1e-6, "fatol": 1e-8},
            )
    return result


def _check_rft(x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> None:
    if x.size == 0:
        raise ValueError("no customers to fit")
    if np.any(x < 0) or np.any(t_x < 0) or np.any(t_x > T + 1e-9) or np.any((x == 0) & (t_x > 0)):
        raise ValueError("need x ≥ 0, 0 ≤ t_x ≤ T and t_x = 0 when x = 0")
