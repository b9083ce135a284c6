"""How metric values print: one rule per unit, shared by results, pages and the CLI."""

from __future__ import annotations

import math
import numbers


def format_value(value: float | None, unit: str) -> str:
    """``value`` formatted for its metric unit: ratios as %, money and counts without decimals.

    A missing or non-finite value (None, NaN, ±inf) is a dash.

    >>> format_value(0.1234, "ratio"), format_value(None, "currency"), format_value(float("inf"), "count")
    ('12.3%', '—', '—')
    """
    if _missing(value):
        return "—"
    if unit == "ratio":
        return f"{value:.1%}"
    if unit in ("days", "count_per_fte"):
        return f"{value:,.1f}" if unit == "days" else f"{value:,.2f}"
    return f"{value:,.0f}"


def format_change(value: float | None) -> str:
    """A relative change with its sign (+4.2%), or a dash."""
    if _missing(value):
        return "—"
    return f"{value:+.1%}"


def is_missing_number(value: object) -> bool:
    """True for None and for a number that is NaN or ±inf (texts and other values are not missing).

    >>> is_missing_number(None), is_missing_number(float("nan")), is_missing_number(3), is_missing_number("north")
    (True, True, False, False)
    """
    return value is None or (isinstance(value, numbers.Real) and not math.isfinite(value))


def _missing(value: object) -> bool:
    """True for None, NaN, ±inf and anything that does not convert to a number (a Decimal does)."""
    try:
        return value is None or not math.isfinite(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return True
