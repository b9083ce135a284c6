"""Drivers: how much revenue moves with activity, holding the rep, the team's month and tenure fixed.

Model (log-log, one row per fully employed rep-month, statsmodels OLS)::

    log(revenue / FTE) = Σ_a β_a · log(activity_a / FTE) + Σ_k γ_k · [tenure = k]   (k = 1…12)
                         + rep effect + team × month effect + ε

β_a is an elasticity: 10 % more of activity *a* per FTE goes with 1.1^β_a − 1 more revenue.
Rep effects absorb skill (a good rep who also visits a lot does not inflate β); team × month
effects absorb the team's territory, season and anything common to a team in a month. The
effects are absorbed by alternating projections (the within transformation), so the model scales
to thousands of reps; standard errors are clustered by rep with the small-sample correction
that counts the absorbed team × month effects. exp(γ_k) is the productivity of a rep in their
k-th month after the hire month relative to a rep with longer tenure (see :mod:`.ramp`).

Rep-months with zero revenue or zero of a modelled activity are left out (their log is undefined);
so are months in which the rep was not employed every day, and the hire month itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats
from statsmodels.stats.sandwich_covariance import cov_cluster

from salesops_lib.analyses.team_efficiency.panel import activity_column

TENURE_MONTHS = 12
MIN_OBS = 50
MIN_REPS = 5
STEP = 1.10
"""Reading in plain numbers: the revenue change that goes with 10 % more of an activity."""


@dataclass(frozen=True)
class PanelFit:
    """The fitted driver model."""

    #: one row per term: term, kind (activity | tenure), name (activity type or tenure month),
    #: estimate, se, low, high, p_value, rep_months (tenure terms: rep-months in that month)
    coefficients: pd.DataFrame
    #: covariance of the estimates (cluster-robust), indexed by term
    covariance: pd.DataFrame
    n_obs: int
    n_reps: int
    n_cells: int
    r2_within: float
    #: degrees of freedom of the t intervals (clusters − 1)
    df: int
    confidence: float


def model_sample(panel: pd.DataFrame, activity_types: tuple[str, ...]) -> pd.DataFrame:
    """The rep-months the model uses: fully employed, revenue and every modelled activity > 0."""
    present = [a for a in activity_types if activity_column(a) in panel.columns]
    keep = panel["full"] & (panel["revenue"] > 0) & (panel["fte"] > 0)
    for kind in present:
        keep &= panel[activity_column(kind)] > 0
    sample = panel[keep].copy()
    return _drop_singletons(sample.assign(cell=sample["team"].astype(str) + "|" + sample["month"].dt.strftime("%Y-%m")))


def _drop_singletons(frame: pd.DataFrame) -> pd.DataFrame:
    """Drop rep-months alone in their rep or team-month (they only absorb themselves)."""
    while True:
        single = frame.groupby("rep_id")["rep_id"].transform("size").eq(1) | frame.groupby("cell")["cell"].transform(
            "size"
        ).eq(1)
        if not single.any():
            return frame
        frame = frame[~single]


def fit_drivers(panel: pd.DataFrame, activity_types: tuple[str, ...], *, confidence: float = 0.95) -> PanelFit | None:
    """Fit the driver model on the panel; None when there is too little to estimate.

    Activities the panel lacks are left out; without activities the model still estimates the
    tenure terms (the ramp), and without hire dates the activities alone.

    Examples
    --------
    >>> fit = fit_drivers(panel, ("visit", "call"))  # doctest: +SKIP
    >>> fit.coefficients.set_index("term").loc["log_visit", ["estimate", "low", "high"]]  # doctest: +SKIP
    """
    present = [a for a in activity_types if activity_column(a) in panel.columns]
    sample = model_sample(panel, tuple(present))
    if len(sample) < MIN_OBS or sample["rep_id"].nunique() < MIN_REPS:
        return None
    design = pd.DataFrame(index=sample.index)
    for kind in present:
        design[f"log_{kind}"] = np.log(sample[activity_column(kind)] / sample["fte"])
    tenure = sample["tenure"]
    for k in range(1, TENURE_MONTHS + 1):
        if (tenure == k).sum() > 0:
            design[f"tenure_{k}"] = (tenure == k).astype("float64")
    if design.empty:
        return None
    y = cast("pd.Series", np.log(sample["revenue"] / sample["fte"])).to_numpy()  # a ufunc keeps the Series
    rep_code = pd.factorize(sample["rep_id"], use_na_sentinel=False)[0]
    cell_code = pd.factorize(sample["cell"], use_na_sentinel=False)[0]  # reps without a team: one group too
    data = absorb(np.column_stack([y, design.to_numpy()]), (rep_code, cell_code))
    y_w, x_w = data[:, 0], data[:, 1:]
    keep = x_w.std(axis=0) > 1e-8  # terms fully absorbed by the effects carry no information
    x_w, names = x_w[:, keep], list(design.columns[keep])
    if not names:
        return None
    result = sm.OLS(y_w, x_w).fit()
    n, k = x_w.shape
    clusters = int(rep_code.max()) + 1
    absorbed = int(cell_code.max())  # team-month effects not nested in the rep clusters
    dof = n - k - absorbed
    if dof <= 0 or clusters < 2:
        return None
    cov = cov_cluster(result, rep_code, use_correction=False) * clusters / (clusters - 1) * (n - 1) / dof
    se = np.sqrt(np.diag(cov))
    df = clusters - 1
    crit = stats.t.ppf(0.5 + confidence / 2, df)
    estimate = np.asarray(result.params)
    with np.errstate(divide="ignore", invalid="ignore"):
        p_value = 2 * stats.t.sf(np.abs(estimate / se), df)
    coefficients = pd.DataFrame(
        {
            "term": names,
            "kind": ["activity" if t.startswith("log_") else "tenure" for t in names],
            "name": [t.removeprefix("log_").removeprefix("tenure_") for t in names],
            "estimate": estimate,
            "se": se,
            "low": estimate - crit * se,
            "high": estimate + crit * se,
            "p_value": p_value,
            "rep_months": [
                int((tenure == int(t.split("_")[1])).sum()) if t.startswith("tenure_") else n for t in names
            ],
        }
    )
    r2 = 1 - float(np.sum(result.resid**2)) / float(np.sum(y_w**2)) if np.sum(y_w**2) > 0 else np.nan
    return PanelFit(
        coefficients=coefficients,
        covariance=pd.DataFrame(cov, index=names, columns=names),
        n_obs=n,
        n_reps=clusters,
        n_cells=absorbed + 1,
        r2_within=r2,
        df=df,
        confidence=confidence,
    )


def absorb(data: np.ndarray, groups: tuple[np.ndarray, ...], *, tol: float = 1e-10, max_iter: int = 2000) -> np.ndarray:
    """Remove the means of every group set from every column (alternating projections).

    Converges to the residuals of a regression on all the groups' dummies (the within transformation).
    """
    out = np.array(data, dtype="float64", copy=True)
    counts = [np.bincount(g) for g in groups]
    for _ in range(max_iter):
        before = out.copy()
        for g, c in zip(groups, counts, strict=True):
            sums = np.stack([np.bincount(g, out[:, j], minlength=c.size) for j in range(out.shape[1])], axis=1)
            out -= (sums / c[:, None])[g]
        if np.abs(out - before).max() <= tol * max(1.0, float(np.abs(out).max())):
            break
    return out


def reading(fit: PanelFit) -> pd.DataFrame:
    """The activity terms in plain numbers: revenue change with 10 % more of the activity.

    Columns: ``activity``, ``elasticity``, ``low``, ``high``, ``effect``, ``effect_low``,
    ``effect_high`` (relative revenue change for +10 %), ``p_value`` and ``verdict``
    (``positive`` / ``negative`` when the interval excludes zero, ``unclear`` otherwise).
    """
    terms = fit.coefficients[fit.coefficients["kind"] == "activity"]
    verdict = np.where(terms["low"] > 0, "positive", np.where(terms["high"] < 0, "negative", "unclear"))
    return pd.DataFrame(
        {
            "activity": terms["name"].to_numpy(),
            "elasticity": terms["estimate"].to_numpy(),
            "low": terms["low"].to_numpy(),
            "high": terms["high"].to_numpy(),
            "effect": STEP ** terms["estimate"].to_numpy() - 1,
            "effect_low": STEP ** terms["low"].to_numpy() - 1,
            "effect_high": STEP ** terms["high"].to_numpy() - 1,
            "p_value": terms["p_value"].to_numpy(),
            "verdict": verdict,
        }
    )
