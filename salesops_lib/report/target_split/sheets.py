"""The target split's grid for its Excel download: every rep × month (see :mod:`salesops_lib.report.sheets`)."""

from __future__ import annotations

import re

from salesops_lib.analyses.target_split import TargetSplitResult
from salesops_lib.report.sheets import Sheet
from salesops_lib.report.target_split.words import label
from salesops_lib.report.target_split.workbook import wide_plan
from salesops_lib.report.xlsx import Kind


def sheets(result: TargetSplitResult, lang: str) -> list[Sheet]:
    """One sheet: a row per rep (team, region, name) and a column per month of the plan, then the
    year's total; amounts are numbers, so each row sums to its year total in Excel too.
    """
    wide = wide_plan(result)
    reps = wide[wide["level"] == "rep"]
    if reps.empty:
        return []
    months = [c for c in reps.columns if re.fullmatch(r"\d{4}-\d{2}", str(c))]
    columns = [label("unit", lang), label("name", lang), label("team", lang), label("region", lang), *months]
    money: list[Kind] = ["money"] * (len(months) + 1)
    kinds: list[Kind] = ["text", "text", "text", "text", *money]
    rows = tuple(
        (
            row["unit_id"],
            row["name"] if isinstance(row["name"], str) else None,
            row["team"] if isinstance(row["team"], str) else None,
            row["region"] if isinstance(row["region"], str) else None,
            *(None if row[m] != row[m] else float(row[m]) for m in months),
            None if row["target"] != row["target"] else float(row["target"]),
        )
        for _, row in reps.iterrows()
    )
    return [Sheet(label("reps_monthly", lang), (*columns, label("year_total", lang)), tuple(kinds), rows)]
