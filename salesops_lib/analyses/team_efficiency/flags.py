"""Low-efficiency flags: which units produce clearly less revenue per FTE than their benchmark.

For every unit the *gap* is its window revenue per FTE ÷ the benchmark − 1 (the headline, e.g.
"team B 27 % below the company"). Its uncertainty comes from the unit's own month-to-month
variation: the monthly gaps (month's revenue per FTE ÷ the month's benchmark − 1) give a
standard error sd ÷ √months and a t interval. Small teams vary more from month to month, so their
intervals are wider; in addition the gaps are shrunk toward the mean of all units by an
empirical-Bayes random-effects model (DerSimonian–Laird), which pulls noisy units in more. A unit
is **flagged** when

* its gap is at or below −``threshold`` (material), and
* the upper bound of its shrunk interval is below zero (statistically clear), and
* it averaged at least ``min_fte`` FTE over the window and has at least 3 months of data.

``robust_z`` (gap − median gap) ÷ (1.4826 · MAD) places each unit in the distribution of its
peers; it is reported, not used to flag, because a broad weak tail would hide real shortfalls.

Regions and teams then go through :func:`screen`: month-to-month clarity is not enough, because
a team's reps are a small sample of very different people. The permutation test of
:mod:`.composition` gives each unit a p-value for "this far below by the luck of its rep mix";
the review's multiplicity policy (:mod:`salesops_lib.analyses.multiplicity`: Benjamini–Hochberg
at 5 % over every region and team tested) turns them into q-values. A unit is an alert
(``flagged``: a medium finding; ``strong``: high) only when it passes the rule above *and*
survives; a material gap that does not survive is a ``watch`` (a low finding).
Only a shortfall is screened (one-sided p-values): a team far *above* the benchmark raises nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from salesops_lib.analyses.multiplicity import FDR, STRONG, bh_adjust

MIN_MONTHS = 3
COLUMNS = [
    "benchmark",
    "gap",
    "se",
    "gap_low",
    "gap_high",
    "shrunk_gap",
    "shrunk_low",
    "shrunk_high",
    "robust_z",
    "eligible",
    "flagged",
    "strong",
    "shortfall",
]


@dataclass(frozen=True)
class FlagRule:
    """When a shortfall becomes a flag."""

    threshold: float = 0.20
    confidence: float = 0.95
    min_fte: float = 2.0


def benchmark_values(
    window: pd.DataFrame, monthly: pd.DataFrame, kind: str, groups: pd.Series | None, eligible: pd.Series
) -> tuple[pd.Series, pd.Series]:
    """The benchmark revenue per FTE of each unit over the window and in each month.

    ``kind``: ``company`` (FTE-weighted over every unit: Σ revenue ÷ Σ FTE), ``peer`` (the same
    over the other units of the unit's group, e.g. the other teams of its region) or ``median``
    (median unit among the eligible ones). ``groups`` maps unit → peer group (``peer`` only; None =
    every other unit);
    ``eligible`` (indexed by unit) marks the units big enough to set a median.

    Returns the window benchmark indexed like ``window`` and the monthly benchmark indexed like
    ``monthly``.
    """
    if kind == "median":
        ok = window["unit"].map(eligible).fillna(False).astype(bool)
        level_value = window.loc[ok, "revenue_per_fte"].median()
        by_month = (
            monthly[monthly["unit"].map(eligible).fillna(False).astype(bool)]
            .groupby("month")["revenue_per_fte"]
            .median()
        )
        return pd.Series(level_value, index=window.index), monthly["month"].map(by_month)
    exclude_self = kind == "peer"
    if kind == "company" or groups is None:
        group_w, group_m = pd.Series("all", index=window.index), pd.Series("all", index=monthly.index)
    else:
        group_w, group_m = window["unit"].map(groups), monthly["unit"].map(groups)
    return (_pooled(window, group_w, [], exclude_self), _pooled(monthly, group_m, ["month"], exclude_self))


def _pooled(frame: pd.DataFrame, group: pd.Series, keys: list[str], exclude_self: bool) -> pd.Series:
    """Σ revenue ÷ Σ FTE over the unit's group (optionally without the unit itself)."""
    parts = frame.assign(__g=group.values)[["__g", *keys, "revenue", "fte"]].fillna({"revenue": 0.0, "fte": 0.0})
    totals = parts.groupby(["__g", *keys])[["revenue", "fte"]].transform("sum")
    revenue = totals["revenue"] - (parts["revenue"] if exclude_self else 0.0)
    fte = totals["fte"] - (parts["fte"] if exclude_self else 0.0)
    return (revenue / fte.where(fte > 1e-9)).astype("float64")


def compare(
    window: pd.DataFrame,
    monthly: pd.DataFrame,
    *,
    kind: str,
    rule: FlagRule,
    groups: pd.Series | None = None,
    eligible: pd.Series | None = None,
) -> pd.DataFrame:
    """``window`` (one row per unit) with the benchmark, gap, intervals, shrinkage and the flag.

    ``monthly`` holds the same units' months (``unit``, ``month``, ``revenue``, ``fte``,
    ``revenue_per_fte``). ``eligible`` (by unit) can exclude units from flags beyond the FTE rule
    (e.g. reps still ramping). Columns added: see :data:`COLUMNS`; ``shortfall`` is the revenue
    the unit would have booked over the window at the benchmark, less what it booked (0 when above).

    Examples
    --------
    >>> compare(teams, team_months, kind="company", rule=FlagRule())  # doctest: +SKIP
    """
    out = window.copy()
    if out.empty:  # no unit with FTE in the window (e.g. no bookings yet): nothing to compare or flag
        flags = ("eligible", "flagged", "strong")
        return out.assign(**{c: pd.Series(dtype="bool" if c in flags else "float64") for c in COLUMNS})
    big = out.set_index("unit")["fte"] >= rule.min_fte
    if eligible is not None:
        # pandas-stubs: Index.map does take a Series as the mapping, and Series & Index is elementwise
        big &= big.index.map(eligible).fillna(False).astype(bool)  # type: ignore[arg-type,operator]
    out["eligible"] = out["unit"].map(big).fillna(False).astype(bool)
    bench_w, bench_m = benchmark_values(out, monthly, kind, groups, out.set_index("unit")["eligible"])
    out["benchmark"] = bench_w
    # a gap to a benchmark without revenue is undefined (NaN), not ±inf
    out["gap"] = out["revenue_per_fte"] / out["benchmark"].where(out["benchmark"] > 0) - 1
    gaps = monthly.assign(gap=monthly["revenue_per_fte"] / bench_m.where(bench_m > 0) - 1)
    gaps = gaps[(gaps["fte"] > 0) & np.isfinite(gaps["gap"])]
    spread = gaps.groupby("unit")["gap"].agg(["std", "count"])
    out["se"] = out["unit"].map(spread["std"] / np.sqrt(spread["count"]))
    months = out["unit"].map(spread["count"]).astype("float64").fillna(0)  # float even when no unit has months
    crit = pd.Series(stats.t.ppf(0.5 + rule.confidence / 2, np.maximum(months - 1, 1)), index=out.index)
    crit[months < MIN_MONTHS] = np.nan
    out["gap_low"] = out["gap"] - crit * out["se"]
    out["gap_high"] = out["gap"] + crit * out["se"]
    shrunk, shrunk_se = shrink(out["gap"], out["se"], out["eligible"] & (months >= MIN_MONTHS))
    z = stats.norm.ppf(0.5 + rule.confidence / 2)
    out["shrunk_gap"] = shrunk
    out["shrunk_low"] = shrunk - z * shrunk_se
    out["shrunk_high"] = shrunk + z * shrunk_se
    out["robust_z"] = robust_z(out["gap"].where(out["eligible"]))
    out["flagged"] = (
        (out["eligible"] & (months >= MIN_MONTHS) & (out["gap"] <= -rule.threshold) & (out["shrunk_high"] < 0))
        .fillna(False)
        .astype(bool)
    )
    out["strong"] = out["flagged"] & (out["shrunk_high"] <= -rule.threshold / 2)
    out["shortfall"] = (out["benchmark"] * out["fte"] - out["revenue"]).clip(lower=0)
    return out


def screen(units: pd.DataFrame, tests: pd.DataFrame, rule: FlagRule) -> pd.DataFrame:
    """``units`` (regions and teams from :func:`compare`) with the composition test and the policy.

    ``tests`` has ``level``, ``unit`` and the columns of :func:`.composition.composition_test`.
    Adds ``p_value`` (one-sided, low), ``q_value`` (Benjamini–Hochberg over every eligible unit with
    a p-value, all levels together), ``survives`` and ``watch``; ``flagged`` keeps only the
    survivors, ``strong`` (high) only those with q ≤ :data:`~salesops_lib.analyses.multiplicity.STRONG`
    (which takes at least cells ÷ 0.001 permutations to resolve). ``watch``: a tested unit that is not flagged but is materially below
    (gap ≤ −threshold) — at most a low finding. Cells that are not tested (not eligible) get no
    p-value.
    """
    out = units.drop(columns=[c for c in tests.columns if c not in ("level", "unit") and c in units], errors="ignore")
    out = out.merge(tests, on=["level", "unit"], how="left")
    out["p_value"] = out["p_low"].where(out["eligible"] & (out["months"] >= MIN_MONTHS))
    out["q_value"] = bh_adjust(out["p_value"].to_numpy(dtype="float64"))
    out["survives"] = (out["q_value"] <= FDR).fillna(False).astype(bool)
    tested = out["eligible"] & (out["months"] >= MIN_MONTHS)
    material = out["gap"] <= -rule.threshold
    clear = out["flagged"].astype(bool)
    out["flagged"] = clear & out["survives"]
    out["strong"] = out["strong"].astype(bool) & out["flagged"] & (out["q_value"] <= STRONG).fillna(False)
    out["watch"] = (tested & material).fillna(False).astype(bool) & ~out["flagged"]
    return out


def shrink(gap: pd.Series, se: pd.Series, use: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Empirical-Bayes (random-effects) estimates of the gaps and their standard errors.

    Between-unit variance τ² by DerSimonian–Laird over the ``use`` units; each gap moves toward the
    precision-weighted mean μ by the factor se² ÷ (se² + τ²). A unit without month-to-month variation
    (se = 0) keeps its gap exactly; units outside ``use`` keep NaN.
    """
    ok = use & np.isfinite(gap) & np.isfinite(se) & (se > 0)
    nan = pd.Series(np.nan, index=gap.index)
    exact = use & np.isfinite(gap) & (se == 0)
    nan_or_exact = nan.where(~exact, gap), nan.where(~exact, 0.0)
    if ok.sum() < 2:
        return nan_or_exact
    g, s2 = gap[ok], se[ok] ** 2
    w = 1 / s2
    mu = float((w * g).sum() / w.sum())
    q = float((w * (g - mu) ** 2).sum())
    denom = float(w.sum() - (w**2).sum() / w.sum())
    tau2 = max(0.0, (q - (ok.sum() - 1)) / denom) if denom > 0 else 0.0
    factor = tau2 / (tau2 + s2)
    estimate, sd = nan_or_exact[0].copy(), nan_or_exact[1].copy()
    estimate[ok] = mu + factor * (g - mu)
    sd[ok] = np.sqrt(factor * s2)
    return estimate, sd


def robust_z(values: pd.Series) -> pd.Series:
    """(value − median) ÷ (1.4826 · median absolute deviation); NaN when the MAD is zero."""
    finite = values[np.isfinite(values)]
    if finite.size < 3:
        return pd.Series(np.nan, index=values.index)
    median = finite.median()
    mad = 1.4826 * (finite - median).abs().median()
    return (values - median) / mad if mad > 0 else pd.Series(np.nan, index=values.index)
