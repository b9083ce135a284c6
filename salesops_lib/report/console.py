"""Terminal rendering (rich) of data-quality reports and metric summaries."""

from __future__ import annotations

from typing import Any

import pandas as pd
from rich.console import Console
from rich.markup import escape
from rich.table import Table as RichTable
from rich.text import Text

from salesops_lib.data.validation import QualityReport
from salesops_lib.metrics import METRICS
from salesops_lib.metrics.formatting import format_value


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


def print_metric_summary(frame: pd.DataFrame, console: Console, *, title: str, lang: str = "en") -> None:
    """One row per metric, one column per unit (and period when there are several)."""
    if frame.empty:
        console.print("[dim]no metric can be computed from this source[/dim]")
        return
    table = RichTable(title=title, title_justify="left")
    table.add_column("metric" if lang == "en" else "指标")
    headers = [_header(row) for _, row in frame[["period", "unit"]].iterrows()]
    for header in headers:
        table.add_column(header, justify="right")
    for name in [c for c in frame.columns if c not in ("period", "unit")]:
        metric = METRICS[name]
        table.add_row(metric.label(lang), *[format_value(v, metric.unit) for v in frame[name]])
    console.print(table)


def _header(row: pd.Series) -> str:
    period = row["period"]
    if pd.isna(period):
        return str(row["unit"])
    return f"{row['unit']} {pd.Timestamp(period):%Y-%m}"


def _fmt(value: Any) -> str:
    return "∅" if value is None else str(value)
