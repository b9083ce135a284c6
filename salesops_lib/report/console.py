"""Terminal rendering (rich) of data-quality reports and metric summaries."""

from __future__ import annotations

from typing import Any

import pandas as pd
from rich.console import Console
from rich.markup import escape
from rich.table import Table as RichTable
from rich.text import Text

from salesops_lib.core.periods import quarter_label, week_label
from salesops_lib.data.validation import QualityReport
from salesops_lib.metrics import METRICS
from salesops_lib.metrics.formatting import format_value, is_missing_number


def print_quality_report(report: QualityReport, console: Console) -> None:
    """A table per source (rows, nulls, duplicates, errors, warnings), then each issue with examples."""
    overview = RichTable(title=f"Data quality — {escape(report.source)}", title_justify="left")
    for col in ("table", "source", "rows", "columns with nulls", "dup. keys", "errors", "warnings"):
        overview.add_column(col, justify="right" if col in ("rows", "dup. keys", "errors", "warnings") else "left")
    for p in report.profiles:
        issues = report.for_table(p.table)
        nulls = ", ".join(f"{k} {v:,}" for k, v in p.nulls.items() if v) or "—"
        errors = sum(1 for i in issues if i.severity == "error")
        warnings = sum(1 for i in issues if i.severity == "warning")
        overview.add_row(
            p.table,
            escape(p.origin),
            f"{p.rows:,}",
            nulls,
            f"{p.duplicate_keys:,}",
            Text(str(errors), style="bold red" if errors else ""),
            Text(str(warnings), style="yellow" if warnings else ""),
        )
    console.print(overview)
    if report.missing:
        console.print(
            "[dim]not provided: " + "; ".join(f"{k} ({escape(v)})" for k, v in report.missing.items()) + "[/dim]"
        )
    for issue in report.issues:
        style = "bold red" if issue.severity == "error" else "yellow"
        where = issue.table + (f".{issue.column}" if issue.column else "")
        console.print(
            Text(f"{issue.severity.upper():7} {where}: {issue.message} — {issue.count:,} row(s)", style=style)
        )
        for example in issue.examples:
            console.print("          e.g. " + ", ".join(f"{k}={_fmt(v)}" for k, v in example.items()), markup=False)
        if issue.fix:
            console.print(f"          fix: {issue.fix}", markup=False)
    verdict = (
        Text(f"{len(report.errors)} error(s), {len(report.warnings)} warning(s)", style="bold red")
        if report.errors
        else Text(f"OK — 0 errors, {len(report.warnings)} warning(s)", style="bold green")
    )
    console.print(verdict)


WIDE_COLUMNS = 8
"""Up to this many units × periods × dimension values, a summary prints them as columns (one row
per metric); beyond, one row per unit × period × value and one column per metric."""


def print_metric_summary(
    frame: pd.DataFrame, console: Console, *, title: str, lang: str = "en", period: str | None = None
) -> None:
    """The metrics of ``frame`` (:func:`salesops_lib.metrics.metric_summary`) as one table.

    Few units (at most :data:`WIDE_COLUMNS`): one row per metric, one column per unit (and period and
    dimension value). More: one row per unit × period × dimension value, one column per metric. A
    rep shows its name, id, team and region; ``period`` (the grain's, e.g. "week") picks the period
    label (``2026-W05``, ``2026-05``, ``2026Q2``, ``2026``).
    """
    if frame.empty:
        console.print("[dim]no metric can be computed from this source[/dim]")
        return
    names = [c for c in frame.columns if c in METRICS]
    keys = [c for c in frame.columns if c not in names]
    table = RichTable(title=title, title_justify="left")
    if len(frame) <= WIDE_COLUMNS:
        table.add_column("metric" if lang == "en" else "指标")
        for _, row in frame[keys].iterrows():
            table.add_column(escape(_header(row, period)), justify="right")
        for name in names:
            metric = METRICS[name]
            table.add_row(metric.label(lang), *[format_value(v, metric.unit) for v in frame[name]])
    else:
        dated = bool(frame["period"].notna().any())
        shown = [c for c in keys if c != "period" or dated]
        for column in shown:
            table.add_column(escape(column))
        for name in names:
            table.add_column(escape(METRICS[name].label(lang)), justify="right")
        for _, row in frame.iterrows():
            cells = [_period_label(pd.Timestamp(row[c]), period) if c == "period" else _cell(row[c]) for c in shown]
            values = [format_value(row[n], METRICS[n].unit) for n in names]
            table.add_row(*(escape(c) for c in cells), *values)
    console.print(table)


def _cell(value: object) -> str:
    return "—" if is_missing_number(value) else str(value)


def _header(row: pd.Series, period: str | None = None) -> str:
    """A column's heading: the unit (a rep's name, then id · team · region), the dimension value, the period."""
    lines = [str(row["unit"])]
    if "name" in row.index:
        org = " · ".join(str(row[c]) for c in ("team", "region") if not is_missing_number(row[c]))
        lines = [str(row["name"]), " · ".join([str(row["unit"]), *([org] if org else [])])]
    extra = [c for c in row.index if c not in ("period", "unit", "name", "team", "region")]
    lines += [_cell(row[c]) for c in extra]
    if not pd.isna(row["period"]):
        lines.append(_period_label(pd.Timestamp(row["period"]), period))
    return "\n".join(lines) if len(lines) > 2 or "name" in row.index else " ".join(lines)


def _period_label(start: pd.Timestamp, period: str | None) -> str:
    if period == "week":
        return week_label(start)
    if period == "quarter":
        return quarter_label(start)
    if period == "year":
        return f"{start:%Y}"
    return f"{start:%Y-%m}"


def _fmt(value: Any) -> str:
    return "∅" if value is None else str(value)
