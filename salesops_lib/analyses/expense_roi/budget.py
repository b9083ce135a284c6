"""Budget vs actual: by category, unit and month; year-to-date variance, burn rate and the
projected year-end position; overrun / underspend / unbudgeted-spend flags.

Budget lines are compared at one org level (``budget_level``; by default the coarsest level
the fiscal year's lines use), against the expense lines charged to units of that level
(``expenses.region`` / ``team`` / ``rep_id``; lines without one are "unassigned", shown apart
and counted in the company total). Refunds (negative lines) net against the spend of their
month, unit and category. With a region filter (and budgets below company level) the region is the
scope: its totals stand where the company's would.

Definitions (fiscal year FY = the year containing ``as_of``):

* budget YTD = budget lines of FY's months up to ``as_of``'s month (that month pro-rated by day
  when ``as_of`` is not its last day); spent YTD = expense lines from FY's first day to ``as_of``;
* variance = spent − budget; variance % = spent ÷ budget − 1 (NaN when the budget is 0: status
  ``no_budget``);
* burn = spent YTD ÷ FY budget; expected burn = budget YTD ÷ FY budget;
* projected year end = spent YTD × FY budget ÷ budget YTD (the remaining budget spent at the
  year-to-date pace); projected over = projected − FY budget.

An overrun needs variance % ≥ ``overrun_threshold`` and variance ≥ ``overrun_min_amount``; it is
``high`` when variance % ≥ 1.5 × threshold and the spend was over budget in at least two thirds
of the months so far (a persistent overrun), else ``medium``. A category flagged at company
level is reported once (its units are in the table); units are flagged for categories whose
company total is within budget (an overrun hidden by other units' savings). The findings are
built in :mod:`.findings`.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from salesops_lib.analyses.expense_roi.money import safe_ratio, to_cents
from salesops_lib.core.periods import month_start
from salesops_lib.data import Dataset

LEVELS = ("company", "region", "team", "rep")
EXPENSE_UNIT_COLUMN = {"region": "region", "team": "team", "rep": "rep_id"}
UNASSIGNED = "—"
"""Unit of expense lines that carry no unit at the budget level."""
TOTAL = "Σ"
"""Category of the all-categories row."""

YTD_COLUMNS = [
    "unit",
    "category",
    "annual_budget",
    "budget_ytd",
    "spent_ytd",
    "refunds_ytd",
    "variance",
    "variance_pct",
    "burn",
    "expected_burn",
    "projected",
    "projected_over",
    "projected_over_pct",
    "months_over",
    "months",
    "status",
]
MONTH_COLUMNS = ["month", "unit", "category", "budget", "spent", "variance", "variance_pct"]


@dataclass(frozen=True)
class BudgetThresholds:
    """When a variance becomes a flag."""

    overrun: float = 0.10
    min_amount: float = 10_000.0


@dataclass(frozen=True)
class BudgetControl:
    """Budget vs actual for the fiscal year to date."""

    #: org level of the budget lines compared
    level: str
    fiscal_start: dt.date
    fiscal_end: dt.date
    as_of: dt.date
    #: one row per category plus the all-categories row (category Σ) for the scope (the company, or
    #: the region of the region filter)
    company: pd.DataFrame
    #: unit × category rows at the budget level (empty when budgets are company-level)
    units: pd.DataFrame
    #: month × category (company) over the whole fiscal year; spent is NaN after as_of
    monthly: pd.DataFrame
    #: month × unit × category at the budget level
    monthly_units: pd.DataFrame
    #: the thresholds the flags used
    thresholds: BudgetThresholds = BudgetThresholds()
    #: (level, unit) the ``company`` rows total: ("company", "company") or ("region", <region>)
    scope: tuple[str, str] = ("company", "company")
    #: codes of caveats: "region_filter_not_applied", "several_budget_levels"
    notes: tuple[str, ...] = ()

    @property
    def flagged(self) -> pd.DataFrame:
        """The flagged rows, scope total and units (column ``level`` tells which)."""
        both = pd.concat([self.company.assign(level=self.scope[0]), self.units.assign(level=self.level)])
        return both[both["flag"]].reset_index(drop=True)


def budget_control(
    data: Dataset,
    as_of: dt.date,
    fiscal: tuple[dt.date, dt.date],
    *,
    level: str = "",
    region: str = "",
    thresholds: BudgetThresholds | None = None,
) -> BudgetControl | None:
    """Budget vs actual for the fiscal year ``fiscal`` up to ``as_of`` (None when no budget line falls in it).

    Examples
    --------
    >>> as_of = dt.date(2025, 6, 30)
    >>> control = budget_control(connect("demo"), as_of, fiscal_year(as_of))  # doctest: +SKIP
    >>> control.company[["category", "variance_pct", "status"]]  # doctest: +SKIP
    """
    thresholds = thresholds or BudgetThresholds()
    start, end = fiscal
    budgets = data.table("budgets")
    budgets = budgets.filter((budgets.period >= start) & (budgets.period <= end))
    present = set(budgets.select("level").distinct().execute()["level"])
    if not present:
        return None
    level = level or next(lv for lv in LEVELS if lv in present)
    notes = ["several_budget_levels"] if len(present) > 1 else []
    scope = ("company", "company")
    lines = budgets.filter(budgets.level == level)
    lines = lines.group_by(month=lines.period, unit=lines.unit_id.cast("string"), category=lines.category).agg(
        budget=lines.amount.sum()
    )
    spent = _expense_cells(data, start, as_of, level)
    if region:
        if level == "company":
            notes.append("region_filter_not_applied")
        else:
            keep = _units_in_region(data, level, region)
            lines, spent = lines.filter(lines.unit.isin(keep)), spent.filter(spent.unit.isin(keep))
            scope = ("region", region)
    cells = _merge(lines.execute(), spent.execute())
    monthly_units = _monthly(cells, as_of)
    units = _ytd(cells, as_of, thresholds)
    company_cells = (
        cells.assign(unit=scope[1])
        .groupby(["month", "unit", "category"], as_index=False)
        .sum(numeric_only=True, min_count=1)
    )
    company = _ytd(company_cells, as_of, thresholds)
    company = pd.concat([company, _total_row(company, thresholds)], ignore_index=True)
    monthly = _monthly(company_cells, as_of)
    return BudgetControl(
        level=level,
        fiscal_start=start,
        fiscal_end=end,
        as_of=as_of,
        company=company,
        units=units if level != "company" else units.iloc[0:0],
        monthly=monthly,
        monthly_units=monthly_units,
        thresholds=thresholds,
        scope=scope,
        notes=tuple(notes),
    )


def _expense_cells(data: Dataset, start: dt.date, as_of: dt.date, level: str) -> ir.Table:
    e = data.table("expenses")
    e = e.filter((e.spent_at >= start) & (e.spent_at <= as_of))
    if level == "company":
        unit = ibis.literal("company")
    else:
        unit = e[EXPENSE_UNIT_COLUMN[level]].cast("string").fill_null(UNASSIGNED)
    e = e.mutate(month=e.spent_at.truncate("M"), unit=unit)
    return e.group_by(["month", "unit", "category"]).agg(
        spent=e.amount.sum(), refunds=e.amount.sum(where=e.amount < 0).fill_null(0.0)
    )


def _units_in_region(data: Dataset, level: str, region: str) -> list[str]:
    if level == "region":
        return [region]
    reps = data.table("reps").filter(lambda t: t.region == region)
    column = "team" if level == "team" else "rep_id"
    units: pd.DataFrame = reps.select(column).distinct().execute()
    return units[column].astype(str).tolist()


def _merge(lines: pd.DataFrame, spent: pd.DataFrame) -> pd.DataFrame:
    for frame in (lines, spent):
        frame["month"] = pd.to_datetime(frame["month"])
    cells = lines.merge(spent, on=["month", "unit", "category"], how="outer")
    cells["budget"] = to_cents(cells["budget"].fillna(0.0))
    cells["spent"] = to_cents(cells["spent"].fillna(0.0))
    cells["refunds"] = to_cents(cells["refunds"].fillna(0.0))
    return cells.sort_values(["month", "unit", "category"]).reset_index(drop=True)


def _elapsed_share(month: pd.Series, as_of: dt.date) -> pd.Series:
    """Share of each budget month that lies on or before ``as_of`` (1 before its month, 0 after)."""
    current = month_start(as_of)
    days = calendar.monthrange(as_of.year, as_of.month)[1]
    return pd.Series(
        np.where(month < current, 1.0, np.where(month == current, as_of.day / days, 0.0)), index=month.index
    )


def _ytd(cells: pd.DataFrame, as_of: dt.date, thresholds: BudgetThresholds) -> pd.DataFrame:
    if cells.empty:
        return pd.DataFrame(columns=[*YTD_COLUMNS, "flag"])
    cells = cells.assign(share=_elapsed_share(cells["month"], as_of))
    cells["budget_elapsed"] = cells["budget"] * cells["share"]
    past = cells["share"] > 0
    cells["over_month"] = past & (cells["budget"] > 0) & (cells["spent"] > cells["budget_elapsed"])
    cells["budgeted_month"] = past & (cells["budget"] > 0)
    grouped = cells.groupby(["unit", "category"], as_index=False).agg(
        annual_budget=("budget", "sum"),
        budget_ytd=("budget_elapsed", "sum"),
        spent_ytd=("spent", "sum"),
        refunds_ytd=("refunds", "sum"),
        months_over=("over_month", "sum"),
        months=("budgeted_month", "sum"),
    )
    return _derive(grouped, thresholds)


def _derive(frame: pd.DataFrame, thresholds: BudgetThresholds) -> pd.DataFrame:
    """Variance, burn, projection and status of rows holding the YTD sums (money to cents)."""
    out = frame.copy()
    for column in ("annual_budget", "budget_ytd", "spent_ytd", "refunds_ytd"):
        out[column] = to_cents(out[column])
    out["variance"] = to_cents(out["spent_ytd"] - out["budget_ytd"])
    out["variance_pct"] = safe_ratio(out["variance"], out["budget_ytd"])
    out["burn"] = safe_ratio(out["spent_ytd"], out["annual_budget"])
    out["expected_burn"] = safe_ratio(out["budget_ytd"], out["annual_budget"])
    out["projected"] = to_cents(out["spent_ytd"] * safe_ratio(out["annual_budget"], out["budget_ytd"]))
    out["projected_over"] = to_cents(out["projected"] - out["annual_budget"])
    out["projected_over_pct"] = safe_ratio(out["projected_over"], out["annual_budget"])
    out["months_over"] = out["months_over"].astype("int64")
    out["months"] = out["months"].astype("int64")
    out["status"] = _status(out, thresholds)
    out["flag"] = out["status"].isin(["over", "under", "no_budget"]) & (out["variance"].abs() >= thresholds.min_amount)
    return out[[*YTD_COLUMNS, "flag"]].reset_index(drop=True)


def _status(frame: pd.DataFrame, thresholds: BudgetThresholds) -> pd.Series:
    pct = frame["variance_pct"]
    no_budget = (frame["budget_ytd"] == 0) & (frame["spent_ytd"] != 0)
    status = np.select(
        [no_budget, pct >= thresholds.overrun, pct <= -thresholds.overrun], ["no_budget", "over", "under"], default="ok"
    )
    return pd.Series(status, index=frame.index)


def _total_row(company: pd.DataFrame, thresholds: BudgetThresholds) -> pd.DataFrame:
    sums = company[["annual_budget", "budget_ytd", "spent_ytd", "refunds_ytd", "months_over", "months"]].sum()
    row = pd.DataFrame(
        [{"unit": company["unit"].iloc[0] if len(company) else "company", "category": TOTAL, **sums.to_dict()}]
    )
    row["months_over"] = 0  # not meaningful across categories
    row["months"] = 0
    return _derive(row, thresholds)


def _monthly(cells: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    if cells.empty:
        return pd.DataFrame(columns=MONTH_COLUMNS)
    out = cells.copy()
    future = out["month"] > pd.Timestamp(as_of)
    out["spent"] = out["spent"].where(~future)
    out["variance"] = to_cents(out["spent"] - out["budget"])
    out["variance_pct"] = safe_ratio(out["variance"], out["budget"])
    return out[MONTH_COLUMNS].reset_index(drop=True)
