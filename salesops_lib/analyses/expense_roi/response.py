"""Spend–output response: how output moves with spend per category, with diminishing returns.

Model (per unit *u* and period *t*, categories *c*)::

    output[u,t] = α + Σ_c β_c · log(1 + A_c[u,t] / s_c) + unit effects + seasonality + trend + ε
    A_c[u,t]    = spend_c[u,t] + θ_c · A_c[u,t−1]          (geometric adstock, "carry-over")

``s_c`` is the mean positive adstocked spend of the category, so β_c is the output of spending
at the usual level and the log imposes diminishing returns (the shape is assumed, not learned).
θ_c is fixed by the ``adstock`` parameter or chosen per category on a grid 0 … 0.8 by least
squares (two coordinate passes; the intervals are then conditional on the chosen θ).
Seasonality: month-of-year effects for monthly data (≥ 24 months); yearly Fourier terms for
weekly data (two pairs from 104 weeks, one from 52). Unit effects when the panel has several units.

Estimates: OLS with HAC (Newey–West; panel-aware) 95 % intervals, and ridge (penalty by
generalised cross-validation on standardised columns) with moving-block bootstrap intervals as
a stability check. From β: contribution = Σ β·log(1 + A/s); ROI = contribution ÷ spend; the
marginal return of one more unit of steady spend at the current level *x* (mean spend per
unit-period over the last year) is β ÷ ((1 − θ)·s + x).

Warnings (codes with details) say when the data cannot separate the categories' effects:
``collinear`` (VIF > 10), ``ill_conditioned`` (condition number of the standardised spend
columns after removing the controls > 30), ``unstable`` (OLS and ridge disagree in sign or by
more than half), ``zero_in_interval``, ``few_observations``; ``observational`` and
``shape_assumed`` are always given, and ``spend_follows_output`` names the categories whose spend
rises after a strong period (spend regressed on the previous period's output with the same
controls, t > 2): for them the arrow may point backwards. Spend is rarely random — budgets follow plans and size —
so the estimates are associations, not proof that moving money moves output.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy.signal import lfilter
from statsmodels.regression.linear_model import RegressionResultsWrapper as OlsResults
from statsmodels.stats.outliers_influence import variance_inflation_factor

from salesops_lib.analyses.expense_roi.money import safe_ratio, to_cents
from salesops_lib.analyses.expense_roi.panel import SpendPanel
from salesops_lib.metrics.formatting import formatted

DECAY_GRID = tuple(round(0.1 * k, 1) for k in range(9))
START_DECAY = 0.3
VIF_LIMIT = 10.0
CONDITION_LIMIT = 30.0
UNSTABLE_GAP = 0.5
BOOTSTRAP_SAMPLES = 200
SEED = 8
MIN_RESIDUAL_DF = 20
CURVE_POINTS = 41

ESTIMATE_COLUMNS = [
    "category",
    "decay",
    "scale",
    "beta",
    "beta_low",
    "beta_high",
    "p_value",
    "ridge_beta",
    "ridge_low",
    "ridge_high",
    "vif",
    "spend",
    "contribution",
    "contribution_share",
    "roi",
    "roi_low",
    "roi_high",
    "current_spend",
    "marginal_roi",
    "marginal_low",
    "marginal_high",
]


@dataclass(frozen=True)
class ResponseModel:
    """Fitted spend–output response of a panel."""

    period: str
    level: str
    output: str
    units: int
    periods: int
    first: dt.date
    last: dt.date
    #: one row per category (see ESTIMATE_COLUMNS); money per unit-period
    estimates: pd.DataFrame
    #: steady-state response per unit-period: category, spend, response, low, high
    curves: pd.DataFrame
    #: n, parameters, r2, adj_r2, condition_number, max_vif, ridge_lambda
    fit: dict[str, float]
    #: (code, detail) pairs, most serious first
    warnings: tuple[tuple[str, str], ...]
    #: True when no collinearity, conditioning or stability warning was raised
    separable: bool
    #: True when θ was chosen by fit
    decay_chosen: bool
    #: categories whose spend follows the previous period's output (reverse-causality risk)
    follows_output: tuple[str, ...]
    #: draws of β (OLS sampling distribution) for intervals of derived quantities, one column per category
    draws: pd.DataFrame

    def response(self, category: str, spend: np.ndarray | float, beta: float | None = None) -> np.ndarray:
        """Steady-state output per unit-period at constant ``spend`` per unit-period."""
        row: Any = self.estimates.set_index("category").loc[category]  # the category's row: floats
        b = row["beta"] if beta is None else beta
        out: np.ndarray = b * np.log1p(np.asarray(spend, dtype=float) / ((1 - row["decay"]) * row["scale"]))
        return out

    def marginal(self, category: str, spend: np.ndarray | float) -> np.ndarray:
        """Output per extra unit of steady spend at ``spend`` per unit-period."""
        row: Any = self.estimates.set_index("category").loc[category]  # the category's row: floats
        out: np.ndarray = row["beta"] / ((1 - row["decay"]) * row["scale"] + np.asarray(spend, dtype=float))
        return out


def fit_response(panel: SpendPanel, *, decay: float | None = None, simulated: bool = False) -> ResponseModel | None:
    """Fit the response model on ``panel`` (None when it has no category or too few rows).

    Examples
    --------
    >>> model = fit_response(spend_panel(connect("demo"), dt.date(2025, 6, 30)))  # doctest: +SKIP
    >>> model.estimates[["category", "beta", "beta_low", "beta_high", "marginal_roi"]]  # doctest: +SKIP
    """
    frame, categories = panel.frame, list(panel.categories)
    if not categories or frame.empty:
        return None
    controls = _controls(frame, panel.period)
    if len(frame) - len(controls.columns) - len(categories) < MIN_RESIDUAL_DF // 2:
        return None
    y = frame["output"].to_numpy(dtype=float)
    decays = _choose_decays(frame, categories, controls, y) if decay is None else dict.fromkeys(categories, decay)
    media, scales = _media(frame, categories, decays)
    X = pd.concat([media, controls], axis=1)
    X.insert(0, "const", 1.0)
    ols = _ols(X, y, frame, panel.period)
    ridge = _ridge(X, y, frame, categories, panel.period)
    vif = {c: _vif(X, c) for c in categories}
    condition = _media_condition(media, controls)
    estimates = _estimates(ols, ridge, vif, media, frame, decays, scales, panel.period)
    follows = _spend_follows_output(frame, categories, controls)
    warnings = _warnings(estimates, condition, len(frame), X.shape[1], panel, simulated, follows)
    separable = not any(code in ("collinear", "ill_conditioned", "unstable") for code, _ in warnings)
    draws = _draws(ols, categories)
    return ResponseModel(
        period=panel.period,
        level=panel.level,
        output=panel.output,
        units=len(panel.units),
        periods=panel.periods,
        first=pd.Timestamp(frame["period"].min()).date(),
        last=pd.Timestamp(frame["period"].max()).date(),
        estimates=estimates,
        curves=_curves(estimates),
        draws=draws,
        fit={
            "n": float(len(frame)),
            "parameters": float(X.shape[1]),
            "r2": float(ols.rsquared),
            "adj_r2": float(ols.rsquared_adj),
            "condition_number": condition,
            "max_vif": float(max(vif.values())),
            "ridge_lambda": ridge.penalty,
        },
        warnings=warnings,
        separable=separable,
        decay_chosen=decay is None,
        follows_output=tuple(follows),
    )


def _estimates(
    ols: OlsResults,
    ridge: RidgeFit,
    vif: dict[str, float],
    media: pd.DataFrame,
    frame: pd.DataFrame,
    decays: dict[str, float],
    scales: dict[str, float],
    period: str,
) -> pd.DataFrame:
    """One row per category: coefficients with intervals, contribution, ROI and marginal return.

    ROI and the marginal return are linear in β, so their intervals are β's scaled.
    """
    conf = ols.conf_int(alpha=0.05)
    current = _recent(frame, period)[list(media.columns)].mean()
    rows = []
    for c in media.columns:
        beta, low, high = float(ols.params[c]), float(conf.loc[c, 0]), float(conf.loc[c, 1])
        spend = float(frame[c].sum())
        per_beta = safe_ratio(float(media[c].sum()), spend)  # ROI of β = 1
        kernel = (1 - decays[c]) * scales[c] + current[c]  # marginal return of β = 1 is 1 / kernel
        rows.append(
            {
                "category": c,
                "decay": decays[c],
                "scale": scales[c],
                "beta": beta,
                "beta_low": low,
                "beta_high": high,
                "p_value": float(ols.pvalues[c]),
                "ridge_beta": ridge.beta[c],
                "ridge_low": ridge.low[c],
                "ridge_high": ridge.high[c],
                "vif": vif[c],
                "spend": float(to_cents(spend)),
                "contribution": beta * float(media[c].sum()),
                "contribution_share": np.nan,
                "roi": beta * per_beta,
                "roi_low": low * per_beta,
                "roi_high": high * per_beta,
                "current_spend": float(to_cents(current[c])),
                "marginal_roi": safe_ratio(beta, kernel),
                "marginal_low": safe_ratio(low, kernel),
                "marginal_high": safe_ratio(high, kernel),
            }
        )
    out = pd.DataFrame(rows, columns=ESTIMATE_COLUMNS)
    positive = out["contribution"].clip(lower=0)
    out["contribution_share"] = safe_ratio(positive, positive.sum())
    return out


# --------------------------------------------------------------------------- design


def adstock(spend: np.ndarray, decay: float) -> np.ndarray:
    """Geometric carry-over: ``A[t] = spend[t] + decay · A[t−1]`` (A[−1] = 0).

    >>> adstock(np.array([100.0, 0.0, 0.0]), 0.5).tolist()
    [100.0, 50.0, 25.0]
    """
    stocked: np.ndarray = lfilter([1.0], [1.0, -decay], np.asarray(spend, dtype=float))
    return stocked


def _adstock_group(spend: pd.Series, decay: float) -> np.ndarray:
    """:func:`adstock` of one unit's spend series (for ``groupby(...).transform``)."""
    return adstock(spend.to_numpy(), decay)


def _media(
    frame: pd.DataFrame, categories: list[str], decays: dict[str, float]
) -> tuple[pd.DataFrame, dict[str, float]]:
    columns, scales = {}, {}
    for c in categories:
        stocked = frame.groupby("unit", sort=False)[c].transform(_adstock_group, decays[c])
        positive = stocked[stocked > 0]
        scales[c] = float(positive.mean()) if len(positive) else 1.0
        columns[c] = np.log1p(stocked / scales[c])
    return pd.DataFrame(columns, index=frame.index), scales


def _controls(frame: pd.DataFrame, period: str) -> pd.DataFrame:
    out = pd.DataFrame(index=frame.index)
    dates = pd.to_datetime(frame["period"])
    units = sorted(frame["unit"].unique())
    for unit in units[1:]:
        out[f"unit={unit}"] = (frame["unit"] == unit).astype(float)
    periods = dates.nunique()
    if period == "month" and periods >= 24:
        for month in range(2, 13):
            out[f"month={month}"] = (dates.dt.month == month).astype(float)
    elif period == "week" and periods >= 52:
        angle = 2 * np.pi * dates.dt.day_of_year / 365.25
        for k in range(1, 3 if periods >= 104 else 2):
            out[f"sin{k}"], out[f"cos{k}"] = np.sin(k * angle), np.cos(k * angle)
    if periods >= 3:
        out["trend"] = (dates - dates.min()).dt.days / 365.25
    return out


def _choose_decays(
    frame: pd.DataFrame, categories: list[str], controls: pd.DataFrame, y: np.ndarray
) -> dict[str, float]:
    decays = dict.fromkeys(categories, START_DECAY)
    base = np.column_stack([np.ones(len(frame)), controls.to_numpy(dtype=float)])
    for _ in range(2):
        for c in categories:
            scores = {}
            for d in DECAY_GRID:
                media, _ = _media(frame, categories, {**decays, c: d})
                design = np.column_stack([base, media.to_numpy()])
                residual = y - design @ np.linalg.lstsq(design, y, rcond=None)[0]
                scores[d] = float(residual @ residual)
            decays[c] = min(scores, key=lambda d: (scores[d], d))
    return decays


# --------------------------------------------------------------------------- estimation


def _lags(period: str) -> int:
    return 4 if period == "week" else 2


def _ols(X: pd.DataFrame, y: np.ndarray, frame: pd.DataFrame, period: str) -> OlsResults:
    model = sm.OLS(y, X)
    if frame["unit"].nunique() > 1:
        groups = pd.factorize(frame["unit"])[0]
        return model.fit(cov_type="hac-panel", cov_kwds={"groups": groups, "maxlags": _lags(period)})
    return model.fit(cov_type="HAC", cov_kwds={"maxlags": _lags(period)})


def _ridge_fit(Z: np.ndarray, y: np.ndarray, lam: float) -> np.ndarray:
    """Ridge on centred data: (Z'Z + λI)⁻¹ Z'y."""
    zc, yc = Z - Z.mean(axis=0), y - y.mean()
    return np.linalg.solve(zc.T @ zc + lam * np.eye(Z.shape[1]), zc.T @ yc)


def _gcv_lambda(Z: np.ndarray, y: np.ndarray) -> float:
    zc, yc = Z - Z.mean(axis=0), y - y.mean()
    u, d, _ = np.linalg.svd(zc, full_matrices=False)
    uy = u.T @ yc
    best, best_score = 1.0, np.inf
    n = len(y)
    for lam in np.logspace(-3, 3, 61) * n / 100:
        shrink = d**2 / (d**2 + lam)
        fitted = u @ (shrink * uy)
        rss = float(((yc - fitted) ** 2).sum())
        score = n * rss / (n - shrink.sum()) ** 2
        if score < best_score:
            best, best_score = float(lam), score
    return best


@dataclass(frozen=True)
class RidgeFit:
    """Ridge coefficients of the spend columns (original scale), bootstrap interval and the penalty."""

    beta: dict[str, float]
    low: dict[str, float]
    high: dict[str, float]
    penalty: float


def _ridge(X: pd.DataFrame, y: np.ndarray, frame: pd.DataFrame, categories: list[str], period: str) -> RidgeFit:
    """Ridge coefficients of the spend columns (original scale) with moving-block bootstrap intervals."""
    cols = [c for c in X.columns if c != "const"]
    raw = X[cols].to_numpy(dtype=float)
    sd = raw.std(axis=0)
    sd[sd == 0] = 1.0
    Z = raw / sd
    lam = _gcv_lambda(Z, y)
    index = [cols.index(c) for c in categories]
    point = _ridge_fit(Z, y, lam)[index] / sd[index]
    periods = pd.factorize(frame["period"], sort=True)[0]
    n_periods = periods.max() + 1
    block = 8 if period == "week" else 3
    rows_of = [np.flatnonzero(periods == p) for p in range(n_periods)]
    rng = np.random.default_rng(SEED)
    samples = []
    for _ in range(BOOTSTRAP_SAMPLES):
        starts = rng.integers(0, max(n_periods - block, 0) + 1, size=-(-n_periods // block))
        chosen = np.concatenate([np.arange(s, min(s + block, n_periods)) for s in starts])[:n_periods]
        rows = np.concatenate([rows_of[p] for p in chosen])
        samples.append(_ridge_fit(Z[rows], y[rows], lam)[index] / sd[index])
    sample = np.array(samples)
    low, high = np.percentile(sample, [2.5, 97.5], axis=0)
    return RidgeFit(
        beta=dict(zip(categories, map(float, point), strict=True)),
        low=dict(zip(categories, map(float, low), strict=True)),
        high=dict(zip(categories, map(float, high), strict=True)),
        penalty=lam,
    )


def _vif(X: pd.DataFrame, column: str) -> float:
    values = X.to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(variance_inflation_factor(values, list(X.columns).index(column)))


def _media_condition(media: pd.DataFrame, controls: pd.DataFrame) -> float:
    """Condition number of the standardised spend columns after removing the controls."""
    base = np.column_stack([np.ones(len(media)), controls.to_numpy(dtype=float)])
    values = media.to_numpy(dtype=float)
    resid = values - base @ np.linalg.lstsq(base, values, rcond=None)[0]
    sd = resid.std(axis=0)
    if (sd == 0).any():
        return float("inf")
    return float(np.linalg.cond(resid / sd))


def _recent(frame: pd.DataFrame, period: str) -> pd.DataFrame:
    last = pd.Timestamp(frame["period"].max())
    span = pd.DateOffset(months=12) if period == "month" else pd.Timedelta(weeks=52)
    return frame[pd.to_datetime(frame["period"]) > last - span]


def _draws(ols: OlsResults, categories: list[str], n: int = 2000) -> pd.DataFrame:
    """Draws of the spend coefficients from their estimated sampling distribution (seeded)."""
    mean = ols.params[categories].to_numpy(dtype=float)
    cov = ols.cov_params().loc[categories, categories].to_numpy(dtype=float)
    rng = np.random.default_rng(SEED)
    return pd.DataFrame(rng.multivariate_normal(mean, cov, size=n, method="eigh"), columns=categories)


def _spend_follows_output(frame: pd.DataFrame, categories: list[str], controls: pd.DataFrame) -> list[str]:
    """Categories whose spend rises significantly (t > 2) with the previous period's output, within unit."""
    lagged = frame.groupby("unit", sort=False)["output"].shift(1)
    keep = lagged.notna()
    if keep.sum() < MIN_RESIDUAL_DF:
        return []
    design = pd.concat([controls[keep], lagged[keep].rename("lagged_output")], axis=1)
    design.insert(0, "const", 1.0)
    out = []
    for c in categories:
        fit = sm.OLS(frame.loc[keep, c].to_numpy(dtype=float), design).fit(cov_type="HC3")
        if fit.tvalues["lagged_output"] > 2:
            out.append(c)
    return out


def _warnings(
    estimates: pd.DataFrame,
    condition: float,
    n: int,
    parameters: int,
    panel: SpendPanel,
    simulated: bool,
    follows: list[str],
) -> tuple[tuple[str, str], ...]:
    out: list[tuple[str, str]] = []
    if simulated:
        out.append(("simulated", ""))
    collinear = estimates.loc[estimates["vif"] > VIF_LIMIT, "category"].tolist()
    if collinear:
        out.append(("collinear", ", ".join(collinear)))
    if not np.isfinite(condition) or condition > CONDITION_LIMIT:
        out.append(("ill_conditioned", formatted(condition, ".0f")))
    gap = (estimates["beta"] - estimates["ridge_beta"]).abs()
    scale = np.maximum(estimates["beta"].abs(), estimates["ridge_beta"].abs())
    unstable = estimates.loc[
        (np.sign(estimates["beta"]) != np.sign(estimates["ridge_beta"])) | (gap > UNSTABLE_GAP * scale), "category"
    ].tolist()
    if unstable:
        out.append(("unstable", ", ".join(unstable)))
    if n - parameters < MIN_RESIDUAL_DF:
        out.append(("few_observations", str(n)))
    unclear = estimates.loc[(estimates["beta_low"] <= 0) & (estimates["beta_high"] >= 0), "category"].tolist()
    if unclear:
        out.append(("zero_in_interval", ", ".join(unclear)))
    if follows:
        out.append(("spend_follows_output", ", ".join(follows)))
    if panel.dropped:
        out.append(("dropped", ", ".join(sorted(panel.dropped))))
    for note in panel.notes:
        out.append((note, ""))
    out += [("observational", ""), ("shape_assumed", "")]
    return tuple(out)


def _curves(estimates: pd.DataFrame) -> pd.DataFrame:
    """Steady-state response from 0 to twice the current spend, with the β interval as a band."""
    rows = []
    r: Any  # a row of estimates: floats and the category name
    for r in estimates.itertuples():
        spend = np.linspace(0.0, max(2.0 * r.current_spend, 1.0), CURVE_POINTS)
        base = np.log1p(spend / ((1 - r.decay) * r.scale))
        rows.append(
            pd.DataFrame(
                {
                    "category": r.category,
                    "spend": spend,
                    "response": r.beta * base,
                    "low": r.beta_low * base,
                    "high": r.beta_high * base,
                }
            )
        )
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()
