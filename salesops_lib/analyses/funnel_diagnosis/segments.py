"""Segment comparison: each segment's conversion at each step against the rest of the company.

For every dimension and step: the segment's rate with its Wilson interval, an empirical-Bayes
rate shrunk toward the company (small segments cannot look extreme), the two-proportion z-test
against all other segments with Holm's correction within the dimension and step, and a
chi-square test that the segments differ at all. Segments with fewer than ``min_size``
decided deals are flagged ``small`` and never ranked.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from salesops_lib.analyses.funnel_diagnosis.facts import StagePlan
from salesops_lib.analyses.funnel_diagnosis.stages import funnel_table
from salesops_lib.analyses.funnel_diagnosis.stats import chi_square, holm, shrink, two_proportion

COLUMNS = [
    "dimension",
    "segment",
    "step",
    "k",
    "reached",
    "advanced",
    "lost",
    "open",
    "decided",
    "rate",
    "rate_lo",
    "rate_hi",
    "shrunk",
    "rest_rate",
    "difference",
    "p_value",
    "p_adjusted",
    "chi2_p",
    "small",
    "significant",
]


def compare_segments(
    counts: dict[str, pd.DataFrame], leads: dict[str, pd.DataFrame], plan: StagePlan, *, alpha: float, min_size: int
) -> pd.DataFrame:
    """The comparison table for every dimension in ``counts`` (outcome counts by that dimension)
    and ``leads`` (lead counts by that dimension).
    """
    parts = []
    for dimension, frame in counts.items():
        table = funnel_table(frame, plan, by=[dimension], alpha=alpha, leads=leads.get(dimension))
        table = table[table["k"] < plan.n].rename(
            columns={dimension: "segment", "conversion": "rate", "conversion_lo": "rate_lo", "conversion_hi": "rate_hi"}
        )
        table["dimension"] = dimension
        parts.append(table)
    if not parts:
        return pd.DataFrame(columns=COLUMNS)
    table = pd.concat(parts, ignore_index=True)
    out = []
    for _, rows in table.groupby(["dimension", "k"], sort=False):
        group = rows.copy()
        total_k, total_n = group["advanced"].sum(), group["decided"].sum()
        rest_k, rest_n = total_k - group["advanced"], total_n - group["decided"]
        group["rest_rate"] = np.where(rest_n > 0, rest_k / rest_n.where(rest_n > 0, 1), np.nan)
        group["difference"] = group["rate"] - group["rest_rate"]
        group["small"] = group["decided"] < min_size
        _z, p = two_proportion(group["advanced"], group["decided"], rest_k, rest_n)
        group["p_value"] = np.where(group["small"], np.nan, p)
        group["p_adjusted"] = holm(group["p_value"])
        group["shrunk"] = shrink(group["advanced"], group["decided"])
        group["chi2_p"] = chi_square(group["advanced"], group["decided"])
        group["significant"] = group["p_adjusted"] < alpha
        out.append(group)
    return pd.concat(out, ignore_index=True)[COLUMNS]


def recoverable(
    segments: pd.DataFrame, funnel: pd.DataFrame, dimension: str, plan: StagePlan, avg_won: float
) -> pd.DataFrame:
    """Unit × step gaps ranked by the value the unit would win more if it converted like the rest:
    (rest rate − shrunk rate) × decided × chance of winning after the step × average won deal.
    Small segments are left out.
    """
    table = segments[(segments["dimension"] == dimension) & ~segments["small"]].copy()
    if table.empty or not np.isfinite(avg_won):
        return table.assign(gap=np.nan, downstream=np.nan, recoverable_value=np.nan)
    steps = funnel.set_index("k")["conversion"]
    downstream = {k: float(np.prod(steps[(steps.index > k) & (steps.index < plan.n)].fillna(1.0))) for k in steps.index}
    table["gap"] = (table["rest_rate"] - table["shrunk"]).clip(lower=0)
    table["downstream"] = table["k"].map(downstream)
    table["recoverable_value"] = table["gap"] * table["decided"] * table["downstream"] * avg_won
    table = table[table["recoverable_value"] > 0]
    return table.sort_values("recoverable_value", ascending=False).reset_index(drop=True)
