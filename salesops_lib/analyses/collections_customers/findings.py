"""The findings of the collections and customer-value report (coded facts; words live in
``salesops_lib/report/collections_customers/labels.yaml``).

Kinds and severities:

* ``collections_slip`` (high / medium) — a region's overdue share rose significantly against its
  own history and its peers (:mod:`.slip`); high when the rise is at least twice the material
  threshold. Money at stake: the unpaid amount above the higher baseline.
* ``key_account_churn`` (high for a decline, medium for a silence; low when the account's change
  does not survive the multiplicity policy) — a key account of
  :func:`salesops_lib.analyses.churn.key_account_risk`; money at stake: the yearly value at risk.
* ``overdue_chase`` (low) — the overdue invoices to chase first.
* ``doubtful_debt`` (low) — invoices more than a year past due: review for write-off.
* ``credit_balances`` (low) — over-payments and unapplied credit notes to refund or apply.
* ``ltv_calibration`` (info; low when the hold-out check is off by more than 15 %) — with the
  revenue bias and what it did to the headline (corrected, left uncorrected, suppressed).
* ``ltv_outlook`` (info) — predicted gross profit of the current customers, corrected by the
  hold-out bias, and the segment that yields most per customer; none when the headline is
  suppressed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from salesops_lib.analyses.findings import Finding, Severity
from salesops_lib.config.scope import RunScope

if TYPE_CHECKING:
    from salesops_lib.analyses.collections_customers.params import (
        CollectionsCustomersParams,
    )
    from salesops_lib.analyses.collections_customers.result import (
        CollectionsCustomersResult,
    )

ANALYSIS = "collections_customers"
KINDS: tuple[str, ...] = (
    "collections_slip",
    "overdue_chase",
    "doubtful_debt",
    "credit_balances",
    "key_account_churn",
    "ltv_calibration",
    "ltv_outlook",
)
CALIBRATION_BAND = (0.85, 1.15)
"""Hold-out predicted ÷ actual purchases inside this band reads as calibrated."""


def build_findings(
    result: CollectionsCustomersResult, scope: RunScope, params: CollectionsCustomersParams
) -> list[Finding]:
    """Every finding of ``result``."""
    where = ("region", scope.region) if scope.region else ("company", "company")
    out: list[Finding] = []
    if result.receivables is not None:
        out += _slip(result, scope, params)
        out += _receivable_actions(result, scope.period, where)
    out += _churn(result.churn, scope.period)
    out += _ltv(result, scope.period, where)
    return out


def _slip(result: CollectionsCustomersResult, scope: RunScope, params: CollectionsCustomersParams) -> list[Finding]:
    receivables = result.receivables
    assert receivables is not None
    rates = receivables.collection_by_region.set_index("unit")
    out = []
    row: Any  # an itertuples() row: its fields' types are known only at run time
    for row in receivables.slip[receivables.slip["slipping"]].itertuples():
        if scope.region and row.unit != scope.region:
            continue
        recent = _num(rates["recent"].get(row.unit)) if "recent" in rates else None
        previous = _num(rates["previous"].get(row.unit)) if "previous" in rates else None
        severity: Severity = "high" if row.increase_vs_history >= 2 * params.min_overdue_increase else "medium"
        out.append(
            Finding(
                analysis=ANALYSIS,
                kind="collections_slip",
                severity=severity,
                level="region",
                unit=str(row.unit),
                metric="collection_rate",
                value=recent,
                baseline=previous,
                period=scope.period,
                at_stake=float(row.excess_unpaid),
                cause="customers_pay_later",
                action="chase_region",
                facts={
                    "share": float(row.share),
                    "history_share": float(row.history_share),
                    "peer_share": float(row.peer_share),
                    "window_days": params.overdue_window_days,
                    "z_history": float(row.z_history),
                    "z_peers": float(row.z_peers),
                    "unpaid": float(row.unpaid),
                },
            )
        )
    return out


def _receivable_actions(result: CollectionsCustomersResult, period: str, where: tuple[str, str]) -> list[Finding]:
    receivables = result.receivables
    assert receivables is not None
    out = []
    chase = receivables.chase
    if not chase.empty:
        first = chase.iloc[0]
        out.append(
            Finding(
                analysis=ANALYSIS,
                kind="overdue_chase",
                severity="low",
                level=where[0],
                unit=where[1],
                metric="",
                value=float(chase["open"].sum()),
                baseline=None,
                period=period,
                at_stake=float(chase["expected_unpaid"].sum()),
                action="chase_first",
                facts={
                    "invoices": len(chase),
                    "open": float(chase["open"].sum()),
                    "customer": str(first["customer"]),
                    "owner": str(first["owner_name"]),
                    "first_open": float(first["open"]),
                    "first_days": int(first["days_past_due"]),
                },
            )
        )
    if receivables.doubtful > 0:
        out.append(
            Finding(
                analysis=ANALYSIS,
                kind="doubtful_debt",
                severity="low",
                level=where[0],
                unit=where[1],
                metric="",
                value=receivables.doubtful,
                baseline=None,
                period=period,
                at_stake=receivables.doubtful,
                action="write_off_review",
                facts={"amount": receivables.doubtful, "invoices": receivables.doubtful_invoices},
            )
        )
    if receivables.credit_total > 0:
        out.append(
            Finding(
                analysis=ANALYSIS,
                kind="credit_balances",
                severity="low",
                level=where[0],
                unit=where[1],
                metric="",
                value=receivables.credit_total,
                baseline=None,
                period=period,
                at_stake=receivables.credit_total,
                action="refund_or_apply",
                facts={"amount": receivables.credit_total, "customers": receivables.credit_customers},
            )
        )
    return out


def _churn(churn: pd.DataFrame, period: str) -> list[Finding]:
    out = []
    row: Any  # an itertuples() row: its fields' types are known only at run time
    for row in churn.itertuples():
        severity: Severity = ("high" if row.reason == "decline" else "medium") if row.significant else "low"
        out.append(
            Finding(
                analysis=ANALYSIS,
                kind="key_account_churn",
                severity=severity,
                level="customer",
                unit=str(row.customer_id),
                metric="revenue",
                value=float(row.last_window),
                baseline=float(row.previous_window),
                period=period,
                at_stake=float(row.value_at_risk),
                cause=str(row.reason),
                action="account_review",
                facts={
                    "name": str(row.name),
                    "owner": str(row.owner_name),
                    "owner_id": str(row.owner),
                    "reason": str(row.reason),
                    "days_since_last": int(row.days_since_last),
                    "q_value": float(row.q_value),
                    **({"change": float(row.change)} if pd.notna(row.change) else {}),
                },
            )
        )
    return out


def _ltv(result: CollectionsCustomersResult, period: str, where: tuple[str, str]) -> list[Finding]:
    prediction = result.customers.prediction
    if prediction is None:
        return []
    ratio = float(prediction.holdout["ratio"])
    calibrated = CALIBRATION_BAND[0] <= ratio <= CALIBRATION_BAND[1]
    low, high = prediction.calibration["ratio"].iloc[0], prediction.calibration["ratio"].iloc[-1]
    fix = prediction.correction
    status = fix.status if fix is not None else "uncorrected"
    out = [
        Finding(
            analysis=ANALYSIS,
            kind="ltv_calibration",
            severity="info" if calibrated else "low",
            level=where[0],
            unit=where[1],
            metric="",
            value=float(prediction.holdout["predicted"]),
            baseline=float(prediction.holdout["actual"]),
            period=period,
            action=f"headline_{status}",
            facts={
                "ratio": ratio,
                "months": _months(prediction.holdout),
                "low_decile": float(low),
                "high_decile": float(high),
                "calibrated": "yes" if calibrated else "no",
                "status": status,
                **(
                    {"bias": _num(fix.bias), "raw": fix.raw, "headline": _num(fix.headline), "reason": fix.reason}
                    if fix is not None
                    else {}
                ),
            },
        )
    ]
    segments = prediction.by_dimension.get("segment", pd.DataFrame())
    if not segments.empty and status != "suppressed":
        factor = fix.headline / fix.raw if fix is not None and fix.raw else 1.0
        total = prediction.total_gp * factor
        best = segments.sort_values("per_customer", ascending=False).iloc[0]
        average = total / max(float(segments["customers"].sum()), 1.0)
        out.append(
            Finding(
                analysis=ANALYSIS,
                kind="ltv_outlook",
                severity="info",
                level=where[0],
                unit=where[1],
                metric="",
                value=total,
                baseline=None,
                period=period,
                action="protect_best_segment",
                facts={
                    "total": total,
                    "months": prediction.horizon_months,
                    "segment": str(best["segment"]),
                    "per_customer": float(best["per_customer"]) * factor,
                    "average": float(average),
                    "index": float(best["per_customer"] * factor / average) if average else float("nan"),
                    "status": status,
                },
            )
        )
    return out


def _months(holdout: dict[str, float | str]) -> int:
    start, end = pd.Timestamp(str(holdout["cutoff"])), pd.Timestamp(str(holdout["end"]))
    return round((end - start).days / 30.44)


def _num(value: Any) -> float | None:
    """A frame's numeric cell (``value``, known only at run time) as a float; None when missing or NaN."""
    if value is None:
        return None
    number = float(value)
    return None if np.isnan(number) else number
