"""How metric values print: one rule per unit, shared by results, pages and the CLI."""

from __future__ import annotations

import math


def format_value(value: float | None, unit: str) -> str:
    """``value`` formatted for its metric unit: ratios as %, money and counts without decimals."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if unit == "ratio":
        return f"{value:.1%}"
    if unit in ("days", "count_per_fte"):
        return f"{value:,.1f}" if unit == "days" else f"{value:,.2f}"
    return f"{value:,.0f}"


def format_change(value: float | None) -> str:
    """A relative change with its sign (+4.2%), or a dash."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value:+.1%}"
