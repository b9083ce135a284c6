"""How metric values print: one rule per unit, shared by results, pages and the CLI."""

from __future__ import annotations

import math
import numbers
from typing import Any

MISSING_TEXT = "—"
"""How a missing, undefined or infinite number prints everywhere (never ``nan``, ``None`` or ``inf``)."""


def format_value(value: float | None, unit: str) -> str:
    """``value`` formatted for its metric unit: ratios as %, money and counts without decimals.

    A missing or non-finite value (None, NaN, ±inf) is a dash.

    >>> format_value(0.1234, "ratio"), format_value(None, "currency"), format_value(float("inf"), "count")
    ('12.3%', '—', '—')
    """
    if _missing(value):
        return MISSING_TEXT
    if unit == "ratio":
        return f"{value:.1%}"
    if unit in ("days", "count_per_fte"):
        return f"{value:,.1f}" if unit == "days" else f"{value:,.2f}"
    return f"{value:,.0f}"


def format_change(value: float | None) -> str:
    """A relative change with its sign (+4.2%), or a dash."""
    if _missing(value):
        return MISSING_TEXT
    return f"{value:+.1%}"


def is_missing_number(value: object) -> bool:
    """True for None, pandas' NA and NaT, and a number that is NaN or ±inf (texts are not missing).

    >>> is_missing_number(None), is_missing_number(float("nan")), is_missing_number(3), is_missing_number("north")
    (True, True, False, False)
    """
    if value is None or type(value).__name__ in ("NAType", "NaTType"):
        return True
    return isinstance(value, numbers.Real) and not math.isfinite(value)


def formatted(value: Any, spec: str) -> str:
    """``format(value, spec)``, or :data:`MISSING_TEXT` for a missing or non-finite number.

    >>> formatted(0.25, ".0%"), formatted(float("nan"), ".0%"), formatted(None, ",.0f")
    ('25%', '—', '—')
    """
    return MISSING_TEXT if is_missing_number(value) else format(value, spec)


def fill(template: str, /, **fields: Any) -> str:
    """``template.format(**fields)`` where a missing or non-finite number (and a field the call
    does not give) prints as :data:`MISSING_TEXT`, whatever format spec the template gives it.

    >>> fill("{share:.1%} of {total:,.0f} ({note})", share=float("nan"), total=None)
    '— of — (—)'
    """
    return template.format_map(_Fields(fields))


class _Missing:
    """A missing value: prints as a dash whatever format spec it gets."""

    def __format__(self, spec: str) -> str:
        return MISSING_TEXT

    def __str__(self) -> str:
        return MISSING_TEXT


MISSING = _Missing()


class _Fields(dict[str, Any]):
    """Template fields: missing numbers and absent keys print as a dash."""

    def __getitem__(self, key: str) -> Any:
        value = super().__getitem__(key)
        return MISSING if is_missing_number(value) else value

    def __missing__(self, key: str) -> _Missing:
        return MISSING


def _missing(value: object) -> bool:
    """True for None, NaN, ±inf and anything that does not convert to a number (a Decimal does)."""
    try:
        return value is None or not math.isfinite(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return True
