"""The expense ROI report's findings: budget flags, low-ROI campaigns, reallocations, expense ratio.

Each function turns one section's result into :class:`~salesops_lib.analyses.findings.Finding`
records (data only: the words are in ``report/expense_roi/labels.yaml``). :data:`KINDS` lists
every kind the report raises.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from salesops_lib.analyses.expense_roi.alignment import ExpenseAlignment
from salesops_lib.analyses.expense_roi.budget import TOTAL, BudgetControl
from salesops_lib.analyses.expense_roi.campaigns import CampaignRoi
from salesops_lib.analyses.expense_roi.money import safe_ratio, to_cents
from salesops_lib.analyses.expense_roi.reallocation import BudgetShift
from salesops_lib.analyses.expense_roi.response import ResponseModel
from salesops_lib.analyses.findings import Finding, Severity
from salesops_lib.analyses.multiplicity import FDR as POLICY_FDR
from salesops_lib.analyses.multiplicity import STRONG, bh_adjust

ANALYSIS = "expense_roi"
"""``Finding.analysis`` of every finding of this report (= the report's name)."""
KINDS = (
    "budget_overrun",
    "budget_underspend",
    "unbudgeted_spend",
    "campaign_low_roi",
    "campaign_reallocation",
    "spend_shift",
    "expense_ratio_high",
)

HIGH_FACTOR = 1.5
"""An overrun is ``high`` when its variance % is at least this many times the threshold …"""
PERSISTENT_SHARE = 2 / 3
"""… and the spend was over budget in at least this share of the months so far."""
HIGH_Z = -3.0
"""A low-ROI campaign is ``high`` when its log pipeline ÷ cost is this many robust sds below its
peers' (and its shortfall survives the policy strongly, q ≤ ``STRONG``)."""


def finite_or(value: object, default: float) -> float:
    """``value`` as a float, or ``default`` when it is missing, NaN or infinite (for findings' facts)."""
    try:
        number = float(value)  # type: ignore[arg-type]  # any object: its TypeError means "missing"
    except (TypeError, ValueError):
        return default
    return number if np.isfinite(number) else default


# --------------------------------------------------------------------------- budget


def budget_findings(control: BudgetControl, period: str) -> list[Finding]:
    """Overrun, underspend and unbudgeted-spend findings: flagged company categories (level
    "company", unit = the category), then units' flags (level and unit of the unit) in the
    categories whose company total is not flagged — each problem is reported once.
    """
    company = control.company[(control.company["category"] != TOTAL) & control.company["flag"]]
    out = [_finding(row, control.scope[0], control, period) for row in company.to_dict("records")]
    if control.level not in ("company", control.scope[0]):
        units = control.units[control.units["flag"] & ~control.units["category"].isin(company["category"])]
        out += [_finding(row, control.level, control, period) for row in units.to_dict("records")]
    return out


def _finding(row: dict[Hashable, Any], level: str, control: BudgetControl, period: str) -> Finding:
    status = str(row["status"])
    kind = {"over": "budget_overrun", "under": "budget_underspend", "no_budget": "unbudgeted_spend"}[status]
    variance = float(row["variance"])
    projected_over = finite_or(row["projected_over"], variance)
    pct = finite_or(row["variance_pct"], 0.0)
    months_over, months = int(row["months_over"]), int(row["months"])
    severity: Severity
    if kind == "budget_overrun":
        persistent = months > 0 and months_over >= PERSISTENT_SHARE * months
        severity = "high" if pct >= HIGH_FACTOR * control.thresholds.overrun and persistent else "medium"
        at_stake, action = max(variance, projected_over), "contain_overrun"
    elif kind == "budget_underspend":
        severity, at_stake, action = "low", abs(variance), "release_budget"
    else:
        severity, at_stake, action = "medium", abs(variance), "budget_the_spend"
    # the company's finding is about a category (its unit); a unit's, about the unit (category in the metric)
    unit = str(row["category"]) if level == "company" else str(row["unit"])
    return Finding(
        analysis=ANALYSIS,
        kind=kind,
        severity=severity,
        level=level,
        unit=unit,
        metric=f"budget_variance:{row['category']}",
        value=float(row["spent_ytd"]),
        baseline=float(row["budget_ytd"]),
        period=period,
        at_stake=float(at_stake),
        facts={
            "category": str(row["category"]),
            "over": pct,
            "gap": abs(pct),
            "variance": variance,
            "spent": float(row["spent_ytd"]),
            "budget_amount": float(row["budget_ytd"]),
            "annual_budget": float(row["annual_budget"]),
            "projected_over": projected_over,
            "months_over": months_over,
            "months": months,
            "budget_level": control.level,
            "fiscal_start": control.fiscal_start.isoformat(),
        },
        action=action,
    )


# --------------------------------------------------------------------------- campaigns


LOSS_RATIO = 1.0
"""A low-ROI campaign is an alert only when it sourced less pipeline than it cost (it cannot pay
back even if every deal is won); one merely far below its peers is a watch item."""


def campaign_q_values(roi: CampaignRoi) -> pd.Series:
    """Per judged campaign (by id): the q-value of its shortfall against its peers — p = Φ(robust
    z), the chance of a log pipeline ÷ cost this low among peers like these — under the review's
    multiplicity policy across every judged campaign.
    """
    judged = roi.campaigns[roi.campaigns["robust_z"].notna()]
    p = stats.norm.cdf(judged["robust_z"].to_numpy(dtype=float))
    return pd.Series(bh_adjust(p), index=judged["campaign_id"].to_numpy())


def campaign_findings(roi: CampaignRoi, period: str) -> list[Finding]:
    """One finding per low-ROI campaign; at stake = the cost above what its pipeline costs at the
    peers' median. Medium or high only when the shortfall survives the multiplicity policy
    (:func:`campaign_q_values`) and the campaign sourced less than it cost (:data:`LOSS_RATIO`);
    otherwise a low watch item.
    """
    out = []
    q_values = campaign_q_values(roi)
    for row in roi.low_roi.to_dict("records"):
        typical_cost = safe_ratio(row["pipeline"], row["peer_median_ratio"])
        excess = float(to_cents(row["cost"] - (typical_cost if np.isfinite(typical_cost) else 0.0)))
        z = float(row["robust_z"]) if pd.notna(row["robust_z"]) else 0.0
        q = float(q_values.get(row["campaign_id"], np.nan))
        severity: Severity = "low"
        if np.isfinite(q) and q <= POLICY_FDR and row["pipeline_to_cost"] < LOSS_RATIO:
            severity = "high" if z <= HIGH_Z and q <= STRONG else "medium"
        out.append(
            Finding(
                analysis=ANALYSIS,
                kind="campaign_low_roi",
                severity=severity,
                level="campaign",
                unit=str(row["campaign_id"]),
                metric="pipeline_to_cost",
                value=float(row["pipeline_to_cost"]),
                baseline=float(row["peer_median_ratio"]),
                period=period,
                at_stake=excess,
                facts={
                    "campaign": str(row["name"] or row["campaign_id"]),
                    "campaign_type": str(row["type"]),
                    "region": str(row["region"] or ""),
                    "cost": float(row["cost"]),
                    "pipeline": float(row["pipeline"]),
                    "leads": int(row["leads"]),
                    "opportunities": int(row["opportunities"]),
                    "won_revenue": float(row["won_revenue"]),
                    "roi": finite_or(row["roi"], 0.0),
                    "ratio": float(row["pipeline_to_cost"]),
                    "peer_ratio": float(row["peer_median_ratio"]),
                    "robust_z": z if np.isfinite(z) else -99.0,
                    "q_value": q if np.isfinite(q) else 1.0,
                    "excess_cost": excess,
                    "attribution": roi.attribution,
                    "start": str(pd.Timestamp(row["start_date"]).date()),
                },
                action="stop_or_redesign",
            )
        )
    return out


# --------------------------------------------------------------------------- reallocation


def reallocation_findings(
    moves: pd.DataFrame,
    shift: BudgetShift | None,
    model: ResponseModel | None,
    period: str,
    *,
    backed: bool = True,
) -> list[Finding]:
    """The campaign move (medium when it rests on a low-ROI campaign that is an alert, ``backed``;
    else low) and the model shift (low, or info when the model cannot separate the categories or
    the gain's interval includes zero).
    """
    out = []
    if not moves.empty:
        amount = float(to_cents(moves["amount"].sum()))
        gain = float(to_cents(moves["pipeline_gain"].sum()))
        first = moves.iloc[0]
        out.append(
            Finding(
                analysis=ANALYSIS,
                kind="campaign_reallocation",
                severity="medium" if backed else "low",
                level="company",
                unit="company",
                metric="pipeline_to_cost",
                value=float(first["to_marginal_return"]),
                baseline=None,
                period=period,
                at_stake=gain,
                facts={
                    "amount": amount,
                    "campaigns": len(moves),
                    "from_type": str(first["from_type"]),
                    "to_type": str(first["to_type"]),
                    "to_return": float(first["to_marginal_return"]),
                    "pipeline_gain": gain,
                },
                action="move_campaign_budget",
            )
        )
    if shift is not None and model is not None and shift.moved > 0:
        table = shift.table
        donor = table.sort_values("change").iloc[0]
        recipient = table.sort_values("change").iloc[-1]
        supported = model.separable and shift.gain_low > 0
        out.append(
            Finding(
                analysis=ANALYSIS,
                kind="spend_shift",
                severity="low" if supported else "info",
                level="company",
                unit="company",
                metric="marginal_roi",
                value=float(recipient["marginal_now"]),
                baseline=float(donor["marginal_now"]),
                period=period,
                at_stake=max(shift.gain, 0.0),
                facts={
                    "from_category": str(donor["category"]),
                    "to_category": str(recipient["category"]),
                    "amount": shift.moved,
                    "gain": shift.gain,
                    "gain_low": shift.gain_low,
                    "gain_high": shift.gain_high,
                    "model_period": model.period,
                    "supported": supported,
                    "to_return": float(recipient["marginal_now"]),
                    "from_return": float(donor["marginal_now"]),
                    "return_ratio": float(safe_ratio(recipient["marginal_now"], donor["marginal_now"])),
                },
                action="test_before_moving",
            )
        )
    return out


# --------------------------------------------------------------------------- expense ratio


def alignment_findings(alignment: ExpenseAlignment, period: str) -> list[Finding]:
    """One low-severity note per flagged region; at stake = the spend above the company's ratio."""
    out = []
    for row in alignment.table[alignment.table["flag"]].to_dict("records"):
        excess = float(to_cents(row["expenses"] - alignment.company_ratio * row["revenue"]))
        out.append(
            Finding(
                analysis=ANALYSIS,
                kind="expense_ratio_high",
                severity="low",
                level="region",
                unit=str(row["unit"]),
                metric="expense_ratio",
                value=float(row["expense_ratio"]),
                baseline=alignment.company_ratio,
                period=period,
                at_stake=max(excess, 0.0),
                facts={
                    "ratio_vs_company": float(row["ratio_vs_company"]),
                    "expense_share": float(row["expense_share"]),
                    "target_share": float(row["target_share"]),
                    "excess": excess,
                },
                action="review_spend_mix",
            )
        )
    return out
