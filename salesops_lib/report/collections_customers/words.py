"""Words and numbers of the collections and customer-value page: the catalogue lookup, the
aging buckets' names and the cell formatters.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from salesops_lib.metrics.formatting import format_value
from salesops_lib.report.i18n import t

REPORT = "collections_customers"

Formatter = Callable[[object], str]


def label(key: str, lang: str) -> str:
    """The word ``key`` in ``lang`` (this report's catalogue, then the glossary)."""
    return t(key, lang, REPORT)


def bucket_label(bucket: str, lang: str) -> str:
    """The name of an aging bucket (``current``, ``1-30``, …, ``90+``)."""
    if bucket in ("current", "90+"):
        return label(f"bucket.{bucket}", lang)
    return label("bucket.days", lang).format(range=bucket.replace("-", "–"))


def money(v: object) -> str:
    return format_value(_f(v), "currency")


def ratio(v: object) -> str:
    return format_value(_f(v), "ratio")


def two(v: object) -> str:
    value = _f(v)
    return "—" if value is None or np.isnan(value) else f"{value:,.2f}"


def integer(v: object) -> str:
    value = _f(v)
    return "—" if value is None or np.isnan(value) else f"{value:,.0f}"


def text(v: object) -> str:
    return "—" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)


def date(v: object) -> str:
    return "—" if v is None or pd.isna(v) else pd.Timestamp(v).strftime("%Y-%m-%d")  # type: ignore[arg-type]


def _f(v: object) -> float | None:
    if v is None:
        return None
    try:
        return float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
