"""Formatting shared by the target split and target tracking pages: money, shares, labelled tables."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import pandas as pd
from matplotlib.ticker import FuncFormatter

from salesops_lib.report.html import e, table_html

Labels = Mapping[str, Mapping[str, str]]


def money(value: object) -> str:
    """Whole currency units with thousands separators (a dash for missing)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{float(value):,.0f}"  # type: ignore[arg-type]


def pct(value: object, signed: bool = False) -> str:
    """A ratio as a percentage with one decimal (a dash for missing)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{float(value):+.1%}" if signed else f"{float(value):.1%}"  # type: ignore[arg-type]


def money_axis(lang: str) -> FuncFormatter:
    """Axis ticks in 万 (zh) or millions (en)."""
    if lang == "zh":
        return FuncFormatter(lambda v, _pos: f"{v / 1e4:,.0f}万")
    return FuncFormatter(lambda v, _pos: f"{v / 1e6:,.1f}M")


def labelled_table(frame: pd.DataFrame, columns: Mapping[str, tuple[str, Callable[[object], str]]],
                   label: Callable[[str], str]) -> str:
    """``frame``'s ``columns`` (name → (label key, formatter)) as an escaped HTML table, headed in the page language."""
    shown = pd.DataFrame({label(key): frame[name].map(fmt) for name, (key, fmt) in columns.items()})
    return table_html(shown, index=False)


def heading(text: str) -> str:
    return f"<h2>{e(text)}</h2>"


def paragraph(text: str) -> str:
    return f"<p>{e(text)}</p>"
