"""Words and numbers of the collections and customer-value page: the catalogue lookup, the
aging buckets' names and the cell formatters.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from salesops_lib.metrics.formatting import format_value, formatted
from salesops_lib.report.i18n import t
from salesops_lib.report.money import money as money  # one money format for every page

REPORT = "collections_customers"

Formatter = Callable[[Any], str]
"""A table cell's formatter (a cell's type is known only at run time)."""


def label(key: str, lang: str) -> str:
    """The word ``key`` in ``lang`` (this report's catalogue, then the glossary)."""
    return t(key, lang, REPORT)


def bucket_label(bucket: str, lang: str) -> str:
    """The name of an aging bucket (``current``, ``1-30``, …, ``90+``)."""
    if bucket in ("current", "90+"):
        return label(f"bucket.{bucket}", lang)
    return label("bucket.days", lang).format(range=bucket.replace("-", "–"))


def ratio(v: object) -> str:
    """A ratio as a percentage ("—" when missing)."""
    return format_value(_f(v), "ratio")


def two(v: object) -> str:
    """A number with two decimals and thousands separators ("—" when missing)."""
    value = _f(v)
    return "—" if value is None or np.isnan(value) else formatted(value, ",.2f")


def integer(v: object) -> str:
    """A number rounded to a whole one, with thousands separators ("—" when missing)."""
    value = _f(v)
    return "—" if value is None or np.isnan(value) else formatted(value, ",.0f")


def text(v: object) -> str:
    """A value as text ("—" when None or NaN)."""
    return "—" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)


def date(v: Any) -> str:
    """A day as ``YYYY-MM-DD`` ("—" when missing); ``v`` is anything ``pd.Timestamp`` reads."""
    return "—" if v is None or pd.isna(v) else pd.Timestamp(v).strftime("%Y-%m-%d")


def _f(v: object) -> float | None:
    if v is None:
        return None
    try:
        return float(v)  # type: ignore[arg-type]  # any object: its TypeError means "missing"
    except (TypeError, ValueError):
        return None
