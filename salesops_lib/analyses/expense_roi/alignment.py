"""Expense ratio per unit against target–resource alignment.

For the fiscal year to date, per region: expenses (the lines' own region; refunds net), revenue
booked (region of the rep), expense ratio = expenses ÷ revenue (the metric ``expense_ratio``),
and the unit's share of the company's expenses against its share of the company's targets
(``targets`` at region level) and of its revenue. Resources are aligned when the expense share
is close to the target share; alignment gap = expense share − target share.

A region is noted (``low``) when its expense ratio exceeds the company's by at least
``threshold`` (relative) and its expense share exceeds its target share — it spends more than
its target justifies and turns it into less revenue.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from salesops_lib.analyses.expense_roi.money import safe_ratio, to_cents
from salesops_lib.data import Dataset
from salesops_lib.metrics import Grain, compute_metric

COLUMNS = [
    "unit",
    "expenses",
    "revenue",
    "expense_ratio",
    "ratio_vs_company",
    "target",
    "attainment",
    "expense_share",
    "target_share",
    "revenue_share",
    "alignment_gap",
    "flag",
]


@dataclass(frozen=True)
class ExpenseAlignment:
    """Expense ratio and alignment per region, plus the company row (unit "company")."""

    start: dt.date
    as_of: dt.date
    table: pd.DataFrame
    company_ratio: float
    has_targets: bool


def expense_alignment(
    data: Dataset, start: dt.date, as_of: dt.date, *, threshold: float = 0.25, region: str = ""
) -> ExpenseAlignment:
    """Expense ratio and shares per region from ``start`` to ``as_of``.

    Examples
    --------
    >>> expense_alignment(connect("demo"), dt.date(2025, 1, 1), dt.date(2025, 6, 30)).table  # doctest: +SKIP
    """
    window = Grain(period="all", level="region", start=start, end=as_of)
    regions = compute_metric(data, "expense_ratio", window)
    company = compute_metric(data, "expense_ratio", window.model_copy(update={"level": "company"}))
    frame = pd.DataFrame(
        {
            "unit": regions["unit"].astype(str),
            "expenses": to_cents(regions["numerator"].fillna(0.0)),
            "revenue": to_cents(regions["denominator"].fillna(0.0)),
        }
    )
    frame = frame[frame["unit"].notna() & (frame["unit"] != "None")]
    has_targets = data.has("targets")
    if has_targets:
        frame = frame.merge(_targets(data, start, as_of), on="unit", how="left")
    else:
        frame = frame.assign(target=float("nan"))
    total_expenses = float(company["numerator"].sum()) if not company.empty else 0.0
    total_revenue = float(company["denominator"].sum()) if not company.empty else 0.0
    company_ratio = float(safe_ratio(total_expenses, total_revenue))
    frame["expense_ratio"] = safe_ratio(frame["expenses"], frame["revenue"])
    frame["ratio_vs_company"] = safe_ratio(frame["expense_ratio"], company_ratio) - 1
    frame["attainment"] = safe_ratio(frame["revenue"], frame["target"])
    frame["expense_share"] = safe_ratio(frame["expenses"], frame["expenses"].sum())
    frame["target_share"] = safe_ratio(frame["target"], frame["target"].sum())
    frame["revenue_share"] = safe_ratio(frame["revenue"], frame["revenue"].sum())
    frame["alignment_gap"] = frame["expense_share"] - frame["target_share"]
    frame["flag"] = ((frame["ratio_vs_company"] >= threshold) & (frame["alignment_gap"] > 0)).fillna(False)
    if region:
        frame = frame[frame["unit"] == region]
    return ExpenseAlignment(
        start=start,
        as_of=as_of,
        table=frame[COLUMNS].sort_values("unit").reset_index(drop=True),
        company_ratio=company_ratio,
        has_targets=has_targets,
    )


def _targets(data: Dataset, start: dt.date, as_of: dt.date) -> pd.DataFrame:
    t = data.table("targets")
    t = t.filter((t.level == "region") & (t.period >= start.replace(day=1)) & (t.period <= as_of))
    out: pd.DataFrame = t.group_by(unit=t.unit_id.cast("string")).agg(target=t.amount.sum()).execute()
    out["target"] = to_cents(out["target"])
    return out
