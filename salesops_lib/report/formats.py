"""Cell, axis and block formatting shared by every report page (a dash for anything missing)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pandas as pd
from matplotlib.ticker import FuncFormatter

from salesops_lib.metrics.formatting import MISSING_TEXT, format_value, is_missing_number
from salesops_lib.report.html import e, table_html


def missing(value: Any) -> bool:
    """True for None, NaN and infinities."""
    if value is None:
        return True
    try:
        return not math.isfinite(float(value))
    except (TypeError, ValueError):
        return True


def money(value: Any) -> str:
    """Whole currency units with thousands separators."""
    return "—" if missing(value) else format_value(float(value), "currency")


def pct(value: Any, digits: int = 1, signed: bool = False) -> str:
    """A ratio as a percentage (``signed`` adds the + sign)."""
    if missing(value):
        return "—"
    return f"{float(value):+.{digits}%}" if signed else f"{float(value):.{digits}%}"


def signed_pct(value: Any) -> str:
    """A change as a signed percentage with one decimal."""
    return pct(value, signed=True)


def number(value: Any, digits: int = 2) -> str:
    """A number with thousands separators and ``digits`` decimals."""
    return "—" if missing(value) else f"{float(value):,.{digits}f}"


def integer(value: Any) -> str:
    """A whole number with thousands separators."""
    return "—" if missing(value) else f"{int(value):,d}"


def _short(value: float) -> str:
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def money_axis(lang: str) -> FuncFormatter:
    """Axis money in 万 (zh) or k / M (en), with as many decimals as the ticks need."""

    def fmt(value: float, _pos: int) -> str:
        if lang == "zh":
            return f"{_short(value / 1e4)}万" if abs(value) >= 1e4 else _short(value)
        if abs(value) >= 1e6:
            return f"{_short(value / 1e6)}M"
        return f"{_short(value / 1e3)}k" if abs(value) >= 1e3 else _short(value)

    return FuncFormatter(fmt)


def money_short(value: Any, lang: str) -> str:
    """One money figure in words' size: 亿 / 万 (zh), M / k (en), at most two decimals.

    Examples
    --------
    >>> money_short(117421794.46, "zh"), money_short(118122200, "en"), money_short(None, "zh")
    ('1.17亿', '118.12M', '—')
    """
    if missing(value):
        return "—"
    amount = float(value)
    steps = ((1e8, "亿"), (1e4, "万")) if lang == "zh" else ((1e6, "M"), (1e3, "k"))
    for size, unit in steps:
        if abs(amount) >= size:
            return f"{_short(amount / size)}{unit}"
    return _short(amount)


Columns = dict[str, tuple[str, Callable[[Any], str]]]
"""A table's columns: frame column → (label key, cell formatter), in display order."""


def labelled_table(frame: pd.DataFrame, columns: Columns, label: Callable[[str], str]) -> str:
    """``frame``'s ``columns`` (name → (label key, formatter)) as an escaped HTML table, headed in the page language.

    A missing cell never reaches its formatter: a missing number is a dash, a missing name (a
    text column) the glossary's ``unknown``.
    """

    def cells(name: str, fmt: Callable[[Any], str]) -> pd.Series:
        gap = MISSING_TEXT if pd.api.types.is_numeric_dtype(frame[name]) else label("unknown")
        return frame[name].map(lambda v: gap if is_missing_number(v) else fmt(v))

    shown = pd.DataFrame({label(key): cells(name, fmt) for name, (key, fmt) in columns.items()})
    return table_html(shown, index=False)


def heading(text: str) -> str:
    """A section heading (it enters the page's table of contents)."""
    return f"<h2>{e(text)}</h2>"


def paragraph(text: str, css: str = "") -> str:
    """An escaped paragraph, optionally styled."""
    style = f" style='{css}'" if css else ""
    return f"<p{style}>{e(text)}</p>"
