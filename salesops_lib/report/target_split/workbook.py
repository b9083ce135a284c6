"""Excel workbooks of a target split: a company summary and one workbook per region.

* ``<year>_targets_company.xlsx`` — regions by month (company first), teams by year, settings;
* ``<year>_targets_<region>.xlsx`` — the region and its teams by month, its reps by month.

Amounts are written as numbers (the split's exact integer steps × step), so every parent row is
exactly the sum of its children in Excel too. Headers follow the page language (words in
``labels.yaml``). Names are string cells, never formulas (:mod:`salesops_lib.report.xlsx`).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import cast

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from salesops_lib.analyses.target_split import TargetSplitResult
from salesops_lib.report.target_split.words import label
from salesops_lib.report.xlsx import finish_sheet, write_row


def write_workbooks(result: TargetSplitResult, lang: str, folder: Path) -> list[Path]:
    """Write the company summary and one workbook per region (only the ``region`` in scope, if
    any) into ``folder``, headed in ``lang``; returns the paths written.
    """
    folder.mkdir(parents=True, exist_ok=True)
    plan = result.plan
    wide = wide_plan(result)
    units = plan.units
    paths = []
    book = Workbook()
    _sheet(_first_sheet(book), label("regions", lang), wide[wide["level"].isin(["company", "region"])], lang, plan.step)
    teams = units[units["level"] == "team"][["unit_id", "region", "base", "target", "growth", "fte"]]
    _frame_sheet(
        book.create_sheet(),
        label("teams", lang),
        teams.rename(
            columns={
                "unit_id": label("team", lang),
                "region": label("region", lang),
                "base": label("base", lang),
                "target": label("year_total", lang),
                "growth": label("growth", lang),
                "fte": label("fte", lang),
            }
        ),
        plan.step,
    )
    period = plan.label
    settings = pd.DataFrame(
        {
            label("key", lang): [
                label("plan_year", lang),
                label("company_target", lang),
                label("step", lang),
                label("base_window", lang),
            ],
            label("value", lang): [
                period,
                plan.company_target,
                plan.step,
                f"{plan.base_window[0]:%Y-%m} … {plan.base_window[1]:%Y-%m}",
            ],
        }
    )
    _frame_sheet(book.create_sheet(), label("settings", lang), settings, plan.step)
    paths.append(_save(book, folder / f"{period}_targets_company.xlsx"))
    regions = [result.region] if result.region else list(units.loc[units["level"] == "region", "unit_id"])
    for region in regions:
        book = Workbook()
        in_region = wide["region"] == region
        upper = wide[in_region & wide["level"].isin(["region", "team"])]
        _sheet(_first_sheet(book), label("teams_monthly", lang), upper, lang, plan.step)
        reps = wide[in_region & (wide["level"] == "rep")]
        _sheet(book.create_sheet(), label("reps_monthly", lang), reps, lang, plan.step)
        paths.append(_save(book, folder / f"{period}_targets_{_safe(region)}.xlsx"))
    return paths


def wide_plan(result: TargetSplitResult) -> pd.DataFrame:
    """Every unit of the plan with a column per month (``YYYY-MM``) and its year ``target``."""
    plan = result.plan
    months = plan.monthly.pivot_table(
        index=["level", "unit_id"], columns="month", values="amount", aggfunc="sum", sort=False
    )
    months.columns = [c.strftime("%Y-%m") for c in cast("pd.DatetimeIndex", months.columns)]
    keys = plan.units[["level", "unit_id", "name", "parent_id", "region", "team", "target"]]
    return keys.merge(months.reset_index(), on=["level", "unit_id"], how="left")


def _sheet(sheet: Worksheet, title: str, frame: pd.DataFrame, lang: str, step: float) -> None:
    month_columns = [c for c in frame.columns if re.fullmatch(r"\d{4}-\d{2}", str(c))]
    shown = pd.DataFrame(
        {
            label("level", lang): frame["level"].map(lambda x: label(x, lang)),
            label("unit", lang): frame["unit_id"],
            label("name", lang): frame["name"].fillna(""),
            label("parent", lang): frame["parent_id"].fillna(""),
            **{c: frame[c] for c in month_columns},
            label("year_total", lang): frame["target"],
        }
    )
    _frame_sheet(sheet, title, shown, step)


def _frame_sheet(sheet: Worksheet, title: str, frame: pd.DataFrame, step: float) -> None:
    sheet.title = title[:31]
    for cell in write_row(sheet, 1, [str(c) for c in frame.columns]):
        cell.font = Font(bold=True)
    for index, row in enumerate(frame.itertuples(index=False), start=2):
        write_row(sheet, index, [None if isinstance(v, float) and v != v else v for v in row])
    number = "#,##0.00" if step < 1 else "#,##0"
    for col, name in enumerate(frame.columns, start=1):
        values = frame[name]
        if pd.api.types.is_float_dtype(values) or pd.api.types.is_integer_dtype(values):
            fmt = "0.0%" if str(name) in {label("growth", "zh"), label("growth", "en")} else number
            for line in range(2, len(frame) + 2):
                sheet.cell(row=line, column=col).number_format = fmt
    finish_sheet(sheet)  # bold frozen header, autofilter, fitted widths
    if len(frame.columns) > 2:
        sheet.freeze_panes = "C2"  # level and unit stay in view


def _first_sheet(book: Workbook) -> Worksheet:
    """The sheet a new workbook opens with (``book.active``, typed wider by openpyxl)."""
    return cast("Worksheet", book.active)


def _save(book: Workbook, path: Path) -> Path:
    book.save(path)
    return path


def _safe(text: str) -> str:
    return re.sub(r"[^\w\-]+", "_", str(text)).strip("_") or "region"
