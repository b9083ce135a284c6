"""Reallocation within the budget: move money from where it returns least to where it returns most.

Two suggestions, both budget-neutral to the cent:

* **Campaigns** (direct attribution): the cost of each low-ROI campaign goes, next time, to the
  campaign type with the highest marginal return (elasticity × typical pipeline per cost, see
  :func:`.campaigns._types`); the expected pipeline gain = amount × that return − the pipeline
  the flagged campaign brought.
* **Spend categories** (the response model): in steps of 1 % of the spend per period, money
  moves from the category with the lowest marginal return to the one with the highest, each
  category changing by at most ``max_shift`` of its current spend, until the best recipient
  returns less than 5 % more than the worst donor. Recipients must have a marginal return whose
  interval is above zero and spend that does not follow output (see :mod:`.response`); the
  expected change of output and its 95 % interval come from the sampling distribution of the
  coefficients (the shape and carry-over held fixed).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from salesops_lib.analyses.expense_roi.campaigns import CampaignRoi
from salesops_lib.analyses.expense_roi.money import to_cents
from salesops_lib.analyses.expense_roi.response import ResponseModel

STEP_SHARE = 0.01
MIN_GAIN_RATIO = 1.05

CAMPAIGN_MOVE_COLUMNS = [
    "campaign_id",
    "name",
    "from_type",
    "region",
    "amount",
    "to_type",
    "to_marginal_return",
    "expected_pipeline",
    "forgone_pipeline",
    "pipeline_gain",
]


def campaign_moves(roi: CampaignRoi | None) -> pd.DataFrame:
    """One move per low-ROI campaign: its cost to the type with the highest marginal return (none without campaigns).

    Examples
    --------
    >>> campaign_moves(campaign_roi(connect("demo"), dt.date(2025, 6, 30), dt.date(2024, 7, 1)))  # doctest: +SKIP
    """
    if roi is None:
        return pd.DataFrame(columns=CAMPAIGN_MOVE_COLUMNS)
    types = roi.types[roi.types["judged"] > 0].dropna(subset=["marginal_return"])
    if types.empty or roi.low_roi.empty:
        return pd.DataFrame(columns=CAMPAIGN_MOVE_COLUMNS)
    best = types.sort_values(["marginal_return", "type"], ascending=[False, True]).iloc[0]
    rows = []
    for row in roi.low_roi.to_dict("records"):
        amount = float(row["cost"])
        expected = float(to_cents(amount * best["marginal_return"]))
        rows.append(
            {
                "campaign_id": row["campaign_id"],
                "name": row["name"],
                "from_type": row["type"],
                "region": row["region"],
                "amount": amount,
                "to_type": best["type"],
                "to_marginal_return": float(best["marginal_return"]),
                "expected_pipeline": expected,
                "forgone_pipeline": float(row["pipeline"]),
                "pipeline_gain": float(to_cents(expected - row["pipeline"])),
            }
        )
    return pd.DataFrame(rows, columns=CAMPAIGN_MOVE_COLUMNS)


@dataclass(frozen=True)
class BudgetShift:
    """A budget-neutral shift of spend per period between categories (money for all units together)."""

    #: category, current, suggested, change, marginal_now, marginal_after, eligible_recipient
    table: pd.DataFrame
    #: expected change of output per period, and its 95 % interval
    gain: float
    gain_low: float
    gain_high: float

    @property
    def moved(self) -> float:
        """Money moved per period (the sum of the increases = the sum of the decreases)."""
        return float(to_cents(self.table["change"].clip(lower=0).sum()))


def budget_shift(model: ResponseModel, max_shift: float) -> BudgetShift:
    """The model-based shift (see the module docstring); all changes are whole cents summing to zero."""
    est = model.estimates.set_index("category")
    units = max(model.units, 1)
    current = np.round(est["current_spend"].to_numpy(dtype=float) * units * 100).astype(np.int64)  # cents
    eligible = ((est["marginal_low"] > 0) & ~est.index.isin(model.follows_output)).to_numpy()
    step = max(round(current.sum() * STEP_SHARE), 1)  # round() of a NumPy float is an int
    floor = np.floor(current * (1 - max_shift)).astype(np.int64)
    ceiling = np.ceil(current * (1 + max_shift)).astype(np.int64)
    suggested = current.copy()
    while True:  # ends: every step moves money towards a bound
        now = _marginals(model, suggested, units)
        can_give = suggested - step >= floor
        can_take = eligible & (suggested + step <= ceiling)
        if not can_give.any() or not can_take.any():
            break
        donor = int(np.argmin(np.where(can_give, now, np.inf)))
        recipient = int(np.argmax(np.where(can_take, now, -np.inf)))
        if donor == recipient or now[recipient] <= 0 or now[recipient] <= MIN_GAIN_RATIO * max(now[donor], 0.0):
            break
        suggested[donor] -= step
        suggested[recipient] += step
    change = suggested - current
    table = pd.DataFrame(
        {
            "category": est.index,
            "current": current / 100,
            "suggested": suggested / 100,
            "change": change / 100,
            "marginal_now": _marginals(model, current, units),
            "marginal_after": _marginals(model, suggested, units),
            "eligible_recipient": eligible,
        }
    )
    per_beta = _gain_per_beta(model, current / 100 / units, suggested / 100 / units) * units
    point = float(per_beta @ est["beta"].to_numpy(dtype=float))
    draws = model.draws[list(est.index)].to_numpy() @ per_beta
    low, high = np.percentile(draws, [2.5, 97.5]) if change.any() else (0.0, 0.0)
    return BudgetShift(table=table, gain=point, gain_low=float(low), gain_high=float(high))


def _marginals(model: ResponseModel, cents: np.ndarray, units: int) -> np.ndarray:
    """Marginal return per category at ``cents`` of spend per period (all units together)."""
    categories = model.estimates["category"]
    return np.array([float(model.marginal(c, cents[i] / 100 / units)) for i, c in enumerate(categories)])


def _gain_per_beta(model: ResponseModel, now: np.ndarray, after: np.ndarray) -> np.ndarray:
    """Change of steady-state output per unit-period from ``now`` to ``after``, per unit of β."""
    categories = model.estimates["category"]
    return np.array(
        [float(model.response(c, after[i], 1.0) - model.response(c, now[i], 1.0)) for i, c in enumerate(categories)]
    )
