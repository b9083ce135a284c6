"""The forecast's findings: the period outlook, units unlikely to reach target, thin pipeline,
slipping deals, declining key accounts, and a note on accuracy.

Severity rules (material size and statistical support only):

* ``outlook`` — the root's projection; ``medium`` when the miss is a discovery (below) and the
  projected gap is at least :data:`MATERIAL_GAP` of target; ``low`` when the probability of
  hitting is below ``risk_probability`` with that gap but not a discovery; else ``info``.
* ``unit_at_risk`` — regions with the same rules (``medium`` / ``low``), and teams (``low``, the
  :data:`MAX_TEAMS` largest gaps) below ``risk_probability`` with a material gap.

Discoveries follow the review's multiplicity policy (:mod:`salesops_lib.analyses.multiplicity`):
a unit's P(hit) is the p-value of "it will reach target" (small when a miss is likely), and
Benjamini–Hochberg runs across every unit screened for a medium finding — the root and its
regions — so on a plan that is on track a run raises no medium miss in ≥ 95 % of quarters.
* ``thin_pipeline`` — coverage below the threshold share of the unit's usual coverage while the
  unit is also below 50 % probability of hitting: ``medium`` for the root and regions whose miss is
  a discovery (below), else ``low`` (teams always ``low``).
* ``slipping_deals`` — ``low``; ``medium`` when they hold at least 5 % of the remaining target.
* ``key_account_decline`` — ``high`` for a decline of half or more whose yearly value at risk is at
  least :data:`MATERIAL_ACCOUNT` of the root's revenue over the last 12 months or
  :data:`MATERIAL_OWNER_SHARE` of the owner's, else ``medium``; ``low`` when the change does not
  survive the multiplicity policy (a watch list).
* ``accuracy`` — ``info``.

A weak forecast (:mod:`.strength`: short history, few backtest windows or no better than the
seasonal naive) raises no confident finding: the findings that rest on it
(:data:`RESTS_ON_FORECAST`, and slipping deals when their share is of the forecast remainder for
want of a target) are at most ``low`` and carry a ``weak_forecast`` caveat with the reasons;
slipping deals against a target and key accounts, which do not rest on the forecast, keep theirs.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from salesops_lib.analyses.findings import Finding, Severity
from salesops_lib.analyses.forecast.strength import ForecastStrength
from salesops_lib.analyses.multiplicity import bh_adjust, discoveries

ANALYSIS = "forecast"
KINDS = (
    "outlook",
    "outlook_no_target",
    "unit_at_risk",
    "thin_pipeline",
    "slipping_deals",
    "key_account_decline",
    "accuracy",
)
MATERIAL_GAP = 0.03
MATERIAL_ACCOUNT = 0.005
MATERIAL_OWNER_SHARE = 0.1
MAX_TEAMS = 5
"""A band widened or narrowed by at least this share is worth a note (monthly and root level only)."""
RESTS_ON_FORECAST = ("outlook", "outlook_no_target", "unit_at_risk", "thin_pipeline")
"""The findings a weak forecast cannot support (capped at ``low``)."""


def build(
    *,
    period: str,
    label: str,
    root_level: str,
    root: str,
    units: pd.DataFrame,
    accuracy: pd.DataFrame,
    coverage: pd.DataFrame,
    slipping: pd.DataFrame,
    accounts: pd.DataFrame,
    annual_revenue: float,
    owner_revenue: dict[str, float],
    risk_probability: float,
    strength: ForecastStrength | None = None,
    slipping_total: int | None = None,
    slipping_value: float | None = None,
) -> list[Finding]:
    """Every finding of the forecast, in the order the page shows them (``strength``: the root
    forecast's, see :mod:`.strength`; None = not assessed, nothing capped). ``slipping`` may be
    the first rows of a longer list: ``slipping_total`` and ``slipping_value`` then count and
    value all of it (None: ``slipping`` is the whole list).
    """

    def finding(
        kind: str,
        severity: Severity,
        level: str,
        unit: str,
        metric: str,
        value: float | None,
        baseline: float | None,
        *,
        at_stake: float = 0.0,
        action: str = "",
        cause: str = "",
        **facts: object,
    ) -> Finding:
        return Finding(
            analysis=ANALYSIS,
            kind=kind,
            severity=severity,
            level=level,
            unit=unit,
            metric=metric,
            value=None if value is None or not np.isfinite(value) else float(value),
            baseline=None if baseline is None or not np.isfinite(baseline) else float(baseline),
            period=period,
            at_stake=float(max(at_stake, 0.0)),
            facts={"quarter": label, **facts},
            cause=cause,
            action=action,
        )

    out: list[Finding] = []
    screened = _screened(units, root_level, root)
    head = units[(units["level"] == root_level) & (units["unit"] == root)].iloc[0]
    has_target = bool(np.isfinite(head["target"]) and head["target"] > 0)
    if has_target:
        severity = _severity(head, screened, root_level, risk_probability, "info")
        out.append(
            finding(
                "outlook",
                severity,
                root_level,
                root,
                "revenue",
                head["forecast"],
                head["target"],
                at_stake=head["target"] - head["forecast"],
                action="close_gap" if head["p_hit"] < 0.5 else "keep_pace",
                attainment=float(head["attainment"]),
                low=float(head["lo80"] / head["target"]),
                high=float(head["hi80"] / head["target"]),
                p_hit=float(head["p_hit"]),
                q_value=_q(screened, root_level, root),
            )
        )
    else:
        out.append(
            finding(
                "outlook_no_target",
                "info",
                root_level,
                root,
                "revenue",
                head["forecast"],
                None,
                low=float(head["lo80"]),
                high=float(head["hi80"]),
            )
        )

    for level in ("region", "team"):
        rows = units[(units["level"] == level) & units["target"].gt(0)]
        rows = rows[[_at_risk(r, risk_probability) for _, r in rows.iterrows()]] if len(rows) else rows
        rows = rows.assign(gap=rows["target"] - rows["forecast"]).sort_values("gap", ascending=False)
        if level == "team":
            rows = rows.head(MAX_TEAMS)
        for _, r in rows.iterrows():
            out.append(
                finding(
                    "unit_at_risk",
                    _severity(r, screened, level, risk_probability, "low"),
                    level,
                    r["unit"],
                    "revenue",
                    r["forecast"],
                    r["target"],
                    at_stake=r["gap"],
                    action="recovery_plan",
                    attainment=float(r["attainment"]),
                    p_hit=float(r["p_hit"]),
                    q_value=_q(screened, level, str(r["unit"])),
                )
            )

    hit = units.set_index(["level", "unit"])["p_hit"]
    for _, r in coverage[coverage["thin"]].iterrows():
        p = hit.get((r["level"], r["unit"]), np.nan)
        if not (np.isfinite(p) and p < 0.5):
            continue
        survives = bool(screened["survives"].get((r["level"], str(r["unit"])), False)) if len(screened) else False
        severity = "medium" if survives and r["level"] != "team" else "low"
        out.append(
            finding(
                "thin_pipeline",
                severity,
                r["level"],
                r["unit"],
                "revenue",
                r["open_pipeline"],
                r["remaining_target"],
                at_stake=r["remaining_target"] - r["open_pipeline"],
                action="build_pipeline",
                coverage=float(r["coverage"]),
                usual=float(r["usual_coverage"]),
            )
        )

    if not slipping.empty:
        value = float(slipping["value"].fillna(0).sum()) if slipping_value is None else slipping_value
        remaining = float(head["target"] - head["booked"]) if has_target else float(head["remaining"])
        share = value / remaining if remaining > 0 else 0.0
        out.append(
            finding(
                "slipping_deals",
                "medium" if share >= 0.05 else "low",
                root_level,
                root,
                "won_value",
                value,
                None,
                at_stake=value,
                action="review_slipping",
                deals=len(slipping) if slipping_total is None else slipping_total,
                share=share,
                reason=str(slipping["reason"].iloc[0]),
                against="target" if has_target else "forecast",
            )
        )

    for _, a in accounts.iterrows():
        owner = owner_revenue.get(str(a["owner"]), 0.0)
        material = (annual_revenue > 0 and a["value_at_risk"] >= MATERIAL_ACCOUNT * annual_revenue) or (
            owner > 0 and a["value_at_risk"] >= MATERIAL_OWNER_SHARE * owner
        )
        strong = a["reason"] == "decline" and np.isfinite(a["change"]) and a["change"] <= -0.5
        out.append(
            finding(
                "key_account_decline",
                ("high" if (material and strong) else "medium") if a["significant"] else "low",
                "customer",
                str(a["customer_id"]),
                "revenue",
                a["last_window"],
                a["previous_window"],
                at_stake=a["value_at_risk"],
                action="account_plan",
                cause=str(a["reason"]),
                cause_text=str(a["reason"]),
                account=str(a["name"]),
                owner=str(a["owner"]),
                change=float(a["change"]) if np.isfinite(a["change"]) else None,
            )
        )

    top = accuracy[(accuracy["level"] == root_level) & (accuracy["method"] == "blend")]
    if not top.empty:
        r = top.iloc[0]
        out.append(
            finding(
                "accuracy",
                "info",
                root_level,
                root,
                "revenue",
                None,
                None,
                accuracy=float(r["accuracy"]),
                vs_snaive=float(r["vs_snaive"]),
                origins=int(r["origins"]),
                better="yes" if r["vs_snaive"] < 1 else "no",
            )
        )
    return weakened(out, strength) if strength is not None and strength.weak else out


def weakened(findings: list[Finding], strength: ForecastStrength) -> list[Finding]:
    """``findings`` with those that rest on a weak forecast capped at ``low`` and a
    ``weak_forecast`` caveat (its reasons and figures) added to their facts.
    """
    caveat = {"code": "weak_forecast", "reasons": list(strength.reasons), **strength.figures()}
    return [
        replace(
            f,
            severity="low" if f.severity in ("medium", "high") else f.severity,
            facts={**f.facts, "weak": True, "caveats": [*f.facts.get("caveats", []), caveat]},
        )
        if f.kind in RESTS_ON_FORECAST or f.facts.get("against") == "forecast"
        else f
        for f in findings
    ]


def _screened(units: pd.DataFrame, root_level: str, root: str) -> pd.DataFrame:
    """The units screened for a medium miss — the root and the regions below it — with their
    Benjamini–Hochberg q-value (of P(hit)) and whether they survive the policy.
    """
    rows = units[
        ((units["level"] == root_level) & (units["unit"] == root))
        | ((units["level"] == "region") & (root_level != "region"))
    ]
    p = rows["p_hit"].where(rows["target"].gt(0))
    return rows[["level", "unit"]].assign(q=bh_adjust(p), survives=discoveries(p)).set_index(["level", "unit"])


def _q(screened: pd.DataFrame, level: str, unit: str) -> float | None:
    q = screened["q"].get((level, unit), np.nan) if len(screened) else np.nan
    return float(q) if np.isfinite(q) else None


def _severity(
    row: pd.Series, screened: pd.DataFrame, level: str, risk_probability: float, otherwise: Severity
) -> Severity:
    """``medium`` for a unit at risk whose miss survives the policy, ``low`` for one that does not
    (a watch item), ``otherwise`` for a unit not at risk.
    """
    if not _at_risk(row, risk_probability):
        return otherwise
    survives = bool(screened["survives"].get((level, str(row["unit"])), False)) if len(screened) else False
    return "medium" if survives else "low"


def _at_risk(row: pd.Series, risk_probability: float) -> bool:
    """P(hit) below ``risk_probability`` and a gap of at least :data:`MATERIAL_GAP` of target."""
    p, target, forecast = row["p_hit"], row["target"], row["forecast"]
    if not (np.isfinite(p) and np.isfinite(target) and target > 0):
        return False
    return bool(p < risk_probability and (target - forecast) / target >= MATERIAL_GAP)
